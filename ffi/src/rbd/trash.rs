//! The image trash (rbd_trash_*) and rbd_remove_with_progress.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void};
use std::sync::Arc;

use rbdrs_client::image::pool::Progress;
use rbdrs_client::proto::cls::rbd::types::TrashImageSpec;

use rbdrs_client::proto::Errno;
use rbdrs_client::IoCtx;

use crate::boundary::{cstr, guard, malloc_copy};
use crate::rados::ioctx;

/// A malloc'ed copy of `text` with its NUL, as librbd's strdup.
pub(crate) fn strdup(text: &str) -> Result<*mut c_char, Errno> {
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(0);
    malloc_copy(&bytes)
}

/// Frees what [`strdup`] made (or a caller's malloc'ed string) and clears it.
///
/// # Safety
/// `*p` is NULL or from malloc, not freed yet.
pub(crate) unsafe fn free_str<T>(p: &mut *mut T) {
    // SAFETY: the caller's contract.
    unsafe { libc::free(p.cast::<c_void>()) };
    *p = std::ptr::null_mut();
}

/// A librbd_progress_fn_t as a progress sink; its return value is not
/// looked at (librbd ignores it too where these run).
pub(crate) fn progress(cb: librbd_progress_fn_t, data: *mut c_void) -> Progress {
    let data = data as usize;
    Arc::new(move |done, total| {
        if let Some(cb) = cb {
            // SAFETY: the caller gave us the callback and its argument for
            // the duration of the call.
            unsafe { cb(done, total, data as *mut c_void) };
        }
    })
}

pub(crate) fn no_progress() -> Progress {
    Arc::new(|_, _| {})
}

pub(crate) fn with_io<T>(io: rados_ioctx_t, f: impl FnOnce(&IoCtx) -> Result<T, Errno>) -> Result<T, Errno> {
    // SAFETY: the exports' contract: a live handle.
    f(&unsafe { ioctx(io) }?.io)
}

fn info_of(id: &str, spec: &TrashImageSpec) -> Result<rbd_trash_image_info_t, Errno> {
    let id = strdup(id)?;
    let name = match strdup(&spec.name) {
        Ok(name) => name,
        Err(e) => {
            // SAFETY: just allocated.
            unsafe { libc::free(id.cast()) };
            return Err(e);
        }
    };
    Ok(rbd_trash_image_info_t {
        id,
        name,
        source: rbd_trash_image_source_t::from(spec.source),
        deletion_time: spec.deletion_time.sec.into(),
        deferment_end_time: spec.deferment_end_time.sec.into(),
    })
}

/// Moves image `name` to the trash; rbd_trash_remove refuses it (without
/// force) for `delay` seconds.
///
/// # Safety
/// `io` live; `name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_trash_move(io: rados_ioctx_t, name: *const c_char, delay: u64) -> c_int {
    guard(|| {
        // SAFETY: checked C string.
        let name = unsafe { cstr(name) }?;
        with_io(io, |io| io.trash_move(name, delay)).map(|()| 0)
    })
}

/// # Safety
/// `io` live; `id` a C string; `info` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_trash_get(
    io: rados_ioctx_t,
    id: *const c_char,
    info: *mut rbd_trash_image_info_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked C string.
        let id = unsafe { cstr(id) }?;
        if info.is_null() {
            return Err(Errno::EINVAL);
        }
        let spec = with_io(io, |io| io.trash_get(id))?;
        // SAFETY: checked non-NULL, writable by contract.
        unsafe { info.write(info_of(id, &spec)?) };
        Ok(0)
    })
}

/// # Safety
/// `info` NULL or filled by rbd_trash_get / rbd_trash_list.
#[no_mangle]
pub unsafe extern "C" fn rbd_trash_get_cleanup(info: *mut rbd_trash_image_info_t) {
    guard(|| {
        // SAFETY: the export's contract.
        if let Some(info) = unsafe { info.as_mut() } {
            unsafe {
                free_str(&mut info.id);
                free_str(&mut info.name);
            }
        }
        Ok(())
    })
}

/// The trash's entries; -ERANGE with the count in `*num_entries` when
/// they do not fit. Returns the count.
///
/// # Safety
/// `io` live; `num_entries` valid; `entries` valid for `*num_entries`.
#[no_mangle]
pub unsafe extern "C" fn rbd_trash_list(
    io: rados_ioctx_t,
    entries: *mut rbd_trash_image_info_t,
    num_entries: *mut usize,
) -> c_int {
    guard(|| {
        if num_entries.is_null() {
            return Err(Errno::EINVAL);
        }
        let list = with_io(io, IoCtx::trash_list)?;
        // SAFETY: checked non-NULL.
        let room = unsafe { *num_entries };
        if room < list.len() || (entries.is_null() && !list.is_empty()) {
            unsafe { *num_entries = list.len() };
            return Err(Errno::ERANGE);
        }
        for (filled, (id, spec)) in list.iter().enumerate() {
            match info_of(id, spec) {
                // SAFETY: entries valid for room >= list.len() entries.
                Ok(info) => unsafe { entries.add(filled).write(info) },
                Err(e) => {
                    // SAFETY: the entries filled so far are ours.
                    unsafe { rbd_trash_list_cleanup(entries, filled) };
                    return Err(e);
                }
            }
        }
        unsafe { *num_entries = list.len() };
        Ok(list.len() as c_int)
    })
}

/// # Safety
/// `entries` holds `num_entries` entries from rbd_trash_list.
#[no_mangle]
pub unsafe extern "C" fn rbd_trash_list_cleanup(entries: *mut rbd_trash_image_info_t, num_entries: usize) {
    guard(|| {
        if entries.is_null() {
            return Ok(());
        }
        for i in 0..num_entries {
            // SAFETY: entries from rbd_trash_list.
            unsafe { rbd_trash_get_cleanup(entries.add(i)) };
        }
        Ok(())
    })
}

/// Puts image `id` back as `name` ("" : its old name).
///
/// # Safety
/// `io` live; `id` and `name` C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_trash_restore(io: rados_ioctx_t, id: *const c_char, name: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked C strings.
        let (id, name) = unsafe { (cstr(id)?, cstr(name)?) };
        with_io(io, |io| io.trash_restore(id, name)).map(|()| 0)
    })
}

fn remove(io: rados_ioctx_t, id: *const c_char, force: bool, progress: Progress) -> Result<c_int, Errno> {
    // SAFETY: the exports' contract.
    let id = unsafe { cstr(id) }?;
    with_io(io, |io| io.trash_remove(id, force, progress)).map(|()| 0)
}

/// Deletes image `id` for good: -EPERM before its deferment ends unless
/// `force`, -ENOTEMPTY with snapshots, -EBUSY while open elsewhere.
///
/// # Safety
/// `io` live; `id` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_trash_remove(io: rados_ioctx_t, id: *const c_char, force: bool) -> c_int {
    guard(|| remove(io, id, force, no_progress()))
}

/// # Safety
/// As [`rbd_trash_remove`]; `cb` NULL or callable with `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_trash_remove_with_progress(
    io: rados_ioctx_t,
    id: *const c_char,
    force: bool,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| remove(io, id, force, progress(cb, cbdata)))
}

fn purge(io: rados_ioctx_t, expire_ts: time_t, threshold: f32, progress: Progress) -> Result<c_int, Errno> {
    let expire = u64::try_from(expire_ts).unwrap_or(0);
    with_io(io, |io| io.trash_purge(expire, threshold, progress)).map(|()| 0)
}

/// Removes the user's trashed images whose deferment ended by `expire_ts`
/// (0: now). `threshold` -1 means no pool-fullness criterion.
///
/// # Safety
/// `io` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_trash_purge(io: rados_ioctx_t, expire_ts: time_t, threshold: f32) -> c_int {
    guard(|| purge(io, expire_ts, threshold, no_progress()))
}

/// # Safety
/// As [`rbd_trash_purge`]; `cb` NULL or callable with `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_trash_purge_with_progress(
    io: rados_ioctx_t,
    expire_ts: time_t,
    threshold: f32,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| purge(io, expire_ts, threshold, progress(cb, cbdata)))
}

/// rbd_remove, telling `cb` (objects removed, objects).
///
/// # Safety
/// `io` live; `name` a C string; `cb` NULL or callable with `cbdata`.
#[no_mangle]
pub unsafe extern "C" fn rbd_remove_with_progress(
    io: rados_ioctx_t,
    name: *const c_char,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    guard(|| {
        // SAFETY: checked C string.
        let name = unsafe { cstr(name) }?;
        let progress = progress(cb, cbdata);
        with_io(io, |io| io.remove_image_reporting(name, progress)).map(|()| 0)
    })
}
