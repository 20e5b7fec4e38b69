//! Write-op actions that guard the compound (compare-extent, version and
//! omap assertions), class calls, and omap key-range removal. Each may
//! report its own result through a `prval` out-pointer.

use crate::types::*;
use std::ffi::{c_char, c_int};

use rbdrs_client::proto::osd::OpKind;
use rbdrs_client::proto::Errno;

use super::object::data_in;
use super::write_op::write_op;
use crate::boundary::{cstr, guard};

/// Omap keys are strings here: a key that is not UTF-8 is -EINVAL.
///
/// # Safety
/// `key` readable for `len` bytes.
pub(super) unsafe fn key_in(key: *const c_char, len: usize) -> Result<String, Errno> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { data_in(key, len) }?;
    String::from_utf8(bytes.to_vec()).map_err(|_| Errno::EINVAL)
}

/// Compares `cmp_len` bytes of `cmp_buf` with the object at `off` (absent
/// bytes compare as zeros); a mismatch at byte n fails the compound with
/// -MAX_ERRNO - n (-4095 - n), also put in `prval`.
///
/// # Safety
/// `op` from rados_create_write_op; `cmp_buf` readable for `cmp_len`
/// bytes; `prval` NULL or writable until every operate has finished.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_cmpext(
    op: rados_write_op_t,
    cmp_buf: *const c_char,
    cmp_len: usize,
    off: u64,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle and buffer; prval by contract.
        let op = unsafe { write_op(op) }?;
        let kind = unsafe { data_in(cmp_buf, cmp_len) }.map(|data| OpKind::CmpExt { offset: off, data });
        unsafe { op.add_checked(kind, prval) };
        Ok(())
    })
}

/// Fails the compound unless the object's version is `ver`: -ERANGE if
/// the object is newer, -EOVERFLOW if older, -EINVAL for 0.
///
/// # Safety
/// `op` from rados_create_write_op.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_assert_version(op: rados_write_op_t, ver: u64) {
    guard(|| {
        // SAFETY: checked handle; no prval.
        unsafe { write_op(op)?.add_checked(Ok(OpKind::AssertVersion { version: ver }), std::ptr::null_mut()) };
        Ok(())
    })
}

/// Asserts omap key `key` against `val_len` bytes of `val` with
/// `comparison_operator` (LIBRADOS_CMPXATTR_OP_EQ, _GT or _LT; others
/// fail with -EINVAL); a failed assertion fails the compound with
/// -ECANCELED. An absent key compares as an empty value. `prval` gets the
/// result.
///
/// # Safety
/// `op` from rados_create_write_op; `key` a C string; `val` readable for
/// `val_len` bytes; `prval` NULL or writable until every operate finished.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_omap_cmp(
    op: rados_write_op_t,
    key: *const c_char,
    comparison_operator: u8,
    val: *const c_char,
    val_len: usize,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle, string and buffer; prval by contract.
        let op = unsafe { write_op(op) }?;
        let kind = unsafe { (cstr(key), data_in(val, val_len)) };
        let kind = kind.0.and_then(|key| {
            let assertion = (kind.1?, i32::from(comparison_operator));
            Ok(OpKind::OmapCmp { assertions: [(key.to_string(), assertion)].into_iter().collect() })
        });
        unsafe { op.add_checked(kind, prval) };
        Ok(())
    })
}

/// Removes the omap keys from `key_begin` (included) to `key_end`
/// (excluded), both given with their lengths.
///
/// # Safety
/// `op` from rados_create_write_op; the keys readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_omap_rm_range2(
    op: rados_write_op_t,
    key_begin: *const c_char,
    key_begin_len: usize,
    key_end: *const c_char,
    key_end_len: usize,
) {
    guard(|| {
        // SAFETY: checked handle and buffers.
        let op = unsafe { write_op(op) }?;
        let range = unsafe { (key_in(key_begin, key_begin_len), key_in(key_end, key_end_len)) };
        let kind = range.0.and_then(|start| Ok(OpKind::OmapRmKeyRange { start, end: range.1? }));
        unsafe { op.add_checked(kind, std::ptr::null_mut()) };
        Ok(())
    })
}

/// Calls object-class method `cls`.`method` with `in_len` bytes of input
/// as part of the compound; its output is dropped, its result goes to
/// `prval`.
///
/// # Safety
/// `op` from rados_create_write_op; `cls`, `method` C strings; `in_buf`
/// readable for `in_len` bytes; `prval` NULL or writable until every
/// operate has finished.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_exec(
    op: rados_write_op_t,
    cls: *const c_char,
    method: *const c_char,
    in_buf: *const c_char,
    in_len: usize,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle, strings and buffer; prval by contract.
        let op = unsafe { write_op(op) }?;
        let call = || -> Result<OpKind, Errno> {
            let (class, method, input) = unsafe { (cstr(cls)?, cstr(method)?, data_in(in_buf, in_len)?) };
            Ok(OpKind::Call { class: class.into(), method: method.into(), input })
        };
        unsafe { op.add_checked(call(), prval) };
        Ok(())
    })
}
