//! Object and pg placement, named and ordered as in OSDMap.cc.

use alloc::vec::Vec;

use crate::crush::hash::hash32_2;
use crate::crush::CRUSH_ITEM_NONE;
use crate::Errno;

use super::{OsdMap, PgId, PgPool, UpActing, DEFAULT_PRIMARY_AFFINITY};

impl OsdMap {
    /// `object_locator_to_pg`: the *raw* pg of an object, whose seed is the
    /// full 32-bit hash of `[nspace\x1f](key or oid)`. ENOENT: no such pool.
    pub fn object_locator_to_pg(&self, pool: i64, oid: &str, key: &str, nspace: &str) -> Result<PgId, Errno> {
        let p = self.pool(pool).ok_or(Errno::ENOENT)?;
        let name = if key.is_empty() { oid } else { key };
        Ok(PgId { pool, seed: p.hash_key(name, nspace) })
    }

    /// Folds a raw pg to its pool's pg (unchanged if the pool is gone).
    pub fn raw_pg_to_pg(&self, raw: PgId) -> PgId {
        self.pool(raw.pool).map_or(raw, |p| p.raw_pg_to_pg(raw))
    }

    /// `_pg_to_up_acting_osds` for a raw or folded pg: CRUSH, upmaps,
    /// down/out OSDs, primary affinity, then pg_temp and primary_temp.
    /// A missing pool gives empty sets and primaries of -1.
    pub fn pg_to_up_acting_osds(&self, pg: PgId) -> UpActing {
        let none = UpActing { up: Vec::new(), up_primary: -1, acting: Vec::new(), acting_primary: -1 };
        let Some(pool) = self.pool(pg.pool) else {
            return none;
        };
        let (temp, temp_primary) = self._get_temp_osds(pool, pg);
        let (mut raw, pps) = self._pg_to_raw_osds(pool, pg);
        self._apply_upmap(pool, pg, &mut raw);
        let mut up = self._raw_to_up_osds(pool, &raw);
        let mut up_primary = pick_primary(&up);
        self._apply_primary_affinity(pps, pool, &mut up, &mut up_primary);
        let (acting, acting_primary) = if temp.is_empty() {
            let p = if temp_primary == -1 { up_primary } else { temp_primary };
            (up.clone(), p)
        } else {
            (temp, temp_primary)
        };
        UpActing { up, up_primary, acting, acting_primary }
    }

    /// `_pg_to_raw_osds`: the CRUSH result, minus OSDs that do not exist,
    /// and the placement seed it was computed from.
    pub fn _pg_to_raw_osds(&self, pool: &PgPool, pg: PgId) -> (Vec<i32>, u32) {
        let pps = pool.raw_pg_to_pps(pg);
        let mut osds = if pool.crush_rule >= 0 {
            self.crush.do_rule(pool.crush_rule, pps as i32, usize::from(pool.size), &self.osd_weight, pg.pool)
        } else {
            Vec::new()
        };
        self._remove_nonexistent_osds(pool, &mut osds);
        (osds, pps)
    }

    fn _remove_nonexistent_osds(&self, pool: &PgPool, osds: &mut Vec<i32>) {
        if pool.can_shift_osds() {
            osds.retain(|&o| self.exists(o));
        } else {
            for o in osds.iter_mut() {
                if !self.exists(*o) {
                    *o = CRUSH_ITEM_NONE;
                }
            }
        }
    }

    /// A target that is marked out (or not a valid id) voids an upmap.
    fn upmap_target_is_out(&self, osd: i32) -> bool {
        osd != CRUSH_ITEM_NONE && osd >= 0 && osd < self.max_osd && self.weight(osd) == 0
    }

    /// `_apply_upmap`: pg_upmap replaces the set, pg_upmap_items swap
    /// single OSDs, pg_upmap_primaries move one to the front.
    pub fn _apply_upmap(&self, pool: &PgPool, raw_pg: PgId, raw: &mut Vec<i32>) {
        let pg = pool.raw_pg_to_pg(raw_pg);
        if let Some(explicit) = self.pg_upmap.get(&pg) {
            if explicit.iter().any(|&o| self.upmap_target_is_out(o)) {
                return;
            }
            raw.clone_from(explicit);
        }
        if let Some(items) = self.pg_upmap_items.get(&pg) {
            for &(from, to) in items {
                let mut pos = None;
                let mut exists = false;
                for (i, &osd) in raw.iter().enumerate() {
                    if osd == to {
                        exists = true;
                        break;
                    }
                    if osd == from && pos.is_none() && !self.upmap_target_is_out(to) {
                        pos = Some(i);
                    }
                }
                if let (false, Some(i)) = (exists, pos) {
                    raw[i] = to;
                }
            }
        }
        if let Some(&primary) = self.pg_upmap_primaries.get(&pg) {
            let valid = primary != CRUSH_ITEM_NONE && primary >= 0 && primary < self.max_osd;
            if valid && self.weight(primary) != 0 {
                if let Some(i) = raw.iter().skip(1).position(|&o| o == primary) {
                    raw.swap(0, i + 1);
                }
            }
        }
    }

    /// `_raw_to_up_osds`: drop (replicated) or blank (EC) down OSDs.
    pub fn _raw_to_up_osds(&self, pool: &PgPool, raw: &[i32]) -> Vec<i32> {
        if pool.can_shift_osds() {
            raw.iter().copied().filter(|&o| self.is_up(o)).collect()
        } else {
            raw.iter().map(|&o| if self.is_up(o) { o } else { CRUSH_ITEM_NONE }).collect()
        }
    }

    /// `_apply_primary_affinity`: an OSD with affinity a < 1 declines to
    /// be primary for a (1 - a) share of pgs, chosen by hash.
    pub fn _apply_primary_affinity(&self, pps: u32, pool: &PgPool, osds: &mut [i32], primary: &mut i32) {
        if self.osd_primary_affinity.is_none() {
            return;
        }
        let any = osds.iter().any(|&o| o != CRUSH_ITEM_NONE && self.primary_affinity(o) != DEFAULT_PRIMARY_AFFINITY);
        if !any {
            return;
        }
        let mut pos = None;
        for (i, &o) in osds.iter().enumerate() {
            if o == CRUSH_ITEM_NONE {
                continue;
            }
            let a = self.primary_affinity(o);
            if a < DEFAULT_PRIMARY_AFFINITY && (hash32_2(pps, o as u32) >> 16) >= a {
                // Declined; still the fallback if nobody accepts.
                pos.get_or_insert(i);
            } else {
                pos = Some(i);
                break;
            }
        }
        let Some(pos) = pos else {
            return;
        };
        *primary = osds[pos];
        if pool.can_shift_osds() && pos > 0 {
            osds[..=pos].rotate_right(1);
        }
    }

    /// `_get_temp_osds`: pg_temp (minus down OSDs) and its primary, or the
    /// primary_temp override. Empty and -1 when there is none.
    pub fn _get_temp_osds(&self, pool: &PgPool, pg: PgId) -> (Vec<i32>, i32) {
        let pg = pool.raw_pg_to_pg(pg);
        let mut temp = Vec::new();
        if let Some(osds) = self.pg_temp.get(&pg) {
            for &o in osds {
                if self.is_up(o) {
                    temp.push(o);
                } else if !pool.can_shift_osds() {
                    temp.push(CRUSH_ITEM_NONE);
                }
            }
        }
        let primary = match self.primary_temp.get(&pg) {
            Some(&p) => p,
            None => pick_primary(&temp),
        };
        (temp, primary)
    }
}

/// `_pick_primary`: the first OSD that is not a hole.
fn pick_primary(osds: &[i32]) -> i32 {
    osds.iter().copied().find(|&o| o != CRUSH_ITEM_NONE).unwrap_or(-1)
}
