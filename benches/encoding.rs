//! Encoding and decoding throughput of the shapes the data path uses most:
//! a 4 KiB bufferlist, an omap listing, a versioned struct, and the CRC-32C
//! msgr2 puts over every frame (the CPU's instructions against the table),
//! and the AES-128-GCM of its secure mode.

use std::collections::BTreeMap;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rbdrs_core::encoding::{decode_exact, encode_to_vec, encode_versioned, Decoder, Encode};
use rbdrs_core::random::XorShift;

fn bufferlist(c: &mut Criterion) {
    let mut rng = XorShift::new(42);
    let mut payload = vec![0u8; 4096];
    rng.fill(&mut payload);
    let encoded = encode_to_vec(&payload);
    let mut group = c.benchmark_group("bufferlist_4k");
    group.throughput(Throughput::Bytes(4096));
    group.bench_function("encode", |b| {
        let mut out = Vec::with_capacity(8192);
        b.iter(|| {
            out.clear();
            payload.encode(&mut out);
            std::hint::black_box(&out);
        })
    });
    group.bench_function("decode", |b| b.iter(|| decode_exact::<Vec<u8>>(std::hint::black_box(&encoded)).unwrap()));
    group.finish();
}

fn omap_listing(c: &mut Criterion) {
    let vals: BTreeMap<String, Bytes> =
        (0..256).map(|i| (format!("id_{i:016x}"), Bytes::from(format!("image-{i}").into_bytes()))).collect();
    let encoded = encode_to_vec(&vals);
    let mut group = c.benchmark_group("omap_256_entries");
    group.throughput(Throughput::Elements(256));
    group.bench_function("encode", |b| b.iter(|| encode_to_vec(std::hint::black_box(&vals))));
    group.bench_function("decode", |b| {
        b.iter_batched(
            || encoded.clone(),
            |bytes| decode_exact::<BTreeMap<String, Bytes>>(&bytes).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn versioned_struct(c: &mut Criterion) {
    let mut encoded = Vec::new();
    encode_versioned(&mut encoded, 2, 1, |out| {
        "rbd_data.1234abcd".encode(out);
        (4u64 << 20).encode(out);
        vec![5u64, 3, 1].encode(out);
    });
    let mut group = c.benchmark_group("versioned_struct");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode", |b| {
        b.iter(|| {
            let mut d = Decoder::new(std::hint::black_box(&encoded));
            d.versioned(2, |d, _| Ok((d.str()?.len(), d.u64()?, d.decode::<Vec<u64>>()?))).unwrap()
        })
    });
    group.finish();
}

fn crc32c(c: &mut Criterion) {
    let mut data = vec![0u8; 4 << 20];
    XorShift::new(7).fill(&mut data);
    let mut group = c.benchmark_group("crc32c_4m");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("instructions", |b| {
        b.iter(|| rbdrs_core::crc32c::ceph_crc32c(!0, std::hint::black_box(&data)))
    });
    group.bench_function("table", |b| {
        b.iter(|| rbdrs_core::crc32c::ceph_crc32c_portable(!0, std::hint::black_box(&data)))
    });
    group.finish();
}

/// msgr2 secure mode seals every frame with AES-128-GCM in place.
fn secure_seal(c: &mut Criterion) {
    use rbdrs_core::msgr::secure::SecureTx;
    let mut data = vec![0u8; 4 << 20];
    XorShift::new(9).fill(&mut data);
    let mut tx = SecureTx::new(&[7; 16], [3; 12]);
    let mut group = c.benchmark_group("secure_4m");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("aes128gcm_seal", |b| b.iter(|| tx.seal(std::hint::black_box(&mut data))));
    group.finish();
}

criterion_group!(benches, bufferlist, omap_listing, versioned_struct, crc32c, secure_seal);
criterion_main!(benches);
