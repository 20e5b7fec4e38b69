//! An object's bytes as shared fixed-size chunks. Cloning (for a snapshot,
//! or the working copy of a compound) shares every chunk; a write copies
//! only the chunks it touches. Missing chunks are holes that read as zeros,
//! which is what a sparse read reports.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

const CHUNK: u64 = 64 * 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SparseData {
    size: u64,
    /// Chunk index -> CHUNK bytes. Bytes at or past `size` are always zero,
    /// so growing the object exposes zeros.
    chunks: BTreeMap<u64, Arc<Vec<u8>>>,
}

/// Splits [offset, offset + len) into (chunk index, offset in chunk, length).
fn pieces(offset: u64, len: u64) -> impl Iterator<Item = (u64, usize, usize)> {
    let end = offset + len;
    let mut pos = offset;
    core::iter::from_fn(move || {
        if pos >= end {
            return None;
        }
        let index = pos / CHUNK;
        let in_chunk = pos % CHUNK;
        let n = (CHUNK - in_chunk).min(end - pos);
        pos += n;
        Some((index, in_chunk as usize, n as usize))
    })
}

impl SparseData {
    pub fn len(&self) -> u64 {
        self.size
    }

    fn chunk_mut(&mut self, index: u64) -> &mut Vec<u8> {
        let chunk = self.chunks.entry(index).or_insert_with(|| Arc::new(vec![0; CHUNK as usize]));
        Arc::make_mut(chunk)
    }

    /// Up to `len` bytes from `offset`, stopping at the end of the object.
    pub fn read(&self, offset: u64, len: u64) -> Vec<u8> {
        let end = offset.saturating_add(len).min(self.size);
        if offset >= end {
            return Vec::new();
        }
        let mut out = vec![0; (end - offset) as usize];
        let mut at = 0;
        for (index, start, n) in pieces(offset, end - offset) {
            if let Some(chunk) = self.chunks.get(&index) {
                out[at..at + n].copy_from_slice(&chunk[start..start + n]);
            }
            at += n;
        }
        out
    }

    /// Writes `data` at `offset`, growing the object as needed. The caller
    /// checks `offset + data.len()` against the maximum object size.
    pub fn write(&mut self, offset: u64, data: &[u8]) {
        let mut at = 0;
        for (index, start, n) in pieces(offset, data.len() as u64) {
            self.chunk_mut(index)[start..start + n].copy_from_slice(&data[at..at + n]);
            at += n;
        }
        self.size = self.size.max(offset + data.len() as u64);
    }

    /// Zeroes bytes inside the object; never changes its size. Whole chunks
    /// become holes.
    pub fn zero(&mut self, offset: u64, len: u64) {
        let end = offset.saturating_add(len).min(self.size);
        if offset >= end {
            return;
        }
        for (index, start, n) in pieces(offset, end - offset) {
            if n as u64 == CHUNK {
                self.chunks.remove(&index);
            } else if self.chunks.contains_key(&index) {
                self.chunk_mut(index)[start..start + n].fill(0);
            }
        }
    }

    /// Sets the size: shrinking drops and zeroes what lies past it, growing
    /// exposes zeros.
    pub fn truncate(&mut self, size: u64) {
        if size < self.size {
            let first_gone = size.div_ceil(CHUNK);
            self.chunks.retain(|&index, _| index < first_gone);
            let tail = size % CHUNK;
            if tail != 0 && self.chunks.contains_key(&(size / CHUNK)) {
                self.chunk_mut(size / CHUNK)[tail as usize..].fill(0);
            }
        }
        self.size = size;
    }

    /// Allocated ranges within [offset, offset + len) and the object,
    /// merged, in order: what an OSD's sparse read reports.
    pub fn extents(&self, offset: u64, len: u64) -> Vec<(u64, u64)> {
        let end = offset.saturating_add(len).min(self.size);
        let mut out: Vec<(u64, u64)> = Vec::new();
        if offset >= end {
            return out;
        }
        for &index in self.chunks.range(offset / CHUNK..=(end - 1) / CHUNK).map(|(i, _)| i) {
            let start = (index * CHUNK).max(offset);
            let stop = ((index + 1) * CHUNK).min(end);
            match out.last_mut() {
                Some((s, l)) if *s + *l == start => *l += stop - start,
                _ => out.push((start, stop - start)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Step {
        Write(u64, Vec<u8>),
        Zero(u64, u64),
        Truncate(u64),
    }

    fn step() -> impl Strategy<Value = Step> {
        let span = 4 * CHUNK;
        prop_oneof![
            (0..span, prop::collection::vec(any::<u8>(), 0..(CHUNK as usize + 100)))
                .prop_map(|(o, d)| Step::Write(o, d)),
            (0..span, 0..span).prop_map(|(o, l)| Step::Zero(o, l)),
            (0..span).prop_map(Step::Truncate),
        ]
    }

    proptest! {
        // SparseData reads back exactly what a flat byte vector would hold,
        // and its extents cover every non-zero byte.
        #[test]
        fn matches_a_flat_model(steps in prop::collection::vec(step(), 1..12), off in 0..5 * CHUNK, len in 0..5 * CHUNK) {
            let mut data = SparseData::default();
            let mut model: Vec<u8> = Vec::new();
            for step in steps {
                match step {
                    Step::Write(o, d) => {
                        data.write(o, &d);
                        let end = o as usize + d.len();
                        if model.len() < end { model.resize(end, 0); }
                        model[o as usize..end].copy_from_slice(&d);
                    }
                    Step::Zero(o, l) => {
                        data.zero(o, l);
                        let end = (o + l).min(model.len() as u64) as usize;
                        if (o as usize) < end { model[o as usize..end].fill(0); }
                    }
                    Step::Truncate(s) => {
                        data.truncate(s);
                        model.resize(s as usize, 0);
                    }
                }
                prop_assert_eq!(data.len(), model.len() as u64);
            }
            let end = (off + len).min(model.len() as u64);
            let expect = if off < end { &model[off as usize..end as usize] } else { &[][..] };
            prop_assert_eq!(&data.read(off, len)[..], expect);
            let mut covered = vec![false; expect.len()];
            for (s, l) in data.extents(off, len) {
                prop_assert!(s >= off && s + l <= end);
                covered[(s - off) as usize..(s - off + l) as usize].fill(true);
            }
            for (i, byte) in expect.iter().enumerate() {
                prop_assert!(*byte == 0 || covered[i], "non-zero byte outside extents");
            }
        }
    }

    #[test]
    fn whole_chunk_zero_punches_a_hole() {
        let mut data = SparseData::default();
        data.write(0, &vec![7; 3 * CHUNK as usize]);
        data.zero(CHUNK, CHUNK);
        assert_eq!(data.extents(0, u64::MAX), [(0, CHUNK), (2 * CHUNK, CHUNK)]);
        assert_eq!(data.len(), 3 * CHUNK);
    }
}
