//! The OSDMap: pools, OSD states and addresses, the CRUSH map and the
//! explicit mappings (pg_temp, upmap), decoded from the full and
//! incremental encodings a monitor sends (src/osd/OSDMap.cc), and object
//! placement as OSDMap.cc computes it:
//!
//! object_locator_to_pg -> raw_pg_to_pg -> _pg_to_raw_osds (CRUSH) ->
//! _apply_upmap -> _raw_to_up_osds -> _apply_primary_affinity ->
//! _get_temp_osds, all behind [`OsdMap::pg_to_up_acting_osds`].

mod incremental;
mod map;
mod placement;
mod pool;

use crate::encoding::{Decode, DecodeError, Decoder, Encode};

pub use incremental::Incremental;
pub use map::OsdMap;
pub use pool::{Applications, PgPool, PoolSnap};

/// `CEPH_OSDMAP_*` map flags.
pub mod flags {
    pub const NEARFULL: u32 = 1 << 0;
    pub const FULL: u32 = 1 << 1;
    pub const PAUSERD: u32 = 1 << 2;
    pub const PAUSEWR: u32 = 1 << 3;
    pub const PAUSEREC: u32 = 1 << 4;
    pub const NOUP: u32 = 1 << 5;
    pub const NODOWN: u32 = 1 << 6;
    pub const NOOUT: u32 = 1 << 7;
    pub const NOIN: u32 = 1 << 8;
    pub const NOBACKFILL: u32 = 1 << 9;
    pub const NORECOVER: u32 = 1 << 10;
    pub const NOSCRUB: u32 = 1 << 11;
    pub const NODEEP_SCRUB: u32 = 1 << 12;
    pub const NOTIERAGENT: u32 = 1 << 13;
    pub const NOREBALANCE: u32 = 1 << 14;
    pub const SORTBITWISE: u32 = 1 << 15;
    pub const RECOVERY_DELETES: u32 = 1 << 19;
    pub const PURGED_SNAPDIRS: u32 = 1 << 20;
    pub const NOSNAPTRIM: u32 = 1 << 21;
    pub const PGLOG_HARDLIMIT: u32 = 1 << 22;
}

/// `CEPH_OSD_*` per-OSD state bits.
pub mod osd_state {
    pub const EXISTS: u32 = 1 << 0;
    pub const UP: u32 = 1 << 1;
    pub const AUTOOUT: u32 = 1 << 2;
    pub const NEW: u32 = 1 << 3;
}

/// `CEPH_OSD_IN`: a reweight of 1.0 (16.16 fixed point); 0 is out.
pub const CEPH_OSD_IN: u32 = 0x10000;
/// `CEPH_OSD_DEFAULT_PRIMARY_AFFINITY` (also the maximum).
pub const DEFAULT_PRIMARY_AFFINITY: u32 = 0x10000;

pub use crate::crush::CRUSH_ITEM_NONE;

/// `pg_t`: a pool and a placement seed. A *raw* pg carries the full 32-bit
/// object hash as its seed; [`PgPool::raw_pg_to_pg`] folds it to a pg.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PgId {
    pub pool: i64,
    pub seed: u32,
}

impl Encode for PgId {
    fn encode(&self, out: &mut alloc::vec::Vec<u8>) {
        out.push(1);
        (self.pool as u64).encode(out);
        self.seed.encode(out);
        (-1i32).encode(out);
    }
}

impl Decode for PgId {
    const MIN_LEN: usize = 17;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        if d.u8()? != 1 {
            return Err(DecodeError::Invalid("pg_t version"));
        }
        let pool = d.i64()?;
        let seed = d.u32()?;
        // `preferred`, always -1 since localized pgs went away.
        d.i32()?;
        Ok(PgId { pool, seed })
    }
}

impl core::fmt::Display for PgId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{:x}", self.pool, self.seed)
    }
}

/// Where a pg lives: the up set (what CRUSH and upmaps say) and the acting
/// set (what serves I/O, after pg_temp), each with its primary (-1: none).
/// Erasure-coded pools keep [`CRUSH_ITEM_NONE`] holes so shards keep their
/// positions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpActing {
    pub up: alloc::vec::Vec<i32>,
    pub up_primary: i32,
    pub acting: alloc::vec::Vec<i32>,
    pub acting_primary: i32,
}

#[cfg(test)]
mod tests;
