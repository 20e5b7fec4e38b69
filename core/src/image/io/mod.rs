//! Image IO: a request on image bytes becomes object requests through the
//! striper, runs concurrently, and completes when all of them have, in
//! whatever order replies arrive (librbd's io::ImageRequest).

mod copyup;
pub(crate) mod object;

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;

use bytes::Bytes;

use self::object::ObjectWrite;
use super::{clip_io, DiscardPolicy, ImageCtx};
use crate::osd::SnapId;
use crate::rados::join_all;
use crate::striper::{file_to_extents, ObjectExtent};
use crate::Errno;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

fn extents(ictx: &ImageCtx, offset: u64, length: u64) -> Result<Vec<ObjectExtent>, Errno> {
    file_to_extents(&ictx.layout, offset, length).map_err(|e| e.errno())
}

/// The caller's bytes that go to one object, in object order.
fn gather(buffer: &[u8], extent: &ObjectExtent) -> Bytes {
    let mut bytes = Vec::with_capacity(extent.length as usize);
    for piece in &extent.buffer_extents {
        bytes.extend_from_slice(&buffer[piece.offset as usize..(piece.offset + piece.length) as usize]);
    }
    Bytes::from(bytes)
}

/// Waits for every object request; the first error wins, as in librbd.
async fn all_ok(requests: impl IntoIterator<Item = impl Future<Output = Result<(), Errno>>>) -> Result<(), Errno> {
    join_all(requests).await.into_iter().collect()
}

/// Reads `length` bytes at `offset` from what the image shows (its head
/// or the snapshot it was opened at). Holes and absent objects read as
/// zeros, or as the parent's data inside the parent overlap.
pub async fn read(ictx: &ImageCtx, offset: u64, length: u64) -> Result<Vec<u8>, Errno> {
    read_at(ictx, ictx.snap_id, offset, length).await
}

/// Boxed so that a clone's read can recurse into its parent's.
pub(crate) fn read_at(
    ictx: &ImageCtx,
    snap: SnapId,
    offset: u64,
    length: u64,
) -> BoxFuture<'_, Result<Vec<u8>, Errno>> {
    Box::pin(async move {
        let length = clip_io(ictx.size_at(snap)?, offset, length)?;
        let extents = extents(ictx, offset, length)?;
        let reads = join_all(extents.iter().map(|e| object::read(ictx, snap, e.object_no, e.offset, e.length)));
        let mut out = vec![0u8; length as usize];
        for (extent, data) in extents.iter().zip(reads.await) {
            let data = data?;
            let mut at = 0;
            for piece in &extent.buffer_extents {
                let n = piece.length as usize;
                out[piece.offset as usize..piece.offset as usize + n].copy_from_slice(&data[at..at + n]);
                at += n;
            }
        }
        Ok(out)
    })
}

/// Writes `data` at `offset`; the part past the end of the image is cut
/// off (librbd's clip_io). Returns the bytes written.
pub async fn write(ictx: &ImageCtx, offset: u64, data: &[u8]) -> Result<u64, Errno> {
    let _lock = ictx.prepare_write().await?;
    let length = clip_io(ictx.size, offset, data.len() as u64)?;
    let extents = extents(ictx, offset, length)?;
    all_ok(
        extents
            .iter()
            .map(|e| object::write(ictx, e.object_no, ObjectWrite::Write { offset: e.offset, data: gather(data, e) })),
    )
    .await?;
    Ok(length)
}

/// Discards with the image's policy: with skip-partial (librbd's default)
/// each object's piece is shrunk to whole granules and what remains
/// smaller than a granule is left alone.
pub async fn discard(ictx: &ImageCtx, offset: u64, length: u64) -> Result<u64, Errno> {
    discard_with(ictx, offset, length, ictx.discard).await
}

/// Zeroes exactly the range (librbd implements write-zeroes as a discard
/// that skips nothing).
pub async fn write_zeroes(ictx: &ImageCtx, offset: u64, length: u64) -> Result<u64, Errno> {
    discard_with(ictx, offset, length, DiscardPolicy { skip_partial: false, ..ictx.discard }).await
}

async fn discard_with(ictx: &ImageCtx, offset: u64, length: u64, policy: DiscardPolicy) -> Result<u64, Errno> {
    let _lock = ictx.prepare_write().await?;
    let length = clip_io(ictx.size, offset, length)?;
    let object_size = ictx.layout.object_size();
    let mut pieces = extents(ictx, offset, length)?;
    if policy.skip_partial && policy.granularity > 0 {
        prune_to_granules(&mut pieces, policy.granularity.min(object_size), object_size);
    }
    all_ok(pieces.iter().filter(|e| e.length > 0).map(|e| {
        let action = if e.offset == 0 && e.length == object_size {
            ObjectWrite::Remove
        } else if e.offset + e.length == object_size {
            ObjectWrite::Truncate { offset: e.offset }
        } else {
            ObjectWrite::Zero { offset: e.offset, length: e.length }
        };
        object::write(ictx, e.object_no, action)
    }))
    .await?;
    Ok(length)
}

/// librbd's ImageDiscardRequest::prune_object_extents: align each object
/// piece inward to the granularity; a whole-object granule that reaches the
/// end of the object is kept as it is.
fn prune_to_granules(pieces: &mut [ObjectExtent], granularity: u64, object_size: u64) {
    for e in pieces {
        let end = e.offset + e.length;
        if granularity < object_size || end < object_size {
            let start = e.offset.div_ceil(granularity) * granularity;
            let stop = end / granularity * granularity;
            e.offset = start;
            e.length = stop.saturating_sub(start);
        }
    }
}

/// Repeats `pattern` over `length` bytes at `offset`.
pub async fn write_same(ictx: &ImageCtx, offset: u64, length: u64, pattern: &[u8]) -> Result<u64, Errno> {
    let _lock = ictx.prepare_write().await?;
    if pattern.is_empty() || length % pattern.len() as u64 != 0 {
        return Err(Errno::EINVAL);
    }
    let length = clip_io(ictx.size, offset, length)?;
    let data: Vec<u8> = pattern.iter().copied().cycle().take(length as usize).collect();
    write(ictx, offset, &data).await
}

/// What a compare-and-write found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOutcome {
    Written,
    /// The first differing byte, as an image offset; nothing was written.
    Mismatch {
        offset: u64,
    },
}

/// Writes `data` at `offset` only if the image holds `compare` there. Like
/// librbd, the range must lie within one object.
pub async fn compare_and_write(
    ictx: &ImageCtx,
    offset: u64,
    compare: &[u8],
    data: &[u8],
) -> Result<CompareOutcome, Errno> {
    let _lock = ictx.prepare_write().await?;
    if compare.len() != data.len() {
        return Err(Errno::EINVAL);
    }
    let length = clip_io(ictx.size, offset, data.len() as u64)?;
    if length != data.len() as u64 {
        return Err(Errno::EINVAL);
    }
    let extents = extents(ictx, offset, length)?;
    let [extent] = &extents[..] else {
        return Err(Errno::EINVAL);
    };
    let action = ObjectWrite::CompareWrite {
        offset: extent.offset,
        compare: gather(compare, extent),
        data: gather(data, extent),
    };
    match object::write(ictx, extent.object_no, action).await {
        Ok(()) => Ok(CompareOutcome::Written),
        Err(Errno(code)) if code >= Errno::MAX_ERRNO => {
            // Object offset of the mismatch -> the caller's buffer -> image.
            let mut skip = (code - Errno::MAX_ERRNO) as u64;
            for piece in &extent.buffer_extents {
                if skip < piece.length {
                    return Ok(CompareOutcome::Mismatch { offset: offset + piece.offset + skip });
                }
                skip -= piece.length;
            }
            Err(Errno::EIO)
        }
        Err(e) => Err(e),
    }
}

/// Completes once every write acknowledged before it is in the store.
/// Without a cache, a write is acknowledged only when its objects have
/// it, so there is nothing left to wait for; the cache replaces this.
pub async fn flush(ictx: &ImageCtx) -> Result<(), Errno> {
    let _ = ictx;
    Ok(())
}
