//! Object calls added for python3-rados: compare-extent (synchronous and
//! aio), and the aio forms of the attribute, write-same and class calls.

use crate::types::*;
use std::ffi::{c_char, c_int};

use rbdrs_client::proto::osd::{ObjectOperation, OpKind};
use rbdrs_client::proto::Errno;

use super::aio::{aio_write_with, front, launch, launch_read};
use super::object::{check_write_same, data_in, exec_out, read, target, write, OutBuf};
use crate::boundary::{cstr, guard};

fn cmpext_op(off: u64, data: bytes::Bytes) -> ObjectOperation {
    let mut op = ObjectOperation::new();
    op.cmpext(off, data);
    op
}

/// Compares `cmp_len` bytes of `cmp_buf` with the object at `off` (absent
/// bytes compare as zeros): 0 if equal, -MAX_ERRNO - n (-4095 - n) for a
/// first mismatch at byte n, or the error.
///
/// # Safety
/// `io` from rados_ioctx_create; `o` a C string; `cmp_buf` readable for
/// `cmp_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_cmpext(
    io: rados_ioctx_t,
    o: *const c_char,
    cmp_buf: *const c_char,
    cmp_len: usize,
    off: u64,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle, string and buffer.
        let (t, name, data) = unsafe { (target(io)?, cstr(o)?, data_in(cmp_buf, cmp_len)?) };
        let reply = t.run_reply(read(t.io.clone(), name.into(), cmpext_op(off, data)))?;
        Errno::from_ret(reply.result.min(0))
    })
}

/// [`rados_cmpext`] with a completion, whose value is what rados_cmpext
/// returns.
///
/// # Safety
/// As [`rados_cmpext`]; `completion` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_cmpext(
    io: rados_ioctx_t,
    o: *const c_char,
    completion: rados_completion_t,
    cmp_buf: *const c_char,
    cmp_len: usize,
    off: u64,
) -> c_int {
    guard(|| {
        // SAFETY: checked buffer, handles and string.
        let data = unsafe { data_in(cmp_buf, cmp_len) }?;
        let (t, completion, name) = unsafe { front(io, completion, o) }?;
        let flow = read(t.io.clone(), name.into(), cmpext_op(off, data));
        launch_read(&t, io, &completion, flow, |reply| reply.result.min(0))
    })
}

/// Starts setting attribute `name` to `len` bytes of `buf`.
///
/// # Safety
/// `io` from rados_ioctx_create; `o` and `name` C strings; `completion` a
/// live completion; `buf` readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_setxattr(
    io: rados_ioctx_t,
    o: *const c_char,
    completion: rados_completion_t,
    name: *const c_char,
    buf: *const c_char,
    len: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked string and buffer, then checked handles.
        let (attr, value) = unsafe { (cstr(name)?, data_in(buf, len)?) };
        unsafe {
            aio_write_with(io, completion, o, |op| {
                op.set_xattr(attr, value);
            })
        }
    })
}

/// Starts removing attribute `name` (-ENOENT without the object).
///
/// # Safety
/// `io` from rados_ioctx_create; `o` and `name` C strings; `completion` a
/// live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_rmxattr(
    io: rados_ioctx_t,
    o: *const c_char,
    completion: rados_completion_t,
    name: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: checked string, then checked handles.
        let attr = unsafe { cstr(name) }?;
        unsafe {
            aio_write_with(io, completion, o, |op| {
                op.push(OpKind::RmXattr { name: attr.into() });
            })
        }
    })
}

/// Starts writing `data_len` bytes of `buf` repeated over `write_len`
/// bytes at `off`. -EINVAL at once unless `write_len` is a multiple of a
/// non-zero `data_len`.
///
/// # Safety
/// `io` from rados_ioctx_create; `oid` a C string; `completion` a live
/// completion; `buf` readable for `data_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_writesame(
    io: rados_ioctx_t,
    oid: *const c_char,
    completion: rados_completion_t,
    buf: *const c_char,
    data_len: usize,
    write_len: usize,
    off: u64,
) -> c_int {
    guard(|| {
        check_write_same(data_len, write_len)?;
        // SAFETY: checked buffer, then checked handles.
        let data = unsafe { data_in(buf, data_len) }?;
        unsafe {
            aio_write_with(io, completion, oid, |op| {
                op.write_same(off, write_len as u64, data);
            })
        }
    })
}

/// Starts object-class call `cls`.`method`; the completion's value is what
/// rados_exec returns (the output's length, copied to `buf`, or the
/// method's result). Sent as a write compound, as rados_exec.
///
/// # Safety
/// `io` from rados_ioctx_create; `o`, `cls`, `method` C strings;
/// `completion` a live completion; `in_buf` readable for `in_len` bytes;
/// `buf` writable for `out_len` bytes until the completion finishes.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_exec(
    io: rados_ioctx_t,
    o: *const c_char,
    completion: rados_completion_t,
    cls: *const c_char,
    method: *const c_char,
    in_buf: *const c_char,
    in_len: usize,
    buf: *mut c_char,
    out_len: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked strings and buffers, then checked handles.
        let (class, method, input, out) =
            unsafe { (cstr(cls)?, cstr(method)?, data_in(in_buf, in_len)?, OutBuf::new(buf, out_len)?) };
        let (t, completion, name) = unsafe { front(io, completion, o) }?;
        let mut op = ObjectOperation::new();
        op.call(class, method, input);
        let flow = write(t.io.clone(), name.into(), None, op);
        launch(&t, io, true, &completion, async move {
            let reply = flow.await;
            move || (exec_out(&reply, out).unwrap_or_else(|e| e.to_ret()), reply.version)
        })
    })
}
