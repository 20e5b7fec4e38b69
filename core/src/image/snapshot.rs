//! Snapshot operations (librbd's operation/Snapshot*Request).

use alloc::vec::Vec;

use super::open::{refresh, snap_by_name};
use super::operation::rollback_objects;
use super::quiesce;
use super::ImageCtx;
use crate::cls::rbd::client as cls;
use crate::cls::rbd::types::*;
use crate::naming::RBD_CHILDREN;
use crate::osd::{ObjectOperation, SnapId};
use crate::Errno;

/// Creates snapshot `name`; its id comes from the data pool, as librbd's.
pub async fn create(ictx: &mut ImageCtx, name: &str) -> Result<u64, Errno> {
    let _lock = ictx.prepare_write().await?;
    if name.is_empty() {
        return Err(Errno::EINVAL);
    }
    if snap_by_name(ictx, name).is_ok() {
        return Err(Errno::EEXIST);
    }
    // As librbd: quiesce every open's applications, snapshot, resume them.
    let (request, quiesced) = quiesce::notify_quiesce(ictx, quiesce::QUIESCE_NOTIFICATION_ATTEMPTS).await;
    let result = match quiesced {
        Ok(()) => add_snapshot(ictx, name).await,
        Err(e) => Err(e),
    };
    quiesce::notify_unquiesce(ictx, request).await;
    result
}

async fn add_snapshot(ictx: &mut ImageCtx, name: &str) -> Result<u64, Errno> {
    let id = ictx.data_io.create_snap().await?;
    let mut op = ObjectOperation::new();
    cls::snapshot_add(&mut op, SnapId(id), name, &SnapshotNamespace::User);
    if let Err(e) = ictx.io.exec(&ictx.header_object(), op).await {
        let _ = ictx.data_io.remove_snap(id).await;
        return Err(e);
    }
    super::object_map::snapshot_add(ictx, id).await?;
    refresh(ictx).await?;
    Ok(id)
}

/// Removes snapshot `name`: refused while it is protected or has clones.
pub async fn remove(ictx: &mut ImageCtx, name: &str) -> Result<(), Errno> {
    let _lock = ictx.prepare_write().await?;
    let snap = snap_by_name(ictx, name)?;
    remove_locked(ictx, snap).await
}

/// Removes the snapshot with id `snap`, of any namespace (a trashed one
/// too, once its clones are gone).
pub async fn remove_by_id(ictx: &mut ImageCtx, snap: SnapId) -> Result<(), Errno> {
    let _lock = ictx.prepare_write().await?;
    if !ictx.snaps.contains_key(&snap.0) {
        return Err(Errno::ENOENT);
    }
    remove_locked(ictx, snap).await
}

async fn remove_locked(ictx: &mut ImageCtx, snap: SnapId) -> Result<(), Errno> {
    let mut op = ObjectOperation::new();
    cls::snapshot_remove(&mut op, snap);
    ictx.io.exec(&ictx.header_object(), op).await?;
    super::object_map::snapshot_remove(ictx, snap.0).await?;
    ictx.data_io.remove_snap(snap.0).await?;
    let parent = ictx.snaps.get(&snap.0).and_then(|s| s.parent.clone());
    refresh(ictx).await?;
    // The last reference to the parent went with it: leave its child list.
    if let Some(parent) = parent {
        if ictx.parent.is_none() {
            detach_child(ictx, &parent.spec).await?;
        }
    }
    Ok(())
}

/// Takes this image off its parent snapshot's list of clones
/// (child_detach), once nothing of it reads through to the parent.
pub(crate) async fn detach_child(ictx: &ImageCtx, spec: &ParentImageSpec) -> Result<(), Errno> {
    let parent_io = ictx.io.with_pool(spec.pool_id, spec.pool_namespace.clone());
    let child =
        ChildImageSpec { pool_id: ictx.io.pool, pool_namespace: ictx.io.namespace.clone(), image_id: ictx.id.clone() };
    let mut op = ObjectOperation::new();
    cls::child_detach(&mut op, spec.snap_id, &child);
    match parent_io.exec(&crate::naming::header_object(&spec.image_id), op).await {
        Ok(_) | Err(Errno::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

pub async fn rename(ictx: &mut ImageCtx, from: &str, to: &str) -> Result<(), Errno> {
    let _lock = ictx.prepare_write().await?;
    let snap = snap_by_name(ictx, from)?;
    if snap_by_name(ictx, to).is_ok() {
        return Err(Errno::EEXIST);
    }
    let mut op = ObjectOperation::new();
    cls::snapshot_rename(&mut op, snap, to);
    ictx.io.exec(&ictx.header_object(), op).await?;
    refresh(ictx).await
}

pub async fn protect(ictx: &mut ImageCtx, name: &str) -> Result<(), Errno> {
    let _lock = ictx.prepare_write().await?;
    if ictx.features & RBD_FEATURE_LAYERING == 0 {
        return Err(Errno::ENOSYS);
    }
    let snap = snap_by_name(ictx, name)?;
    if is_protected(ictx, snap).await? {
        return Err(Errno::EBUSY);
    }
    set_protection(ictx, snap, RBD_PROTECTION_STATUS_PROTECTED).await
}

/// Refused with -EBUSY while clones of the snapshot exist.
pub async fn unprotect(ictx: &mut ImageCtx, name: &str) -> Result<(), Errno> {
    let _lock = ictx.prepare_write().await?;
    let snap = snap_by_name(ictx, name)?;
    if !is_protected(ictx, snap).await? {
        return Err(Errno::EINVAL);
    }
    if !children(ictx, snap).await?.is_empty() {
        return Err(Errno::EBUSY);
    }
    set_protection(ictx, snap, RBD_PROTECTION_STATUS_UNPROTECTED).await
}

async fn set_protection(ictx: &ImageCtx, snap: SnapId, status: u8) -> Result<(), Errno> {
    let mut op = ObjectOperation::new();
    cls::set_protection_status(&mut op, snap, status);
    ictx.io.exec(&ictx.header_object(), op).await.map(|_| ())
}

pub async fn is_protected(ictx: &ImageCtx, snap: SnapId) -> Result<bool, Errno> {
    let mut op = ObjectOperation::new();
    cls::get_protection_status(&mut op, snap);
    let reply = ictx.io.read_head(&ictx.header_object(), op).await?;
    let status = cls::get_protection_status_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)?;
    Ok(status == RBD_PROTECTION_STATUS_PROTECTED)
}

/// The clones of one of this image's snapshots: clone v2's children_list
/// on the header, then clone v1's `rbd_children` in the parent's pool.
pub async fn children(ictx: &ImageCtx, snap: SnapId) -> Result<Vec<ChildImageSpec>, Errno> {
    let mut op = ObjectOperation::new();
    cls::children_list(&mut op, snap);
    let mut out: Vec<ChildImageSpec> = match ictx.io.read_head(&ictx.header_object(), op).await {
        Ok(reply) => cls::children_list_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)?.into_iter().collect(),
        Err(Errno::ENOENT) => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut op = ObjectOperation::new();
    cls::get_children(&mut op, ictx.io.pool, &ictx.id, snap);
    match ictx.io.read_head(RBD_CHILDREN, op).await {
        Ok(reply) => {
            let ids = cls::get_children_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)?;
            out.extend(ids.into_iter().map(|image_id| ChildImageSpec {
                pool_id: ictx.io.pool,
                pool_namespace: ictx.io.namespace.clone(),
                image_id,
            }));
        }
        Err(Errno::ENOENT) => {}
        Err(e) => return Err(e),
    }
    Ok(out)
}

/// Makes the head what snapshot `name` was: objects, size and parent
/// overlap.
pub async fn rollback(ictx: &mut ImageCtx, name: &str) -> Result<(), Errno> {
    let _lock = ictx.prepare_write().await?;
    let snap = snap_by_name(ictx, name)?;
    let info = ictx.snaps[&snap.0].clone();
    rollback_objects(ictx, snap.0, ictx.size.max(info.size)).await?;
    super::object_map::rollback(ictx, snap.0).await?;
    let mut op = ObjectOperation::new();
    cls::set_size(&mut op, info.size);
    // The head reads through to the parent exactly as the snapshot did.
    match (&info.parent, &ictx.parent_info) {
        (Some(parent), _) => cls::parent_attach(&mut op, &parent.spec, parent.overlap, true),
        (None, Some(_)) => cls::parent_detach(&mut op),
        (None, None) => {}
    }
    ictx.io.exec(&ictx.header_object(), op).await?;
    refresh(ictx).await
}
