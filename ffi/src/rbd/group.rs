//! Consistency groups. librbdrs reads the pool's group directory
//! (`rbd_group_directory`) and an image's group reference (cls_rbd
//! group_dir_list, dir_get_id, image_group_get): calls on a group that does
//! not exist answer as librbd (-ENOENT, or 0 and nothing for lists and
//! removal). It does not create groups or change them: -EOPNOTSUPP where
//! librbd would, and for listing the members or snapshots of a group
//! another client made.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void};

use rbdrs_client::proto::cls::rbd::types::SnapshotNamespace;
use rbdrs_client::proto::Errno;

use super::cstring::{check_size, dup, free_each, release};
use super::image;
use crate::boundary::{cstr, guard, put, put_strings};
use crate::rados::ioctx;

/// The id of group `name` in the pool behind `p` (-ENOENT: none).
///
/// # Safety
/// `p` NULL or live; `name` NULL or a C string.
unsafe fn group_id(p: rados_ioctx_t, name: *const c_char) -> Result<String, Errno> {
    // SAFETY: forwarded contract.
    let (io, name) = unsafe { (ioctx(p)?, cstr(name)?) };
    io.io.group_id(name)
}

/// A change to an existing group: -ENOENT without one, else unsupported.
///
/// # Safety
/// As [`group_id`].
unsafe fn change(p: rados_ioctx_t, name: *const c_char) -> Result<i32, Errno> {
    // SAFETY: forwarded contract.
    unsafe { group_id(p, name) }?;
    Err(Errno::EOPNOTSUPP)
}

/// -EEXIST for a name in use, -EINVAL for an empty one; librbdrs creates
/// no groups (-EOPNOTSUPP).
///
/// # Safety
/// `p` live; `name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_group_create(p: rados_ioctx_t, name: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked C string.
        if unsafe { cstr(name) }?.is_empty() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: forwarded contract.
        match unsafe { group_id(p, name) } {
            Ok(_) => Err(Errno::EEXIST),
            Err(Errno::ENOENT) => Err(Errno::EOPNOTSUPP),
            Err(e) => Err(e),
        }
    })
}

/// Removing a group that does not exist is 0, as librbd.
///
/// # Safety
/// `p` live; `name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_group_remove(p: rados_ioctx_t, name: *const c_char) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| match unsafe { group_id(p, name) } {
        Err(Errno::ENOENT) => Ok(0),
        Ok(_) => Err(Errno::EOPNOTSUPP),
        Err(e) => Err(e),
    })
}

/// # Safety
/// `p` live; both names C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_group_rename(
    p: rados_ioctx_t,
    src_name: *const c_char,
    dest_name: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: checked C strings; forwarded contract.
        unsafe { cstr(dest_name) }?;
        unsafe { change(p, src_name) }
    })
}

/// The group names, NUL-separated, in `names`; returns the bytes used.
/// -ERANGE with `*size` set when short; -EINVAL for a NULL buffer.
///
/// # Safety
/// `p` live; `size` writable; `names` valid for `*size` bytes.
#[no_mangle]
pub unsafe extern "C" fn rbd_group_list(p: rados_ioctx_t, names: *mut c_char, size: *mut usize) -> c_int {
    guard(|| {
        // SAFETY: the export's contract.
        let io = unsafe { ioctx(p) }?;
        if size.is_null() {
            return Err(Errno::EINVAL);
        }
        let list = io.io.group_names()?;
        let needed: usize = list.iter().map(|n| n.len() + 1).sum();
        // SAFETY: checked non-NULL.
        let room = unsafe { size.read() };
        if room < needed {
            // SAFETY: as above.
            unsafe { size.write(needed) };
            return Err(Errno::ERANGE);
        }
        if names.is_null() {
            return Err(Errno::EINVAL);
        }
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        // librbd leaves *size as the caller gave it.
        let mut len = room;
        // SAFETY: names holds room >= needed bytes.
        unsafe { put_strings(names, &mut len, &refs) }?;
        Ok(needed as c_int)
    })
}

/// # Safety
/// `group_p`, `image_p` live; names C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_group_image_add(
    group_p: rados_ioctx_t,
    group_name: *const c_char,
    image_p: rados_ioctx_t,
    image_name: *const c_char,
) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { member_change(group_p, group_name, image_p, image_name) })
}

/// # Safety
/// As [`rbd_group_image_add`].
#[no_mangle]
pub unsafe extern "C" fn rbd_group_image_remove(
    group_p: rados_ioctx_t,
    group_name: *const c_char,
    image_p: rados_ioctx_t,
    image_name: *const c_char,
) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { member_change(group_p, group_name, image_p, image_name) })
}

/// # Safety
/// As [`rbd_group_image_add`], with an image id.
#[no_mangle]
pub unsafe extern "C" fn rbd_group_image_remove_by_id(
    group_p: rados_ioctx_t,
    group_name: *const c_char,
    image_p: rados_ioctx_t,
    image_id: *const c_char,
) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { member_change(group_p, group_name, image_p, image_id) })
}

/// # Safety
/// As [`rbd_group_image_add`].
unsafe fn member_change(
    group_p: rados_ioctx_t,
    group_name: *const c_char,
    image_p: rados_ioctx_t,
    image: *const c_char,
) -> Result<i32, Errno> {
    // SAFETY: checked handle and string; forwarded contract.
    unsafe { (ioctx(image_p)?, cstr(image)?) };
    unsafe { change(group_p, group_name) }
}

/// A group's members: none for a group that does not exist (0, as
/// librbd); -ERANGE unless the entry size is librbd's.
///
/// # Safety
/// `group_p` live; `group_name` a C string; `num_entries` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_group_image_list(
    group_p: rados_ioctx_t,
    group_name: *const c_char,
    images: *mut rbd_group_image_info_t,
    group_image_info_size: usize,
    num_entries: *mut usize,
) -> c_int {
    let _ = images;
    // SAFETY: forwarded contract.
    guard(|| unsafe {
        empty_listing::<rbd_group_image_info_t>(group_p, group_name, group_image_info_size, num_entries)
    })
}

/// # Safety
/// As [`rbd_group_image_list`].
#[no_mangle]
pub unsafe extern "C" fn rbd_group_snap_list(
    group_p: rados_ioctx_t,
    group_name: *const c_char,
    snaps: *mut rbd_group_snap_info_t,
    group_snap_info_size: usize,
    num_entries: *mut usize,
) -> c_int {
    let _ = snaps;
    // SAFETY: forwarded contract.
    guard(|| unsafe { empty_listing::<rbd_group_snap_info_t>(group_p, group_name, group_snap_info_size, num_entries) })
}

/// # Safety
/// As [`rbd_group_image_list`].
unsafe fn empty_listing<T>(p: rados_ioctx_t, name: *const c_char, size: usize, num: *mut usize) -> Result<i32, Errno> {
    if num.is_null() {
        return Err(Errno::EINVAL);
    }
    if let Err(e) = check_size::<T>(size) {
        // SAFETY: checked non-NULL.
        unsafe { num.write(0) };
        return Err(e);
    }
    // SAFETY: forwarded contract.
    match unsafe { group_id(p, name) } {
        Err(Errno::ENOENT) => {
            // SAFETY: checked non-NULL.
            unsafe { put(num, 0) }?;
            Ok(0)
        }
        Ok(_) => Err(Errno::EOPNOTSUPP),
        Err(e) => Err(e),
    }
}

/// # Safety
/// `images` NULL or valid for `num_entries` entries librbd(rs) filled.
#[no_mangle]
pub unsafe extern "C" fn rbd_group_image_list_cleanup(
    images: *mut rbd_group_image_info_t,
    group_image_info_size: usize,
    num_entries: usize,
) -> c_int {
    guard(|| {
        check_size::<rbd_group_image_info_t>(group_image_info_size)?;
        // SAFETY: per the contract.
        unsafe { free_each(images, num_entries, |i| release(&mut i.name)) };
        Ok(0)
    })
}

/// # Safety
/// `snaps` NULL or valid for `num_entries` entries librbd(rs) filled.
#[no_mangle]
pub unsafe extern "C" fn rbd_group_snap_list_cleanup(
    snaps: *mut rbd_group_snap_info_t,
    group_snap_info_size: usize,
    num_entries: usize,
) -> c_int {
    guard(|| {
        check_size::<rbd_group_snap_info_t>(group_snap_info_size)?;
        // SAFETY: per the contract.
        unsafe { free_each(snaps, num_entries, |s| release(&mut s.name)) };
        Ok(0)
    })
}

/// # Safety
/// `group_p` live; names C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_group_snap_create(
    group_p: rados_ioctx_t,
    group_name: *const c_char,
    snap_name: *const c_char,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rbd_group_snap_create2(group_p, group_name, snap_name, 0) }
}

/// Flags other than librbd's snapshot-create flags are -EINVAL.
///
/// # Safety
/// As [`rbd_group_snap_create`].
#[no_mangle]
pub unsafe extern "C" fn rbd_group_snap_create2(
    group_p: rados_ioctx_t,
    group_name: *const c_char,
    snap_name: *const c_char,
    flags: u32,
) -> c_int {
    guard(|| {
        if flags & !(RBD_SNAP_CREATE_SKIP_QUIESCE | RBD_SNAP_CREATE_IGNORE_QUIESCE_ERROR) != 0 {
            return Err(Errno::EINVAL);
        }
        // SAFETY: checked C string; forwarded contract.
        unsafe { cstr(snap_name) }?;
        unsafe { change(group_p, group_name) }
    })
}

/// # Safety
/// As [`rbd_group_snap_create`].
#[no_mangle]
pub unsafe extern "C" fn rbd_group_snap_remove(
    group_p: rados_ioctx_t,
    group_name: *const c_char,
    snap_name: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: checked C string; forwarded contract.
        unsafe { cstr(snap_name) }?;
        unsafe { change(group_p, group_name) }
    })
}

/// # Safety
/// `group_p` live; names C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_group_snap_rename(
    group_p: rados_ioctx_t,
    group_name: *const c_char,
    old_snap_name: *const c_char,
    new_snap_name: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: checked C strings; forwarded contract.
        unsafe { (cstr(old_snap_name)?, cstr(new_snap_name)?) };
        unsafe { change(group_p, group_name) }
    })
}

/// # Safety
/// As [`rbd_group_snap_create`].
#[no_mangle]
pub unsafe extern "C" fn rbd_group_snap_rollback(
    group_p: rados_ioctx_t,
    group_name: *const c_char,
    snap_name: *const c_char,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rbd_group_snap_remove(group_p, group_name, snap_name) }
}

/// # Safety
/// As [`rbd_group_snap_create`]; the progress callback is never called.
#[no_mangle]
pub unsafe extern "C" fn rbd_group_snap_rollback_with_progress(
    group_p: rados_ioctx_t,
    group_name: *const c_char,
    snap_name: *const c_char,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    let _ = (cb, cbdata);
    // SAFETY: forwarded contract.
    unsafe { rbd_group_snap_remove(group_p, group_name, snap_name) }
}

/// The image's group: name "" and pool -1 when it is in none. Free with
/// rbd_group_info_cleanup.
///
/// # Safety
/// `image` from rbd_open; `group_info` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_group(
    image: rbd_image_t,
    group_info: *mut rbd_group_info_t,
    group_info_size: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        check_size::<rbd_group_info_t>(group_info_size)?;
        if group_info.is_null() {
            return Err(Errno::EINVAL);
        }
        let (pool, name) = img.group()?.unwrap_or((-1, String::new()));
        // SAFETY: checked out-pointer.
        unsafe { group_info.write(rbd_group_info_t { name: dup(&name)?, pool }) };
        Ok(0)
    })
}

/// # Safety
/// `group_info` NULL or filled by rbd_get_group.
#[no_mangle]
pub unsafe extern "C" fn rbd_group_info_cleanup(group_info: *mut rbd_group_info_t, group_info_size: usize) -> c_int {
    guard(|| {
        check_size::<rbd_group_info_t>(group_info_size)?;
        if !group_info.is_null() {
            // SAFETY: per the contract.
            release(unsafe { &mut (*group_info).name });
        }
        Ok(0)
    })
}

/// -ENOENT for no such snapshot, -EINVAL for one that is not a group
/// snapshot, as librbd; a group snapshot's names are not looked up
/// (-EOPNOTSUPP).
///
/// # Safety
/// `image` from rbd_open; `group_snap` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_get_group_namespace(
    image: rbd_image_t,
    snap_id: u64,
    group_snap: *mut rbd_snap_group_namespace_t,
    group_snap_size: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        check_size::<rbd_snap_group_namespace_t>(group_snap_size)?;
        if group_snap.is_null() {
            return Err(Errno::EINVAL);
        }
        match img.snap_namespace(snap_id)? {
            SnapshotNamespace::Group { .. } => Err(Errno::EOPNOTSUPP),
            _ => Err(Errno::EINVAL),
        }
    })
}

/// # Safety
/// `group_snap` NULL or filled by rbd_snap_get_group_namespace.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_group_namespace_cleanup(
    group_snap: *mut rbd_snap_group_namespace_t,
    group_snap_size: usize,
) -> c_int {
    guard(|| {
        check_size::<rbd_snap_group_namespace_t>(group_snap_size)?;
        if !group_snap.is_null() {
            // SAFETY: per the contract.
            let ns = unsafe { &mut *group_snap };
            release(&mut ns.group_name);
            release(&mut ns.group_snap_name);
        }
        Ok(0)
    })
}

/// A mirror snapshot's record, as the header stores it; -ENOENT for no
/// such snapshot, -EINVAL for one that is not a mirror snapshot. Free with
/// rbd_snap_mirror_namespace_cleanup.
///
/// # Safety
/// `image` from rbd_open; `mirror_snap` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_get_mirror_namespace(
    image: rbd_image_t,
    snap_id: u64,
    mirror_snap: *mut rbd_snap_mirror_namespace_t,
    mirror_snap_size: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        check_size::<rbd_snap_mirror_namespace_t>(mirror_snap_size)?;
        if mirror_snap.is_null() {
            return Err(Errno::EINVAL);
        }
        let SnapshotNamespace::Mirror(m) = img.snap_namespace(snap_id)? else {
            return Err(Errno::EINVAL);
        };
        let mut uuids = Vec::new();
        for uuid in &m.mirror_peer_uuids {
            uuids.extend_from_slice(uuid.as_bytes());
            uuids.push(0);
        }
        let peers = if uuids.is_empty() { std::ptr::null_mut() } else { crate::boundary::malloc_copy(&uuids)? };
        let filled = rbd_snap_mirror_namespace_t {
            state: rbd_snap_mirror_state_t::from(m.state),
            mirror_peer_uuids_count: m.mirror_peer_uuids.len(),
            mirror_peer_uuids: peers,
            complete: m.complete,
            primary_mirror_uuid: dup(&m.primary_mirror_uuid)?,
            primary_snap_id: m.primary_snap_id,
            last_copied_object_number: m.last_copied_object_number,
        };
        // SAFETY: checked out-pointer.
        unsafe { mirror_snap.write(filled) };
        Ok(0)
    })
}

/// # Safety
/// `mirror_snap` NULL or filled by rbd_snap_get_mirror_namespace.
#[no_mangle]
pub unsafe extern "C" fn rbd_snap_mirror_namespace_cleanup(
    mirror_snap: *mut rbd_snap_mirror_namespace_t,
    mirror_snap_size: usize,
) -> c_int {
    guard(|| {
        check_size::<rbd_snap_mirror_namespace_t>(mirror_snap_size)?;
        if !mirror_snap.is_null() {
            // SAFETY: per the contract.
            let ns = unsafe { &mut *mirror_snap };
            release(&mut ns.mirror_peer_uuids);
            release(&mut ns.primary_mirror_uuid);
        }
        Ok(0)
    })
}
