//! A tour of the core: writes an image through the striper into the
//! in-memory store, snapshots it, overwrites part of it, and reads both the
//! head and the snapshot back, checking every byte.
//!
//!     cargo run --release -p rbdrs-examples --bin tour -- [SIZE_MIB] [ORDER] [STRIPE_UNIT] [STRIPE_COUNT]

use std::process::ExitCode;
use std::time::Instant;

use bytes::Bytes;
use rbdrs_core::encoding::UtcTime;
use rbdrs_core::memstore::MemStore;
use rbdrs_core::naming;
use rbdrs_core::osd::{ObjectId, ObjectOperation, ObjectRequest, SnapContext, SnapId};
use rbdrs_core::random::XorShift;
use rbdrs_core::striper::{file_to_extents, object_count, Layout};

const MIB: u64 = 1 << 20;

struct Image<'a> {
    store: &'a MemStore,
    pool: i64,
    prefix: String,
    layout: Layout,
    snapc: SnapContext,
}

impl Image<'_> {
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), String> {
        for extent in file_to_extents(&self.layout, offset, data.len() as u64).map_err(|e| e.to_string())? {
            let mut bytes = Vec::with_capacity(extent.length as usize);
            for piece in &extent.buffer_extents {
                bytes.extend_from_slice(&data[piece.offset as usize..(piece.offset + piece.length) as usize]);
            }
            let mut op = ObjectOperation::new();
            op.write(extent.offset, Bytes::from(bytes));
            let oid = ObjectId::new(self.pool, "", naming::data_object(&self.prefix, extent.object_no));
            let reply = self.store.execute(&ObjectRequest::write(oid, self.snapc.clone(), UtcTime::default(), op));
            reply.errno().map_err(|e| format!("write of object {}: {e}", extent.object_no))?;
        }
        Ok(())
    }

    fn read(&self, snap: SnapId, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        let mut out = vec![0u8; length as usize];
        for extent in file_to_extents(&self.layout, offset, length).map_err(|e| e.to_string())? {
            let mut op = ObjectOperation::new();
            op.read(extent.offset, extent.length);
            let oid = ObjectId::new(self.pool, "", naming::data_object(&self.prefix, extent.object_no));
            let reply = self.store.execute(&ObjectRequest::read(oid, snap, op));
            let data = match reply.out(0) {
                Ok(data) => data.clone(),
                Err(rbdrs_core::Errno::ENOENT) => Bytes::new(), // absent objects read as zeros
                Err(e) => return Err(format!("read of object {}: {e}", extent.object_no)),
            };
            let mut at = 0usize;
            for piece in &extent.buffer_extents {
                let n = piece.length as usize;
                let have = data.len().saturating_sub(at).min(n);
                out[piece.offset as usize..piece.offset as usize + have].copy_from_slice(&data[at..at + have]);
                at += n;
            }
        }
        Ok(out)
    }
}

fn arg(args: &[String], i: usize, default: u64) -> Result<u64, String> {
    args.get(i).map_or(Ok(default), |s| s.parse().map_err(|_| format!("argument {i} is not a number: {s}")))
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let size = arg(&args, 1, 64)? * MIB;
    let order = u8::try_from(arg(&args, 2, 22)?).map_err(|_| "order out of range")?;
    let layout = Layout::new(order, arg(&args, 3, 0)?, arg(&args, 4, 0)?).map_err(|e| e.to_string())?;
    let store = MemStore::new();
    let pool = store.create_pool("rbd").map_err(|e| e.to_string())?;
    let mut image = Image {
        store: &store,
        pool,
        prefix: naming::data_object_prefix("tour1234", None),
        layout,
        snapc: SnapContext::default(),
    };
    println!(
        "image: {} MiB, objects of {} KiB, stripe unit {} KiB x {}: {} objects",
        size / MIB,
        layout.object_size() / 1024,
        layout.stripe_unit() / 1024,
        layout.stripe_count(),
        object_count(&layout, size)
    );

    let mut rng = XorShift::new(2026);
    let mut original = vec![0u8; size as usize];
    rng.fill(&mut original);
    let started = Instant::now();
    for (i, chunk) in original.chunks(MIB as usize).enumerate() {
        image.write(i as u64 * MIB, chunk)?;
    }
    let elapsed = started.elapsed();
    println!(
        "wrote {} MiB in 1 MiB requests: {:.0} MiB/s",
        size / MIB,
        size as f64 / MIB as f64 / elapsed.as_secs_f64()
    );

    let snap = store.create_snap(pool).map_err(|e| e.to_string())?;
    image.snapc = SnapContext::new(snap, vec![snap]);
    let mut current = original.clone();
    let (at, len) = (size / 3 + 4095, (size / 4).min(8 * MIB) + 17);
    let mut patch = vec![0u8; len as usize];
    rng.fill(&mut patch);
    image.write(at, &patch)?;
    current[at as usize..(at + len) as usize].copy_from_slice(&patch);
    println!("snapshot {snap}, then overwrote {len} bytes at offset {at}");

    let started = Instant::now();
    let head = image.read(SnapId::HEAD, 0, size)?;
    let old = image.read(SnapId(snap), 0, size)?;
    println!("read head and snapshot back in {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    if head != current {
        return Err("head does not match what was written".into());
    }
    if old != original {
        return Err("snapshot does not match the data before the overwrite".into());
    }
    println!("verified: head has the overwrite, snapshot {snap} has the original bytes");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tour: {e}");
            ExitCode::FAILURE
        }
    }
}
