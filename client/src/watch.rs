//! librados watch/notify on a pool context. A watch's notifications go to
//! its callback on a thread of its own, as librados runs them on its
//! finisher: the callback may call back into the library (to ack) without
//! stalling the runtime.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Mutex;

use bytes::Bytes;
use rbdrs_core::osd::{ObjectOperation, OpKind, WatchOp};
use rbdrs_core::rados::WatchEvent;
use rbdrs_core::Errno;

use crate::rados::IoCtx;

/// One notification, as rados_watchcb2_t receives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub notify_id: u64,
    pub cookie: u64,
    pub notifier_gid: u64,
    pub payload: Bytes,
}

enum Msg {
    Notify(Notification),
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

fn deliver(rx: Receiver<Msg>, on_notify: impl Fn(Notification)) {
    for msg in rx {
        match msg {
            Msg::Notify(n) => on_notify(n),
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
    /// ([`notify_ack`](Self::notify_ack)). Returns the watch's cookie.
    pub fn watch(
        &self,
        oid: &str,
        timeout: u32,
        on_notify: impl Fn(Notification) + Send + 'static,
    ) -> Result<u64, Errno> {
        let io = self.core();
        let conn = self.connection().clone();
        let cookie = io.dispatcher.allocate_handle();
        io.dispatcher.listen(cookie);
        let (name, registering) = (oid.to_string(), io.clone());
        let timeout = if timeout == 0 { 30 } else { timeout };
        let registered = conn.run_io(async move {
            let mut op = ObjectOperation::new();
            op.push(OpKind::Watch { cookie, op: WatchOp::Watch, gen: 0, timeout });
            registering.exec(&name, op).await.map(drop)
        });
        if let Err(e) = registered.and_then(|r| r) {
            io.dispatcher.unlisten(cookie);
            return Err(e);
        }
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new().name("rbdrs-watch".into()).spawn(move || deliver(rx, on_notify));
        let (events, forward) = (io.dispatcher.clone(), tx.clone());
        let started = spawned.map_err(|_| Errno::EAGAIN).and_then(|_| {
            conn.runtime.spawn(async move {
                while let Some(WatchEvent { cookie, notify_id, notifier_gid, payload, .. }) =
                    events.next_event(cookie).await
                {
                    let n = Notification { notify_id, cookie, notifier_gid, payload };
                    if forward.send(Msg::Notify(n)).is_err() {
                        break;
                    }
                }
            })
        });
        let watch = Watch { io, oid: oid.to_string(), thread: tx };
        conn.watches.0.lock().map_err(|_| Errno::EIO)?.insert(cookie, watch);
        if let Err(e) = started {
            let _ = self.unwatch(cookie);
            return Err(e);
        }
        Ok(cookie)
    }

    /// rados_unwatch2: ends watch `cookie`; its callback thread finishes
    /// what was queued and stops. -ENOENT for an unknown cookie.
    pub fn unwatch(&self, cookie: u64) -> Result<(), Errno> {
        let conn = self.connection().clone();
        let watch = conn.watches.0.lock().map_err(|_| Errno::EIO)?.remove(&cookie).ok_or(Errno::ENOENT)?;
        watch.io.dispatcher.unlisten(cookie);
        let (io, oid) = (watch.io, watch.oid);
        conn.run_io(async move {
            let mut op = ObjectOperation::new();
            op.push(OpKind::Watch { cookie, op: WatchOp::Unwatch, gen: 0, timeout: 0 });
            match io.exec(&oid, op).await {
                Ok(_) | Err(Errno::ENOENT) => Ok(()),
                Err(e) => Err(e),
            }
        })?
    }

    /// rados_watch_check: milliseconds since the watch was last known
    /// good; -ENOTCONN for a watch this client does not hold. The
    /// objecter re-establishes watches as it goes, so a held watch reads 0.
    pub fn watch_check(&self, cookie: u64) -> Result<u64, Errno> {
        let watches = self.connection().watches.0.lock().map_err(|_| Errno::EIO)?;
        watches.get(&cookie).map(|_| 0).ok_or(Errno::ENOTCONN)
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
