//! librbd's exclusive lock: a writer of an image with the exclusive-lock
//! feature holds cls_lock's "rbd_lock" on the header, tagged "internal",
//! with the cookie "auto <watch handle>". An open image watches its
//! header; a lock whose owner no longer watches belongs to a client that
//! died, and is broken rather than waited on forever.

use alloc::string::ToString;
use core::future::Future;
use core::pin::Pin;
use core::task::Poll;
use core::time::Duration;

use super::watcher::{self, LockRequest, NotifyMessage};
use super::{ImageCtx, LockUse};
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

/// Takes the lock unless this image holds it already; hold what it returns
/// while writing under it. A live owner is asked to hand it over, as
/// librbd asks: RequestLock, then its ReleasedLock or a retry. An owner
/// that stopped watching the header died, and its lock is broken. Bounded
/// by the runtime's `lock_wait`: -EBUSY after that; -EROFS when the owner
/// refuses. `explicit` is rbd_lock_acquire: it takes the lock even where
/// the application keeps it and writes may not take it on their own.
pub async fn acquire(ictx: &ImageCtx, explicit: bool) -> Result<LockUse, Errno> {
    // begin_acquire and set_lock_owned count the caller as a user.
    let taken = || LockUse(Some(ictx.runtime.clone()));
    if !ictx.runtime.begin_acquire().await {
        return Ok(taken());
    }
    let _guard = super::AcquireGuard(&ictx.runtime);
    if ictx.runtime.lock_kept() && !explicit {
        // librbd's StandardPolicy: only rbd_lock_acquire takes it.
        return Err(Errno::EROFS);
    }
    let mut deadline = core::pin::pin!(ictx.io.dispatcher.sleep(ictx.runtime.lock_wait));
    let mut breaks = 0;
    loop {
        let seen = ictx.runtime.peer_events();
        match try_lock(ictx).await {
            Ok(()) => {
                super::object_map::open(ictx).await?;
                ictx.runtime.set_lock_owned(true);
                let me = watcher::client_id(ictx);
                ictx.runtime.note_owner(Some(me));
                announce(ictx, NotifyMessage::AcquiredLock(me));
                return Ok(taken());
            }
            Err(Errno::EBUSY) => {}
            Err(e) => return Err(e),
        }
        // Racing another taker could find a new dead owner each time: a
        // few tries, then wait like everyone else.
        if breaks < 3 && break_dead_owner(ictx).await? {
            breaks += 1;
            continue;
        }
        // An owner that agreed releases and says so; one that never answers
        // is asked again after a second (librbd's RETRY_DELAY_SECONDS),
        // one that agreed but went quiet after client_notify_timeout.
        let pause = match watcher::request_lock(ictx).await? {
            LockRequest::Agreed => Duration::from_secs(10),
            LockRequest::NoAnswer => Duration::from_secs(1),
            LockRequest::Undeliverable => return Err(Errno::EBUSY),
        };
        let pause = core::pin::pin!(ictx.io.dispatcher.sleep(pause));
        let announced = core::pin::pin!(ictx.runtime.peer_event_after(seen));
        if first_of(announced, pause, deadline.as_mut()).await == Some(2) {
            return Err(Errno::EBUSY);
        }
    }
}

/// Polls three futures until one is ready: which (0, 1 or 2).
async fn first_of<A: Future, B: Future, C: Future>(
    mut a: Pin<&mut A>,
    mut b: Pin<&mut B>,
    mut c: Pin<&mut C>,
) -> Option<usize> {
    core::future::poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() {
            Poll::Ready(Some(0))
        } else if b.as_mut().poll(cx).is_ready() {
            Poll::Ready(Some(1))
        } else if c.as_mut().poll(cx).is_ready() {
            Poll::Ready(Some(2))
        } else {
            Poll::Pending
        }
    })
    .await
}

async fn try_lock(ictx: &ImageCtx) -> Result<(), Errno> {
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
        Ok(_) | Err(Errno::EEXIST) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Tells every watcher, without waiting for their acks.
fn announce(ictx: &ImageCtx, message: NotifyMessage) {
    ictx.io.notify_detached(&ictx.header_object(), message.to_bytes(), watcher::NOTIFY_TIMEOUT_SECS);
}

/// Releases the lock (on close); the object map's lock goes with it.
pub async fn release(ictx: &ImageCtx) -> Result<(), Errno> {
    if !ictx.runtime.lock_owned() {
        return Ok(());
    }
    unlock(ictx).await
}

/// Hands the lock to a peer that asked for it: new writers wait, the
/// current ones finish, then it goes. The caller writes its cache back
/// first. Writers that waited take it again by asking the new owner.
pub async fn release_on_request(ictx: &ImageCtx) -> Result<(), Errno> {
    if !ictx.runtime.begin_release().await {
        return Ok(());
    }
    unlock(ictx).await
}

async fn unlock(ictx: &ImageCtx) -> Result<(), Errno> {
    let closed = super::object_map::close(ictx).await;
    let mut op = ObjectOperation::new();
    lock::unlock(&mut op, RBD_LOCK_NAME, &cookie(ictx));
    let unlocked = match ictx.io.exec(&ictx.header_object(), op).await {
        Ok(_) | Err(Errno::ENOENT) => Ok(()),
        Err(e) => Err(e),
    };
    ictx.runtime.set_lock_owned(false);
    ictx.runtime.note_owner(None);
    announce(ictx, NotifyMessage::ReleasedLock(watcher::client_id(ictx)));
    closed.and(unlocked)
}

/// Fences a lock owner off before its lock is broken, as librbd does with
/// rbd_blocklist_on_break_lock: one that only seemed dead must not write
/// after the next owner starts. A store without monitors cannot (and has
/// no other process to fence).
pub async fn blocklist(ictx: &ImageCtx, addr: &str) -> Result<(), Errno> {
    if !ictx.runtime.blocklists_on_break() {
        return Ok(());
    }
    match crate::rados::blocklist_add(&ictx.io.dispatcher, addr, 0).await {
        Ok(()) | Err(Errno::EOPNOTSUPP) => Ok(()),
        Err(e) => Err(e),
    }
}

async fn lock_info(ictx: &ImageCtx) -> Result<LockInfo, Errno> {
    let mut op = ObjectOperation::new();
    lock::get_info(&mut op, RBD_LOCK_NAME);
    let reply = ictx.io.read_head(&ictx.header_object(), op).await?;
    lock::get_info_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)
}

/// Whether a client other than this open holds the lock.
pub(crate) async fn held_by_another(ictx: &ImageCtx) -> Result<bool, Errno> {
    let mine = cookie(ictx);
    match lock_info(ictx).await {
        Ok(info) => Ok(info.lockers.keys().any(|l| l.cookie != mine)),
        Err(Errno::ENOENT) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Breaks the lock if its owner no longer watches the header: Ok(true).
/// Ok(false) when the owner lives; a lock that is not librbd's own
/// (another tag) is left alone: -EBUSY.
async fn break_dead_owner(ictx: &ImageCtx) -> Result<bool, Errno> {
    let info = match lock_info(ictx).await {
        Ok(info) => info,
        // Released meanwhile: take it.
        Err(Errno::ENOENT) => return Ok(true),
        Err(e) => return Err(e),
    };
    if info.tag != WATCHER_LOCK_TAG {
        return Err(Errno::EBUSY);
    }
    let watchers = super::watchers::list(ictx).await?;
    for (locker, holder) in &info.lockers {
        let alive = lock::decode_watcher_lock_cookie(&locker.cookie)
            .is_some_and(|handle| watchers.iter().any(|w| w.cookie == handle && w.client == locker.locker.num));
        if alive {
            return Ok(false);
        }
        blocklist(ictx, &holder.addr.legacy().to_string()).await?;
        let mut op = ObjectOperation::new();
        lock::break_lock(&mut op, RBD_LOCK_NAME, &locker.cookie, locker.locker);
        match ictx.io.exec(&ictx.header_object(), op).await {
            Ok(_) | Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}
