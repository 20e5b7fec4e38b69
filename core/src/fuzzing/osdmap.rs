//! Fuzzes [`crate::osdmap`] and [`crate::crush`]: decoding full maps,
//! applying incrementals to a real map, placement on whatever decodes,
//! and CRUSH maps with their rules run on them.

use crate::crc32c::ceph_crc32c;
use crate::crush::CrushMap;
use crate::osdmap::{OsdMap, PgId};

/// A real map (Pacific, 5 pools) for incrementals to apply to.
pub const BASE_MAP: &[u8] = include_bytes!("../osdmap/testdata/full.osdmap");

/// Rewrites the crc an encoding ends with (a full map's last 4 bytes, an
/// incremental's 4 bytes before its trailing full_crc) so mutations get
/// past the crc check into the decoder proper.
fn fix_crc(bytes: &mut [u8], incremental: bool) {
    let at = if incremental { bytes.len().checked_sub(8) } else { bytes.len().checked_sub(4) };
    let Some(at) = at.filter(|&at| at >= 6) else {
        return;
    };
    let crc = ceph_crc32c(ceph_crc32c(u32::MAX, &bytes[..at]), &bytes[at + 4..]);
    bytes[at..at + 4].copy_from_slice(&crc.to_le_bytes());
}

/// Never panics unless the decoders or the mapper have a bug. The first
/// byte picks what the rest is fed to: a full map, an incremental onto
/// [`BASE_MAP`] (each also with its crc made right), or a CRUSH map.
pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut fixed = rest.to_vec();
    let rest = match mode % 5 {
        3 => {
            fix_crc(&mut fixed, false);
            &fixed[..]
        }
        4 => {
            fix_crc(&mut fixed, true);
            &fixed[..]
        }
        _ => rest,
    };
    match mode % 5 {
        0 | 3 => {
            if let Ok(map) = OsdMap::decode(rest) {
                place(&map);
            }
        }
        1 | 4 => {
            let Ok(mut map) = OsdMap::decode(BASE_MAP) else {
                return;
            };
            let before = map.clone();
            match map.apply_incremental(rest) {
                Ok(()) => {
                    assert_eq!(map.epoch(), before.epoch() + 1);
                    place(&map);
                }
                // A refused incremental leaves the map as it was.
                Err(_) => assert_eq!(map, before),
            }
        }
        _ => {
            if let Ok(crush) = CrushMap::decode(rest) {
                let weights = [0x10000u32, 0, 0x8000, 0x10000];
                for rule in 0..crush.rules.len().min(4) as i32 {
                    for x in 0..2 {
                        for size in [1usize, 3] {
                            assert!(crush.do_rule(rule, x, size, &weights, -1).len() <= size);
                        }
                    }
                }
            }
        }
    }
}

fn place(map: &OsdMap) {
    let pools: alloc::vec::Vec<i64> = map.pools().map(|(id, _)| id).collect();
    for pool in pools {
        let Some(p) = map.pool(pool) else { continue };
        let size = usize::from(p.size);
        for seed in 0..p.pg_num.min(4) {
            let ua = map.pg_to_up_acting_osds(PgId { pool, seed });
            // upmap and pg_temp may be longer than the pool; CRUSH is not.
            let (raw, _) = map._pg_to_raw_osds(p, PgId { pool, seed });
            assert!(raw.len() <= size);
            if ua.up_primary >= 0 {
                assert!(ua.up.contains(&ua.up_primary));
            }
        }
        let raw = map.object_locator_to_pg(pool, "rbd_data.1", "", "ns").unwrap();
        assert!(map.raw_pg_to_pg(raw).seed < p.pg_num.max(1));
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;
    use crate::fuzzing::run_seeded;
    use crate::random::XorShift;

    const SEEDS: [&[u8]; 5] = [
        BASE_MAP,
        include_bytes!("../osdmap/testdata/epoch-b.osdmap"),
        include_bytes!("../osdmap/testdata/full.crush"),
        include_bytes!("../crush/testdata/algs.crush"),
        include_bytes!("../crush/testdata/legacy.crush"),
    ];

    fn with_mode(mode: u8, body: &[u8]) -> Vec<u8> {
        let mut v = alloc::vec![mode];
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn seeds_and_their_mutations() {
        let mut rng = XorShift::new(0x05d_3a9);
        for seed in SEEDS {
            for mode in 0..5 {
                run(&with_mode(mode, seed));
                for _ in 0..60 {
                    let mut m = with_mode(mode, seed);
                    for _ in 0..1 + rng.next_u64() % 4 {
                        let i = 1 + (rng.next_u64() as usize) % (m.len() - 1);
                        m[i] ^= 1 << (rng.next_u64() % 8);
                    }
                    let cut = if rng.next_u64() % 2 == 0 {
                        m.len()
                    } else {
                        m.len() - (rng.next_u64() as usize) % (m.len() / 8 + 1)
                    };
                    run(&m[..cut]);
                }
            }
        }
    }

    /// Incrementals the test encoder builds, mutated, onto the base map.
    #[test]
    fn mutated_incrementals() {
        let base = OsdMap::decode(BASE_MAP).unwrap();
        let inc = crate::osdmap::Incremental {
            fsid: base.fsid(),
            epoch: base.epoch() + 1,
            new_pool_max: -1,
            new_flags: -1,
            new_max_osd: 4,
            new_weight: [(1, 0)].into_iter().collect(),
            new_state: [(2, 2)].into_iter().collect(),
            new_pg_temp: [(PgId { pool: 2, seed: 1 }, alloc::vec![0, 1])].into_iter().collect(),
            new_pg_upmap_items: [(PgId { pool: 1, seed: 3 }, alloc::vec![(0, 2)])].into_iter().collect(),
            crush: include_bytes!("../osdmap/testdata/full.crush").to_vec(),
            ..Default::default()
        };
        let bytes = with_mode(4, &inc.encode());
        run(&bytes);
        let mut rng = XorShift::new(7);
        for _ in 0..400 {
            let mut m = bytes.clone();
            let i = 1 + (rng.next_u64() as usize) % (m.len() - 1);
            m[i] = rng.next_u64() as u8;
            run(&m);
        }
    }

    #[test]
    fn random_bytes() {
        run_seeded(0x05d, 300, 256, run);
    }
}
