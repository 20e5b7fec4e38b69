//! Long operations with librbd's progress callback: resize, flatten,
//! rollback, object-map rebuild and sparsify call it with (offset, total)
//! as they go; a negative return stops them with that error.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void};
use std::sync::Arc;

use rbdrs_client::proto::image::ProgressSink;
use rbdrs_client::proto::Errno;

use super::{image, Image};
use crate::boundary::{cstr, guard};

/// The C callback as the image layer's progress sink; None for NULL.
pub(crate) fn sink(cb: librbd_progress_fn_t, arg: *mut c_void) -> Option<ProgressSink> {
    let cb = cb?;
    let arg = arg as usize;
    // SAFETY: the caller's callback with the argument it gave for it.
    Some(ProgressSink(Arc::new(move |offset, total| unsafe { cb(offset, total, arg as *mut c_void) })))
}

/// Runs `op` on the image with the callback hearing its progress.
pub(crate) fn with_progress(
    image: rbd_image_t,
    cb: librbd_progress_fn_t,
    arg: *mut c_void,
    op: impl FnOnce(&Image) -> Result<(), Errno>,
) -> Result<i32, Errno> {
    // SAFETY: the exports' contract: a live handle.
    let img = unsafe { self::image(image) }?;
    img.with_progress(sink(cb, arg), |_| op(img))?;
    Ok(0)
}

/// Resizes; with `allow_shrink` false a smaller size is -EINVAL.
///
/// # Safety
/// `image` from rbd_open; `cb` NULL or called with `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_resize2(
    image: rbd_image_t,
    size: u64,
    allow_shrink: bool,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| with_progress(image, cb, cbdata, |img| img.resize2(size, allow_shrink)))
}

/// rbd_resize with a progress callback.
///
/// # Safety
/// As [`rbd_resize2`].
#[no_mangle]
pub unsafe extern "C" fn rbd_resize_with_progress(
    image: rbd_image_t,
    size: u64,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| with_progress(image, cb, cbdata, |img| img.resize2(size, true)))
}

/// rbd_flatten with a progress callback.
///
/// # Safety
/// `image` from rbd_open; `cb` NULL or called with `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_flatten_with_progress(
    image: rbd_image_t,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| with_progress(image, cb, cbdata, |img| img.flatten()))
}

/// rbd_snap_rollback with a progress callback.
///
/// # Safety
/// `image` from rbd_open; `snapname` a C string; `cb` NULL or called with
/// `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_rollback_with_progress(
    image: rbd_image_t,
    snapname: *const c_char,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| {
        // SAFETY: checked string.
        let name = unsafe { cstr(snapname) }?;
        with_progress(image, cb, cbdata, |img| img.snap_rollback(name))
    })
}

/// Rebuilds the object map (of the head, or the snapshot the image reads).
///
/// # Safety
/// `image` from rbd_open; `cb` NULL or called with `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_rebuild_object_map(
    image: rbd_image_t,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| with_progress(image, cb, cbdata, |img| img.rebuild_object_map()))
}

/// Deallocates zeroed runs of at least `sparse_size` bytes (a power of
/// two from 4096 to the object size; else -EINVAL).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_sparsify(image: rbd_image_t, sparse_size: usize) -> c_int {
    guard(|| with_progress(image, None, std::ptr::null_mut(), |img| img.sparsify(sparse_size as u64)))
}

/// rbd_sparsify with a progress callback.
///
/// # Safety
/// `image` from rbd_open; `cb` NULL or called with `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_sparsify_with_progress(
    image: rbd_image_t,
    sparse_size: usize,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| with_progress(image, cb, cbdata, |img| img.sparsify(sparse_size as u64)))
}
