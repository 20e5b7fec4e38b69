//! Whole-image operations: resize, clone, flatten, remove, rename, list
//! (librbd's operation/ResizeRequest, image/CloneRequest,
//! operation/FlattenRequest, image/RemoveRequest, and api::Image).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::create::{create, CreateOptions};
use super::open::{image_id, open, refresh, snap_by_name};
use super::operation::{flatten_objects, trim};
use super::snapshot::detach_child;
use super::{ImageCtx, IoCtx};
use crate::cls::rbd::client as cls;
use crate::cls::rbd::types::*;
use crate::naming;
use crate::osd::{ObjectOperation, SnapId};
use crate::Errno;

/// Resizes the head. Shrinking drops the objects past the new end first,
/// then the header (whose set_size also shrinks the parent overlap).
pub async fn resize(ictx: &mut ImageCtx, size: u64) -> Result<(), Errno> {
    let _lock = ictx.prepare_write().await?;
    if size < ictx.size {
        trim(ictx, ictx.size, size).await?;
    }
    super::object_map::resize(ictx, size).await?;
    let mut op = ObjectOperation::new();
    cls::set_size(&mut op, size);
    ictx.io.exec(&ictx.header_object(), op).await?;
    refresh(ictx).await
}

/// Clones snapshot `snap` of `parent` into a new image (clone format 2:
/// the parent snapshot need not be protected; the child is recorded in the
/// snapshot's child list).
pub async fn clone(
    parent: &ImageCtx,
    snap: &str,
    io: &IoCtx,
    name: &str,
    id: &str,
    opts: &CreateOptions,
) -> Result<(), Errno> {
    if parent.features & RBD_FEATURE_LAYERING == 0 || opts.features & RBD_FEATURE_LAYERING == 0 {
        return Err(Errno::ENOSYS);
    }
    let snap_id = snap_by_name(parent, snap)?;
    let size = parent.size_at(snap_id)?;
    let opts = CreateOptions {
        size,
        order: if opts.order == 0 { parent.layout.object_size().trailing_zeros() as u8 } else { opts.order },
        ..opts.clone()
    };
    create(io, name, id, &opts).await?;
    let spec = ParentImageSpec {
        pool_id: parent.io.pool,
        pool_namespace: parent.io.namespace.clone(),
        image_id: parent.id.clone(),
        snap_id,
    };
    let mut op = ObjectOperation::new();
    cls::parent_attach(&mut op, &spec, size, false);
    cls::op_features_set(&mut op, RBD_OPERATION_FEATURE_CLONE_CHILD, RBD_OPERATION_FEATURE_CLONE_CHILD);
    let attached = io.exec(&naming::header_object(id), op).await;
    let child = ChildImageSpec { pool_id: io.pool, pool_namespace: io.namespace.clone(), image_id: String::from(id) };
    let mut op = ObjectOperation::new();
    cls::child_attach(&mut op, snap_id, &child);
    let registered = match attached {
        Ok(_) => parent.io.exec(&parent.header_object(), op).await.map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = registered {
        let _ = remove(io, name).await;
        return Err(e);
    }
    Ok(())
}

/// Copies up everything the parent still backs and detaches the parent.
pub async fn flatten(ictx: &mut ImageCtx) -> Result<(), Errno> {
    // librbd's order: a read-only open, then no parent, then the rest.
    if ictx.read_only {
        return Err(Errno::EROFS);
    }
    let Some(parent) = ictx.parent_info.clone() else {
        return Err(Errno::EINVAL);
    };
    let _lock = ictx.prepare_write().await?;
    flatten_objects(ictx).await?;
    let mut op = ObjectOperation::new();
    cls::parent_detach(&mut op);
    cls::op_features_set(&mut op, 0, RBD_OPERATION_FEATURE_CLONE_CHILD);
    ictx.io.exec(&ictx.header_object(), op).await?;
    refresh(ictx).await?;
    if ictx.parent.is_none() {
        detach_child(ictx, &parent.spec).await?;
    }
    Ok(())
}

/// Removes image `name`: refused while it has snapshots (-ENOTEMPTY).
pub async fn remove(io: &IoCtx, name: &str) -> Result<(), Errno> {
    remove_reporting(io, name, &|_, _| {}).await
}

/// [`remove`], reporting the data objects removed to `report`.
pub async fn remove_reporting(io: &IoCtx, name: &str, report: &(dyn Fn(u64, u64) + Send + Sync)) -> Result<(), Errno> {
    let ictx = open(io, name, None, false).await?;
    let result = remove_opened(io, Some(name), &ictx, report).await;
    let _ = super::open::close(&ictx).await;
    result
}

/// Removes an open image; without a name (an image in the trash) its
/// directory entry and id object are gone already.
pub(crate) async fn remove_opened(
    io: &IoCtx,
    name: Option<&str>,
    ictx: &ImageCtx,
    report: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<(), Errno> {
    if !ictx.snaps.is_empty() {
        return Err(Errno::ENOTEMPTY);
    }
    // Another open of the image (anyone but us watching) keeps it: -EBUSY.
    let others =
        super::watchers::list(ictx).await?.into_iter().filter(|w| w.cookie != ictx.runtime.watch_handle).count();
    if others > 0 {
        return Err(Errno::EBUSY);
    }
    let _lock = ictx.prepare_write().await?;
    if let Some(parent) = &ictx.parent_info {
        detach_child(ictx, &parent.spec).await?;
    }
    super::operation::remove_objects_reporting(ictx, ictx.size, report).await?;
    super::exclusive_lock::release(ictx).await?;
    let remove_object = |oid: String| async move {
        let mut op = ObjectOperation::new();
        op.remove();
        match io.exec(&oid, op).await {
            Ok(_) | Err(Errno::ENOENT) => Ok(()),
            Err(e) => Err(e),
        }
    };
    remove_object(naming::object_map_object(&ictx.id, None)).await?;
    remove_object(ictx.header_object()).await?;
    let Some(name) = name else { return Ok(()) };
    let mut op = ObjectOperation::new();
    cls::dir_remove_image(&mut op, name, &ictx.id);
    io.exec(naming::RBD_DIRECTORY, op).await?;
    remove_object(naming::id_object(name)).await
}

/// Renames image `from` to `to` in the same pool.
pub async fn rename(io: &IoCtx, from: &str, to: &str) -> Result<(), Errno> {
    if to.is_empty() || to.len() > naming::RBD_MAX_OBJ_NAME_SIZE {
        return Err(Errno::EINVAL);
    }
    let id = image_id(io, from).await?;
    let mut op = ObjectOperation::new();
    op.create(true);
    cls::set_id(&mut op, &id);
    io.exec(&naming::id_object(to), op).await?;
    let mut op = ObjectOperation::new();
    cls::dir_rename_image(&mut op, from, to, &id);
    if let Err(e) = io.exec(naming::RBD_DIRECTORY, op).await {
        let mut op = ObjectOperation::new();
        op.remove();
        let _ = io.exec(&naming::id_object(to), op).await;
        return Err(e);
    }
    let mut op = ObjectOperation::new();
    op.remove();
    io.exec(&naming::id_object(from), op).await.map(|_| ())
}

/// Every image in the pool's namespace: name -> id, in name order.
pub async fn list(io: &IoCtx) -> Result<BTreeMap<String, String>, Errno> {
    const PAGE: u64 = 1024;
    let mut images = BTreeMap::new();
    let mut start = String::new();
    loop {
        let mut op = ObjectOperation::new();
        cls::dir_list(&mut op, &start, PAGE);
        let page = match io.read_head(naming::RBD_DIRECTORY, op).await {
            Ok(reply) => cls::dir_list_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)?,
            Err(Errno::ENOENT) => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        let last = page.keys().next_back().cloned();
        let full = page.len() as u64 == PAGE;
        images.extend(page);
        match last {
            Some(last) if full => start = last,
            _ => return Ok(images),
        }
    }
}

/// The images cloned from snapshot `snap` of `ictx`, as (pool, namespace, id).
pub async fn list_children(ictx: &ImageCtx, snap: SnapId) -> Result<Vec<ChildImageSpec>, Errno> {
    super::snapshot::children(ictx, snap).await
}
