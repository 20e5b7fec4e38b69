//! The image trash (librbd's api::Trash, trash::MoveRequest and
//! trash::RemoveRequest): images parked in `rbd_trash` under their id,
//! restorable until their deferment ends, then removable.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::open::{close, open_by_id};
use super::IoCtx;
use crate::cls::rbd::client as cls;
use crate::cls::rbd::types::*;
use crate::encoding::UtcTime;
use crate::naming::{self, RBD_DIRECTORY, RBD_TRASH};
use crate::osd::ObjectOperation;
use crate::Errno;

/// What rbd_trash_restore accepts (Trash::ALLOWED_RESTORE_SOURCES).
pub const RESTORE_SOURCES: &[u8] =
    &[TRASH_IMAGE_SOURCE_USER, TRASH_IMAGE_SOURCE_MIRRORING, TRASH_IMAGE_SOURCE_USER_PARENT];

pub(crate) fn bad(_: crate::encoding::DecodeError) -> Errno {
    Errno::EBADMSG
}

pub(crate) async fn remove_object(io: &IoCtx, oid: &str) -> Result<(), Errno> {
    let mut op = ObjectOperation::new();
    op.remove();
    io.exec(oid, op).await.map(drop)
}

/// Every entry, by image id; an image being removed by rbd_remove (source
/// REMOVING) is left out when `hide_removing`.
pub async fn list(io: &IoCtx, hide_removing: bool) -> Result<BTreeMap<String, TrashImageSpec>, Errno> {
    const PAGE: u64 = 1024;
    let mut out = BTreeMap::new();
    let mut last = String::new();
    loop {
        let mut op = ObjectOperation::new();
        cls::trash_list(&mut op, &last, PAGE);
        let page = match io.read_head(RBD_TRASH, op).await {
            Ok(reply) => cls::trash_list_finish(reply.out(0)?).map_err(bad)?,
            Err(Errno::ENOENT) => break,
            Err(e) => return Err(e),
        };
        let Some(next) = page.keys().next_back().cloned() else { break };
        let full = page.len() as u64 >= PAGE;
        out.extend(page.into_iter().filter(|(_, s)| !hide_removing || s.source != TRASH_IMAGE_SOURCE_REMOVING));
        if !full {
            break;
        }
        last = next;
    }
    Ok(out)
}

pub async fn get(io: &IoCtx, id: &str) -> Result<TrashImageSpec, Errno> {
    let mut op = ObjectOperation::new();
    cls::trash_get(&mut op, id);
    let reply = io.read_head(RBD_TRASH, op).await?;
    cls::trash_get_finish(reply.out(0)?).map_err(bad)
}

async fn set_state(io: &IoCtx, id: &str, state: u8, expect: u8) -> Result<(), Errno> {
    let mut op = ObjectOperation::new();
    cls::trash_state_set(&mut op, id, state, expect);
    match io.exec(RBD_TRASH, op).await {
        Ok(_) | Err(Errno::EOPNOTSUPP) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Moves image `name` to the trash, restorable for `delay` seconds.
pub async fn move_image(io: &IoCtx, name: &str, source: u8, delay: u64) -> Result<(), Errno> {
    let mut op = ObjectOperation::new();
    cls::dir_get_id(&mut op, name);
    let id = match io.read_head(RBD_DIRECTORY, op).await {
        Ok(reply) => cls::dir_get_id_finish(reply.out(0)?).map_err(bad)?,
        Err(Errno::ENOENT) => {
            let mut op = ObjectOperation::new();
            op.stat();
            if io.read_head(&[name, naming::RBD_SUFFIX].concat(), op).await.is_ok() {
                return Err(Errno::EOPNOTSUPP); // format 1 images have no trash
            }
            // A move that stopped half way: finish it.
            let pending = list(io, true).await?.into_iter().find(|(_, s)| {
                s.source == TRASH_IMAGE_SOURCE_USER && s.state == TRASH_IMAGE_STATE_MOVING && s.name == name
            });
            pending.map(|(id, _)| id).ok_or(Errno::ENOENT)?
        }
        Err(e) => return Err(e),
    };
    if name.is_empty() || id.is_empty() {
        return Err(Errno::EINVAL);
    }
    move_by_id(io, name, &id, source, delay).await
}

async fn move_by_id(io: &IoCtx, name: &str, id: &str, source: u8, delay: u64) -> Result<(), Errno> {
    match open_by_id(io.clone(), String::from(name), String::from(id), false, 0).await {
        Ok(ictx) => {
            // The lock must be ours: an owner that keeps it keeps the image.
            let locked = ictx.prepare_write().await.map(drop);
            let _ = close(&ictx).await;
            locked.map_err(|_| Errno::EBUSY)?;
        }
        Err(Errno::ENOENT) => {}
        Err(e) => return Err(e),
    }
    let now = io.dispatcher.now();
    let end = UtcTime::new(u32::try_from(now.sec as u64 + delay).unwrap_or(u32::MAX), now.nsec);
    let spec = TrashImageSpec {
        source,
        name: String::from(name),
        deletion_time: now,
        deferment_end_time: end,
        state: TRASH_IMAGE_STATE_MOVING,
    };
    let mut op = ObjectOperation::new();
    cls::trash_add(&mut op, id, &spec);
    let moved = match io.exec(RBD_TRASH, op).await {
        Ok(_) | Err(Errno::EEXIST) => move_directory_entry(io, name, id).await,
        Err(e) => Err(e),
    };
    set_state(io, id, TRASH_IMAGE_STATE_NORMAL, TRASH_IMAGE_STATE_MOVING).await?;
    moved
}

async fn move_directory_entry(io: &IoCtx, name: &str, id: &str) -> Result<(), Errno> {
    match remove_object(io, &naming::id_object(name)).await {
        Ok(()) | Err(Errno::ENOENT) => {}
        Err(e) => return Err(e),
    }
    let mut op = ObjectOperation::new();
    cls::dir_remove_image(&mut op, name, id);
    io.exec(RBD_DIRECTORY, op).await.map(drop)
}

/// Puts image `id` back in the directory as `new_name` (empty: its old
/// name); only entries from `sources` may come back.
pub async fn restore(io: &IoCtx, id: &str, new_name: &str, sources: &[u8]) -> Result<(), Errno> {
    let spec = get(io, id).await?;
    if !sources.contains(&spec.source) {
        return Err(Errno::EINVAL);
    }
    if spec.state != TRASH_IMAGE_STATE_NORMAL && spec.state != TRASH_IMAGE_STATE_RESTORING {
        return Err(Errno::EBUSY);
    }
    set_state(io, id, TRASH_IMAGE_STATE_RESTORING, TRASH_IMAGE_STATE_NORMAL).await?;
    let name = if new_name.is_empty() { spec.name.as_str() } else { new_name };
    let undo = || set_state(io, id, TRASH_IMAGE_STATE_NORMAL, TRASH_IMAGE_STATE_RESTORING);
    let mut op = ObjectOperation::new();
    cls::get_id(&mut op);
    let create_id = match io.read_head(&naming::id_object(name), op).await {
        Err(Errno::ENOENT) => true,
        Err(e) => {
            let _ = undo().await;
            return Err(e);
        }
        Ok(reply) => {
            // Ours: an earlier restore stopped half way.
            if cls::get_id_finish(reply.out(0)?).map_err(bad)? != id {
                let _ = undo().await;
                return Err(Errno::EEXIST);
            }
            false
        }
    };
    if create_id {
        let mut op = ObjectOperation::new();
        op.create(true);
        cls::set_id(&mut op, id);
        io.exec(&naming::id_object(name), op).await?;
    }
    let mut op = ObjectOperation::new();
    cls::dir_add_image(&mut op, name, id);
    match io.exec(RBD_DIRECTORY, op).await {
        Ok(_) | Err(Errno::EEXIST) => {}
        Err(e) => return Err(e),
    }
    let mut op = ObjectOperation::new();
    cls::trash_remove(&mut op, id);
    match io.exec(RBD_TRASH, op).await {
        Ok(_) | Err(Errno::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Deletes image `id` from the trash: -EPERM before its deferment ends
/// unless `force`; -ENOTEMPTY with snapshots; -EBUSY while open elsewhere.
pub async fn remove(io: &IoCtx, id: &str, force: bool, report: &(dyn Fn(u64, u64) + Send + Sync)) -> Result<(), Errno> {
    let spec = get(io, id).await?;
    if io.dispatcher.now() < spec.deferment_end_time && !force {
        return Err(Errno::EPERM);
    }
    match spec.state {
        TRASH_IMAGE_STATE_MOVING => return Err(Errno::EUCLEAN),
        TRASH_IMAGE_STATE_NORMAL | TRASH_IMAGE_STATE_REMOVING => {}
        _ => return Err(Errno::EBUSY),
    }
    set_state(io, id, TRASH_IMAGE_STATE_REMOVING, TRASH_IMAGE_STATE_NORMAL).await?;
    let removed = match open_by_id(io.clone(), String::new(), String::from(id), false, 0).await {
        Ok(ictx) => {
            let result = super::manage::remove_opened(io, None, &ictx, report).await;
            let _ = close(&ictx).await;
            result
        }
        // The header went already (an earlier remove stopped half way).
        Err(Errno::ENOENT) => Ok(()),
        Err(e) => Err(e),
    };
    if let Err(e) = removed {
        set_state(io, id, TRASH_IMAGE_STATE_NORMAL, TRASH_IMAGE_STATE_REMOVING).await?;
        return Err(e);
    }
    let mut op = ObjectOperation::new();
    cls::trash_remove(&mut op, id);
    match io.exec(RBD_TRASH, op).await {
        Ok(_) | Err(Errno::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes every user entry whose deferment ended by `expire` (seconds;
/// 0: now), retrying those that wait on another (a parent on its clones)
/// while any progress is made. `report` hears (entries done, entries).
pub async fn purge(io: &IoCtx, expire: u64, report: &(dyn Fn(u64, u64) + Send + Sync)) -> Result<(), Errno> {
    let expire = if expire == 0 { io.dispatcher.now().sec as u64 } else { expire };
    let mut pending: Vec<String> = list(io, true)
        .await?
        .into_iter()
        .filter(|(_, s)| matches!(s.source, TRASH_IMAGE_SOURCE_USER | TRASH_IMAGE_SOURCE_USER_PARENT))
        .filter(|(_, s)| expire >= s.deferment_end_time.sec as u64)
        .map(|(id, _)| id)
        .collect();
    let total = pending.len() as u64;
    let mut done = 0;
    loop {
        let mut first_err = None;
        let mut progressed = false;
        let mut left = Vec::new();
        for id in pending {
            let result = match get(io, &id).await {
                Err(Errno::ENOENT) => Ok(()),
                Err(e) => return Err(e),
                Ok(_) => remove(io, &id, true, &|_, _| {}).await,
            };
            match result {
                Ok(()) => {
                    done += 1;
                    progressed = true;
                    report(done, total);
                }
                Err(e @ (Errno::ENOTEMPTY | Errno::EBUSY | Errno::EMLINK | Errno::EUCLEAN)) => {
                    first_err.get_or_insert(e);
                    left.push(id);
                }
                Err(e) => return Err(e),
            }
        }
        pending = left;
        match first_err {
            None => return Ok(()),
            Some(e) if !progressed => return Err(e),
            Some(_) => {}
        }
    }
}
