//! librados watch/notify on a pool context. A watch's notifications go to
//! its callback on a thread of its own, as librados runs them on its
//! finisher: the callback may call back into the library (to ack) without
//! stalling the runtime.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Mutex;

use bytes::Bytes;
use rbdrs_core::osd::{ObjectOperation, OpKind, WatchOp};
use rbdrs_core::rados::{PoolRequest, Reply, Request, WatchEvent};
use rbdrs_core::Errno;

use crate::rados::IoCtx;

pub use rbdrs_core::rados::Notification;

enum Msg {
    Notify(Notification),
    /// The watch was lost: rados_watcherrcb_t's (cookie, error).
    Error(u64, Errno),
    /// Answered once every notification queued before it was handled.
    Flush(SyncSender<()>),
}

struct Watch {
    io: rbdrs_core::image::IoCtx,
    oid: String,
    thread: Sender<Msg>,
}

/// The watches of one connection, by cookie.
#[derive(Default)]
pub struct Watches(Mutex<BTreeMap<u64, Watch>>);

impl std::fmt::Debug for Watches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watches").finish_non_exhaustive()
    }
}

fn deliver(rx: Receiver<Msg>, on_notify: impl Fn(Notification), on_error: impl Fn(u64, Errno)) {
    for msg in rx {
        match msg {
            Msg::Notify(n) => on_notify(n),
            Msg::Error(cookie, e) => on_error(cookie, e),
            Msg::Flush(done) => {
                let _ = done.send(());
            }
        }
    }
}

impl IoCtx {
    /// rados_watch3: watches `oid` (its watch lasting `timeout` seconds
    /// after this client goes silent; 0 for the OSD's default). Each
    /// notification goes to `on_notify`, which should ack it
    /// ([`notify_ack`](Self::notify_ack)); `on_error` hears that the watch
    /// was lost, as librados's error callback does (the owner then unwatches
    /// and watches anew). Returns the watch's cookie.
    pub fn watch(
        &self,
        oid: &str,
        timeout: u32,
        on_notify: impl Fn(Notification) + Send + 'static,
        on_error: impl Fn(u64, Errno) + Send + 'static,
    ) -> Result<u64, Errno> {
        let (cookie, registered) = self.start_watch(oid, timeout, on_notify, on_error)?;
        self.connection().run_io(registered)??;
        Ok(cookie)
    }

    /// rados_aio_watch2: [`watch`](Self::watch) whose cookie is known at
    /// once, and whose registration is the returned flow. A registration
    /// that fails ends the watch.
    pub fn start_watch(
        &self,
        oid: &str,
        timeout: u32,
        on_notify: impl Fn(Notification) + Send + 'static,
        on_error: impl Fn(u64, Errno) + Send + 'static,
    ) -> Result<(u64, impl std::future::Future<Output = Result<(), Errno>> + Send + 'static), Errno> {
        let io = self.core();
        let conn = self.connection().clone();
        let cookie = io.dispatcher.allocate_handle();
        io.dispatcher.listen(cookie);
        let (tx, rx) = mpsc::channel();
        let spawned =
            std::thread::Builder::new().name("rbdrs-watch".into()).spawn(move || deliver(rx, on_notify, on_error));
        let (events, forward) = (io.dispatcher.clone(), tx.clone());
        let started = spawned.map_err(|_| Errno::EAGAIN).and_then(|_| {
            conn.runtime.spawn(async move {
                while let Some(event) = events.next_event(cookie).await {
                    let msg = match event {
                        WatchEvent::Notify(n) => Msg::Notify(n),
                        WatchEvent::Error { cookie, error } => Msg::Error(cookie, error),
                    };
                    if forward.send(msg).is_err() {
                        break;
                    }
                }
            })
        });
        let watch = Watch { io: io.clone(), oid: oid.to_string(), thread: tx };
        conn.watches.0.lock().map_err(|_| Errno::EIO)?.insert(cookie, watch);
        let listener = io.dispatcher.clone();
        let end = move |conn: &crate::rados::Connection| {
            if let Ok(mut watches) = conn.watches.0.lock() {
                watches.remove(&cookie);
            }
            listener.unlisten(cookie);
        };
        if let Err(e) = started {
            end(&conn);
            return Err(e);
        }
        let name = oid.to_string();
        let timeout = if timeout == 0 { 30 } else { timeout };
        let registering = io.clone();
        let registered = async move {
            let mut op = ObjectOperation::new();
            op.push(OpKind::Watch { cookie, op: WatchOp::Watch, gen: 0, timeout });
            let result = registering.exec(&name, op).await.map(drop);
            if result.is_err() {
                end(&conn);
            }
            result
        };
        Ok((cookie, registered))
    }

    /// rados_unwatch2: ends watch `cookie`; its callback thread finishes
    /// what was queued and stops. -ENOENT for an unknown cookie, or when
    /// the watched object is gone.
    pub fn unwatch(&self, cookie: u64) -> Result<(), Errno> {
        let unregistered = self.start_unwatch(cookie)?;
        self.connection().run_io(unregistered)?
    }

    /// rados_aio_unwatch: the watch stops delivering at once; the returned
    /// flow takes it off the OSD.
    pub fn start_unwatch(
        &self,
        cookie: u64,
    ) -> Result<impl std::future::Future<Output = Result<(), Errno>> + Send + 'static, Errno> {
        let conn = self.connection().clone();
        let watch = conn.watches.0.lock().map_err(|_| Errno::EIO)?.remove(&cookie).ok_or(Errno::ENOENT)?;
        watch.io.dispatcher.unlisten(cookie);
        let (io, oid) = (watch.io, watch.oid);
        Ok(async move {
            let mut op = ObjectOperation::new();
            op.push(OpKind::Watch { cookie, op: WatchOp::Unwatch, gen: 0, timeout: 0 });
            // -ENOENT when the object went away: librados says so too.
            io.exec(&oid, op).await.map(drop)
        })
    }

    /// rados_watch_check: one more than the milliseconds since the OSD
    /// last confirmed the watch (pinged every 5 s), or why it was lost;
    /// -ENOTCONN for a watch this client does not hold.
    pub fn watch_check(&self, cookie: u64) -> Result<u64, Errno> {
        if !self.connection().watches.0.lock().map_err(|_| Errno::EIO)?.contains_key(&cookie) {
            return Err(Errno::ENOTCONN);
        }
        let dispatcher = self.core().dispatcher;
        let request = Request::Pool(PoolRequest::WatchCheck { cookie });
        match self.connection().run_admin(async move { dispatcher.submit(request).await })? {
            Reply::Id(age) => age,
            _ => Err(Errno::EIO),
        }
    }

    /// rados_notify2: sends `payload` to every watcher of `oid` and waits
    /// for their acks, at most `timeout_ms` (0: librados's 30 s). Returns
    /// the notify's result (-ETIMEDOUT when a watcher did not ack) and the
    /// encoded acks (rados_decode_notify_response reads them).
    pub fn notify(&self, oid: &str, payload: Bytes, timeout_ms: u64) -> Result<(Result<(), Errno>, Bytes), Errno> {
        let io = self.core();
        let secs = if timeout_ms == 0 { 30 } else { timeout_ms.div_ceil(1000) };
        let secs = u32::try_from(secs).map_err(|_| Errno::EINVAL)?;
        let name = oid.to_string();
        // The OSD answers when its timeout passes: wait a little longer.
        let wait = std::time::Duration::from_secs(u64::from(secs) + 5).max(self.connection().op_timeout);
        self.connection().runtime.block_on(async move { io.notify_raw(&name, payload, secs).await }, wait)?
    }

    /// rados_notify_ack: answers notification `notify_id` on watch
    /// `cookie`, with a reply the notifier sees.
    pub fn notify_ack(&self, oid: &str, notify_id: u64, cookie: u64, payload: Bytes) -> Result<(), Errno> {
        let (io, name) = (self.core(), oid.to_string());
        self.connection().run_io(async move {
            let mut op = ObjectOperation::new();
            op.push(OpKind::NotifyAck { notify_id, cookie, payload });
            io.read_head(&name, op).await.map(drop)
        })?
    }
}

impl crate::rados::Connection {
    /// rados_watch_flush: waits until every notification received so far
    /// was handed to its callback and the callback returned.
    pub fn watch_flush(&self) -> Result<(), Errno> {
        let waits: Vec<_> = {
            let watches = self.watches.0.lock().map_err(|_| Errno::EIO)?;
            watches
                .values()
                .filter_map(|w| {
                    let (tx, rx) = mpsc::sync_channel(1);
                    w.thread.send(Msg::Flush(tx)).ok().map(|_| rx)
                })
                .collect()
        };
        for rx in waits {
            // A callback that never returns is the caller's; do not hang on it.
            rx.recv_timeout(self.op_timeout).map_err(|_| Errno::ETIMEDOUT)?;
        }
        Ok(())
    }
}
