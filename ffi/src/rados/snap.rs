//! librados snapshots on a pool context: self-managed snapshot ids, the
//! snap context writes carry, rolling an object back, and the snapshot
//! reads see.

use crate::types::*;
use std::ffi::{c_char, c_int};

use rbdrs_client::proto::osd::{ObjectOperation, SnapContext, SnapId};
use rbdrs_client::proto::Errno;

use super::ioctx;
use super::object::{target, write};
use crate::boundary::{cstr, guard, put};

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
/// with the context's snap context); -EROFS while reading a snapshot.
///
/// # Safety
/// `io` from rados_ioctx_create; `oid` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_selfmanaged_snap_rollback(
    io: rados_ioctx_t,
    oid: *const c_char,
    snapid: rados_snap_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (t, oid) = unsafe { (target(io)?, cstr(oid)?) };
        let mut op = ObjectOperation::new();
        op.rollback(snapid);
        t.run(write(t.io.clone(), oid.into(), None, op))?;
        Ok(0)
    })
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
