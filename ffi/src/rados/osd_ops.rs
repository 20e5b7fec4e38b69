//! Ops the OSD computes: checksums, attribute comparisons, cache pins.

use crate::types::*;
use std::ffi::{c_char, c_int};

use rbdrs_client::proto::osd::{ObjectOperation, OpKind};
use rbdrs_client::proto::Errno;

use super::object::{data_in, one_write, read, target, OutBuf, OutPtr};
use super::read_op::{read_op, Output};
use super::write_op::write_op;
use crate::boundary::{cstr, guard};

/// librados's get_checksum_op_type: the op's type byte (an unknown one
/// goes as 255, which the OSD refuses).
fn checksum_type(kind: rados_checksum_type_t) -> u8 {
    u8::try_from(kind as u32).ok().filter(|k| *k <= 2).unwrap_or(u8::MAX)
}

/// # Safety
/// `init` readable for `init_len` bytes.
unsafe fn checksum_op(
    kind: rados_checksum_type_t,
    init: *const c_char,
    init_len: usize,
    offset: u64,
    len: u64,
    chunk_size: usize,
) -> Result<OpKind, Errno> {
    // SAFETY: forwarded contract.
    let init = unsafe { data_in(init, init_len) }?;
    let chunk_size = u32::try_from(chunk_size).map_err(|_| Errno::EINVAL)?;
    Ok(OpKind::Checksum { kind: checksum_type(kind), offset, length: len, chunk_size, init })
}

/// Checksums `len` bytes at `off` of `o` (0 and 0: the whole object) in
/// chunks of `chunk_size` (0: one), each starting from `init_value`;
/// `pchecksum` gets the count (le32) and the checksums. -ERANGE when
/// `checksum_len` is too short, -EDOM for `len` over INT_MAX.
///
/// # Safety
/// `io` from rados_ioctx_create; `o` a C string; `init_value` readable
/// for `init_value_len` bytes; `pchecksum` writable for `checksum_len`.
#[no_mangle]
pub unsafe extern "C" fn rados_checksum(
    io: rados_ioctx_t,
    o: *const c_char,
    kind: rados_checksum_type_t,
    init_value: *const c_char,
    init_value_len: usize,
    len: usize,
    off: u64,
    chunk_size: usize,
    pchecksum: *mut c_char,
    checksum_len: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle, string and buffers.
        let (t, name) = unsafe { (target(io)?, cstr(o)?) };
        let kind = unsafe { checksum_op(kind, init_value, init_value_len, off, len as u64, chunk_size) }?;
        let out = unsafe { OutBuf::new(pchecksum, checksum_len) }?;
        if len > i32::MAX as usize {
            return Err(Errno::EDOM);
        }
        let mut op = ObjectOperation::new();
        op.push(kind);
        let reply = t.run(read(t.io.clone(), name.into(), op))?;
        out.fill(reply.out(0)?)?;
        Ok(0)
    })
}

/// [`rados_checksum`] as a read-op action; `pchecksum` NULL skips the
/// output, a short one puts -ERANGE in `*prval`.
///
/// # Safety
/// `op` from rados_create_read_op; as [`rados_checksum`] for the buffers,
/// which stay valid (with `prval`) until every operate has finished.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_checksum(
    op: rados_read_op_t,
    kind: rados_checksum_type_t,
    init_value: *const c_char,
    init_value_len: usize,
    offset: u64,
    len: usize,
    chunk_size: usize,
    pchecksum: *mut c_char,
    checksum_len: usize,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle and buffers; out-pointers by contract.
        let op = unsafe { read_op(op) }?;
        let kind = unsafe { checksum_op(kind, init_value, init_value_len, offset, len as u64, chunk_size) };
        let output = match pchecksum.is_null() {
            true => Ok(Output::Nothing),
            false => unsafe { OutBuf::new(pchecksum, checksum_len) }
                .map(|buf| Output::Data { buf, bytes_read: unsafe { OutPtr::new(std::ptr::null_mut()) } }),
        };
        match output {
            Ok(output) => unsafe { op.add(kind, prval, output) },
            Err(e) => unsafe { op.add(Err(e), prval, Output::Nothing) },
        }
        Ok(())
    })
}

/// # Safety
/// `name` a C string; `value` readable for `value_len` bytes.
unsafe fn cmpxattr_op(name: *const c_char, op: u8, value: *const c_char, value_len: usize) -> Result<OpKind, Errno> {
    // SAFETY: forwarded contract.
    let (name, value) = unsafe { (cstr(name)?, data_in(value, value_len)?) };
    // librados compares attributes as strings (CEPH_OSD_CMPXATTR_MODE_STRING).
    Ok(OpKind::CmpXattr { name: name.into(), op, mode: 1, value })
}

/// Fails the compound with -ECANCELED unless `value` compares to attribute
/// `name` (absent: empty) by `comparison_operator`.
///
/// # Safety
/// `op` from rados_create_read_op; `name` a C string; `value` readable for
/// `value_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_cmpxattr(
    op: rados_read_op_t,
    name: *const c_char,
    comparison_operator: u8,
    value: *const c_char,
    value_len: usize,
) {
    guard(|| {
        // SAFETY: checked handle, string and buffer.
        let op = unsafe { read_op(op) }?;
        let kind = unsafe { cmpxattr_op(name, comparison_operator, value, value_len) };
        unsafe { op.add(kind, std::ptr::null_mut(), Output::Nothing) };
        Ok(())
    })
}

/// [`rados_read_op_cmpxattr`] guarding a write op.
///
/// # Safety
/// `op` from rados_create_write_op; as [`rados_read_op_cmpxattr`].
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_cmpxattr(
    op: rados_write_op_t,
    name: *const c_char,
    comparison_operator: u8,
    value: *const c_char,
    value_len: usize,
) {
    guard(|| {
        // SAFETY: checked handle, string and buffer.
        let op = unsafe { write_op(op) }?;
        let kind = unsafe { cmpxattr_op(name, comparison_operator, value, value_len) };
        unsafe { op.add_checked(kind, std::ptr::null_mut()) };
        Ok(())
    })
}

/// Pins `o` in its cache tier (-EINVAL in a pool that is none, as the OSD
/// answers; the embedded store has no tiers).
///
/// # Safety
/// `io` from rados_ioctx_create; `o` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_cache_pin(io: rados_ioctx_t, o: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (t, name) = unsafe { (target(io)?, cstr(o)?) };
        one_write(&t, name, |op| {
            op.push(OpKind::CachePin { pin: true });
        })
    })
}

/// Unpins `o`: as [`rados_cache_pin`].
///
/// # Safety
/// As [`rados_cache_pin`].
#[no_mangle]
pub unsafe extern "C" fn rados_cache_unpin(io: rados_ioctx_t, o: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (t, name) = unsafe { (target(io)?, cstr(o)?) };
        one_write(&t, name, |op| {
            op.push(OpKind::CachePin { pin: false });
        })
    })
}
