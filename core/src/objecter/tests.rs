use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::Cell;
use core::time::Duration;

use bytes::Bytes;

use super::messages::*;
use super::*;
use crate::encoding::{encode_versioned, Decode, Decoder, Encode, UtcTime};
use crate::msgr::Message;
use crate::osd::{SnapContext, StatOut};

/// A map with settable targets: object name -> (osd, pg seed).
#[derive(Default)]
struct FakeMap {
    epoch: Cell<u32>,
    targets: BTreeMap<&'static str, (i32, u32)>,
    paused: bool,
    down: Vec<i32>,
}

impl FakeMap {
    fn with(targets: &[(&'static str, i32, u32)]) -> Self {
        let mut map = FakeMap { epoch: Cell::new(10), ..FakeMap::default() };
        for (name, osd, seed) in targets {
            map.targets.insert(name, (*osd, *seed));
        }
        map
    }
}

impl Placement for FakeMap {
    fn epoch(&self) -> u32 {
        self.epoch.get()
    }

    fn calc_target(&self, pool: i64, name: &str, _nspace: &str) -> Result<Option<Target>, Errno> {
        if pool != 1 {
            return Err(Errno::ENOENT);
        }
        Ok(self.targets.get(name).filter(|(osd, _)| *osd >= 0).map(|(osd, seed)| Target {
            osd: *osd,
            pgid: SpgId { pool, seed: *seed, shard: -1 },
            hash: 0xabcd_0000 | *seed,
        }))
    }

    fn paused(&self, _pool: i64, _write: bool, _respects_full: bool) -> bool {
        self.paused
    }

    fn is_up(&self, osd: i32) -> bool {
        !self.down.contains(&osd)
    }

    /// Eight pgs, pg n on osd n.
    fn calc_pg_target(&self, pool: i64, hash: u32) -> Result<Option<Target>, Errno> {
        let seed = hash & 7;
        Ok(Some(Target { osd: seed as i32, pgid: SpgId { pool, seed, shard: -1 }, hash: seed }))
    }
}

fn t(secs: u64) -> Instant {
    Instant::from_nanos(secs * 1_000_000_000)
}

fn stat_req(name: &str) -> ObjectRequest {
    let mut op = ObjectOperation::new();
    op.stat();
    ObjectRequest::read(ObjectId::new(1, "", name), SnapId::HEAD, op)
}

fn write_req(name: &str, data: &'static [u8]) -> ObjectRequest {
    let mut op = ObjectOperation::new();
    op.write(8, Bytes::from_static(data));
    ObjectRequest::write(ObjectId::new(1, "ns", name), SnapContext::new(5, vec![5, 3]), UtcTime::new(100, 7), op)
}

/// The fields of MOSDOp v8 a fake OSD looks at, decoded in upstream's order.
#[derive(Debug)]
struct SentOp {
    pgid: SpgId,
    hash: u32,
    epoch: u32,
    flags: u32,
    pool: i64,
    nspace: alloc::string::String,
    oid: alloc::string::String,
    ops: Vec<(u16, [u8; 28], u32)>,
    snap: u64,
    snap_seq: u64,
    snaps: Vec<u64>,
    attempt: i32,
}

fn parse_op(msg: &Message) -> SentOp {
    assert_eq!((msg.msg_type, msg.version, msg.compat_version), (MSG_OSD_OP, 8, 3));
    let mut d = Decoder::new(&msg.front);
    let pgid = SpgId::decode(&mut d).unwrap();
    let hash = d.u32().unwrap();
    let epoch = d.u32().unwrap();
    let flags = d.u32().unwrap();
    d.versioned(2, |d, _| d.skip(d.remaining())).unwrap(); // reqid
    d.skip(24).unwrap();
    assert_eq!(d.u32().unwrap(), 0);
    d.skip(8).unwrap(); // mtime
    let (pool, nspace) = d
        .versioned(6, |d, _| {
            let pool = d.i64()?;
            assert_eq!(d.i32()?, -1);
            assert_eq!(d.str()?, "");
            let nspace = d.string()?;
            assert_eq!(d.i64()?, -1);
            Ok((pool, nspace))
        })
        .unwrap();
    let oid = d.string().unwrap();
    let n = d.u16().unwrap();
    let mut ops = Vec::new();
    for _ in 0..n {
        let code = d.u16().unwrap();
        d.u32().unwrap();
        let u = d.array::<28>().unwrap();
        ops.push((code, u, d.u32().unwrap()));
    }
    let snap = d.u64().unwrap();
    let snap_seq = d.u64().unwrap();
    let snaps = d.decode::<Vec<u64>>().unwrap();
    let attempt = d.i32().unwrap();
    d.u64().unwrap();
    d.finish().unwrap();
    assert_eq!(ops.iter().map(|o| o.2 as usize).sum::<usize>(), msg.data.len());
    SentOp { pgid, hash, epoch, flags, pool, nspace, oid, ops, snap, snap_seq, snaps, attempt }
}

/// MOSDOpReply v8 as an OSD encodes it.
fn reply(tid: u64, attempt: i32, result: i32, outs: &[(i32, &[u8])], redirect: Option<i64>) -> Message {
    let mut f = Vec::new();
    "obj".encode(&mut f);
    f.push(1);
    1i64.encode(&mut f);
    7u32.encode(&mut f);
    (-1i32).encode(&mut f);
    (flags::ONDISK as u64).encode(&mut f);
    result.encode(&mut f);
    f.extend_from_slice(&[0; 12]);
    11u32.encode(&mut f);
    (outs.len() as u32).encode(&mut f);
    let mut data = Vec::new();
    for (_, out) in outs {
        f.extend_from_slice(&[0; 34]);
        (out.len() as u32).encode(&mut f);
        data.extend_from_slice(out);
    }
    attempt.encode(&mut f);
    for (rval, _) in outs {
        rval.encode(&mut f);
    }
    f.extend_from_slice(&[0; 12]);
    42u64.encode(&mut f);
    match redirect {
        Some(pool) => {
            f.push(1);
            encode_versioned(&mut f, 1, 1, |f| {
                encode_versioned(f, 6, 3, |f| {
                    pool.encode(f);
                    (-1i32).encode(f);
                    "".encode(f);
                    "".encode(f);
                    (-1i64).encode(f);
                });
                "".encode(f);
                Bytes::new().encode(f);
            });
        }
        None => f.push(0),
    }
    f.extend_from_slice(&[0; 24]); // trace
    Message {
        msg_type: MSG_OSD_OPREPLY,
        version: 8,
        compat_version: 2,
        priority: 63,
        tid,
        front: f.into(),
        middle: Bytes::new(),
        data: data.into(),
    }
}

fn objecter() -> Objecter {
    Objecter::new(ObjecterConfig { op_timeout: Duration::from_secs(10), features: 0x3f, watch_timeout: 30 })
}

fn sends(o: &mut Objecter) -> Vec<(i32, Message)> {
    core::iter::from_fn(|| o.poll_send()).collect()
}

#[test]
fn a_write_is_encoded_as_mosdop_v8() {
    let map = FakeMap::with(&[("obj", 2, 7)]);
    let mut o = objecter();
    o.submit(1, write_req("obj", b"hello"), &map, t(1));
    let sent = sends(&mut o);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, 2);
    let op = parse_op(&sent[0].1);
    assert_eq!(op.pgid, SpgId { pool: 1, seed: 7, shard: -1 });
    assert_eq!((op.hash, op.epoch, op.pool), (0xabcd_0007, 10, 1));
    assert_eq!(op.flags, flags::WRITE | flags::ONDISK | flags::KNOWN_REDIR);
    assert_eq!((op.nspace.as_str(), op.oid.as_str()), ("ns", "obj"));
    assert_eq!((op.snap, op.snap_seq, op.snaps.as_slice()), (SnapId::HEAD.0, 5, &[5u64, 3][..]));
    assert_eq!(op.attempt, 0);
    let (code, u, len) = op.ops[0];
    assert_eq!((code, len), (0x2201, 5));
    assert_eq!(&u[..16], &[8, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&sent[0].1.data[..], b"hello");
}

#[test]
fn a_lone_writes_data_is_shared_not_copied() {
    let map = FakeMap::with(&[("obj", 2, 7)]);
    let mut o = objecter();
    let data = Bytes::from(vec![7u8; 4096]);
    let mut op = ObjectOperation::new();
    op.write(0, data.clone());
    o.submit(
        1,
        ObjectRequest::write(ObjectId::new(1, "", "obj"), SnapContext::default(), UtcTime::default(), op),
        &map,
        t(0),
    );
    assert_eq!(sends(&mut o)[0].1.data.as_ptr(), data.as_ptr());
}

/// What a fresh objecter sends for a write compound `op` on "obj".
fn send_write(op: ObjectOperation) -> (SentOp, Message) {
    let map = FakeMap::with(&[("obj", 0, 1)]);
    let mut o = objecter();
    let req = ObjectRequest::write(ObjectId::new(1, "", "obj"), SnapContext::default(), UtcTime::default(), op);
    o.submit(1, req, &map, t(0));
    let (_, msg) = sends(&mut o).remove(0);
    (parse_op(&msg), msg)
}

#[test]
fn op_inputs_follow_librados_layouts() {
    let mut op = ObjectOperation::new();
    op.call("rbd", "get_size", Bytes::from_static(b"\x01\x02"));
    op.set_xattr("k", Bytes::from_static(b"vv"));
    op.push(OpKind::Watch { cookie: 9, op: WatchOp::Watch, gen: 2, timeout: 30 });
    let (sent, msg) = send_write(op);
    assert_eq!(&msg.data[..], b"rbdget_size\x01\x02kvv");
    let call = sent.ops[0];
    assert_eq!((call.0, call.2), (0x1401, 13));
    assert_eq!(&call.1[..7], &[3, 8, 0, 2, 0, 0, 0]);
    let xattr = sent.ops[1];
    assert_eq!(&xattr.1[..8], &[1, 0, 0, 0, 2, 0, 0, 0]);
    let watch = sent.ops[2];
    assert_eq!(watch.0, 0x220f);
    assert_eq!(&watch.1[..25], &[9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 2, 0, 0, 0, 30, 0, 0, 0]);
}

#[test]
fn full_try_is_a_request_flag() {
    let mut op = ObjectOperation::new();
    op.remove();
    let oid = ObjectId::new(1, "", "obj");
    let req = ObjectRequest::write(oid, SnapContext::default(), UtcTime::default(), op);
    assert_eq!(op_flags(&req, 0, 0) & flags::FULL_TRY, 0);
    assert_eq!(op_flags(&req.with_full_try(true), 0, 0) & flags::FULL_TRY, 0x80_0000);
}

#[test]
fn assert_version_sends_the_version_after_an_unused_word() {
    // ceph_osd_op's assert_ver: { __le64 unused; __le64 ver; }, no data.
    let mut op = ObjectOperation::new();
    op.assert_version(0x0102_0304_0506_0708);
    let (sent, _) = send_write(op);
    let (code, u, len) = sent.ops[0];
    assert_eq!((code, len), (0x1208, 0));
    assert_eq!(&u[..16], &[0, 0, 0, 0, 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1]);
}

#[test]
fn omap_cmp_and_key_range_inputs_are_encoded_maps_and_strings() {
    let mut op = ObjectOperation::new();
    op.push(OpKind::OmapCmp { assertions: [("k".into(), (Bytes::from_static(b"v"), 1))].into_iter().collect() });
    op.push(OpKind::OmapRmKeyRange { start: "a".into(), end: "b".into() });
    let (sent, msg) = send_write(op);
    assert_eq!((sent.ops[0].0, sent.ops[0].2, sent.ops[1].0, sent.ops[1].2), (0x1219, 18, 0x222c, 10));
    // map<string, pair<bufferlist, int>>: count, key, value, mode; then
    // the two range ends.
    let cmp: &[u8] = b"\x01\0\0\0\x01\0\0\0k\x01\0\0\0v\x01\0\0\0";
    let range: &[u8] = b"\x01\0\0\0a\x01\0\0\0b";
    assert_eq!(&msg.data[..], [cmp, range].concat());
}

#[test]
fn a_reply_completes_the_op_with_each_ops_output() {
    let map = FakeMap::with(&[("obj", 2, 7)]);
    let mut o = objecter();
    o.submit(5, stat_req("obj"), &map, t(1));
    let (osd, msg) = sends(&mut o).remove(0);
    let mut stat = Vec::new();
    4096u64.encode(&mut stat);
    UtcTime::new(3, 4).encode(&mut stat);
    o.handle_message(osd, &reply(msg.tid, 0, 0, &[(0, &stat)], None), &map, t(2)).unwrap();
    let (id, r) = o.poll_reply().unwrap();
    assert_eq!((id, r.result, r.version), (5, 0, 42));
    assert_eq!(crate::encoding::decode_exact::<StatOut>(r.out(0).unwrap()).unwrap().size, 4096);
    assert_eq!(o.in_flight(), 0);
}

#[test]
fn a_map_change_resends_to_the_new_primary_and_stale_replies_are_ignored() {
    let mut map = FakeMap::with(&[("obj", 2, 7)]);
    let mut o = objecter();
    o.submit(1, stat_req("obj"), &map, t(1));
    let first = sends(&mut o).remove(0);
    map.targets.insert("obj", (4, 7));
    map.epoch.set(11);
    o.handle_map(&map, t(2));
    let (osd, msg) = sends(&mut o).remove(0);
    assert_eq!(osd, 4);
    let sent = parse_op(&msg);
    assert_eq!((sent.attempt, sent.epoch), (1, 11));
    assert_ne!(sent.flags & flags::RETRY, 0);
    assert_eq!(msg.tid, first.1.tid);
    // The old primary answers the first attempt: dropped.
    o.handle_message(2, &reply(msg.tid, 0, 0, &[(0, b"")], None), &map, t(3)).unwrap();
    assert!(o.poll_reply().is_none());
    o.handle_message(4, &reply(msg.tid, 1, -2, &[(-2, b"")], None), &map, t(3)).unwrap();
    assert_eq!(o.poll_reply().unwrap().1.result, -2);
}

#[test]
fn an_unchanged_map_sends_nothing_and_a_down_osd_is_closed() {
    let mut map = FakeMap::with(&[("obj", 2, 7), ("other", 3, 1)]);
    let mut o = objecter();
    o.submit(1, stat_req("obj"), &map, t(1));
    o.submit(2, stat_req("other"), &map, t(1));
    assert_eq!(sends(&mut o).len(), 2);
    map.epoch.set(11);
    o.handle_map(&map, t(2));
    assert!(sends(&mut o).is_empty());
    map.down.push(3);
    map.targets.insert("other", (-1, 1));
    o.handle_map(&map, t(2));
    assert_eq!(o.poll_close(), Some(3));
    assert!(sends(&mut o).is_empty(), "unmapped ops wait for a map");
    map.targets.insert("other", (2, 1));
    o.handle_map(&map, t(3));
    assert_eq!(sends(&mut o).iter().map(|s| s.0).collect::<Vec<_>>(), vec![2]);
}

#[test]
fn reset_eagain_and_redirect_resend() {
    let map = FakeMap::with(&[("obj", 2, 7)]);
    let mut o = objecter();
    o.submit(1, stat_req("obj"), &map, t(1));
    let tid = sends(&mut o)[0].1.tid;
    o.handle_reset(2, &map, t(2));
    let again = sends(&mut o);
    assert_eq!(parse_op(&again[0].1).attempt, 1);
    o.handle_message(2, &reply(tid, 1, Errno::EAGAIN.to_ret(), &[(0, b"")], None), &map, t(2)).unwrap();
    assert!(o.poll_reply().is_none());
    assert_eq!(parse_op(&sends(&mut o)[0].1).attempt, 2);
    // A redirect to a pool that does not exist ends in -ENOENT.
    o.handle_message(2, &reply(tid, 2, 0, &[(0, b"")], Some(9)), &map, t(2)).unwrap();
    assert_eq!(o.poll_reply().unwrap().1.result, Errno::ENOENT.to_ret());
}

#[test]
fn ops_time_out_instead_of_hanging() {
    let mut map = FakeMap::with(&[("obj", -1, 7)]);
    map.paused = true;
    let mut o = objecter();
    o.submit(1, stat_req("obj"), &map, t(1));
    assert!(sends(&mut o).is_empty());
    assert_eq!(o.poll_timeout(), Some(t(11)));
    o.handle_timeout(t(10), &map);
    assert!(o.poll_reply().is_none());
    o.handle_timeout(t(11), &map);
    assert_eq!(o.poll_reply().unwrap().1.result, Errno::ETIMEDOUT.to_ret());
    assert_eq!(o.poll_timeout(), None);
}

#[test]
fn a_missing_pool_fails_at_once() {
    let map = FakeMap::with(&[]);
    let mut o = objecter();
    let mut req = stat_req("obj");
    req.oid.pool = 3;
    o.submit(1, req, &map, t(1));
    assert_eq!(o.poll_reply().unwrap().1.result, Errno::ENOENT.to_ret());
}

fn backoff_msg(op: u8, seed: u32, id: u64) -> Message {
    let mut f = Vec::new();
    SpgId { pool: 1, seed, shard: -1 }.encode(&mut f);
    10u32.encode(&mut f);
    f.push(op);
    id.encode(&mut f);
    for _ in 0..2 {
        encode_versioned(&mut f, 4, 3, |f| f.extend_from_slice(&[0; 9]));
    }
    Message { msg_type: MSG_OSD_BACKOFF, version: 1, compat_version: 1, front: f.into(), ..Message::default() }
}

#[test]
fn a_backoff_holds_ops_until_unblocked_and_is_acknowledged() {
    let map = FakeMap::with(&[("obj", 2, 7)]);
    let mut o = objecter();
    o.handle_message(2, &backoff_msg(backoff_op::BLOCK, 7, 99), &map, t(1)).unwrap();
    let ack = sends(&mut o).remove(0);
    assert_eq!(ack.1.msg_type, MSG_OSD_BACKOFF);
    let parsed = decode_backoff(&ack.1.front).unwrap();
    assert_eq!((parsed.op, parsed.id), (backoff_op::ACK_BLOCK, 99));
    o.submit(1, stat_req("obj"), &map, t(1));
    assert!(sends(&mut o).is_empty());
    o.handle_message(2, &backoff_msg(backoff_op::UNBLOCK, 7, 99), &map, t(2)).unwrap();
    assert_eq!(sends(&mut o).len(), 1);
}

fn notify_msg(opcode: u8, cookie: u64, notify_id: u64) -> Message {
    let mut f = vec![1, opcode];
    cookie.encode(&mut f);
    0u64.encode(&mut f);
    notify_id.encode(&mut f);
    Bytes::from_static(b"hi").encode(&mut f);
    0i32.encode(&mut f);
    77u64.encode(&mut f);
    Message { msg_type: MSG_WATCH_NOTIFY, version: 3, front: f.into(), ..Message::default() }
}

#[test]
fn watches_are_reconnected_and_notifications_handed_up() {
    let map = FakeMap::with(&[("hdr", 1, 3)]);
    let mut o = objecter();
    watch(&mut o, &map, 5);

    o.handle_message(1, &notify_msg(watch_event::NOTIFY, 5, 1234), &map, t(1)).unwrap();
    assert!(sends(&mut o).is_empty(), "the taker acks, not the objecter");
    let Some(WatchEvent::Notify(event)) = o.poll_watch_event() else { panic!("no notification") };
    assert_eq!((event.cookie, event.notify_id, event.notifier_gid, &event.payload[..]), (5, 1234, 77, &b"hi"[..]));
    o.submit(2, event.ack(Bytes::from_static(b"ok")), &map, t(1));
    let (osd, ack) = sends(&mut o).remove(0);
    let sent = parse_op(&ack);
    assert_eq!((osd, sent.ops[0].0, sent.flags & flags::READ), (1, 0x1207, flags::READ));
    let mut want = Vec::new();
    1234u64.encode(&mut want);
    5u64.encode(&mut want);
    Bytes::from_static(b"ok").encode(&mut want);
    assert_eq!(&ack.data[..], &want[..]);
    // Notifications for cookies we do not hold are dropped.
    o.handle_message(1, &notify_msg(watch_event::NOTIFY, 6, 1), &map, t(1)).unwrap();
    assert!(o.poll_watch_event().is_none());

    o.handle_reset(1, &map, t(2));
    let again = sends(&mut o);
    let watch = parse_op(&again.last().unwrap().1).ops[0];
    assert_eq!((watch.0, watch.1[16]), (0x220f, WatchOp::Reconnect as u8));
    assert_eq!(o.in_flight(), 1, "only the caller's ack; reconnects are the objecter's own");
}

fn notify_complete(cookie: u64, result: i32, acks: &'static [u8]) -> Message {
    let mut f = vec![1, watch_event::NOTIFY_COMPLETE];
    cookie.encode(&mut f);
    0u64.encode(&mut f);
    88u64.encode(&mut f);
    Bytes::new().encode(&mut f);
    result.encode(&mut f);
    77u64.encode(&mut f);
    Message {
        msg_type: MSG_WATCH_NOTIFY,
        version: 3,
        front: f.into(),
        data: Bytes::from_static(acks),
        ..Message::default()
    }
}

fn notify_req(cookie: u64) -> ObjectRequest {
    let mut op = ObjectOperation::new();
    op.push(OpKind::Notify { cookie, timeout: 5, payload: Bytes::from_static(b"x") });
    ObjectRequest::read(ObjectId::new(1, "", "hdr"), SnapId::HEAD, op)
}

#[test]
fn a_notify_completes_with_the_acks_not_at_its_reply() {
    let map = FakeMap::with(&[("hdr", 1, 3)]);
    let mut o = objecter();
    o.submit(1, notify_req(40), &map, t(0));
    let tid = sends(&mut o)[0].1.tid;
    o.handle_message(1, &reply(tid, 0, 0, &[(0, &88u64.to_le_bytes())], None), &map, t(0)).unwrap();
    assert!(o.poll_reply().is_none(), "accepted, not complete");
    o.handle_message(1, &notify_complete(40, -110, b"acks"), &map, t(1)).unwrap();
    let (id, done) = o.poll_reply().unwrap();
    assert_eq!((id, done.result, &done.ops[0].out[..]), (1, -110, &b"acks"[..]));

    // The completion may overtake the reply.
    o.submit(2, notify_req(41), &map, t(2));
    let tid = sends(&mut o)[0].1.tid;
    o.handle_message(1, &notify_complete(41, 0, b"early"), &map, t(2)).unwrap();
    assert!(o.poll_reply().is_none());
    o.handle_message(1, &reply(tid, 0, 0, &[(0, &88u64.to_le_bytes())], None), &map, t(2)).unwrap();
    assert_eq!(&o.poll_reply().unwrap().1.ops[0].out[..], b"early");

    // An accepted notify whose session drops fails rather than hanging.
    o.submit(3, notify_req(42), &map, t(3));
    let tid = sends(&mut o)[0].1.tid;
    o.handle_message(1, &reply(tid, 0, 0, &[(0, &88u64.to_le_bytes())], None), &map, t(3)).unwrap();
    o.handle_reset(1, &map, t(4));
    assert_eq!(o.poll_reply().unwrap().1.result, Errno::ENOTCONN.to_ret());
    assert_eq!(o.in_flight(), 0);
}

#[test]
fn malformed_replies_are_errors_not_panics() {
    let map = FakeMap::with(&[("obj", 2, 7)]);
    let mut o = objecter();
    o.submit(1, stat_req("obj"), &map, t(1));
    let tid = sends(&mut o)[0].1.tid;
    let good = reply(tid, 0, 0, &[(0, b"abc")], None);
    // Everything up to the trace is needed; what follows is ignored.
    for cut in 0..good.front.len() - 24 {
        let mut bad = good.clone();
        bad.front = good.front.slice(..cut);
        assert!(o.handle_message(2, &bad, &map, t(1)).is_err());
    }
    let mut short_data = good.clone();
    short_data.data = Bytes::from_static(b"ab");
    assert!(o.handle_message(2, &short_data, &map, t(1)).is_err());
    assert!(o.poll_reply().is_none());
    o.handle_message(2, &good, &map, t(1)).unwrap();
    assert_eq!(&o.poll_reply().unwrap().1.ops[0].out[..], b"abc");
}

/// Registers watch `cookie` on "hdr" at t(0), as a caller would.
fn watch(o: &mut Objecter, map: &FakeMap, cookie: u64) {
    let mut op = ObjectOperation::new();
    op.push(OpKind::Watch { cookie, op: WatchOp::Watch, gen: 0, timeout: 30 });
    let req = ObjectRequest::write(ObjectId::new(1, "", "hdr"), SnapContext::default(), UtcTime::default(), op);
    o.submit(1, req, map, t(0));
    let tid = sends(o)[0].1.tid;
    o.handle_message(1, &reply(tid, 0, 0, &[(0, b"")], None), map, t(0)).unwrap();
    assert_eq!(o.poll_reply().unwrap().1.result, 0);
}

/// The (watch op, gen) of a sent watch op.
fn watch_op(msg: &Message) -> (u8, u32) {
    let sent = parse_op(msg);
    let (code, payload, _) = sent.ops[0];
    assert_eq!(code, 0x220f);
    (payload[16], u32::from_le_bytes(payload[17..21].try_into().unwrap()))
}

#[test]
fn watches_are_pinged_and_watch_check_reports_the_last_confirmation() {
    let map = FakeMap::with(&[("hdr", 1, 3)]);
    let mut o = objecter();
    watch(&mut o, &map, 5);
    assert_eq!(o.watch_check(5, t(2)), Ok(2001));
    assert_eq!(o.watch_check(6, t(2)), Err(Errno::ENOTCONN));
    assert_eq!(o.poll_timeout(), Some(t(5)), "the first ping is due");
    o.handle_timeout(t(5), &map);
    let (osd, ping) = sends(&mut o).remove(0);
    assert_eq!((osd, watch_op(&ping).0), (1, WatchOp::Ping as u8));
    assert_eq!(o.in_flight(), 0, "pings are the objecter's own");
    o.handle_message(1, &reply(ping.tid, 0, 0, &[(0, b"")], None), &map, t(6)).unwrap();
    // Confirmed as of when the ping left, not when its answer came.
    assert_eq!(o.watch_check(5, t(7)), Ok(2001));
    assert_eq!(o.poll_timeout(), Some(t(10)));
}

#[test]
fn a_failed_ping_or_a_disconnect_loses_the_watch_once() {
    let map = FakeMap::with(&[("hdr", 1, 3)]);
    let mut o = objecter();
    watch(&mut o, &map, 5);
    o.handle_timeout(t(5), &map);
    let ping = sends(&mut o).remove(0).1;
    // The OSD no longer knows the watch: -ENOTCONN, as librados reports it.
    o.handle_message(1, &reply(ping.tid, 0, Errno::ENOTCONN.to_ret(), &[(0, b"")], None), &map, t(5)).unwrap();
    assert_eq!(o.poll_watch_event(), Some(WatchEvent::Error { cookie: 5, error: Errno::ENOTCONN }));
    assert_eq!(o.watch_check(5, t(6)), Err(Errno::ENOTCONN));
    // A lost watch is neither pinged nor relinked, and reported once.
    assert_eq!(o.poll_timeout(), None);
    o.handle_reset(1, &map, t(6));
    o.handle_message(1, &notify_msg(watch_event::DISCONNECT, 5, 0), &map, t(6)).unwrap();
    assert!(sends(&mut o).is_empty());
    assert!(o.poll_watch_event().is_none());

    // Watching anew (same cookie) clears the loss; a disconnect loses it again.
    watch(&mut o, &map, 5);
    assert_eq!(o.watch_check(5, t(0)), Ok(1));
    o.handle_message(1, &notify_msg(watch_event::DISCONNECT, 5, 0), &map, t(1)).unwrap();
    assert_eq!(o.poll_watch_event(), Some(WatchEvent::Error { cookie: 5, error: Errno::ENOTCONN }));
}

#[test]
fn a_ping_answered_for_an_older_registration_is_ignored() {
    let map = FakeMap::with(&[("hdr", 1, 3)]);
    let mut o = objecter();
    watch(&mut o, &map, 5);
    o.handle_timeout(t(5), &map);
    let ping = sends(&mut o).remove(0).1;
    assert_eq!(watch_op(&ping), (WatchOp::Ping as u8, 0));
    // The session resets: the ping goes again, then the reconnect (gen 1).
    o.handle_reset(1, &map, t(5));
    let again = sends(&mut o);
    let ops: Vec<_> = again.iter().map(|(_, m)| watch_op(m)).collect();
    assert_eq!(ops, [(WatchOp::Ping as u8, 0), (WatchOp::Reconnect as u8, 1)]);
    // The OSD says the old ping's watch needs a reconnect: not a loss.
    let (old_ping, reconnect) = (&again[0].1, &again[1].1);
    o.handle_message(1, &reply(old_ping.tid, 1, Errno::ETIMEDOUT.to_ret(), &[(0, b"")], None), &map, t(5)).unwrap();
    assert!(o.poll_watch_event().is_none());
    o.handle_message(1, &reply(reconnect.tid, 0, 0, &[(0, b"")], None), &map, t(6)).unwrap();
    assert_eq!(o.watch_check(5, t(7)), Ok(2001));
    // A reconnect the OSD refuses (the watch timed out there) loses it.
    o.handle_reset(1, &map, t(8));
    let reconnect = sends(&mut o).pop().unwrap().1;
    assert_eq!(watch_op(&reconnect), (WatchOp::Reconnect as u8, 2));
    o.handle_message(1, &reply(reconnect.tid, 0, Errno::ENOENT.to_ret(), &[(0, b"")], None), &map, t(8)).unwrap();
    assert_eq!(o.poll_watch_event(), Some(WatchEvent::Error { cookie: 5, error: Errno::ENOTCONN }));
}

#[test]
fn checksum_and_cmpxattr_follow_rados_h() {
    let mut op = ObjectOperation::new();
    op.push(OpKind::Checksum {
        kind: 2,
        offset: 5,
        length: 8,
        chunk_size: 4,
        init: Bytes::from_static(b"\xff\xff\xff\xff"),
    });
    op.push(OpKind::CmpXattr { name: "a".into(), op: 3, mode: 1, value: Bytes::from_static(b"vv") });
    let (sent, msg) = send_write(op);
    assert_eq!(&msg.data[..], b"\xff\xff\xff\xffavv");
    let (code, u, len) = sent.ops[0];
    assert_eq!((code, len), (0x121f, 4));
    assert_eq!(&u[..21], &[5, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 2]);
    let (code, u, len) = sent.ops[1];
    assert_eq!((code, len), (0x1303, 3));
    assert_eq!(&u[..10], &[1, 0, 0, 0, 2, 0, 0, 0, 3, 1]);
}

#[test]
fn a_pgnls_goes_to_the_cursors_pg_as_a_pg_op() {
    use crate::osd::HObject;
    let map = FakeMap::with(&[]);
    let mut o = objecter();
    let mut op = ObjectOperation::new();
    op.push(OpKind::PgNls { count: 100, start_epoch: 0, cursor: HObject::at_hash(1, 0x1234_5675) });
    let req = ObjectRequest::read(ObjectId::new(1, "\u{1}", ""), SnapId::HEAD, op);
    o.submit(1, req, &map, t(0));
    let (osd, msg) = sends(&mut o).remove(0);
    let sent = parse_op(&msg);
    assert_eq!(osd, 5);
    assert_eq!((sent.pgid.seed, sent.hash), (5, 5), "the pg's seed as the op's hash, as pg_read sends it");
    assert_eq!(sent.flags & (flags::PGOP | flags::IGNORE_OVERLAY), flags::PGOP | flags::IGNORE_OVERLAY);
    assert_eq!((sent.oid.as_str(), sent.nspace.as_str()), ("", "\u{1}"));
    let (code, u, len) = sent.ops[0];
    assert_eq!(code, 0x1505);
    assert_eq!(&u[..8], &100u64.to_le_bytes());
    assert_eq!(len as usize, msg.data.len());
    let cursor: HObject = crate::encoding::decode_exact(&msg.data).unwrap();
    assert_eq!(cursor.hash, 0x1234_5675);
}
