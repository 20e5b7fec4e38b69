//! The client half of librbd's ImageWatcher: a flow per open image that
//! takes the notifications on its header watch, acks them as the core's
//! [`react`] decides, hands the exclusive lock over when a peer asks, and
//! runs the operations peers proxy to it as the lock's owner.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::Poll;

use rbdrs_core::image::exclusive_lock::release_on_request;
use rbdrs_core::image::watcher::messages::encode_response;
use rbdrs_core::image::watcher::{
    announce_header_update, client_id, react, rewatch, run_proxied, Action, AsyncRequestId, NotifyMessage, ProxiedOp,
    Report, NOTIFY_TIMEOUT_SECS,
};
use rbdrs_core::image::ImageCtx;
use rbdrs_core::rados::{Notification, Request, WatchEvent};
use rbdrs_core::Errno;

use super::{current, fresh, CacheDriver, Image};
use crate::runtime::Runtime;

/// How often an owner running a peer's request reports its progress.
const PROGRESS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

pub(super) fn start(image: &Image) -> Result<(), Errno> {
    let ictx = image.ctx()?;
    let cookie = ictx.runtime.watch_handle;
    let dispatcher = ictx.io.dispatcher.clone();
    dispatcher.listen(cookie);
    let (shared, cache, runtime) = (image.ictx.clone(), image.cache.clone(), image.conn.runtime.clone());
    let updates = image.updates.clone();
    let quiesce = image.quiesce.clone();
    // Proxied operations running, so a requester's retry is not run twice.
    let running: Arc<Mutex<BTreeSet<AsyncRequestId>>> = Default::default();
    image.conn.runtime.spawn(async move {
        while let Some(event) = dispatcher.next_event(cookie).await {
            let Ok(ictx) = current(&shared) else { break };
            let event = match event {
                WatchEvent::Notify(n) => n,
                WatchEvent::Error { error, .. } => {
                    eprintln!("librbdrs: lost the watch on {} ({error}); watching again", ictx.header_object());
                    if let Err(e) = rewatch(&ictx).await {
                        eprintln!("librbdrs: could not watch {} again: {e}", ictx.header_object());
                    }
                    continue;
                }
            };
            let reaction = react(&ictx.runtime, client_id(&ictx), &event.payload);
            if reaction.message.is_none() {
                eprintln!("librbdrs: ignored a malformed notification on {}", ictx.header_object());
            }
            if super::quiesce::handle(&quiesce, &runtime, &dispatcher, reaction.message.as_ref(), &event) {
                continue;
            }
            match reaction.action {
                // Acked once it ran, with its result.
                Action::Run { report: Report::Ack, .. } => {}
                _ => dispatcher.submit_detached(Request::Object(event.ack(reaction.ack.clone()))),
            }
            match reaction.action {
                Action::ReleaseLock => hand_over(&runtime, shared.clone(), cache.clone()),
                Action::Run { op, report } => {
                    let fresh_request = match report {
                        Report::Complete(id) => running.lock().is_ok_and(|mut r| r.insert(id)),
                        Report::Ack => true,
                    };
                    if fresh_request {
                        let proxied =
                            Proxied { shared: shared.clone(), cache: cache.clone(), updates: updates.clone() };
                        let running = running.clone();
                        let spawned = runtime.spawn(async move {
                            proxied.run(op, report, event).await;
                            if let (Report::Complete(id), Ok(mut r)) = (report, running.lock()) {
                                r.remove(&id);
                            }
                        });
                        if spawned.is_err() {
                            eprintln!("librbdrs: could not run a proxied operation: runtime stopped");
                        }
                    }
                }
                Action::Nothing => {}
            }
            if reaction.message == Some(NotifyMessage::HeaderUpdate) && updates.any() {
                // Callbacks ask the image what changed: have the answer ready.
                let _ = fresh(&shared).await;
                updates.call();
            }
        }
    })
}

/// What a proxied operation needs of the open image.
struct Proxied {
    shared: Arc<RwLock<Arc<ImageCtx>>>,
    cache: Option<Arc<CacheDriver>>,
    updates: Arc<UpdateWatchers>,
}

impl Proxied {
    /// Runs `op` for a peer and tells it the result as `report` says.
    async fn run(self, op: ProxiedOp, report: Report, event: Notification) {
        if let Some(cache) = &self.cache {
            // What was acknowledged goes into a snapshot; a shrink must not
            // leave cached data past the end.
            let _ = match op {
                ProxiedOp::Resize { .. } => cache.invalidate().await,
                _ => cache.flush().await,
            };
        }
        let result = match report {
            Report::Complete(id) => self.execute_reporting(&op, id).await,
            Report::Ack => self.execute(&op).await,
        };
        let ret = result.err().map_or(0, Errno::to_ret);
        let Ok(ictx) = current(&self.shared) else { return };
        match report {
            Report::Complete(id) => {
                let done = NotifyMessage::AsyncComplete { id, result: ret };
                ictx.io.notify_detached(&ictx.header_object(), done.to_bytes(), NOTIFY_TIMEOUT_SECS);
            }
            Report::Ack => ictx.io.dispatcher.submit_detached(Request::Object(event.ack(encode_response(ret)))),
        }
    }

    /// [`execute`](Self::execute), telling the requester how far it got
    /// every second (AsyncProgress), as librbd's owner does: its
    /// requester gives up after 30 s without a word.
    async fn execute_reporting(&self, op: &ProxiedOp, id: AsyncRequestId) -> Result<(), Errno> {
        let Ok(ictx) = current(&self.shared) else { return Err(Errno::ESHUTDOWN) };
        let mut running = std::pin::pin!(self.execute(op));
        let mut tick = Box::pin(ictx.io.dispatcher.sleep(PROGRESS_INTERVAL));
        std::future::poll_fn(|cx| {
            if let Poll::Ready(result) = running.as_mut().poll(cx) {
                return Poll::Ready(result);
            }
            while tick.as_mut().poll(cx).is_ready() {
                let (offset, total) = ictx.runtime.progress();
                let progress = NotifyMessage::AsyncProgress { id, offset, total };
                ictx.io.notify_detached(&ictx.header_object(), progress.to_bytes(), NOTIFY_TIMEOUT_SECS);
                tick = Box::pin(ictx.io.dispatcher.sleep(PROGRESS_INTERVAL));
            }
            Poll::Pending
        })
        .await
    }

    /// As Image::update does: on fresh state, again after -ERESTART; the
    /// state it leaves is kept, and peers and callbacks hear of a change.
    async fn execute(&self, op: &ProxiedOp) -> Result<(), Errno> {
        for _ in 0..super::RESTARTS {
            let mut ictx = ImageCtx::clone(&*fresh(&self.shared).await?);
            let result = run_proxied(&mut ictx, op).await;
            if result == Err(Errno::ERESTART) {
                continue;
            }
            if result.is_ok() {
                announce_header_update(&ictx);
            }
            *self.shared.write().map_err(|_| Errno::EIO)? = Arc::new(ictx);
            if result.is_ok() {
                self.updates.call();
            }
            return result;
        }
        Err(Errno::ERESTART)
    }
}

/// What rbd_update_watch registered: called after each header update.
#[derive(Default)]
pub struct UpdateWatchers {
    next: AtomicU64,
    callbacks: Mutex<BTreeMap<u64, Arc<dyn Fn() + Send + Sync>>>,
}

impl UpdateWatchers {
    fn any(&self) -> bool {
        self.callbacks.lock().is_ok_and(|c| !c.is_empty())
    }

    /// Runs outside the lock: a callback may (un)register.
    pub(super) fn call(&self) {
        let callbacks: Vec<_> = match self.callbacks.lock() {
            Ok(c) => c.values().cloned().collect(),
            Err(_) => return,
        };
        callbacks.iter().for_each(|cb| cb());
    }
}

impl Image {
    /// rbd_update_watch: `callback` runs (on the runtime's thread, after
    /// the image refreshed) whenever the header changes, by any client.
    pub fn update_watch(&self, callback: impl Fn() + Send + Sync + 'static) -> Result<u64, Errno> {
        self.ctx()?;
        let handle = self.updates.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.updates.callbacks.lock().map_err(|_| Errno::EIO)?.insert(handle, Arc::new(callback));
        Ok(handle)
    }

    /// rbd_update_unwatch: -ENOENT for a handle not registered.
    pub fn update_unwatch(&self, handle: u64) -> Result<(), Errno> {
        match self.updates.callbacks.lock().map_err(|_| Errno::EIO)?.remove(&handle) {
            Some(_) => Ok(()),
            None => Err(Errno::ENOENT),
        }
    }
}

/// Ends the flow: it sees no more notifications.
pub(super) fn stop(ictx: &ImageCtx) {
    ictx.io.dispatcher.unlisten(ictx.runtime.watch_handle);
}

/// Writes the cache back (and drops it: the peer will change what it
/// holds), then lets the lock go once the writers under it are done.
fn hand_over(runtime: &Arc<Runtime>, shared: Arc<RwLock<Arc<ImageCtx>>>, cache: Option<Arc<CacheDriver>>) {
    let spawned = runtime.spawn(async move {
        if let Some(cache) = cache {
            // -EBUSY only says newer writes arrived; they wait for the lock.
            let _ = cache.invalidate().await;
        }
        let Ok(ictx) = current(&shared) else { return };
        if let Err(e) = release_on_request(&ictx).await {
            eprintln!("librbdrs: releasing the lock of {} on request failed: {e}", ictx.header_object());
        }
    });
    if spawned.is_err() {
        eprintln!("librbdrs: could not release the exclusive lock on request: runtime stopped");
    }
}
