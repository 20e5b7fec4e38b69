//! Image extents to object extents and back (Ceph's `Striper`).

use alloc::vec::Vec;

use super::Layout;
use crate::Errno;

/// A piece of the caller's buffer: `length` bytes at `offset` in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BufferExtent {
    pub offset: u64,
    pub length: u64,
}

/// The bytes one request touches in one object: `length` contiguous bytes at
/// `offset` in object `object_no`, filled from (or read into) the listed
/// pieces of the caller's buffer, in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectExtent {
    pub object_no: u64,
    pub offset: u64,
    pub length: u64,
    /// Increasing, non-overlapping; their lengths add up to `length`.
    pub buffer_extents: Vec<BufferExtent>,
}

/// One stripe-unit-bounded piece of a request, as [`StripePieces`] yields it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StripePiece {
    pub object_no: u64,
    pub object_offset: u64,
    pub length: u64,
    /// Where the piece starts in the caller's buffer.
    pub buffer_offset: u64,
}

/// An extent that cannot be mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExtentError {
    #[error("extent {offset}~{length} runs past 2^64")]
    Overflow { offset: u64, length: u64 },
    #[error("object extent {offset}~{length} runs past the object size {object_size}")]
    BeyondObject { offset: u64, length: u64, object_size: u64 },
    #[error("object {object_no} lies beyond a 64-bit image")]
    ObjectBeyondImage { object_no: u64 },
}

impl ExtentError {
    /// librbd refuses such extents with EINVAL.
    pub const fn errno(&self) -> Errno {
        Errno::EINVAL
    }
}

/// The layout's numbers as the arithmetic uses them.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    su: u64,
    sc: u64,
    stripes_per_object: u64,
}

impl Geometry {
    fn new(layout: &Layout) -> Geometry {
        // With one object per set, stripe units of an object are adjacent in
        // the image too: map whole objects at once, as Ceph does.
        let su = if layout.stripe_count() == 1 { layout.object_size() } else { layout.stripe_unit() };
        Geometry { su, sc: layout.stripe_count(), stripes_per_object: layout.object_size() / su }
    }

    /// Image byte -> (object number, byte in object).
    fn locate(&self, offset: u64) -> (u64, u64) {
        let blockno = offset / self.su;
        let stripeno = blockno / self.sc;
        let stripepos = blockno % self.sc;
        let objectsetno = stripeno / self.stripes_per_object;
        // Cannot overflow: the result is at most `blockno`.
        let object_no = objectsetno * self.sc + stripepos;
        let object_offset = (stripeno % self.stripes_per_object) * self.su + offset % self.su;
        (object_no, object_offset)
    }

    /// (object number, byte in object) -> image byte; `object_offset` must
    /// lie inside the object.
    fn image_offset(&self, object_no: u64, object_offset: u64) -> Option<u64> {
        let stripepos = object_no % self.sc;
        let objectsetno = object_no / self.sc;
        let stripeno = objectsetno.checked_mul(self.stripes_per_object)?.checked_add(object_offset / self.su)?;
        let blockno = stripeno.checked_mul(self.sc)?.checked_add(stripepos)?;
        blockno.checked_mul(self.su)?.checked_add(object_offset % self.su)
    }
}

/// The pieces of image extent `offset~length` in image order, each within
/// one stripe unit (one object when the stripe count is 1). The iterator
/// form of [`file_to_extents`], without merging.
#[derive(Clone, Debug)]
pub struct StripePieces {
    geometry: Geometry,
    start: u64,
    cur: u64,
    end: u64,
}

impl Iterator for StripePieces {
    type Item = StripePiece;

    fn next(&mut self) -> Option<StripePiece> {
        if self.cur == self.end {
            return None;
        }
        let g = &self.geometry;
        let (object_no, object_offset) = g.locate(self.cur);
        let length = (g.su - self.cur % g.su).min(self.end - self.cur);
        let piece = StripePiece { object_no, object_offset, length, buffer_offset: self.cur - self.start };
        self.cur += length;
        Some(piece)
    }
}

/// Splits image extent `offset~length` into stripe-unit pieces.
pub fn stripe_pieces(layout: &Layout, offset: u64, length: u64) -> Result<StripePieces, ExtentError> {
    let end = offset.checked_add(length).ok_or(ExtentError::Overflow { offset, length })?;
    Ok(StripePieces { geometry: Geometry::new(layout), start: offset, cur: offset, end })
}

/// Maps image extent `offset~length` to object extents (Ceph's
/// `Striper::file_to_extents`).
///
/// One extent per object touched, in order of first touch; its buffer
/// extents are relative to the start of the request. An empty request maps
/// to nothing.
pub fn file_to_extents(layout: &Layout, offset: u64, length: u64) -> Result<Vec<ObjectExtent>, ExtentError> {
    let mut extents = Vec::new();
    file_to_extents_into(layout, offset, length, 0, &mut extents)?;
    Ok(extents)
}

/// [`file_to_extents`] appending to `out`, with buffer extents shifted by
/// `buffer_offset` (for requests made of several image extents).
///
/// Only extents appended by this call are merged; what `out` already held is
/// left alone. On error `out` is unchanged.
pub fn file_to_extents_into(
    layout: &Layout,
    offset: u64,
    length: u64,
    buffer_offset: u64,
    out: &mut Vec<ObjectExtent>,
) -> Result<(), ExtentError> {
    let pieces = stripe_pieces(layout, offset, length)?;
    if buffer_offset.checked_add(length).is_none() {
        return Err(ExtentError::Overflow { offset: buffer_offset, length });
    }
    let first = out.len();
    // A request comes back to an object only within the current object set,
    // so an extent to extend is among the last `stripe_count` ones.
    let window = usize::try_from(layout.stripe_count()).unwrap_or(usize::MAX);
    // An object gets at most one piece per stripe the request crosses:
    // size its buffer list for that, to spare regrowth.
    let g = pieces.geometry;
    let per_object = if g.sc == 1 {
        1
    } else {
        let stripes = length / (g.su * g.sc) + 2;
        usize::try_from(stripes.min(g.stripes_per_object)).unwrap_or(1)
    };
    for piece in pieces {
        let buffer = BufferExtent { offset: buffer_offset + piece.buffer_offset, length: piece.length };
        let from = out.len().saturating_sub(window).max(first);
        let existing = out[from..].iter_mut().rev().find(|ex| ex.object_no == piece.object_no);
        match existing {
            Some(ex) if ex.offset + ex.length == piece.object_offset => {
                ex.length += piece.length;
                match ex.buffer_extents.last_mut() {
                    Some(last) if last.offset + last.length == buffer.offset => last.length += buffer.length,
                    _ => ex.buffer_extents.push(buffer),
                }
            }
            _ => {
                let mut buffer_extents = Vec::with_capacity(per_object);
                buffer_extents.push(buffer);
                out.push(ObjectExtent {
                    object_no: piece.object_no,
                    offset: piece.object_offset,
                    length: piece.length,
                    buffer_extents,
                });
            }
        }
    }
    Ok(())
}

/// Maps object extent `offset~length` of object `object_no` back to image
/// extents `(image offset, length)` in object order (Ceph's
/// `Striper::extent_to_file`, with adjacent image extents merged).
pub fn extent_to_file(
    layout: &Layout,
    object_no: u64,
    offset: u64,
    length: u64,
) -> Result<Vec<(u64, u64)>, ExtentError> {
    let mut extents = Vec::new();
    extent_to_file_into(layout, object_no, offset, length, &mut extents)?;
    Ok(extents)
}

/// [`extent_to_file`] appending to `out`; on error `out` is unchanged.
pub fn extent_to_file_into(
    layout: &Layout,
    object_no: u64,
    offset: u64,
    length: u64,
    out: &mut Vec<(u64, u64)>,
) -> Result<(), ExtentError> {
    let object_size = layout.object_size();
    match offset.checked_add(length) {
        Some(end) if end <= object_size => {}
        _ => return Err(ExtentError::BeyondObject { offset, length, object_size }),
    }
    let g = Geometry::new(layout);
    let first = out.len();
    let (mut off, mut left) = (offset, length);
    while left > 0 {
        let Some(image_offset) = g.image_offset(object_no, off) else {
            out.truncate(first);
            return Err(ExtentError::ObjectBeyondImage { object_no });
        };
        let chunk = (g.su - off % g.su).min(left);
        match out[first..].last_mut() {
            Some(last) if last.0 + last.1 == image_offset => last.1 += chunk,
            _ => out.push((image_offset, chunk)),
        }
        off += chunk;
        left -= chunk;
    }
    Ok(())
}

/// Where image byte `offset` lives: (object number, offset in the object).
pub fn file_to_object(layout: &Layout, offset: u64) -> (u64, u64) {
    Geometry::new(layout).locate(offset)
}

/// The object holding image byte `offset`.
pub fn object_no_for(layout: &Layout, offset: u64) -> u64 {
    file_to_object(layout, offset).0
}

/// The image offset of byte `offset` of object `object_no` (Ceph's
/// `Striper::get_file_offset`).
pub fn file_offset(layout: &Layout, object_no: u64, offset: u64) -> Result<u64, ExtentError> {
    let object_size = layout.object_size();
    if offset >= object_size {
        return Err(ExtentError::BeyondObject { offset, length: 1, object_size });
    }
    Geometry::new(layout).image_offset(object_no, offset).ok_or(ExtentError::ObjectBeyondImage { object_no })
}

/// How many objects an image of `image_size` bytes spans (Ceph's
/// `Striper::get_num_objects`): with fancy striping the last object set may
/// be partly used.
pub fn object_count(layout: &Layout, image_size: u64) -> u64 {
    let period = layout.period();
    let (full_sets, rem) = (image_size / period, image_size % period);
    let tail = rem.div_ceil(layout.stripe_unit()).min(layout.stripe_count());
    // No overflow: the count never exceeds the number of bytes.
    full_sets * layout.stripe_count() + tail
}
