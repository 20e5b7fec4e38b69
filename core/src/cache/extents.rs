//! The cache's extent map: non-overlapping image extents, each in one
//! state (ObjectCacher's BufferHead states, at image level), with the
//! indexes the cache needs: clean extents by last use (eviction) and dirty
//! extents by write order (flushes and age).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use core::ops::Bound::{Excluded, Unbounded};

use bytes::Bytes;

use super::Instant;
use crate::rados::Tid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// What the backend holds. `stamp` orders last use.
    Clean { stamp: u64 },
    /// Acknowledged, not yet sent. `seq` is the write's place in issue
    /// order; `since` when it was written (for rbd_cache_max_dirty_age).
    Dirty { seq: u64, since: Instant },
    /// Acknowledged and being written back by `tid`; dirty again if that fails.
    Writeback { seq: u64, since: Instant, tid: Tid },
    /// An unacknowledged pass-through write in flight as `tid`.
    Through { tid: Tid },
    /// A discard or write-zeroes in flight as `tid`. Holds no data: reads
    /// of it go to the backend, which has the old bytes or the new zeros.
    Discard { tid: Tid },
}

impl State {
    const fn kind(self) -> usize {
        match self {
            State::Clean { .. } => 0,
            State::Dirty { .. } => 1,
            State::Writeback { .. } => 2,
            State::Through { .. } => 3,
            State::Discard { .. } => 4,
        }
    }
}

#[derive(Clone, Debug)]
pub(super) struct Extent {
    pub len: u64,
    /// `len` bytes, or empty for [`State::Discard`].
    pub data: Bytes,
    pub state: State,
}

impl Extent {
    pub fn has_data(&self) -> bool {
        !matches!(self.state, State::Discard { .. })
    }

    fn split(self, at: u64) -> (Extent, Extent) {
        let (left, right) = if self.has_data() {
            (self.data.slice(..at as usize), self.data.slice(at as usize..))
        } else {
            (Bytes::new(), Bytes::new())
        };
        (
            Extent { len: at, data: left, state: self.state },
            Extent { len: self.len - at, data: right, state: self.state },
        )
    }
}

#[derive(Debug, Default)]
pub(super) struct ExtentMap {
    map: BTreeMap<u64, Extent>,
    /// (stamp, start) of clean extents: the first is the least recently used.
    lru: BTreeSet<(u64, u64)>,
    /// (seq, start) of dirty extents: the first is the oldest write.
    dirty: BTreeSet<(u64, u64)>,
    /// Bytes per state, indexed by [`State::kind`].
    bytes: [u64; 5],
}

impl ExtentMap {
    pub fn get(&self, start: u64) -> Option<&Extent> {
        self.map.get(&start)
    }

    /// The caller keeps extents disjoint.
    pub fn insert(&mut self, start: u64, extent: Extent) {
        self.bytes[extent.state.kind()] += extent.len;
        match extent.state {
            State::Clean { stamp } => {
                self.lru.insert((stamp, start));
            }
            State::Dirty { seq, .. } => {
                self.dirty.insert((seq, start));
            }
            _ => {}
        }
        self.map.insert(start, extent);
    }

    pub fn remove(&mut self, start: u64) -> Option<Extent> {
        let extent = self.map.remove(&start)?;
        self.bytes[extent.state.kind()] -= extent.len;
        match extent.state {
            State::Clean { stamp } => {
                self.lru.remove(&(stamp, start));
            }
            State::Dirty { seq, .. } => {
                self.dirty.remove(&(seq, start));
            }
            _ => {}
        }
        Some(extent)
    }

    pub fn set_state(&mut self, start: u64, state: State) {
        if let Some(mut extent) = self.remove(start) {
            extent.state = state;
            self.insert(start, extent);
        }
    }

    /// Makes `pos` an extent boundary.
    pub fn split_at(&mut self, pos: u64) {
        let Some((&start, extent)) = self.map.range(..pos).next_back() else {
            return;
        };
        if start + extent.len <= pos {
            return;
        }
        let Some(extent) = self.remove(start) else {
            return;
        };
        let (left, right) = extent.split(pos - start);
        self.insert(start, left);
        self.insert(pos, right);
    }

    /// Removes everything in `[off, end)`.
    pub fn carve(&mut self, off: u64, end: u64) {
        for start in self.starts(off, end) {
            self.remove(start);
        }
    }

    /// Splits at `off` and `end` and lists the starts of the extents between.
    pub fn starts(&mut self, off: u64, end: u64) -> Vec<u64> {
        self.split_at(off);
        self.split_at(end);
        self.map.range(off..end).map(|(&start, _)| start).collect()
    }

    /// Extents meeting `[off, end)`, in order, possibly reaching past it.
    pub fn overlapping(&self, off: u64, end: u64) -> impl Iterator<Item = (u64, &Extent)> {
        let first = self.map.range(..off).next_back().filter(|(&start, e)| start + e.len > off);
        first.into_iter().chain(self.map.range(off..end)).map(|(&start, e)| (start, e))
    }

    /// (seq, start) of dirty extents, oldest first.
    pub fn dirty(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.dirty.iter().copied()
    }

    /// The dirty extent after `key` in write order.
    pub fn dirty_after(&self, key: (u64, u64)) -> Option<(u64, u64)> {
        self.dirty.range((Excluded(key), Unbounded)).next().copied()
    }

    pub fn oldest_dirty_seq(&self) -> Option<u64> {
        self.dirty.first().map(|&(seq, _)| seq)
    }

    pub fn least_recently_used(&self) -> Option<u64> {
        self.lru.first().map(|&(_, start)| start)
    }

    /// Starts of all clean extents.
    pub fn clean(&self) -> Vec<u64> {
        self.lru.iter().map(|&(_, start)| start).collect()
    }

    pub fn clean_bytes(&self) -> u64 {
        self.bytes[0]
    }

    /// Acknowledged bytes the backend may not have yet.
    pub fn dirty_bytes(&self) -> u64 {
        self.bytes[1] + self.bytes[2]
    }

    pub fn writeback_bytes(&self) -> u64 {
        self.bytes[2]
    }

    /// Bytes held in memory.
    pub fn data_bytes(&self) -> u64 {
        self.bytes[..4].iter().sum()
    }

    /// Bytes in any state but clean.
    pub fn unclean_bytes(&self) -> u64 {
        self.bytes[1..].iter().sum()
    }
}
