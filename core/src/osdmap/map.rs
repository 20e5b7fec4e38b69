//! The full OSDMap and its decoding (OSDMap::decode, client-usable part).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::crc32c::ceph_crc32c;
use crate::crush::CrushMap;
use crate::encoding::{Decode, DecodeError, Decoder, UtcTime};
use crate::msgr::EntityAddrvec;

use super::{osd_state, PgId, PgPool};

/// The most OSDs a map may declare. Ceph has no limit; this one keeps an
/// incremental's bare `new_max_osd` from sizing huge arrays.
pub const MAX_OSD_LIMIT: i32 = 1 << 17;

/// A decoded OSDMap: what a client needs to place and address objects.
#[derive(Clone, Debug, PartialEq)]
pub struct OsdMap {
    pub(super) fsid: [u8; 16],
    pub(super) epoch: u32,
    pub(super) created: UtcTime,
    pub(super) modified: UtcTime,
    pub(super) pools: BTreeMap<i64, PgPool>,
    pub(super) pool_names: BTreeMap<i64, String>,
    pub(super) pool_max: i64,
    pub(super) flags: u32,
    pub(super) max_osd: i32,
    pub(super) osd_state: Vec<u32>,
    pub(super) osd_weight: Vec<u32>,
    pub(super) osd_addrs: Vec<EntityAddrvec>,
    pub(super) pg_temp: BTreeMap<PgId, Vec<i32>>,
    pub(super) primary_temp: BTreeMap<PgId, i32>,
    /// None when every OSD has the default affinity (Ceph encodes it empty).
    pub(super) osd_primary_affinity: Option<Vec<u32>>,
    pub(super) crush: CrushMap,
    pub(super) erasure_code_profiles: BTreeMap<String, BTreeMap<String, String>>,
    pub(super) pg_upmap: BTreeMap<PgId, Vec<i32>>,
    pub(super) pg_upmap_items: BTreeMap<PgId, Vec<(i32, i32)>>,
    pub(super) pg_upmap_primaries: BTreeMap<PgId, i32>,
    pub(super) crush_version: i32,
}

/// The outer envelope's compat; v7 is the first with split sections.
const WRAPPER_COMPAT: u8 = 7;

/// Checks an encoding's crc: crc32c(-1) over everything before the crc
/// field, continued over whatever follows it inside the envelope.
pub(super) fn check_crc(front: &[u8], tail: &[u8], want: u32) -> Result<(), DecodeError> {
    let got = ceph_crc32c(ceph_crc32c(u32::MAX, front), tail);
    if got != want {
        return Err(DecodeError::Invalid("osdmap crc mismatch"));
    }
    Ok(())
}

/// `interval_set` maps (removed/purged snaps): read past them.
pub(super) fn skip_snap_interval_map(d: &mut Decoder<'_>) -> Result<(), DecodeError> {
    let n = d.count(12)?;
    for _ in 0..n {
        d.i64()?;
        let m = d.count(16)?;
        d.skip(m * 16)?;
    }
    Ok(())
}

impl OsdMap {
    /// Decodes a full map: what MOSDMap carries and `ceph osd getmap`
    /// writes. The crc is checked; the OSD-only section is skipped.
    pub fn decode(bytes: &[u8]) -> Result<OsdMap, DecodeError> {
        let mut d = Decoder::new(bytes);
        let version = d.u8()?;
        if version < 7 {
            return Err(DecodeError::VersionTooOld { version, oldest: 7 });
        }
        let compat = d.u8()?;
        if compat > WRAPPER_COMPAT {
            return Err(DecodeError::IncompatibleVersion { version, compat, supported: WRAPPER_COMPAT });
        }
        let len = d.u32()? as usize;
        let body = d.take(len)?;
        d.finish()?;
        let mut b = Decoder::new(body);
        let map = b.versioned(10, decode_client_data)?;
        // The OSD-only section: heartbeat and cluster addresses, ratios...
        b.versioned(u8::MAX, |_, _| Ok(()))?;
        if version >= 8 {
            let front_len = bytes.len() - len + (body.len() - b.remaining());
            let want = b.u32()?;
            check_crc(&bytes[..front_len], b.rest(), want)?;
        }
        Ok(map)
    }

    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    pub fn fsid(&self) -> [u8; 16] {
        self.fsid
    }

    pub fn flags(&self) -> u32 {
        self.flags
    }

    pub fn test_flag(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    pub fn created(&self) -> UtcTime {
        self.created
    }

    pub fn modified(&self) -> UtcTime {
        self.modified
    }

    pub fn max_osd(&self) -> i32 {
        self.max_osd
    }

    pub fn pool_max(&self) -> i64 {
        self.pool_max
    }

    pub fn crush(&self) -> &CrushMap {
        &self.crush
    }

    pub fn crush_version(&self) -> i32 {
        self.crush_version
    }

    pub fn pool(&self, id: i64) -> Option<&PgPool> {
        self.pools.get(&id)
    }

    pub fn pool_id(&self, name: &str) -> Option<i64> {
        self.pool_names.iter().find(|(_, n)| n.as_str() == name).map(|(&id, _)| id)
    }

    pub fn pool_name(&self, id: i64) -> Option<&str> {
        self.pool_names.get(&id).map(String::as_str)
    }

    /// Every pool that has a name, by id.
    pub fn pools(&self) -> impl Iterator<Item = (i64, &str)> {
        self.pool_names.iter().filter(|(id, _)| self.pools.contains_key(id)).map(|(&id, n)| (id, n.as_str()))
    }

    pub fn erasure_code_profile(&self, name: &str) -> Option<&BTreeMap<String, String>> {
        self.erasure_code_profiles.get(name)
    }

    fn state(&self, osd: i32) -> u32 {
        usize::try_from(osd).ok().and_then(|i| self.osd_state.get(i)).copied().unwrap_or(0)
    }

    pub fn exists(&self, osd: i32) -> bool {
        self.state(osd) & osd_state::EXISTS != 0
    }

    pub fn is_up(&self, osd: i32) -> bool {
        self.exists(osd) && self.state(osd) & osd_state::UP != 0
    }

    pub fn is_down(&self, osd: i32) -> bool {
        !self.is_up(osd)
    }

    /// The OSD's reweight (16.16; 0 is out).
    pub fn weight(&self, osd: i32) -> u32 {
        usize::try_from(osd).ok().and_then(|i| self.osd_weight.get(i)).copied().unwrap_or(0)
    }

    pub fn is_out(&self, osd: i32) -> bool {
        !self.exists(osd) || self.weight(osd) == 0
    }

    pub fn primary_affinity(&self, osd: i32) -> u32 {
        let get = |a: &Vec<u32>| usize::try_from(osd).ok().and_then(|i| a.get(i)).copied();
        self.osd_primary_affinity.as_ref().and_then(get).unwrap_or(super::DEFAULT_PRIMARY_AFFINITY)
    }

    /// The addresses clients use to reach the OSD (its public addrs).
    pub fn osd_addrs(&self, osd: i32) -> Option<&EntityAddrvec> {
        let addrs = self.osd_addrs.get(usize::try_from(osd).ok()?)?;
        (!addrs.0.is_empty()).then_some(addrs)
    }

    pub fn pg_temp(&self, pg: PgId) -> Option<&[i32]> {
        self.pg_temp.get(&pg).map(Vec::as_slice)
    }

    pub fn primary_temp(&self, pg: PgId) -> Option<i32> {
        self.primary_temp.get(&pg).copied()
    }

    pub fn pg_upmap(&self, pg: PgId) -> Option<&[i32]> {
        self.pg_upmap.get(&pg).map(Vec::as_slice)
    }

    pub fn pg_upmap_items(&self, pg: PgId) -> Option<&[(i32, i32)]> {
        self.pg_upmap_items.get(&pg).map(Vec::as_slice)
    }

    /// `set_max_osd`: grow or shrink the per-OSD arrays.
    pub(super) fn set_max_osd(&mut self, max: i32) {
        let n = max.max(0) as usize;
        self.max_osd = max;
        self.osd_state.resize(n, 0);
        self.osd_weight.resize(n, 0);
        self.osd_addrs.resize(n, EntityAddrvec::default());
        if let Some(a) = self.osd_primary_affinity.as_mut() {
            a.resize(n, super::DEFAULT_PRIMARY_AFFINITY);
        }
    }
}

fn decode_client_data(d: &mut Decoder<'_>, v: u8) -> Result<OsdMap, DecodeError> {
    let fsid = d.array::<16>()?;
    let epoch = d.u32()?;
    let created = d.decode()?;
    let modified = d.decode()?;
    let pools: BTreeMap<i64, PgPool> = d.decode()?;
    let pool_names = d.decode()?;
    let pool_max = i64::from(d.i32()?);
    let flags = d.u32()?;
    let max_osd = d.i32()?;
    if !(0..=MAX_OSD_LIMIT).contains(&max_osd) {
        return Err(DecodeError::Invalid("osdmap max_osd"));
    }
    let osd_state: Vec<u32> = if v >= 5 {
        d.decode()?
    } else {
        let bytes: Vec<u8> = d.decode()?;
        bytes.into_iter().map(u32::from).collect()
    };
    let osd_weight: Vec<u32> = d.decode()?;
    let osd_addrs: Vec<EntityAddrvec> = {
        let n = d.count(EntityAddrvec::MIN_LEN)?;
        let mut addrs = Vec::with_capacity(n);
        for _ in 0..n {
            addrs.push(d.decode()?);
        }
        addrs
    };
    let n = max_osd as usize;
    if osd_state.len() != n || osd_weight.len() != n || osd_addrs.len() != n {
        return Err(DecodeError::Invalid("osdmap per-osd arrays disagree with max_osd"));
    }
    let pg_temp = d.decode()?;
    let primary_temp = d.decode()?;
    let osd_primary_affinity = if v >= 2 {
        let a: Vec<u32> = d.decode()?;
        (!a.is_empty()).then_some(a)
    } else {
        None
    };
    let crush = CrushMap::decode(d.bytes()?)?;
    let erasure_code_profiles = if v >= 3 { d.decode()? } else { BTreeMap::new() };
    let (mut pg_upmap, mut pg_upmap_items) = (BTreeMap::new(), BTreeMap::new());
    if v >= 4 {
        pg_upmap = d.decode()?;
        pg_upmap_items = d.decode()?;
    }
    let crush_version = if v >= 6 { d.i32()? } else { 0 };
    if v >= 7 {
        skip_snap_interval_map(d)?; // new_removed_snaps
        skip_snap_interval_map(d)?; // new_purged_snaps
    }
    if v >= 9 {
        d.skip(16)?; // last_up_change, last_in_change
    }
    let pg_upmap_primaries = if v >= 10 { d.decode()? } else { BTreeMap::new() };
    Ok(OsdMap {
        fsid,
        epoch,
        created,
        modified,
        pools,
        pool_names,
        pool_max,
        flags,
        max_osd,
        osd_state,
        osd_weight,
        osd_addrs,
        pg_temp,
        primary_temp,
        osd_primary_affinity,
        crush,
        erasure_code_profiles,
        pg_upmap,
        pg_upmap_items,
        pg_upmap_primaries,
        crush_version,
    })
}
