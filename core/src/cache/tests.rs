use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;

use super::*;
use crate::fuzzing::cache::{Checks, Sim, Step, IMAGE_SIZE};

fn at(ms: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(ms)
}

fn writeback() -> CacheConfig {
    CacheConfig {
        policy: CachePolicy::WriteBack,
        writethrough_until_flush: false,
        size: 64 << 10,
        max_dirty: 16 << 10,
        target_dirty: 8 << 10,
        max_dirty_age: Duration::from_secs(1),
        ..CacheConfig::default()
    }
}

/// A cache over a 64 KiB in-memory backend, replying on request.
struct Rig {
    cache: ImageCache,
    store: Vec<u8>,
    ops: Vec<BackendOp>,
    done: Vec<Completion>,
}

impl Rig {
    fn new(config: CacheConfig) -> Rig {
        Rig { cache: ImageCache::new(config).unwrap(), store: vec![0; 64 << 10], ops: Vec::new(), done: Vec::new() }
    }

    fn pump(&mut self) {
        while let Some(op) = self.cache.poll_backend() {
            self.ops.push(op);
        }
        while let Some(c) = self.cache.poll_completion() {
            self.done.push(c);
        }
    }

    fn write(&mut self, id: u64, offset: u64, data: &[u8]) {
        self.cache.write(IoId(id), offset, Bytes::copy_from_slice(data), Instant::ZERO);
        self.pump();
    }

    fn read(&mut self, id: u64, offset: u64, length: u64) {
        self.cache.read(IoId(id), offset, length, Instant::ZERO);
        self.pump();
    }

    fn flush(&mut self, id: u64) {
        self.cache.flush(IoId(id), Instant::ZERO);
        self.pump();
    }

    /// Replies to the oldest request.
    fn reply(&mut self, result: Result<(), Errno>) {
        let op = self.ops.remove(0);
        match op {
            BackendOp::Read { tid, offset, length } => {
                let data = result.map(|()| self.store[offset as usize..(offset + length) as usize].to_vec());
                self.cache.backend_read_done(tid, data);
            }
            BackendOp::Write { tid, offset, data } => {
                if result.is_ok() {
                    self.store[offset as usize..offset as usize + data.len()].copy_from_slice(&data);
                }
                self.cache.backend_write_done(tid, result);
            }
            BackendOp::Discard { tid, offset, length } | BackendOp::WriteZeroes { tid, offset, length } => {
                if result.is_ok() {
                    self.store[offset as usize..(offset + length) as usize].fill(0);
                }
                self.cache.backend_write_done(tid, result);
            }
        }
        self.pump();
    }

    fn reply_all(&mut self) {
        while !self.ops.is_empty() {
            self.reply(Ok(()));
        }
    }

    fn result(&mut self, id: u64) -> Option<Result<Vec<u8>, Errno>> {
        let i = self.done.iter().position(|c| c.id == IoId(id))?;
        Some(self.done.remove(i).result)
    }
}

#[test]
fn writeback_acknowledges_once_cached_and_serves_reads() {
    let mut rig = Rig::new(writeback());
    rig.write(1, 100, b"hello");
    assert_eq!(rig.result(1), Some(Ok(vec![])));
    assert!(rig.ops.is_empty(), "below target and age: nothing sent yet");
    assert_eq!(rig.cache.dirty_bytes(), 5);
    rig.read(2, 98, 9);
    assert_eq!(rig.ops.len(), 2, "the two uncached ends");
    rig.reply_all();
    assert_eq!(rig.result(2), Some(Ok(b"\0\0hello\0\0".to_vec())));
    // Age brings write-back.
    assert_eq!(rig.cache.poll_timeout(), Some(at(1000)));
    rig.cache.handle_timeout(at(1000));
    rig.pump();
    assert_eq!(rig.ops.len(), 1);
    rig.reply_all();
    assert_eq!(&rig.store[100..105], b"hello");
    assert_eq!(rig.cache.dirty_bytes(), 0);
    assert_eq!(rig.cache.poll_timeout(), None);
    // All cached now: no backend request.
    rig.read(3, 98, 9);
    assert!(rig.ops.is_empty());
    assert_eq!(rig.result(3), Some(Ok(b"\0\0hello\0\0".to_vec())));
}

#[test]
fn writethrough_until_flush_then_writeback() {
    let mut rig = Rig::new(CacheConfig { writethrough_until_flush: true, ..writeback() });
    rig.write(1, 0, b"a");
    assert_eq!(rig.result(1), None, "written through before the first flush");
    rig.reply_all();
    assert_eq!(rig.result(1), Some(Ok(vec![])));
    rig.flush(2);
    assert_eq!(rig.result(2), Some(Ok(vec![])));
    rig.write(3, 0, b"b");
    assert_eq!(rig.result(3), Some(Ok(vec![])), "cached after it");
    assert!(rig.ops.is_empty());
}

#[test]
fn writearound_sends_at_once_and_caches_no_reads() {
    let mut rig = Rig::new(CacheConfig { writethrough_until_flush: false, ..CacheConfig::default() });
    rig.write(1, 0, b"abc");
    assert_eq!(rig.result(1), Some(Ok(vec![])));
    assert_eq!(rig.ops.len(), 1, "sent at once");
    rig.read(2, 0, 3);
    assert_eq!(rig.result(2), Some(Ok(b"abc".to_vec())), "in-flight data is served");
    rig.reply_all();
    rig.read(3, 0, 3);
    assert_eq!(rig.ops.len(), 1, "nothing cached");
    rig.reply_all();
    assert_eq!(rig.result(3), Some(Ok(b"abc".to_vec())));
    assert_eq!(rig.cache.clean_bytes(), 0);
}

#[test]
fn writes_wait_for_room_under_max_dirty() {
    let config = CacheConfig { max_dirty: 8, target_dirty: 8, block_writes_upfront: true, ..writeback() };
    let mut rig = Rig::new(config);
    rig.write(1, 0, b"12345678");
    rig.write(2, 100, b"abcd");
    assert_eq!(rig.result(1), Some(Ok(vec![])));
    assert_eq!(rig.result(2), None, "would pass max_dirty");
    assert!(rig.cache.blocks_submitter());
    assert_eq!(rig.ops.len(), 1, "the waiting write starts write-back");
    rig.reply_all();
    assert_eq!(rig.result(2), Some(Ok(vec![])));
    assert!(!rig.cache.blocks_submitter());
    // Bigger than the limit itself: written through.
    rig.write(3, 200, b"0123456789");
    assert_eq!(rig.result(3), None);
    rig.reply_all();
    assert_eq!(rig.result(3), Some(Ok(vec![])));
    assert_eq!(&rig.store[200..210], b"0123456789");
}

#[test]
fn a_refused_writeback_fails_the_writes_waiting_for_room() {
    let config = CacheConfig { max_dirty: 8, target_dirty: 8, ..writeback() };
    let mut rig = Rig::new(config);
    rig.write(1, 0, b"12345678");
    rig.write(2, 100, b"abcd");
    assert_eq!(rig.result(2), None, "waits for room");
    // The backend refuses (a full cluster): the waiting write fails instead
    // of waiting for ever, and the acknowledged data stays dirty.
    rig.reply(Err(Errno::ETIMEDOUT));
    assert_eq!(rig.result(2), Some(Err(Errno::ETIMEDOUT)));
    assert_eq!(rig.cache.dirty_bytes(), 8);
    assert!(!rig.cache.blocks_submitter());
    rig.flush(3);
    rig.reply_all();
    assert_eq!(rig.result(3), Some(Err(Errno::ETIMEDOUT)), "the error reaches the next flush");
    assert_eq!(&rig.store[..8], b"12345678");
    assert_eq!(&rig.store[100..104], b"\0\0\0\0", "the failed write never landed");
}

#[test]
fn failed_writeback_fails_the_flush_and_stays_dirty() {
    let mut rig = Rig::new(writeback());
    rig.write(1, 0, b"data");
    rig.flush(2);
    rig.reply(Err(Errno::EIO));
    assert_eq!(rig.result(2), Some(Err(Errno::EIO)));
    assert_eq!(rig.cache.dirty_bytes(), 4, "kept for a retry");
    rig.read(3, 0, 4);
    assert_eq!(rig.result(3), Some(Ok(b"data".to_vec())));
    rig.flush(4);
    rig.reply_all();
    assert_eq!(rig.result(4), Some(Ok(vec![])));
    assert_eq!(&rig.store[..4], b"data");
}

#[test]
fn failed_writeback_is_reported_by_the_next_flush() {
    let mut rig = Rig::new(CacheConfig { max_dirty_age: Duration::ZERO, ..writeback() });
    rig.write(1, 0, b"data");
    rig.cache.handle_timeout(at(1));
    rig.pump();
    rig.reply(Err(Errno::EIO));
    rig.flush(2);
    rig.reply_all();
    assert_eq!(rig.result(2), Some(Err(Errno::EIO)), "reported even though the retry succeeded");
    rig.flush(3);
    assert_eq!(rig.result(3), Some(Ok(vec![])));
    assert_eq!(&rig.store[..4], b"data");
}

#[test]
fn backoff_after_a_failed_writeback() {
    let mut rig = Rig::new(CacheConfig { max_dirty_age: Duration::from_millis(10), ..writeback() });
    rig.write(1, 0, b"x");
    rig.cache.handle_timeout(at(10));
    rig.pump();
    rig.reply(Err(Errno::EIO));
    assert_eq!(rig.cache.poll_timeout(), Some(at(20)), "retry after max_dirty_age");
    rig.cache.handle_timeout(at(15));
    rig.pump();
    assert!(rig.ops.is_empty());
    rig.cache.handle_timeout(at(20));
    rig.pump();
    assert_eq!(rig.ops.len(), 1);
}

#[test]
fn a_read_racing_a_write_is_not_cached() {
    let mut rig = Rig::new(writeback());
    rig.store[..2].copy_from_slice(b"ol");
    rig.read(1, 0, 2);
    rig.write(2, 0, b"nw");
    // The backend ran the read before the write reached it.
    rig.reply_all();
    assert_eq!(rig.result(1), Some(Ok(b"nw".to_vec())), "newer cached data wins");
    rig.cache.handle_timeout(at(1000));
    rig.pump();
    rig.reply_all();
    assert_eq!(rig.cache.clean_bytes(), 2, "the written data, not the read");
    rig.read(3, 0, 2);
    assert_eq!(rig.result(3), Some(Ok(b"nw".to_vec())));
}

#[test]
fn discard_writes_back_dirty_data_first() {
    let mut rig = Rig::new(writeback());
    rig.write(1, 0, b"dirty");
    rig.cache.discard(IoId(2), 0, 5, Instant::ZERO);
    rig.pump();
    assert!(matches!(rig.ops[..], [BackendOp::Write { .. }]), "write-back before the discard");
    rig.reply(Ok(()));
    assert!(matches!(rig.ops[..], [BackendOp::Discard { length: 5, .. }]));
    // A failed discard leaves what was acknowledged.
    rig.reply(Err(Errno::EIO));
    assert_eq!(rig.result(2), Some(Err(Errno::EIO)));
    rig.read(3, 0, 5);
    rig.reply_all();
    assert_eq!(rig.result(3), Some(Ok(b"dirty".to_vec())));
    rig.cache.write_zeroes(IoId(4), 1, 2, Instant::ZERO);
    rig.pump();
    rig.reply_all();
    assert_eq!(rig.result(4), Some(Ok(vec![])));
    rig.read(5, 0, 5);
    rig.reply_all();
    assert_eq!(rig.result(5), Some(Ok(b"d\0\0ty".to_vec())));
}

#[test]
fn invalidate_flushes_and_drops_everything_clean() {
    let mut rig = Rig::new(writeback());
    rig.write(1, 0, b"abc");
    rig.cache.invalidate(IoId(2), Instant::ZERO);
    rig.pump();
    assert_eq!(rig.result(2), None);
    rig.reply_all();
    assert_eq!(rig.result(2), Some(Ok(vec![])));
    assert_eq!((rig.cache.clean_bytes(), rig.cache.dirty_bytes()), (0, 0));
    assert_eq!(&rig.store[..3], b"abc");
    // A write racing it stays dirty: librbd's EBUSY.
    rig.write(3, 0, b"x");
    rig.cache.invalidate(IoId(4), Instant::ZERO);
    rig.write(5, 10, b"y");
    rig.reply_all();
    assert_eq!(rig.result(4), Some(Err(Errno::EBUSY)));
}

#[test]
fn clean_data_is_evicted_least_recently_used_first() {
    let mut rig = Rig::new(CacheConfig { size: 8, max_dirty: 0, target_dirty: 0, ..writeback() });
    for (id, off) in [(1, 0), (2, 100), (3, 0)] {
        rig.read(id, off, 4);
        rig.reply_all();
    }
    rig.read(4, 200, 4);
    rig.reply_all();
    assert_eq!(rig.cache.clean_bytes(), 8);
    rig.read(5, 0, 4);
    assert!(rig.ops.is_empty(), "0..4 was used more recently than 100..104");
    rig.read(6, 100, 4);
    assert_eq!(rig.ops.len(), 1);
}

#[test]
fn empty_and_overflowing_requests_complete_at_once() {
    let mut rig = Rig::new(writeback());
    rig.read(1, 5, 0);
    rig.cache.discard(IoId(2), u64::MAX, 2, Instant::ZERO);
    rig.write(3, u64::MAX, b"ab");
    rig.pump();
    assert_eq!(rig.result(1), Some(Ok(vec![])));
    assert_eq!(rig.result(2), Some(Err(Errno::EINVAL)));
    assert_eq!(rig.result(3), Some(Err(Errno::EINVAL)));
    assert!(rig.ops.is_empty() && rig.cache.is_idle());
}

#[test]
fn refuses_invalid_configurations() {
    let config = CacheConfig { max_dirty: 1 << 30, ..CacheConfig::default() };
    assert!(matches!(ImageCache::new(config), Err(ConfigError::MaxDirtyExceedsSize { .. })));
}

// ---- property tests, on the simulator of crate::fuzzing::cache ----

fn policy() -> impl Strategy<Value = CachePolicy> {
    prop_oneof![Just(CachePolicy::WriteBack), Just(CachePolicy::WriteThrough), Just(CachePolicy::WriteAround)]
}

/// Sizes in 512-byte units so limits bite within a 16 KiB image.
fn config(
    policy: impl Strategy<Value = CachePolicy>,
    until_flush: impl Strategy<Value = bool>,
) -> impl Strategy<Value = CacheConfig> {
    (policy, prop::bool::weighted(0.9), 1..=32u64, 0..=4u64, 0..=4u64, 0..40u64, until_flush, any::<bool>()).prop_map(
        |(policy, enabled, size, dirty, target, age, until_flush, upfront)| {
            let size = size * 512;
            let max_dirty = size * dirty / 4;
            CacheConfig {
                enabled,
                policy,
                size,
                max_dirty,
                target_dirty: max_dirty * target / 4,
                max_dirty_age: Duration::from_millis(age),
                writethrough_until_flush: until_flush,
                block_writes_upfront: upfront,
            }
        },
    )
}

/// Mostly small extents in the first 4 KiB, so requests overlap.
fn extent() -> impl Strategy<Value = (u64, u64)> {
    prop_oneof![3 => (0..4096u64, 1..=512u64), 1 => (0..IMAGE_SIZE, 1..=4096u64)]
}

/// Steps with `fail` the chance a backend reply is an error.
fn steps(fail: f64, flushes: u32) -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        3 => extent().prop_map(|(offset, length)| Step::Read { offset, length }),
        4 => extent().prop_map(|(offset, length)| Step::Write { offset, length }),
        1 => extent().prop_map(|(offset, length)| Step::Discard { offset, length }),
        1 => extent().prop_map(|(offset, length)| Step::WriteZeroes { offset, length }),
        flushes => Just(Step::Flush),
        1 => Just(Step::Invalidate),
        7 => (any::<usize>(), prop::bool::weighted(fail)).prop_map(|(pick, fail)| Step::Complete { pick, fail }),
        1 => (0..40u64).prop_map(|millis| Step::Advance { millis }),
    ];
    prop::collection::vec(step, 1..64)
}

fn run(config: CacheConfig, steps: Vec<Step>, checks: Checks) -> Result<(), TestCaseError> {
    let Some(mut sim) = Sim::new(config, checks) else {
        return Ok(());
    };
    for step in steps {
        sim.step(step).map_err(TestCaseError::fail)?;
    }
    sim.finish().map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    // A read returns, per byte, the latest write acknowledged before it was issued, or a write still unacknowledged then or issued during it.
    #[test]
    fn reads_return_the_latest_acknowledged_write(
        config in config(policy(), any::<bool>()),
        steps in steps(0.1, 1),
    ) {
        run(config, steps, Checks { reads: true, ..Checks::NONE })?;
    }

    // After a flush succeeds, the backend holds every write acknowledged before it was issued (or a later write).
    #[test]
    fn flushed_writes_are_in_the_backend(
        config in config(policy(), any::<bool>()),
        steps in steps(0.05, 2),
    ) {
        run(config, steps, Checks { flushes: true, ..Checks::NONE })?;
    }

    // Acknowledged bytes not yet in the backend never exceed rbd_cache_max_dirty.
    #[test]
    fn dirty_bytes_stay_under_max_dirty(
        config in config(prop_oneof![Just(CachePolicy::WriteBack), Just(CachePolicy::WriteAround)], Just(false)),
        steps in steps(0.1, 1),
    ) {
        run(config, steps, Checks { dirty_limit: true, ..Checks::NONE })?;
    }

    // While writing through (writethrough policy, cache off, or before the first flush), no write completes before the backend has it.
    #[test]
    fn writethrough_acknowledges_only_what_the_backend_has(
        config in config(policy(), prop::bool::weighted(0.8)),
        steps in steps(0.1, 1),
    ) {
        run(config, steps, Checks { writethrough: true, ..Checks::NONE })?;
    }

    // A failed write-back of acknowledged data makes the next flush to complete fail; no flush fails without one.
    #[test]
    fn failed_writeback_surfaces_at_the_next_flush(
        config in config(prop_oneof![Just(CachePolicy::WriteBack), Just(CachePolicy::WriteAround)], Just(false)),
        steps in steps(0.3, 2),
    ) {
        run(config, steps, Checks { errors: true, ..Checks::NONE })?;
    }
}
