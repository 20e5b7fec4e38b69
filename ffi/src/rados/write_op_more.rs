//! More write-op actions: binary-keyed omap calls, allocation hints with
//! flags, and the synchronous allocation-hint calls.

use crate::types::*;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{c_char, c_int};

use rbdrs_client::proto::osd::OpKind;
use rbdrs_client::proto::Errno;

use super::object::{data_in, one_write, target};
use super::read_op_more::omap_cmp;
use super::write_op::write_op;
use super::write_op_guard::key_in;
use crate::boundary::{cstr, guard};

/// Fails the compound with -ECANCELED unless omap `key` (of `key_len`
/// bytes) compares to `val` by `comparison_operator`.
///
/// # Safety
/// `op` from rados_create_write_op; `key`, `val` readable for their
/// lengths; `prval` NULL or writable until every operate has finished.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_omap_cmp2(
    op: rados_write_op_t,
    key: *const c_char,
    comparison_operator: u8,
    val: *const c_char,
    key_len: usize,
    val_len: usize,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle and buffers; prval by contract.
        let op = unsafe { write_op(op) }?;
        let kind = unsafe { omap_cmp(key, key_len, comparison_operator, val, val_len) };
        unsafe { op.add_checked(kind, prval) };
        Ok(())
    })
}

/// Sets `num` omap entries, keys and values given with their lengths.
///
/// # Safety
/// `op` from rados_create_write_op; the four arrays hold `num` entries.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_omap_set2(
    op: rados_write_op_t,
    keys: *const *const c_char,
    vals: *const *const c_char,
    key_lens: *const usize,
    val_lens: *const usize,
    num: usize,
) {
    guard(|| {
        // SAFETY: checked handle and arrays.
        let op = unsafe { write_op(op) }?;
        let entries = || {
            if num > 0 && (keys.is_null() || vals.is_null() || key_lens.is_null() || val_lens.is_null()) {
                return Err(Errno::EINVAL);
            }
            let mut entries = BTreeMap::new();
            for i in 0..num {
                // SAFETY: each array holds num entries by contract.
                let (k, v) =
                    unsafe { (key_in(*keys.add(i), *key_lens.add(i))?, data_in(*vals.add(i), *val_lens.add(i))?) };
                entries.insert(k, v);
            }
            Ok(OpKind::OmapSetVals { entries })
        };
        unsafe { op.add_checked(entries(), std::ptr::null_mut()) };
        Ok(())
    })
}

/// Removes `keys_len` omap keys given with their lengths.
///
/// # Safety
/// `op` from rados_create_write_op; `keys`, `key_lens` hold `keys_len` entries.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_omap_rm_keys2(
    op: rados_write_op_t,
    keys: *const *const c_char,
    key_lens: *const usize,
    keys_len: usize,
) {
    guard(|| {
        // SAFETY: checked handle and arrays.
        let op = unsafe { write_op(op) }?;
        let set = || {
            if keys_len > 0 && (keys.is_null() || key_lens.is_null()) {
                return Err(Errno::EINVAL);
            }
            let mut set = BTreeSet::new();
            for i in 0..keys_len {
                // SAFETY: both arrays hold keys_len entries by contract.
                set.insert(unsafe { key_in(*keys.add(i), *key_lens.add(i)) }?);
            }
            Ok(OpKind::OmapRmKeys { keys: set })
        };
        unsafe { op.add_checked(set(), std::ptr::null_mut()) };
        Ok(())
    })
}

/// Hints the object's expected size, write size and access pattern
/// (LIBRADOS_ALLOC_HINT_FLAG_*) to the OSD.
///
/// # Safety
/// `op` from rados_create_write_op.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_set_alloc_hint2(
    op: rados_write_op_t,
    expected_object_size: u64,
    expected_write_size: u64,
    flags: u32,
) {
    guard(|| {
        // SAFETY: checked handle.
        let op = unsafe { write_op(op) }?;
        let kind = OpKind::SetAllocHint { expected_object_size, expected_write_size, flags };
        unsafe { op.add_checked(Ok(kind), std::ptr::null_mut()) };
        Ok(())
    })
}

/// Sends an allocation hint for `o` (creating it, as on an OSD).
///
/// # Safety
/// `io` from rados_ioctx_create; `o` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_set_alloc_hint2(
    io: rados_ioctx_t,
    o: *const c_char,
    expected_object_size: u64,
    expected_write_size: u64,
    flags: u32,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (t, name) = unsafe { (target(io)?, cstr(o)?) };
        one_write(&t, name, |op| {
            op.push(OpKind::SetAllocHint { expected_object_size, expected_write_size, flags });
        })
    })
}

/// [`rados_set_alloc_hint2`] without flags.
///
/// # Safety
/// As [`rados_set_alloc_hint2`].
#[no_mangle]
pub unsafe extern "C" fn rados_set_alloc_hint(
    io: rados_ioctx_t,
    o: *const c_char,
    expected_object_size: u64,
    expected_write_size: u64,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rados_set_alloc_hint2(io, o, expected_object_size, expected_write_size, 0) }
}
