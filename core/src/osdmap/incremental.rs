//! OSDMap::Incremental: the per-epoch delta, and applying it
//! (OSDMap::apply_incremental), client-visible state only.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use crate::crush::CrushMap;
use crate::encoding::{DecodeError, Decoder, UtcTime};
use crate::msgr::EntityAddrvec;

use super::map::{check_crc, skip_snap_interval_map, MAX_OSD_LIMIT};
use super::{osd_state, OsdMap, PgId, PgPool, DEFAULT_PRIMARY_AFFINITY};

/// A decoded incremental map. Maps of "new" values replace, sets of
/// "old" keys remove; an empty pg_temp and a primary_temp of -1 remove.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Incremental {
    pub fsid: [u8; 16],
    pub epoch: u32,
    pub modified: UtcTime,
    /// -1: unchanged.
    pub new_pool_max: i64,
    /// -1: unchanged.
    pub new_flags: i32,
    /// A whole map replacing this one, when not empty.
    pub fullmap: Vec<u8>,
    /// A new CRUSH map, when not empty.
    pub crush: Vec<u8>,
    /// -1: unchanged.
    pub new_max_osd: i32,
    pub new_pools: BTreeMap<i64, PgPool>,
    pub new_pool_names: BTreeMap<i64, String>,
    pub old_pools: BTreeSet<i64>,
    pub new_up_client: BTreeMap<i32, EntityAddrvec>,
    /// State bits to flip (0 means UP, for old encoders).
    pub new_state: BTreeMap<i32, u32>,
    pub new_weight: BTreeMap<i32, u32>,
    pub new_pg_temp: BTreeMap<PgId, Vec<i32>>,
    pub new_primary_temp: BTreeMap<PgId, i32>,
    pub new_primary_affinity: BTreeMap<i32, u32>,
    pub new_erasure_code_profiles: BTreeMap<String, BTreeMap<String, String>>,
    pub old_erasure_code_profiles: Vec<String>,
    pub new_pg_upmap: BTreeMap<PgId, Vec<i32>>,
    pub old_pg_upmap: BTreeSet<PgId>,
    pub new_pg_upmap_items: BTreeMap<PgId, Vec<(i32, i32)>>,
    pub old_pg_upmap_items: BTreeSet<PgId>,
    pub new_pg_upmap_primary: BTreeMap<PgId, i32>,
    pub old_pg_upmap_primary: BTreeSet<PgId>,
}

impl Incremental {
    /// Decodes an incremental as MOSDMap carries it; checks its crc.
    pub fn decode(bytes: &[u8]) -> Result<Incremental, DecodeError> {
        let mut d = Decoder::new(bytes);
        let version = d.u8()?;
        if version < 7 {
            return Err(DecodeError::VersionTooOld { version, oldest: 7 });
        }
        let compat = d.u8()?;
        if compat > 7 {
            return Err(DecodeError::IncompatibleVersion { version, compat, supported: 7 });
        }
        let len = d.u32()? as usize;
        let body = d.take(len)?;
        d.finish()?;
        let mut b = Decoder::new(body);
        let inc = b.versioned(9, decode_client_data)?;
        b.versioned(u8::MAX, |_, _| Ok(()))?;
        if version >= 8 {
            let front_len = bytes.len() - len + (body.len() - b.remaining());
            let want = b.u32()?;
            check_crc(&bytes[..front_len], b.rest(), want)?;
        }
        Ok(inc)
    }

    /// The encoding Ceph writes (client section v9, an empty OSD-only
    /// section), for building incrementals in tests.
    #[cfg(test)]
    pub fn encode(&self) -> Vec<u8> {
        use crate::encoding::{encode_versioned, Encode};
        assert!(self.new_pools.is_empty(), "the test encoder does not encode pools");
        let mut out = Vec::new();
        encode_versioned(&mut out, 8, 7, |out| {
            encode_versioned(out, 9, 1, |out| {
                out.extend_from_slice(&self.fsid);
                self.epoch.encode(out);
                self.modified.encode(out);
                self.new_pool_max.encode(out);
                self.new_flags.encode(out);
                self.fullmap.encode(out);
                self.crush.encode(out);
                self.new_max_osd.encode(out);
                0u32.encode(out); // new_pools
                self.new_pool_names.encode(out);
                self.old_pools.encode(out);
                self.new_up_client.encode(out);
                self.new_state.encode(out);
                self.new_weight.encode(out);
                self.new_pg_temp.encode(out);
                self.new_primary_temp.encode(out);
                self.new_primary_affinity.encode(out);
                self.new_erasure_code_profiles.encode(out);
                self.old_erasure_code_profiles.encode(out);
                self.new_pg_upmap.encode(out);
                self.old_pg_upmap.encode(out);
                self.new_pg_upmap_items.encode(out);
                self.old_pg_upmap_items.encode(out);
                0u32.encode(out); // new_removed_snaps
                0u32.encode(out); // new_purged_snaps
                UtcTime::default().encode(out);
                UtcTime::default().encode(out);
                self.new_pg_upmap_primary.encode(out);
                self.old_pg_upmap_primary.encode(out);
            });
            encode_versioned(out, 10, 1, |_| {});
        });
        // Room for inc_crc and full_crc inside the envelope; the crc covers
        // the final length field, everything before it, and full_crc.
        let crc_at = out.len();
        out.extend_from_slice(&[0; 8]);
        let len = (out.len() - 6) as u32;
        out[2..6].copy_from_slice(&len.to_le_bytes());
        let crc = crate::crc32c::ceph_crc32c(u32::MAX, &out[..crc_at]);
        let crc = crate::crc32c::ceph_crc32c(crc, &out[crc_at + 4..]);
        out[crc_at..crc_at + 4].copy_from_slice(&crc.to_le_bytes());
        out
    }
}

fn decode_client_data(d: &mut Decoder<'_>, v: u8) -> Result<Incremental, DecodeError> {
    let mut inc = Incremental {
        fsid: d.array()?,
        epoch: d.u32()?,
        modified: d.decode()?,
        new_pool_max: d.i64()?,
        new_flags: d.i32()?,
        fullmap: d.bytes()?.to_vec(),
        crush: d.bytes()?.to_vec(),
        new_max_osd: d.i32()?,
        new_pools: d.decode()?,
        new_pool_names: d.decode()?,
        old_pools: d.decode()?,
        new_up_client: d.decode()?,
        ..Incremental::default()
    };
    inc.new_state = if v >= 5 {
        d.decode()?
    } else {
        let old: BTreeMap<i32, u8> = d.decode()?;
        old.into_iter().map(|(k, s)| (k, u32::from(s))).collect()
    };
    inc.new_weight = d.decode()?;
    inc.new_pg_temp = d.decode()?;
    inc.new_primary_temp = d.decode()?;
    if v >= 2 {
        inc.new_primary_affinity = d.decode()?;
    }
    if v >= 3 {
        inc.new_erasure_code_profiles = d.decode()?;
        inc.old_erasure_code_profiles = d.decode()?;
    }
    if v >= 4 {
        inc.new_pg_upmap = d.decode()?;
        inc.old_pg_upmap = d.decode()?;
        inc.new_pg_upmap_items = d.decode()?;
        inc.old_pg_upmap_items = d.decode()?;
    }
    if v >= 6 {
        skip_snap_interval_map(d)?;
        skip_snap_interval_map(d)?;
    }
    if v >= 8 {
        d.skip(16)?; // new_last_up_change, new_last_in_change
    }
    if v >= 9 {
        inc.new_pg_upmap_primary = d.decode()?;
        inc.old_pg_upmap_primary = d.decode()?;
    }
    Ok(inc)
}

impl OsdMap {
    /// Applies the incremental for the next epoch. Everything is decoded
    /// and checked before anything changes: on error the map is as before.
    pub fn apply_incremental(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        let inc = Incremental::decode(bytes)?;
        self.apply(&inc)
    }

    /// [`OsdMap::apply_incremental`] for an already decoded incremental.
    pub fn apply(&mut self, inc: &Incremental) -> Result<(), DecodeError> {
        if Some(inc.epoch) != self.epoch.checked_add(1) {
            return Err(DecodeError::Invalid("incremental is not for the next epoch"));
        }
        if inc.fsid != self.fsid && inc.epoch != 1 {
            return Err(DecodeError::Invalid("incremental is for another cluster"));
        }
        if !inc.fullmap.is_empty() {
            let full = OsdMap::decode(&inc.fullmap)?;
            if full.epoch != inc.epoch {
                return Err(DecodeError::Invalid("incremental's full map has another epoch"));
            }
            *self = full;
            return Ok(());
        }
        let crush = if inc.crush.is_empty() { None } else { Some(CrushMap::decode(&inc.crush)?) };
        let max_osd = if inc.new_max_osd >= 0 { inc.new_max_osd } else { self.max_osd };
        if max_osd > MAX_OSD_LIMIT {
            return Err(DecodeError::Invalid("incremental new_max_osd"));
        }
        let in_range = |osd: &i32| (0..max_osd).contains(osd);
        let all_in_range = inc.new_weight.keys().all(in_range)
            && inc.new_state.keys().all(in_range)
            && inc.new_up_client.keys().all(in_range)
            && inc.new_primary_affinity.keys().all(in_range);
        if !all_in_range {
            return Err(DecodeError::Invalid("incremental names an osd beyond max_osd"));
        }

        // Nothing below can fail.
        self.epoch = inc.epoch;
        self.modified = inc.modified;
        if inc.new_flags >= 0 {
            self.flags = inc.new_flags as u32;
        }
        if inc.new_max_osd >= 0 {
            self.set_max_osd(inc.new_max_osd);
        }
        if inc.new_pool_max != -1 {
            self.pool_max = inc.new_pool_max;
        }
        for (&id, pool) in &inc.new_pools {
            let mut pool = pool.clone();
            pool.last_change = inc.epoch;
            self.pools.insert(id, pool);
        }
        for (&id, name) in &inc.new_pool_names {
            self.pool_names.insert(id, name.clone());
        }
        for id in &inc.old_pools {
            self.pools.remove(id);
            self.pool_names.remove(id);
        }
        for (&osd, &w) in &inc.new_weight {
            let i = osd as usize;
            self.osd_weight[i] = w;
            // Marking in clears AUTOOUT and NEW.
            if w != 0 {
                self.osd_state[i] &= !(osd_state::AUTOOUT | osd_state::NEW);
            }
        }
        for (&osd, &a) in &inc.new_primary_affinity {
            self.set_primary_affinity(osd, a);
        }
        for name in &inc.old_erasure_code_profiles {
            self.erasure_code_profiles.remove(name);
        }
        for (name, profile) in &inc.new_erasure_code_profiles {
            self.erasure_code_profiles.insert(name.clone(), profile.clone());
        }
        for (&osd, &s) in &inc.new_state {
            let i = osd as usize;
            let s = if s == 0 { osd_state::UP } else { s };
            if self.osd_state[i] & osd_state::EXISTS != 0 && s & osd_state::EXISTS != 0 {
                // The OSD was destroyed: forget it.
                self.set_primary_affinity(osd, DEFAULT_PRIMARY_AFFINITY);
                self.osd_addrs[i] = EntityAddrvec::default();
                self.osd_state[i] = 0;
            } else {
                self.osd_state[i] ^= s;
            }
        }
        for (&osd, addrs) in &inc.new_up_client {
            let i = osd as usize;
            self.osd_state[i] |= osd_state::EXISTS | osd_state::UP;
            self.osd_addrs[i] = addrs.clone();
        }
        for (pg, osds) in &inc.new_pg_temp {
            if osds.is_empty() {
                self.pg_temp.remove(pg);
            } else {
                self.pg_temp.insert(*pg, osds.clone());
            }
        }
        for (pg, &osd) in &inc.new_primary_temp {
            if osd == -1 {
                self.primary_temp.remove(pg);
            } else {
                self.primary_temp.insert(*pg, osd);
            }
        }
        for (pg, osds) in &inc.new_pg_upmap {
            self.pg_upmap.insert(*pg, osds.clone());
        }
        for pg in &inc.old_pg_upmap {
            self.pg_upmap.remove(pg);
        }
        for (pg, items) in &inc.new_pg_upmap_items {
            self.pg_upmap_items.insert(*pg, items.clone());
        }
        for pg in &inc.old_pg_upmap_items {
            self.pg_upmap_items.remove(pg);
        }
        for (pg, &osd) in &inc.new_pg_upmap_primary {
            self.pg_upmap_primaries.insert(*pg, osd);
        }
        for pg in &inc.old_pg_upmap_primary {
            self.pg_upmap_primaries.remove(pg);
        }
        // The new crush map goes in last, after the state changes.
        if let Some(crush) = crush {
            self.crush = crush;
            self.crush_version = self.crush_version.wrapping_add(1);
        }
        Ok(())
    }

    fn set_primary_affinity(&mut self, osd: i32, a: u32) {
        let n = self.max_osd.max(0) as usize;
        let affinity = self.osd_primary_affinity.get_or_insert_with(|| alloc::vec![DEFAULT_PRIMARY_AFFINITY; n]);
        if let Some(slot) = usize::try_from(osd).ok().and_then(|i| affinity.get_mut(i)) {
            *slot = a;
        }
    }
}
