//! Image metadata and the configuration an image sees
//! (rbd_metadata_set/remove/list, rbd_config_image_list).

use crate::types::*;
use std::ffi::{c_char, c_int};

use rbdrs_client::proto::Errno;

use super::image;
use super::image_info::strdup;
use super::pool::rbd_config_pool_list_cleanup;
use crate::boundary::{cstr, guard};

/// Sets metadata `key` to `value`; a `conf_` key must name an rbd option
/// and carry a value it accepts (-EINVAL).
///
/// # Safety
/// `image` from rbd_open; `key` and `value` C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_metadata_set(image: rbd_image_t, key: *const c_char, value: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (img, key, value) = unsafe { (self::image(image)?, cstr(key)?, cstr(value)?) };
        img.metadata_set(key, value)?;
        Ok(0)
    })
}

/// Removes metadata `key`; -ENOENT if it is not set.
///
/// # Safety
/// `image` from rbd_open; `key` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_metadata_remove(image: rbd_image_t, key: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (img, key) = unsafe { (self::image(image)?, cstr(key)?) };
        img.metadata_remove(key)?;
        Ok(0)
    })
}

/// Lists up to `max` (0: all) entries after `start`: keys and values one
/// after another, each NUL-terminated. -ERANGE, with both lengths set to
/// what they need, when a buffer is too small.
///
/// # Safety
/// `image` from rbd_open; `start` a C string; the lengths writable; each
/// buffer valid for its length.
#[no_mangle]
pub unsafe extern "C" fn rbd_metadata_list(
    image: rbd_image_t,
    start: *const c_char,
    max: u64,
    keys: *mut c_char,
    key_len: *mut usize,
    values: *mut c_char,
    vals_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (img, start) = unsafe { (self::image(image)?, cstr(start)?) };
        if key_len.is_null() || vals_len.is_null() {
            return Err(Errno::EINVAL);
        }
        let pairs = img.metadata_list(start, max)?;
        let keys_need: usize = pairs.keys().map(|k| k.len() + 1).sum();
        let vals_need: usize = pairs.values().map(|v| v.len() + 1).sum();
        // SAFETY: checked non-NULL, writable by contract.
        let (key_room, val_room) = unsafe { (key_len.replace(keys_need), vals_len.replace(vals_need)) };
        if key_room < keys_need || val_room < vals_need {
            return Err(Errno::ERANGE);
        }
        if (keys_need > 0 && keys.is_null()) || (vals_need > 0 && values.is_null()) {
            return Err(Errno::EINVAL);
        }
        let (mut k, mut v) = (0, 0);
        for (key, value) in &pairs {
            // SAFETY: the buffers hold keys_need and vals_need bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(key.as_ptr(), keys.add(k).cast::<u8>(), key.len());
                keys.add(k + key.len()).write(0);
                std::ptr::copy_nonoverlapping(value.as_ptr(), values.add(v).cast::<u8>(), value.len());
                values.add(v + value.len()).write(0);
            }
            k += key.len() + 1;
            v += value.len() + 1;
        }
        Ok(0)
    })
}

/// Every rbd option the image may override, with its value and source
/// (the configuration, the pool's or the image's overrides). -ERANGE with
/// the count needed in `*max_options` when the array is too small. Free
/// with rbd_config_image_list_cleanup.
///
/// # Safety
/// `image` from rbd_open; `max_options` writable; `options` valid for
/// `*max_options` entries.
#[no_mangle]
pub unsafe extern "C" fn rbd_config_image_list(
    image: rbd_image_t,
    options: *mut rbd_config_option_t,
    max_options: *mut c_int,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        if max_options.is_null() {
            return Err(Errno::EINVAL);
        }
        let list = img.config_list()?;
        let count = c_int::try_from(list.len()).map_err(|_| Errno::EOVERFLOW)?;
        // SAFETY: checked non-NULL.
        let room = unsafe { max_options.replace(count) };
        if room < count || options.is_null() {
            return Err(Errno::ERANGE);
        }
        for (i, (name, value, source)) in list.iter().enumerate() {
            let entry = rbd_config_option_t { name: strdup(name)?, value: strdup(value)?, source: *source as c_int };
            // SAFETY: options holds room >= count entries.
            unsafe { options.add(i).write(entry) };
        }
        Ok(0)
    })
}

/// Frees the strings rbd_config_image_list filled in.
///
/// # Safety
/// `options` NULL or as filled by rbd_config_image_list with
/// `max_options` entries.
#[no_mangle]
pub unsafe extern "C" fn rbd_config_image_list_cleanup(options: *mut rbd_config_option_t, max_options: c_int) {
    // SAFETY: the same entries rbd_config_pool_list fills; forwarded contract.
    unsafe { rbd_config_pool_list_cleanup(options, max_options) }
}
