use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::hash::{hash32_2, hash32_3, str_hash_linux, str_hash_rjenkins};
use super::ln::{LL, RH_LH};
use super::*;

const ALGS: &[u8] = include_bytes!("testdata/algs.crush");
const LEGACY: &[u8] = include_bytes!("testdata/legacy.crush");
const MAPPINGS: &str = include_str!("testdata/mappings.txt");

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

#[test]
fn ln_tables_follow_their_formulas() {
    // RH ~ 2^48 / (1 + k/128) and LH ~ 2^48 log2(1 + k/128): these two
    // columns are regular, which catches a mistyped entry.
    for k in 0..128u64 {
        let rh = RH_LH[2 * k as usize];
        let want = (1u128 << 55) / u128::from(128 + k);
        assert!(u128::from(rh).abs_diff(want) <= 1, "RH[{k}]");
    }
    // LL is Ceph's table as shipped: its low 16 bits follow
    // 2^48 log2(1 + k/2^15) for most entries; spot-check a few exactly.
    assert_eq!(LL[0], 0);
    assert_eq!(LL[1] & 0xffff, 0x0a00);
    assert_eq!(LL[255], 0x0000_02dc_ed24_f814);
    assert_eq!(RH_LH[257], 0x0000_ffff_0000_0000);
}

#[test]
fn crush_ln_is_monotonic_and_spans_its_range() {
    // log2(2^16) * 2^44 = 2^48, less the tables' rounding.
    assert_eq!(crush_ln(0xffff), 0xffff_f000_0000);
    assert_eq!(crush_ln(0), 0);
    let mut last = 0;
    for u in 1..0xffffu32 {
        let v = crush_ln(u);
        assert!(v >= last, "crush_ln({u:#x})");
        last = v;
    }
}

#[test]
fn string_hashes_match_ceph() {
    // Values from `ceph osd map` on the test cluster: raw pg seeds.
    assert_eq!(str_hash_rjenkins(b"foo"), 0x7fc1_f406);
    assert_eq!(str_hash_rjenkins(b"ns1\x1ffoo"), 0xf456_9544);
    assert_eq!(str_hash_rjenkins(b""), str_hash_rjenkins(&[]));
    assert_eq!(str_hash_linux(b""), 0);
    assert_eq!(str_hash_linux(b"a"), ((0x61 << 4) + (0x61 >> 4)) * 11);
}

#[test]
fn integer_hashes_are_stable() {
    // Inputs whose outputs placement depends on; computed once and pinned.
    assert_ne!(hash32_2(0, 0), hash32_2(0, 1));
    assert_ne!(hash32_3(1, 2, 3), hash32_3(3, 2, 1));
}

fn weights(case: &str) -> Vec<u32> {
    let mut w = vec![0x10000u32; 16];
    if case == "w1" {
        w[7] = 0x8000;
        w[13] = 0;
        w[2] = (0.8f64 * 65536.0) as u32;
    }
    w
}

fn fmt_mapping(rule: i32, x: i32, items: &[i32]) -> String {
    let list: Vec<String> = items.iter().map(|i| format!("{i}")).collect();
    format!("CRUSH rule {rule} x {x} [{}]\n", list.join(","))
}

/// Every (map, rule, size, weights) case crushtool --test recorded: the
/// mappings of x = 0..4096 hash to the same value crushtool's output does.
#[test]
fn mappings_match_crushtool() {
    let algs = CrushMap::decode(ALGS).unwrap();
    let legacy = CrushMap::decode(LEGACY).unwrap();
    assert_eq!(algs.tunables, Tunables { allowed_bucket_algs: 62, ..Tunables::JEWEL });
    assert_eq!(legacy.tunables.choose_total_tries, 19);
    let mut checked = 0;
    for line in MAPPINGS.lines() {
        let f: Vec<&str> = line.splitn(6, ' ').collect();
        let map = if f[0] == "algs" { &algs } else { &legacy };
        let rule: i32 = f[1].parse().unwrap();
        let numrep: usize = f[2].parse().unwrap();
        let w = weights(f[3]);
        let want = u64::from_str_radix(f[4], 16).unwrap();
        let mut text = String::new();
        for x in 0..4096 {
            text.push_str(&fmt_mapping(rule, x, &map.do_rule(rule, x, numrep, &w, -1)));
        }
        let first = text.lines().next().unwrap();
        assert_eq!(first, f[5], "{line}");
        assert_eq!(fnv(text.as_bytes()), want, "{line}");
        checked += 1;
    }
    assert_eq!(checked, 60);
}

#[test]
fn decode_reads_every_bucket_algorithm() {
    let map = CrushMap::decode(ALGS).unwrap();
    let algs: Vec<u8> = map.buckets.iter().flatten().map(Bucket::alg).collect();
    for alg in [BUCKET_UNIFORM, BUCKET_LIST, BUCKET_TREE, BUCKET_STRAW, BUCKET_STRAW2] {
        assert!(algs.contains(&alg), "{alg}");
    }
    assert_eq!(map.rules.iter().flatten().count(), 5);
    assert_eq!(map.names.get(&-1).map(String::as_str), Some("default"));
}

#[test]
fn truncated_maps_are_errors() {
    for len in 0..ALGS.len() {
        // Either an error or a map that stops at an optional field.
        let _ = CrushMap::decode(&ALGS[..len]);
    }
    assert!(CrushMap::decode(&ALGS[..100]).is_err());
    let mut bad = ALGS.to_vec();
    bad[0] ^= 1;
    assert!(CrushMap::decode(&bad).is_err());
}

/// A root of `hosts` straw2 hosts, each of `per_host` OSDs, and rule 0
/// `chooseleaf firstn 0 type host`, rule 1 the same with indep.
fn flat_map(hosts: usize, per_host: usize, osd_weights: &[u32]) -> CrushMap {
    let mut buckets = vec![None];
    let mut root_items = Vec::new();
    for h in 0..hosts {
        let id = -2 - h as i32;
        let items: Vec<(i32, u32)> = (0..per_host)
            .map(|i| {
                let osd = (h * per_host + i) as i32;
                (osd, osd_weights[osd as usize])
            })
            .collect();
        let b = Bucket::straw2(id, 1, items);
        root_items.push((id, b.weight));
        buckets.push(Some(b));
    }
    buckets[0] = Some(Bucket::straw2(-1, 2, root_items));
    let steps = |choose| {
        vec![
            RuleStep { op: op::TAKE, arg1: -1, arg2: 0 },
            RuleStep { op: choose, arg1: 0, arg2: 1 },
            RuleStep { op: op::EMIT, arg1: 0, arg2: 0 },
        ]
    };
    CrushMap {
        buckets,
        rules: vec![
            Some(Rule { rule_id: 0, rule_type: 1, steps: steps(op::CHOOSELEAF_FIRSTN) }),
            Some(Rule { rule_id: 1, rule_type: 3, steps: steps(op::CHOOSELEAF_INDEP) }),
        ],
        max_devices: (hosts * per_host) as i32,
        tunables: Tunables::JEWEL,
        type_names: Default::default(),
        names: Default::default(),
        rule_names: Default::default(),
        choose_args: Default::default(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// firstn never returns the same OSD twice, and every OSD it returns
    /// is in (reweight > 0).
    #[test]
    fn firstn_is_distinct_and_in(x in any::<i32>(), size in 1usize..6, out in proptest::collection::vec(any::<bool>(), 12)) {
        let map = flat_map(4, 3, &[0x10000; 12]);
        let reweight: Vec<u32> = out.iter().map(|&o| if o { 0 } else { 0x10000 }).collect();
        let got = map.do_rule(0, x, size, &reweight, -1);
        prop_assert!(got.len() <= size);
        for (i, a) in got.iter().enumerate() {
            prop_assert!(reweight[*a as usize] > 0, "{a} is out");
            prop_assert!(!got[i + 1..].contains(a));
        }
    }

    /// indep keeps its slots: the result has exactly `size` entries, holes
    /// are CRUSH_ITEM_NONE, and the OSDs that are there are distinct.
    #[test]
    fn indep_keeps_positions(x in any::<i32>(), size in 1usize..5) {
        let map = flat_map(4, 3, &[0x10000; 12]);
        let got = map.do_rule(1, x, size, &[0x10000; 12], -1);
        prop_assert_eq!(got.len(), size);
        let osds: Vec<i32> = got.iter().copied().filter(|&o| o != CRUSH_ITEM_NONE).collect();
        for (i, a) in osds.iter().enumerate() {
            prop_assert!(!osds[i + 1..].contains(a));
        }
    }

    /// straw2 stability: changing one OSD's weight only moves data to or
    /// from that OSD; a pg that used neither it before nor after is unmoved.
    #[test]
    fn straw2_moves_only_to_or_from_the_changed_item(x in any::<i32>(), osd in 0usize..12, w in 0u32..0x30000) {
        let before_w = [0x10000u32; 12];
        let mut after_w = before_w;
        after_w[osd] = w;
        // One host of twelve: the choice among its OSDs is a single straw2 draw.
        let before = flat_map(1, 12, &before_w).do_rule(0, x, 1, &[0x10000; 12], -1);
        let after = flat_map(1, 12, &after_w).do_rule(0, x, 1, &[0x10000; 12], -1);
        let changed = osd as i32;
        if before != after {
            prop_assert!(before.contains(&changed) || after.contains(&changed), "{before:?} -> {after:?}");
        }
    }
}

#[test]
fn unknown_rules_and_takes_map_to_nothing() {
    let map = flat_map(2, 2, &[0x10000; 4]);
    assert!(map.do_rule(7, 1, 3, &[0x10000; 4], -1).is_empty());
    assert!(map.do_rule(-1, 1, 3, &[0x10000; 4], -1).is_empty());
    assert!(map.do_rule(0, 1, 0, &[0x10000; 4], -1).is_empty());
}
