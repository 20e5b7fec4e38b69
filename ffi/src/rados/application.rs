//! Pool applications (rados_application_*): read from the client's OSDMap,
//! changed through the monitor (or the embedded store).

use crate::types::*;
use std::ffi::{c_char, c_int};

use rbdrs_client::proto::rados::application::AppChange;
use rbdrs_client::proto::Errno;

use super::ioctx;
use crate::boundary::{cstr, guard};

/// Copies NUL-terminated `items` into `buf` as librados does: -ERANGE with
/// `*len` set to what they need when they do not fit; else `*len` is that
/// size and, room allowing, one more NUL ends the list.
///
/// # Safety
/// `len` NULL or writable; `buf` NULL or valid for `*len` bytes.
unsafe fn put_list(buf: *mut c_char, len: *mut usize, items: &[&str]) -> Result<(), Errno> {
    if len.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: checked non-NULL; readable by contract.
    let room = unsafe { *len };
    // SAFETY: forwarded contract.
    if !unsafe { crate::boundary::put_strings(buf, len, items) }? {
        return Err(Errno::ERANGE);
    }
    let needed: usize = items.iter().map(|s| s.len() + 1).sum();
    if room > needed && !buf.is_null() {
        // SAFETY: buf holds room > needed bytes.
        unsafe { buf.add(needed).write(0) };
    }
    Ok(())
}

/// Enables application `app_name` on the pool; -EPERM when another is
/// enabled and `force` is 0, as the monitor answers.
///
/// # Safety
/// `io` from rados_ioctx_create; `app_name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_application_enable(io: rados_ioctx_t, app_name: *const c_char, force: c_int) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (io, app) = unsafe { (ioctx(io)?, cstr(app_name)?) };
        io.io.change_application(AppChange::Enable { app: app.into(), force: force != 0 })?;
        Ok(0)
    })
}

/// The pool's applications, NUL-separated, into `values`; -ERANGE with
/// `*values_len` set to the size needed.
///
/// # Safety
/// `io` from rados_ioctx_create; `values_len` writable; `values` NULL or
/// valid for `*values_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_application_list(
    io: rados_ioctx_t,
    values: *mut c_char,
    values_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let apps = unsafe { ioctx(io) }?.io.applications()?;
        let names: Vec<&str> = apps.keys().map(String::as_str).collect();
        // SAFETY: forwarded contract.
        unsafe { put_list(values, values_len, &names) }?;
        Ok(0)
    })
}

/// One metadata value of an application into `value`; -ENOENT without the
/// application or key, -ERANGE with `*value_len` set to the size needed.
///
/// # Safety
/// `io` from rados_ioctx_create; `app_name`, `key` C strings; `value_len`
/// writable; `value` NULL or valid for `*value_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_application_metadata_get(
    io: rados_ioctx_t,
    app_name: *const c_char,
    key: *const c_char,
    value: *mut c_char,
    value_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (io, app, key) = unsafe { (ioctx(io)?, cstr(app_name)?, cstr(key)?) };
        let apps = io.io.applications()?;
        let found = apps.get(app).and_then(|keys| keys.get(key)).ok_or(Errno::ENOENT)?;
        if value_len.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: checked non-NULL; value valid for *value_len by contract.
        unsafe { crate::boundary::put_cstr(value, *value_len, found, value_len) }?;
        Ok(0)
    })
}

/// Sets metadata `key` of application `app_name` (which must be enabled:
/// -ENOENT otherwise).
///
/// # Safety
/// `io` from rados_ioctx_create; the strings C strings.
#[no_mangle]
pub unsafe extern "C" fn rados_application_metadata_set(
    io: rados_ioctx_t,
    app_name: *const c_char,
    key: *const c_char,
    value: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (io, app, key, value) = unsafe { (ioctx(io)?, cstr(app_name)?, cstr(key)?, cstr(value)?) };
        let change = AppChange::Set { app: app.into(), key: key.into(), value: value.into() };
        io.io.change_application(change)?;
        Ok(0)
    })
}

/// Removes metadata `key` of application `app_name` (an absent key is
/// fine; an application that is not enabled is -ENOENT).
///
/// # Safety
/// `io` from rados_ioctx_create; the strings C strings.
#[no_mangle]
pub unsafe extern "C" fn rados_application_metadata_remove(
    io: rados_ioctx_t,
    app_name: *const c_char,
    key: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (io, app, key) = unsafe { (ioctx(io)?, cstr(app_name)?, cstr(key)?) };
        io.io.change_application(AppChange::Remove { app: app.into(), key: key.into() })?;
        Ok(0)
    })
}

/// An application's metadata: keys and values, each NUL-separated, into
/// `keys` and `values`; -ERANGE with both lengths set to the sizes needed;
/// -ENOENT without the application.
///
/// # Safety
/// `io` from rados_ioctx_create; `app_name` a C string; the lengths
/// writable; the buffers NULL or valid for their lengths.
#[no_mangle]
pub unsafe extern "C" fn rados_application_metadata_list(
    io: rados_ioctx_t,
    app_name: *const c_char,
    keys: *mut c_char,
    keys_len: *mut usize,
    values: *mut c_char,
    vals_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (io, app) = unsafe { (ioctx(io)?, cstr(app_name)?) };
        let apps = io.io.applications()?;
        let meta = apps.get(app).ok_or(Errno::ENOENT)?;
        if keys_len.is_null() || vals_len.is_null() {
            return Err(Errno::EINVAL);
        }
        let ks: Vec<&str> = meta.keys().map(String::as_str).collect();
        let vs: Vec<&str> = meta.values().map(String::as_str).collect();
        let need = |items: &[&str]| items.iter().map(|s| s.len() + 1).sum::<usize>();
        // SAFETY: checked non-NULL and writable by contract.
        unsafe {
            // Both get their sizes when either does not fit.
            if *keys_len < need(&ks) || *vals_len < need(&vs) {
                keys_len.write(need(&ks));
                vals_len.write(need(&vs));
                return Err(Errno::ERANGE);
            }
            put_list(keys, keys_len, &ks)?;
            put_list(values, vals_len, &vs)?;
        }
        Ok(0)
    })
}
