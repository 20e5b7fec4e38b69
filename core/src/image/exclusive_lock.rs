//! librbd's exclusive lock: a writer of an image with the exclusive-lock
//! feature holds cls_lock's "rbd_lock" on the header, tagged "internal",
//! with the cookie "auto <watch handle>". An open image watches its
//! header; a lock whose owner no longer watches belongs to a client that
//! died, and is broken rather than waited on forever.

use super::ImageCtx;
use crate::cls::lock::{self, ClsLockType, LockInfo, RBD_LOCK_NAME, WATCHER_LOCK_TAG};
use crate::encoding::UtcTime;
use crate::osd::{ObjectOperation, OpKind, WatchOp};
use crate::Errno;

fn cookie(ictx: &ImageCtx) -> alloc::string::String {
    lock::watcher_lock_cookie(ictx.runtime.watch_handle)
}

/// Starts watching the header (as every open image does), so peers can
/// tell this client is alive.
pub async fn watch(ictx: &ImageCtx) -> Result<(), Errno> {
    let mut op = ObjectOperation::new();
    op.push(OpKind::Watch { cookie: ictx.runtime.watch_handle, op: WatchOp::Watch, gen: 0, timeout: 30 });
    ictx.io.exec(&ictx.header_object(), op).await.map(|_| ())
}

pub async fn unwatch(ictx: &ImageCtx) -> Result<(), Errno> {
    let mut op = ObjectOperation::new();
    op.push(OpKind::Watch { cookie: ictx.runtime.watch_handle, op: WatchOp::Unwatch, gen: 0, timeout: 0 });
    match ictx.io.exec(&ictx.header_object(), op).await {
        Ok(_) | Err(Errno::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Takes the lock unless this image holds it already. A lock held by a
/// live peer is -EBUSY; one held by a client that stopped watching the
/// header is broken first.
pub async fn acquire(ictx: &ImageCtx) -> Result<(), Errno> {
    if !ictx.runtime.begin_acquire().await {
        return Ok(());
    }
    let _guard = super::AcquireGuard(&ictx.runtime);
    for attempt in 0..2 {
        let mut op = ObjectOperation::new();
        lock::lock(
            &mut op,
            RBD_LOCK_NAME,
            ClsLockType::EXCLUSIVE,
            &cookie(ictx),
            WATCHER_LOCK_TAG,
            "",
            UtcTime::default(),
            0,
        );
        match ictx.io.exec(&ictx.header_object(), op).await {
            // EEXIST: this very cookie holds it already.
            Ok(_) | Err(Errno::EEXIST) => {
                super::object_map::open(ictx).await?;
                ictx.runtime.set_lock_owned(true);
                return Ok(());
            }
            Err(Errno::EBUSY) if attempt == 0 => break_dead_owner(ictx).await?,
            Err(e) => return Err(e),
        }
    }
    Err(Errno::EBUSY)
}

/// Releases the lock (on close); the object map's lock goes with it.
pub async fn release(ictx: &ImageCtx) -> Result<(), Errno> {
    if !ictx.runtime.lock_owned() {
        return Ok(());
    }
    super::object_map::close(ictx).await?;
    let mut op = ObjectOperation::new();
    lock::unlock(&mut op, RBD_LOCK_NAME, &cookie(ictx));
    ictx.runtime.set_lock_owned(false);
    match ictx.io.exec(&ictx.header_object(), op).await {
        Ok(_) | Err(Errno::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

async fn lock_info(ictx: &ImageCtx) -> Result<LockInfo, Errno> {
    let mut op = ObjectOperation::new();
    lock::get_info(&mut op, RBD_LOCK_NAME);
    let reply = ictx.io.read_head(&ictx.header_object(), op).await?;
    lock::get_info_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)
}

/// Breaks the lock if its owner no longer watches the header. A lock that
/// is not librbd's own (another tag) is left alone: -EBUSY.
async fn break_dead_owner(ictx: &ImageCtx) -> Result<(), Errno> {
    let info = lock_info(ictx).await?;
    if info.tag != WATCHER_LOCK_TAG {
        return Err(Errno::EBUSY);
    }
    let watchers = super::watchers::list(ictx).await?;
    for locker in info.lockers.keys() {
        let alive = lock::decode_watcher_lock_cookie(&locker.cookie)
            .is_some_and(|handle| watchers.iter().any(|w| w.cookie == handle && w.client == locker.locker.num));
        if alive {
            return Err(Errno::EBUSY);
        }
        let mut op = ObjectOperation::new();
        lock::break_lock(&mut op, RBD_LOCK_NAME, &locker.cookie, locker.locker);
        match ictx.io.exec(&ictx.header_object(), op).await {
            Ok(_) | Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
