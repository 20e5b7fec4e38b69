//! Walking an image with a callback: rbd_read_iterate(2) read it a stripe
//! period at a time, rbd_diff_iterate reports what is allocated.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void};

use rbdrs_client::proto::image::clip_io;
use rbdrs_client::proto::Errno;

use super::image;
use crate::boundary::{guard, opt_cstr};

/// What rbd_read_iterate hands each piece to (written out in the
/// exports: cbindgen names no private alias).
type ReadCb = Option<unsafe extern "C" fn(u64, usize, *const c_char, *mut c_void) -> c_int>;

/// librbd's read_iterate: reads [ofs, ofs + len) clipped to the image, a
/// stripe period at a time, and hands each piece to `cb` with its offset
/// from `ofs`; stops at the first negative answer. The bytes read.
fn read_iterate(image: rbd_image_t, ofs: u64, len: u64, cb: ReadCb, arg: *mut c_void) -> Result<i64, Errno> {
    // SAFETY: the exports' contract: a live handle.
    let img = unsafe { self::image(image) }?;
    let cb = cb.ok_or(Errno::EINVAL)?;
    let ictx = img.ctx()?;
    let mut left = clip_io(img.size()?, ofs, len)?;
    let period = ictx.layout.object_size() * ictx.layout.stripe_count().max(1);
    let (mut off, mut total) = (ofs, 0u64);
    while left > 0 {
        let piece = (off - off % period + period - off).min(left);
        let data = img.read(off, piece)?;
        if data.is_empty() {
            break;
        }
        // SAFETY: the caller's callback and argument.
        let r = unsafe { cb(total, data.len(), data.as_ptr().cast(), arg) };
        if r < 0 {
            return Err(Errno::from_ret(r).err().unwrap_or(Errno::EIO));
        }
        let got = data.len() as u64;
        total += got;
        left -= got.min(left);
        off += got;
    }
    Ok(total as i64)
}

/// Deprecated form of rbd_read_iterate2: returns the bytes read.
///
/// # Safety
/// `image` from rbd_open; `cb` called with `arg`.
#[no_mangle]
pub unsafe extern "C" fn rbd_read_iterate(
    image: rbd_image_t,
    ofs: u64,
    len: usize,
    cb: Option<unsafe extern "C" fn(u64, usize, *const c_char, *mut c_void) -> c_int>,
    arg: *mut c_void,
) -> i64 {
    guard(|| read_iterate(image, ofs, len as u64, cb, arg))
}

/// Reads [ofs, ofs + len) piece by piece into `cb`; 0 when done.
///
/// # Safety
/// `image` from rbd_open; `cb` called with `arg`.
#[no_mangle]
pub unsafe extern "C" fn rbd_read_iterate2(
    image: rbd_image_t,
    ofs: u64,
    len: u64,
    cb: Option<unsafe extern "C" fn(u64, usize, *const c_char, *mut c_void) -> c_int>,
    arg: *mut c_void,
) -> c_int {
    guard(|| read_iterate(image, ofs, len, cb, arg).map(|_| 0))
}

/// rbd_diff_iterate2 with the parent included: it reports what that
/// reports (allocated extents a whole object at a time; see there). An unknown `fromsnapname` is
/// -ENOENT, a range starting past the end -EINVAL, as librbd.
///
/// # Safety
/// `image` from rbd_open; `fromsnapname` NULL or a C string; `cb` called
/// with `arg`.
#[no_mangle]
pub unsafe extern "C" fn rbd_diff_iterate(
    image: rbd_image_t,
    fromsnapname: *const c_char,
    ofs: u64,
    len: u64,
    cb: Option<unsafe extern "C" fn(u64, usize, c_int, *mut c_void) -> c_int>,
    arg: *mut c_void,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (img, from) = unsafe { (self::image(image)?, opt_cstr(fromsnapname)?) };
        if let Some(from) = from {
            img.snap_id_of(from)?;
        }
        clip_io(img.size()?, ofs, len)?;
        // SAFETY: forwarded contract.
        Ok(unsafe { super::image::rbd_diff_iterate2(image, fromsnapname, ofs, len, 1, 0, cb, arg) })
    })
}
