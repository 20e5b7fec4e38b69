//! More pool-context settings: the locator key, the namespace as text,
//! and librados's retired pool-owner and alignment calls.

use crate::types::*;
use std::ffi::{c_char, c_int, c_uint};

use rbdrs_client::proto::Errno;

use super::ioctx;
use super::ioctx_info::{rados_set_pool_full_try, rados_unset_pool_full_try};
use super::rados_blocklist_add;
use crate::boundary::{guard, opt_cstr, put_cstr};

/// Places later operations' objects by `key` rather than by their names
/// (NULL or "": by name again), as librados's object locator key.
///
/// # Safety
/// `io` from rados_ioctx_create; `key` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_locator_set_key(io: rados_ioctx_t, key: *const c_char) {
    guard(|| {
        // SAFETY: checked handle and string.
        if let (Ok(io), Ok(key)) = unsafe { (ioctx(io), opt_cstr(key)) } {
            io.io.set_locator_key(key.unwrap_or(""));
        }
        Ok(())
    })
}

/// The context's namespace into `s`; its length, or -ERANGE when it does
/// not fit with its NUL.
///
/// # Safety
/// `io` from rados_ioctx_create; `s` valid for `maxlen` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_get_namespace(io: rados_ioctx_t, s: *mut c_char, maxlen: c_uint) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let ns = unsafe { ioctx(io) }?.io.namespace();
        // SAFETY: forwarded contract.
        unsafe { put_cstr(s, maxlen as usize, &ns, std::ptr::null_mut()) }?;
        c_int::try_from(ns.len()).map_err(|_| Errno::ERANGE)
    })
}

/// Pools have had no owner since Nautilus: librados answers -EOPNOTSUPP.
///
/// # Safety
/// Any arguments.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_pool_set_auid(io: rados_ioctx_t, auid: u64) -> c_int {
    let _ = (io, auid);
    guard(|| Err::<c_int, _>(Errno::EOPNOTSUPP))
}

/// As [`rados_ioctx_pool_set_auid`]: -EOPNOTSUPP, `auid` untouched.
///
/// # Safety
/// Any arguments.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_pool_get_auid(io: rados_ioctx_t, auid: *mut u64) -> c_int {
    let _ = (io, auid);
    guard(|| Err::<c_int, _>(Errno::EOPNOTSUPP))
}

/// 1 if writes to the pool must be aligned, 0 if not, or a negative error.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_pool_requires_alignment(io: rados_ioctx_t) -> c_int {
    // SAFETY: checked handle.
    guard(|| Ok(c_int::from(unsafe { ioctx(io) }?.io.alignment()?.0)))
}

/// The pool's required alignment (0 when none, or on error).
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_pool_required_alignment(io: rados_ioctx_t) -> u64 {
    // SAFETY: checked handle.
    guard(|| Ok(unsafe { ioctx(io) }?.io.alignment()?.1))
}

/// The old name of rados_set_pool_full_try.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_set_osdmap_full_try(io: rados_ioctx_t) {
    // SAFETY: forwarded contract.
    unsafe { rados_set_pool_full_try(io) }
}

/// The old name of rados_unset_pool_full_try.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_unset_osdmap_full_try(io: rados_ioctx_t) {
    // SAFETY: forwarded contract.
    unsafe { rados_unset_pool_full_try(io) }
}

/// The old name of rados_blocklist_add.
///
/// # Safety
/// As rados_blocklist_add.
#[no_mangle]
pub unsafe extern "C" fn rados_blacklist_add(
    cluster: rados_t,
    client_address: *mut c_char,
    expire_seconds: u32,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rados_blocklist_add(cluster, client_address, expire_seconds) }
}

/// The pre-Hammer listing API, gone from librados: -ENOTSUP.
///
/// # Safety
/// Any arguments.
#[no_mangle]
pub unsafe extern "C" fn rados_objects_list_open(io: rados_ioctx_t, ctx: *mut rados_list_ctx_t) -> c_int {
    let _ = (io, ctx);
    guard(|| Err::<c_int, _>(Errno::EOPNOTSUPP))
}

/// Gone from librados: 0.
///
/// # Safety
/// Any arguments.
#[no_mangle]
pub unsafe extern "C" fn rados_objects_list_get_pg_hash_position(ctx: rados_list_ctx_t) -> u32 {
    let _ = ctx;
    guard(|| Ok::<u64, Errno>(0)) as u32
}

/// Gone from librados: 0.
///
/// # Safety
/// Any arguments.
#[no_mangle]
pub unsafe extern "C" fn rados_objects_list_seek(ctx: rados_list_ctx_t, pos: u32) -> u32 {
    let _ = (ctx, pos);
    guard(|| Ok::<u64, Errno>(0)) as u32
}

/// Gone from librados: -ENOTSUP.
///
/// # Safety
/// Any arguments.
#[no_mangle]
pub unsafe extern "C" fn rados_objects_list_next(
    ctx: rados_list_ctx_t,
    entry: *mut *const c_char,
    key: *mut *const c_char,
) -> c_int {
    let _ = (ctx, entry, key);
    guard(|| Err::<c_int, _>(Errno::EOPNOTSUPP))
}

/// Gone from librados: does nothing.
///
/// # Safety
/// Any arguments.
#[no_mangle]
pub unsafe extern "C" fn rados_objects_list_close(ctx: rados_list_ctx_t) {
    let _ = ctx;
    guard(|| Ok(()))
}
