use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::*;
use crate::crush::CrushMap;
use crate::encoding::{decode_exact, encode_to_vec};

const FULL: &[u8] = include_bytes!("testdata/full.osdmap");
const FULL_CRUSH: &[u8] = include_bytes!("testdata/full.crush");
const EPOCH_A: &[u8] = include_bytes!("testdata/epoch-a.osdmap");
const EPOCH_B: &[u8] = include_bytes!("testdata/epoch-b.osdmap");
const PGS: &str = include_str!("testdata/pgs.txt");
const OBJECTS: &str = include_str!("testdata/objects.tsv");

fn full() -> OsdMap {
    OsdMap::decode(FULL).unwrap()
}

fn parse_pg(s: &str) -> PgId {
    let (pool, seed) = s.split_once('.').unwrap();
    PgId { pool: pool.parse().unwrap(), seed: u32::from_str_radix(seed, 16).unwrap() }
}

fn parse_list(s: &str) -> Vec<i32> {
    let s = s.trim_matches(['[', ']']);
    if s.is_empty() {
        return Vec::new();
    }
    s.split(',').map(|o| o.parse().unwrap()).collect()
}

#[test]
fn decodes_the_captured_map() {
    let map = full();
    assert_eq!(map.epoch(), 40);
    let names: Vec<(i64, &str)> = map.pools().collect();
    assert_eq!(names, [(1, "rbd"), (2, "rep3"), (3, "rep2"), (4, "ec21"), (5, "tiny")]);
    assert_eq!(map.pool_id("rep2"), Some(3));
    assert_eq!(map.pool_name(4), Some("ec21"));
    assert_eq!(map.pool_id("nope"), None);
    let rep2 = map.pool(3).unwrap();
    assert_eq!((rep2.size, rep2.pg_num, rep2.pgp_num, rep2.is_erasure()), (2, 12, 12, false));
    assert!(rep2.has_flag(PgPool::FLAG_HASHPSPOOL));
    let ec = map.pool(4).unwrap();
    assert!(ec.is_erasure());
    assert_eq!((ec.size, ec.pg_num), (3, 8));
    assert_eq!(map.pool(2).unwrap().crush_rule, 1);
    let apps: Vec<Vec<&str>> =
        (1..=5).map(|p| map.pool(p).unwrap().application_metadata.keys().map(String::as_str).collect()).collect();
    // pg_pool_t's application_metadata: only rbd has an application.
    assert_eq!(apps, [alloc::vec!["rbd"], alloc::vec![], alloc::vec![], alloc::vec![], alloc::vec![]]);
    assert!(map.test_flag(flags::SORTBITWISE));
    assert!(!map.test_flag(flags::PAUSEWR));
    assert_eq!(map.max_osd(), 3);
    for osd in 0..3 {
        assert!(map.is_up(osd));
        let addrs = map.osd_addrs(osd).unwrap();
        assert!(!addrs.0.is_empty());
    }
    assert!(!map.is_up(3));
    assert!(map.osd_addrs(3).is_none());
    assert_eq!(map.weight(1), 0xb333);
    assert!(map.primary_affinity(0) < DEFAULT_PRIMARY_AFFINITY);
    // The embedded crush map is the one `ceph osd getcrushmap` gives.
    assert_eq!(*map.crush(), CrushMap::decode(FULL_CRUSH).unwrap());
    assert!(map.erasure_code_profile("k2m1").is_some());
}

/// Every pg of every pool maps as osdmaptool --test-map-pgs-dump-all
/// (Ceph's own OSDMap code) maps it: raw CRUSH set, up and acting.
#[test]
fn every_pg_maps_as_osdmaptool_says() {
    let map = full();
    let mut checked = 0;
    for line in PGS.lines() {
        // "2.0 raw ([0,2], p0) up ([0,2], p0) acting ([0,2,1], p0)"
        let f: Vec<&str> = line.split([' ', '(', ')']).filter(|s| !s.is_empty()).collect();
        let pg = parse_pg(f[0]);
        let p = |s: &str| -> i32 { s.trim_start_matches('p').parse().unwrap() };
        let (raw, raw_p) = (parse_list(f[2].trim_end_matches(',')), p(f[3]));
        let (up, up_p) = (parse_list(f[5].trim_end_matches(',')), p(f[6]));
        let (acting, acting_p) = (parse_list(f[8].trim_end_matches(',')), p(f[9]));
        let pool = map.pool(pg.pool).unwrap();
        let (crush, _) = map._pg_to_raw_osds(pool, pg);
        assert_eq!(crush, raw, "raw {line}");
        assert_eq!(crush.iter().copied().find(|&o| o != CRUSH_ITEM_NONE).unwrap_or(-1), raw_p, "{line}");
        let got = map.pg_to_up_acting_osds(pg);
        assert_eq!((got.up, got.up_primary), (up, up_p), "up {line}");
        assert_eq!((got.acting, got.acting_primary), (acting, acting_p), "acting {line}");
        checked += 1;
    }
    assert_eq!(checked, 32 + 50 + 12 + 8 + 1);
}

/// Objects map as `ceph osd map` said at the same epoch: raw pg (the
/// full hash), pg, up and acting.
#[test]
fn objects_map_as_the_monitor_says() {
    let map = full();
    let mut checked = 0;
    for line in OBJECTS.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        let pool: i64 = f[0].parse().unwrap();
        let raw = map.object_locator_to_pg(pool, f[1], "", f[2]).unwrap();
        assert_eq!(raw, PgId { pool, seed: u32::from_str_radix(f[3], 16).unwrap() }, "{line}");
        assert_eq!(map.raw_pg_to_pg(raw).seed, u32::from_str_radix(f[4], 16).unwrap(), "{line}");
        let got = map.pg_to_up_acting_osds(raw);
        assert_eq!(got.up, parse_list(f[5]), "{line}");
        assert_eq!(got.up_primary, f[6].parse::<i32>().unwrap(), "{line}");
        assert_eq!(got.acting, parse_list(f[7]), "{line}");
        assert_eq!(got.acting_primary, f[8].parse::<i32>().unwrap(), "{line}");
        checked += 1;
    }
    assert_eq!(checked, 200);
    assert_eq!(map.object_locator_to_pg(99, "x", "", ""), Err(crate::Errno::ENOENT));
    // A locator key replaces the name in the hash.
    let by_key = map.object_locator_to_pg(1, "a", "b", "").unwrap();
    assert_eq!(by_key, map.object_locator_to_pg(1, "b", "", "").unwrap());
}

fn mark_out(a: &OsdMap, osd: i32, b: &OsdMap) -> Incremental {
    Incremental {
        fsid: a.fsid(),
        epoch: a.epoch() + 1,
        modified: b.modified(),
        new_pool_max: -1,
        new_flags: -1,
        new_max_osd: -1,
        new_weight: BTreeMap::from([(osd, 0)]),
        ..Incremental::default()
    }
}

/// `ceph osd out 2` took epoch a to epoch b; the incremental that says
/// so, applied to a, gives b. (The monitor's real incremental for that
/// epoch also cleared pool 4's CREATING flag; the test encoder does not
/// encode pools, so that one change is carried over by hand.)
#[test]
fn incremental_marking_out_matches_the_next_full_map() {
    let mut a = OsdMap::decode(EPOCH_A).unwrap();
    let b = OsdMap::decode(EPOCH_B).unwrap();
    assert_eq!(b.epoch(), a.epoch() + 1);
    assert_ne!(a, b);
    let inc = mark_out(&a, 2, &b);
    let bytes = inc.encode();
    assert_eq!(Incremental::decode(&bytes).unwrap(), inc);
    a.apply_incremental(&bytes).unwrap();
    let (ours, theirs) = (a.pool(4).unwrap().clone(), b.pool(4).unwrap());
    assert_eq!(ours.flags & !(1 << 15), theirs.flags);
    a.pools.insert(4, PgPool { flags: theirs.flags, last_change: theirs.last_change, ..ours });
    assert_eq!(a, b);
    for pool in [1, 2, 3, 4, 5] {
        for seed in 0..a.pool(pool).unwrap().pg_num {
            let pg = PgId { pool, seed };
            assert!(!a.pg_to_up_acting_osds(pg).up.contains(&2) || a.pool(pool).unwrap().is_erasure());
        }
    }
}

#[test]
fn incremental_for_another_epoch_is_refused_and_changes_nothing() {
    let a = OsdMap::decode(EPOCH_A).unwrap();
    let b = OsdMap::decode(EPOCH_B).unwrap();
    let mut inc = mark_out(&a, 2, &b);
    inc.epoch += 1;
    let mut map = a.clone();
    assert!(map.apply_incremental(&inc.encode()).is_err());
    assert_eq!(map, a);
    // An osd beyond max_osd is an error, not a panic or a partial apply.
    let mut inc = mark_out(&a, 2, &b);
    inc.new_state.insert(7, osd_state::UP);
    inc.new_pg_temp.insert(PgId { pool: 1, seed: 0 }, alloc::vec![0, 1]);
    assert!(map.apply_incremental(&inc.encode()).is_err());
    assert_eq!(map, a);
    // A flipped bit fails the crc.
    let mut bytes = mark_out(&a, 2, &b).encode();
    bytes[20] ^= 1;
    assert!(map.apply_incremental(&bytes).is_err());
}

#[test]
fn incremental_changes_placement_inputs() {
    let mut map = full();
    let pg = PgId { pool: 3, seed: 5 };
    let before = map.pg_to_up_acting_osds(pg);
    let other = (0..3).find(|o| !before.up.contains(o)).unwrap_or(0);
    let inc = Incremental {
        fsid: map.fsid(),
        epoch: map.epoch() + 1,
        new_pool_max: -1,
        new_flags: flags::PAUSEWR as i32,
        new_max_osd: -1,
        new_pg_temp: BTreeMap::from([(pg, alloc::vec![other])]),
        new_primary_temp: BTreeMap::from([(PgId { pool: 3, seed: 6 }, 2)]),
        new_state: BTreeMap::from([(1, osd_state::UP)]),
        ..Incremental::default()
    };
    map.apply_incremental(&inc.encode()).unwrap();
    assert_eq!(map.epoch(), 41);
    assert!(map.test_flag(flags::PAUSEWR));
    assert!(!map.is_up(1));
    let after = map.pg_to_up_acting_osds(pg);
    assert!(!after.up.contains(&1));
    if other != 1 {
        assert_eq!(after.acting, [other]);
        assert_eq!(after.acting_primary, other);
    }
    assert_eq!(map.pg_to_up_acting_osds(PgId { pool: 3, seed: 6 }).acting_primary, 2);
    // Removing the pg_temp again restores CRUSH's answer.
    let inc = Incremental {
        fsid: map.fsid(),
        epoch: 42,
        new_pool_max: -1,
        new_flags: -1,
        new_max_osd: -1,
        new_pg_temp: BTreeMap::from([(pg, Vec::new())]),
        new_up_client: BTreeMap::from([(1, map.osd_addrs(0).unwrap().clone())]),
        ..Incremental::default()
    };
    map.apply_incremental(&inc.encode()).unwrap();
    assert!(map.is_up(1));
    assert_eq!(map.pg_to_up_acting_osds(pg), before);
}

#[test]
fn incremental_with_a_full_map_replaces_the_map() {
    let mut a = OsdMap::decode(EPOCH_A).unwrap();
    let b = OsdMap::decode(EPOCH_B).unwrap();
    let inc = Incremental {
        fsid: a.fsid(),
        epoch: b.epoch(),
        new_pool_max: -1,
        new_flags: -1,
        new_max_osd: -1,
        fullmap: EPOCH_B.to_vec(),
        ..Incremental::default()
    };
    a.apply_incremental(&inc.encode()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn pg_id_encoding() {
    let pg = PgId { pool: 7, seed: 0x1f };
    let bytes = encode_to_vec(&pg);
    assert_eq!(bytes.len(), 17);
    assert_eq!(bytes[0], 1);
    assert_eq!(&bytes[13..], &(-1i32).to_le_bytes());
    assert_eq!(decode_exact::<PgId>(&bytes).unwrap(), pg);
    assert_eq!(alloc::format!("{pg}"), "7.1f");
}

#[test]
fn stable_mod_and_masks() {
    let pool = full().pool(3).unwrap().clone(); // pg_num 12
    assert_eq!(pool.pg_num_mask(), 15);
    let seeds: Vec<u32> = (0..32).map(|s| pool.raw_pg_to_pg(PgId { pool: 3, seed: s }).seed).collect();
    assert!(seeds.iter().all(|&s| s < 12));
    assert_eq!(seeds[13], 5);
    assert_eq!(seeds[11], 11);
}

#[test]
fn truncated_or_corrupt_maps_are_errors() {
    for len in (0..FULL.len()).step_by(7) {
        assert!(OsdMap::decode(&FULL[..len]).is_err(), "{len}");
    }
    let mut bad = FULL.to_vec();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x40;
    assert!(OsdMap::decode(&bad).is_err());
    let _ = String::new();
}

#[test]
fn pool_snap_entries_decode_as_upstream_encodes_them() {
    // snapid key, then pool_snap_info_t: ENCODE_START(2, 2), snapid,
    // utime_t stamp, string name.
    let mut bytes = 7u64.to_le_bytes().to_vec();
    bytes.extend_from_slice(&[2, 2, 8 + 8 + 4 + 3, 0, 0, 0]);
    bytes.extend_from_slice(&7u64.to_le_bytes());
    bytes.extend_from_slice(&[10, 0, 0, 0, 20, 0, 0, 0]);
    bytes.extend_from_slice(&[3, 0, 0, 0, b'o', b'n', b'e']);
    let mut d = crate::encoding::Decoder::new(&bytes);
    let (id, snap) = super::pool::pool_snap(&mut d).unwrap();
    assert_eq!((id, snap.name.as_str(), snap.stamp), (7, "one", crate::encoding::UtcTime::new(10, 20)));
    for cut in 0..bytes.len() {
        let mut d = crate::encoding::Decoder::new(&bytes[..cut]);
        assert!(super::pool::pool_snap(&mut d).is_err(), "cut at {cut}");
    }
}
