//! Fuzzes cls_lock: arbitrary bytes go to every decoder and, as input and
//! as stored lock state, to every method of the class; then the bytes are
//! read as a script of lock calls by two clients whose outcome must keep
//! the class's invariants.

use alloc::string::String;

use bytes::Bytes;

use crate::cls::lock::{
    self, AssertOp, BreakOp, ClsLockType, EntityAddr, EntityName, GetInfoOp, ListLocksReply, LockInfo, LockOp,
    LockerId, LockerInfo, SetCookieOp, UnlockOp,
};
use crate::encoding::{decode_exact, encode_to_vec, Decode, Decoder, Encode, UtcTime};
use crate::memstore::{ClassRegistry, MemStore};
use crate::osd::{ClientId, ObjectId, ObjectOperation, ObjectReply, ObjectRequest, SnapContext, SnapId};
use crate::Errno;

const METHODS: [&str; 7] = ["lock", "unlock", "break_lock", "get_info", "list_locks", "assert_locked", "set_cookie"];
const CLIENTS: [ClientId; 2] = [ClientId { global_id: 1, nonce: 10 }, ClientId { global_id: 2, nonce: 20 }];

/// A prefix that decodes must survive a round trip.
fn check<T: Decode + Encode + PartialEq + core::fmt::Debug>(data: &[u8]) {
    if let Ok(value) = Decoder::new(data).decode::<T>() {
        assert_eq!(decode_exact::<T>(&encode_to_vec(&value)).as_ref(), Ok(&value));
    }
}

struct Store {
    store: MemStore,
    oid: ObjectId,
}

impl Store {
    fn new() -> Self {
        let mut reg = ClassRegistry::default();
        lock::register(&mut reg);
        let store = MemStore::with_classes(reg);
        let pool = store.create_pool("p").expect("fresh store");
        Store { store, oid: ObjectId::new(pool, "", "o") }
    }

    fn exec(&self, client: ClientId, now: u32, build: impl FnOnce(&mut ObjectOperation)) -> ObjectReply {
        let mut op = ObjectOperation::new();
        build(&mut op);
        let req = ObjectRequest::write(self.oid.clone(), SnapContext::default(), UtcTime::new(now, 0), op);
        self.store.execute(&req.from_client(client))
    }

    /// get_info in a read, stamped with `now` so expiry applies.
    fn info(&self, now: u32, name: &str) -> Result<LockInfo, Errno> {
        let mut op = ObjectOperation::new();
        lock::get_info(&mut op, name);
        let mut req = ObjectRequest::read(self.oid.clone(), SnapId::HEAD, op);
        req.mtime = UtcTime::new(now, 0);
        let reply = self.store.execute(&req);
        Ok(lock::get_info_finish(reply.out(0)?).expect("the class replies with a valid lock_info_t"))
    }
}

/// The class answers raw bytes, as input and as stored state, with a code.
fn raw_calls(data: &[u8]) {
    let s = Store::new();
    for name in ["lock.x", "lock."] {
        s.exec(CLIENTS[0], 0, |op| {
            op.set_xattr(name, Bytes::copy_from_slice(data));
        });
    }
    let now = data.first().copied().unwrap_or(0).into();
    let listed = s.exec(CLIENTS[1], now, lock::list_locks);
    let names = lock::list_locks_finish(listed.out(0).expect("list_locks of an object")).expect("valid reply");
    assert_eq!(names, ["", "x"]);
    for method in METHODS {
        s.exec(CLIENTS[1], now, |op| {
            op.call(lock::CLASS, method, Bytes::copy_from_slice(data));
        });
    }
    // Well-formed calls over a corrupt or odd stored state.
    for name in ["x", ""] {
        let _ = s.info(now, name);
        s.exec(CLIENTS[0], now, |op| lock::lock(op, name, ClsLockType::SHARED, "c", "", "", UtcTime::default(), 0));
        s.exec(CLIENTS[0], now, |op| lock::unlock(op, name, "c"));
    }
}

/// Bytes as a script: each step is three bytes choosing the caller, the
/// call and its arguments, and how far the clock moves.
fn script(data: &[u8]) {
    const NAMES: [&str; 2] = ["a", "b"];
    const COOKIES: [&str; 3] = ["", "c1", "c2"];
    const TAGS: [&str; 2] = ["", "t"];
    let s = Store::new();
    let mut now = 100u32;
    for step in data.chunks_exact(3) {
        let (who, args, time) = (step[0], step[1], step[2]);
        let client = CLIENTS[usize::from(who & 1)];
        let name = NAMES[usize::from(args & 1)];
        let cookie = COOKIES[usize::from(args >> 1) % 3];
        let tag = TAGS[usize::from(args >> 3) & 1];
        let lock_type = ClsLockType((args >> 4) % 5);
        let flags = (args >> 6) & 3;
        now += u32::from(time & 7);
        let duration = UtcTime::new(u32::from(time >> 3), 0);
        let reply = s.exec(client, now, |op| match (who >> 1) % 7 {
            0 | 1 => lock::lock(op, name, lock_type, cookie, tag, "", duration, flags),
            2 => lock::unlock(op, name, cookie),
            3 => lock::break_lock(op, name, cookie, EntityName::client(CLIENTS[usize::from(time & 1)].global_id)),
            4 => lock::assert_locked(op, name, lock_type, cookie, tag),
            5 => lock::set_cookie(op, name, lock_type, cookie, tag, COOKIES[usize::from(time) % 3]),
            _ => lock::list_locks(op),
        });
        let me = LockerId { locker: EntityName::client(client.global_id), cookie: cookie.into() };
        let Ok(info) = s.info(now, name) else {
            // Nothing was ever locked, so there is no object.
            assert_eq!(s.info(now, NAMES[0]), Err(Errno::ENOENT));
            continue;
        };
        // Whatever happened, the stored lock is coherent.
        for (id, holder) in &info.lockers {
            assert!(holder.expiration == UtcTime::default() || holder.expiration >= UtcTime::new(now, 0));
            assert_eq!(holder.addr.nonce, CLIENTS[usize::try_from(id.locker.num - 1).expect("a known client")].nonce);
        }
        if !info.lockers.is_empty() {
            assert!(info.lock_type.is_valid());
        }
        if info.lock_type.is_exclusive() {
            assert!(info.lockers.len() <= 1);
        }
        let succeeded = reply.result == 0;
        if succeeded && (who >> 1) % 7 < 2 {
            assert!(info.lockers.contains_key(&me), "a successful lock is held");
            assert_eq!((info.lock_type, info.tag.as_str()), (lock_type, tag));
            let again = s.exec(client, now, |op| lock::assert_locked(op, name, lock_type, cookie, tag));
            assert_eq!(again.result, 0);
        }
        if succeeded && (who >> 1) % 7 == 2 {
            assert!(!info.lockers.contains_key(&me), "an unlocked hold is gone");
        }
    }
}

pub fn run(data: &[u8]) {
    check::<LockOp>(data);
    check::<UnlockOp>(data);
    check::<BreakOp>(data);
    check::<GetInfoOp>(data);
    check::<ListLocksReply>(data);
    check::<AssertOp>(data);
    check::<SetCookieOp>(data);
    check::<LockInfo>(data);
    check::<LockerId>(data);
    check::<LockerInfo>(data);
    check::<EntityAddr>(data);
    check::<EntityName>(data);
    let _ = lock::get_info_finish(data);
    let _ = lock::list_locks_finish(data);
    if let Ok(text) = core::str::from_utf8(data) {
        if let Some(handle) = lock::decode_watcher_lock_cookie(text) {
            assert_eq!(lock::decode_watcher_lock_cookie(&lock::watcher_lock_cookie(handle)), Some(handle));
        }
    }
    raw_calls(data);
    script(data);
}

/// Seeds: every call's encoding, and stored states worth corrupting.
pub fn seeds() -> alloc::vec::Vec<alloc::vec::Vec<u8>> {
    let addr = EntityAddr::blank_ipv4(EntityAddr::TYPE_LEGACY, 7);
    let holder = LockerInfo { expiration: UtcTime::new(5, 0), addr, description: String::from("d") };
    let id = LockerId { locker: EntityName::client(1), cookie: "c".into() };
    let info = LockInfo { lockers: [(id, holder.clone())].into(), lock_type: ClsLockType::EXCLUSIVE, tag: "t".into() };
    let lock =
        LockOp { name: "x".into(), lock_type: ClsLockType::SHARED, cookie: "c".into(), flags: 1, ..LockOp::default() };
    alloc::vec![
        encode_to_vec(&info),
        encode_to_vec(&holder),
        encode_to_vec(&lock),
        encode_to_vec(&UnlockOp { name: "x".into(), cookie: "c".into() }),
        encode_to_vec(&BreakOp { name: "x".into(), locker: EntityName::client(1), cookie: "c".into() }),
        encode_to_vec(&GetInfoOp { name: "x".into() }),
        encode_to_vec(&ListLocksReply { locks: alloc::vec!["x".into()] }),
        encode_to_vec(&AssertOp { name: "x".into(), lock_type: ClsLockType::EXCLUSIVE, ..AssertOp::default() }),
        encode_to_vec(&SetCookieOp {
            name: "x".into(),
            lock_type: ClsLockType(1),
            new_cookie: "n".into(),
            ..SetCookieOp::default()
        }),
        b"auto 140".to_vec(),
        // Scripts: lock, contend, expire, unlock, break.
        alloc::vec![0, 0x1a, 0x10, 1, 0x1a, 0, 4, 0x02, 7, 1, 0x1a, 7, 6, 0x1a, 1, 2, 0x12, 0],
        alloc::vec![2, 0x2a, 0, 3, 0x2c, 0, 8, 0x2a, 0, 10, 0x1a, 1, 12, 0, 0],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_corpus() {
        for seed in seeds() {
            run(&seed);
            for cut in 0..seed.len() {
                run(&seed[..cut]);
            }
        }
    }

    #[test]
    fn random_inputs() {
        super::super::run_seeded(0x5eed_0c15, 3000, 72, run);
    }
}
