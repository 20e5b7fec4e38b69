//! `pg_pool_t` (src/osd/osd_types.cc): the fields placement and the
//! objecter need; the rest is skipped by its envelope.

use alloc::collections::BTreeMap;
use alloc::string::String;

use crate::crush::hash::{hash32_2, str_hash};
use crate::encoding::{Decode, DecodeError, Decoder, UtcTime};

use super::PgId;

/// A pool as the OSDMap describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgPool {
    pub pool_type: u8,
    pub size: u8,
    pub min_size: u8,
    pub crush_rule: i32,
    pub object_hash: u8,
    pub pg_num: u32,
    pub pgp_num: u32,
    pub last_change: u32,
    pub snap_seq: u64,
    pub snap_epoch: u32,
    /// Pool snapshots (rados_ioctx_snap_*), by id.
    pub snaps: BTreeMap<u64, PoolSnap>,
    pub flags: u64,
    /// The pool this one is a cache tier of (-1: none).
    pub tier_of: i64,
    pub read_tier: i64,
    pub write_tier: i64,
    pub stripe_width: u32,
    pub erasure_code_profile: String,
    /// The epoch from which clients must resend in-flight ops.
    pub last_force_op_resend: u32,
    pub pg_num_pending: u32,
    /// Applications enabled on the pool and their metadata
    /// (rados_application_*).
    pub application_metadata: Applications,
}

/// Application name -> its metadata (key -> value).
pub type Applications = BTreeMap<String, BTreeMap<String, String>>;

/// `pool_snap_info_t`: a pool snapshot's name and when it was taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolSnap {
    pub name: String,
    pub stamp: UtcTime,
}

/// One `snaps` entry: the id, then pool_snap_info_t v2 (id, stamp, name).
pub(super) fn pool_snap(d: &mut Decoder<'_>) -> Result<(u64, PoolSnap), DecodeError> {
    d.u64()?;
    d.versioned(2, |d, _| {
        let id = d.u64()?;
        let stamp = d.decode()?;
        let name = d.decode()?;
        Ok((id, PoolSnap { name, stamp }))
    })
}

impl PgPool {
    /// A pool snapshot's id by name.
    pub fn snap_by_name(&self, name: &str) -> Option<u64> {
        self.snaps.iter().find(|(_, s)| s.name == name).map(|(id, _)| *id)
    }

    pub const TYPE_REPLICATED: u8 = 1;
    pub const TYPE_ERASURE: u8 = 3;

    pub const FLAG_HASHPSPOOL: u64 = 1 << 0;
    pub const FLAG_FULL: u64 = 1 << 1;
    pub const FLAG_EC_OVERWRITES: u64 = 1 << 2;
    pub const FLAG_FULL_QUOTA: u64 = 1 << 10;
    pub const FLAG_SELFMANAGED_SNAPS: u64 = 1 << 13;
    pub const FLAG_POOL_SNAPS: u64 = 1 << 14;

    pub fn is_erasure(&self) -> bool {
        self.pool_type == Self::TYPE_ERASURE
    }

    pub fn has_flag(&self, f: u64) -> bool {
        self.flags & f != 0
    }

    /// Appends must be stripe-aligned: an erasure-coded pool that does not
    /// allow overwrites (pg_pool_t::requires_aligned_append).
    pub fn requires_aligned_append(&self) -> bool {
        self.is_erasure() && !self.has_flag(Self::FLAG_EC_OVERWRITES)
    }

    /// Replicated pools close ranks over missing OSDs; EC pools cannot,
    /// since a shard's position is its identity.
    pub fn can_shift_osds(&self) -> bool {
        !self.is_erasure()
    }

    pub fn pg_num_mask(&self) -> u32 {
        mask_of(self.pg_num)
    }

    pub fn pgp_num_mask(&self) -> u32 {
        mask_of(self.pgp_num)
    }

    /// `pg_pool_t::hash_key`: the object hash of `[nspace\x1f]key`.
    pub fn hash_key(&self, key: &str, nspace: &str) -> u32 {
        if nspace.is_empty() {
            return str_hash(self.object_hash, key.as_bytes());
        }
        let mut buf = alloc::vec::Vec::with_capacity(nspace.len() + 1 + key.len());
        buf.extend_from_slice(nspace.as_bytes());
        buf.push(0x1f);
        buf.extend_from_slice(key.as_bytes());
        str_hash(self.object_hash, &buf)
    }

    /// `raw_pg_to_pg`: fold a raw seed (the full object hash) to one of
    /// the pool's pg_num pgs.
    pub fn raw_pg_to_pg(&self, raw: PgId) -> PgId {
        PgId { pool: raw.pool, seed: stable_mod(raw.seed, self.pg_num, self.pg_num_mask()) }
    }

    /// `raw_pg_to_pps`: the CRUSH input for a pg, salted with the pool id
    /// so pools do not all place their pg n alike.
    pub fn raw_pg_to_pps(&self, raw: PgId) -> u32 {
        let ps = stable_mod(raw.seed, self.pgp_num, self.pgp_num_mask());
        if self.has_flag(Self::FLAG_HASHPSPOOL) {
            hash32_2(ps, raw.pool as u32)
        } else {
            ps.wrapping_add(raw.pool as u32)
        }
    }
}

/// The smallest 2^n - 1 that is >= n - 1.
fn mask_of(n: u32) -> u32 {
    let bits = 32 - n.saturating_sub(1).leading_zeros();
    ((1u64 << bits) - 1) as u32
}

/// `ceph_stable_mod`: x mod b that moves few values when b grows.
pub fn stable_mod(x: u32, b: u32, bmask: u32) -> u32 {
    if x & bmask < b {
        x & bmask
    } else {
        x & (bmask >> 1)
    }
}

fn skip_versioned(d: &mut Decoder<'_>) -> Result<(), DecodeError> {
    d.skip(2)?;
    let len = d.u32()? as usize;
    d.skip(len)
}

fn skip_string_map(d: &mut Decoder<'_>) -> Result<(), DecodeError> {
    let n = d.count(8)?;
    for _ in 0..n {
        d.bytes()?;
        d.bytes()?;
    }
    Ok(())
}

impl Decode for PgPool {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        // Compat 5 is what Ceph has written since firefly; older (v < 5)
        // encodings are not supported.
        d.versioned(29, |d, v| {
            if v < 5 {
                return Err(DecodeError::VersionTooOld { version: v, oldest: 5 });
            }
            let pool_type = d.u8()?;
            let size = d.u8()?;
            let crush_rule = i32::from(d.u8()?);
            let object_hash = d.u8()?;
            let pg_num = d.u32()?;
            let pgp_num = d.u32()?;
            d.skip(8)?; // lpg_num, lpgp_num
            let last_change = d.u32()?;
            let snap_seq = d.u64()?;
            let snap_epoch = d.u32()?;
            let count = d.count(14)?;
            let mut snaps = BTreeMap::new();
            for _ in 0..count {
                let (id, snap) = pool_snap(d)?;
                snaps.insert(id, snap);
            }
            let removed = d.count(16)?;
            d.skip(removed * 16)?;
            d.u64()?; // auid
            let flags = d.u64()?;
            d.u32()?; // crash_replay_interval
            let min_size = if v >= 7 { d.u8()? } else { size - size / 2 };
            if v >= 8 {
                d.skip(16)?; // quota_max_bytes, quota_max_objects
            }
            let (mut tier_of, mut read_tier, mut write_tier) = (-1, -1, -1);
            if v >= 9 {
                let tiers = d.count(8)?;
                d.skip(tiers * 8)?;
                tier_of = d.i64()?;
                d.u8()?; // cache_mode
                read_tier = d.i64()?;
                write_tier = d.i64()?;
            }
            if v >= 10 {
                skip_string_map(d)?; // properties
            }
            if v >= 11 {
                skip_versioned(d)?; // hit_set_params
                d.skip(8)?; // hit_set_period, hit_set_count
            }
            let stripe_width = if v >= 12 { d.u32()? } else { 0 };
            if v >= 13 {
                d.skip(32)?; // target_max_*, cache_target_*, cache_min_*
            }
            let erasure_code_profile = if v >= 14 { d.string()? } else { String::new() };
            let mut last_force_op_resend = if v >= 15 { d.u32()? } else { 0 };
            if v >= 16 {
                d.skip(4)?; // min_read_recency_for_promote
            }
            if v >= 17 {
                d.skip(8)?; // expected_num_objects
            }
            if v >= 19 {
                d.skip(4)?; // cache_target_dirty_high_ratio_micro
            }
            if v >= 20 {
                d.skip(4)?; // min_write_recency_for_promote
            }
            if v >= 21 {
                d.skip(1)?; // use_gmt_hitset
            }
            if v >= 22 {
                d.skip(1)?; // fast_read
            }
            if v >= 23 {
                d.skip(8)?; // hit_set_grade_decay_rate, hit_set_search_last_n
            }
            if v >= 24 {
                skip_versioned(d)?; // opts
            }
            if v >= 25 {
                last_force_op_resend = d.u32()?; // ..._prenautilus
            }
            let application_metadata = if v >= 26 { d.decode()? } else { Applications::new() };
            if v >= 27 {
                d.skip(8)?; // create_time
            }
            let mut pg_num_pending = pg_num;
            if v >= 28 {
                d.skip(8)?; // pg_num_target, pgp_num_target
                pg_num_pending = d.u32()?;
                d.skip(8)?; // two retired merge epochs
                last_force_op_resend = d.u32()?;
            }
            Ok(PgPool {
                pool_type,
                size,
                min_size,
                crush_rule,
                object_hash,
                pg_num,
                pgp_num,
                last_change,
                snap_seq,
                snap_epoch,
                snaps,
                flags,
                tier_of,
                read_tier,
                write_tier,
                stripe_width,
                erasure_code_profile,
                last_force_op_resend,
                pg_num_pending,
                application_metadata,
            })
        })
    }
}
