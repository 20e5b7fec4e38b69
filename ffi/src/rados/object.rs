//! librados object IO on a pool context: synchronous reads, writes,
//! attributes and object-class calls, and the cluster-wide calls that list
//! pools and name this client. Also the pieces the aio and compound-op
//! exports share: resolving a pool context, copying buffers in from C, and
//! out-pointers a finished operation fills.
//!
//! Every synchronous call waits at most the connection's op timeout
//! (rados_osd_op_timeout) and returns -ETIMEDOUT after it. Reads go to the
//! context's read snapshot (rados_ioctx_snap_set_read), writes carry its
//! snap context (rados_ioctx_selfmanaged_snap_set_write_ctx).

use crate::types::*;
use std::ffi::{c_char, c_int, c_long};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use rbdrs_client::proto::encoding::{decode_exact, UtcTime};
use rbdrs_client::proto::image::IoCtx;
use rbdrs_client::proto::osd::{ObjectOperation, ObjectReply, ObjectRequest, SnapId, StatOut};
use rbdrs_client::proto::rados::{Reply, Request};
use rbdrs_client::proto::Errno;

use super::{cluster, ioctx, Cluster, Connection};
use crate::boundary::{cstr, guard};

/// A pool context resolved for one call: the connection to wait on and a
/// snapshot of the context (pool, namespace, client) the call addresses.
pub(super) struct Target {
    pub conn: Arc<Connection>,
    pub io: IoCtx,
    last_version: Arc<AtomicU64>,
}

impl Target {
    /// Runs `flow` and waits for it with the op timeout; the reply's error
    /// as Err.
    pub fn run(&self, flow: impl Future<Output = ObjectReply> + Send + 'static) -> Result<ObjectReply, Errno> {
        let reply = self.run_reply(flow)?;
        reply.errno()?;
        Ok(reply)
    }

    /// Runs `flow` and waits for it; the reply, failed or not. Its object
    /// version becomes the context's last version, as librados records it
    /// after every synchronous op.
    pub fn run_reply(&self, flow: impl Future<Output = ObjectReply> + Send + 'static) -> Result<ObjectReply, Errno> {
        let reply = self.conn.run_io(flow)?;
        self.last_version.store(reply.version, Ordering::Relaxed);
        Ok(reply)
    }
}

/// Resolves a pool context handle.
///
/// # Safety
/// `io` is NULL or a live handle from rados_ioctx_create.
pub(super) unsafe fn target(io: rados_ioctx_t) -> Result<Target, Errno> {
    // SAFETY: forwarded contract; the magic check catches stale handles.
    let pool = unsafe { ioctx(io) }?;
    Ok(Target { conn: pool.conn().clone(), io: pool.io.core(), last_version: pool.last_version.clone() })
}

/// librados refuses data buffers over UINT_MAX/2 bytes with -E2BIG.
pub(super) fn check_data_len(len: usize) -> Result<(), Errno> {
    if len > (u32::MAX / 2) as usize {
        return Err(Errno::E2BIG);
    }
    Ok(())
}

/// librados checks a write-same before sending it: -E2BIG for sizes over
/// UINT_MAX/2, -EINVAL unless `write_len` is a multiple of a non-zero
/// `data_len`.
pub(super) fn check_write_same(data_len: usize, write_len: usize) -> Result<(), Errno> {
    check_data_len(data_len)?;
    check_data_len(write_len)?;
    if data_len == 0 || !write_len.is_multiple_of(data_len) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Copies `len` bytes in from C. NULL is allowed only when `len` is 0.
///
/// # Safety
/// `buf` is NULL or valid for reading `len` bytes.
pub(super) unsafe fn data_in(buf: *const c_char, len: usize) -> Result<Bytes, Errno> {
    if len == 0 {
        return Ok(Bytes::new());
    }
    if buf.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: non-NULL and readable for len bytes by the caller's contract.
    Ok(Bytes::copy_from_slice(unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) }))
}

/// A caller's buffer an operation copies its result into, perhaps later
/// and on the executor thread.
#[derive(Clone, Copy, Debug)]
pub(super) struct OutBuf {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the buffer belongs to the C caller, who keeps it valid and
// untouched until the operation finished (librados's contract); only the
// operation writes it.
unsafe impl Send for OutBuf {}

impl OutBuf {
    /// # Safety
    /// `buf` is NULL or valid for writing `len` bytes until the operation
    /// that fills it has finished. NULL is allowed only when `len` is 0.
    pub unsafe fn new(buf: *mut c_char, len: usize) -> Result<OutBuf, Errno> {
        if buf.is_null() && len > 0 {
            return Err(Errno::EINVAL);
        }
        Ok(OutBuf { ptr: buf.cast::<u8>(), len })
    }

    /// Copies `data` in; -ERANGE (nothing copied) if it does not fit.
    pub fn fill(&self, data: &[u8]) -> Result<usize, Errno> {
        if data.len() > self.len {
            return Err(Errno::ERANGE);
        }
        if !data.is_empty() {
            // SAFETY: ptr is valid for len >= data.len() bytes (see new).
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr, data.len()) };
        }
        Ok(data.len())
    }
}

/// An optional out-parameter (NULL: the caller does not want the value).
#[derive(Debug)]
pub(super) struct OutPtr<T>(*mut T);

impl<T> Clone for OutPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for OutPtr<T> {}

// SAFETY: as for OutBuf: the caller keeps the target valid until the
// operation has finished, and only the operation writes it.
unsafe impl<T: Send> Send for OutPtr<T> {}

impl<T> OutPtr<T> {
    /// # Safety
    /// `ptr` is NULL or valid for writing a `T` until the operation that
    /// fills it has finished.
    pub unsafe fn new(ptr: *mut T) -> OutPtr<T> {
        OutPtr(ptr)
    }

    pub fn set(&self, value: T) {
        if !self.0.is_null() {
            // SAFETY: non-NULL and writable (see new).
            unsafe { self.0.write(value) };
        }
    }
}

/// Ceph's time as time_t.
pub(super) fn time_t(t: UtcTime) -> crate::types::time_t {
    crate::types::time_t::from(t.sec)
}

/// A time_t the caller gives as an object's mtime.
pub(super) fn utc_time(t: crate::types::time_t, nsec: c_long) -> Result<UtcTime, Errno> {
    let sec = u32::try_from(t).map_err(|_| Errno::EINVAL)?;
    let nsec = u32::try_from(nsec).ok().filter(|&n| n < 1_000_000_000).ok_or(Errno::EINVAL)?;
    Ok(UtcTime::new(sec, nsec))
}

/// A read compound at the context's read snapshot.
pub(super) async fn read(io: IoCtx, name: String, op: ObjectOperation) -> ObjectReply {
    io.read(&name, io.snap_read, op).await
}

/// A write compound with the context's snap context: `mtime` given, or
/// now. -EROFS while the context reads a snapshot, as librados.
pub(super) async fn write(io: IoCtx, name: String, mtime: Option<UtcTime>, op: ObjectOperation) -> ObjectReply {
    if !io.snap_read.is_head() {
        return ObjectReply::error(Errno::EROFS);
    }
    let mtime = mtime.unwrap_or_else(|| io.dispatcher.now());
    let req = ObjectRequest::write(io.oid(name), io.snapc.clone(), mtime, op)
        .from_client(io.client)
        .with_full_try(io.full_try);
    match io.dispatcher.submit(Request::Object(req)).await {
        Reply::Object(reply) => reply,
        _ => ObjectReply::error(Errno::EIO),
    }
}

/// Decodes a STAT op's output.
pub(super) fn stat_out(reply: &ObjectReply, index: usize) -> Result<StatOut, Errno> {
    decode_exact::<StatOut>(reply.out(index)?).map_err(|_| Errno::EIO)
}

/// The object's size; 0 when it does not exist (where an append starts).
pub(super) async fn size_for_append(io: &IoCtx, name: &str) -> Result<u64, Errno> {
    let mut op = ObjectOperation::new();
    op.stat();
    let reply = io.read(name, SnapId::HEAD, op).await;
    match reply.errno() {
        Ok(()) => stat_out(&reply, 0).map(|s| s.size),
        Err(Errno::ENOENT) => Ok(0),
        Err(e) => Err(e),
    }
}

/// Appends `data`: the current size is read first, then written at. Unlike
/// an OSD's APPEND this is two steps, so a concurrent writer of the same
/// object can land between them.
pub(super) async fn append(io: IoCtx, name: String, data: Bytes) -> ObjectReply {
    let size = match size_for_append(&io, &name).await {
        Ok(size) => size,
        Err(e) => return ObjectReply::error(e),
    };
    let mut op = ObjectOperation::new();
    op.write(size, data);
    write(io, name, None, op).await
}

pub(super) fn one_write(t: &Target, name: &str, build: impl FnOnce(&mut ObjectOperation)) -> Result<i32, Errno> {
    let mut op = ObjectOperation::new();
    build(&mut op);
    t.run(write(t.io.clone(), name.into(), None, op))?;
    Ok(0)
}

/// Writes `len` bytes at `off`, creating the object if needed; 0 on success.
///
/// # Safety
/// `io` from rados_ioctx_create; `oid` a C string; `buf` readable for `len`
/// bytes (NULL only with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn rados_write(
    io: rados_ioctx_t,
    oid: *const c_char,
    buf: *const c_char,
    len: usize,
    off: u64,
) -> c_int {
    guard(|| {
        check_data_len(len)?;
        // SAFETY: checked handle, string and buffer.
        let (t, name, data) = unsafe { (target(io)?, cstr(oid)?, data_in(buf, len)?) };
        one_write(&t, name, |op| {
            op.write(off, data);
        })
    })
}

/// Replaces the object's data with `buf`.
///
/// # Safety
/// As [`rados_write`].
#[no_mangle]
pub unsafe extern "C" fn rados_write_full(
    io: rados_ioctx_t,
    oid: *const c_char,
    buf: *const c_char,
    len: usize,
) -> c_int {
    guard(|| {
        check_data_len(len)?;
        // SAFETY: checked handle, string and buffer.
        let (t, name, data) = unsafe { (target(io)?, cstr(oid)?, data_in(buf, len)?) };
        one_write(&t, name, |op| {
            op.write_full(data);
        })
    })
}

/// Writes `data_len` bytes of `buf` repeated over `write_len` bytes at
/// `off` (`write_len` a multiple of `data_len`, else -EINVAL).
///
/// # Safety
/// As [`rados_write`], `buf` readable for `data_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_writesame(
    io: rados_ioctx_t,
    oid: *const c_char,
    buf: *const c_char,
    data_len: usize,
    write_len: usize,
    off: u64,
) -> c_int {
    guard(|| {
        check_write_same(data_len, write_len)?;
        // SAFETY: checked handle, string and buffer.
        let (t, name, data) = unsafe { (target(io)?, cstr(oid)?, data_in(buf, data_len)?) };
        one_write(&t, name, |op| {
            op.write_same(off, write_len as u64, data);
        })
    })
}

/// Appends `buf` to the object (creating it). Not atomic against another
/// writer of the same object: the size is read, then written at.
///
/// # Safety
/// As [`rados_write`].
#[no_mangle]
pub unsafe extern "C" fn rados_append(io: rados_ioctx_t, oid: *const c_char, buf: *const c_char, len: usize) -> c_int {
    guard(|| {
        check_data_len(len)?;
        // SAFETY: checked handle, string and buffer.
        let (t, name, data) = unsafe { (target(io)?, cstr(oid)?, data_in(buf, len)?) };
        t.run(append(t.io.clone(), name.into(), data))?;
        Ok(0)
    })
}

/// Reads up to `len` bytes at `off`; returns how many were read (short at
/// the end of the object), -ENOENT if the object does not exist.
///
/// # Safety
/// `io` from rados_ioctx_create; `oid` a C string; `buf` writable for `len`
/// bytes (NULL only with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn rados_read(
    io: rados_ioctx_t,
    oid: *const c_char,
    buf: *mut c_char,
    len: usize,
    off: u64,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle, string and buffer.
        let (t, name, out) = unsafe { (target(io)?, cstr(oid)?, OutBuf::new(buf, len)?) };
        let mut op = ObjectOperation::new();
        op.read(off, len as u64);
        let reply = t.run(read(t.io.clone(), name.into(), op))?;
        let n = out.fill(reply.out(0)?)?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    })
}

/// Removes the object; -ENOENT if it does not exist.
///
/// # Safety
/// `io` from rados_ioctx_create; `oid` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_remove(io: rados_ioctx_t, oid: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (t, name) = unsafe { (target(io)?, cstr(oid)?) };
        one_write(&t, name, |op| {
            op.remove();
        })
    })
}

/// Sets the object's size, cutting or zero-extending it.
///
/// # Safety
/// `io` from rados_ioctx_create; `oid` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_trunc(io: rados_ioctx_t, oid: *const c_char, size: u64) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (t, name) = unsafe { (target(io)?, cstr(oid)?) };
        one_write(&t, name, |op| {
            op.truncate(size);
        })
    })
}

fn stat_object(t: &Target, name: &str) -> Result<StatOut, Errno> {
    let mut op = ObjectOperation::new();
    op.stat();
    let reply = t.run(read(t.io.clone(), name.into(), op))?;
    stat_out(&reply, 0)
}

/// The object's size and modification time; either out-pointer may be
/// NULL. -ENOENT if the object does not exist.
///
/// # Safety
/// `io` from rados_ioctx_create; `oid` a C string; `psize` and `pmtime`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn rados_stat(
    io: rados_ioctx_t,
    oid: *const c_char,
    psize: *mut u64,
    pmtime: *mut crate::types::time_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string; out-pointers NULL or writable.
        let (t, name, psize, pmtime) = unsafe { (target(io)?, cstr(oid)?, OutPtr::new(psize), OutPtr::new(pmtime)) };
        let stat = stat_object(&t, name)?;
        psize.set(stat.size);
        pmtime.set(time_t(stat.mtime));
        Ok(0)
    })
}

/// [`rados_stat`] with the mtime as a timespec.
///
/// # Safety
/// As [`rados_stat`].
#[no_mangle]
pub unsafe extern "C" fn rados_stat2(
    io: rados_ioctx_t,
    oid: *const c_char,
    psize: *mut u64,
    pmtime: *mut crate::types::timespec,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string; out-pointers NULL or writable.
        let (t, name, psize, pmtime) = unsafe { (target(io)?, cstr(oid)?, OutPtr::new(psize), OutPtr::new(pmtime)) };
        let stat = stat_object(&t, name)?;
        psize.set(stat.size);
        pmtime.set(crate::types::timespec { tv_sec: time_t(stat.mtime), tv_nsec: stat.mtime.nsec as c_long });
        Ok(0)
    })
}

/// Reads attribute `name` into `buf`; returns its length, -ERANGE if it
/// does not fit, -ENODATA if the object has no such attribute.
///
/// # Safety
/// `io` from rados_ioctx_create; `o` and `name` C strings; `buf` writable
/// for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_getxattr(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle, strings and buffer.
        let (t, oid, attr, out) = unsafe { (target(io)?, cstr(o)?, cstr(name)?, OutBuf::new(buf, len)?) };
        let mut op = ObjectOperation::new();
        op.get_xattr(attr);
        let reply = t.run(read(t.io.clone(), oid.into(), op))?;
        let n = out.fill(reply.out(0)?)?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    })
}

/// Sets attribute `name` to `len` bytes of `buf` (creating the object).
///
/// # Safety
/// `io` from rados_ioctx_create; `o` and `name` C strings; `buf` readable
/// for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_setxattr(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    buf: *const c_char,
    len: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle, strings and buffer.
        let (t, oid, attr, value) = unsafe { (target(io)?, cstr(o)?, cstr(name)?, data_in(buf, len)?) };
        one_write(&t, oid, |op| {
            op.set_xattr(attr, value);
        })
    })
}

/// Removes attribute `name`; -ENOENT if the object does not exist.
///
/// # Safety
/// `io` from rados_ioctx_create; `o` and `name` C strings.
#[no_mangle]
pub unsafe extern "C" fn rados_rmxattr(io: rados_ioctx_t, o: *const c_char, name: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (t, oid, attr) = unsafe { (target(io)?, cstr(o)?, cstr(name)?) };
        one_write(&t, oid, |op| {
            op.push(rbdrs_client::proto::osd::OpKind::RmXattr { name: attr.into() });
        })
    })
}

/// Calls object-class method `cls`.`method` with `in_len` bytes of input.
/// Returns the output's length (copied to `buf`), 0 when there is none,
/// -ERANGE if it does not fit `out_len`, or the method's error.
///
/// The call travels as a write compound so that a method that changes the
/// object is logged by the local store (librados sends it as a read and
/// lets the OSD decide by the method's flags).
///
/// # Safety
/// `io` from rados_ioctx_create; `o`, `cls`, `method` C strings; `inbuf`
/// readable for `in_len` bytes; `buf` writable for `out_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_exec(
    io: rados_ioctx_t,
    o: *const c_char,
    cls: *const c_char,
    method: *const c_char,
    inbuf: *const c_char,
    in_len: usize,
    buf: *mut c_char,
    out_len: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle, strings and buffers.
        let (t, oid, class, method, input, out) = unsafe {
            (target(io)?, cstr(o)?, cstr(cls)?, cstr(method)?, data_in(inbuf, in_len)?, OutBuf::new(buf, out_len)?)
        };
        let mut op = ObjectOperation::new();
        op.call(class, method, input);
        let reply = t.run(write(t.io.clone(), oid.into(), None, op))?;
        exec_out(&reply, out)
    })
}

/// A class call's return: the output's length (copied to `out`), or the
/// method's result when it gave no output.
pub(super) fn exec_out(reply: &ObjectReply, out: OutBuf) -> Result<i32, Errno> {
    let output = reply.out(0)?;
    if output.is_empty() {
        return Ok(reply.result);
    }
    let n = out.fill(output)?;
    Ok(i32::try_from(n).unwrap_or(i32::MAX))
}

/// Lists pool names into `buf`, each NUL-terminated, then an empty name.
/// Returns the length the whole list needs (librados's protocol: retry with
/// a bigger buffer while the return exceeds `len`). Names that do not fit
/// are left out, from the first that does not on.
///
/// # Safety
/// `cluster` from rados_create; `buf` NULL or writable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_pool_list(cluster: rados_t, buf: *mut c_char, len: usize) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let c = unsafe { self::cluster(cluster) }?;
        let store = c.rados.local_store()?;
        let pools = store.memstore().list_pools();
        if len > 0 && buf.is_null() {
            return Err(Errno::EINVAL);
        }
        if !buf.is_null() {
            // SAFETY: buf is writable for len bytes by contract.
            unsafe { std::ptr::write_bytes(buf, 0, len) };
        }
        let (mut at, mut room, mut fits, mut needed) = (0usize, len, !buf.is_null(), 0usize);
        for (_, name) in &pools {
            let entry = name.len() + 1;
            fits = fits && room >= entry;
            if fits {
                // SAFETY: at + entry <= len; the NUL is already there.
                unsafe { std::ptr::copy_nonoverlapping(name.as_ptr(), buf.cast::<u8>().add(at), name.len()) };
                at += entry;
                room -= entry;
            }
            needed += entry;
        }
        i32::try_from(needed + 1).map_err(|_| Errno::ERANGE)
    })
}

/// This client's id (the N of client.N): what locks and watches are held
/// under. 0 before rados_connect.
///
/// # Safety
/// `cluster` from rados_create.
#[no_mangle]
pub unsafe extern "C" fn rados_get_instance_id(cluster: rados_t) -> u64 {
    let mut id = 0;
    guard(|| {
        // SAFETY: checked handle.
        let connected = unsafe { self::cluster(cluster) }.and_then(Cluster::connected);
        id = connected.map_or(0, |conn| conn.client.global_id);
        Ok(())
    });
    id
}

#[cfg(test)]
mod tests;
