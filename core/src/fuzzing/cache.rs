//! Fuzzes [`crate::cache`]: bytes become a configuration and a script of
//! IOs, backend replies (in any order, some failing) and clock ticks. A
//! simulated backend runs the cache's requests and a model checks the
//! cache's promises after every step; the property tests drive the same
//! simulator with generated scripts.
//!
//! The model. Every write, discard and write-zeroes gets an index in issue
//! order (0 stands for the image's initial zeros) and writes bytes that
//! name their index and offset, so a byte read back says which write it
//! came from. For each image byte the model keeps its *floor*: the highest
//! index of a write covering it that completed successfully. The backend
//! applies a write atomically when the script completes it, and never
//! applies one that fails; it runs every other read as soon as it is sent
//! and the rest when replied to.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use bytes::Bytes;

use crate::cache::{BackendOp, CacheConfig, CachePolicy, Completion, ImageCache, IoId};
use crate::rados::Tid;
use crate::time::Instant;
use crate::Errno;

/// Bytes in the simulated image.
pub(crate) const IMAGE_SIZE: u64 = 16 * 1024;
/// Scripts longer than this are cut (fuzzer inputs).
const MAX_STEPS: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Read {
        offset: u64,
        length: u64,
    },
    Write {
        offset: u64,
        length: u64,
    },
    Discard {
        offset: u64,
        length: u64,
    },
    WriteZeroes {
        offset: u64,
        length: u64,
    },
    Flush,
    Invalidate,
    /// Replies to the backend request at `pick` (modulo those in flight).
    Complete {
        pick: usize,
        fail: bool,
    },
    /// The clock moves on; the timer fires if due.
    Advance {
        millis: u64,
    },
}

/// Which promises a run checks (liveness and the API contract always are).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Checks {
    pub reads: bool,
    pub flushes: bool,
    pub dirty_limit: bool,
    pub writethrough: bool,
    pub errors: bool,
}

impl Checks {
    pub(crate) const ALL: Checks =
        Checks { reads: true, flushes: true, dirty_limit: true, writethrough: true, errors: true };
    #[cfg(test)]
    pub(crate) const NONE: Checks =
        Checks { reads: false, flushes: false, dirty_limit: false, writethrough: false, errors: false };
}

#[derive(Debug)]
struct WriteRec {
    offset: u64,
    end: u64,
    zero: bool,
    failed: bool,
}

/// What may be observed of bytes after some point: the floor then, or a
/// write in flight then or issued since.
#[derive(Debug)]
struct Window {
    offset: u64,
    floor: Vec<u32>,
    /// The floor's bytes.
    expected: Vec<u8>,
    in_flight: Vec<u32>,
    first_new: u32,
}

#[derive(Debug)]
enum Io {
    Read { length: u64, window: Window },
    Write { index: u32, write_through: bool },
    Flush { window: Option<Window>, invalidate: bool },
}

/// The backend, the model and the cache under test.
#[derive(Debug)]
pub(crate) struct Sim {
    cache: ImageCache,
    config: CacheConfig,
    checks: Checks,
    now: Instant,
    /// The latest time handed to the cache.
    told: Instant,
    store: Vec<u8>,
    ops: Vec<BackendOp>,
    /// Reads the backend ran when they were sent, replying later: their
    /// data may be older than the backend by the time the reply arrives.
    early_reads: BTreeMap<Tid, Vec<u8>>,
    writes: Vec<WriteRec>,
    floor: Vec<u32>,
    /// The floor's bytes: what a read of an idle cache returns.
    expected: Vec<u8>,
    in_flight: BTreeSet<u32>,
    ios: BTreeMap<u64, Io>,
    next_id: u64,
    /// A flush was issued: rbd_cache_writethrough_until_flush is over.
    flushed: bool,
    read_failed: bool,
    /// A write-back failed and no flush has reported an error since.
    owed_error: bool,
    failure_since_ok_flush: bool,
    /// Errors seen by write IOs and flushes, to attribute backend failures.
    errors_seen: u64,
}

/// The byte write `index` puts at image offset `b` (never 0 for data).
fn pattern(index: u32, b: u64) -> u8 {
    let h = u64::from(index).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    ((h >> 32) % 255) as u8 + 1
}

impl Sim {
    pub(crate) fn new(config: CacheConfig, checks: Checks) -> Option<Sim> {
        let cache = ImageCache::new(config.clone()).ok()?;
        Some(Sim {
            cache,
            config,
            checks,
            now: Instant::ZERO,
            told: Instant::ZERO,
            store: vec![0; IMAGE_SIZE as usize],
            ops: Vec::new(),
            early_reads: BTreeMap::new(),
            writes: vec![WriteRec { offset: 0, end: IMAGE_SIZE, zero: true, failed: false }],
            floor: vec![0; IMAGE_SIZE as usize],
            expected: vec![0; IMAGE_SIZE as usize],
            in_flight: BTreeSet::new(),
            ios: BTreeMap::new(),
            next_id: 0,
            flushed: false,
            read_failed: false,
            owed_error: false,
            failure_since_ok_flush: false,
            errors_seen: 0,
        })
    }

    fn value(&self, index: u32, b: u64) -> u8 {
        if self.writes[index as usize].zero {
            0
        } else {
            pattern(index, b)
        }
    }

    /// Whether write `index` may explain `v` at byte `b` beyond `floor`.
    fn explains(&self, index: u32, floor: u32, b: u64, v: u8) -> bool {
        let w = &self.writes[index as usize];
        index > floor && w.offset <= b && b < w.end && self.value(index, b) == v
    }

    fn window(&self, offset: u64, end: u64) -> Window {
        Window {
            offset,
            floor: self.floor[offset as usize..end as usize].to_vec(),
            expected: self.expected[offset as usize..end as usize].to_vec(),
            in_flight: self.in_flight.iter().copied().collect(),
            first_new: self.writes.len() as u32,
        }
    }

    /// `got` at byte `b` is the floor of `window`, or a write of its.
    fn allowed(&self, window: &Window, b: u64, got: u8) -> bool {
        let at = (b - window.offset) as usize;
        if window.expected[at] == got {
            return true;
        }
        let floor = window.floor[at];
        let newer = window.first_new..self.writes.len() as u32;
        window.in_flight.iter().copied().chain(newer).any(|i| self.explains(i, floor, b, got))
    }

    fn clip(offset: u64, length: u64) -> (u64, u64) {
        let offset = offset % IMAGE_SIZE;
        (offset, length.min(IMAGE_SIZE - offset))
    }

    fn id(&mut self) -> IoId {
        self.next_id += 1;
        IoId(self.next_id)
    }

    /// Whether a write issued now must be acknowledged only by the backend.
    fn writing_through(&self) -> bool {
        !self.config.enabled
            || self.config.policy == CachePolicy::WriteThrough
            || self.config.max_dirty == 0
            || (self.config.writethrough_until_flush && !self.flushed)
    }

    fn issue_write(&mut self, offset: u64, length: u64, zero: bool) -> (IoId, u32) {
        let index = self.writes.len() as u32;
        self.writes.push(WriteRec { offset, end: offset + length, zero, failed: false });
        self.in_flight.insert(index);
        let id = self.id();
        let write_through = zero || self.writing_through();
        self.ios.insert(id.0, Io::Write { index, write_through });
        (id, index)
    }

    pub(crate) fn step(&mut self, step: Step) -> Result<(), String> {
        let errors_before = self.errors_seen;
        let mut write_failed = false;
        if !matches!(step, Step::Complete { .. } | Step::Advance { .. }) {
            self.told = self.now;
        }
        match step {
            Step::Read { offset, length } => {
                let (offset, length) = Self::clip(offset, length);
                let id = self.id();
                let window = self.window(offset, offset + length);
                self.ios.insert(id.0, Io::Read { length, window });
                self.cache.read(id, offset, length, self.now);
            }
            Step::Write { offset, length } => {
                let (offset, length) = Self::clip(offset, length);
                let (id, index) = self.issue_write(offset, length, false);
                let data: Vec<u8> = (offset..offset + length).map(|b| pattern(index, b)).collect();
                self.cache.write(id, offset, Bytes::from(data), self.now);
            }
            Step::Discard { offset, length } | Step::WriteZeroes { offset, length } => {
                let (offset, length) = Self::clip(offset, length);
                let (id, _) = self.issue_write(offset, length, true);
                if matches!(step, Step::Discard { .. }) {
                    self.cache.discard(id, offset, length, self.now);
                } else {
                    self.cache.write_zeroes(id, offset, length, self.now);
                }
            }
            Step::Flush | Step::Invalidate => {
                let invalidate = step == Step::Invalidate;
                // Only a flush from the user ends writethrough-until-flush.
                self.flushed |= !invalidate;
                let id = self.id();
                let window = self.checks.flushes.then(|| self.window(0, IMAGE_SIZE));
                self.ios.insert(id.0, Io::Flush { window, invalidate });
                if invalidate {
                    self.cache.invalidate(id, self.now);
                } else {
                    self.cache.flush(id, self.now);
                }
            }
            Step::Complete { pick, fail } => {
                if !self.ops.is_empty() {
                    let op = self.ops.swap_remove(pick % self.ops.len());
                    write_failed = fail && !matches!(op, BackendOp::Read { .. });
                    self.reply(op, fail);
                }
            }
            Step::Advance { millis } => {
                self.now = self.now + Duration::from_millis(millis);
                if self.cache.poll_timeout().is_some_and(|t| t <= self.now) {
                    self.told = self.now;
                    self.cache.handle_timeout(self.now);
                }
            }
        }
        if write_failed {
            // Counted before the drain: a flush may report it right away.
            self.failure_since_ok_flush = true;
        }
        self.drain()?;
        if write_failed && self.errors_seen == errors_before {
            // Not a pass-through request (its IO would have failed) and no
            // flush waiting: acknowledged data, owed to the next flush.
            self.owed_error = true;
        }
        if self.checks.dirty_limit && self.cache.dirty_bytes() > self.config.max_dirty {
            return Err(format!(
                "(3) {} dirty bytes exceed rbd_cache_max_dirty {}",
                self.cache.dirty_bytes(),
                self.config.max_dirty
            ));
        }
        if self.cache.poll_timeout().is_some_and(|t| t <= self.told) {
            return Err(String::from("contract: poll_timeout is not in the future"));
        }
        Ok(())
    }

    fn reply(&mut self, op: BackendOp, fail: bool) {
        let range = |offset: u64, length: u64| offset as usize..(offset + length) as usize;
        let result = if fail { Err(Errno::EIO) } else { Ok(()) };
        match op {
            BackendOp::Read { tid, offset, length } => {
                self.read_failed |= fail;
                let early = self.early_reads.remove(&tid);
                let data = result.map(|()| early.unwrap_or_else(|| self.store[range(offset, length)].to_vec()));
                self.cache.backend_read_done(tid, data);
            }
            BackendOp::Write { tid, offset, data } => {
                if !fail {
                    self.store[range(offset, data.len() as u64)].copy_from_slice(&data);
                }
                self.cache.backend_write_done(tid, result);
            }
            BackendOp::Discard { tid, offset, length } | BackendOp::WriteZeroes { tid, offset, length } => {
                if !fail {
                    self.store[range(offset, length)].fill(0);
                }
                self.cache.backend_write_done(tid, result);
            }
        }
    }

    fn drain(&mut self) -> Result<(), String> {
        loop {
            let mut progress = false;
            while let Some(op) = self.cache.poll_backend() {
                self.accept(op)?;
                progress = true;
            }
            while let Some(completion) = self.cache.poll_completion() {
                self.on_completion(completion)?;
                progress = true;
            }
            if !progress {
                return Ok(());
            }
        }
    }

    /// The request lies in the image and, if it changes data, overlaps no
    /// other change in flight (the backend may reorder those).
    fn accept(&mut self, op: BackendOp) -> Result<(), String> {
        let span = |op: &BackendOp| match op {
            BackendOp::Read { offset, length, .. }
            | BackendOp::Discard { offset, length, .. }
            | BackendOp::WriteZeroes { offset, length, .. } => (*offset, offset + length),
            BackendOp::Write { offset, data, .. } => (*offset, offset + data.len() as u64),
        };
        let (off, end) = span(&op);
        if end > IMAGE_SIZE || off >= end {
            return Err(format!("contract: backend request {off}..{end} outside the image or empty"));
        }
        if !matches!(op, BackendOp::Read { .. }) {
            let clash = self.ops.iter().filter(|o| !matches!(o, BackendOp::Read { .. })).any(|o| {
                let (s, t) = span(o);
                s < end && off < t
            });
            if clash {
                return Err(format!("contract: overlapping changes in flight at {off}..{end}"));
            }
        }
        // Every other read runs at once; the rest when replied to.
        if let BackendOp::Read { tid, offset, length } = op {
            if tid % 2 == 0 {
                self.early_reads.insert(tid, self.store[offset as usize..(offset + length) as usize].to_vec());
            }
        }
        self.ops.push(op);
        Ok(())
    }

    fn on_completion(&mut self, c: Completion) -> Result<(), String> {
        let Some(io) = self.ios.remove(&c.id.0) else {
            return Err(format!("contract: completion of unknown or finished IO {:?}", c.id));
        };
        match io {
            Io::Read { length, window } => match c.result {
                Ok(data) => {
                    if data.len() as u64 != length {
                        return Err(format!("(1) read returned {} bytes of {length}", data.len()));
                    }
                    if self.checks.reads {
                        for i in differing(&data, &window.expected) {
                            let b = window.offset + i;
                            let got = data[i as usize];
                            if !self.allowed(&window, b, got) {
                                return Err(format!(
                                    "(1) read byte {b} is {got}, not the latest acknowledged write (floor {}) nor one in flight",
                                    window.floor[i as usize]
                                ));
                            }
                        }
                    }
                }
                Err(e) if e == Errno::EIO && self.read_failed => {}
                Err(e) => return Err(format!("(1) read failed with {e:?} though no backend read did")),
            },
            Io::Write { index, write_through } => {
                self.in_flight.remove(&index);
                match c.result {
                    Ok(_) => {
                        let w = &self.writes[index as usize];
                        for b in w.offset..w.end {
                            if index > self.floor[b as usize] {
                                self.floor[b as usize] = index;
                                self.expected[b as usize] = if w.zero { 0 } else { pattern(index, b) };
                            }
                        }
                        if self.checks.writethrough && write_through {
                            self.check_in_backend(index)?;
                        }
                    }
                    Err(e) => {
                        self.writes[index as usize].failed = true;
                        self.errors_seen += 1;
                        if e != Errno::EIO {
                            return Err(format!("contract: write failed with {e:?}, not the backend's error"));
                        }
                    }
                }
            }
            Io::Flush { window, invalidate } => match c.result {
                Ok(_) => self.flush_ok(window)?,
                Err(Errno::EBUSY) if invalidate => self.flush_ok(window)?,
                Err(Errno::EIO) => {
                    self.errors_seen += 1;
                    if self.checks.errors && !self.failure_since_ok_flush {
                        return Err(String::from("(5) flush failed though no write-back did"));
                    }
                    self.owed_error = false;
                }
                Err(e) => return Err(format!("contract: flush failed with {e:?}")),
            },
        }
        Ok(())
    }

    /// (4): the backend holds write `index`, or something written after it.
    fn check_in_backend(&self, index: u32) -> Result<(), String> {
        let w = &self.writes[index as usize];
        for b in w.offset..w.end {
            let got = self.store[b as usize];
            let later = index + 1..self.writes.len() as u32;
            let ok = self.value(index, b) == got
                || later.into_iter().any(|i| !self.writes[i as usize].failed && self.explains(i, index, b, got));
            if !ok {
                return Err(format!("(4) write {index} acknowledged before the backend had byte {b}"));
            }
        }
        Ok(())
    }

    fn flush_ok(&mut self, window: Option<Window>) -> Result<(), String> {
        if self.checks.errors && self.owed_error {
            return Err(String::from("(5) flush succeeded though a write-back failed since the last flush"));
        }
        self.failure_since_ok_flush = false;
        let Some(window) = window else { return Ok(()) };
        // (2): each byte holds the floor at the flush, or a newer write that
        // did not fail. Checked per write over the differing bytes: cheaper.
        let differ = differing(&self.store, &window.expected);
        let mut explained = vec![false; differ.len()];
        let newer = window.first_new..self.writes.len() as u32;
        for i in window.in_flight.iter().copied().chain(newer) {
            let w = &self.writes[i as usize];
            if w.failed {
                continue;
            }
            let first = differ.partition_point(|&b| b < w.offset);
            let last = differ.partition_point(|&b| b < w.end);
            for (k, &b) in differ[first..last].iter().enumerate() {
                let got = self.store[b as usize];
                let slot = &mut explained[first + k];
                *slot = *slot || self.explains(i, window.floor[b as usize], b, got);
            }
        }
        match explained.iter().position(|&e| !e) {
            Some(k) => {
                let b = differ[k] as usize;
                Err(format!(
                    "(2) after a flush, backend byte {b} is {} but write {} was acknowledged before it",
                    self.store[b], window.floor[b]
                ))
            }
            None => Ok(()),
        }
    }

    /// Replies to everything until the cache is idle, then flushes twice
    /// (the first may owe an error) and checks the backend and a full read
    /// against the model exactly.
    pub(crate) fn finish(&mut self) -> Result<(), String> {
        let mut stalled = 0;
        while !self.ios.is_empty() || !self.cache.is_idle() {
            if self.ops.is_empty() {
                stalled += 1;
                if stalled > 8 {
                    return Err(format!("liveness: {} IOs never complete", self.ios.len()));
                }
                let tick = self.config.max_dirty_age.max(Duration::from_millis(1));
                self.step(Step::Advance { millis: tick.as_millis() as u64 + 1 })?;
            } else {
                stalled = 0;
                self.step(Step::Complete { pick: 0, fail: false })?;
            }
        }
        for _ in 0..2 {
            self.step(Step::Flush)?;
            while !self.ops.is_empty() {
                self.step(Step::Complete { pick: 0, fail: false })?;
            }
        }
        if !self.ios.is_empty() {
            return Err(String::from("liveness: a final flush never completes"));
        }
        if let Some(b) = differing(&self.store, &self.expected).first() {
            return Err(format!("(2) when idle, backend byte {b} is not the latest acknowledged write"));
        }
        self.step(Step::Read { offset: 0, length: IMAGE_SIZE })?;
        while !self.ops.is_empty() {
            self.step(Step::Complete { pick: 0, fail: false })?;
        }
        if self.ios.is_empty() {
            Ok(())
        } else {
            Err(String::from("liveness: a final read never completes"))
        }
    }
}

/// Positions where `a` and `b` differ (compared in blocks: fast when few do).
fn differing(a: &[u8], b: &[u8]) -> Vec<u64> {
    let mut out = Vec::new();
    for (n, (x, y)) in a.chunks(64).zip(b.chunks(64)).enumerate() {
        if x != y {
            let at = n * 64;
            out.extend(x.iter().zip(y).enumerate().filter(|(_, (p, q))| p != q).map(|(i, _)| (at + i) as u64));
        }
    }
    out
}

/// A configuration from the first bytes of a fuzz input.
fn config_from(bytes: &mut impl Iterator<Item = u8>) -> CacheConfig {
    let mut next = || bytes.next().unwrap_or(0);
    let (flags, size, max_dirty, target, age) = (next(), next(), next(), next(), next());
    let policy = [CachePolicy::WriteBack, CachePolicy::WriteThrough, CachePolicy::WriteAround][usize::from(flags % 3)];
    let size = 512 * (1 + u64::from(size % 32));
    let max_dirty = size * u64::from(max_dirty % 5) / 4;
    CacheConfig {
        enabled: flags & 0x1c != 0x1c,
        policy,
        size,
        max_dirty,
        target_dirty: max_dirty * u64::from(target % 5) / 4,
        max_dirty_age: Duration::from_millis(u64::from(age % 64)),
        writethrough_until_flush: flags & 0x20 != 0,
        block_writes_upfront: flags & 0x40 != 0,
    }
}

/// Offsets favour the first 4 KiB so that requests overlap.
fn extent_from(bytes: &mut impl Iterator<Item = u8>) -> (u64, u64) {
    let mut next = || u64::from(bytes.next().unwrap_or(0));
    let (a, b, c) = (next(), next(), next());
    let offset = if a & 1 == 0 { ((a << 4) | b) % 4096 } else { ((a << 8) | b) % IMAGE_SIZE };
    (offset, 1 + c * c / 16)
}

/// Never panics unless the cache breaks a promise.
///
/// Input: five configuration bytes, then steps, each an opcode byte and
/// its operands (missing bytes read as zero).
pub fn run(data: &[u8]) {
    let mut bytes = data.iter().copied();
    let config = config_from(&mut bytes);
    let Some(mut sim) = Sim::new(config, Checks::ALL) else {
        return;
    };
    let mut steps = 0;
    while let Some(op) = bytes.next() {
        steps += 1;
        if steps > MAX_STEPS {
            break;
        }
        let step = match op % 8 {
            0 => {
                let (offset, length) = extent_from(&mut bytes);
                Step::Read { offset, length }
            }
            1 | 2 => {
                let (offset, length) = extent_from(&mut bytes);
                Step::Write { offset, length }
            }
            3 => {
                let (offset, length) = extent_from(&mut bytes);
                if op & 0x80 == 0 {
                    Step::Discard { offset, length }
                } else {
                    Step::WriteZeroes { offset, length }
                }
            }
            4 if op & 0x70 == 0 => Step::Invalidate,
            4 => Step::Flush,
            5 | 6 => Step::Complete { pick: usize::from(bytes.next().unwrap_or(0)), fail: op & 0xf0 == 0xf0 },
            _ => Step::Advance { millis: u64::from(op >> 3) },
        };
        if let Err(e) = sim.step(step) {
            panic!("{e}");
        }
    }
    if let Err(e) = sim.finish() {
        panic!("{e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds() {
        let seeds: &[&[u8]] = &[
            b"",
            &[0, 31, 4, 4, 10, 1, 0, 0, 200, 0, 0, 0, 10, 4, 5, 0, 5, 0, 0, 0, 0, 10],
            // Writeback, a write, a failed write-back, flushes.
            &[0x20, 31, 4, 2, 1, 1, 0, 0, 100, 4, 0xf5, 0, 4, 5, 0, 4, 5, 0],
            // Write-around with a discard over dirty data.
            &[2, 31, 4, 2, 1, 4, 1, 0, 0, 100, 3, 0, 0, 150, 5, 0, 5, 0, 5, 0, 0, 0, 0, 80],
            &[1, 7, 1, 1, 0, 1, 2, 3, 4, 0, 9, 9, 9, 6, 1, 0xf6, 0, 4, 0x14],
        ];
        for seed in seeds {
            run(seed);
        }
    }

    #[test]
    fn seeded_inputs() {
        super::super::run_seeded(0x0cac_4e00, 3000, 256, run);
    }
}
