//! The striper on the I/O path: one call per image request.

use core::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rbdrs_core::random::XorShift;
use rbdrs_core::striper::{file_to_extents, file_to_extents_into, Layout};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
/// Offsets fall anywhere in a 1 TiB image.
const IMAGE_SIZE: u64 = 1 << 40;

/// Seeded offsets: the same on every run.
fn offsets(count: usize, align: u64, request: u64) -> Vec<u64> {
    let mut rng = XorShift::new(0x853c_49e6_748f_ea9b);
    (0..count).map(|_| (rng.next_u64() % (IMAGE_SIZE - request)) / align * align).collect()
}

fn bench_request(c: &mut Criterion, name: &str, layout: Layout, length: u64, align: u64) {
    let offsets = offsets(4096, align, length);
    let mut group = c.benchmark_group("striper");
    // Elements are requests: bytes per second would only restate the request size.
    group.throughput(Throughput::Elements(1));
    group.bench_function(name, |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % offsets.len();
            file_to_extents(&layout, black_box(offsets[i]), length).unwrap()
        })
    });
    // Same, reusing the outer Vec as a hot path would.
    group.bench_function(format!("{name}/into"), |b| {
        let mut out = Vec::new();
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % offsets.len();
            out.clear();
            file_to_extents_into(&layout, black_box(offsets[i]), length, 0, &mut out).unwrap();
            black_box(&out);
        })
    });
    group.finish();
}

fn striper(c: &mut Criterion) {
    let default = Layout::from_order(22).unwrap();
    let fancy = Layout::new(22, 64 * KIB, 16).unwrap();
    bench_request(c, "4k_random_default", default, 4 * KIB, 4 * KIB);
    bench_request(c, "4m_fancy_su64k_sc16", fancy, 4 * MIB, 4 * KIB);
    bench_request(c, "1m_default", default, MIB, 4 * KIB);
}

criterion_group!(benches, striper);
criterion_main!(benches);
