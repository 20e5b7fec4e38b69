//! Snapshots by id, their namespaces, the snapshot limit, rename and the
//! removal variants.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void};

use rbdrs_client::proto::cls::rbd::types::SnapshotNamespace;
use rbdrs_client::proto::Errno;

use super::image;
use super::image_info::put_sized;
use crate::boundary::{cstr, guard, put};

/// CEPH_NOSNAP: no snapshot (the head).
const CEPH_NOSNAP: u64 = u64::MAX - 1;

/// The id of user snapshot `snapname`.
///
/// # Safety
/// `image` from rbd_open; `snapname` a C string; `snap_id` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_get_id(image: rbd_image_t, snapname: *const c_char, snap_id: *mut u64) -> c_int {
    guard(|| {
        // SAFETY: checked handle, string and out-pointer.
        let (img, name) = unsafe { (self::image(image)?, cstr(snapname)?) };
        let found = img.snap_id_of(name);
        // librbd stores CEPH_NOSNAP when there is no such snapshot.
        unsafe { put(snap_id, *found.as_ref().unwrap_or(&CEPH_NOSNAP)) }?;
        found.map(|_| 0)
    })
}

/// The name of snapshot `snap_id`; -ERANGE (with the size needed in
/// `*name_len`) when the buffer is too small. An unknown id is -ENOENT
/// after an empty name, as librbd answers.
///
/// # Safety
/// `image` from rbd_open; `name_len` writable; `snapname` valid for it.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_get_name(
    image: rbd_image_t,
    snap_id: u64,
    snapname: *mut c_char,
    name_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        let found = img.snap_entry(snap_id).map(|e| e.name);
        let text = found.as_deref().unwrap_or("");
        // SAFETY: buffer valid for *name_len by contract.
        unsafe { put_sized(snapname, name_len, text) }?;
        found.map(|_| 0)
    })
}

/// When snapshot `snap_id` was taken; -ENOENT for an unknown id.
///
/// # Safety
/// `image` from rbd_open; `timestamp` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_get_timestamp(image: rbd_image_t, snap_id: u64, timestamp: *mut timespec) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let entry = unsafe { self::image(image) }?.snap_entry(snap_id)?;
        let time = timespec {
            tv_sec: time_t::from(entry.timestamp.sec),
            tv_nsec: std::ffi::c_long::from(entry.timestamp.nsec),
        };
        // SAFETY: checked out-pointer.
        unsafe { put(timestamp, time) }?;
        Ok(0)
    })
}

/// The most snapshots the image may have (UINT64_MAX: no limit).
///
/// # Safety
/// `image` from rbd_open; `limit` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_get_limit(image: rbd_image_t, limit: *mut u64) -> c_int {
    guard(|| {
        // SAFETY: checked handle and out-pointer.
        let value = unsafe { self::image(image) }?.snap_limit()?;
        unsafe { put(limit, value) }?;
        Ok(0)
    })
}

/// Sets the limit (UINT64_MAX removes it); -ERANGE below the number of
/// snapshots the image has.
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_set_limit(image: rbd_image_t, limit: u64) -> c_int {
    // SAFETY: checked handle.
    guard(|| unsafe { self::image(image) }?.set_snap_limit(limit).map(|()| 0))
}

/// Which namespace snapshot `snap_id` is in (user, group, trash, mirror).
///
/// # Safety
/// `image` from rbd_open; `namespace_type` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_get_namespace_type(
    image: rbd_image_t,
    snap_id: u64,
    namespace_type: *mut rbd_snap_namespace_type_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let entry = unsafe { self::image(image) }?.snap_entry(snap_id)?;
        let kind = entry.namespace.namespace_type() as rbd_snap_namespace_type_t;
        // SAFETY: checked out-pointer.
        unsafe { put(namespace_type, kind) }?;
        Ok(0)
    })
}

/// The name a trashed snapshot had; -EINVAL for a snapshot outside the
/// trash namespace, -ERANGE when `max_length` cannot hold it and its NUL.
///
/// # Safety
/// `image` from rbd_open; `original_name` valid for `max_length` bytes.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_get_trash_namespace(
    image: rbd_image_t,
    snap_id: u64,
    original_name: *mut c_char,
    max_length: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let entry = unsafe { self::image(image) }?.snap_entry(snap_id)?;
        let SnapshotNamespace::Trash { original_name: name, .. } = entry.namespace else {
            return Err(Errno::EINVAL);
        };
        if name.len() >= max_length || original_name.is_null() {
            return Err(Errno::ERANGE);
        }
        // SAFETY: the buffer holds max_length > name.len() bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(name.as_ptr(), original_name.cast::<u8>(), name.len());
            original_name.add(name.len()).write(0);
        }
        Ok(0)
    })
}

/// Renames user snapshot `snapname` to `dstsnapsname`.
///
/// # Safety
/// `image` from rbd_open; both names C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_rename(
    image: rbd_image_t,
    snapname: *const c_char,
    dstsnapsname: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (img, from, to) = unsafe { (self::image(image)?, cstr(snapname)?, cstr(dstsnapsname)?) };
        img.snap_rename(from, to)?;
        Ok(0)
    })
}

/// rbd_snap_remove with RBD_SNAP_REMOVE_* flags: unprotect first, flatten
/// the clones first (their progress told to `cb`).
///
/// # Safety
/// `image` from rbd_open; `snap_name` a C string; `cb` NULL or called with
/// `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_remove2(
    image: rbd_image_t,
    snap_name: *const c_char,
    flags: u32,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (img, name) = unsafe { (self::image(image)?, cstr(snap_name)?) };
        img.snap_remove_flags(name, flags, super::progress::sink(cb, cbdata))?;
        Ok(0)
    })
}

/// Removes snapshot `snap_id`, of any namespace.
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_remove_by_id(image: rbd_image_t, snap_id: u64) -> c_int {
    // SAFETY: checked handle.
    guard(|| unsafe { self::image(image) }?.snap_remove_id(snap_id).map(|()| 0))
}

/// Reads from snapshot `snap_id` from now on (CEPH_NOSNAP: the head).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_set_by_id(image: rbd_image_t, snap_id: u64) -> c_int {
    // SAFETY: checked handle.
    guard(|| unsafe { self::image(image) }?.snap_set_id(snap_id).map(|()| 0))
}
