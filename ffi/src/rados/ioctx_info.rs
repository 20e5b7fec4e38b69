//! What a pool context tells about its pool and its last op, and how it
//! sends writes: the pool's alignment (an erasure-coded pool without
//! overwrites takes appends only in whole stripes), the object version the
//! last op saw, and FULL_TRY.

use crate::types::*;
use std::ffi::c_int;

use super::ioctx;
use crate::boundary::{guard, put};

/// Sets `*req` to 1 if writes to the pool must be aligned (an
/// erasure-coded pool that does not allow overwrites), else 0.
///
/// # Safety
/// `io` from rados_ioctx_create; `req` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_pool_requires_alignment2(io: rados_ioctx_t, req: *mut c_int) -> c_int {
    guard(|| {
        // SAFETY: checked handle, then checked out-pointer.
        let (requires, _) = unsafe { ioctx(io) }?.io.alignment()?;
        unsafe { put(req, c_int::from(requires)) }?;
        Ok(0)
    })
}

/// Sets `*alignment` to the pool's stripe width: what writes must be
/// aligned to when rados_ioctx_pool_requires_alignment2 says so (0 for a
/// replicated pool).
///
/// # Safety
/// `io` from rados_ioctx_create; `alignment` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_pool_required_alignment2(io: rados_ioctx_t, alignment: *mut u64) -> c_int {
    guard(|| {
        // SAFETY: checked handle, then checked out-pointer.
        let (_, width) = unsafe { ioctx(io) }?.io.alignment()?;
        unsafe { put(alignment, width) }?;
        Ok(0)
    })
}

/// The object version the last synchronous op on `io` saw (0 before any,
/// or for a bad handle), as librados keeps it per pool context.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_get_last_version(io: rados_ioctx_t) -> u64 {
    // SAFETY: checked handle.
    guard(|| Ok(unsafe { ioctx(io) }?.last_version.load(std::sync::atomic::Ordering::Relaxed)))
}

/// Sends later writes on `io` with FULL_TRY: while the pool or cluster is
/// full they go to the OSD, which refuses them (-ENOSPC) or lets them
/// through (deletes), instead of waiting for space.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_set_pool_full_try(io: rados_ioctx_t) {
    // SAFETY: checked handle.
    guard(|| {
        unsafe { ioctx(io) }?.io.set_full_try(true);
        Ok(())
    })
}

/// Undoes [`rados_set_pool_full_try`]: writes wait for space again.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_unset_pool_full_try(io: rados_ioctx_t) {
    // SAFETY: checked handle.
    guard(|| {
        unsafe { ioctx(io) }?.io.set_full_try(false);
        Ok(())
    })
}
