//! What an open image tells about itself beyond rbd_stat: its name,
//! operation features, timestamps and parent (with the spec structs
//! librbd hands out and their cleanup calls).

use crate::types::*;
use std::ffi::{c_char, c_int};

use rbdrs_client::proto::encoding::UtcTime;
use rbdrs_client::proto::Errno;

use super::image;
use crate::boundary::{guard, malloc_copy, put};

/// A malloc'ed NUL-terminated copy, as librbd's strdup (freed with free).
pub(crate) fn strdup(text: &str) -> Result<*mut c_char, Errno> {
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(0);
    malloc_copy(&bytes)
}

/// Frees what [`strdup`] gave and clears the pointer.
///
/// # Safety
/// `*ptr` is NULL or from [`strdup`] (or C's malloc) and not yet freed.
pub(crate) unsafe fn free_str(ptr: &mut *mut c_char) {
    // SAFETY: per the contract; free(NULL) does nothing.
    unsafe { libc::free(ptr.cast()) };
    *ptr = std::ptr::null_mut();
}

/// Copies `text` and a NUL into `buf` of `*len` bytes and sets `*len` to
/// what that takes: -ERANGE when it does not fit (librbd's pattern for
/// names and feature strings), -EINVAL without `len`.
///
/// # Safety
/// `len` NULL or writable; `buf` NULL or valid for `*len` bytes.
pub(crate) unsafe fn put_sized(buf: *mut c_char, len: *mut usize, text: &str) -> Result<(), Errno> {
    if len.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: checked non-NULL; the buffer holds the room it says.
    unsafe {
        let room = len.replace(text.len() + 1);
        if room <= text.len() || buf.is_null() {
            return Err(Errno::ERANGE);
        }
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        buf.add(text.len()).write(0);
    }
    Ok(())
}

/// The image's name; -ERANGE (with the size it needs in `*name_len`) when
/// the buffer is too small.
///
/// # Safety
/// `image` from rbd_open; `name_len` writable; `name` valid for `*name_len`.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_name(image: rbd_image_t, name: *mut c_char, name_len: *mut usize) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let text = unsafe { self::image(image) }?.name()?;
        // SAFETY: buffer valid for *name_len by contract.
        unsafe { put_sized(name, name_len, &text) }?;
        Ok(0)
    })
}

/// The header's operation features (clone parent/child, snapshot trash...).
///
/// # Safety
/// `image` from rbd_open; `op_features` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_op_features(image: rbd_image_t, op_features: *mut u64) -> c_int {
    guard(|| {
        // SAFETY: checked handle and out-pointer.
        let details = unsafe { self::image(image) }?.header_details()?;
        unsafe { put(op_features, details.op_features) }?;
        Ok(0)
    })
}

fn timespec_of(time: UtcTime) -> timespec {
    timespec { tv_sec: time_t::from(time.sec), tv_nsec: std::ffi::c_long::from(time.nsec) }
}

type Stamp = fn(&rbdrs_client::image::HeaderDetails) -> UtcTime;

fn timestamp(image: rbd_image_t, out: *mut timespec, which: Stamp) -> Result<i32, Errno> {
    // SAFETY: checked handle (the exports' contract).
    let details = unsafe { self::image(image) }?.header_details()?;
    // SAFETY: checked out-pointer.
    unsafe { put(out, timespec_of(which(&details))) }?;
    Ok(0)
}

/// When the image was created.
///
/// # Safety
/// `image` from rbd_open; `timestamp` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_create_timestamp(image: rbd_image_t, timestamp: *mut timespec) -> c_int {
    guard(|| self::timestamp(image, timestamp, |d| d.create_timestamp))
}

/// When the image was last read (as rbd_atime_update_interval records it).
///
/// # Safety
/// `image` from rbd_open; `timestamp` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_access_timestamp(image: rbd_image_t, timestamp: *mut timespec) -> c_int {
    guard(|| self::timestamp(image, timestamp, |d| d.access_timestamp))
}

/// When the image was last written (as rbd_mtime_update_interval records it).
///
/// # Safety
/// `image` from rbd_open; `timestamp` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_modify_timestamp(image: rbd_image_t, timestamp: *mut timespec) -> c_int {
    guard(|| self::timestamp(image, timestamp, |d| d.modify_timestamp))
}

/// The parent of what the image shows and its snapshot; -ENOENT without
/// one. Free the strings with rbd_linked_image_spec_cleanup and
/// rbd_snap_spec_cleanup.
///
/// # Safety
/// `image` from rbd_open; `parent_image` and `parent_snap` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_parent(
    image: rbd_image_t,
    parent_image: *mut rbd_linked_image_spec_t,
    parent_snap: *mut rbd_snap_spec_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        if parent_image.is_null() || parent_snap.is_null() {
            return Err(Errno::EINVAL);
        }
        let (parent, namespace, trash) = img.parent_details()?.ok_or(Errno::ENOENT)?;
        let spec = rbd_linked_image_spec_t {
            pool_id: parent.pool_id,
            pool_name: strdup(&parent.pool_name)?,
            pool_namespace: strdup(&parent.pool_namespace)?,
            image_id: strdup(&parent.image_id)?,
            image_name: strdup(&parent.image_name)?,
            trash,
        };
        let snap = rbd_snap_spec_t {
            id: parent.snap_id,
            namespace_type: namespace as rbd_snap_namespace_type_t,
            name: strdup(&parent.snap_name)?,
        };
        // SAFETY: checked non-NULL, writable by contract.
        unsafe {
            parent_image.write(spec);
            parent_snap.write(snap);
        }
        Ok(0)
    })
}

/// Copies `text` into `buf` when it fits; skipped for a NULL buffer.
///
/// # Safety
/// `buf` NULL or valid for `len` bytes.
unsafe fn fill(buf: *mut c_char, len: usize, text: &str) -> bool {
    if buf.is_null() {
        return true;
    }
    if text.len() + 1 > len {
        return false;
    }
    // SAFETY: buf holds len >= text.len() + 1 bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        buf.add(text.len()).write(0);
    }
    true
}

/// The parent's pool, name, id and snapshot name; -ENOENT without a
/// parent; -ERANGE when a buffer is too small (the others are filled, and
/// NULL buffers skipped, as librbd does).
///
/// # Safety
/// `image` from rbd_open; each buffer NULL or valid for its length.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_parent_info2(
    image: rbd_image_t,
    parent_poolname: *mut c_char,
    ppoolnamelen: usize,
    parent_name: *mut c_char,
    pnamelen: usize,
    parent_id: *mut c_char,
    pidlen: usize,
    parent_snapname: *mut c_char,
    psnapnamelen: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let (parent, _, _) = unsafe { self::image(image) }?.parent_details()?.ok_or(Errno::ENOENT)?;
        // SAFETY: buffers valid for their lengths by contract.
        let fits = unsafe {
            [
                fill(parent_poolname, ppoolnamelen, &parent.pool_name),
                fill(parent_name, pnamelen, &parent.image_name),
                fill(parent_id, pidlen, &parent.image_id),
                fill(parent_snapname, psnapnamelen, &parent.snap_name),
            ]
        };
        if fits.contains(&false) {
            return Err(Errno::ERANGE);
        }
        Ok(0)
    })
}

/// Frees the strings of an rbd_image_spec_t.
///
/// # Safety
/// `image` NULL or filled by librbd and not yet cleaned up.
#[no_mangle]
pub unsafe extern "C" fn rbd_image_spec_cleanup(image: *mut rbd_image_spec_t) {
    guard(|| {
        // SAFETY: per the contract.
        if let Some(spec) = unsafe { image.as_mut() } {
            unsafe {
                free_str(&mut spec.id);
                free_str(&mut spec.name);
            }
        }
        Ok(())
    })
}

/// Frees the strings of an rbd_linked_image_spec_t.
///
/// # Safety
/// `image` NULL or filled by librbd and not yet cleaned up.
#[no_mangle]
pub unsafe extern "C" fn rbd_linked_image_spec_cleanup(image: *mut rbd_linked_image_spec_t) {
    guard(|| {
        // SAFETY: per the contract.
        if let Some(spec) = unsafe { image.as_mut() } {
            unsafe {
                free_str(&mut spec.pool_name);
                free_str(&mut spec.pool_namespace);
                free_str(&mut spec.image_id);
                free_str(&mut spec.image_name);
            }
        }
        Ok(())
    })
}

/// Frees the name of an rbd_snap_spec_t.
///
/// # Safety
/// `snap` NULL or filled by librbd and not yet cleaned up.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_spec_cleanup(snap: *mut rbd_snap_spec_t) {
    guard(|| {
        // SAFETY: per the contract.
        if let Some(spec) = unsafe { snap.as_mut() } {
            unsafe { free_str(&mut spec.name) };
        }
        Ok(())
    })
}
