//! Opening an image and refreshing what it knows (librbd's
//! image::OpenRequest and image::RefreshRequest), for format 2.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;

use super::create::SUPPORTED_FEATURES;
use super::{DiscardPolicy, ImageCtx, ImageRuntime, IoCtx, ParentInfo, SnapInfo};
use crate::cls::rbd::client as cls;
use crate::cls::rbd::types::*;
use crate::naming;
use crate::osd::{ObjectOperation, SnapContext, SnapId};
use crate::striper::Layout;
use crate::Errno;

/// Clones of clones deeper than this are refused rather than followed,
/// so a corrupt parent link cannot loop forever.
pub const MAX_PARENT_DEPTH: usize = 32;

fn bad(_: crate::encoding::DecodeError) -> Errno {
    Errno::EBADMSG
}

/// The id of image `name` (rbd_id.<name>).
pub async fn image_id(io: &IoCtx, name: &str) -> Result<String, Errno> {
    let mut op = ObjectOperation::new();
    cls::get_id(&mut op);
    let reply = io.read_head(&naming::id_object(name), op).await?;
    cls::get_id_finish(reply.out(0)?).map_err(bad)
}

/// Opens image `name`, at the snapshot named `snap` if given.
pub async fn open(io: &IoCtx, name: &str, snap: Option<&str>, read_only: bool) -> Result<ImageCtx, Errno> {
    let id = image_id(io, name).await?;
    let ictx = open_by_id(io.clone(), String::from(name), id, read_only || snap.is_some(), 0).await?;
    at_snap(ictx, snap).await
}

/// Points a fresh open at snapshot `snap`; a missing one closes it again
/// (its header watch must not outlive the failed open).
async fn at_snap(mut ictx: ImageCtx, snap: Option<&str>) -> Result<ImageCtx, Errno> {
    if let Some(snap) = snap {
        ictx.snap_id = match snap_by_name(&ictx, snap) {
            Ok(id) => id,
            Err(e) => {
                let _ = close(&ictx).await;
                return Err(e);
            }
        };
    }
    Ok(ictx)
}

/// Opens the image with id `id` (rbd_open_by_id): its name comes from
/// the directory, empty when it is not listed there (a trashed image).
pub async fn open_id(io: &IoCtx, id: &str, snap: Option<&str>, read_only: bool) -> Result<ImageCtx, Errno> {
    let mut op = ObjectOperation::new();
    cls::dir_get_name(&mut op, id);
    let name = match io.read_head(naming::RBD_DIRECTORY, op).await {
        Ok(reply) => cls::dir_get_name_finish(reply.out(0)?).map_err(bad)?,
        Err(Errno::ENOENT) => String::new(),
        Err(e) => return Err(e),
    };
    let ictx = open_by_id(io.clone(), name, String::from(id), read_only || snap.is_some(), 0).await?;
    at_snap(ictx, snap).await
}

/// rbd_snap_set_by_id: any snapshot (of any namespace) or the head.
pub fn set_snap_id(ictx: &mut ImageCtx, snap: SnapId) -> Result<(), Errno> {
    if !snap.is_head() && !ictx.snaps.contains_key(&snap.0) {
        return Err(Errno::ENOENT);
    }
    ictx.snap_id = snap;
    Ok(())
}

/// A user snapshot by name, as librbd looks names up (the trash and
/// other namespaces have their own).
pub fn user_snap_by_name(ictx: &ImageCtx, name: &str) -> Result<SnapId, Errno> {
    ictx.snaps
        .iter()
        .find(|(_, s)| s.name == name && s.namespace == SnapshotNamespace::User)
        .map(|(&id, _)| SnapId(id))
        .ok_or(Errno::ENOENT)
}

/// rbd_snap_set: read from snapshot `name` from now on (None: the head).
pub fn set_snap(ictx: &mut ImageCtx, name: Option<&str>) -> Result<(), Errno> {
    ictx.snap_id = match name {
        Some(name) => snap_by_name(ictx, name)?,
        None => SnapId::HEAD,
    };
    Ok(())
}

pub fn snap_by_name(ictx: &ImageCtx, name: &str) -> Result<SnapId, Errno> {
    ictx.snaps.iter().find(|(_, s)| s.name == name).map(|(&id, _)| SnapId(id)).ok_or(Errno::ENOENT)
}

/// Boxed: opening a clone opens its parent, and so on up the chain.
pub fn open_by_id(
    io: IoCtx,
    name: String,
    id: String,
    read_only: bool,
    depth: usize,
) -> core::pin::Pin<Box<dyn core::future::Future<Output = Result<ImageCtx, Errno>> + Send>> {
    Box::pin(async move {
        if depth > MAX_PARENT_DEPTH {
            return Err(Errno::ELOOP);
        }
        let header = naming::header_object(&id);
        // What never changes after create.
        let mut op = ObjectOperation::new();
        cls::get_size(&mut op, SnapId::HEAD);
        cls::get_object_prefix(&mut op);
        cls::get_features(&mut op, read_only);
        cls::get_data_pool(&mut op);
        let reply = io.read_head(&header, op).await?;
        let order = cls::get_size_finish(reply.out(0)?).map_err(bad)?.order;
        let object_prefix = cls::get_object_prefix_finish(reply.out(1)?).map_err(bad)?;
        let features = cls::get_features_finish(reply.out(2)?).map_err(bad)?.features;
        let data_pool = cls::get_data_pool_finish(reply.out(3)?).map_err(bad)?;
        // Only a fancy-striped header has (and answers for) a stripe layout.
        let (stripe_unit, stripe_count) = if features & RBD_FEATURE_STRIPINGV2 != 0 {
            let mut op = ObjectOperation::new();
            cls::get_stripe_unit_count(&mut op);
            let striping = cls::get_stripe_unit_count_finish(io.read_head(&header, op).await?.out(0)?).map_err(bad)?;
            (striping.stripe_unit, striping.stripe_count)
        } else {
            (1u64 << order.min(63), 1)
        };
        let layout = Layout::from_parts(1 << order.min(63), stripe_unit, stripe_count).map_err(|e| e.errno())?;
        let handle = io.dispatcher.allocate_handle();
        let data_io = if data_pool >= 0 { io.with_pool(data_pool, io.namespace.clone()) } else { io.clone() };
        let mut ictx = ImageCtx {
            io,
            data_io,
            name,
            id,
            object_prefix,
            layout,
            size: 0,
            features: 0,
            flags: 0,
            snapc: SnapContext::default(),
            snaps: BTreeMap::new(),
            parent_info: None,
            parent: None,
            snap_id: SnapId::HEAD,
            read_only,
            discard: DiscardPolicy::default(),
            runtime: Arc::new(ImageRuntime::new(handle)),
            header_seen: 0,
        };
        refresh_at_depth(&mut ictx, depth).await?;
        // Watching the header tells peers (and lock breakers) we are alive.
        if depth == 0 {
            super::exclusive_lock::watch(&ictx).await?;
        }
        Ok(ictx)
    })
}

/// Closes an open image: releases the exclusive lock (and the object
/// map's) and stops watching the header.
pub async fn close(ictx: &ImageCtx) -> Result<(), Errno> {
    let released = super::exclusive_lock::release(ictx).await;
    super::exclusive_lock::unwatch(ictx).await?;
    released
}

/// Re-reads what may change under an open image: size, features, snapshots,
/// the parent link.
pub async fn refresh(ictx: &mut ImageCtx) -> Result<(), Errno> {
    refresh_at_depth(ictx, 0).await
}

async fn refresh_at_depth(ictx: &mut ImageCtx, depth: usize) -> Result<(), Errno> {
    // Read before the header: an update that lands meanwhile leaves us stale.
    let header_seen = ictx.runtime.header_version();
    let header = ictx.header_object();
    let mut op = ObjectOperation::new();
    cls::get_size(&mut op, SnapId::HEAD);
    cls::get_features(&mut op, ictx.read_only);
    cls::get_snapcontext(&mut op);
    cls::parent_get(&mut op);
    cls::parent_overlap_get(&mut op, SnapId::HEAD);
    cls::get_flags(&mut op, SnapId::HEAD);
    let reply = ictx.io.read_head(&header, op).await?;
    let size = cls::get_size_finish(reply.out(0)?).map_err(bad)?.size;
    let features = cls::get_features_finish(reply.out(1)?).map_err(bad)?;
    let snapc = cls::get_snapcontext_finish(reply.out(2)?).map_err(bad)?;
    let parent_spec = cls::parent_get_finish(reply.out(3)?).map_err(bad)?;
    let head_overlap = cls::parent_overlap_get_finish(reply.out(4)?).map_err(bad)?;
    let flags = cls::get_flags_finish(reply.out(5)?).map_err(bad)?;
    if features.incompatible & !SUPPORTED_FEATURES != 0 && !ictx.read_only {
        // librbd refuses to write what it does not understand.
        return Err(Errno::ENOSYS);
    }
    if !snapc.is_valid() {
        return Err(Errno::EBADMSG);
    }

    let mut snaps = BTreeMap::new();
    for &snap in &snapc.snaps {
        let mut op = ObjectOperation::new();
        cls::snapshot_get(&mut op, SnapId(snap));
        cls::parent_overlap_get(&mut op, SnapId(snap));
        let reply = ictx.io.read_head(&header, op).await?;
        let info = cls::snapshot_get_finish(reply.out(0)?).map_err(bad)?;
        let overlap = cls::parent_overlap_get_finish(reply.out(1)?).map_err(bad)?;
        let parent =
            overlap.filter(|_| parent_spec.exists()).map(|overlap| ParentInfo { spec: parent_spec.clone(), overlap });
        snaps.insert(
            snap,
            SnapInfo {
                name: info.name,
                size: info.image_size,
                parent,
                namespace: info.snapshot_namespace,
                timestamp: info.timestamp,
            },
        );
    }

    let parent_info =
        head_overlap.filter(|_| parent_spec.exists()).map(|overlap| ParentInfo { spec: parent_spec.clone(), overlap });
    let needs_parent = parent_spec.exists() && (parent_info.is_some() || snaps.values().any(|s| s.parent.is_some()));
    let same_parent =
        ictx.parent.as_ref().is_some_and(|p| p.id == parent_spec.image_id && p.snap_id == parent_spec.snap_id);
    if needs_parent && !same_parent {
        let parent_io = ictx.io.with_pool(parent_spec.pool_id, parent_spec.pool_namespace.clone());
        // Its name, for rbd_get_parent_info; the id will do if unlisted.
        let mut op = ObjectOperation::new();
        cls::dir_get_name(&mut op, &parent_spec.image_id);
        let name = match parent_io.read_head(naming::RBD_DIRECTORY, op).await {
            Ok(reply) => reply.out(0).ok().and_then(|out| cls::dir_get_name_finish(out).ok()),
            Err(_) => None,
        };
        let name = name.unwrap_or_else(|| parent_spec.image_id.clone());
        let mut parent = open_by_id(parent_io, name, parent_spec.image_id.clone(), true, depth + 1).await?;
        if !parent.snaps.contains_key(&parent_spec.snap_id.0) {
            return Err(Errno::ENOENT);
        }
        parent.snap_id = parent_spec.snap_id;
        ictx.parent = Some(Arc::new(parent));
    } else if !needs_parent {
        ictx.parent = None;
    }
    ictx.size = size;
    ictx.features = features.features;
    ictx.flags = flags;
    ictx.snapc = snapc;
    ictx.snaps = snaps;
    ictx.parent_info = parent_info;
    ictx.header_seen = header_seen;
    if !ictx.snap_id.is_head() && !ictx.snaps.contains_key(&ictx.snap_id.0) {
        return Err(Errno::ENOENT);
    }
    Ok(())
}
