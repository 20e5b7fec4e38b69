//! The CRUSH map and its encoding (CrushWrapper::encode/decode).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::encoding::{DecodeError, Decoder};

/// `CRUSH_MAGIC`, the first word of an encoded map.
pub const CRUSH_MAGIC: u32 = 0x0001_0000;
/// `DEFAULT_CHOOSE_ARGS`: the choose_args used when a pool has none.
pub const DEFAULT_CHOOSE_ARGS: i64 = -1;

/// Bucket algorithms (`CRUSH_BUCKET_*`).
pub const BUCKET_UNIFORM: u8 = 1;
pub const BUCKET_LIST: u8 = 2;
pub const BUCKET_TREE: u8 = 3;
pub const BUCKET_STRAW: u8 = 4;
pub const BUCKET_STRAW2: u8 = 5;

/// Rule step operations (`CRUSH_RULE_*`).
pub mod op {
    pub const NOOP: u32 = 0;
    pub const TAKE: u32 = 1;
    pub const CHOOSE_FIRSTN: u32 = 2;
    pub const CHOOSE_INDEP: u32 = 3;
    pub const EMIT: u32 = 4;
    pub const CHOOSELEAF_FIRSTN: u32 = 6;
    pub const CHOOSELEAF_INDEP: u32 = 7;
    pub const SET_CHOOSE_TRIES: u32 = 8;
    pub const SET_CHOOSELEAF_TRIES: u32 = 9;
    pub const SET_CHOOSE_LOCAL_TRIES: u32 = 10;
    pub const SET_CHOOSE_LOCAL_FALLBACK_TRIES: u32 = 11;
    pub const SET_CHOOSELEAF_VARY_R: u32 = 12;
    pub const SET_CHOOSELEAF_STABLE: u32 = 13;
}

/// What a bucket's algorithm needs beyond its items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BucketKind {
    Uniform { item_weight: u32 },
    List { item_weights: Vec<u32>, sum_weights: Vec<u32> },
    Tree { node_weights: Vec<u32> },
    Straw { item_weights: Vec<u32>, straws: Vec<u32> },
    Straw2 { item_weights: Vec<u32> },
}

/// `crush_bucket`: an interior node of the hierarchy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// Negative: bucket `id` lives at index `-1 - id`.
    pub id: i32,
    pub bucket_type: u16,
    /// `CRUSH_HASH_RJENKINS1` (0) is the only hash Ceph has.
    pub hash: u8,
    /// 16.16 fixed point.
    pub weight: u32,
    pub items: Vec<i32>,
    pub kind: BucketKind,
}

impl Bucket {
    pub fn alg(&self) -> u8 {
        match self.kind {
            BucketKind::Uniform { .. } => BUCKET_UNIFORM,
            BucketKind::List { .. } => BUCKET_LIST,
            BucketKind::Tree { .. } => BUCKET_TREE,
            BucketKind::Straw { .. } => BUCKET_STRAW,
            BucketKind::Straw2 { .. } => BUCKET_STRAW2,
        }
    }

    /// A straw2 bucket of the given items and 16.16 weights.
    pub fn straw2(id: i32, bucket_type: u16, items: Vec<(i32, u32)>) -> Bucket {
        let weight = items.iter().fold(0u32, |s, &(_, w)| s.saturating_add(w));
        let (items, item_weights) = items.into_iter().unzip();
        Bucket { id, bucket_type, hash: 0, weight, items, kind: BucketKind::Straw2 { item_weights } }
    }
}

/// One step of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleStep {
    pub op: u32,
    pub arg1: i32,
    pub arg2: i32,
}

/// `crush_rule`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The rule's id as Ceph numbers it (once `ruleset`).
    pub rule_id: u8,
    /// 1 replicated, 3 erasure.
    pub rule_type: u8,
    pub steps: Vec<RuleStep>,
}

/// The map-wide tunables (`ceph osd crush show-tunables`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tunables {
    pub choose_local_tries: u32,
    pub choose_local_fallback_tries: u32,
    pub choose_total_tries: u32,
    pub chooseleaf_descend_once: u32,
    pub chooseleaf_vary_r: u8,
    pub chooseleaf_stable: u8,
    pub straw_calc_version: u8,
    pub allowed_bucket_algs: u32,
}

impl Tunables {
    /// What a map that predates the tunables gets ("legacy").
    pub const LEGACY: Tunables = Tunables {
        choose_local_tries: 2,
        choose_local_fallback_tries: 5,
        choose_total_tries: 19,
        chooseleaf_descend_once: 0,
        chooseleaf_vary_r: 0,
        chooseleaf_stable: 0,
        straw_calc_version: 0,
        allowed_bucket_algs: (1 << BUCKET_UNIFORM) | (1 << BUCKET_LIST) | (1 << BUCKET_STRAW),
    };

    /// The "jewel" (and later "optimal") profile.
    pub const JEWEL: Tunables = Tunables {
        choose_local_tries: 0,
        choose_local_fallback_tries: 0,
        choose_total_tries: 50,
        chooseleaf_descend_once: 1,
        chooseleaf_vary_r: 1,
        chooseleaf_stable: 1,
        straw_calc_version: 1,
        allowed_bucket_algs: 0x36,
    };
}

/// `crush_choose_arg`: per-bucket weight overrides (balancer weight sets)
/// and ids to hash in place of the items'.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChooseArg {
    /// One weight vector per output position; the last one serves the rest.
    pub weight_set: Vec<Vec<u32>>,
    pub ids: Vec<i32>,
}

/// One choose_args map: bucket index (`-1 - id`) to its overrides.
pub type ChooseArgMap = BTreeMap<u32, ChooseArg>;

/// A decoded CRUSH map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrushMap {
    /// Indexed by `-1 - id`.
    pub buckets: Vec<Option<Bucket>>,
    /// Indexed by rule id.
    pub rules: Vec<Option<Rule>>,
    pub max_devices: i32,
    pub tunables: Tunables,
    pub type_names: BTreeMap<i32, String>,
    pub names: BTreeMap<i32, String>,
    pub rule_names: BTreeMap<i32, String>,
    /// choose_args maps, by index (a pool id or [`DEFAULT_CHOOSE_ARGS`]),
    /// each keyed by bucket index (`-1 - id`).
    pub choose_args: BTreeMap<i64, ChooseArgMap>,
}

impl CrushMap {
    /// Decodes what `ceph osd getcrushmap` writes (and an OSDMap embeds).
    pub fn decode(bytes: &[u8]) -> Result<CrushMap, DecodeError> {
        let mut d = Decoder::new(bytes);
        if d.u32()? != CRUSH_MAGIC {
            return Err(DecodeError::Invalid("crush map magic"));
        }
        let max_buckets = d.i32()?;
        let max_rules = d.u32()?;
        let max_devices = d.i32()?;
        // Every bucket and rule slot takes at least 4 bytes.
        let max_buckets = usize::try_from(max_buckets).map_err(|_| DecodeError::Invalid("crush max_buckets"))?;
        let max_rules = max_rules as usize;
        if max_buckets.saturating_add(max_rules).saturating_mul(4) > d.remaining() || max_devices < 0 {
            return Err(DecodeError::Invalid("crush map sizes"));
        }
        let mut buckets = Vec::with_capacity(max_buckets);
        for index in 0..max_buckets {
            buckets.push(decode_bucket(&mut d, index)?);
        }
        let mut rules = Vec::with_capacity(max_rules);
        for _ in 0..max_rules {
            rules.push(decode_rule(&mut d)?);
        }
        let type_names = decode_names(&mut d)?;
        let names = decode_names(&mut d)?;
        let rule_names = decode_names(&mut d)?;
        let mut map = CrushMap {
            buckets,
            rules,
            max_devices,
            tunables: Tunables::LEGACY,
            type_names,
            names,
            rule_names,
            choose_args: BTreeMap::new(),
        };
        // Each later field is optional: older encoders stopped earlier.
        let t = &mut map.tunables;
        if d.is_empty() {
            return Ok(map);
        }
        t.choose_local_tries = d.u32()?;
        t.choose_local_fallback_tries = d.u32()?;
        t.choose_total_tries = d.u32()?;
        if d.is_empty() {
            return Ok(map);
        }
        t.chooseleaf_descend_once = d.u32()?;
        if d.is_empty() {
            return Ok(map);
        }
        t.chooseleaf_vary_r = d.u8()?;
        if d.is_empty() {
            return Ok(map);
        }
        t.straw_calc_version = d.u8()?;
        if d.is_empty() {
            return Ok(map);
        }
        t.allowed_bucket_algs = d.u32()?;
        if d.is_empty() {
            return Ok(map);
        }
        t.chooseleaf_stable = d.u8()?;
        if d.is_empty() {
            return Ok(map);
        }
        skip_device_classes(&mut d)?;
        if d.is_empty() {
            return Ok(map);
        }
        map.choose_args = decode_choose_args(&mut d, max_buckets)?;
        // Newer releases append fields (MSR tunables) that placement by
        // the rule steps decoded here does not use.
        Ok(map)
    }

    pub fn bucket(&self, id: i32) -> Option<&Bucket> {
        let index = usize::try_from(-1 - i64::from(id)).ok()?;
        self.buckets.get(index)?.as_ref()
    }

    pub fn rule(&self, id: i32) -> Option<&Rule> {
        self.rules.get(usize::try_from(id).ok()?)?.as_ref()
    }

    /// The choose_args Ceph would use for a pool: its own, else the default.
    pub fn choose_args_for(&self, index: i64) -> Option<&ChooseArgMap> {
        self.choose_args.get(&index).or_else(|| self.choose_args.get(&DEFAULT_CHOOSE_ARGS))
    }
}

fn u32_vec(d: &mut Decoder<'_>, n: usize) -> Result<Vec<u32>, DecodeError> {
    if n.saturating_mul(4) > d.remaining() {
        return Err(DecodeError::Truncated { needed: n.saturating_mul(4), remaining: d.remaining() });
    }
    (0..n).map(|_| d.u32()).collect()
}

fn decode_bucket(d: &mut Decoder<'_>, index: usize) -> Result<Option<Bucket>, DecodeError> {
    if d.u32()? == 0 {
        return Ok(None);
    }
    let id = d.i32()?;
    let bucket_type = d.u16()?;
    let alg = d.u8()?;
    let hash = d.u8()?;
    let weight = d.u32()?;
    let size = d.u32()? as usize;
    if i64::from(id) != -1 - index as i64 {
        return Err(DecodeError::Invalid("crush bucket id does not match its slot"));
    }
    let items = u32_vec(d, size)?.into_iter().map(|i| i as i32).collect();
    let kind = match alg {
        BUCKET_UNIFORM => BucketKind::Uniform { item_weight: d.u32()? },
        BUCKET_LIST => {
            let pairs = u32_vec(d, size.saturating_mul(2))?;
            let item_weights = pairs.iter().step_by(2).copied().collect();
            let sum_weights = pairs.iter().skip(1).step_by(2).copied().collect();
            BucketKind::List { item_weights, sum_weights }
        }
        BUCKET_TREE => {
            let num_nodes = d.u8()? as usize;
            BucketKind::Tree { node_weights: u32_vec(d, num_nodes)? }
        }
        BUCKET_STRAW => {
            let pairs = u32_vec(d, size.saturating_mul(2))?;
            let item_weights = pairs.iter().step_by(2).copied().collect();
            let straws = pairs.iter().skip(1).step_by(2).copied().collect();
            BucketKind::Straw { item_weights, straws }
        }
        BUCKET_STRAW2 => BucketKind::Straw2 { item_weights: u32_vec(d, size)? },
        _ => return Err(DecodeError::Invalid("crush bucket algorithm")),
    };
    Ok(Some(Bucket { id, bucket_type, hash, weight, items, kind }))
}

fn decode_rule(d: &mut Decoder<'_>) -> Result<Option<Rule>, DecodeError> {
    if d.u32()? == 0 {
        return Ok(None);
    }
    let len = d.u32()? as usize;
    // The mask: rule id (ruleset), type, and two retired size bounds.
    let [rule_id, rule_type, _, _] = d.array::<4>()?;
    if len.saturating_mul(12) > d.remaining() {
        return Err(DecodeError::Invalid("crush rule length"));
    }
    let mut steps = Vec::with_capacity(len);
    for _ in 0..len {
        steps.push(RuleStep { op: d.u32()?, arg1: d.i32()?, arg2: d.i32()? });
    }
    Ok(Some(Rule { rule_id, rule_type, steps }))
}

fn decode_names(d: &mut Decoder<'_>) -> Result<BTreeMap<i32, String>, DecodeError> {
    let n = d.count(8)?;
    let mut out = BTreeMap::new();
    for _ in 0..n {
        let key = d.i32()?;
        out.insert(key, d.string()?);
    }
    Ok(out)
}

/// class_map, class_name, class_bucket: device classes are already
/// compiled into shadow buckets, so placement does not need them.
fn skip_device_classes(d: &mut Decoder<'_>) -> Result<(), DecodeError> {
    let n = d.count(8)?;
    d.skip(n * 8)?;
    let n = d.count(8)?;
    for _ in 0..n {
        d.i32()?;
        d.bytes()?;
    }
    let n = d.count(8)?;
    for _ in 0..n {
        d.i32()?;
        let m = d.count(8)?;
        d.skip(m * 8)?;
    }
    Ok(())
}

fn decode_choose_args(d: &mut Decoder<'_>, max_buckets: usize) -> Result<BTreeMap<i64, ChooseArgMap>, DecodeError> {
    let n = d.count(12)?;
    let mut out = BTreeMap::new();
    for _ in 0..n {
        let index = d.i64()?;
        let mut args = ChooseArgMap::new();
        let buckets = d.count(12)?;
        for _ in 0..buckets {
            let bucket = d.u32()?;
            let positions = d.count(4)?;
            let mut weight_set = Vec::with_capacity(positions);
            for _ in 0..positions {
                let len = d.count(4)?;
                weight_set.push(u32_vec(d, len)?);
            }
            let len = d.count(4)?;
            let ids = u32_vec(d, len)?.into_iter().map(|i| i as i32).collect();
            if bucket as usize >= max_buckets {
                return Err(DecodeError::Invalid("choose_args bucket index"));
            }
            args.insert(bucket, ChooseArg { weight_set, ids });
        }
        out.insert(index, args);
    }
    Ok(out)
}
