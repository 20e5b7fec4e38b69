//! Fuzzes the object map: arbitrary bytes go to the BitVector decoder
//! and, as the stored map and as input, to every cls_rbd object_map
//! method; then the bytes are read as a script of map calls whose results
//! must match a plain `Vec<u8>` of states.

use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use crate::cls::rbd::object_map as cls;
use crate::encoding::{decode_exact, encode_to_vec, Decoder, UtcTime};
use crate::memstore::{ClassRegistry, MemStore};
use crate::object_map::{block_count, data_len, BitVector2, ObjectMap, MAX_OBJECT_MAP_OBJECT_COUNT};
use crate::osd::{ObjectId, ObjectOperation, ObjectReply, ObjectRequest, SnapContext, SnapId};
use crate::Errno;

const METHODS: [&str; 6] = [
    "object_map_load",
    "object_map_save",
    "object_map_resize",
    "object_map_update",
    "object_map_snap_add",
    "object_map_snap_remove",
];

struct Store {
    store: MemStore,
    oid: ObjectId,
}

impl Store {
    fn new() -> Self {
        let mut reg = ClassRegistry::default();
        cls::register(&mut reg);
        let store = MemStore::with_classes(reg);
        let pool = store.create_pool("p").expect("fresh store");
        Store { store, oid: ObjectId::new(pool, "", "rbd_object_map.x") }
    }

    fn exec(&self, build: impl FnOnce(&mut ObjectOperation)) -> ObjectReply {
        let mut op = ObjectOperation::new();
        build(&mut op);
        self.store.execute(&ObjectRequest::write(self.oid.clone(), SnapContext::default(), UtcTime::default(), op))
    }

    fn load(&self) -> Result<BitVector2, Errno> {
        let mut op = ObjectOperation::new();
        cls::object_map_load(&mut op);
        let reply = self.store.execute(&ObjectRequest::read(self.oid.clone(), SnapId::HEAD, op));
        Ok(cls::object_map_load_finish(reply.out(0)?).expect("load replies with a valid map"))
    }
}

fn check_bit_vector(data: &[u8]) {
    let Ok(bits) = Decoder::new(data).decode::<BitVector2>() else {
        return;
    };
    let again = encode_to_vec(&bits);
    let crcs = if bits.crc_enabled() { 8 + 4 * block_count(bits.len()) } else { 0 };
    assert_eq!(again.len() as u64, 18 + data_len(bits.len()) + 4 + crcs);
    let back = decode_exact::<BitVector2>(&again).expect("re-encoded map decodes");
    assert_eq!((&back, back.crc_enabled()), (&bits, bits.crc_enabled()));
    let map = ObjectMap::new(bits);
    for object_no in [0, 1, map.len().saturating_sub(1), map.len()] {
        assert_eq!(map.object_may_exist(object_no), map.state(object_no).is_none_or(|s| s.bits() != 0));
    }
}

/// Every method over the bytes as the stored map and as its input.
fn raw_calls(data: &[u8]) {
    for method in METHODS {
        let s = Store::new();
        s.exec(|op| {
            op.write_full(Bytes::copy_from_slice(data));
        });
        s.exec(|op| {
            op.call("rbd", method, Bytes::copy_from_slice(data));
        });
        // An update aimed inside whatever size the stored header claims.
        if data.len() >= 18 {
            s.exec(|op| cls::object_map_update(op, 0, u64::from(data[17]) + 1, data[0], Some(data[1])));
        }
        // Whatever the class leaves behind either loads or is refused.
        let _ = s.load();
    }
}

/// A map from the bytes: a size and a fill pattern.
fn map_from(seed: &[u8]) -> BitVector2 {
    let size = u64::from(seed.first().copied().unwrap_or(0)) * 300;
    let mut bits = BitVector2::with_size(size);
    for i in 0..size {
        bits.set(i, seed.get(1 + (i as usize) % 3).copied().unwrap_or(0) >> (i % 4));
    }
    bits
}

/// Bytes as a script of 4-byte steps, checked against a vector of states.
fn script(data: &[u8]) {
    let s = Store::new();
    let mut model: Option<Vec<u8>> = None;
    for step in data.chunks_exact(4) {
        let (kind, a, b, c) = (step[0] % 6, step[1], step[2], step[3]);
        // Up to 3 CRC blocks of 16384 objects, so updates cross them.
        let scale = |x: u8| u64::from(x) * 193;
        let expected: Result<(), Errno>;
        let reply = match kind {
            0 => {
                let (count, default) = (scale(a), b % 4);
                let current = model.clone().unwrap_or_default();
                expected =
                    if (count as usize) < current.len() && current[count as usize..].iter().any(|&x| x != default) {
                        Err(Errno::ESTALE)
                    } else {
                        let mut next = current;
                        next.resize(count as usize, default);
                        model = Some(next);
                        Ok(())
                    };
                s.exec(|op| cls::object_map_resize(op, count, default))
            }
            1 => {
                let start = scale(a);
                let end = start + u64::from(b % 64) + u64::from(b >> 6) * 8000;
                // New states beyond 3 are masked; conditions are compared whole.
                let (new, current) = (c % 5, if c & 0x80 != 0 { Some((c >> 3) % 5) } else { None });
                expected = match model.as_mut() {
                    None => Err(Errno::ENOENT),
                    Some(m) if start >= end || end > m.len() as u64 => Err(Errno::ERANGE),
                    Some(m) => {
                        for state in &mut m[start as usize..end as usize] {
                            let hit = match current {
                                None => true,
                                Some(cur) => *state == cur || (cur == 1 && *state == 3),
                            };
                            if hit && *state != new {
                                *state = new & 3;
                            }
                        }
                        Ok(())
                    }
                };
                s.exec(|op| cls::object_map_update(op, start, end, new, current))
            }
            2 => {
                expected = match model.as_mut() {
                    None => Err(Errno::ENOENT),
                    Some(m) => {
                        m.iter_mut().filter(|x| **x == 1).for_each(|x| *x = 3);
                        Ok(())
                    }
                };
                s.exec(cls::object_map_snap_add)
            }
            3 => {
                let removed = map_from(&[a, b, c]);
                expected = match model.as_mut() {
                    None => Err(Errno::ENOENT),
                    Some(m) => {
                        for (i, state) in m.iter_mut().enumerate() {
                            if *state == 3 && removed.get(i as u64).is_none_or(|r| r == 1) {
                                *state = 1;
                            }
                        }
                        Ok(())
                    }
                };
                s.exec(|op| cls::object_map_snap_remove(op, &removed))
            }
            4 => {
                let saved = map_from(&[a, b, c]);
                model = Some(saved.iter().collect());
                expected = Ok(());
                s.exec(|op| cls::object_map_save(op, &saved))
            }
            _ => {
                // Past the class's limit: refused, nothing changes.
                expected = Err(Errno::EINVAL);
                s.exec(|op| cls::object_map_resize(op, MAX_OBJECT_MAP_OBJECT_COUNT + 1 + u64::from(a), 0))
            }
        };
        assert_eq!(reply.errno(), expected, "step {step:?}");
        match &model {
            None => assert_eq!(s.load(), Err(Errno::ENOENT)),
            Some(m) => {
                let loaded = s.load().expect("the map stays loadable");
                assert_eq!(&loaded.iter().collect::<Vec<_>>(), m, "step {step:?}");
            }
        }
    }
}

pub fn run(data: &[u8]) {
    check_bit_vector(data);
    let _ = cls::object_map_load_finish(data);
    raw_calls(data);
    script(data);
}

/// Seeds: encoded maps with and without CRCs, and scripts.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut five = BitVector2::with_size(5);
    five.set(1, 3);
    let mut plain = five.clone();
    plain.set_crc_enabled(false);
    let mut update = vec![0u8; 18];
    update[17] = 4;
    vec![
        encode_to_vec(&five),
        encode_to_vec(&plain),
        encode_to_vec(&BitVector2::with_size(16_385)),
        update,
        // resize, update across a block, snap add, snap remove, shrink.
        vec![0, 100, 0, 0, 1, 84, 0x7f, 0x81, 2, 0, 0, 0, 3, 50, 0x55, 0x0f, 0, 90, 0, 0, 0, 10, 1, 0],
        vec![4, 60, 0x33, 0x99, 1, 5, 0x3f, 2, 5, 0, 0, 0, 0, 20, 3, 0],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_corpus() {
        for seed in seeds() {
            run(&seed);
            for cut in (0..seed.len()).step_by(7) {
                run(&seed[..cut]);
            }
        }
    }

    #[test]
    fn random_inputs() {
        super::super::run_seeded(0x5eed_0b17, 3000, 64, run);
    }
}
