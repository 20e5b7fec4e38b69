//! rados_get_min_compatible_client / rados_get_min_compatible_osd.

use crate::types::*;
use std::ffi::c_int;

use crate::boundary::{guard, put};

/// The oldest client release the cluster's features allow and the oldest
/// it requires, as ceph_release_t numbers (12 is luminous).
///
/// # Safety
/// `cluster` connected; both pointers writable.
#[no_mangle]
pub unsafe extern "C" fn rados_get_min_compatible_client(
    cluster: rados_t,
    min_compat_client: *mut i8,
    require_min_compat_client: *mut i8,
) -> c_int {
    guard(|| {
        if min_compat_client.is_null() || require_min_compat_client.is_null() {
            return Err(rbdrs_client::proto::Errno::EINVAL);
        }
        // SAFETY: checked handle.
        let [min, require, _] = unsafe { super::cluster(cluster) }?.rados.release_floors()?;
        // SAFETY: checked out-pointers.
        unsafe {
            put(min_compat_client, min)?;
            put(require_min_compat_client, require)?;
        }
        Ok(0)
    })
}

/// The release the cluster's OSDs must run (require_osd_release).
///
/// # Safety
/// `cluster` connected; `require_osd_release` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_get_min_compatible_osd(cluster: rados_t, require_osd_release: *mut i8) -> c_int {
    guard(|| {
        if require_osd_release.is_null() {
            return Err(rbdrs_client::proto::Errno::EINVAL);
        }
        // SAFETY: checked handle.
        let [_, _, osd] = unsafe { super::cluster(cluster) }?.rados.release_floors()?;
        // SAFETY: checked out-pointer.
        unsafe { put(require_osd_release, osd) }.map(|_| 0)
    })
}
