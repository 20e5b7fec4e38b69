//! Live migration. librbdrs reads whether an image is migrating (cls_rbd
//! migration_get on its header): for an image that is not, every call
//! answers as librbd (-EINVAL; -ENOENT for no such image). It does not
//! prepare or run migrations: -EOPNOTSUPP where librbd would act.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void};

use rbdrs_client::proto::Errno;

use super::cstring::{check_size, release};
use super::image;
use crate::boundary::{cstr, guard};
use crate::rados::ioctx;

/// Whether image `name` in `p` is migrating (-ENOENT: no such image).
///
/// # Safety
/// `p` NULL or live; `name` NULL or a C string.
unsafe fn migrating(p: rados_ioctx_t, name: *const c_char) -> Result<bool, Errno> {
    // SAFETY: forwarded contract.
    let (io, name) = unsafe { (ioctx(p)?, cstr(name)?) };
    io.io.image_migrating(name)
}

/// execute, abort and commit: -EINVAL for an image that is not migrating.
///
/// # Safety
/// As [`migrating`].
unsafe fn step(p: rados_ioctx_t, name: *const c_char) -> Result<i32, Errno> {
    // SAFETY: forwarded contract.
    match unsafe { migrating(p, name) }? {
        false => Err(Errno::EINVAL),
        true => Err(Errno::EOPNOTSUPP),
    }
}

/// -ENOENT for no such source image; librbdrs does not migrate images.
///
/// # Safety
/// `ioctx`, `dest_ioctx` live; names C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_migration_prepare(
    ioctx: rados_ioctx_t,
    image_name: *const c_char,
    dest_ioctx: rados_ioctx_t,
    dest_image_name: *const c_char,
    opts: rbd_image_options_t,
) -> c_int {
    let _ = opts;
    guard(|| {
        // SAFETY: checked handle and string; forwarded contract.
        unsafe { (self::ioctx(dest_ioctx)?, cstr(dest_image_name)?) };
        unsafe { migrating(ioctx, image_name) }?;
        Err(Errno::EOPNOTSUPP)
    })
}

/// A spec that is not JSON is -EBADMSG, one without a type -EINVAL, as
/// librbd; librbdrs does not import images.
///
/// # Safety
/// `source_spec`, `dest_image_name` C strings; `dest_ioctx` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_migration_prepare_import(
    source_spec: *const c_char,
    dest_ioctx: rados_ioctx_t,
    dest_image_name: *const c_char,
    opts: rbd_image_options_t,
) -> c_int {
    let _ = opts;
    guard(|| {
        // SAFETY: checked handle and strings.
        let (spec, _, _) = unsafe { (cstr(source_spec)?, ioctx(dest_ioctx)?, cstr(dest_image_name)?) };
        super::token::check_source_spec(spec)?;
        Err(Errno::EOPNOTSUPP)
    })
}

/// # Safety
/// `ioctx` live; `image_name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_migration_execute(ioctx: rados_ioctx_t, image_name: *const c_char) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { step(ioctx, image_name) })
}

/// # Safety
/// As [`rbd_migration_execute`]; `cb` is never called.
#[no_mangle]
pub unsafe extern "C" fn rbd_migration_execute_with_progress(
    ioctx: rados_ioctx_t,
    image_name: *const c_char,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    let _ = (cb, cbdata);
    // SAFETY: forwarded contract.
    guard(|| unsafe { step(ioctx, image_name) })
}

/// # Safety
/// As [`rbd_migration_execute`].
#[no_mangle]
pub unsafe extern "C" fn rbd_migration_abort(ioctx: rados_ioctx_t, image_name: *const c_char) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { step(ioctx, image_name) })
}

/// # Safety
/// As [`rbd_migration_execute_with_progress`].
#[no_mangle]
pub unsafe extern "C" fn rbd_migration_abort_with_progress(
    ioctx: rados_ioctx_t,
    image_name: *const c_char,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    let _ = (cb, cbdata);
    // SAFETY: forwarded contract.
    guard(|| unsafe { step(ioctx, image_name) })
}

/// # Safety
/// As [`rbd_migration_execute`].
#[no_mangle]
pub unsafe extern "C" fn rbd_migration_commit(ioctx: rados_ioctx_t, image_name: *const c_char) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { step(ioctx, image_name) })
}

/// # Safety
/// As [`rbd_migration_execute_with_progress`].
#[no_mangle]
pub unsafe extern "C" fn rbd_migration_commit_with_progress(
    ioctx: rados_ioctx_t,
    image_name: *const c_char,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    let _ = (cb, cbdata);
    // SAFETY: forwarded contract.
    guard(|| unsafe { step(ioctx, image_name) })
}

/// -ERANGE for a wrong struct size, -EINVAL for an image that is not
/// migrating; a migration's record is not decoded (-EOPNOTSUPP).
///
/// # Safety
/// `ioctx` live; `image_name` a C string; `status` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_migration_status(
    ioctx: rados_ioctx_t,
    image_name: *const c_char,
    status: *mut rbd_image_migration_status_t,
    status_size: usize,
) -> c_int {
    guard(|| {
        check_size::<rbd_image_migration_status_t>(status_size)?;
        if status.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: forwarded contract.
        unsafe { step(ioctx, image_name) }
    })
}

/// # Safety
/// `status` NULL or filled by rbd_migration_status.
#[no_mangle]
pub unsafe extern "C" fn rbd_migration_status_cleanup(status: *mut rbd_image_migration_status_t) {
    guard(|| {
        if !status.is_null() {
            // SAFETY: per the contract.
            let s = unsafe { &mut *status };
            for p in [
                &mut s.source_pool_namespace,
                &mut s.source_image_name,
                &mut s.source_image_id,
                &mut s.dest_pool_namespace,
                &mut s.dest_image_name,
                &mut s.dest_image_id,
                &mut s.state_description,
            ] {
                release(p);
            }
        }
        Ok(())
    })
}

/// -EINVAL for an image that is not migrating, as librbd.
///
/// # Safety
/// `image` from rbd_open; `max_len` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_migration_source_spec(
    image: rbd_image_t,
    source_spec: *mut c_char,
    max_len: *mut usize,
) -> c_int {
    let _ = source_spec;
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        if max_len.is_null() {
            return Err(Errno::EINVAL);
        }
        match img.migrating()? {
            false => Err(Errno::EINVAL),
            true => Err(Errno::EOPNOTSUPP),
        }
    })
}
