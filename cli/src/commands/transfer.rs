//! export, import and diff: an image's bytes to and from files, sparse.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use rbdrs_client::{Image, Task};

use super::image::image_options;
use crate::output::{Json, Table};
use crate::{Context, Ctx, Failure};

/// Requests kept in flight by export and import.
const DEPTH: usize = 8;
/// Zero runs this long become holes (rbd's default --sparse-size).
const SPARSE: usize = 4096;

fn op_timeout(image: &Image) -> Duration {
    // A queued request waits for those ahead of it too.
    image.connection().op_timeout * DEPTH as u32
}

fn chunk_size(image: &Image) -> Result<u64, Failure> {
    Ok(image.info().or_fail(|| "error getting image info".into())?.object_size.clamp(64 << 10, 4 << 20))
}

enum Sink {
    /// A regular file: holes by seeking, its length set at the end.
    File(File),
    Stream(Box<dyn Write>),
}

impl Sink {
    fn put(&mut self, at: u64, data: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Stream(w) => w.write_all(data),
            Sink::File(f) => {
                for (i, block) in data.chunks(SPARSE).enumerate() {
                    if block.iter().any(|&b| b != 0) {
                        f.seek(SeekFrom::Start(at + (i * SPARSE) as u64))?;
                        f.write_all(block)?;
                    }
                }
                Ok(())
            }
        }
    }

    /// A stream gets the zeros of a hole; a file skips them.
    fn hole(&mut self, len: u64) -> std::io::Result<()> {
        if let Sink::Stream(w) = self {
            let zeros = vec![0u8; (len.min(4 << 20)) as usize];
            let mut left = len;
            while left > 0 {
                let n = left.min(zeros.len() as u64) as usize;
                w.write_all(&zeros[..n])?;
                left -= n as u64;
            }
        }
        Ok(())
    }

    fn finish(self, size: u64) -> std::io::Result<()> {
        match self {
            Sink::File(f) => {
                f.set_len(size)?;
                f.sync_all()
            }
            Sink::Stream(mut w) => w.flush(),
        }
    }
}

pub fn export(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?;
    let path = ctx.positional(1).or(ctx.args().value("path")).map_or(spec.image.clone(), str::to_string);
    let (_io, image) = ctx.open(&spec, true)?;
    let size = image.size().or_fail(|| "error getting the size".into())?;
    let chunk = chunk_size(&image)?;
    let io_err = || format!("error writing to {path}");
    let mut sink = match path.as_str() {
        "-" => Sink::Stream(Box::new(std::io::stdout().lock())),
        _ => Sink::File(File::create(&path).or_fail(io_err)?),
    };
    // Only what holds data is read; the rest are holes.
    let runs = image.allocated(0, size, true).or_fail(|| "error finding the image's data".into())?;
    let mut pieces = VecDeque::new();
    for (start, len) in runs {
        let mut at = start;
        while at < start + len {
            let n = chunk.min(start + len - at);
            pieces.push_back((at, n));
            at += n;
        }
    }
    let mut progress = ctx.progress("Exporting image");
    let mut inflight: VecDeque<(u64, u64, Task<Vec<u8>>)> = VecDeque::new();
    let mut written = 0u64;
    let timeout = op_timeout(&image);
    let result = (|| -> Result<(), Failure> {
        loop {
            while inflight.len() < DEPTH {
                let Some((at, n)) = pieces.pop_front() else { break };
                inflight.push_back((at, n, image.read_async(at, n)));
            }
            let Some((at, n, task)) = inflight.pop_front() else { break };
            let data = task.wait(timeout).or_fail(|| "error reading from source image".into())?;
            if data.len() as u64 != n {
                return Err(Failure::usage(format!("short read at offset {at}")));
            }
            sink.hole(at - written).or_fail(io_err)?;
            sink.put(at, &data).or_fail(io_err)?;
            written = at + n;
            progress.update(written, size);
        }
        sink.hole(size - written).or_fail(io_err)?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            sink.finish(size).or_fail(io_err)?;
            progress.finish();
            Ok(())
        }
        Err(e) => {
            progress.fail();
            Err(e)
        }
    }
}

/// Fills `buf` as far as the source allows; returns the bytes read.
fn read_full(src: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

pub fn import(ctx: &Ctx) -> Result<(), Failure> {
    let path = ctx.positional(0).or(ctx.args().value("path")).ok_or("path was not specified".to_string())?.to_string();
    let default_name = std::path::Path::new(&path).file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
    let mut dest = ctx.dest_spec(1).or_else(|_| {
        crate::spec::Spec::parse(
            Some(&default_name),
            &crate::spec::SpecDefaults {
                pool: ctx.args().value("dest-pool").or(ctx.args().value("pool")),
                default_pool: "rbd",
                ..Default::default()
            },
        )
        .map_err(Failure::from)
    })?;
    dest.snap = None;
    let io_err = || format!("error reading {path}");
    let (mut src, known): (Box<dyn Read>, Option<u64>) = match path.as_str() {
        "-" => (Box::new(std::io::stdin().lock()), None),
        _ => {
            let file = File::open(&path).or_fail(io_err)?;
            let len = file.metadata().or_fail(io_err)?.len();
            (Box::new(file), Some(len))
        }
    };
    let io = ctx.ioctx(&dest.pool, &dest.namespace)?;
    io.create_image(&dest.image, known.unwrap_or(0), &image_options(ctx)?)
        .or_fail(|| "image creation failed".into())?;
    let image = Image::open(&io, &dest.image, None, false).or_fail(|| "failed to open image".into())?;
    let chunk = chunk_size(&image)? as usize;
    let timeout = op_timeout(&image);
    let mut progress = ctx.progress("Importing image");
    let mut inflight: VecDeque<Task<u64>> = VecDeque::new();
    let mut size = known.unwrap_or(0);
    let mut at = 0u64;
    let result = (|| -> Result<(), Failure> {
        loop {
            let mut buf = vec![0u8; chunk];
            let n = read_full(&mut *src, &mut buf).or_fail(io_err)?;
            if n == 0 {
                break;
            }
            buf.truncate(n);
            if at + n as u64 > size {
                // Unknown length (stdin): grow ahead, trim at the end.
                size = (at + n as u64).max(size * 2);
                image.resize(size).or_fail(|| "error resizing the image".into())?;
            }
            // Zero blocks stay holes; the rest go out as they are.
            let mut off = 0;
            while off < n {
                let end = (off + SPARSE).min(n);
                if buf[off..end].iter().any(|&b| b != 0) {
                    let mut run_end = end;
                    while run_end < n && buf[run_end..(run_end + SPARSE).min(n)].iter().any(|&b| b != 0) {
                        run_end = (run_end + SPARSE).min(n);
                    }
                    if inflight.len() >= DEPTH {
                        if let Some(task) = inflight.pop_front() {
                            task.wait(timeout).or_fail(|| "error writing to image".into())?;
                        }
                    }
                    inflight.push_back(image.write_async(at + off as u64, buf[off..run_end].to_vec()));
                    off = run_end;
                } else {
                    off = end;
                }
            }
            at += n as u64;
            if let Some(total) = known {
                progress.update(at, total);
            }
        }
        for task in inflight.drain(..) {
            task.wait(timeout).or_fail(|| "error writing to image".into())?;
        }
        if size != at {
            image.resize(at).or_fail(|| "error resizing the image".into())?;
        }
        image.flush().or_fail(|| "error flushing the image".into())
    })();
    match result {
        Ok(()) => {
            progress.finish();
            image.close().or_fail(|| "error closing the image".into())
        }
        Err(e) => {
            progress.fail();
            Err(e)
        }
    }
}

/// The extents that hold data, a whole object at a time. `--from-snap`
/// narrows nothing yet: everything allocated is listed, a superset of the
/// changes.
pub fn diff(ctx: &Ctx) -> Result<(), Failure> {
    let spec = ctx.spec(0)?;
    let (_io, image) = ctx.open(&spec, true)?;
    if let Some(from) = ctx.args().value("from-snap") {
        if !image.snap_exists(from).or_fail(|| "error reading snapshots".into())? {
            return Err(rbdrs_client::Errno::ENOENT).or_fail(|| format!("snapshot '{from}' not found"));
        }
    }
    let size = image.size().or_fail(|| "error getting the size".into())?;
    let runs = image.allocated(0, size, true).or_fail(|| "diff error".into())?;
    let printed = ctx.print_json(|| {
        Ok(Json::List(
            runs.iter()
                .map(|&(offset, length)| {
                    Json::object().with("offset", offset).with("length", length).with("exists", "true")
                })
                .collect(),
        ))
    })?;
    if !printed && !runs.is_empty() {
        let mut table = Table::new(&[("Offset", false), ("Length", false), ("Type", false)]);
        for &(offset, length) in &runs {
            table.row(vec![offset.to_string(), length.to_string(), "data".into()]);
        }
        print!("{}", table.render());
    }
    Ok(())
}
