//! rbd bench: a closed loop of IOs with a fixed number in flight.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rbdrs_client::Task;

use crate::args::parse_size;
use crate::output::size;
use crate::{Context, Ctx, Failure};

/// A small deterministic generator (xorshift): offsets for random IO.
struct Offsets(u64);

impl Offsets {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

enum Pending {
    Read(Task<Vec<u8>>),
    Write(Task<u64>),
}

impl Pending {
    fn wait(self, timeout: Duration) -> Result<(), rbdrs_client::Errno> {
        match self {
            Pending::Read(t) => t.wait(timeout).map(drop),
            Pending::Write(t) => t.wait(timeout).map(drop),
        }
    }
}

pub fn bench(ctx: &Ctx) -> Result<(), Failure> {
    let a = ctx.args();
    let kind = a.value("io-type").ok_or("must specify --io-type <read | write | readwrite(rw)>".to_string())?;
    let write_share = match kind {
        "read" => 0,
        "write" => 100,
        "readwrite" | "rw" => 50,
        other => return Err(Failure::usage(format!("invalid io-type '{other}'"))),
    };
    let io_size = parse_size(a.value("io-size").unwrap_or("4K"), 1)?;
    let threads: usize = a.value("io-threads").unwrap_or("16").parse().map_err(|_| "invalid io-threads".to_string())?;
    let total = parse_size(a.value("io-total").unwrap_or("1G"), 1)?;
    let random = match a.value("io-pattern").unwrap_or(if write_share == 100 { "seq" } else { "rand" }) {
        "seq" => false,
        "rand" => true,
        other => return Err(Failure::usage(format!("invalid io-pattern '{other}'"))),
    };
    if io_size == 0 || threads == 0 {
        return Err(Failure::usage("io-size and io-threads must be positive"));
    }
    let spec = ctx.spec(0)?.no_snap()?;
    let (_io, image) = ctx.open(&spec, write_share == 0)?;
    let image_size = image.size().or_fail(|| "error getting the size".into())?;
    if image_size < io_size {
        return Err(Failure::usage("io-size larger than the image"));
    }
    let slots = image_size / io_size;
    println!(
        "bench  type {kind} io_size {io_size} io_threads {threads} bytes {total} pattern {}",
        if random { "random" } else { "sequential" }
    );
    println!("  SEC       OPS   OPS/SEC   BYTES/SEC");
    let pattern = vec![0xa5u8; io_size as usize];
    let timeout = image.connection().op_timeout;
    let mut rng = Offsets(0x9e37_79b9_7f4a_7c15);
    let (mut issued, mut done, mut seq) = (0u64, 0u64, 0u64);
    let ops = total / io_size;
    let mut inflight: VecDeque<Pending> = VecDeque::new();
    let start = Instant::now();
    let (mut tick, mut tick_ops) = (start, 0u64);
    while done < ops {
        while issued < ops && inflight.len() < threads {
            let slot = if random { rng.next() % slots } else { seq % slots };
            seq += 1;
            let off = slot * io_size;
            let write = (rng.next() % 100) < write_share;
            let task = match write {
                true => Pending::Write(image.write_async(off, pattern.clone())),
                false => Pending::Read(image.read_async(off, io_size)),
            };
            inflight.push_back(task);
            issued += 1;
        }
        if let Some(task) = inflight.pop_front() {
            task.wait(timeout).or_fail(|| "bench IO failed".into())?;
            done += 1;
        }
        if tick.elapsed() >= Duration::from_secs(1) {
            let secs = tick.elapsed().as_secs_f64();
            let n = done - tick_ops;
            println!(
                "{:>5} {:>9} {:>9.2} {:>9}/s",
                start.elapsed().as_secs(),
                done,
                n as f64 / secs,
                size((n as f64 * io_size as f64 / secs) as u64)
            );
            (tick, tick_ops) = (Instant::now(), done);
        }
    }
    if write_share > 0 {
        image.flush().or_fail(|| "flush failed".into())?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "elapsed: {}   ops: {done}   ops/sec: {:.2}   bytes/sec: {}/s",
        elapsed as u64,
        done as f64 / elapsed,
        size((done as f64 * io_size as f64 / elapsed) as u64)
    );
    Ok(())
}
