//! Keeping the object map (librbd's ObjectMap and object_map/*Request):
//! which objects may exist, so that fast-diff, export and discard can skip
//! the rest. The lock owner loads the HEAD map when it takes the exclusive
//! lock, updates it around every object write (before the IO for a write,
//! after it for a remove), and snapshots, resizes and rolls it back with
//! the image. A map that cannot be kept is flagged invalid, never wrong.

use alloc::string::String;

use super::ImageCtx;
use crate::cls::rbd::client as cls;
use crate::cls::rbd::object_map as map_cls;
use crate::cls::rbd::types::{RBD_FEATURE_OBJECT_MAP, RBD_FLAG_OBJECT_MAP_INVALID};
use crate::naming;
use crate::object_map::{self, ObjectMap, WriteAction, OBJECT_NONEXISTENT};
use crate::osd::{ObjectOperation, SnapContext, SnapId};
use crate::Errno;

fn enabled(ictx: &ImageCtx) -> bool {
    ictx.features & RBD_FEATURE_OBJECT_MAP != 0
}

fn map_object(ictx: &ImageCtx, snap: Option<u64>) -> String {
    naming::object_map_object(&ictx.id, snap)
}

/// Creates the HEAD map of a new image: every object nonexistent.
pub async fn create(ictx: &ImageCtx) -> Result<(), Errno> {
    if !enabled(ictx) {
        return Ok(());
    }
    let mut op = ObjectOperation::new();
    map_cls::object_map_resize(&mut op, object_map::object_count(&ictx.layout, ictx.size), OBJECT_NONEXISTENT);
    ictx.io.exec(&map_object(ictx, None), op).await.map(|_| ())
}

/// Takes the map's own lock and loads it (on acquiring the exclusive lock).
pub async fn open(ictx: &ImageCtx) -> Result<(), Errno> {
    if !enabled(ictx) {
        return Ok(());
    }
    let oid = map_object(ictx, None);
    let mut op = ObjectOperation::new();
    map_cls::lock_map(&mut op);
    if ictx.io.exec(&oid, op).await.is_err() {
        // A dead owner's lock on the map: librbd breaks it and retries.
        let mut op = ObjectOperation::new();
        crate::cls::lock::break_lock(&mut op, crate::cls::lock::RBD_LOCK_NAME, "", any_locker(ictx, &oid).await?);
        let _ = ictx.io.exec(&oid, op).await;
        let mut op = ObjectOperation::new();
        map_cls::lock_map(&mut op);
        ictx.io.exec(&oid, op).await?;
    }
    let count = object_map::object_count(&ictx.layout, ictx.size);
    let mut op = ObjectOperation::new();
    map_cls::object_map_load(&mut op);
    let loaded = match ictx.io.read_head(&oid, op).await {
        Ok(reply) => map_cls::object_map_load_finish(reply.out(0)?).ok(),
        Err(Errno::ENOENT) => None,
        Err(e) => return Err(e),
    };
    let map = match loaded {
        Some(bits) if bits.len() == count => ObjectMap::new(bits),
        // Missing, corrupt or the wrong size: start over and say so.
        _ => {
            invalidate(ictx).await?;
            let mut op = ObjectOperation::new();
            op.truncate(0);
            map_cls::object_map_resize(&mut op, count, OBJECT_NONEXISTENT);
            ictx.io.exec(&oid, op).await?;
            let mut op = ObjectOperation::new();
            map_cls::object_map_load(&mut op);
            let reply = ictx.io.read_head(&oid, op).await?;
            ObjectMap::new(map_cls::object_map_load_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)?)
        }
    };
    *ictx.runtime.object_map.lock() = Some(map);
    Ok(())
}

async fn any_locker(ictx: &ImageCtx, oid: &str) -> Result<crate::cls::lock::EntityName, Errno> {
    let mut op = ObjectOperation::new();
    crate::cls::lock::get_info(&mut op, crate::cls::lock::RBD_LOCK_NAME);
    let reply = ictx.io.read_head(oid, op).await?;
    let info = crate::cls::lock::get_info_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)?;
    info.lockers.keys().next().map(|l| l.locker).ok_or(Errno::EBUSY)
}

pub async fn close(ictx: &ImageCtx) -> Result<(), Errno> {
    if ictx.runtime.object_map.lock().take().is_none() {
        return Ok(());
    }
    let mut op = ObjectOperation::new();
    map_cls::unlock_map(&mut op);
    match ictx.io.exec(&map_object(ictx, None), op).await {
        Ok(_) | Err(Errno::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Flags the map invalid in the header, so that nobody trusts it.
async fn invalidate(ictx: &ImageCtx) -> Result<(), Errno> {
    let mut op = ObjectOperation::new();
    cls::set_flags(&mut op, SnapId::HEAD, RBD_FLAG_OBJECT_MAP_INVALID, RBD_FLAG_OBJECT_MAP_INVALID);
    ictx.io.exec(&ictx.header_object(), op).await.map(|_| ())
}

async fn update(ictx: &ImageCtx, object_no: u64, new: u8, current: Option<u8>) -> Result<(), Errno> {
    let needed = match &*ictx.runtime.object_map.lock() {
        Some(map) => map.update_required(object_no, object_no + 1, new),
        None => false,
    };
    if !needed {
        return Ok(());
    }
    let mut op = ObjectOperation::new();
    map_cls::update_head(&mut op, object_no, object_no + 1, new, current);
    ictx.io.exec(&map_object(ictx, None), op).await?;
    if let Some(map) = &mut *ictx.runtime.object_map.lock() {
        map.apply_update(object_no, object_no + 1, new, current);
    }
    Ok(())
}

/// Whether the IO can be skipped: the map knows the object does not exist
/// and the action would not change that.
pub fn skip(ictx: &ImageCtx, object_no: u64, action: WriteAction, has_parent: bool) -> bool {
    match &*ictx.runtime.object_map.lock() {
        Some(map) => !map.object_may_exist(object_no) && object_map::is_no_op_for_nonexistent(action, has_parent),
        None => false,
    }
}

/// Before an object write: claim the object may exist (or is going).
pub async fn pre_write(ictx: &ImageCtx, object_no: u64, action: WriteAction) -> Result<(), Errno> {
    update(ictx, object_no, object_map::pre_write_state(action), None).await
}

/// After a successful object write: a removed object is gone.
pub async fn post_write(ictx: &ImageCtx, object_no: u64, action: WriteAction) -> Result<(), Errno> {
    match object_map::post_write_update(action) {
        Some((new, current)) => update(ictx, object_no, new, Some(current)).await,
        None => Ok(()),
    }
}

/// Snapshot create: keep the HEAD map as the snapshot's, then mark
/// everything in HEAD clean (object_map_snap_add).
pub async fn snapshot_add(ictx: &ImageCtx, snap: u64) -> Result<(), Errno> {
    let Some(current) = ictx.runtime.object_map.lock().clone() else {
        return Ok(());
    };
    let mut op = ObjectOperation::new();
    map_cls::object_map_save(&mut op, current.bit_vector());
    ictx.io.exec(&map_object(ictx, Some(snap)), op).await?;
    let mut op = ObjectOperation::new();
    map_cls::assert_map_locked(&mut op);
    map_cls::object_map_snap_add(&mut op);
    ictx.io.exec(&map_object(ictx, None), op).await?;
    if let Some(map) = &mut *ictx.runtime.object_map.lock() {
        map.apply_snapshot_add();
    }
    Ok(())
}

/// Snapshot remove: fold the snapshot's map into HEAD's clean bits and
/// drop its object.
pub async fn snapshot_remove(ictx: &ImageCtx, snap: u64) -> Result<(), Errno> {
    let oid = map_object(ictx, Some(snap));
    if ictx.runtime.object_map.lock().is_some() {
        let mut op = ObjectOperation::new();
        map_cls::object_map_load(&mut op);
        if let Ok(reply) = ictx.io.read_head(&oid, op).await {
            if let Ok(removed) = map_cls::object_map_load_finish(reply.out(0)?) {
                let mut op = ObjectOperation::new();
                map_cls::assert_map_locked(&mut op);
                map_cls::object_map_snap_remove(&mut op, &removed);
                ictx.io.exec(&map_object(ictx, None), op).await?;
                if let Some(map) = &mut *ictx.runtime.object_map.lock() {
                    map.apply_snapshot_remove(&removed);
                }
            }
        }
    }
    let mut op = ObjectOperation::new();
    op.remove();
    match ictx.io.exec(&oid, op).await {
        Ok(_) | Err(Errno::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Resize: the map follows the image's object count.
pub async fn resize(ictx: &ImageCtx, size: u64) -> Result<(), Errno> {
    if ictx.runtime.object_map.lock().is_none() {
        return Ok(());
    }
    let count = object_map::object_count(&ictx.layout, size);
    let mut op = ObjectOperation::new();
    map_cls::assert_map_locked(&mut op);
    map_cls::object_map_resize(&mut op, count, OBJECT_NONEXISTENT);
    ictx.io.exec(&map_object(ictx, None), op).await?;
    if let Some(map) = &mut *ictx.runtime.object_map.lock() {
        map.resize(count, OBJECT_NONEXISTENT);
    }
    Ok(())
}

/// Rollback: HEAD's map becomes the snapshot's.
pub async fn rollback(ictx: &ImageCtx, snap: u64) -> Result<(), Errno> {
    if ictx.runtime.object_map.lock().is_none() {
        return Ok(());
    }
    let mut op = ObjectOperation::new();
    map_cls::object_map_load(&mut op);
    let reply = ictx.io.read_head(&map_object(ictx, Some(snap)), op).await?;
    let bits = map_cls::object_map_load_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)?;
    let mut op = ObjectOperation::new();
    map_cls::assert_map_locked(&mut op);
    map_cls::object_map_save(&mut op, &bits);
    ictx.io.write(&map_object(ictx, None), &SnapContext::default(), op).await.errno()?;
    *ictx.runtime.object_map.lock() = Some(ObjectMap::new(bits));
    Ok(())
}
