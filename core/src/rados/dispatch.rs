use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::sync::Arc;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;

use bytes::Bytes;
use spin::Mutex;

use crate::encoding::UtcTime;
pub use crate::objecter::{Notification, WatchEvent};
use crate::osd::{ObjectReply, ObjectRequest};
use crate::Errno;

/// A transaction id: unique per dispatcher, never reused.
pub type Tid = u64;

/// Pool-level operations: on a cluster the monitor answers these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolRequest {
    /// Allocate a self-managed snapshot id.
    CreateSnap {
        pool: i64,
    },
    /// Release a self-managed snapshot id; its clones are trimmed.
    RemoveSnap {
        pool: i64,
        snap: u64,
    },
    /// Takes pool snapshot `name` (MPoolOp CREATE_SNAP); done once this
    /// client's map has it. -EEXIST if the pool has one by that name,
    /// -EINVAL if there is no such pool.
    CreatePoolSnap {
        pool: i64,
        name: String,
    },
    /// Removes pool snapshot `name` (DELETE_SNAP); done once this
    /// client's map no longer has it. -ENOENT if there is none.
    RemovePoolSnap {
        pool: i64,
        name: String,
    },
    /// The pool's snapshots in this client's map: `Reply::PoolSnaps`.
    PoolSnaps {
        pool: i64,
    },
    Lookup {
        name: String,
    },
    Name {
        pool: i64,
    },
    /// Completes once the client has the monitor's newest OSDMap
    /// (rados_wait_for_latest_osdmap).
    LatestMap,
    /// Creates a pool (with CRUSH rule `crush_rule`, or the default);
    /// done once this client's map has it.
    CreatePool {
        name: String,
        crush_rule: Option<u8>,
    },
    /// Deletes a pool; done once this client's map no longer has it.
    DeletePool {
        name: String,
    },
    /// How long ago the OSD confirmed watch `cookie`, in milliseconds plus
    /// one, or why it is lost: `Reply::Id` (rados_watch_check).
    WatchCheck {
        cookie: u64,
    },
    /// The cluster's space and object count: `Reply::Stats`.
    ClusterStat,
    /// Every pool's id and name, as this client's map has them:
    /// `Reply::Pools`.
    PoolList,
    /// The pool `pool` is a cache tier of, or itself: `Reply::Id`.
    BaseTier {
        pool: i64,
    },
    /// Whether writes to the pool must be aligned (an erasure-coded pool
    /// without overwrites), and its stripe width: `Reply::Alignment`.
    Alignment {
        pool: i64,
    },
    /// The pool's usage (rados_ioctx_pool_stat): `Reply::PoolStat`.
    PoolStat {
        pool: i64,
    },
    /// The pool's applications and their metadata, from this client's map:
    /// `Reply::Applications`.
    Applications {
        pool: i64,
    },
    /// Changes the pool's applications (the monitor's `osd pool
    /// application` commands); done once this client's map is the
    /// monitor's newest.
    Application {
        pool: i64,
        change: super::application::AppChange,
    },
    /// The pg (its seed) raw hash `hash` falls in: `Reply::Id`.
    PgOf {
        pool: i64,
        hash: u32,
    },
    /// A monitor command (JSON parts, input), as `ceph` sends it.
    MonCommand {
        cmd: alloc::vec::Vec<String>,
        input: Bytes,
    },
    /// A command to one monitor, by name or rank (rados_mon_command_target):
    /// `Reply::Command`.
    MonTell {
        target: crate::mon::tell::MonRef,
        cmd: alloc::vec::Vec<String>,
        input: Bytes,
    },
    /// MPing to a monitor: `Reply::Command` with its JSON as the output.
    PingMonitor {
        name: String,
    },
    /// A command to an OSD, or to a pg's primary: `Reply::Command`.
    OsdCommand {
        target: super::osd_command::CommandTarget,
        cmd: alloc::vec::Vec<String>,
        input: Bytes,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Object(ObjectRequest),
    Pool(PoolRequest),
}

impl Request {
    /// The reply saying `request` failed with `e` before it ran.
    pub fn error_reply(&self, e: Errno) -> Reply {
        match self {
            Request::Object(_) => Reply::Object(ObjectReply::error(e)),
            Request::Pool(
                PoolRequest::CreateSnap { .. }
                | PoolRequest::Lookup { .. }
                | PoolRequest::BaseTier { .. }
                | PoolRequest::PgOf { .. }
                | PoolRequest::WatchCheck { .. },
            ) => Reply::Id(Err(e)),
            Request::Pool(PoolRequest::Name { .. }) => Reply::Name(Err(e)),
            Request::Pool(
                PoolRequest::RemoveSnap { .. }
                | PoolRequest::LatestMap
                | PoolRequest::CreatePool { .. }
                | PoolRequest::DeletePool { .. }
                | PoolRequest::CreatePoolSnap { .. }
                | PoolRequest::RemovePoolSnap { .. }
                | PoolRequest::Application { .. },
            ) => Reply::Done(Err(e)),
            Request::Pool(PoolRequest::Applications { .. }) => Reply::Applications(Err(e)),
            Request::Pool(PoolRequest::PoolSnaps { .. }) => Reply::PoolSnaps(Err(e)),
            Request::Pool(PoolRequest::ClusterStat) => Reply::Stats(Err(e)),
            Request::Pool(PoolRequest::PoolList) => Reply::Pools(Err(e)),
            Request::Pool(PoolRequest::PoolStat { .. }) => Reply::PoolStat(Err(e)),
            Request::Pool(PoolRequest::Alignment { .. }) => Reply::Alignment(Err(e)),
            Request::Pool(
                PoolRequest::MonCommand { .. }
                | PoolRequest::OsdCommand { .. }
                | PoolRequest::MonTell { .. }
                | PoolRequest::PingMonitor { .. },
            ) => Reply::Command { result: e.to_ret(), status: String::new(), output: Bytes::new() },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Object(ObjectReply),
    /// A snapshot id or pool id.
    Id(Result<u64, Errno>),
    Name(Result<String, Errno>),
    Done(Result<(), Errno>),
    /// A pool's snapshots, by id.
    PoolSnaps(Result<alloc::vec::Vec<(u64, crate::osdmap::PoolSnap)>, Errno>),
    /// kb, kb_used, kb_avail, num_objects.
    Stats(Result<[u64; 4], Errno>),
    /// Whether aligned writes are required, and the alignment.
    Alignment(Result<(bool, u64), Errno>),
    /// What rados_ioctx_pool_stat fills in (boxed: replies stay small).
    PoolStat(Result<alloc::boxed::Box<crate::mon::pool_stats::RadosPoolStat>, Errno>),
    /// Pool ids and names, in id order.
    Pools(Result<alloc::vec::Vec<(i64, String)>, Errno>),
    /// A pool's applications and their metadata.
    Applications(Result<crate::osdmap::Applications, Errno>),
    /// A monitor command's result, status line and output.
    Command {
        result: i32,
        status: String,
        output: Bytes,
    },
}

#[derive(Debug, Default)]
struct Shared {
    /// Wall-clock time as the driver last reported it.
    now: UtcTime,
    next_tid: Tid,
    next_handle: u64,
    outgoing: VecDeque<(Tid, Request)>,
    /// Tids awaited by a live future, with its reply once it came.
    pending: BTreeMap<Tid, Slot>,
    /// Sleeps the driver is to end with `Reply::Done` after their duration.
    timers: VecDeque<(Tid, Duration)>,
    /// Watches whose notifications a flow takes, by cookie.
    listeners: BTreeMap<u64, Listener>,
}

#[derive(Debug, Default)]
struct Listener {
    events: VecDeque<WatchEvent>,
    waker: Option<Waker>,
}

#[derive(Debug, Default)]
struct Slot {
    reply: Option<Reply>,
    waker: Option<Waker>,
}

/// The request queue shared by the flows and their driver. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Dispatcher {
    shared: Arc<Mutex<Shared>>,
}

impl Dispatcher {
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a request; the returned future resolves to its reply.
    pub fn submit(&self, request: Request) -> ReplyFuture {
        let tid = self.queue(|shared, tid| shared.outgoing.push_back((tid, request)), true);
        ReplyFuture { tid, dispatcher: self.clone() }
    }

    /// Queues a request whose reply nobody awaits (acks, announcements).
    pub fn submit_detached(&self, request: Request) {
        self.queue(|shared, tid| shared.outgoing.push_back((tid, request)), false);
    }

    /// Resolves after `duration` of the driver's clock: the core has none.
    pub fn sleep(&self, duration: Duration) -> ReplyFuture {
        let tid = self.queue(|shared, tid| shared.timers.push_back((tid, duration)), true);
        ReplyFuture { tid, dispatcher: self.clone() }
    }

    /// Numbers something for the driver; `awaited` keeps a slot for its reply.
    fn queue(&self, push: impl FnOnce(&mut Shared, Tid), awaited: bool) -> Tid {
        let mut shared = self.shared.lock();
        shared.next_tid += 1;
        let tid = shared.next_tid;
        push(&mut shared, tid);
        if awaited {
            shared.pending.insert(tid, Slot::default());
        }
        tid
    }

    /// Driver side: the next sleep to time; answer it with `Reply::Done(Ok(()))`.
    #[must_use]
    pub fn poll_timer(&self) -> Option<(Tid, Duration)> {
        self.shared.lock().timers.pop_front()
    }

    /// Routes the notifications of watch `cookie` to [`next_event`](Self::next_event).
    pub fn listen(&self, cookie: u64) {
        self.shared.lock().listeners.entry(cookie).or_default();
    }

    /// Stops routing; a flow waiting in `next_event` gets None.
    pub fn unlisten(&self, cookie: u64) {
        let listener = self.shared.lock().listeners.remove(&cookie);
        if let Some(waker) = listener.and_then(|l| l.waker) {
            waker.wake();
        }
    }

    /// The next notification on watch `cookie`, which its taker must ack;
    /// None once nobody listens.
    pub async fn next_event(&self, cookie: u64) -> Option<WatchEvent> {
        core::future::poll_fn(|cx| {
            let mut shared = self.shared.lock();
            let Some(listener) = shared.listeners.get_mut(&cookie) else {
                return Poll::Ready(None);
            };
            match listener.events.pop_front() {
                Some(event) => Poll::Ready(Some(event)),
                None => {
                    listener.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Driver side: a notification arrived, or a watch was lost. A
    /// notification nobody listens for is acked at once, so the notifier
    /// does not wait for its timeout.
    pub fn handle_watch_event(&self, event: WatchEvent) {
        let mut shared = self.shared.lock();
        match shared.listeners.get_mut(&event.cookie()) {
            Some(listener) => {
                listener.events.push_back(event);
                let waker = listener.waker.take();
                drop(shared);
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
            None => {
                drop(shared);
                if let WatchEvent::Notify(n) = event {
                    self.submit_detached(Request::Object(n.ack(Bytes::new())));
                }
            }
        }
    }

    /// Driver side: the next request to send.
    #[must_use]
    pub fn poll_transmit(&self) -> Option<(Tid, Request)> {
        self.shared.lock().outgoing.pop_front()
    }

    /// Driver side: delivers a reply. A reply for a tid nobody awaits any
    /// more (its flow was dropped) is discarded.
    pub fn handle_reply(&self, tid: Tid, reply: Reply) {
        let waker = {
            let mut shared = self.shared.lock();
            let Some(slot) = shared.pending.get_mut(&tid) else {
                return;
            };
            slot.reply = Some(reply);
            slot.waker.take()
        };
        // Wake outside the lock: a waker may poll right away.
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Driver side: the current time. The core has no clock; writes'
    /// modification times and timestamps in metadata come from here.
    pub fn set_time(&self, now: UtcTime) {
        self.shared.lock().now = now;
    }

    pub fn now(&self) -> UtcTime {
        self.shared.lock().now
    }

    /// A fresh watch handle (librados's linger id): unique per dispatcher.
    pub fn allocate_handle(&self) -> u64 {
        let mut shared = self.shared.lock();
        shared.next_handle += 1;
        shared.next_handle
    }

    /// Requests queued or awaiting replies.
    pub fn in_flight(&self) -> usize {
        self.shared.lock().pending.len()
    }
}

/// Resolves to the reply of one submitted request.
#[derive(Debug)]
#[must_use = "a request's reply is only seen by awaiting it"]
pub struct ReplyFuture {
    tid: Tid,
    dispatcher: Dispatcher,
}

impl ReplyFuture {
    pub fn tid(&self) -> Tid {
        self.tid
    }
}

impl Future for ReplyFuture {
    type Output = Reply;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Reply> {
        let mut shared = self.dispatcher.shared.lock();
        let Some(slot) = shared.pending.get_mut(&self.tid) else {
            // Only reachable by polling after completion.
            return Poll::Ready(Reply::Done(Err(Errno::EINVAL)));
        };
        match slot.reply.take() {
            Some(reply) => {
                shared.pending.remove(&self.tid);
                Poll::Ready(reply)
            }
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for ReplyFuture {
    fn drop(&mut self) {
        let mut shared = self.dispatcher.shared.lock();
        shared.pending.remove(&self.tid);
        shared.outgoing.retain(|(tid, _)| *tid != self.tid);
    }
}
