//! Namespaces, pool metadata, pool configuration overrides and pool
//! statistics (rbd_namespace_*, rbd_pool_metadata_*, rbd_config_pool_*,
//! rbd_pool_stats_*).

use crate::types::*;
use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, c_void};
use std::sync::Mutex;

use rbdrs_client::proto::Errno;

use super::trash::{free_str, strdup, with_io};
use crate::boundary::{cstr, guard, put};
use crate::handle::{self, c_handle, Magic};

/// Readies the pool for rbd as `rbd pool init` does: enables the `rbd`
/// application (-EPERM when another is enabled, unless `force`).
///
/// # Safety
/// `io` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_pool_init(io: rados_ioctx_t, force: bool) -> c_int {
    guard(|| with_io(io, |io| io.rbd_pool_init(force)).map(|()| 0))
}

/// # Safety
/// `io` live; `name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_namespace_create(io: rados_ioctx_t, name: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked C string.
        let name = unsafe { cstr(name) }?;
        with_io(io, |io| io.namespace_create(name)).map(|()| 0)
    })
}

/// -EBUSY while the namespace holds images or trashed images.
///
/// # Safety
/// `io` live; `name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_namespace_remove(io: rados_ioctx_t, name: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked C string.
        let name = unsafe { cstr(name) }?;
        with_io(io, |io| io.namespace_remove(name)).map(|()| 0)
    })
}

/// Names, each NUL-terminated; returns the bytes used, or -ERANGE with the
/// bytes needed in `*size`.
///
/// # Safety
/// `io` live; `size` valid; `names` valid for `*size` bytes.
#[no_mangle]
pub unsafe extern "C" fn rbd_namespace_list(io: rados_ioctx_t, names: *mut c_char, size: *mut usize) -> c_int {
    guard(|| {
        if size.is_null() || names.is_null() {
            return Err(Errno::EINVAL);
        }
        let list = with_io(io, |io| io.namespace_list())?;
        let mut bytes = Vec::new();
        for name in &list {
            bytes.extend_from_slice(name.as_bytes());
            bytes.push(0);
        }
        // SAFETY: checked non-NULL.
        if unsafe { *size } < bytes.len() {
            unsafe { *size = bytes.len() };
            return Err(Errno::ERANGE);
        }
        unsafe { *size = bytes.len() };
        // SAFETY: names valid for *size >= bytes.len() bytes.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), names.cast::<u8>(), bytes.len()) };
        Ok(bytes.len() as c_int)
    })
}

/// The value of pool metadata `key` with its NUL; -ERANGE with the size
/// needed in `*val_len` when it does not fit (checked even when the key is
/// missing, as librbd does).
///
/// # Safety
/// `io` live; `key` a C string; `val_len` valid; `value` valid for `*val_len`.
#[no_mangle]
pub unsafe extern "C" fn rbd_pool_metadata_get(
    io: rados_ioctx_t,
    key: *const c_char,
    value: *mut c_char,
    val_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked C string.
        let key = unsafe { cstr(key) }?;
        if val_len.is_null() {
            return Err(Errno::EINVAL);
        }
        let got = with_io(io, |io| io.pool_metadata_get(key));
        let text = got.as_deref().map(|v| v.to_vec()).unwrap_or_default();
        // SAFETY: checked non-NULL.
        if unsafe { *val_len } < text.len() + 1 || value.is_null() {
            unsafe { *val_len = text.len() + 1 };
            return Err(Errno::ERANGE);
        }
        got?;
        // SAFETY: value valid for *val_len > text.len() bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), value.cast::<u8>(), text.len());
            value.add(text.len()).write(0);
        }
        Ok(0)
    })
}

/// Sets pool metadata `key`; a `conf_<option>` key must name an option a
/// pool may override, with a valid value (-EINVAL otherwise).
///
/// # Safety
/// `io` live; `key` and `value` C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_pool_metadata_set(io: rados_ioctx_t, key: *const c_char, value: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked C strings.
        let (key, value) = unsafe { (cstr(key)?, cstr(value)?) };
        with_io(io, |io| io.pool_metadata_set(key, value)).map(|()| 0)
    })
}

/// -ENOENT when the key is not set.
///
/// # Safety
/// `io` live; `key` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_pool_metadata_remove(io: rados_ioctx_t, key: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked C string.
        let key = unsafe { cstr(key) }?;
        with_io(io, |io| io.pool_metadata_remove(key)).map(|()| 0)
    })
}

/// Up to `max` keys after `start` (0: 64) and their values, each
/// NUL-terminated; returns 0, or -ERANGE with both sizes needed.
///
/// # Safety
/// `io` live; `start` a C string; lengths valid; buffers valid for them.
#[no_mangle]
pub unsafe extern "C" fn rbd_pool_metadata_list(
    io: rados_ioctx_t,
    start: *const c_char,
    max: u64,
    keys: *mut c_char,
    key_len: *mut usize,
    values: *mut c_char,
    vals_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked C string.
        let start = unsafe { cstr(start) }?;
        if key_len.is_null() || vals_len.is_null() {
            return Err(Errno::EINVAL);
        }
        let pairs = with_io(io, |io| io.pool_metadata_list(start, max))?;
        let (mut kbuf, mut vbuf) = (Vec::new(), Vec::new());
        for (k, v) in &pairs {
            kbuf.extend_from_slice(k.as_bytes());
            kbuf.push(0);
            vbuf.extend_from_slice(v);
            vbuf.push(0);
        }
        // SAFETY: checked non-NULL.
        let fits = unsafe { *key_len >= kbuf.len() && *vals_len >= vbuf.len() };
        unsafe {
            *key_len = kbuf.len();
            *vals_len = vbuf.len();
        }
        if !fits || (keys.is_null() && !kbuf.is_empty()) || (values.is_null() && !vbuf.is_empty()) {
            return Err(Errno::ERANGE);
        }
        // SAFETY: buffers valid for at least what was checked above.
        unsafe {
            std::ptr::copy_nonoverlapping(kbuf.as_ptr(), keys.cast::<u8>(), kbuf.len());
            std::ptr::copy_nonoverlapping(vbuf.as_ptr(), values.cast::<u8>(), vbuf.len());
        }
        // librbd answers 0 here, not the count.
        Ok(0)
    })
}

/// Every option a pool may override, with its value and where it comes
/// from; -ERANGE with the count needed in `*max_options`.
///
/// # Safety
/// `io` live; `max_options` valid; `options` valid for `*max_options`.
#[no_mangle]
pub unsafe extern "C" fn rbd_config_pool_list(
    io: rados_ioctx_t,
    options: *mut rbd_config_option_t,
    max_options: *mut c_int,
) -> c_int {
    guard(|| {
        if max_options.is_null() {
            return Err(Errno::EINVAL);
        }
        let list = with_io(io, |io| io.config_pool_list())?;
        let count = c_int::try_from(list.len()).map_err(|_| Errno::ERANGE)?;
        // SAFETY: checked non-NULL.
        if unsafe { *max_options } < count || options.is_null() {
            unsafe { *max_options = count };
            return Err(Errno::ERANGE);
        }
        for (i, option) in list.iter().enumerate() {
            let entry = rbd_config_option_t {
                name: strdup(&option.name)?,
                value: strdup(&option.value)?,
                source: option.source,
            };
            // SAFETY: options valid for *max_options >= count entries.
            unsafe { options.add(i).write(entry) };
        }
        unsafe { *max_options = count };
        Ok(0)
    })
}

/// # Safety
/// `options` holds `max_options` entries from rbd_config_pool_list.
#[no_mangle]
pub unsafe extern "C" fn rbd_config_pool_list_cleanup(options: *mut rbd_config_option_t, max_options: c_int) {
    guard(|| {
        if options.is_null() {
            return Ok(());
        }
        for i in 0..max_options.max(0) as usize {
            // SAFETY: entries from rbd_config_pool_list.
            let entry = unsafe { &mut *options.add(i) };
            unsafe {
                free_str(&mut entry.name);
                free_str(&mut entry.value);
            }
        }
        Ok(())
    })
}

/// rbd_pool_stats_t: which statistics to gather, and where to put them.
#[derive(Debug)]
pub struct PoolStats {
    magic: Magic,
    wanted: Mutex<BTreeMap<c_int, usize>>,
}
c_handle!(PoolStats, 0x7262_6472_7370_7374); // "rbdrspst"

/// # Safety
/// `stats` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_pool_stats_create(stats: *mut rbd_pool_stats_t) {
    guard(|| {
        let fresh = handle::give(PoolStats { magic: Magic::of::<PoolStats>(), wanted: Default::default() });
        // SAFETY: checked out-pointer.
        if unsafe { put(stats, fresh.cast::<c_void>()) }.is_err() {
            drop(unsafe { handle::free(fresh) });
        }
        Ok(())
    })
}

/// # Safety
/// `stats` from rbd_pool_stats_create, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rbd_pool_stats_destroy(stats: rbd_pool_stats_t) {
    guard(|| {
        // SAFETY: the export's contract; NULL or a stale handle is ignored.
        drop(unsafe { handle::free(stats.cast::<PoolStats>()) });
        Ok(())
    })
}

/// Asks for statistic `stat_option` into `*stat_val`; -ENOENT for an
/// unknown statistic.
///
/// # Safety
/// `stats` live; `stat_val` writable until rbd_pool_stats_get returns.
#[no_mangle]
pub unsafe extern "C" fn rbd_pool_stats_option_add_uint64(
    stats: rbd_pool_stats_t,
    stat_option: c_int,
    stat_val: *mut u64,
) -> c_int {
    guard(|| {
        // SAFETY: the export's contract.
        let stats = unsafe { handle::borrow(stats.cast::<PoolStats>()) }?;
        if !(RBD_POOL_STAT_OPTION_IMAGES..=RBD_POOL_STAT_OPTION_TRASH_SNAPSHOTS).contains(&stat_option) {
            return Err(Errno::ENOENT);
        }
        if stat_val.is_null() {
            return Err(Errno::EINVAL);
        }
        stats.wanted.lock().map_err(|_| Errno::EIO)?.insert(stat_option, stat_val as usize);
        Ok(0)
    })
}

/// Gathers the statistics asked for.
///
/// # Safety
/// `io` live; `stats` live with its value pointers still writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_pool_stats_get(io: rados_ioctx_t, stats: rbd_pool_stats_t) -> c_int {
    guard(|| {
        // SAFETY: the export's contract.
        let stats = unsafe { handle::borrow(stats.cast::<PoolStats>()) }?;
        let wanted = stats.wanted.lock().map_err(|_| Errno::EIO)?.clone();
        let images = wanted.keys().any(|&k| k <= RBD_POOL_STAT_OPTION_IMAGE_SNAPSHOTS);
        let trashed = wanted.keys().any(|&k| k >= RBD_POOL_STAT_OPTION_TRASH_IMAGES);
        let (listed, in_trash) = with_io(io, |io| io.pool_stats(images, trashed))?;
        for (option, ptr) in wanted {
            let value = match option {
                RBD_POOL_STAT_OPTION_IMAGES => listed.images,
                RBD_POOL_STAT_OPTION_IMAGE_PROVISIONED_BYTES => listed.provisioned_bytes,
                RBD_POOL_STAT_OPTION_IMAGE_MAX_PROVISIONED_BYTES => listed.max_provisioned_bytes,
                RBD_POOL_STAT_OPTION_IMAGE_SNAPSHOTS => listed.snapshots,
                RBD_POOL_STAT_OPTION_TRASH_IMAGES => in_trash.images,
                RBD_POOL_STAT_OPTION_TRASH_PROVISIONED_BYTES => in_trash.provisioned_bytes,
                RBD_POOL_STAT_OPTION_TRASH_MAX_PROVISIONED_BYTES => in_trash.max_provisioned_bytes,
                _ => in_trash.snapshots,
            };
            // SAFETY: registered non-NULL by rbd_pool_stats_option_add_uint64,
            // writable by its contract.
            unsafe { (ptr as *mut u64).write(value) };
        }
        Ok(0)
    })
}
