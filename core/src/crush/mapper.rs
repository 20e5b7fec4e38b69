//! `crush_do_rule` and its helpers (src/crush/mapper.c): given an input
//! `x`, a rule and the OSD weights, the devices the rule selects.
//!
//! The arithmetic follows Ceph's exactly (wrapping 32-bit `r`, the same
//! retry counters), because placement must agree bit for bit. Where a
//! malformed map would make Ceph crash or spin (a missing bucket, a bucket
//! that contains itself), this gives up on that replica instead.

use alloc::vec;
use alloc::vec::Vec;

use super::hash::{hash32_2, hash32_3, hash32_4, CRUSH_HASH_RJENKINS1};
use super::ln::crush_ln;
use super::map::{op, Bucket, BucketKind, ChooseArgMap, CrushMap};

/// `CRUSH_ITEM_NONE`: a hole in an indep (erasure-coded) result.
pub const CRUSH_ITEM_NONE: i32 = 0x7fff_ffff;
/// `CRUSH_ITEM_UNDEF`: not chosen yet (never in a result).
pub const CRUSH_ITEM_UNDEF: i32 = 0x7fff_fffe;

/// Retry counts beyond any real map's (Ceph's profiles use at most 100):
/// a hostile map's huge counts are clipped so mapping stays bounded.
const MAX_TRIES: u32 = 1000;

/// Items one do_rule may hash before it gives up on the rest. Real maps
/// need a few thousand at most; this bounds the work a hostile map (huge
/// buckets, many retries, deep nesting) can cause.
const HASH_BUDGET: usize = 1 << 18;

/// The permutation state of one uniform bucket (`crush_work_bucket`).
#[derive(Clone, Debug, Default)]
struct Perm {
    x: u32,
    n: u32,
    perm: Vec<u32>,
}

struct Mapper<'a> {
    map: &'a CrushMap,
    weight: &'a [u32],
    args: Option<&'a ChooseArgMap>,
    x: i32,
    perms: Vec<Option<Perm>>,
    budget: usize,
}

#[derive(Clone, Copy)]
struct Tries {
    tries: u32,
    recurse_tries: u32,
    local_retries: u32,
    local_fallback_retries: u32,
    vary_r: i32,
    stable: bool,
}

fn index_of(id: i32) -> usize {
    (-1 - i64::from(id)) as usize
}

impl CrushMap {
    /// `crush_do_rule` as CrushWrapper::do_rule calls it: at most
    /// `result_max` items, with the pool's choose_args (falling back to the
    /// default ones). An unknown rule maps to nothing.
    pub fn do_rule(&self, ruleno: i32, x: i32, result_max: usize, weight: &[u32], choose_args_index: i64) -> Vec<i32> {
        let mut result = Vec::new();
        let Some(rule) = self.rule(ruleno) else {
            return result;
        };
        let mut m = Mapper {
            map: self,
            weight,
            args: self.choose_args_for(choose_args_index),
            x,
            perms: vec![None; self.buckets.len()],
            budget: HASH_BUDGET,
        };
        let t = &self.tunables;
        // choose_total_tries counted retries, not tries; Ceph adds one.
        let mut choose_tries = t.choose_total_tries.saturating_add(1).min(MAX_TRIES);
        let mut choose_leaf_tries = 0u32;
        let mut local_retries = t.choose_local_tries.min(MAX_TRIES);
        let mut local_fallback_retries = t.choose_local_fallback_tries.min(MAX_TRIES);
        let mut vary_r = i32::from(t.chooseleaf_vary_r);
        let mut stable = i32::from(t.chooseleaf_stable);

        let (mut w, mut o, mut c) = (vec![0i32; result_max], vec![0i32; result_max], vec![0i32; result_max]);
        let mut wsize = 0usize;
        for step in &rule.steps {
            match step.op {
                op::TAKE => {
                    let a = i64::from(step.arg1);
                    let bucket_ok = a < 0 && self.bucket(step.arg1).is_some();
                    if ((0..i64::from(self.max_devices)).contains(&a) || bucket_ok) && result_max > 0 {
                        w[0] = step.arg1;
                        wsize = 1;
                    }
                }
                op::SET_CHOOSE_TRIES if step.arg1 > 0 => choose_tries = (step.arg1 as u32).min(MAX_TRIES),
                op::SET_CHOOSELEAF_TRIES if step.arg1 > 0 => choose_leaf_tries = (step.arg1 as u32).min(MAX_TRIES),
                op::SET_CHOOSE_LOCAL_TRIES if step.arg1 >= 0 => local_retries = (step.arg1 as u32).min(MAX_TRIES),
                op::SET_CHOOSE_LOCAL_FALLBACK_TRIES if step.arg1 >= 0 => {
                    local_fallback_retries = (step.arg1 as u32).min(MAX_TRIES)
                }
                op::SET_CHOOSELEAF_VARY_R if step.arg1 >= 0 => vary_r = step.arg1,
                op::SET_CHOOSELEAF_STABLE if step.arg1 >= 0 => stable = step.arg1,
                op::CHOOSE_FIRSTN | op::CHOOSELEAF_FIRSTN | op::CHOOSE_INDEP | op::CHOOSELEAF_INDEP => {
                    if wsize == 0 {
                        continue;
                    }
                    let firstn = matches!(step.op, op::CHOOSE_FIRSTN | op::CHOOSELEAF_FIRSTN);
                    let recurse_to_leaf = matches!(step.op, op::CHOOSELEAF_FIRSTN | op::CHOOSELEAF_INDEP);
                    let mut osize = 0usize;
                    for &item in &w[..wsize] {
                        // numrep <= 0 is relative to the result size.
                        let mut numrep = step.arg1;
                        if numrep <= 0 {
                            numrep = numrep.wrapping_add(result_max as i32);
                            if numrep <= 0 {
                                continue;
                            }
                        }
                        let Some(bucket) = (if item < 0 { self.bucket(item) } else { None }) else {
                            continue;
                        };
                        let room = result_max - osize;
                        if firstn {
                            let recurse_tries = if choose_leaf_tries != 0 {
                                choose_leaf_tries
                            } else if t.chooseleaf_descend_once != 0 {
                                1
                            } else {
                                choose_tries
                            };
                            let tries = Tries {
                                tries: choose_tries,
                                recurse_tries,
                                local_retries,
                                local_fallback_retries,
                                vary_r,
                                stable: stable != 0,
                            };
                            osize += m.choose_firstn(
                                bucket,
                                numrep,
                                step.arg2,
                                &mut o[osize..],
                                0,
                                room,
                                &tries,
                                recurse_to_leaf,
                                Some(&mut c[osize..]),
                                0,
                            );
                        } else {
                            let out_size = (numrep as usize).min(room);
                            let recurse_tries = if choose_leaf_tries != 0 { choose_leaf_tries } else { 1 };
                            m.choose_indep(
                                bucket,
                                out_size,
                                numrep,
                                step.arg2,
                                &mut o[osize..],
                                0,
                                choose_tries,
                                recurse_tries,
                                recurse_to_leaf,
                                Some(&mut c[osize..]),
                                0,
                            );
                            osize += out_size;
                        }
                    }
                    if recurse_to_leaf {
                        o[..osize].copy_from_slice(&c[..osize]);
                    }
                    core::mem::swap(&mut o, &mut w);
                    wsize = osize;
                }
                op::EMIT => {
                    for &item in &w[..wsize] {
                        if result.len() >= result_max {
                            break;
                        }
                        result.push(item);
                    }
                    wsize = 0;
                }
                _ => {}
            }
        }
        result
    }
}

impl Mapper<'_> {
    fn hash3(b: &Bucket, a: u32, c: u32, d: u32) -> u32 {
        if b.hash == CRUSH_HASH_RJENKINS1 {
            hash32_3(a, c, d)
        } else {
            0
        }
    }

    fn hash4(b: &Bucket, a: u32, c: u32, d: u32, e: u32) -> u32 {
        if b.hash == CRUSH_HASH_RJENKINS1 {
            hash32_4(a, c, d, e)
        } else {
            0
        }
    }

    /// A device marked (partly) out by its reweight is rejected for a
    /// weight-proportional share of inputs.
    fn is_out(&self, item: i32) -> bool {
        let Some(&w) = usize::try_from(item).ok().and_then(|i| self.weight.get(i)) else {
            return true;
        };
        if w >= 0x10000 {
            return false;
        }
        if w == 0 {
            return true;
        }
        (hash32_2(self.x as u32, item as u32) & 0xffff) >= w
    }

    /// Charges `n` hashes to the budget; false once it is spent.
    fn charge(&mut self, n: usize) -> bool {
        match self.budget.checked_sub(n.max(1)) {
            Some(left) => {
                self.budget = left;
                true
            }
            None => {
                self.budget = 0;
                false
            }
        }
    }

    fn perm_choose(&mut self, b: &Bucket, r: i32) -> i32 {
        let size = b.items.len() as u32;
        if size == 0 || !self.charge(b.items.len()) {
            return CRUSH_ITEM_NONE;
        }
        let x = self.x as u32;
        let pr = (r as u32) % size;
        let Some(slot) = self.perms.get_mut(index_of(b.id)) else {
            return CRUSH_ITEM_NONE;
        };
        let work = slot.get_or_insert_with(|| Perm { x: 0, n: 0, perm: vec![0; size as usize] });
        if work.x != x || work.n == 0 {
            work.x = x;
            // The common r = 0 case only needs the first element.
            if pr == 0 {
                let s = Self::hash3(b, x, b.id as u32, 0) % size;
                work.perm[0] = s;
                work.n = 0xffff;
                return b.items[s as usize];
            }
            for (i, p) in work.perm.iter_mut().enumerate() {
                *p = i as u32;
            }
            work.n = 0;
        } else if work.n == 0xffff {
            for (i, p) in work.perm.iter_mut().enumerate().skip(1) {
                *p = i as u32;
            }
            let first = work.perm[0] as usize;
            work.perm[first] = 0;
            work.n = 1;
        }
        while work.n <= pr {
            let p = work.n;
            if p < size - 1 {
                let i = Self::hash3(b, x, b.id as u32, p) % (size - p);
                if i != 0 {
                    work.perm.swap((p + i) as usize, p as usize);
                }
            }
            work.n += 1;
        }
        b.items[work.perm[pr as usize] as usize]
    }

    fn bucket_choose(&mut self, b: &Bucket, r: i32, position: usize) -> i32 {
        let x = self.x as u32;
        let r32 = r as u32;
        let n = b.items.len();
        if n == 0 || !self.charge(n) {
            return CRUSH_ITEM_NONE;
        }
        match &b.kind {
            BucketKind::Uniform { .. } => self.perm_choose(b, r),
            BucketKind::List { item_weights, sum_weights } => {
                for i in (0..n).rev() {
                    let (Some(&iw), Some(&sw)) = (item_weights.get(i), sum_weights.get(i)) else {
                        return CRUSH_ITEM_NONE;
                    };
                    let w = u64::from(Self::hash4(b, x, b.items[i] as u32, r32, b.id as u32) & 0xffff);
                    if (w * u64::from(sw)) >> 16 < u64::from(iw) {
                        return b.items[i];
                    }
                }
                b.items[0]
            }
            BucketKind::Tree { node_weights } => tree_choose(b, node_weights, x, r32),
            BucketKind::Straw { item_weights: _, straws } => {
                let mut high = 0;
                let mut high_draw = 0u64;
                for (i, &item) in b.items.iter().enumerate() {
                    let straw = u64::from(straws.get(i).copied().unwrap_or(0));
                    let draw = u64::from(Self::hash3(b, x, item as u32, r32) & 0xffff) * straw;
                    if i == 0 || draw > high_draw {
                        high = i;
                        high_draw = draw;
                    }
                }
                b.items[high]
            }
            BucketKind::Straw2 { item_weights } => {
                let arg = self.args.and_then(|a| a.get(&(index_of(b.id) as u32)));
                let mut weights = item_weights.as_slice();
                let mut ids = b.items.as_slice();
                if let Some(arg) = arg {
                    if let Some(set) = arg.weight_set.get(position.min(arg.weight_set.len().saturating_sub(1))) {
                        if set.len() == n {
                            weights = set;
                        }
                    }
                    if arg.ids.len() == n {
                        ids = &arg.ids;
                    }
                }
                straw2_choose(b, weights, ids, x, r32)
            }
        }
    }

    /// `crush_choose_firstn`: replicas in order; a failed slot is retried
    /// with a new `r` and later slots shift up.
    #[allow(clippy::too_many_arguments)]
    fn choose_firstn(
        &mut self,
        bucket: &Bucket,
        numrep: i32,
        want_type: i32,
        out: &mut [i32],
        mut outpos: usize,
        out_size: usize,
        t: &Tries,
        recurse_to_leaf: bool,
        mut out2: Option<&mut [i32]>,
        parent_r: i32,
    ) -> usize {
        let map = self.map;
        let mut count = out_size;
        let mut rep: i32 = if t.stable { 0 } else { outpos as i32 };
        while rep < numrep && count > 0 {
            let mut ftotal: u32 = 0;
            let mut skip_rep = false;
            let mut item = 0;
            loop {
                let mut retry_descent = false;
                let mut inb = bucket;
                let mut flocal: u32 = 0;
                let mut depth = 0usize;
                loop {
                    let mut collide = false;
                    let mut retry_bucket = false;
                    let r = rep.wrapping_add(parent_r).wrapping_add(ftotal as i32);
                    let size = inb.items.len() as u32;
                    let reject;
                    if size == 0 {
                        reject = true;
                    } else {
                        item = if t.local_fallback_retries > 0
                            && flocal >= (size >> 1)
                            && flocal > t.local_fallback_retries
                        {
                            self.perm_choose(inb, r)
                        } else {
                            self.bucket_choose(inb, r, outpos)
                        };
                        if item >= map.max_devices {
                            skip_rep = true;
                            break;
                        }
                        let sub = bucket_of(map, item);
                        let item_type = match (item < 0, sub) {
                            (false, _) => 0,
                            (true, Some(b)) => i32::from(b.bucket_type),
                            (true, None) => {
                                skip_rep = true;
                                break;
                            }
                        };
                        if item_type != want_type {
                            depth += 1;
                            match sub {
                                Some(b) if depth <= map.buckets.len() => {
                                    inb = b;
                                    continue;
                                }
                                _ => {
                                    skip_rep = true;
                                    break;
                                }
                            }
                        }
                        collide = out[..outpos.min(out.len())].contains(&item);
                        let mut rejected = false;
                        if !collide && recurse_to_leaf {
                            if let Some(leaf_bucket) = sub {
                                let sub_r = if t.vary_r != 0 { r >> (t.vary_r - 1).clamp(0, 31) } else { 0 };
                                let got = match out2.as_deref_mut() {
                                    Some(o2) => self.choose_firstn(
                                        leaf_bucket,
                                        if t.stable { 1 } else { outpos as i32 + 1 },
                                        0,
                                        o2,
                                        outpos,
                                        count,
                                        &Tries { tries: t.recurse_tries, recurse_tries: 0, ..*t },
                                        false,
                                        None,
                                        sub_r,
                                    ),
                                    None => 0,
                                };
                                rejected = got <= outpos;
                            } else if let Some(slot) = out2.as_deref_mut().and_then(|o2| o2.get_mut(outpos)) {
                                *slot = item;
                            }
                        }
                        reject = rejected || (item_type == 0 && self.is_out(item));
                    }
                    if reject || collide {
                        ftotal += 1;
                        flocal += 1;
                        let local = collide && flocal <= t.local_retries;
                        let fallback =
                            t.local_fallback_retries > 0 && flocal <= size.saturating_add(t.local_fallback_retries);
                        if local || fallback {
                            retry_bucket = true;
                        } else if ftotal < t.tries {
                            retry_descent = true;
                        } else {
                            skip_rep = true;
                        }
                    }
                    if !retry_bucket {
                        break;
                    }
                }
                if !retry_descent {
                    break;
                }
            }
            rep += 1;
            if skip_rep {
                continue;
            }
            let Some(slot) = out.get_mut(outpos) else {
                break;
            };
            *slot = item;
            outpos += 1;
            count -= 1;
        }
        outpos
    }

    /// `crush_choose_indep`: positionally stable choices for erasure
    /// codes; a slot that cannot be filled stays `CRUSH_ITEM_NONE`.
    #[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
    fn choose_indep(
        &mut self,
        bucket: &Bucket,
        left: usize,
        numrep: i32,
        want_type: i32,
        out: &mut [i32],
        outpos: usize,
        tries: u32,
        recurse_tries: u32,
        recurse_to_leaf: bool,
        mut out2: Option<&mut [i32]>,
        parent_r: i32,
    ) {
        let map = self.map;
        let endpos = (outpos + left).min(out.len());
        let mut left = endpos.saturating_sub(outpos);
        for rep in outpos..endpos {
            out[rep] = CRUSH_ITEM_UNDEF;
            if let Some(slot) = out2.as_deref_mut().and_then(|o| o.get_mut(rep)) {
                *slot = CRUSH_ITEM_UNDEF;
            }
        }
        let mut ftotal: u32 = 0;
        while left > 0 && ftotal < tries {
            for rep in outpos..endpos {
                if out[rep] != CRUSH_ITEM_UNDEF {
                    continue;
                }
                let mut inb = bucket;
                let mut depth = 0usize;
                loop {
                    let mut r = (rep as i32).wrapping_add(parent_r);
                    let size = inb.items.len() as u32;
                    let uniform = matches!(inb.kind, BucketKind::Uniform { .. });
                    if uniform && numrep > 0 && size % (numrep as u32) == 0 {
                        r = r.wrapping_add((numrep.wrapping_add(1) as u32).wrapping_mul(ftotal) as i32);
                    } else {
                        r = r.wrapping_add((numrep as u32).wrapping_mul(ftotal) as i32);
                    }
                    if size == 0 {
                        break;
                    }
                    let item = self.bucket_choose(inb, r, outpos);
                    let sub = bucket_of(map, item);
                    let item_type = match (item < 0, sub) {
                        (false, _) => 0,
                        (true, Some(b)) => i32::from(b.bucket_type),
                        (true, None) => -1,
                    };
                    let bad_type = item_type != want_type && (item >= 0 || sub.is_none());
                    depth += 1;
                    if item >= map.max_devices || bad_type || depth > map.buckets.len() + 1 {
                        out[rep] = CRUSH_ITEM_NONE;
                        if let Some(slot) = out2.as_deref_mut().and_then(|o| o.get_mut(rep)) {
                            *slot = CRUSH_ITEM_NONE;
                        }
                        left -= 1;
                        break;
                    }
                    if item_type != want_type {
                        if let Some(b) = sub {
                            inb = b;
                        }
                        continue;
                    }
                    if out[outpos..endpos].contains(&item) {
                        break;
                    }
                    if recurse_to_leaf {
                        if let Some(o2) = out2.as_deref_mut() {
                            match sub {
                                Some(leaf_bucket) => {
                                    self.choose_indep(
                                        leaf_bucket,
                                        1,
                                        numrep,
                                        0,
                                        o2,
                                        rep,
                                        recurse_tries,
                                        0,
                                        false,
                                        None,
                                        r,
                                    );
                                    if o2.get(rep) == Some(&CRUSH_ITEM_NONE) {
                                        break;
                                    }
                                }
                                None => {
                                    if let Some(slot) = o2.get_mut(rep) {
                                        *slot = item;
                                    }
                                }
                            }
                        }
                    }
                    if item_type == 0 && self.is_out(item) {
                        break;
                    }
                    out[rep] = item;
                    left -= 1;
                    break;
                }
            }
            ftotal += 1;
        }
        for rep in outpos..endpos {
            if out[rep] == CRUSH_ITEM_UNDEF {
                out[rep] = CRUSH_ITEM_NONE;
            }
            if let Some(slot) = out2.as_deref_mut().and_then(|o| o.get_mut(rep)) {
                if *slot == CRUSH_ITEM_UNDEF {
                    *slot = CRUSH_ITEM_NONE;
                }
            }
        }
    }
}

/// The bucket an item names, if it is one.
fn bucket_of(map: &CrushMap, item: i32) -> Option<&Bucket> {
    if item < 0 {
        map.bucket(item)
    } else {
        None
    }
}

fn tree_choose(b: &Bucket, node_weights: &[u32], x: u32, r: u32) -> i32 {
    let mut n = (node_weights.len() >> 1) as u32;
    // A well-formed tree reaches a leaf (odd node) within 8 levels.
    for _ in 0..32 {
        if n & 1 == 1 {
            return b.items.get((n >> 1) as usize).copied().unwrap_or(CRUSH_ITEM_NONE);
        }
        if n == 0 {
            break;
        }
        let h = n.trailing_zeros();
        let Some(&w) = node_weights.get(n as usize) else {
            break;
        };
        let hash = if b.hash == CRUSH_HASH_RJENKINS1 { hash32_4(x, n, r, b.id as u32) } else { 0 };
        let t = (u64::from(hash) * u64::from(w)) >> 32;
        let left = n - (1 << (h - 1));
        let Some(&lw) = node_weights.get(left as usize) else {
            break;
        };
        n = if t < u64::from(lw) { left } else { n + (1 << (h - 1)) };
    }
    CRUSH_ITEM_NONE
}

/// straw2: every item draws ln(u)/weight; the longest straw wins, so an
/// item's share follows its weight and unrelated weights never matter.
fn straw2_choose(b: &Bucket, weights: &[u32], ids: &[i32], x: u32, r: u32) -> i32 {
    let mut high = 0;
    let mut high_draw = 0i64;
    for (i, (&w, &id)) in weights.iter().zip(ids).enumerate() {
        let draw = if w != 0 {
            let u = if b.hash == CRUSH_HASH_RJENKINS1 { hash32_3(x, id as u32, r) } else { 0 } & 0xffff;
            let ln = crush_ln(u) as i64 - 0x1_0000_0000_0000;
            ln / i64::from(w)
        } else {
            i64::MIN
        };
        if i == 0 || draw > high_draw {
            high = i;
            high_draw = draw;
        }
    }
    b.items.get(high).copied().unwrap_or(CRUSH_ITEM_NONE)
}
