//! The cache on the IO path: one call per 4 KiB request, backend replies
//! given at once so that only the state machine is measured.

use core::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rbdrs_core::cache::{BackendOp, CacheConfig, CachePolicy, ImageCache, IoId};
use rbdrs_core::random::XorShift;
use rbdrs_core::time::Instant;

const BLOCK: u64 = 4096;

/// librbd's defaults, in writeback mode from the start.
fn writeback() -> ImageCache {
    let config =
        CacheConfig { policy: CachePolicy::WriteBack, writethrough_until_flush: false, ..CacheConfig::default() };
    ImageCache::new(config).expect("defaults are valid")
}

/// Seeded block-aligned offsets below `span`: the same on every run.
fn offsets(count: usize, span: u64) -> Vec<u64> {
    let mut rng = XorShift::new(0x2545_f491_4f6c_dd1d);
    (0..count).map(|_| rng.next_u64() % (span / BLOCK) * BLOCK).collect()
}

/// Replies to every request at once (reads as zeros) and drops completions.
fn settle(cache: &mut ImageCache) {
    while let Some(op) = cache.poll_backend() {
        match op {
            BackendOp::Read { tid, length, .. } => cache.backend_read_done(tid, Ok(vec![0; length as usize])),
            other => cache.backend_write_done(other.tid(), Ok(())),
        }
    }
    while let Some(completion) = cache.poll_completion() {
        black_box(completion);
    }
}

fn cache(c: &mut Criterion) {
    let mut group = c.benchmark_group("cache");
    group.throughput(Throughput::Bytes(BLOCK));
    let mut data = vec![0u8; BLOCK as usize];
    XorShift::new(7).fill(&mut data);
    let data = Bytes::from(data);

    // Random writes over 1 GiB: past the dirty target, each one also
    // starts a write-back, as in a steady stream.
    group.bench_function("write_4k_writeback", |b| {
        let mut cache = writeback();
        let offsets = offsets(1 << 16, 1 << 30);
        let mut i = 0;
        b.iter(|| {
            i += 1;
            cache.write(IoId(i), offsets[i as usize % offsets.len()], data.clone(), Instant::ZERO);
            settle(&mut cache);
        })
    });

    // 16 MiB written and flushed: every read is served from the cache.
    group.bench_function("read_hit_4k", |b| {
        let mut cache = writeback();
        let span = 16 << 20;
        for (n, off) in (0..span).step_by(BLOCK as usize).enumerate() {
            cache.write(IoId(n as u64), off, data.clone(), Instant::ZERO);
            settle(&mut cache);
        }
        cache.flush(IoId(u64::MAX), Instant::ZERO);
        settle(&mut cache);
        let offsets = offsets(1 << 16, span);
        let mut i = 0;
        b.iter(|| {
            i += 1;
            cache.read(IoId(i), offsets[i as usize % offsets.len()], BLOCK, Instant::ZERO);
            settle(&mut cache);
        })
    });

    // Random reads over 64 GiB: misses, each read from the backend and
    // kept, evicting older clean data once the cache is full.
    group.bench_function("read_miss_4k", |b| {
        let mut cache = writeback();
        let offsets = offsets(1 << 16, 64 << 30);
        let mut i = 0;
        b.iter(|| {
            i += 1;
            cache.read(IoId(i), offsets[i as usize % offsets.len()], BLOCK, Instant::ZERO);
            settle(&mut cache);
        })
    });
    group.finish();
}

criterion_group!(benches, cache);
criterion_main!(benches);
