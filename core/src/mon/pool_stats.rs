//! Per-pool usage (rados_ioctx_pool_stat): MGetPoolStats and its reply,
//! the `pool_stat_t` fields librados reads, and the C struct it fills.

use alloc::string::String;
use alloc::vec::Vec;

use super::messages::msg_type;
use crate::encoding::{encode_versioned, Decode, DecodeError, Decoder, Encode};
use crate::msgr::Message;

/// The `object_stat_sum_t` counters, in their wire order up to the last
/// one librados reads (num_omap_bytes, from v19).
const SUM_COUNTERS: usize = 28;

/// What librados reads of a `pool_stat_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStat {
    /// num_bytes .. num_promote, as object_stat_sum_t orders them.
    pub sum: [i64; SUM_COUNTERS],
    pub num_omap_bytes: i64,
    /// store_statfs_t: allocated, data_stored, data_compressed,
    /// data_compressed_allocated, data_compressed_original, omap_allocated.
    pub store: [i64; 6],
}

/// Indexes into [`PoolStat::sum`].
mod sum {
    pub const BYTES: usize = 0;
    pub const OBJECTS: usize = 1;
    pub const CLONES: usize = 2;
    pub const COPIES: usize = 3;
    pub const MISSING_ON_PRIMARY: usize = 4;
    pub const DEGRADED: usize = 5;
    pub const UNFOUND: usize = 6;
    pub const RD: usize = 7;
    pub const RD_KB: usize = 8;
    pub const WR: usize = 9;
    pub const WR_KB: usize = 10;
    pub const MISPLACED: usize = 21;
    pub const BYTES_HIT_SET_ARCHIVE: usize = 22;
}

/// object_stat_sum_t from v14 (Luminous); fields after num_omap_bytes are
/// skipped with the envelope.
fn decode_sum(d: &mut Decoder<'_>, stat: &mut PoolStat) -> Result<(), DecodeError> {
    d.versioned(20, |d, v| {
        if v < 14 {
            return Err(DecodeError::Invalid("object_stat_sum_t before v14"));
        }
        for slot in stat.sum.iter_mut() {
            *slot = d.i64()?;
        }
        // Four i32 cache-tier modes, pinned, missing, then by version.
        d.skip(4 * 4 + 2 * 8)?;
        let extra = [16u8, 17, 18].iter().filter(|min| v >= **min).count();
        d.skip(extra * 8)?;
        if v >= 19 {
            stat.num_omap_bytes = d.i64()?;
        }
        Ok(())
    })
}

impl Decode for PoolStat {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.versioned(7, |d, v| {
            if v < 5 {
                return Err(DecodeError::Invalid("pool_stat_t before v5"));
            }
            let mut stat = PoolStat::default();
            // object_stat_collection_t: the sum, then an empty legacy map.
            d.versioned(2, |d, _| {
                decode_sum(d, &mut stat)?;
                let _cat_sum = d.u32()?;
                Ok(())
            })?;
            d.skip(8 + 8)?; // log_size, ondisk_log_size
            if v >= 6 {
                d.skip(4 + 4)?; // up, acting
            }
            if v >= 7 {
                d.versioned(1, |d, _| {
                    let mut all = [0i64; 10];
                    for slot in all.iter_mut() {
                        *slot = d.i64()?;
                    }
                    // total, available, internally_reserved come first.
                    stat.store.copy_from_slice(&all[3..9]);
                    Ok(())
                })?;
            }
            Ok(stat)
        })
    }
}

impl Encode for PoolStat {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_versioned(out, 7, 5, |out| {
            encode_versioned(out, 2, 2, |out| {
                encode_versioned(out, 20, 14, |out| {
                    self.sum.iter().for_each(|v| v.encode(out));
                    out.extend_from_slice(&[0; 4 * 4 + 5 * 8]);
                    self.num_omap_bytes.encode(out);
                    out.extend_from_slice(&[0; 2 * 8]);
                });
                0u32.encode(out);
            });
            out.extend_from_slice(&[0; 8 + 8 + 4 + 4]);
            encode_versioned(out, 1, 1, |out| {
                out.extend_from_slice(&[0; 3 * 8]);
                self.store.iter().for_each(|v| v.encode(out));
                0i64.encode(out);
            });
            0i32.encode(out); // num_store_stats
        });
    }
}

/// MGetPoolStats: `fsid, list<string> pools`.
pub fn get_pool_stats(tid: u64, fsid: &[u8; 16], pools: &[String]) -> Message {
    let mut front = Vec::new();
    // PaxosServiceMessage prefix: version 0, no session mon.
    0u64.encode(&mut front);
    (-1i16).encode(&mut front);
    0u64.encode(&mut front);
    front.extend_from_slice(fsid);
    (pools.len() as u32).encode(&mut front);
    pools.iter().for_each(|p| p.encode(&mut front));
    Message { tid, ..Message::new(msg_type::GET_POOL_STATS, 1, 1, front) }
}

/// MGetPoolStatsReply: `fsid, map<string, pool_stat_t>`, and from v2
/// whether the stats are per pool (Nautilus OSDs' store_stats).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolStatsReply {
    pub stats: Vec<(String, PoolStat)>,
    pub per_pool: bool,
}

impl PoolStatsReply {
    pub fn decode(front: &[u8], version: u16) -> Result<Self, DecodeError> {
        let mut d = Decoder::new(front);
        d.skip(8 + 2 + 8 + 16)?;
        let count = d.count(4 + 6)?;
        let mut stats = Vec::with_capacity(count);
        for _ in 0..count {
            stats.push((d.string()?, d.decode()?));
        }
        let per_pool = version >= 2 && d.bool()?;
        Ok(PoolStatsReply { stats, per_pool })
    }

    pub fn encode(&self, tid: u64) -> Message {
        let mut front = alloc::vec![0; 8 + 2 + 8 + 16];
        (self.stats.len() as u32).encode(&mut front);
        for (name, stat) in &self.stats {
            name.encode(&mut front);
            stat.encode(&mut front);
        }
        self.per_pool.encode(&mut front);
        Message { tid, ..Message::new(msg_type::GET_POOL_STATS_REPLY, 2, 1, front) }
    }
}

/// `struct rados_pool_stat_t`'s sixteen fields, in its order: num_bytes,
/// num_kb, num_objects, num_object_clones, num_object_copies,
/// num_objects_missing_on_primary, num_objects_unfound,
/// num_objects_degraded, num_rd, num_rd_kb, num_wr, num_wr_kb,
/// num_user_bytes, compressed_bytes_orig, compressed_bytes,
/// compressed_bytes_alloc.
pub type RadosPoolStat = [u64; 16];

/// As librados fills it: usage from the store's statfs when the monitor
/// says stats are per pool, else from the scrubbed sums. A pool the reply
/// leaves out (no manager) is all zeros.
pub fn rados_pool_stat(stat: &PoolStat, per_pool: bool) -> RadosPoolStat {
    let s = |i: usize| stat.sum[i] as u64;
    let [allocated, stored, compressed, compressed_alloc, compressed_orig, omap] = stat.store.map(|v| v as u64);
    let legacy_bytes = s(sum::BYTES).wrapping_add(s(sum::BYTES_HIT_SET_ARCHIVE));
    let omap_bytes = if per_pool { omap } else { stat.num_omap_bytes as u64 };
    let allocated_bytes = if per_pool { allocated } else { legacy_bytes }.wrapping_add(omap_bytes);
    let user_bytes = if per_pool { stored } else { legacy_bytes }.wrapping_add(omap_bytes);
    [
        allocated_bytes,
        allocated_bytes.div_ceil(1024),
        s(sum::OBJECTS),
        s(sum::CLONES),
        s(sum::COPIES),
        s(sum::MISSING_ON_PRIMARY),
        s(sum::UNFOUND),
        // librados counts the misplaced ones in.
        s(sum::DEGRADED).wrapping_add(s(sum::MISPLACED)),
        s(sum::RD),
        s(sum::RD_KB),
        s(sum::WR),
        s(sum::WR_KB),
        user_bytes,
        compressed_orig,
        compressed,
        compressed_alloc,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::{decode_exact, encode_to_vec};

    fn sample() -> PoolStat {
        let mut stat = PoolStat { num_omap_bytes: 100, store: [8192, 5000, 30, 40, 50, 60], ..Default::default() };
        for (i, v) in stat.sum.iter_mut().enumerate() {
            *v = i as i64 + 1;
        }
        stat
    }

    #[test]
    fn pool_stat_round_trips_and_finds_its_fields() {
        let stat = sample();
        let bytes = encode_to_vec(&stat);
        assert_eq!(decode_exact::<PoolStat>(&bytes), Ok(stat));
        // The v20 sum is 304 bytes: num_omap_bytes at 280.
        let sum_at = 6 + 6 + 6;
        assert_eq!(&bytes[sum_at + 280..sum_at + 288], &100i64.to_le_bytes());
    }

    #[test]
    fn librados_conversion_rounds_kb_up_and_picks_the_source() {
        let legacy = rados_pool_stat(&sample(), false);
        assert_eq!(legacy[..3], [1 + 23 + 100, 1, 2]);
        assert_eq!(legacy[7], 6 + 22, "degraded and misplaced");
        assert_eq!(legacy[12], legacy[0], "user bytes");
        let per_pool = rados_pool_stat(&sample(), true);
        assert_eq!(per_pool[..2], [8192 + 60, 9]);
        assert_eq!(per_pool[12..], [5000 + 60, 50, 30, 40]);
        assert_eq!(rados_pool_stat(&PoolStat::default(), true), [0; 16]);
    }

    #[test]
    fn reply_decodes_what_a_monitor_sends() {
        let reply = PoolStatsReply { stats: alloc::vec![("rbd".into(), sample())], per_pool: true };
        let msg = reply.encode(7);
        assert_eq!(PoolStatsReply::decode(&msg.front, msg.version), Ok(reply));
        for cut in 0..msg.front.len() {
            assert!(PoolStatsReply::decode(&msg.front[..cut], 2).is_err());
        }
        // Without a manager the map is empty.
        let empty = PoolStatsReply::default().encode(8);
        assert_eq!(PoolStatsReply::decode(&empty.front, 1).map(|r| r.stats.len()), Ok(0));
    }
}
