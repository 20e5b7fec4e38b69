//! More read-op actions: class calls, attribute listing, omap assertions,
//! the older omap listings and binary-keyed ones.

use crate::types::*;
use std::collections::BTreeSet;
use std::ffi::{c_char, c_int};

use rbdrs_client::proto::osd::OpKind;
use rbdrs_client::proto::Errno;

use super::object::{data_in, OutBuf, OutPtr};
use super::read_op::{rados_read_op_omap_get_keys2, rados_read_op_omap_get_vals2, read_op, Listing, MallocBuf, Output};
use super::write_op_guard::key_in;
use crate::boundary::{cstr, guard};

/// A class call's arguments.
///
/// # Safety
/// C strings, and `in_buf` readable for `in_len` bytes.
unsafe fn call(
    cls: *const c_char,
    method: *const c_char,
    in_buf: *const c_char,
    in_len: usize,
) -> Result<OpKind, Errno> {
    // SAFETY: forwarded contract.
    let (class, method, input) = unsafe { (cstr(cls)?, cstr(method)?, data_in(in_buf, in_len)?) };
    Ok(OpKind::Call { class: class.into(), method: method.into(), input })
}

/// Calls class method `cls`.`method` with `in_buf`; its output is
/// malloc'ed into `*out_buf` (NULL when empty; free with
/// rados_buffer_free), its length into `*out_len`.
///
/// # Safety
/// `op` from rados_create_read_op; `cls`, `method` C strings; `in_buf`
/// readable for `in_len` bytes; the out-pointers NULL or writable until
/// every operate has finished.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_exec(
    op: rados_read_op_t,
    cls: *const c_char,
    method: *const c_char,
    in_buf: *const c_char,
    in_len: usize,
    out_buf: *mut *mut c_char,
    out_len: *mut usize,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle, strings and buffer; out-pointers by contract.
        let op = unsafe { read_op(op) }?;
        let output =
            unsafe { Output::Exec { out: OutPtr::new(out_buf.cast::<MallocBuf>()), len: OutPtr::new(out_len) } };
        unsafe { op.add(call(cls, method, in_buf, in_len), prval, output) };
        Ok(())
    })
}

/// [`rados_read_op_exec`] into the caller's `out_buf` of `out_len` bytes;
/// `*used_len` gets the output's length (-ERANGE in `*prval` when it does
/// not fit).
///
/// # Safety
/// As [`rados_read_op_exec`]; `out_buf` writable for `out_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_exec_user_buf(
    op: rados_read_op_t,
    cls: *const c_char,
    method: *const c_char,
    in_buf: *const c_char,
    in_len: usize,
    out_buf: *mut c_char,
    out_len: usize,
    used_len: *mut usize,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle, strings and buffers; out-pointers by contract.
        let op = unsafe { read_op(op) }?;
        let kind = unsafe { call(cls, method, in_buf, in_len) };
        match unsafe { OutBuf::new(out_buf, out_len) } {
            Ok(buf) => unsafe { op.add(kind, prval, Output::Data { buf, bytes_read: OutPtr::new(used_len) }) },
            Err(e) => unsafe { op.add(Err(e), prval, Output::Nothing) },
        }
        Ok(())
    })
}

/// Lists the object's attributes into a new iterator `*iter` (free it with
/// rados_getxattrs_end).
///
/// # Safety
/// `op` from rados_create_read_op; `iter` writable; `prval` NULL or
/// writable until every operate has finished.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_getxattrs(
    op: rados_read_op_t,
    iter: *mut rados_xattrs_iter_t,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle; out-pointers by contract. Attributes
        // decode as omap values by key do: a name -> value map.
        let op = unsafe { read_op(op) }?;
        unsafe { op.add_omap(iter, std::ptr::null_mut(), prval, Listing::ByKeys, || Ok(OpKind::GetXattrs)) };
        Ok(())
    })
}

/// Fails the compound with -ECANCELED unless omap `key`'s value compares
/// to `val` by `comparison_operator` (LIBRADOS_CMPXATTR_OP_*).
///
/// # Safety
/// `op` from rados_create_read_op; `key` a C string; `val` readable for
/// `val_len` bytes; `prval` NULL or writable until every operate has finished.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_omap_cmp(
    op: rados_read_op_t,
    key: *const c_char,
    comparison_operator: u8,
    val: *const c_char,
    val_len: usize,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle, string and buffer.
        let key_len = unsafe { cstr(key) }.map_or(0, str::len);
        unsafe { rados_read_op_omap_cmp2(op, key, comparison_operator, val, key_len, val_len, prval) };
        Ok(())
    })
}

/// [`rados_read_op_omap_cmp`] with the key's length.
///
/// # Safety
/// As [`rados_read_op_omap_cmp`]; `key` readable for `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_omap_cmp2(
    op: rados_read_op_t,
    key: *const c_char,
    comparison_operator: u8,
    val: *const c_char,
    key_len: usize,
    val_len: usize,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle and buffers; prval by contract.
        let op = unsafe { read_op(op) }?;
        let kind = unsafe { omap_cmp(key, key_len, comparison_operator, val, val_len) };
        unsafe { op.add(kind, prval, Output::Nothing) };
        Ok(())
    })
}

/// An omap assertion on one key.
///
/// # Safety
/// `key`, `val` readable for their lengths.
pub(super) unsafe fn omap_cmp(
    key: *const c_char,
    key_len: usize,
    op: u8,
    val: *const c_char,
    val_len: usize,
) -> Result<OpKind, Errno> {
    if key.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: forwarded contract.
    let (key, val) = unsafe { (key_in(key, key_len)?, data_in(val, val_len)?) };
    Ok(OpKind::OmapCmp { assertions: [(key, (val, i32::from(op)))].into_iter().collect() })
}

/// [`rados_read_op_omap_get_keys2`](super::read_op::rados_read_op_omap_get_keys2)
/// without the "more" flag.
///
/// # Safety
/// As rados_read_op_omap_get_keys2.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_omap_get_keys(
    op: rados_read_op_t,
    start_after: *const c_char,
    max_return: u64,
    iter: *mut rados_omap_iter_t,
    prval: *mut c_int,
) {
    // SAFETY: forwarded contract.
    unsafe { rados_read_op_omap_get_keys2(op, start_after, max_return, iter, std::ptr::null_mut(), prval) }
}

/// [`rados_read_op_omap_get_vals2`](super::read_op::rados_read_op_omap_get_vals2)
/// without the "more" flag.
///
/// # Safety
/// As rados_read_op_omap_get_vals2.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_omap_get_vals(
    op: rados_read_op_t,
    start_after: *const c_char,
    filter_prefix: *const c_char,
    max_return: u64,
    iter: *mut rados_omap_iter_t,
    prval: *mut c_int,
) {
    // SAFETY: forwarded contract.
    unsafe {
        rados_read_op_omap_get_vals2(op, start_after, filter_prefix, max_return, iter, std::ptr::null_mut(), prval)
    }
}

/// The omap entries of `num_keys` keys given with their lengths.
///
/// # Safety
/// `op` from rados_create_read_op; `keys` and `key_lens` hold `num_keys`
/// entries; `iter` writable; `prval` NULL or writable until every operate
/// has finished.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_omap_get_vals_by_keys2(
    op: rados_read_op_t,
    keys: *const *const c_char,
    num_keys: usize,
    key_lens: *const usize,
    iter: *mut rados_omap_iter_t,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle and arrays; out-pointers by contract.
        let op = unsafe { read_op(op) }?;
        unsafe {
            op.add_omap(iter, std::ptr::null_mut(), prval, Listing::ByKeys, || {
                if num_keys > 0 && (keys.is_null() || key_lens.is_null()) {
                    return Err(Errno::EINVAL);
                }
                let mut set = BTreeSet::new();
                for i in 0..num_keys {
                    // SAFETY: both arrays hold num_keys entries by contract.
                    set.insert(key_in(*keys.add(i), *key_lens.add(i))?);
                }
                Ok(OpKind::OmapGetValsByKeys { keys: set })
            })
        };
        Ok(())
    })
}
