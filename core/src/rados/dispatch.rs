use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::sync::Arc;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use spin::Mutex;

use crate::encoding::UtcTime;
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
    Lookup {
        name: String,
    },
    Name {
        pool: i64,
    },
    /// Completes once the client has the monitor's newest OSDMap
    /// (rados_wait_for_latest_osdmap).
    LatestMap,
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
            Request::Pool(PoolRequest::CreateSnap { .. } | PoolRequest::Lookup { .. }) => Reply::Id(Err(e)),
            Request::Pool(PoolRequest::Name { .. }) => Reply::Name(Err(e)),
            Request::Pool(PoolRequest::RemoveSnap { .. } | PoolRequest::LatestMap) => Reply::Done(Err(e)),
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
        let mut shared = self.shared.lock();
        shared.next_tid += 1;
        let tid = shared.next_tid;
        shared.outgoing.push_back((tid, request));
        shared.pending.insert(tid, Slot::default());
        ReplyFuture { tid, dispatcher: self.clone() }
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
