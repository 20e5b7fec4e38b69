use alloc::string::String;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::*;
use crate::encoding::{encode_to_vec, Decoder, UtcTime};
use crate::memstore::{ClassRegistry, MemStore};
use crate::osd::{ClientId, ObjectId, ObjectOperation, ObjectReply, ObjectRequest, OpKind, SnapContext, SnapId};
use crate::Errno;

const A: ClientId = ClientId { global_id: 4150, nonce: 77 };
const B: ClientId = ClientId { global_id: 4151, nonce: 88 };

/// The input of the single class call `op` holds.
fn call_of(op: &ObjectOperation) -> (&str, &str, &[u8]) {
    match &op.ops[..] {
        [only] => match &only.kind {
            OpKind::Call { class, method, input } => (class, method, input),
            other => panic!("not a call: {other:?}"),
        },
        ops => panic!("expected one op, got {}", ops.len()),
    }
}

fn built(build: impl FnOnce(&mut ObjectOperation)) -> ObjectOperation {
    let mut op = ObjectOperation::new();
    build(&mut op);
    op
}

/// A length-prefixed string, as encode(std::string) writes it.
fn s(text: &str) -> Vec<u8> {
    let mut out = (text.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(text.as_bytes());
    out
}

/// ENCODE_START(1, 1) ... ENCODE_FINISH around `body`.
fn v1(body: &[u8]) -> Vec<u8> {
    let mut out = vec![1, 1];
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

// -- requests, byte for byte (cls_lock_ops.h encode(), cls_lock_client.cc) --

#[test]
fn lock_request_bytes() {
    let op = built(|op| {
        lock(op, "rbd_lock", ClsLockType::EXCLUSIVE, "auto 140", "internal", "", UtcTime::default(), 0);
    });
    // cls_lock_lock_op: name, u8 type, cookie, tag, description, utime_t duration, u8 flags.
    let body = cat(&[&s("rbd_lock"), &[1], &s("auto 140"), &s("internal"), &s(""), &[0; 8], &[0]]);
    assert_eq!(body.len(), 50);
    let expected = cat(&[&[1, 1, 50, 0, 0, 0], &body]);
    assert_eq!(call_of(&op), ("lock", "lock", &expected[..]));

    let op = built(|op| {
        lock(op, "n", ClsLockType::SHARED, "c", "t", "d", UtcTime::new(30, 5), LOCK_FLAG_MAY_RENEW);
    });
    let expected: &[u8] = &[
        1, 1, 30, 0, 0, 0, // envelope
        1, 0, 0, 0, b'n', 2, // name, LOCK_SHARED
        1, 0, 0, 0, b'c', 1, 0, 0, 0, b't', 1, 0, 0, 0, b'd', // cookie, tag, description
        30, 0, 0, 0, 5, 0, 0, 0, // duration 30 s 5 ns
        1, // LOCK_FLAG_MAY_RENEW
    ];
    assert_eq!(call_of(&op).2, expected);
}

#[test]
fn unlock_break_get_info_list_bytes() {
    let op = built(|op| unlock(op, "rbd_lock", "auto 140"));
    let expected = v1(&cat(&[&s("rbd_lock"), &s("auto 140")]));
    assert_eq!(&expected[..6], [1, 1, 24, 0, 0, 0]);
    assert_eq!(call_of(&op), ("lock", "unlock", &expected[..]));

    // cls_lock_break_op: name, entity_name_t (u8 type, i64 num), cookie.
    let op = built(|op| break_lock(op, "rbd_lock", "auto 140", EntityName::client(4150)));
    let locker: &[u8] = &[8, 0x36, 0x10, 0, 0, 0, 0, 0, 0];
    let expected = v1(&cat(&[&s("rbd_lock"), locker, &s("auto 140")]));
    assert_eq!(&expected[..6], [1, 1, 33, 0, 0, 0]);
    assert_eq!(call_of(&op), ("lock", "break_lock", &expected[..]));

    let op = built(|op| get_info(op, "rbd_lock"));
    assert_eq!(
        call_of(&op),
        ("lock", "get_info", &[1, 1, 12, 0, 0, 0, 8, 0, 0, 0, b'r', b'b', b'd', b'_', b'l', b'o', b'c', b'k'][..])
    );

    let op = built(list_locks);
    assert_eq!(call_of(&op), ("lock", "list_locks", &[][..]));
}

#[test]
fn assert_and_set_cookie_bytes() {
    let op = built(|op| assert_locked(op, "rbd_lock", ClsLockType::EXCLUSIVE, "auto 140", "internal"));
    let expected = v1(&cat(&[&s("rbd_lock"), &[1], &s("auto 140"), &s("internal")]));
    assert_eq!(&expected[..6], [1, 1, 37, 0, 0, 0]);
    assert_eq!(call_of(&op), ("lock", "assert_locked", &expected[..]));

    let op = built(|op| set_cookie(op, "rbd_lock", ClsLockType::EXCLUSIVE, "auto 140", "internal", "auto 141"));
    let expected = v1(&cat(&[&s("rbd_lock"), &[1], &s("auto 140"), &s("internal"), &s("auto 141")]));
    assert_eq!(&expected[..6], [1, 1, 49, 0, 0, 0]);
    assert_eq!(call_of(&op), ("lock", "set_cookie", &expected[..]));
}

// -- replies and stored state --

/// entity_addr_t::encode with MSG_ADDR2: marker 1, ENCODE_START(1, 1),
/// u32 type, u32 nonce, u32 sockaddr length, sockaddr_in (family
/// little-endian, port and address big-endian, 8 zero bytes).
fn blank_legacy_addr(nonce: u8) -> Vec<u8> {
    let body = cat(&[&[1, 0, 0, 0], &[nonce, 0, 0, 0], &[16, 0, 0, 0], &[2, 0], &[0; 14]]);
    cat(&[&[1], &v1(&body)])
}

/// lock_info_t (= cls_lock_get_info_reply) after client 4150 (nonce 77)
/// took "rbd_lock" exclusively as librbd does.
fn librbd_lock_info_bytes() -> Vec<u8> {
    let locker_id = v1(&cat(&[&[8, 0x36, 0x10, 0, 0, 0, 0, 0, 0], &s("auto 140")]));
    let locker_info = v1(&cat(&[&[0; 8], &blank_legacy_addr(77), &s("")]));
    assert_eq!((locker_id.len(), locker_info.len()), (27, 53));
    let body = cat(&[&[1, 0, 0, 0], &locker_id, &locker_info, &[1], &s("internal")]);
    v1(&body)
}

#[test]
fn entity_addr_bytes() {
    let addr = EntityAddr::blank_ipv4(EntityAddr::TYPE_LEGACY, 77);
    assert_eq!(encode_to_vec(&addr), blank_legacy_addr(77));
    assert_eq!(encode_to_vec(&addr).len(), 35);
    assert_eq!(alloc::format!("{addr:?}"), "v1:0.0.0.0:0/77");

    // An IPv6 sockaddr is 28 bytes; other families encode the whole union.
    let mut v6 = EntityAddr { family: AF_INET6, ..addr };
    v6.sa_data[25] = 9;
    let bytes = encode_to_vec(&v6);
    assert_eq!(&bytes[15..19], [28, 0, 0, 0]);
    assert_eq!(Decoder::new(&bytes).decode::<EntityAddr>().unwrap(), v6);
}

#[test]
fn legacy_entity_addr_decodes() {
    // Pre-MSG_ADDR2: u32 type 0, nonce, sockaddr_storage with a big-endian family.
    let mut bytes = cat(&[&[0, 0, 0, 0], &[5, 0, 0, 0], &[0, 2], &[0x1a, 0x85], &[127, 0, 0, 1]]);
    bytes.resize(8 + 128, 0);
    let addr: EntityAddr = Decoder::new(&bytes).decode().unwrap();
    assert_eq!((addr.addr_type, addr.nonce, addr.family, addr.port()), (EntityAddr::TYPE_LEGACY, 5, AF_INET, 6789));
    assert_eq!(alloc::format!("{addr:?}"), "v1:127.0.0.1:6789/5");
    // Marker 2 and an over-long sockaddr are refused.
    assert!(Decoder::new(&[2]).decode::<EntityAddr>().is_err());
    let mut long = blank_legacy_addr(1);
    long[15] = 17;
    assert!(Decoder::new(&long).decode::<EntityAddr>().is_err());
}

#[test]
fn get_info_and_list_locks_reply_bytes() {
    let info = get_info_finish(&librbd_lock_info_bytes()).unwrap();
    assert_eq!(info.lock_type, ClsLockType::EXCLUSIVE);
    assert_eq!(info.tag, WATCHER_LOCK_TAG);
    let (id, locker) = info.lockers.iter().next().unwrap();
    assert_eq!((id.locker, id.cookie.as_str()), (EntityName::client(4150), "auto 140"));
    assert_eq!(locker.addr, EntityAddr::blank_ipv4(EntityAddr::TYPE_LEGACY, 77));
    assert_eq!(encode_to_vec(&info), librbd_lock_info_bytes());

    // cls_lock_list_locks_reply: list<string>.
    let reply = v1(&cat(&[&[2, 0, 0, 0], &s("a"), &s("rbd_lock")]));
    assert_eq!(list_locks_finish(&reply).unwrap(), ["a", "rbd_lock"]);
    assert!(list_locks_finish(&reply[..reply.len() - 1]).is_err());
}

#[test]
fn version_zero_structs_have_no_envelope() {
    // DECODE_START_LEGACY_COMPAT_LEN: struct_v 0 is followed by the fields.
    let bytes = cat(&[&[0], &s("n"), &s("c")]);
    let op: UnlockOp = Decoder::new(&bytes).decode().unwrap();
    assert_eq!((op.name.as_str(), op.cookie.as_str()), ("n", "c"));
    // A compat version above 1 is refused.
    let newer = cat(&[&[2, 2, 10, 0, 0, 0], &s("n"), &s("c")]);
    assert!(Decoder::new(&newer).decode::<UnlockOp>().is_err());
    // A newer version with compat 1 decodes, skipping what it appended.
    let appended = cat(&[&[2, 1, 11, 0, 0, 0], &s("n"), &s("c"), &[0xff]]);
    assert_eq!(Decoder::new(&appended).decode::<UnlockOp>().unwrap(), op);
}

#[test]
fn cookies_librbd_makes() {
    assert_eq!(watcher_lock_cookie(140), "auto 140");
    assert_eq!(decode_watcher_lock_cookie("auto 140"), Some(140));
    assert_eq!(decode_watcher_lock_cookie("auto 7x"), Some(7));
    assert_eq!(decode_watcher_lock_cookie("manual 140"), None);
    assert_eq!(decode_watcher_lock_cookie("auto"), None);
    assert_eq!(decode_watcher_lock_cookie(""), None);
}

// -- the class in the in-memory store --

struct Fixture {
    store: MemStore,
    pool: i64,
}

fn fixture() -> Fixture {
    let mut reg = ClassRegistry::default();
    register(&mut reg);
    let store = MemStore::with_classes(reg);
    let pool = store.create_pool("rbd").unwrap();
    Fixture { store, pool }
}

impl Fixture {
    fn oid(&self) -> ObjectId {
        ObjectId::new(self.pool, "", "rbd_header.abc")
    }

    fn write_at(&self, client: ClientId, sec: u32, build: impl FnOnce(&mut ObjectOperation)) -> ObjectReply {
        let op = built(build);
        self.store.execute(
            &ObjectRequest::write(self.oid(), SnapContext::default(), UtcTime::new(sec, 0), op).from_client(client),
        )
    }

    fn write(&self, client: ClientId, build: impl FnOnce(&mut ObjectOperation)) -> Result<(), Errno> {
        self.write_at(client, 100, build).errno()
    }

    /// A read stamped with `sec`: the store takes the request's time as now.
    fn read_at(&self, client: ClientId, sec: u32, build: impl FnOnce(&mut ObjectOperation)) -> ObjectReply {
        let mut req = ObjectRequest::read(self.oid(), SnapId::HEAD, built(build)).from_client(client);
        req.mtime = UtcTime::new(sec, 0);
        self.store.execute(&req)
    }

    fn info_at(&self, sec: u32, name: &str) -> Result<LockInfo, Errno> {
        let reply = self.read_at(A, sec, |op| get_info(op, name));
        Ok(get_info_finish(reply.out(0)?).unwrap())
    }

    fn info(&self, name: &str) -> LockInfo {
        self.info_at(100, name).unwrap()
    }

    fn holders(&self, name: &str) -> Vec<(u64, String)> {
        self.info(name).lockers.keys().map(|id| (id.locker.num as u64, id.cookie.clone())).collect()
    }

    fn xattr(&self, name: &str) -> Result<Bytes, Errno> {
        let reply = self.read_at(A, 100, |op| {
            op.get_xattr(name);
        });
        reply.out(0).cloned()
    }
}

fn lock_ex(cookie: &str, flags: u8) -> impl FnOnce(&mut ObjectOperation) + '_ {
    move |op| lock(op, RBD_LOCK_NAME, ClsLockType::EXCLUSIVE, cookie, WATCHER_LOCK_TAG, "", UtcTime::default(), flags)
}

fn lock_sh<'a>(cookie: &'a str, tag: &'a str) -> impl FnOnce(&mut ObjectOperation) + 'a {
    move |op| lock(op, "shared", ClsLockType::SHARED, cookie, tag, "", UtcTime::default(), 0)
}

#[test]
fn librbd_lock_is_stored_byte_for_byte() {
    let f = fixture();
    f.write(A, lock_ex("auto 140", 0)).unwrap();
    // The xattr holds lock_info_t; get_info replies with the same bytes.
    assert_eq!(f.xattr("lock.rbd_lock").unwrap(), librbd_lock_info_bytes());
    let reply = f.read_at(B, 100, |op| get_info(op, RBD_LOCK_NAME));
    assert_eq!(reply.out(0).unwrap(), &librbd_lock_info_bytes());
}

#[test]
fn exclusive_lock_rules() {
    let f = fixture();
    // Locking a missing object creates it.
    f.write(A, lock_ex("auto 1", 0)).unwrap();
    assert_eq!(f.holders(RBD_LOCK_NAME), [(4150, "auto 1".into())]);
    assert_eq!(f.write(B, lock_ex("auto 2", 0)), Err(Errno::EBUSY));
    // Even the holder cannot add a second exclusive cookie.
    assert_eq!(f.write(A, lock_ex("auto 9", 0)), Err(Errno::EBUSY));
    // The same holder and cookie again: -EEXIST unless renewing.
    assert_eq!(f.write(A, lock_ex("auto 1", 0)), Err(Errno::EEXIST));
    f.write(A, lock_ex("auto 1", LOCK_FLAG_MAY_RENEW)).unwrap();
    f.write(A, lock_ex("auto 1", LOCK_FLAG_MUST_RENEW)).unwrap();
    // Another client renewing: MUST_RENEW says it holds nothing, MAY_RENEW is busy.
    assert_eq!(f.write(B, lock_ex("auto 1", LOCK_FLAG_MUST_RENEW)), Err(Errno::ENOENT));
    assert_eq!(f.write(B, lock_ex("auto 1", LOCK_FLAG_MAY_RENEW)), Err(Errno::EBUSY));
    assert_eq!(f.holders(RBD_LOCK_NAME), [(4150, "auto 1".into())]);
}

#[test]
fn bad_arguments_are_einval() {
    let f = fixture();
    let both = LOCK_FLAG_MAY_RENEW | LOCK_FLAG_MUST_RENEW;
    assert_eq!(f.write(A, lock_ex("c", both)), Err(Errno::EINVAL));
    assert_eq!(
        f.write(A, |op| lock(op, "", ClsLockType::EXCLUSIVE, "c", "", "", UtcTime::default(), 0)),
        Err(Errno::EINVAL)
    );
    for bad in [ClsLockType::NONE, ClsLockType(4)] {
        assert_eq!(f.write(A, |op| lock(op, "n", bad, "c", "", "", UtcTime::default(), 0)), Err(Errno::EINVAL));
    }
    assert_eq!(
        f.write(A, |op| {
            op.call(CLASS, "lock", Bytes::from_static(&[1, 1, 99]));
        }),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        f.write(A, |op| {
            op.call(CLASS, "unlock", Bytes::new());
        }),
        Err(Errno::EINVAL)
    );
    // MUST_RENEW on a fresh lock.
    assert_eq!(f.write(A, lock_ex("c", LOCK_FLAG_MUST_RENEW)), Err(Errno::ENOENT));
}

#[test]
fn shared_lock_rules() {
    let f = fixture();
    f.write(A, lock_sh("a", "t")).unwrap();
    f.write(B, lock_sh("b", "t")).unwrap();
    f.write(A, lock_sh("a2", "t")).unwrap();
    assert_eq!(f.holders("shared"), [(4150, "a".into()), (4150, "a2".into()), (4151, "b".into())]);
    // Another tag, or an exclusive lock, is refused while any holder remains.
    assert_eq!(f.write(B, lock_sh("c", "other")), Err(Errno::EBUSY));
    assert_eq!(
        f.write(B, |op| lock(op, "shared", ClsLockType::EXCLUSIVE, "x", "t", "", UtcTime::default(), 0)),
        Err(Errno::EBUSY)
    );
    let info = f.info("shared");
    assert_eq!((info.lock_type, info.tag.as_str()), (ClsLockType::SHARED, "t"));
    assert_eq!(info.lockers.values().map(|l| l.addr.nonce).collect::<Vec<_>>(), [77, 77, 88]);
}

#[test]
fn unlock_and_break() {
    let f = fixture();
    assert_eq!(f.write(A, |op| unlock(op, RBD_LOCK_NAME, "auto 1")), Err(Errno::ENOENT), "missing object");
    f.write(A, lock_ex("auto 1", 0)).unwrap();
    // A holder is the client plus its cookie: B cannot unlock A's hold.
    assert_eq!(f.write(B, |op| unlock(op, RBD_LOCK_NAME, "auto 1")), Err(Errno::ENOENT));
    assert_eq!(f.write(A, |op| unlock(op, RBD_LOCK_NAME, "auto 2")), Err(Errno::ENOENT));
    assert_eq!(f.write(A, |op| unlock(op, "other", "auto 1")), Err(Errno::ENOENT));
    f.write(A, |op| unlock(op, RBD_LOCK_NAME, "auto 1")).unwrap();
    assert!(f.info(RBD_LOCK_NAME).lockers.is_empty());
    assert_eq!(f.write(A, |op| unlock(op, RBD_LOCK_NAME, "auto 1")), Err(Errno::ENOENT));

    // Breaking names the holder explicitly.
    f.write(A, lock_ex("auto 1", 0)).unwrap();
    assert_eq!(f.write(B, |op| break_lock(op, RBD_LOCK_NAME, "auto 1", EntityName::client(4151))), Err(Errno::ENOENT));
    assert_eq!(f.write(B, |op| break_lock(op, RBD_LOCK_NAME, "auto 2", EntityName::client(4150))), Err(Errno::ENOENT));
    f.write(B, |op| break_lock(op, RBD_LOCK_NAME, "auto 1", EntityName::client(4150))).unwrap();
    f.write(B, lock_ex("auto 2", 0)).unwrap();
    assert_eq!(f.holders(RBD_LOCK_NAME), [(4151, "auto 2".into())]);
}

#[test]
fn assert_locked_guards_a_compound() {
    let f = fixture();
    let guard = |cookie: &'static str, tag: &'static str, ty: ClsLockType| {
        move |op: &mut ObjectOperation| {
            assert_locked(op, RBD_LOCK_NAME, ty, cookie, tag);
            op.write(0, Bytes::from_static(b"data"));
        }
    };
    let ex = ClsLockType::EXCLUSIVE;
    assert_eq!(f.write(A, guard("auto 1", "internal", ex)), Err(Errno::ENOENT), "no object yet");
    f.write(A, lock_ex("auto 1", 0)).unwrap();
    f.write(A, guard("auto 1", "internal", ex)).unwrap();
    assert_eq!(f.write(B, guard("auto 1", "internal", ex)), Err(Errno::EBUSY));
    assert_eq!(f.write(A, guard("auto 2", "internal", ex)), Err(Errno::EBUSY));
    assert_eq!(f.write(A, guard("auto 1", "external", ex)), Err(Errno::EBUSY));
    assert_eq!(f.write(A, guard("auto 1", "internal", ClsLockType::SHARED)), Err(Errno::EBUSY));
    assert_eq!(f.write(A, guard("auto 1", "internal", ClsLockType::NONE)), Err(Errno::EINVAL));
    assert_eq!(f.write(A, |op| assert_locked(op, "", ex, "auto 1", "internal")), Err(Errno::EINVAL));
    assert_eq!(f.write(A, |op| assert_locked(op, "unheld", ex, "auto 1", "internal")), Err(Errno::EBUSY));
    // A read compound asserts too.
    assert_eq!(f.read_at(A, 100, |op| assert_locked(op, RBD_LOCK_NAME, ex, "auto 1", "internal")).result, 0);
}

#[test]
fn set_cookie_moves_a_hold() {
    let f = fixture();
    let ex = ClsLockType::EXCLUSIVE;
    f.write(A, lock_ex("auto 1", 0)).unwrap();
    assert_eq!(f.write(B, |op| set_cookie(op, RBD_LOCK_NAME, ex, "auto 1", "internal", "auto 5")), Err(Errno::EBUSY));
    assert_eq!(f.write(A, |op| set_cookie(op, RBD_LOCK_NAME, ex, "auto 1", "internal", "auto 1")), Err(Errno::EBUSY));
    assert_eq!(
        f.write(A, |op| set_cookie(op, RBD_LOCK_NAME, ClsLockType(9), "auto 1", "internal", "x")),
        Err(Errno::EINVAL)
    );
    let before = f.info(RBD_LOCK_NAME).lockers.into_values().next().unwrap();
    f.write(A, |op| set_cookie(op, RBD_LOCK_NAME, ex, "auto 1", "internal", "auto 2")).unwrap();
    assert_eq!(f.holders(RBD_LOCK_NAME), [(4150, "auto 2".into())]);
    assert_eq!(f.info(RBD_LOCK_NAME).lockers.into_values().next().unwrap(), before);
    assert_eq!(f.write(A, |op| assert_locked(op, RBD_LOCK_NAME, ex, "auto 1", "internal")), Err(Errno::EBUSY));
    f.write(A, |op| assert_locked(op, RBD_LOCK_NAME, ex, "auto 2", "internal")).unwrap();
}

#[test]
fn list_locks_names_only_lock_xattrs() {
    let f = fixture();
    let reply = f.read_at(A, 100, list_locks);
    assert_eq!(reply.result, Errno::ENOENT.to_ret());
    f.write(A, lock_ex("auto 1", 0)).unwrap();
    f.write(B, lock_sh("b", "")).unwrap();
    f.write(A, |op| {
        op.set_xattr("locker", Bytes::from_static(b"x"));
    })
    .unwrap();
    let reply = f.read_at(A, 100, list_locks);
    assert_eq!(list_locks_finish(reply.out(0).unwrap()).unwrap(), [RBD_LOCK_NAME, "shared"]);
}

#[test]
fn expiry_follows_the_request_time() {
    let f = fixture();
    let timed = |cookie: &'static str, duration: UtcTime| {
        move |op: &mut ObjectOperation| lock(op, "t", ClsLockType::EXCLUSIVE, cookie, "", "", duration, 0)
    };
    assert_eq!(f.write_at(A, 100, timed("a", UtcTime::new(10, 0))).result, 0);
    let expiration = f.info("t").lockers.into_values().next().unwrap().expiration;
    assert_eq!(expiration, UtcTime::new(110, 0));
    assert_eq!(f.write_at(B, 105, timed("b", UtcTime::default())).result, Errno::EBUSY.to_ret());
    // Expired means strictly before now.
    assert_eq!(f.write_at(B, 110, timed("b", UtcTime::default())).result, Errno::EBUSY.to_ret());
    assert_eq!(f.info_at(110, "t").unwrap().lockers.len(), 1);
    assert!(f.info_at(111, "t").unwrap().lockers.is_empty());
    assert_eq!(f.write_at(B, 111, timed("b", UtcTime::default())).result, 0);
    // A's expired hold is gone for good: it cannot unlock, B never expires.
    assert_eq!(f.write_at(A, 111, |op| unlock(op, "t", "a")).result, Errno::ENOENT.to_ret());
    assert_eq!(f.info_at(u32::MAX, "t").unwrap().lockers.len(), 1);
}

#[test]
fn expiration_carries_nanoseconds() {
    let f = fixture();
    let mut req = ObjectRequest::write(
        f.oid(),
        SnapContext::default(),
        UtcTime::new(100, 500_000_000),
        built(|op| lock(op, "t", ClsLockType::SHARED, "c", "", "", UtcTime::new(1, 600_000_000), 0)),
    );
    req.client = A;
    assert_eq!(f.store.execute(&req).result, 0);
    let locker = f.info("t").lockers.into_values().next().unwrap();
    assert_eq!(locker.expiration, UtcTime::new(102, 100_000_000));
}

#[test]
fn renewal_refreshes_expiry_and_description() {
    let f = fixture();
    let renew = |description: &'static str| {
        move |op: &mut ObjectOperation| {
            lock(op, "t", ClsLockType::EXCLUSIVE, "c", "", description, UtcTime::new(30, 0), LOCK_FLAG_MAY_RENEW)
        }
    };
    assert_eq!(f.write_at(A, 100, renew("first")).result, 0);
    assert_eq!(f.write_at(A, 120, renew("second")).result, 0);
    let locker = f.info("t").lockers.into_values().next().unwrap();
    assert_eq!((locker.expiration, locker.description.as_str()), (UtcTime::new(150, 0), "second"));
}

#[test]
fn ephemeral_locks_take_the_object_with_them() {
    let f = fixture();
    let eph = ClsLockType::EXCLUSIVE_EPHEMERAL;
    f.write(A, |op| lock(op, "e", eph, "c", "", "", UtcTime::default(), 0)).unwrap();
    assert!(f.store.list_objects(f.pool, "").unwrap().contains(&f.oid().name));
    assert_eq!(f.write(B, |op| lock(op, "e", eph, "d", "", "", UtcTime::default(), 0)), Err(Errno::EBUSY));
    f.write(A, |op| unlock(op, "e", "c")).unwrap();
    assert!(f.store.list_objects(f.pool, "").unwrap().is_empty());

    // An expired ephemeral lock is cleaned up by the next successful lock.
    assert_eq!(f.write_at(A, 100, |op| lock(op, "e", eph, "c", "", "", UtcTime::new(5, 0), 0)).result, 0);
    f.write_at(A, 100, |op| {
        op.set_xattr("other", Bytes::from_static(b"kept?"));
    });
    assert_eq!(f.write_at(B, 200, |op| lock(op, "e", eph, "d", "", "", UtcTime::default(), 0)).result, 0);
    assert_eq!(f.xattr("other"), Err(Errno::ENODATA), "the object was recreated");
}

#[test]
fn corrupt_lock_state_is_eio() {
    let f = fixture();
    f.write(A, |op| {
        op.set_xattr("lock.bad", Bytes::from_static(&[1, 1, 200, 0, 0, 0]));
    })
    .unwrap();
    assert_eq!(f.info_at(100, "bad"), Err(Errno::EIO));
    assert_eq!(
        f.write(A, |op| lock(op, "bad", ClsLockType::SHARED, "c", "", "", UtcTime::default(), 0)),
        Err(Errno::EIO)
    );
}

#[test]
fn locking_keeps_the_objects_data() {
    let f = fixture();
    f.write(A, |op| {
        op.write_full(Bytes::from_static(b"header"));
    })
    .unwrap();
    f.write(A, lock_ex("auto 1", 0)).unwrap();
    let reply = f.read_at(A, 100, |op| {
        op.read(0, 0);
    });
    assert_eq!(reply.out(0).unwrap().as_ref(), b"header");
}

#[test]
fn entity_names_read_back_as_printed() {
    for name in [EntityName::client(4150), EntityName { entity_type: EntityName::TYPE_OSD, num: 3 }] {
        assert_eq!(EntityName::parse(&name.to_string()), Some(name));
    }
    for bad in ["client", "client.", "client.x", "martian.4", "client.?", ""] {
        assert_eq!(EntityName::parse(bad), None, "{bad}");
    }
}
