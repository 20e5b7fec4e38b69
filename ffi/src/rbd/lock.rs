//! Locks and watchers of an image: the exclusive lock as an application
//! takes it, advisory locks by cookie, who watches the header, and
//! callbacks on header changes.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void, CString};

use rbdrs_client::proto::Errno;

use super::image;
use crate::boundary::{cstr, guard, put, LockerBufs};

fn exclusive_only(mode: rbd_lock_mode_t) -> Result<(), Errno> {
    match mode {
        RBD_LOCK_MODE_EXCLUSIVE => Ok(()),
        _ => Err(Errno::EOPNOTSUPP),
    }
}

/// Takes the exclusive lock and keeps it until rbd_lock_release: peers
/// asking for it are refused. Only RBD_LOCK_MODE_EXCLUSIVE exists.
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_lock_acquire(image: rbd_image_t, lock_mode: rbd_lock_mode_t) -> c_int {
    guard(|| {
        exclusive_only(lock_mode)?;
        // SAFETY: checked handle.
        unsafe { self::image(image) }?.lock_acquire().map(|_| 0)
    })
}

/// Releases the exclusive lock this open holds (-EINVAL if it does not).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_lock_release(image: rbd_image_t) -> c_int {
    // SAFETY: checked handle.
    guard(|| unsafe { self::image(image) }?.lock_release().map(|_| 0))
}

/// The exclusive lock's owners (addresses) in `lock_owners`, which holds
/// `*max_lock_owners` pointers; -ERANGE with the count needed when short;
/// -ENOENT when nobody holds it. Free with rbd_lock_get_owners_cleanup.
///
/// # Safety
/// `image` from rbd_open; `lock_mode` and `max_lock_owners` writable;
/// `lock_owners` valid for `*max_lock_owners` pointers.
#[no_mangle]
pub unsafe extern "C" fn rbd_lock_get_owners(
    image: rbd_image_t,
    lock_mode: *mut rbd_lock_mode_t,
    lock_owners: *mut *mut c_char,
    max_lock_owners: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let owners = unsafe { self::image(image) }?.lock_owners()?;
        if max_lock_owners.is_null() || lock_mode.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: checked non-NULL, writable by contract.
        unsafe { lock_mode.write(RBD_LOCK_MODE_EXCLUSIVE) };
        // SAFETY: as above.
        let room = unsafe { max_lock_owners.read() };
        if room < owners.len() || lock_owners.is_null() {
            // SAFETY: as above.
            unsafe { max_lock_owners.write(owners.len()) };
            return Err(Errno::ERANGE);
        }
        let count = owners.len();
        for (i, owner) in owners.into_iter().enumerate() {
            let owner = CString::new(owner).map_err(|_| Errno::EINVAL)?.into_raw();
            // SAFETY: lock_owners holds room >= count pointers.
            unsafe { lock_owners.add(i).write(owner) };
        }
        // SAFETY: as above.
        unsafe { max_lock_owners.write(count) };
        Ok(0)
    })
}

/// Frees what rbd_lock_get_owners filled in.
///
/// # Safety
/// `lock_owners` as filled by rbd_lock_get_owners with `lock_owner_count`
/// entries, not freed before.
#[no_mangle]
pub unsafe extern "C" fn rbd_lock_get_owners_cleanup(lock_owners: *mut *mut c_char, lock_owner_count: usize) {
    guard(|| {
        if lock_owners.is_null() {
            return Ok(());
        }
        for i in 0..lock_owner_count {
            // SAFETY: each entry came from CString::into_raw above.
            let owner = unsafe { lock_owners.add(i).read() };
            if !owner.is_null() {
                // SAFETY: as above; reclaimed once.
                drop(unsafe { CString::from_raw(owner) });
            }
        }
        Ok(())
    })
}

/// Breaks the exclusive lock `lock_owner` (from rbd_lock_get_owners)
/// holds; -EBUSY if someone else holds it now.
///
/// # Safety
/// `image` from rbd_open; `lock_owner` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_lock_break(
    image: rbd_image_t,
    lock_mode: rbd_lock_mode_t,
    lock_owner: *const c_char,
) -> c_int {
    guard(|| {
        exclusive_only(lock_mode)?;
        // SAFETY: checked handle and string.
        let (img, owner) = unsafe { (self::image(image)?, cstr(lock_owner)?) };
        img.lock_break(owner).map(|_| 0)
    })
}

/// An advisory exclusive lock on the image, by `cookie`.
///
/// # Safety
/// `image` from rbd_open; `cookie` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_lock_exclusive(image: rbd_image_t, cookie: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (img, cookie) = unsafe { (self::image(image)?, cstr(cookie)?) };
        img.lock_advisory(true, cookie, "").map(|_| 0)
    })
}

/// An advisory shared lock on the image, by `cookie` and `tag`.
///
/// # Safety
/// `image` from rbd_open; `cookie` and `tag` C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_lock_shared(image: rbd_image_t, cookie: *const c_char, tag: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (img, cookie, tag) = unsafe { (self::image(image)?, cstr(cookie)?, cstr(tag)?) };
        img.lock_advisory(false, cookie, tag).map(|_| 0)
    })
}

/// Drops this client's advisory lock `cookie`.
///
/// # Safety
/// `image` from rbd_open; `cookie` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_unlock(image: rbd_image_t, cookie: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (img, cookie) = unsafe { (self::image(image)?, cstr(cookie)?) };
        img.unlock_advisory(cookie).map(|_| 0)
    })
}

/// Drops `client`'s (`client.<n>`) advisory lock `cookie`.
///
/// # Safety
/// `image` from rbd_open; `client` and `cookie` C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_break_lock(image: rbd_image_t, client: *const c_char, cookie: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (img, client, cookie) = unsafe { (self::image(image)?, cstr(client)?, cstr(cookie)?) };
        img.break_advisory(client, cookie).map(|_| 0)
    })
}

/// The holders of the image's lock: their clients, cookies and addresses
/// as NUL-separated lists, the lock's tag and kind. Returns how many;
/// -ERANGE (every length set to what it needs) when a buffer is short.
///
/// # Safety
/// `image` from rbd_open; `exclusive` and the four lengths writable; each
/// buffer NULL or valid for its length.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn rbd_list_lockers(
    image: rbd_image_t,
    exclusive: *mut c_int,
    tag: *mut c_char,
    tag_len: *mut usize,
    clients: *mut c_char,
    clients_len: *mut usize,
    cookies: *mut c_char,
    cookies_len: *mut usize,
    addrs: *mut c_char,
    addrs_len: *mut usize,
) -> isize {
    guard(|| {
        // SAFETY: checked handle.
        let locks = unsafe { self::image(image) }?.lockers()?;
        let lockers: Vec<[String; 3]> = locks.lockers.into_iter().map(|l| [l.locker, l.cookie, l.address]).collect();
        let bufs = LockerBufs {
            exclusive,
            tag: (tag, tag_len),
            clients: (clients, clients_len),
            cookies: (cookies, cookies_len),
            addrs: (addrs, addrs_len),
        };
        // SAFETY: buffers and lengths per the contract.
        unsafe { bufs.fill(locks.exclusive, &locks.tag, &lockers) }
    })
}

/// The clients watching the image (every open of it), in `watchers` of
/// `*max_watchers` entries; -ERANGE with the count needed when short.
/// Free with rbd_watchers_list_cleanup.
///
/// # Safety
/// `image` from rbd_open; `max_watchers` writable; `watchers` valid for
/// `*max_watchers` entries.
#[no_mangle]
pub unsafe extern "C" fn rbd_watchers_list(
    image: rbd_image_t,
    watchers: *mut rbd_image_watcher_t,
    max_watchers: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let list = unsafe { self::image(image) }?.watchers()?;
        if max_watchers.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: checked non-NULL, writable by contract.
        let room = unsafe { max_watchers.replace(list.len()) };
        if room < list.len() || (watchers.is_null() && !list.is_empty()) {
            return Err(Errno::ERANGE);
        }
        for (i, w) in list.into_iter().enumerate() {
            let addr = CString::new(w.address).map_err(|_| Errno::EINVAL)?.into_raw();
            // SAFETY: watchers holds room >= list.len() entries.
            unsafe { watchers.add(i).write(rbd_image_watcher_t { addr, id: w.client, cookie: w.cookie }) };
        }
        Ok(0)
    })
}

/// Frees the addresses rbd_watchers_list filled in.
///
/// # Safety
/// `watchers` as filled by rbd_watchers_list with `num_watchers` entries,
/// not freed before.
#[no_mangle]
pub unsafe extern "C" fn rbd_watchers_list_cleanup(watchers: *mut rbd_image_watcher_t, num_watchers: usize) {
    guard(|| {
        if watchers.is_null() {
            return Ok(());
        }
        for i in 0..num_watchers {
            // SAFETY: entries as filled above.
            let entry = unsafe { &mut *watchers.add(i) };
            if !entry.addr.is_null() {
                // SAFETY: from CString::into_raw above; reclaimed once.
                drop(unsafe { CString::from_raw(entry.addr) });
                entry.addr = std::ptr::null_mut();
            }
        }
        Ok(())
    })
}

/// Calls `watch_cb(arg)` whenever the image's header changes (a resize, a
/// snapshot, by this client or another), on a library thread, after the
/// image refreshed; `*handle` names the registration.
///
/// # Safety
/// `image` from rbd_open; `handle` writable; `watch_cb` callable with
/// `arg` until rbd_update_unwatch.
#[no_mangle]
pub unsafe extern "C" fn rbd_update_watch(
    image: rbd_image_t,
    handle: *mut u64,
    watch_cb: rbd_update_callback_t,
    arg: *mut c_void,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        let (Some(cb), false) = (watch_cb, handle.is_null()) else {
            return Err(Errno::EINVAL);
        };
        let arg = arg as usize;
        // SAFETY: the caller keeps cb callable with arg until unwatched.
        let id = img.update_watch(move || unsafe { cb(arg as *mut c_void) })?;
        // SAFETY: checked non-NULL above.
        unsafe { put(handle, id) }.map(|_| 0)
    })
}

/// Stops the callbacks of `handle` (-ENOENT if unknown).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_update_unwatch(image: rbd_image_t, handle: u64) -> c_int {
    // SAFETY: checked handle.
    guard(|| unsafe { self::image(image) }?.update_unwatch(handle).map(|_| 0))
}
