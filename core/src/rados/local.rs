use alloc::vec::Vec;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use super::{Dispatcher, PoolRequest, Reply, Request};
use crate::memstore::MemStore;
use crate::random::XorShift;
use crate::Errno;

/// Executes one request on an in-memory store, as a monitor and OSDs
/// would: pool operations and object compounds.
pub fn execute_on(store: &MemStore, request: &Request) -> Reply {
    match request {
        Request::Object(req) => Reply::Object(store.execute(req)),
        Request::Pool(PoolRequest::CreateSnap { pool }) => Reply::Id(store.create_snap(*pool)),
        Request::Pool(PoolRequest::RemoveSnap { pool, snap }) => Reply::Done(store.remove_snap(*pool, *snap)),
        Request::Pool(PoolRequest::Lookup { name }) => Reply::Id(store.lookup_pool(name).map(|id| id as u64)),
        Request::Pool(PoolRequest::Name { pool }) => Reply::Name(store.pool_name(*pool)),
        Request::Pool(PoolRequest::PoolList) => Reply::Pools(Ok(store.list_pools())),
        // No cache tiers here.
        Request::Pool(PoolRequest::BaseTier { pool }) => Reply::Id(store.pool_name(*pool).map(|_| *pool as u64)),
        // Every pool here is replicated: no alignment needed.
        Request::Pool(PoolRequest::Alignment { pool }) => Reply::Alignment(store.pool_name(*pool).map(|_| (false, 0))),
        // Watches on a local store cannot lapse: always just confirmed.
        Request::Pool(PoolRequest::WatchCheck { .. }) => Reply::Id(Ok(1)),
        // Counted as an OSD would, in the legacy (not per-pool) way.
        Request::Pool(PoolRequest::PoolStat { pool }) => {
            Reply::PoolStat(store.pool_stat(*pool).map(|s| crate::mon::pool_stats::rados_pool_stat(&s, false).into()))
        }
        // No pool snapshots here: the store has only self-managed ones.
        Request::Pool(PoolRequest::PoolSnaps { pool }) => Reply::PoolSnaps(store.pool_name(*pool).map(|_| Vec::new())),
        // The store lists each pool as one pg.
        Request::Pool(PoolRequest::PgOf { pool, .. }) => Reply::Id(store.pool_name(*pool).map(|_| 0)),
        Request::Pool(PoolRequest::Applications { pool }) => Reply::Applications(store.applications(*pool)),
        Request::Pool(PoolRequest::Application { pool, change }) => {
            Reply::Done(store.change_applications(*pool, |apps| change.apply(apps)))
        }
        // A local store has no other map than the one it is.
        Request::Pool(PoolRequest::LatestMap) => Reply::Done(Ok(())),
        // Nor a monitor: its owner creates pools itself.
        Request::Pool(
            PoolRequest::CreatePool { .. }
            | PoolRequest::DeletePool { .. }
            | PoolRequest::MonCommand { .. }
            | PoolRequest::OsdCommand { .. }
            | PoolRequest::MonTell { .. }
            | PoolRequest::PingMonitor { .. }
            | PoolRequest::CreatePoolSnap { .. }
            | PoolRequest::RemovePoolSnap { .. }
            | PoolRequest::ClusterStat,
        ) => request.error_reply(Errno::EOPNOTSUPP),
    }
}

/// Drives flows against an in-memory store, in the caller's thread. With
/// [`LocalDriver::shuffled`] every batch of requests a flow has in flight is
/// executed and answered in a seeded random order, so tests see the
/// completion orders a cluster could produce.
#[derive(Debug)]
pub struct LocalDriver<'a> {
    store: &'a MemStore,
    dispatcher: Dispatcher,
    rng: Option<XorShift>,
}

impl<'a> LocalDriver<'a> {
    pub fn new(store: &'a MemStore, dispatcher: Dispatcher) -> Self {
        LocalDriver { store, dispatcher, rng: None }
    }

    pub fn shuffled(mut self, seed: u64) -> Self {
        self.rng = Some(XorShift::new(seed));
        self
    }

    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    pub fn execute(&self, request: &Request) -> Reply {
        execute_on(self.store, request)
    }

    /// Runs `flow` to completion. -EDEADLK if it waits for a reply while
    /// nothing is in flight (a bug in the flow).
    pub fn run<F: Future>(&mut self, flow: F) -> Result<F::Output, Errno> {
        let mut flow = pin!(flow);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(output) = flow.as_mut().poll(&mut cx) {
                return Ok(output);
            }
            let mut batch: Vec<_> = core::iter::from_fn(|| self.dispatcher.poll_transmit()).collect();
            if batch.is_empty() {
                // Simulated time: a sleep ends once nothing else can happen.
                let Some((tid, _)) = self.dispatcher.poll_timer() else {
                    return Err(Errno::EDEADLK);
                };
                self.dispatcher.handle_reply(tid, Reply::Done(Ok(())));
                continue;
            }
            if let Some(rng) = &mut self.rng {
                for i in (1..batch.len()).rev() {
                    batch.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
                }
            }
            for (tid, request) in batch {
                let reply = self.execute(&request);
                self.dispatcher.handle_reply(tid, reply);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::UtcTime;
    use crate::osd::{ObjectId, ObjectOperation, ObjectRequest, SnapContext, SnapId};
    use crate::rados::join_all;
    use alloc::format;
    use bytes::Bytes;

    fn write(d: &Dispatcher, pool: i64, name: &str, data: &'static [u8]) -> super::super::ReplyFuture {
        let mut op = ObjectOperation::new();
        op.write_full(Bytes::from_static(data));
        d.submit(Request::Object(ObjectRequest::write(
            ObjectId::new(pool, "", name),
            SnapContext::default(),
            UtcTime::default(),
            op,
        )))
    }

    #[test]
    fn fan_out_completes_in_input_order_whatever_the_reply_order() {
        let store = MemStore::new();
        let pool = store.create_pool("rbd").unwrap();
        for seed in 1..20 {
            let d = Dispatcher::new();
            let mut driver = LocalDriver::new(&store, d.clone()).shuffled(seed);
            let names: Vec<_> = (0..8).map(|i| format!("o{i}")).collect();
            let flow = async {
                let writes = join_all(names.iter().map(|n| write(&d, pool, n, b"x")));
                let replies = writes.await;
                let reads = names.iter().map(|n| {
                    let mut op = ObjectOperation::new();
                    op.stat();
                    d.submit(Request::Object(ObjectRequest::read(
                        ObjectId::new(pool, "", n.as_str()),
                        SnapId::HEAD,
                        op,
                    )))
                });
                (replies, join_all(reads).await)
            };
            let (writes, reads) = driver.run(flow).unwrap();
            assert_eq!(writes.len(), 8);
            assert!(reads.iter().all(|r| matches!(r, Reply::Object(o) if o.result == 0)));
            assert_eq!(d.in_flight(), 0);
        }
    }

    #[test]
    fn a_flow_waiting_on_nothing_is_reported_not_hung() {
        let store = MemStore::new();
        let mut driver = LocalDriver::new(&store, Dispatcher::new());
        assert_eq!(driver.run(core::future::pending::<()>()), Err(Errno::EDEADLK));
    }

    #[test]
    fn dropping_a_flow_cancels_its_requests() {
        let d = Dispatcher::new();
        let pending = write(&d, 1, "o", b"x");
        assert_eq!(d.in_flight(), 1);
        let tid = pending.tid();
        drop(pending);
        assert_eq!(d.in_flight(), 0);
        assert!(d.poll_transmit().is_none());
        d.handle_reply(tid, Reply::Done(Ok(()))); // late reply: ignored
    }

    fn event(cookie: u64) -> crate::rados::WatchEvent {
        crate::rados::WatchEvent::Notify(crate::rados::Notification {
            oid: ObjectId::new(1, "", "hdr"),
            cookie,
            notify_id: 9,
            notifier_gid: 4,
            payload: Bytes::from_static(b"p"),
        })
    }

    #[test]
    fn notifications_go_to_their_listener_or_are_acked_at_once() {
        use core::task::{Context, Poll, Waker};
        let d = Dispatcher::new();
        d.listen(5);
        d.handle_watch_event(event(5));
        let mut cx = Context::from_waker(Waker::noop());
        let mut next = core::pin::pin!(d.next_event(5));
        assert!(
            matches!(next.as_mut().poll(&mut cx), Poll::Ready(Some(crate::rados::WatchEvent::Notify(n))) if n.notify_id == 9)
        );
        assert!(d.poll_transmit().is_none(), "the listener acks");
        // Nobody listens to 6: acked empty, and nobody awaits that ack.
        d.handle_watch_event(event(6));
        let (_, ack) = d.poll_transmit().unwrap();
        assert!(
            matches!(&ack, Request::Object(r) if matches!(r.op.ops[0].kind, crate::osd::OpKind::NotifyAck { notify_id: 9, cookie: 6, .. }))
        );
        assert_eq!(d.in_flight(), 0);
        let mut waiting = core::pin::pin!(d.next_event(5));
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        d.unlisten(5);
        assert!(matches!(waiting.as_mut().poll(&mut cx), Poll::Ready(None)));
    }

    #[test]
    fn sleeps_end_on_the_drivers_clock() {
        let store = MemStore::new();
        let mut driver = LocalDriver::new(&store, Dispatcher::new());
        let d = driver.dispatcher().clone();
        let slept = driver.run(async move { d.sleep(core::time::Duration::from_secs(3600)).await }).unwrap();
        assert_eq!(slept, Reply::Done(Ok(())));
    }
}
