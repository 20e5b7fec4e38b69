//! Image IO: synchronous calls wait (with the IO timeout), aio calls
//! return at once and complete through an rbd_completion_t.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void};
use std::future::Future;

use rbdrs_client::image::io::Io;
use rbdrs_client::proto::image::io::CompareOutcome;
use rbdrs_client::proto::Errno;

use super::completion::Completion;
use super::{image, Image};
use crate::boundary::{guard, put};

/// The caller's buffer for a request: an address, written once the
/// request completes. The caller keeps it valid until then (librbd's rule).
#[derive(Clone, Copy)]
struct Target(usize, usize);

impl Target {
    /// # Safety
    /// `self` still addresses `self.1` writable bytes.
    unsafe fn fill(self, data: &[u8]) {
        let n = data.len().min(self.1);
        // SAFETY: forwarded contract.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.0 as *mut u8, n) };
    }
}

/// Copies a C buffer; NULL with a non-zero length is -EINVAL.
///
/// # Safety
/// `buf` valid for `len` bytes.
unsafe fn slice<'a>(buf: *const c_char, len: usize) -> Result<&'a [u8], Errno> {
    if len == 0 {
        return Ok(&[]);
    }
    if buf.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: forwarded contract.
    Ok(unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) })
}

/// The pieces an iovec array names.
///
/// # Safety
/// `iov` holds `iovcnt` entries, each valid for its length.
unsafe fn iovecs(iov: *const iovec, iovcnt: c_int) -> Result<Vec<Target>, Errno> {
    // librbd refuses an empty vector, as it does one whose total overflows.
    if iovcnt <= 0 || iov.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: forwarded contract.
    let list = if iovcnt == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(iov, iovcnt as usize) } };
    list.iter()
        .map(|v| {
            if v.iov_base.is_null() && v.iov_len > 0 {
                Err(Errno::EINVAL)
            } else {
                Ok(Target(v.iov_base as usize, v.iov_len))
            }
        })
        .collect()
}

fn gather(pieces: &[Target]) -> Vec<u8> {
    let mut data = Vec::with_capacity(pieces.iter().map(|p| p.1).sum());
    for p in pieces {
        if p.1 > 0 {
            // SAFETY: validated by iovecs(); the caller keeps them valid.
            data.extend_from_slice(unsafe { std::slice::from_raw_parts(p.0 as *const u8, p.1) });
        }
    }
    data
}

/// Starts `flow` for `image` and completes `c` with its result.
///
/// # Safety
/// `c` is a live rbd_completion_t.
unsafe fn submit(
    img: &Image,
    c: rbd_completion_t,
    flow: impl Future<Output = Result<i64, Errno>> + Send + 'static,
) -> Result<i32, Errno> {
    // SAFETY: forwarded contract.
    let completion = unsafe { Completion::from_handle(c) }?;
    let events = img.events.clone();
    img.submit(Box::pin(flow), move |result| {
        completion.complete(result.unwrap_or_else(|e| i64::from(e.to_ret())), &events);
    })?;
    Ok(0)
}

/// A write with librados op flags: FADVISE_FUA writes through the cache;
/// the other hints change nothing here.
fn start_write_flagged(img: &Image, off: u64, data: Vec<u8>, op_flags: c_int) -> Io<u64> {
    match op_flags & LIBRADOS_OP_FLAG_FADVISE_FUA {
        0 => img.start_write(off, data),
        _ => img.start_write_through(off, data),
    }
}

// -- synchronous --

/// Reads `len` bytes at `ofs` into `buf`; returns the bytes read.
///
/// # Safety
/// `image` from rbd_open; `buf` valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rbd_read(image: rbd_image_t, ofs: u64, len: usize, buf: *mut c_char) -> ssize_t {
    // SAFETY: forwarded contract.
    unsafe { rbd_read2(image, ofs, len, buf, 0) }
}

/// rbd_read with op flags (fadvise hints; none changes the result).
///
/// # Safety
/// As [`rbd_read`].
#[no_mangle]
pub unsafe extern "C" fn rbd_read2(
    image: rbd_image_t,
    ofs: u64,
    len: usize,
    buf: *mut c_char,
    op_flags: c_int,
) -> ssize_t {
    let _ = op_flags;
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        if buf.is_null() && len > 0 {
            return Err(Errno::EINVAL);
        }
        let data = img.wait(false, img.start_read(ofs, len as u64))?;
        // SAFETY: buf valid for len >= data.len() bytes.
        unsafe { Target(buf as usize, len).fill(&data) };
        Ok(data.len() as isize)
    })
}

/// Writes `len` bytes at `ofs`; returns the bytes written.
///
/// # Safety
/// `image` from rbd_open; `buf` valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rbd_write(image: rbd_image_t, ofs: u64, len: usize, buf: *const c_char) -> ssize_t {
    // SAFETY: forwarded contract.
    unsafe { rbd_write2(image, ofs, len, buf, 0) }
}

/// rbd_write with op flags.
///
/// # Safety
/// As [`rbd_write`].
#[no_mangle]
pub unsafe extern "C" fn rbd_write2(
    image: rbd_image_t,
    ofs: u64,
    len: usize,
    buf: *const c_char,
    op_flags: c_int,
) -> ssize_t {
    guard(|| {
        // SAFETY: checked handle and buffer.
        let (img, data) = unsafe { (self::image(image)?, slice(buf, len)?.to_vec()) };
        img.wait(true, start_write_flagged(img, ofs, data, op_flags)).map(|n| n as isize)
    })
}

/// Discards (librbd's semantics: partial granules may be left alone).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_discard(image: rbd_image_t, ofs: u64, len: u64) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        img.wait(true, img.start_discard(ofs, len, false)).map(|n| n.min(i32::MAX as u64) as c_int)
    })
}

/// Zeroes exactly [ofs, ofs + len).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_write_zeroes(
    image: rbd_image_t,
    ofs: u64,
    len: usize,
    zero_flags: c_int,
    op_flags: c_int,
) -> c_int {
    let _ = (zero_flags, op_flags);
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        img.wait(true, img.start_discard(ofs, len as u64, true)).map(|n| n.min(i32::MAX as u64) as c_int)
    })
}

/// Repeats `buf` (of `data_len` bytes) over `len` bytes at `ofs`.
///
/// # Safety
/// `image` from rbd_open; `buf` valid for `data_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rbd_writesame(
    image: rbd_image_t,
    ofs: u64,
    len: usize,
    buf: *const c_char,
    data_len: usize,
    op_flags: c_int,
) -> ssize_t {
    let _ = op_flags;
    guard(|| {
        // SAFETY: checked handle and buffer.
        let (img, pattern) = unsafe { (self::image(image)?, slice(buf, data_len)?.to_vec()) };
        img.wait(true, img.start_write_same(ofs, len as u64, pattern)).map(|n| n as isize)
    })
}

/// Writes `buf` if the image holds `cmp_buf` there; on a mismatch returns
/// -EILSEQ and stores the image offset of the first difference.
///
/// # Safety
/// `image` from rbd_open; buffers valid for `len`; `mismatch_off` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_compare_and_write(
    image: rbd_image_t,
    ofs: u64,
    len: usize,
    cmp_buf: *const c_char,
    buf: *const c_char,
    mismatch_off: *mut u64,
    op_flags: c_int,
) -> ssize_t {
    let _ = op_flags;
    guard(|| {
        // SAFETY: checked handle and buffers.
        let (img, compare, data) =
            unsafe { (self::image(image)?, slice(cmp_buf, len)?.to_vec(), slice(buf, len)?.to_vec()) };
        match img.wait(true, img.start_compare_and_write(ofs, compare, data))? {
            CompareOutcome::Written => Ok(len as isize),
            CompareOutcome::Mismatch { offset } => {
                // SAFETY: checked out-pointer.
                let _ = unsafe { put(mismatch_off, offset) };
                Err(Errno::EILSEQ)
            }
        }
    })
}

/// Waits for every write acknowledged before it, then makes the store durable.
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_flush(image: rbd_image_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        img.wait(false, img.start_flush())?;
        Ok(0)
    })
}

// -- completions --

/// Creates a completion; `complete_cb(c, cb_arg)` runs when it completes.
///
/// # Safety
/// `c` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_create_completion(
    cb_arg: *mut c_void,
    complete_cb: rbd_callback_t,
    c: *mut rbd_completion_t,
) -> c_int {
    // SAFETY: checked out-pointer.
    guard(|| unsafe { put(c, Completion::create(cb_arg, complete_cb)) }.map(|_| 0))
}

/// Frees a completion (a request still running keeps its own reference).
///
/// # Safety
/// `c` from rbd_aio_create_completion, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_release(c: rbd_completion_t) {
    // SAFETY: forwarded contract.
    crate::boundary::guard(|| {
        unsafe { Completion::release(c) };
        Ok(())
    })
}

/// The result: bytes for reads and writes, 0 or a negative error.
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_get_return_value(c: rbd_completion_t) -> ssize_t {
    // SAFETY: forwarded contract.
    guard(|| Ok(unsafe { Completion::from_handle(c) }?.result().unwrap_or(0) as isize))
}

/// The argument given at creation.
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_get_arg(c: rbd_completion_t) -> *mut c_void {
    // SAFETY: forwarded contract.
    guard(|| unsafe { Completion::from_handle(c) }.map(|c| c.arg()))
}

/// 1 once complete.
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_is_complete(c: rbd_completion_t) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| Ok(c_int::from(unsafe { Completion::from_handle(c) }?.result().is_some())))
}

/// Waits for completion; unlike librbd's, not forever: -ETIMEDOUT after
/// the management timeout (client_mount_timeout, 300 s by default).
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_wait_for_complete(c: rbd_completion_t) -> c_int {
    guard(|| {
        // SAFETY: forwarded contract.
        let completion = unsafe { Completion::from_handle(c) }?;
        completion.wait(std::time::Duration::from_secs(300)).map(|_| 0)
    })
}

// -- asynchronous --

/// # Safety
/// `image` from rbd_open; `c` a live completion; `buf` valid for `len`
/// bytes until completion.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_read(
    image: rbd_image_t,
    off: u64,
    len: usize,
    buf: *mut c_char,
    c: rbd_completion_t,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rbd_aio_read2(image, off, len, buf, c, 0) }
}

/// # Safety
/// As [`rbd_aio_read`].
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_read2(
    image: rbd_image_t,
    off: u64,
    len: usize,
    buf: *mut c_char,
    c: rbd_completion_t,
    op_flags: c_int,
) -> c_int {
    let _ = op_flags;
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        if buf.is_null() && len > 0 {
            return Err(Errno::EINVAL);
        }
        let (read, target) = (img.start_read(off, len as u64), Target(buf as usize, len));
        // SAFETY: forwarded contract.
        unsafe {
            submit(img, c, async move {
                let data = read.await?;
                target.fill(&data);
                Ok(data.len() as i64)
            })
        }
    })
}

/// Reads into an iovec array.
///
/// # Safety
/// `iov` holds `iovcnt` entries valid until completion; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_readv(
    image: rbd_image_t,
    iov: *const iovec,
    iovcnt: c_int,
    off: u64,
    c: rbd_completion_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and vector.
        let (img, pieces) = unsafe { (self::image(image)?, iovecs(iov, iovcnt)?) };
        let len: usize = pieces.iter().map(|p| p.1).sum();
        let read = img.start_read(off, len as u64);
        // SAFETY: forwarded contract.
        unsafe {
            submit(img, c, async move {
                let data = read.await?;
                let mut at = 0;
                for p in &pieces {
                    let end = (at + p.1).min(data.len());
                    if at < end {
                        p.fill(&data[at..end]);
                    }
                    at += p.1;
                }
                Ok(data.len() as i64)
            })
        }
    })
}

/// # Safety
/// `image` from rbd_open; `buf` valid for `len` bytes for the call; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_write(
    image: rbd_image_t,
    off: u64,
    len: usize,
    buf: *const c_char,
    c: rbd_completion_t,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rbd_aio_write2(image, off, len, buf, c, 0) }
}

/// # Safety
/// As [`rbd_aio_write`].
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_write2(
    image: rbd_image_t,
    off: u64,
    len: usize,
    buf: *const c_char,
    c: rbd_completion_t,
    op_flags: c_int,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and buffer (copied now, as librbd does).
        let (img, data) = unsafe { (self::image(image)?, slice(buf, len)?.to_vec()) };
        let write = start_write_flagged(img, off, data, op_flags);
        // SAFETY: forwarded contract.
        unsafe { submit(img, c, async move { write.await.map(|_| 0) }) }
    })
}

/// Writes from an iovec array.
///
/// # Safety
/// `iov` holds `iovcnt` entries valid for the call; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_writev(
    image: rbd_image_t,
    iov: *const iovec,
    iovcnt: c_int,
    off: u64,
    c: rbd_completion_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and vector.
        let (img, pieces) = unsafe { (self::image(image)?, iovecs(iov, iovcnt)?) };
        let write = img.start_write(off, gather(&pieces));
        // SAFETY: forwarded contract.
        unsafe { submit(img, c, async move { write.await.map(|_| 0) }) }
    })
}

/// # Safety
/// `image` from rbd_open; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_discard(image: rbd_image_t, off: u64, len: u64, c: rbd_completion_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        let discard = img.start_discard(off, len, false);
        // SAFETY: forwarded contract.
        unsafe { submit(img, c, async move { discard.await.map(|_| 0) }) }
    })
}

/// # Safety
/// `image` from rbd_open; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_write_zeroes(
    image: rbd_image_t,
    off: u64,
    len: usize,
    c: rbd_completion_t,
    zero_flags: c_int,
    op_flags: c_int,
) -> c_int {
    let _ = (zero_flags, op_flags);
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        let zero = img.start_discard(off, len as u64, true);
        // SAFETY: forwarded contract.
        unsafe { submit(img, c, async move { zero.await.map(|_| 0) }) }
    })
}

/// # Safety
/// `image` from rbd_open; `buf` valid for `data_len` bytes for the call; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_writesame(
    image: rbd_image_t,
    off: u64,
    len: usize,
    buf: *const c_char,
    data_len: usize,
    c: rbd_completion_t,
    op_flags: c_int,
) -> c_int {
    let _ = op_flags;
    guard(|| {
        // SAFETY: checked handle and buffer.
        let (img, pattern) = unsafe { (self::image(image)?, slice(buf, data_len)?.to_vec()) };
        let write = img.start_write_same(off, len as u64, pattern);
        // SAFETY: forwarded contract.
        unsafe { submit(img, c, async move { write.await.map(|_| 0) }) }
    })
}

/// Compare-and-write from iovecs (SPDK); a mismatch completes with -EILSEQ
/// and stores the offset in `mismatch_off` (valid until completion).
///
/// # Safety
/// Vectors valid for the call; `mismatch_off` NULL or valid until
/// completion; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_compare_and_writev(
    image: rbd_image_t,
    off: u64,
    cmp_iov: *const iovec,
    cmp_iovcnt: c_int,
    iov: *const iovec,
    iovcnt: c_int,
    c: rbd_completion_t,
    mismatch_off: *mut u64,
    op_flags: c_int,
) -> c_int {
    let _ = op_flags;
    guard(|| {
        // SAFETY: checked handle and vectors.
        let (img, compare, data) =
            unsafe { (self::image(image)?, gather(&iovecs(cmp_iov, cmp_iovcnt)?), gather(&iovecs(iov, iovcnt)?)) };
        // SAFETY: forwarded contract.
        unsafe { submit_compare_and_write(img, off, compare, data, c, mismatch_off) }
    })
}

/// Compare-and-write of one buffer pair.
///
/// # Safety
/// `cmp_buf` and `buf` valid for `len` bytes for the call; `mismatch_off`
/// NULL or valid until completion; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_compare_and_write(
    image: rbd_image_t,
    off: u64,
    len: usize,
    cmp_buf: *const c_char,
    buf: *const c_char,
    c: rbd_completion_t,
    mismatch_off: *mut u64,
    op_flags: c_int,
) -> c_int {
    let _ = op_flags;
    guard(|| {
        // SAFETY: checked handle and buffers (copied now).
        let (img, compare, data) =
            unsafe { (self::image(image)?, slice(cmp_buf, len)?.to_vec(), slice(buf, len)?.to_vec()) };
        // SAFETY: forwarded contract.
        unsafe { submit_compare_and_write(img, off, compare, data, c, mismatch_off) }
    })
}

/// Completes `c` with 0, or -EILSEQ with the mismatch's offset (from the
/// request's start) stored in `mismatch_off`.
///
/// # Safety
/// `mismatch_off` NULL or valid until completion; `c` live.
unsafe fn submit_compare_and_write(
    img: &Image,
    off: u64,
    compare: Vec<u8>,
    data: Vec<u8>,
    c: rbd_completion_t,
    mismatch_off: *mut u64,
) -> Result<i32, Errno> {
    let mismatch = mismatch_off as usize;
    let caw = img.start_compare_and_write(off, compare, data);
    // SAFETY: forwarded contract.
    unsafe {
        submit(img, c, async move {
            match caw.await? {
                CompareOutcome::Written => Ok(0),
                CompareOutcome::Mismatch { offset } => {
                    if mismatch != 0 {
                        (mismatch as *mut u64).write(offset);
                    }
                    Err(Errno::EILSEQ)
                }
            }
        })
    }
}

/// Completes once every write submitted before it has, then makes the
/// store durable.
///
/// # Safety
/// `image` from rbd_open; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_flush(image: rbd_image_t, c: rbd_completion_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        let flush = img.start_flush();
        // SAFETY: forwarded contract.
        unsafe { submit(img, c, async move { flush.await.map(|()| 0) }) }
    })
}

/// Takes up to `numcomp` completed completions queued for this image
/// (with rbd_set_image_notification); returns how many.
///
/// # Safety
/// `image` from rbd_open; `comps` valid for `numcomp` entries.
#[no_mangle]
pub unsafe extern "C" fn rbd_poll_io_events(image: rbd_image_t, comps: *mut rbd_completion_t, numcomp: c_int) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        if numcomp < 0 || (numcomp > 0 && comps.is_null()) {
            return Err(Errno::EINVAL);
        }
        let mut n = 0;
        while n < numcomp {
            let Some(c) = img.events.pop() else { break };
            // SAFETY: comps valid for numcomp entries.
            unsafe { comps.add(n as usize).write(c) };
            n += 1;
        }
        Ok(n)
    })
}

/// Asks to be told of completions through `fd` (an eventfd, or a pipe),
/// once per completion, after its callback ran; they are then collected
/// with rbd_poll_io_events.
///
/// # Safety
/// `image` from rbd_open; `fd` stays open while the image is.
#[no_mangle]
pub unsafe extern "C" fn rbd_set_image_notification(image: rbd_image_t, fd: c_int, type_: c_int) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        if fd < 0 || !(1..=2).contains(&type_) {
            return Err(Errno::EINVAL);
        }
        *img.events.notify.lock().map_err(|_| Errno::EIO)? = Some((fd, type_));
        Ok(0)
    })
}
