//! Copying images (rbd_copy*, rbd_copy_with_progress*, rbd_deep_copy*).

use crate::types::*;
use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, c_void};

use rbdrs_client::image::copy::CopyRequest;
use rbdrs_client::image::pool::Progress;
use rbdrs_client::proto::Errno;

use super::admin::{
    image_options, options, OptValue, OPT_FEATURES, OPT_FORMAT, OPT_ORDER, OPT_STRIPE_COUNT, OPT_STRIPE_UNIT,
};
use super::image;
use super::trash::{no_progress, progress};
use crate::boundary::{cstr, guard};
use crate::rados::ioctx;

// RBD_IMAGE_OPTION_* copies look at beyond what create takes.
const OPT_FLATTEN: c_int = 11;
const OPT_CLONE_FORMAT: c_int = 12;

/// What the caller's options ask for (none: all defaults).
fn request(opts: rbd_image_options_t, sparse_size: usize) -> Result<CopyRequest, Errno> {
    let given = match opts.is_null() {
        true => BTreeMap::new(),
        // SAFETY: the exports' contract: a live options handle.
        false => unsafe { options(opts) }?.values.lock().map_err(|_| Errno::EIO)?.clone(),
    };
    Ok(CopyRequest {
        options: image_options(&given),
        flatten: match given.get(&OPT_FLATTEN) {
            Some(OptValue::U64(v)) => Some(*v),
            _ => None,
        },
        clone_format: given.contains_key(&OPT_CLONE_FORMAT),
        sparse_size: sparse_size as u64,
    })
}

/// librbd fills the geometry it chose into the caller's options.
fn report_back(opts: rbd_image_options_t, img: rbd_image_t) -> Result<(), Errno> {
    if opts.is_null() {
        return Ok(());
    }
    // SAFETY: the exports' contract: live handles.
    let (opts, img) = unsafe { (options(opts)?, image(img)?) };
    let ictx = img.ctx()?;
    let mut values = opts.values.lock().map_err(|_| Errno::EIO)?;
    let chosen = [
        (OPT_FORMAT, 2),
        (OPT_STRIPE_UNIT, ictx.layout.stripe_unit()),
        (OPT_STRIPE_COUNT, ictx.layout.stripe_count()),
        (OPT_ORDER, u64::from(ictx.layout.object_size().trailing_zeros())),
        (OPT_FEATURES, ictx.features & !rbdrs_client::proto::cls::rbd::types::RBD_FEATURES_INTERNAL),
    ];
    for (option, value) in chosen {
        values.entry(option).or_insert(OptValue::U64(value));
    }
    Ok(())
}

fn copy(
    img: rbd_image_t,
    dest: rados_ioctx_t,
    name: *const c_char,
    opts: rbd_image_options_t,
    sparse_size: usize,
    progress: Progress,
    deep: bool,
) -> Result<c_int, Errno> {
    // SAFETY: the exports' contract: live handles and a C string.
    let (src, dest, name) = unsafe { (image(img)?, ioctx(dest)?, cstr(name)?) };
    let req = request(opts, sparse_size)?;
    let result = match deep {
        false => src.copy_to(&dest.io, name, &req, &*progress),
        true => src.deep_copy_to(&dest.io, name, &req, &*progress),
    };
    report_back(opts, img)?;
    result.map(|()| 0)
}

fn copy2(src: rbd_image_t, dest: rbd_image_t, progress: Progress) -> Result<c_int, Errno> {
    // SAFETY: the exports' contract: live handles.
    let (src, dest) = unsafe { (image(src)?, image(dest)?) };
    src.copy_into(dest, &*progress).map(|()| 0)
}

/// Copies the image (as this handle reads it) to a new image `destname`
/// with the same size, features and layout, and its metadata.
///
/// # Safety
/// `image` and `dest_io_ctx` live; `destname` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_copy(image: rbd_image_t, dest_io_ctx: rados_ioctx_t, destname: *const c_char) -> c_int {
    guard(|| copy(image, dest_io_ctx, destname, std::ptr::null_mut(), 0, no_progress(), false))
}

/// Copies into an existing image at least as large (-EINVAL otherwise).
///
/// # Safety
/// `src` and `dest` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_copy2(src: rbd_image_t, dest: rbd_image_t) -> c_int {
    guard(|| copy2(src, dest, no_progress()))
}

/// # Safety
/// As [`rbd_copy`]; `dest_opts` from rbd_image_options_create.
#[no_mangle]
pub unsafe extern "C" fn rbd_copy3(
    src: rbd_image_t,
    dest_io_ctx: rados_ioctx_t,
    destname: *const c_char,
    dest_opts: rbd_image_options_t,
) -> c_int {
    guard(|| copy(src, dest_io_ctx, destname, checked(dest_opts)?, 0, no_progress(), false))
}

/// Zero runs of `sparse_size` bytes are left unwritten.
///
/// # Safety
/// As [`rbd_copy3`].
#[no_mangle]
pub unsafe extern "C" fn rbd_copy4(
    src: rbd_image_t,
    dest_io_ctx: rados_ioctx_t,
    destname: *const c_char,
    dest_opts: rbd_image_options_t,
    sparse_size: usize,
) -> c_int {
    guard(|| copy(src, dest_io_ctx, destname, checked(dest_opts)?, sparse_size, no_progress(), false))
}

/// The options argument of the *3/*4 forms: NULL is -EINVAL.
fn checked(opts: rbd_image_options_t) -> Result<rbd_image_options_t, Errno> {
    // SAFETY: the exports' contract.
    unsafe { options(opts) }.map(|_| opts)
}

/// # Safety
/// As [`rbd_copy`]; `cb` NULL or callable with `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_copy_with_progress(
    image: rbd_image_t,
    dest_p: rados_ioctx_t,
    destname: *const c_char,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| copy(image, dest_p, destname, std::ptr::null_mut(), 0, progress(cb, cbdata), false))
}

/// # Safety
/// As [`rbd_copy2`]; `cb` NULL or callable with `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_copy_with_progress2(
    src: rbd_image_t,
    dest: rbd_image_t,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| copy2(src, dest, progress(cb, cbdata)))
}

/// # Safety
/// As [`rbd_copy3`]; `cb` NULL or callable with `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_copy_with_progress3(
    image: rbd_image_t,
    dest_p: rados_ioctx_t,
    destname: *const c_char,
    dest_opts: rbd_image_options_t,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| copy(image, dest_p, destname, checked(dest_opts)?, 0, progress(cb, cbdata), false))
}

/// # Safety
/// As [`rbd_copy4`]; `cb` NULL or callable with `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_copy_with_progress4(
    image: rbd_image_t,
    dest_p: rados_ioctx_t,
    destname: *const c_char,
    dest_opts: rbd_image_options_t,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
    sparse_size: usize,
) -> c_int {
    guard(|| copy(image, dest_p, destname, checked(dest_opts)?, sparse_size, progress(cb, cbdata), false))
}

/// Copies the image with its snapshots (and a clone's parent link unless
/// RBD_IMAGE_OPTION_FLATTEN is set).
///
/// # Safety
/// As [`rbd_copy3`].
#[no_mangle]
pub unsafe extern "C" fn rbd_deep_copy(
    src: rbd_image_t,
    dest_io_ctx: rados_ioctx_t,
    destname: *const c_char,
    dest_opts: rbd_image_options_t,
) -> c_int {
    guard(|| copy(src, dest_io_ctx, destname, checked(dest_opts)?, 0, no_progress(), true))
}

/// # Safety
/// As [`rbd_deep_copy`]; `cb` NULL or callable with `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_deep_copy_with_progress(
    image: rbd_image_t,
    dest_io_ctx: rados_ioctx_t,
    destname: *const c_char,
    dest_opts: rbd_image_options_t,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| copy(image, dest_io_ctx, destname, checked(dest_opts)?, 0, progress(cb, cbdata), true))
}
