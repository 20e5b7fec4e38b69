//! Quiesce watchers (librbd's QuiesceWatchers and the ImageWatcher's
//! quiesce requests): when a client snapshots the image, it notifies
//! quiesce; every registered application callback runs and the ack (with
//! the first error) waits until each has called rbd_quiesce_complete. An
//! unquiesce notification, or 2 × the notify timeout without one, runs the
//! unquiesce callbacks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rbdrs_core::image::watcher::messages::encode_response;
use rbdrs_core::image::watcher::{AsyncRequestId, NotifyMessage, NOTIFY_TIMEOUT_SECS};
use rbdrs_core::rados::{Dispatcher, Notification, Request};
use rbdrs_core::Errno;

use crate::runtime::Runtime;

type Callback = Arc<dyn Fn() + Send + Sync>;

/// How long a quiesce waits for the applications; then -ETIMEDOUT.
const COMPLETE_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(20);

/// One quiesce request from a snapshotting client.
#[derive(Default)]
struct RequestState {
    /// Handles whose rbd_quiesce_complete is awaited.
    waiting: BTreeSet<u64>,
    result: i32,
    /// The result once every application answered.
    done: Option<i32>,
    /// The latest notification of it (a retry replaces it): acked when done.
    to_ack: Option<Notification>,
    unquiesced: bool,
}

#[derive(Default)]
pub struct QuiesceWatchers {
    callbacks: Mutex<BTreeMap<u64, (Callback, Callback)>>,
    next: AtomicU64,
    requests: Mutex<BTreeMap<AsyncRequestId, RequestState>>,
}

impl QuiesceWatchers {
    /// rbd_quiesce_watch: a handle for rbd_quiesce_complete/unwatch.
    pub fn watch(&self, quiesce: Callback, unquiesce: Callback) -> Result<u64, Errno> {
        let handle = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.callbacks.lock().map_err(|_| Errno::EIO)?.insert(handle, (quiesce, unquiesce));
        Ok(handle)
    }

    /// rbd_quiesce_unwatch: -ENOENT for an unknown handle. A quiesce
    /// waiting for it stops waiting.
    pub fn unwatch(&self, handle: u64) -> Result<(), Errno> {
        self.callbacks.lock().map_err(|_| Errno::EIO)?.remove(&handle).ok_or(Errno::ENOENT)?;
        self.complete(handle, 0);
        Ok(())
    }

    /// rbd_quiesce_complete: the application behind `handle` is quiesced
    /// (or failed to with `result` < 0).
    pub fn complete(&self, handle: u64, result: i32) {
        if let Ok(mut requests) = self.requests.lock() {
            for request in requests.values_mut() {
                if request.waiting.remove(&handle) && result < 0 && request.result == 0 {
                    request.result = result;
                }
            }
        }
    }

    fn callbacks(&self, unquiesce: bool) -> Vec<Callback> {
        let callbacks = self.callbacks.lock().map(|c| c.values().cloned().collect::<Vec<_>>()).unwrap_or_default();
        callbacks.into_iter().map(|(q, u)| if unquiesce { u } else { q }).collect()
    }

    fn handles(&self) -> BTreeSet<u64> {
        self.callbacks.lock().map(|c| c.keys().copied().collect()).unwrap_or_default()
    }
}

/// Runs application callbacks on a thread of their own: they may block,
/// and call back into librbd.
fn call_all(callbacks: Vec<Callback>) {
    if !callbacks.is_empty() {
        let _ = std::thread::Builder::new()
            .name("rbdrs-quiesce".into())
            .spawn(move || callbacks.iter().for_each(|cb| cb()));
    }
}

/// Takes quiesce and unquiesce notifications when applications watch for
/// them; false leaves `event` to the watcher's usual ack.
pub(super) fn handle(
    watchers: &Arc<QuiesceWatchers>,
    runtime: &Arc<Runtime>,
    dispatcher: &Dispatcher,
    message: Option<&NotifyMessage>,
    event: &Notification,
) -> bool {
    let Ok(mut requests) = watchers.requests.lock() else { return false };
    match message {
        Some(NotifyMessage::Quiesce(id)) => {
            if let Some(request) = requests.get_mut(id) {
                match request.done {
                    Some(r) => dispatcher.submit_detached(Request::Object(event.ack(encode_response(r)))),
                    None => request.to_ack = Some(event.clone()),
                }
                return true;
            }
            let handles = watchers.handles();
            if handles.is_empty() {
                return false;
            }
            let state = RequestState { waiting: handles, to_ack: Some(event.clone()), ..Default::default() };
            requests.insert(*id, state);
            call_all(watchers.callbacks(false));
            let (watchers, dispatcher, id) = (watchers.clone(), dispatcher.clone(), *id);
            runtime.spawn(async move { finish_quiesce(watchers, dispatcher, id).await }).is_ok()
        }
        Some(NotifyMessage::Unquiesce(id)) => {
            let Some(request) = requests.get_mut(id) else { return false };
            if !std::mem::replace(&mut request.unquiesced, true) {
                call_all(watchers.callbacks(true));
            }
            false
        }
        _ => false,
    }
}

/// Waits for every rbd_quiesce_complete, acks with the result, then
/// unquiesces by itself if no unquiesce comes in time.
async fn finish_quiesce(watchers: Arc<QuiesceWatchers>, dispatcher: Dispatcher, id: AsyncRequestId) {
    let mut waited = Duration::ZERO;
    loop {
        let ack = {
            let Ok(mut requests) = watchers.requests.lock() else { return };
            let Some(request) = requests.get_mut(&id) else { return };
            if request.waiting.is_empty() || waited >= COMPLETE_TIMEOUT {
                let r = if request.waiting.is_empty() { request.result } else { Errno::ETIMEDOUT.to_ret() };
                request.done = Some(r);
                Some((request.to_ack.take(), r))
            } else {
                None
            }
        };
        if let Some((event, r)) = ack {
            if let Some(event) = event {
                dispatcher.submit_detached(Request::Object(event.ack(encode_response(r))));
            }
            break;
        }
        let _ = dispatcher.sleep(POLL).await;
        waited += POLL;
    }
    let _ = dispatcher.sleep(Duration::from_secs(2 * u64::from(NOTIFY_TIMEOUT_SECS))).await;
    let Ok(mut requests) = watchers.requests.lock() else { return };
    if let Some(request) = requests.remove(&id) {
        if !request.unquiesced {
            call_all(watchers.callbacks(true));
        }
    }
}

impl super::Image {
    /// rbd_quiesce_watch: `quiesce` runs when a client snapshots the image
    /// (answer with [`quiesce_complete`](Self::quiesce_complete)),
    /// `unquiesce` once the snapshot is taken.
    pub fn quiesce_watch(
        &self,
        quiesce: impl Fn() + Send + Sync + 'static,
        unquiesce: impl Fn() + Send + Sync + 'static,
    ) -> Result<u64, Errno> {
        self.quiesce.watch(Arc::new(quiesce), Arc::new(unquiesce))
    }

    pub fn quiesce_unwatch(&self, handle: u64) -> Result<(), Errno> {
        self.quiesce.unwatch(handle)
    }

    pub fn quiesce_complete(&self, handle: u64, result: i32) {
        self.quiesce.complete(handle, result)
    }
}
