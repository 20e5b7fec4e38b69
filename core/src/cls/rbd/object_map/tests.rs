use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::*;
use super::{assert_map_locked, lock_map, update_head};
use crate::cls::lock;
use crate::encoding::UtcTime;
use crate::memstore::MemStore;
use crate::object_map::{header_crc_offset, OBJECT_EXISTS, OBJECT_EXISTS_CLEAN, OBJECT_NONEXISTENT, OBJECT_PENDING};
use crate::osd::{ClientId, ObjectId, ObjectReply, ObjectRequest, OpKind, SnapContext, SnapId};

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

fn five() -> BitVector2 {
    let mut bits = BitVector2::with_size(5);
    for (i, state) in [1, 2, 3, 0, 1].into_iter().enumerate() {
        bits.set(i as u64, state);
    }
    bits
}

/// BitVector<2>::encode of [`five`] with CRCs off: the header bufferlist,
/// the packed data, an empty footer bufferlist.
const FIVE_NO_CRCS: [u8; 24] =
    [14, 0, 0, 0, 1, 1, 8, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0b01_10_11_00, 0b01_00_00_00, 0, 0, 0, 0];

// -- requests, byte for byte (cls_rbd_client.cc) --

#[test]
fn request_bytes() {
    assert_eq!(call_of(&built(object_map_load)), ("rbd", "object_map_load", &[][..]));
    // save and snap_remove send a copy with CRCs disabled.
    assert!(five().crc_enabled());
    assert_eq!(call_of(&built(|op| object_map_save(op, &five()))), ("rbd", "object_map_save", &FIVE_NO_CRCS[..]));
    assert_eq!(
        call_of(&built(|op| object_map_snap_remove(op, &five()))),
        ("rbd", "object_map_snap_remove", &FIVE_NO_CRCS[..])
    );
    // resize: u64 object_count, u8 default_state.
    let op = built(|op| object_map_resize(op, 0x0102, OBJECT_EXISTS));
    assert_eq!(call_of(&op), ("rbd", "object_map_resize", &[2, 1, 0, 0, 0, 0, 0, 0, 1][..]));
    // update: u64 start, u64 end, u8 new state, optional<u8> current state.
    let op = built(|op| object_map_update(op, 2, 5, OBJECT_EXISTS, Some(OBJECT_PENDING)));
    let expected: &[u8] = &[2, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2];
    assert_eq!(call_of(&op), ("rbd", "object_map_update", expected));
    let op = built(|op| object_map_update(op, 0, 1, OBJECT_NONEXISTENT, None));
    assert_eq!(call_of(&op).2, [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(call_of(&built(object_map_snap_add)), ("rbd", "object_map_snap_add", &[][..]));
}

#[test]
fn load_reply_decodes() {
    assert_eq!(object_map_load_finish(&FIVE_NO_CRCS).unwrap(), five());
    assert!(object_map_load_finish(&FIVE_NO_CRCS[..23]).is_err());
}

// -- the class in the in-memory store --

const A: ClientId = ClientId { global_id: 10, nonce: 1 };
const B: ClientId = ClientId { global_id: 11, nonce: 2 };

struct Fixture {
    store: MemStore,
    pool: i64,
}

fn fixture() -> Fixture {
    let mut reg = ClassRegistry::default();
    register(&mut reg);
    lock::register(&mut reg);
    let store = MemStore::with_classes(reg);
    let pool = store.create_pool("rbd").unwrap();
    Fixture { store, pool }
}

impl Fixture {
    fn oid(&self) -> ObjectId {
        ObjectId::new(self.pool, "", "rbd_object_map.abc")
    }

    fn exec(&self, client: ClientId, build: impl FnOnce(&mut ObjectOperation)) -> ObjectReply {
        let req = ObjectRequest::write(self.oid(), SnapContext::default(), UtcTime::new(1, 0), built(build));
        self.store.execute(&req.from_client(client))
    }

    fn run(&self, build: impl FnOnce(&mut ObjectOperation)) -> Result<(), Errno> {
        self.exec(A, build).errno()
    }

    fn version(&self) -> u64 {
        self.store
            .execute(&ObjectRequest::read(
                self.oid(),
                SnapId::HEAD,
                built(|op| {
                    op.stat();
                }),
            ))
            .version
    }

    fn raw(&self) -> Vec<u8> {
        let reply = self.store.execute(&ObjectRequest::read(
            self.oid(),
            SnapId::HEAD,
            built(|op| {
                op.read(0, 0);
            }),
        ));
        reply.out(0).unwrap().to_vec()
    }

    fn put_raw(&self, bytes: Vec<u8>) {
        self.run(|op| {
            op.write_full(bytes.into());
        })
        .unwrap();
    }

    fn load(&self) -> Result<BitVector2, Errno> {
        let reply = self.store.execute(&ObjectRequest::read(self.oid(), SnapId::HEAD, built(object_map_load)));
        Ok(object_map_load_finish(reply.out(0)?).unwrap())
    }

    fn states(&self) -> Vec<u8> {
        self.load().unwrap().iter().collect()
    }

    fn update(&self, start: u64, end: u64, new: u8, current: Option<u8>) -> Result<(), Errno> {
        self.run(|op| object_map_update(op, start, end, new, current))
    }

    /// The stored object still decodes, CRCs included.
    fn assert_consistent(&self) {
        let stored: BitVector2 = Decoder::new(&self.raw()).decode().unwrap();
        assert!(stored.crc_enabled());
    }
}

#[test]
fn resize_creates_the_map_with_crcs() {
    let f = fixture();
    assert_eq!(f.load(), Err(Errno::ENOENT));
    f.run(|op| object_map_resize(op, 5, OBJECT_NONEXISTENT)).unwrap();
    assert_eq!(f.raw(), encode_to_vec(&BitVector2::with_size(5)));
    // load answers without CRCs.
    let reply = f.store.execute(&ObjectRequest::read(f.oid(), SnapId::HEAD, built(object_map_load)));
    let mut expected = FIVE_NO_CRCS;
    expected[18..20].copy_from_slice(&[0, 0]);
    assert_eq!(reply.out(0).unwrap().as_ref(), expected);
}

#[test]
fn save_stores_with_crcs() {
    let f = fixture();
    f.run(|op| object_map_save(op, &five())).unwrap();
    assert_eq!(f.raw(), encode_to_vec(&five()));
    assert_eq!(f.load().unwrap(), five());
    assert_eq!(
        f.run(|op| {
            op.call("rbd", "object_map_save", Bytes::from_static(&FIVE_NO_CRCS[..20]));
        }),
        Err(Errno::EINVAL)
    );
}

#[test]
fn resize_rules() {
    let f = fixture();
    f.run(|op| object_map_resize(op, 3, OBJECT_NONEXISTENT)).unwrap();
    f.run(|op| object_map_resize(op, 6, OBJECT_EXISTS)).unwrap();
    assert_eq!(f.states(), [0, 0, 0, 1, 1, 1]);
    // Shrinking past an entry that differs from the default is refused.
    assert_eq!(f.run(|op| object_map_resize(op, 2, OBJECT_NONEXISTENT)), Err(Errno::ESTALE));
    f.run(|op| object_map_resize(op, 3, OBJECT_EXISTS)).unwrap();
    assert_eq!(f.states(), [0, 0, 0]);
    assert_eq!(f.run(|op| object_map_resize(op, MAX_OBJECT_MAP_OBJECT_COUNT + 1, 0)), Err(Errno::EINVAL));
    assert_eq!(
        f.run(|op| {
            op.call("rbd", "object_map_resize", Bytes::from_static(&[1, 0, 0]));
        }),
        Err(Errno::EINVAL)
    );
    // A corrupt map cannot be resized; RefreshRequest truncates it first.
    f.put_raw(vec![1, 2, 3]);
    assert_eq!(f.run(|op| object_map_resize(op, 4, OBJECT_NONEXISTENT)), Err(Errno::EINVAL));
    f.run(|op| {
        op.truncate(0);
        object_map_resize(op, 4, OBJECT_NONEXISTENT);
    })
    .unwrap();
    assert_eq!(f.states(), [0; 4]);
}

#[test]
fn update_rules() {
    let f = fixture();
    assert_eq!(f.update(0, 1, OBJECT_EXISTS, None), Err(Errno::ENOENT));
    f.run(|op| object_map_save(op, &five())).unwrap(); // [1, 2, 3, 0, 1]
    assert_eq!(f.update(2, 2, OBJECT_EXISTS, None), Err(Errno::ERANGE));
    assert_eq!(f.update(3, 2, OBJECT_EXISTS, None), Err(Errno::ERANGE));
    assert_eq!(f.update(0, 6, OBJECT_EXISTS, None), Err(Errno::ERANGE));
    assert_eq!(
        f.run(|op| {
            op.call("rbd", "object_map_update", Bytes::from_static(&[0; 17]));
        }),
        Err(Errno::EINVAL)
    );

    // EXISTS as the condition matches EXISTS_CLEAN too.
    f.update(0, 5, OBJECT_PENDING, Some(OBJECT_EXISTS)).unwrap();
    assert_eq!(f.states(), [2, 2, 2, 0, 2]);
    f.update(1, 4, OBJECT_NONEXISTENT, Some(OBJECT_PENDING)).unwrap();
    assert_eq!(f.states(), [2, 0, 0, 0, 2]);
    f.update(3, 5, OBJECT_EXISTS_CLEAN, None).unwrap();
    assert_eq!(f.states(), [2, 0, 0, 3, 3]);
    f.assert_consistent();

    // Nothing to change: nothing is written.
    let version = f.version();
    f.update(0, 1, OBJECT_EXISTS, Some(OBJECT_NONEXISTENT)).unwrap();
    f.update(1, 3, OBJECT_NONEXISTENT, None).unwrap();
    assert_eq!(f.version(), version);
    // EXISTS_CLEAN objects count as EXISTS for the condition.
    f.update(0, 5, OBJECT_EXISTS, Some(OBJECT_EXISTS)).unwrap();
    assert_eq!(f.states(), [2, 0, 0, 1, 1]);
}

#[test]
fn update_across_crc_blocks() {
    let f = fixture();
    f.run(|op| object_map_resize(op, 40_000, OBJECT_NONEXISTENT)).unwrap();
    f.update(16_380, 16_390, OBJECT_EXISTS, None).unwrap();
    f.update(39_999, 40_000, OBJECT_PENDING, None).unwrap();
    f.assert_consistent();
    let states = f.states();
    for (i, &state) in states.iter().enumerate() {
        let expected = match i {
            16_380..=16_389 => OBJECT_EXISTS,
            39_999 => OBJECT_PENDING,
            _ => OBJECT_NONEXISTENT,
        };
        assert_eq!(state, expected, "object {i}");
    }
}

#[test]
fn update_checks_only_the_blocks_it_touches() {
    let f = fixture();
    f.run(|op| object_map_resize(op, 40_000, OBJECT_NONEXISTENT)).unwrap();
    // Corrupt the second data block (elements 16384..32767).
    let mut raw = f.raw();
    raw[18 + 4096 + 10] ^= 0xff;
    f.put_raw(raw);
    assert_eq!(f.update(20_000, 20_001, OBJECT_EXISTS, None), Err(Errno::EINVAL));
    assert_eq!(f.update(16_000, 16_400, OBJECT_EXISTS, None), Err(Errno::EINVAL));
    f.update(5, 6, OBJECT_EXISTS, None).unwrap();
    assert_eq!(f.load(), Err(Errno::EINVAL));

    // A bad header CRC does not stop an update either (upstream only logs it).
    let mut fresh = encode_to_vec(&BitVector2::with_size(8));
    let header_crc = header_crc_offset(8) as usize;
    fresh[header_crc] ^= 1;
    f.put_raw(fresh);
    f.update(1, 2, OBJECT_EXISTS, None).unwrap();
    assert_eq!(f.load(), Err(Errno::EINVAL));
}

#[test]
fn truncated_or_empty_maps() {
    let f = fixture();
    f.put_raw(Vec::new());
    assert_eq!(f.load(), Err(Errno::ENOENT));
    assert_eq!(f.update(0, 1, OBJECT_EXISTS, None), Err(Errno::EINVAL));
    assert_eq!(f.run(object_map_snap_add), Err(Errno::ENOENT));
    // A map cut inside its footer: its last CRC is missing.
    let whole = encode_to_vec(&BitVector2::with_size(5));
    f.put_raw(whole[..whole.len() - 1].to_vec());
    assert_eq!(f.update(0, 1, OBJECT_EXISTS, None), Err(Errno::EINVAL));
    assert_eq!(f.load(), Err(Errno::EINVAL));
}

#[test]
fn maps_stored_without_crcs() {
    let f = fixture();
    f.put_raw(FIVE_NO_CRCS.to_vec());
    assert_eq!(f.load().unwrap(), five());
    // Without CRCs to check, upstream compares against garbage; here it is -EINVAL.
    assert_eq!(f.update(0, 1, OBJECT_EXISTS, None), Err(Errno::EINVAL));
    // Whole-map methods keep the form they found.
    f.run(object_map_snap_add).unwrap();
    let stored: BitVector2 = Decoder::new(&f.raw()).decode().unwrap();
    assert!(!stored.crc_enabled());
    assert_eq!(stored.iter().collect::<Vec<_>>(), [3, 2, 3, 0, 3]);
}

#[test]
fn snapshot_methods() {
    let f = fixture();
    f.run(|op| object_map_save(op, &five())).unwrap(); // [1, 2, 3, 0, 1]
    f.run(object_map_snap_add).unwrap();
    assert_eq!(f.states(), [3, 2, 3, 0, 3]);
    f.assert_consistent();
    let version = f.version();
    f.run(object_map_snap_add).unwrap();
    assert_eq!(f.version(), version, "nothing left to mark clean");

    // The removed snapshot's map saw object 0 changed; it covered 4 objects.
    let mut removed = BitVector2::with_size(4);
    removed.set(0, OBJECT_EXISTS);
    removed.set(2, OBJECT_EXISTS_CLEAN);
    f.run(|op| object_map_snap_remove(op, &removed)).unwrap();
    assert_eq!(f.states(), [1, 2, 3, 0, 1]);
    f.assert_consistent();
    assert_eq!(
        f.run(|op| {
            op.call("rbd", "object_map_snap_remove", Bytes::from_static(&[9]));
        }),
        Err(Errno::EINVAL)
    );
}

#[test]
fn head_updates_need_the_map_lock() {
    let f = fixture();
    f.run(|op| object_map_resize(op, 4, OBJECT_NONEXISTENT)).unwrap();
    assert_eq!(f.exec(A, |op| update_head(op, 0, 1, OBJECT_EXISTS, None)).errno(), Err(Errno::EBUSY));
    assert_eq!(f.exec(A, lock_map).errno(), Ok(()));
    assert_eq!(f.exec(B, lock_map).errno(), Err(Errno::EBUSY));
    assert_eq!(f.exec(B, |op| update_head(op, 0, 1, OBJECT_EXISTS, None)).errno(), Err(Errno::EBUSY));
    assert_eq!(f.exec(A, |op| update_head(op, 0, 1, OBJECT_EXISTS, None)).errno(), Ok(()));
    assert_eq!(f.states(), [1, 0, 0, 0]);
    // save and resize take the same guard.
    assert_eq!(
        f.exec(B, |op| {
            assert_map_locked(op);
            object_map_resize(op, 8, OBJECT_NONEXISTENT);
        })
        .errno(),
        Err(Errno::EBUSY)
    );
    assert_eq!(f.states().len(), 4);
}
