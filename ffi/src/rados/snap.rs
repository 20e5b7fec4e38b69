//! librados snapshots on a pool context: self-managed snapshot ids, the
//! snap context writes carry, pool snapshots (by the monitor, read from
//! the OSDMap), rolling an object back, and the snapshot reads see.
//! The embedded store has self-managed snapshots only: pool snapshot
//! create and remove are -EOPNOTSUPP there, and it lists none.

use crate::types::*;
use std::ffi::{c_char, c_int};

use rbdrs_client::proto::osd::{ObjectOperation, SnapContext, SnapId};
use rbdrs_client::proto::Errno;

use super::ioctx;
use super::object::{target, write};
use crate::boundary::{cstr, guard, put, put_cstr};

/// Allocates a self-managed snapshot id in the pool (the monitor's
/// CREATE_UNMANAGED_SNAP); -EINVAL in a pool that has pool snapshots.
///
/// # Safety
/// `io` from rados_ioctx_create; `snapid` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_selfmanaged_snap_create(io: rados_ioctx_t, snapid: *mut rados_snap_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let io = unsafe { ioctx(io) }?;
        if snapid.is_null() {
            return Err(Errno::EINVAL);
        }
        let snap = io.io.selfmanaged_snap_create()?;
        // SAFETY: checked out-pointer.
        unsafe { put(snapid, snap) }?;
        Ok(0)
    })
}

/// Releases a self-managed snapshot id; the OSDs trim its clones later.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_selfmanaged_snap_remove(io: rados_ioctx_t, snapid: rados_snap_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        unsafe { ioctx(io) }?.io.selfmanaged_snap_remove(snapid)?;
        Ok(0)
    })
}

/// Rolls object `oid` back to snapshot `snapid` (the OSD's ROLLBACK, sent
/// with the context's snap context), also while reading a snapshot.
///
/// # Safety
/// `io` from rados_ioctx_create; `oid` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_selfmanaged_snap_rollback(
    io: rados_ioctx_t,
    oid: *const c_char,
    snapid: rados_snap_t,
) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { rollback(io, oid, |_| Ok(snapid)) })
}

/// The OSD's ROLLBACK of `oid` to the snapshot `snap` names, with the
/// context's snap context.
///
/// # Safety
/// `io` from rados_ioctx_create; `oid` a C string.
unsafe fn rollback(
    io: rados_ioctx_t,
    oid: *const c_char,
    snap: impl FnOnce(&super::PoolCtx) -> Result<u64, Errno>,
) -> Result<c_int, Errno> {
    // SAFETY: checked handle and string.
    let (t, oid, ctx) = unsafe { (target(io)?, cstr(oid)?, ioctx(io)?) };
    let mut op = ObjectOperation::new();
    op.rollback(snap(ctx)?);
    // librados rolls back even while the context reads a snapshot.
    let mut io = t.io.clone();
    io.snap_read = SnapId::HEAD;
    t.run(write(io, oid.into(), None, op))?;
    Ok(0)
}

/// Sets the snap context later writes carry: newest id `seq` and the live
/// snapshots `snaps`, newest first. -EINVAL unless that is a valid context
/// (descending, none above `seq`).
///
/// # Safety
/// `io` from rados_ioctx_create; `snaps` readable for `num_snaps` ids.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_selfmanaged_snap_set_write_ctx(
    io: rados_ioctx_t,
    seq: rados_snap_t,
    snaps: *mut rados_snap_t,
    num_snaps: c_int,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let io = unsafe { ioctx(io) }?;
        let n = usize::try_from(num_snaps).map_err(|_| Errno::EINVAL)?;
        if n > 0 && snaps.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: non-NULL and readable for n ids by contract.
        let ids = if n == 0 { Vec::new() } else { unsafe { std::slice::from_raw_parts(snaps, n) }.to_vec() };
        io.io.set_write_ctx(SnapContext::new(seq, ids))?;
        Ok(0)
    })
}

/// Later reads see snapshot `snap` (LIBRADOS_SNAP_HEAD or 0: the live
/// objects); writes fail with -EROFS until it is set back to the head.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_snap_set_read(io: rados_ioctx_t, snap: rados_snap_t) {
    guard(|| {
        // SAFETY: checked handle.
        if let Ok(io) = unsafe { ioctx(io) } {
            io.io.set_snap_read(SnapId(snap));
        }
        Ok(())
    })
}

/// Takes pool snapshot `snapname` (the monitor's CREATE_SNAP); -EEXIST if
/// the pool has one by that name, -EINVAL in a pool with self-managed
/// snapshots.
///
/// # Safety
/// `io` from rados_ioctx_create; `snapname` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_snap_create(io: rados_ioctx_t, snapname: *const c_char) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { by_name(io, snapname, |io, name| io.snap_create(name)) })
}

/// Removes pool snapshot `snapname`; -ENOENT if there is none.
///
/// # Safety
/// `io` from rados_ioctx_create; `snapname` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_snap_remove(io: rados_ioctx_t, snapname: *const c_char) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { by_name(io, snapname, |io, name| io.snap_remove(name)) })
}

/// Calls `f` with the context and a snapshot's name.
///
/// # Safety
/// `io` from rados_ioctx_create; `snapname` a C string.
unsafe fn by_name(
    io: rados_ioctx_t,
    snapname: *const c_char,
    f: impl FnOnce(&rbdrs_client::IoCtx, &str) -> Result<(), Errno>,
) -> Result<c_int, Errno> {
    // SAFETY: checked handle and string.
    let (io, name) = unsafe { (ioctx(io)?, cstr(snapname)?) };
    f(&io.io, name)?;
    Ok(0)
}

/// Rolls object `oid` back to pool snapshot `snapname`; -ENOENT if the pool
/// has no such snapshot.
///
/// # Safety
/// `io` from rados_ioctx_create; `oid` and `snapname` C strings.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_snap_rollback(
    io: rados_ioctx_t,
    oid: *const c_char,
    snapname: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: checked string; the rest forwarded.
        let name = unsafe { cstr(snapname) }?;
        // SAFETY: forwarded contract.
        unsafe { rollback(io, oid, |ctx| ctx.io.snap_lookup(name)) }
    })
}

/// The deprecated name of rados_ioctx_snap_rollback.
///
/// # Safety
/// As rados_ioctx_snap_rollback.
#[no_mangle]
pub unsafe extern "C" fn rados_rollback(io: rados_ioctx_t, oid: *const c_char, snapname: *const c_char) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| Ok(unsafe { rados_ioctx_snap_rollback(io, oid, snapname) }))
}

/// Fills `snaps` with the pool's snapshot ids and returns how many;
/// -ERANGE if more than `maxlen`.
///
/// # Safety
/// `io` from rados_ioctx_create; `snaps` writable for `maxlen` ids.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_snap_list(io: rados_ioctx_t, snaps: *mut rados_snap_t, maxlen: c_int) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let list = unsafe { ioctx(io) }?.io.snap_list()?;
        if list.len() > usize::try_from(maxlen).unwrap_or(0) {
            return Err(Errno::ERANGE);
        }
        if !list.is_empty() && snaps.is_null() {
            return Err(Errno::EINVAL);
        }
        for (i, (id, _)) in list.iter().enumerate() {
            // SAFETY: non-NULL, writable for maxlen >= list.len() ids.
            unsafe { snaps.add(i).write(*id) };
        }
        c_int::try_from(list.len()).map_err(|_| Errno::ERANGE)
    })
}

/// The id of pool snapshot `name`; -ENOENT if there is none.
///
/// # Safety
/// `io` from rados_ioctx_create; `name` a C string; `id` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_snap_lookup(
    io: rados_ioctx_t,
    name: *const c_char,
    id: *mut rados_snap_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (io, name) = unsafe { (ioctx(io)?, cstr(name)?) };
        if id.is_null() {
            return Err(Errno::EINVAL);
        }
        let snap = io.io.snap_lookup(name)?;
        // SAFETY: checked out-pointer.
        unsafe { put(id, snap) }?;
        Ok(0)
    })
}

/// The name of pool snapshot `id` into `name`; -ENOENT if there is none,
/// -ERANGE if it and its NUL do not fit in `maxlen` bytes.
///
/// # Safety
/// `io` from rados_ioctx_create; `name` writable for `maxlen` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_snap_get_name(
    io: rados_ioctx_t,
    id: rados_snap_t,
    name: *mut c_char,
    maxlen: c_int,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let snap = unsafe { ioctx(io) }?.io.snap_info(id)?;
        if name.is_null() {
            return Err(Errno::EINVAL);
        }
        let len = usize::try_from(maxlen).map_err(|_| Errno::ERANGE)?;
        // SAFETY: name writable for len bytes by contract (NULL: -ERANGE).
        unsafe { put_cstr(name, len, &snap.name, std::ptr::null_mut()) }?;
        Ok(0)
    })
}

/// When pool snapshot `id` was taken; -ENOENT if there is none.
///
/// # Safety
/// `io` from rados_ioctx_create; `t` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_snap_get_stamp(io: rados_ioctx_t, id: rados_snap_t, t: *mut time_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let io = unsafe { ioctx(io) }?;
        if t.is_null() {
            return Err(Errno::EINVAL);
        }
        let snap = io.io.snap_info(id)?;
        // SAFETY: checked out-pointer.
        unsafe { put(t, time_t::from(snap.stamp.sec)) }?;
        Ok(0)
    })
}
