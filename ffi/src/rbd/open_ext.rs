//! Opening an image by id, and opening and closing asynchronously
//! (rbd_open_by_id*, rbd_aio_open*, rbd_aio_close).

use crate::types::*;
use std::ffi::{c_char, c_int};
use std::sync::Arc;

use rbdrs_client::proto::Errno;

use super::completion::Completion;
use super::{image, Events, Image};
use crate::boundary::{cstr, guard, opt_cstr, put};
use crate::handle;
use crate::rados::ioctx;

/// Opens by name or by id and hands the handle over through `out`.
fn open_into(
    io: rados_ioctx_t,
    key: *const c_char,
    by_id: bool,
    out: *mut rbd_image_t,
    snap: *const c_char,
    read_only: bool,
) -> Result<i32, Errno> {
    // SAFETY: checked strings (the exports' contracts).
    let (key, snap) = unsafe { (cstr(key)?, opt_cstr(snap)?) };
    open_str(io, key, by_id, out, snap, read_only)
}

fn open_str(
    io: rados_ioctx_t,
    key: &str,
    by_id: bool,
    out: *mut rbd_image_t,
    snap: Option<&str>,
    read_only: bool,
) -> Result<i32, Errno> {
    // SAFETY: checked handle (the exports' contracts).
    let pool = unsafe { ioctx(io) }?;
    if out.is_null() {
        return Err(Errno::EINVAL);
    }
    let image = match by_id {
        true => rbdrs_client::Image::open_by_id(&pool.io, key, snap, read_only)?,
        false => rbdrs_client::Image::open(&pool.io, key, snap, read_only)?,
    };
    // SAFETY: checked non-NULL, writable by the contract.
    unsafe { put(out, Image::give(image)) }?;
    Ok(0)
}

/// Opens the image with id `id` read-write (read-only at `snap_name`).
///
/// # Safety
/// `io` from rados_ioctx_create; `id` a C string; `image` writable;
/// `snap_name` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_open_by_id(
    io: rados_ioctx_t,
    id: *const c_char,
    image: *mut rbd_image_t,
    snap_name: *const c_char,
) -> c_int {
    guard(|| open_into(io, id, true, image, snap_name, false))
}

/// Opens the image with id `id` read-only.
///
/// # Safety
/// As [`rbd_open_by_id`].
#[no_mangle]
pub unsafe extern "C" fn rbd_open_by_id_read_only(
    io: rados_ioctx_t,
    id: *const c_char,
    image: *mut rbd_image_t,
    snap_name: *const c_char,
) -> c_int {
    guard(|| open_into(io, id, true, image, snap_name, true))
}

/// What an asynchronous open needs on its thread.
struct AioOpen {
    io: usize,
    key: String,
    snap: Option<String>,
    out: usize,
}

/// Starts an open on its own thread; `c` completes with 0 (and `*image`
/// set) or the error, as librbd's C_OpenComplete does.
fn aio_open(
    io: rados_ioctx_t,
    key: *const c_char,
    by_id: bool,
    out: *mut rbd_image_t,
    snap: *const c_char,
    read_only: bool,
    c: rbd_completion_t,
) -> Result<i32, Errno> {
    // SAFETY: checked handle and strings (the exports' contracts).
    let (key, snap) = unsafe { (ioctx(io).map(drop).and_then(|()| cstr(key))?, opt_cstr(snap)?) };
    if out.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: the exports' contract: a live completion.
    let completion = unsafe { Completion::from_handle(c) }?;
    let job = AioOpen { io: io as usize, key: key.to_string(), snap: snap.map(str::to_string), out: out as usize };
    spawn(completion, move || {
        let (io, out) = (job.io as rados_ioctx_t, job.out as *mut rbd_image_t);
        open_str(io, &job.key, by_id, out, job.snap.as_deref(), read_only).map(i64::from)
    })
}

/// Runs `work` on a thread of its own and completes `completion` with its
/// result (a blocking call cannot run on the runtime's thread).
fn spawn(
    completion: Arc<Completion>,
    work: impl FnOnce() -> Result<i64, Errno> + Send + 'static,
) -> Result<i32, Errno> {
    let done = completion.clone();
    let started = std::thread::Builder::new().name("rbdrs-aio-open".into()).spawn(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or(Err(Errno::EIO));
        done.complete(result.unwrap_or_else(|e| i64::from(e.to_ret())), &Events::default());
    });
    started.map_err(|_| Errno::EAGAIN)?;
    Ok(0)
}

/// Opens image `name` in the background; `c` tells when it is done.
///
/// # Safety
/// `io` from rados_ioctx_create, alive until `c` completes; `name` a C
/// string; `image` writable until then; `snap_name` NULL or a C string;
/// `c` from rbd_aio_create_completion.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_open(
    io: rados_ioctx_t,
    name: *const c_char,
    image: *mut rbd_image_t,
    snap_name: *const c_char,
    c: rbd_completion_t,
) -> c_int {
    guard(|| aio_open(io, name, false, image, snap_name, false, c))
}

/// rbd_aio_open, read-only.
///
/// # Safety
/// As [`rbd_aio_open`].
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_open_read_only(
    io: rados_ioctx_t,
    name: *const c_char,
    image: *mut rbd_image_t,
    snap_name: *const c_char,
    c: rbd_completion_t,
) -> c_int {
    guard(|| aio_open(io, name, false, image, snap_name, true, c))
}

/// rbd_aio_open by image id.
///
/// # Safety
/// As [`rbd_aio_open`], `id` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_open_by_id(
    io: rados_ioctx_t,
    id: *const c_char,
    image: *mut rbd_image_t,
    snap_name: *const c_char,
    c: rbd_completion_t,
) -> c_int {
    guard(|| aio_open(io, id, true, image, snap_name, false, c))
}

/// rbd_aio_open by image id, read-only.
///
/// # Safety
/// As [`rbd_aio_open_by_id`].
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_open_by_id_read_only(
    io: rados_ioctx_t,
    id: *const c_char,
    image: *mut rbd_image_t,
    snap_name: *const c_char,
    c: rbd_completion_t,
) -> c_int {
    guard(|| aio_open(io, id, true, image, snap_name, true, c))
}

/// Closes the image in the background; `c` completes with close's result.
/// The handle must not be used once this returns 0.
///
/// # Safety
/// `image` from rbd_open; `c` from rbd_aio_create_completion.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_close(image: rbd_image_t, c: rbd_completion_t) -> c_int {
    guard(|| {
        // SAFETY: checked handles (the export's contract).
        unsafe { self::image(image) }?;
        // SAFETY: as above.
        let completion = unsafe { Completion::from_handle(c) }?;
        let handle = image as usize;
        spawn(completion, move || {
            let image = handle as rbd_image_t;
            // SAFETY: checked above; C gave the handle up to this call.
            let result = unsafe { self::image(image) }?.image.close();
            // SAFETY: as above; nothing uses the handle afterwards.
            let boxed = unsafe { handle::free(image) };
            if boxed.as_ref().is_some_and(|img| !img.is_idle()) {
                std::mem::forget(boxed);
            }
            result.map(|()| 0)
        })
    })
}
