//! Feeds arbitrary messages from an OSD to an objecter with an op in flight,
//! as a hostile or buggy OSD could send them: replies, watch events and
//! backoffs are decoded or refused, and the op completes at most once.

use bytes::Bytes;

use crate::msgr::Message;
use crate::objecter::messages::{MSG_OSD_BACKOFF, MSG_OSD_OPREPLY, MSG_WATCH_NOTIFY};
use crate::objecter::{Objecter, ObjecterConfig, Placement, SpgId, Target};
use crate::osd::{ObjectId, ObjectOperation, ObjectRequest, OpKind, SnapId, WatchOp};
use crate::time::Instant;
use crate::Errno;

/// Every object on osd.0, pg 1.0.
struct OneOsd;

impl Placement for OneOsd {
    fn epoch(&self) -> u32 {
        1
    }

    fn calc_target(&self, pool: i64, _name: &str, _nspace: &str) -> Result<Option<Target>, Errno> {
        Ok(Some(Target { osd: 0, pgid: SpgId { pool, seed: 0, shard: -1 }, hash: 0 }))
    }

    fn paused(&self, _pool: i64, _write: bool, _respects_full: bool) -> bool {
        false
    }

    fn is_up(&self, _osd: i32) -> bool {
        true
    }
}

pub fn run(data: &[u8]) {
    let [kind, version, split, rest @ ..] = data else {
        return;
    };
    let msg_type = [MSG_OSD_OPREPLY, MSG_WATCH_NOTIFY, MSG_OSD_BACKOFF][usize::from(*kind % 3)];
    let split = usize::from(*split).min(rest.len());
    let mut objecter = Objecter::new(ObjecterConfig::default());
    let mut op = ObjectOperation::new();
    op.read(0, 10);
    op.push(OpKind::Watch { cookie: 1, op: WatchOp::Watch, gen: 0, timeout: 30 });
    objecter.submit(7, ObjectRequest::read(ObjectId::new(1, "", "o"), SnapId::HEAD, op), &OneOsd, Instant::ZERO);
    let tid = objecter.poll_send().map_or(0, |(_, m)| m.tid);
    let msg = Message {
        msg_type,
        version: u16::from(*version),
        compat_version: 1,
        priority: 0,
        tid,
        front: Bytes::copy_from_slice(&rest[split..]),
        middle: Bytes::new(),
        data: Bytes::copy_from_slice(&rest[..split]),
    };
    let _ = objecter.handle_message(0, &msg, &OneOsd, Instant::ZERO);
    let _ = objecter.handle_message(0, &msg, &OneOsd, Instant::ZERO);
    let replies = core::iter::from_fn(|| objecter.poll_reply()).count();
    assert!(replies <= 1);
    while objecter.poll_send().is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_corpus() {
        // A v8 reply header with one op and 3 bytes of output.
        let mut reply = alloc::vec![0, 8, 3, b'a', b'b', b'c'];
        reply.extend_from_slice(&[1, 0, 0, 0, b'o', 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        reply.extend_from_slice(&[4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        reply.extend_from_slice(&[0; 16]);
        reply.extend_from_slice(&[2, 0, 0, 0]);
        let mut op = [0u8; 38];
        op[34] = 3;
        reply.extend_from_slice(&op);
        reply.extend_from_slice(&op);
        for seed in [&reply[..], &[1, 3, 0, 1, 1][..], &[2, 1, 0][..]] {
            for cut in 0..=seed.len() {
                run(&seed[..cut]);
            }
        }
    }

    #[test]
    fn random_inputs() {
        super::super::run_seeded(0x5eed_0b1e, 4000, 160, run);
    }
}
