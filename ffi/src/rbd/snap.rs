//! Snapshots of an open image.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void, CString};

use rbdrs_client::proto::Errno;

use super::image;
use crate::boundary::{cstr, guard, opt_cstr, put};

type SnapOp = fn(&rbdrs_client::Image, &str) -> Result<(), Errno>;

fn snap_op(image: rbd_image_t, name: *const c_char, op: SnapOp) -> Result<i32, Errno> {
    // SAFETY: the exports' contract: a live handle and a C string.
    let (img, name) = unsafe { (self::image(image)?, cstr(name)?) };
    op(img, name)?;
    Ok(0)
}

/// # Safety
/// `image` from rbd_open; `snapname` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_create(image: rbd_image_t, snapname: *const c_char) -> c_int {
    guard(|| snap_op(image, snapname, rbdrs_client::Image::snap_create))
}

/// rbd_snap_create with flags and progress (neither changes anything here).
///
/// # Safety
/// As [`rbd_snap_create`].
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_create2(
    image: rbd_image_t,
    snapname: *const c_char,
    flags: u32,
    cb: *mut c_void,
    cbdata: *mut c_void,
) -> c_int {
    let _ = (flags, cb, cbdata);
    guard(|| snap_op(image, snapname, rbdrs_client::Image::snap_create))
}

/// -EBUSY while the snapshot is protected or has clones.
///
/// # Safety
/// `image` from rbd_open; `snapname` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_remove(image: rbd_image_t, snapname: *const c_char) -> c_int {
    guard(|| snap_op(image, snapname, rbdrs_client::Image::snap_remove))
}

/// # Safety
/// `image` from rbd_open; `snapname` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_rollback(image: rbd_image_t, snapname: *const c_char) -> c_int {
    guard(|| snap_op(image, snapname, rbdrs_client::Image::snap_rollback))
}

/// # Safety
/// `image` from rbd_open; `snap_name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_protect(image: rbd_image_t, snap_name: *const c_char) -> c_int {
    guard(|| snap_op(image, snap_name, rbdrs_client::Image::snap_protect))
}

/// -EBUSY while clones of the snapshot exist.
///
/// # Safety
/// `image` from rbd_open; `snap_name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_unprotect(image: rbd_image_t, snap_name: *const c_char) -> c_int {
    guard(|| snap_op(image, snap_name, rbdrs_client::Image::snap_unprotect))
}

/// # Safety
/// `image` from rbd_open; `snap_name` a C string; `is_protected` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_is_protected(
    image: rbd_image_t,
    snap_name: *const c_char,
    is_protected: *mut c_int,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (img, name) = unsafe { (self::image(image)?, cstr(snap_name)?) };
        let protected = img.snap_is_protected(name)?;
        // SAFETY: checked out-pointer.
        unsafe { put(is_protected, c_int::from(protected)) }?;
        Ok(0)
    })
}

/// # Safety
/// `image` from rbd_open; `snapname` a C string; `exists` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_exists(image: rbd_image_t, snapname: *const c_char, exists: *mut bool) -> c_int {
    guard(|| {
        // SAFETY: checked handle, string and out-pointer.
        let (img, name) = unsafe { (self::image(image)?, cstr(snapname)?) };
        unsafe { put(exists, img.snap_exists(name)?) }?;
        Ok(0)
    })
}

/// Reads from snapshot `snapname` from now on (NULL: the head).
///
/// # Safety
/// `image` from rbd_open; `snapname` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_set(image: rbd_image_t, snapname: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (img, name) = unsafe { (self::image(image)?, opt_cstr(snapname)?) };
        img.snap_set(name)?;
        Ok(0)
    })
}

/// Lists snapshots: fills `snaps` (terminated by an all-zero entry) and
/// returns how many, or -ERANGE with `*max_snaps` set to what is needed.
/// Free the names with rbd_snap_list_end.
///
/// # Safety
/// `image` from rbd_open; `max_snaps` writable; `snaps` valid for
/// `*max_snaps` entries.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_list(
    image: rbd_image_t,
    snaps: *mut rbd_snap_info_t,
    max_snaps: *mut c_int,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        if max_snaps.is_null() {
            return Err(Errno::EINVAL);
        }
        let list = img.snap_list()?;
        let count = list.len();
        // SAFETY: checked non-NULL.
        let room = unsafe { *max_snaps };
        if room < 0 || (room as usize) < count + 1 || snaps.is_null() {
            // SAFETY: checked non-NULL.
            unsafe { *max_snaps = (count + 1) as c_int };
            return Err(Errno::ERANGE);
        }
        for (i, snap) in list.into_iter().enumerate() {
            let name = CString::new(snap.name).map_err(|_| Errno::EINVAL)?.into_raw();
            // SAFETY: snaps valid for room > count entries.
            unsafe { snaps.add(i).write(rbd_snap_info_t { id: snap.id, size: snap.size, name }) };
        }
        // SAFETY: as above; the terminator.
        unsafe { snaps.add(count).write(rbd_snap_info_t { id: 0, size: 0, name: std::ptr::null() }) };
        Ok(count as c_int)
    })
}

/// Frees the names rbd_snap_list filled in.
///
/// # Safety
/// `snaps` as filled by rbd_snap_list, not freed before.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_list_end(snaps: *mut rbd_snap_info_t) {
    guard(|| {
        if snaps.is_null() {
            return Ok(());
        }
        let mut i = 0;
        loop {
            // SAFETY: terminated list from rbd_snap_list.
            let entry = unsafe { &mut *snaps.add(i) };
            if entry.name.is_null() {
                break;
            }
            // SAFETY: allocated by CString::into_raw in rbd_snap_list.
            drop(unsafe { CString::from_raw(entry.name as *mut c_char) });
            entry.name = std::ptr::null();
            i += 1;
        }
        Ok(())
    })
}
