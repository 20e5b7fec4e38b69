//! Pool-level image calls: create, clone, remove, rename, list, and the
//! image options rbd_create4 and rbd_clone3 take.

use crate::types::*;
use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, CString};
use std::sync::Mutex;

use rbdrs_client::proto::Errno;
use rbdrs_client::IoCtx;

use crate::boundary::{cstr, guard, put, put_cstr};
use crate::handle::{self, c_handle, Magic};
use crate::rados::ioctx;

// RBD_IMAGE_OPTION_* (librbd.h).
pub(crate) const OPT_FORMAT: c_int = 0;
pub(crate) const OPT_FEATURES: c_int = 1;
pub(crate) const OPT_ORDER: c_int = 2;
pub(crate) const OPT_STRIPE_UNIT: c_int = 3;
pub(crate) const OPT_STRIPE_COUNT: c_int = 4;
const OPT_FEATURES_SET: c_int = 8;
const OPT_FEATURES_CLEAR: c_int = 9;
const OPT_DATA_POOL: c_int = 10;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OptValue {
    Str(String),
    U64(u64),
}

/// rbd_image_options_t.
#[derive(Debug)]
pub struct ImageOptions {
    magic: Magic,
    pub(crate) values: Mutex<BTreeMap<c_int, OptValue>>,
}
c_handle!(ImageOptions, 0x7262_6472_736f_7074); // "rbdrsopt"

fn is_string_option(option: c_int) -> bool {
    matches!(option, OPT_DATA_POOL | 7 /* journal pool */)
}

fn known_option(option: c_int) -> bool {
    (0..=13).contains(&option)
}

/// # Safety
/// `opts` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_create(opts: *mut rbd_image_options_t) {
    // SAFETY: checked out-pointer.
    guard(|| {
        let fresh = handle::give(ImageOptions { magic: Magic::of::<ImageOptions>(), values: Default::default() });
        if unsafe { put(opts, fresh) }.is_err() {
            drop(unsafe { handle::free(fresh) });
        }
        Ok(())
    })
}

/// # Safety
/// `opts` from rbd_image_options_create, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_destroy(opts: rbd_image_options_t) {
    guard(|| {
        // SAFETY: the export's contract; NULL or a stale handle is ignored.
        drop(unsafe { handle::free(opts) });
        Ok(())
    })
}

pub(crate) unsafe fn options<'a>(opts: rbd_image_options_t) -> Result<&'a ImageOptions, Errno> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow(opts) }
}

fn set_option(opts: rbd_image_options_t, option: c_int, value: OptValue) -> Result<i32, Errno> {
    // SAFETY: the exports' contract.
    let opts = unsafe { options(opts) }?;
    if !known_option(option) || is_string_option(option) != matches!(value, OptValue::Str(_)) {
        return Err(Errno::EINVAL);
    }
    opts.values.lock().map_err(|_| Errno::EIO)?.insert(option, value);
    Ok(0)
}

/// # Safety
/// `opts` live; `optval` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_set_string(
    opts: rbd_image_options_t,
    optname: c_int,
    optval: *const c_char,
) -> c_int {
    // SAFETY: checked C string.
    guard(|| set_option(opts, optname, OptValue::Str(unsafe { cstr(optval) }?.to_string())))
}

/// # Safety
/// `opts` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_set_uint64(opts: rbd_image_options_t, optname: c_int, optval: u64) -> c_int {
    guard(|| set_option(opts, optname, OptValue::U64(optval)))
}

fn get_option(opts: rbd_image_options_t, option: c_int) -> Result<OptValue, Errno> {
    // SAFETY: the exports' contract.
    let opts = unsafe { options(opts) }?;
    opts.values.lock().map_err(|_| Errno::EIO)?.get(&option).cloned().ok_or(Errno::ENOENT)
}

/// # Safety
/// `opts` live; `optval` valid for `maxlen` bytes.
#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_get_string(
    opts: rbd_image_options_t,
    optname: c_int,
    optval: *mut c_char,
    maxlen: usize,
) -> c_int {
    guard(|| match get_option(opts, optname)? {
        // SAFETY: buffer valid for maxlen by contract.
        OptValue::Str(s) => unsafe { put_cstr(optval, maxlen, &s, std::ptr::null_mut()) }.map(|_| 0),
        OptValue::U64(_) => Err(Errno::EINVAL),
    })
}

/// # Safety
/// `opts` live; `optval` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_get_uint64(
    opts: rbd_image_options_t,
    optname: c_int,
    optval: *mut u64,
) -> c_int {
    guard(|| match get_option(opts, optname)? {
        // SAFETY: checked out-pointer.
        OptValue::U64(v) => unsafe { put(optval, v) }.map(|_| 0),
        OptValue::Str(_) => Err(Errno::EINVAL),
    })
}

/// # Safety
/// `opts` live; `is_set` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_is_set(
    opts: rbd_image_options_t,
    optname: c_int,
    is_set: *mut bool,
) -> c_int {
    guard(|| {
        if !known_option(optname) {
            return Err(Errno::EINVAL);
        }
        // SAFETY: checked out-pointer.
        unsafe { put(is_set, get_option(opts, optname).is_ok()) }.map(|_| 0)
    })
}

/// # Safety
/// `opts` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_unset(opts: rbd_image_options_t, optname: c_int) -> c_int {
    guard(|| {
        // SAFETY: the export's contract.
        let opts = unsafe { options(opts) }?;
        opts.values.lock().map_err(|_| Errno::EIO)?.remove(&optname).map(|_| 0).ok_or(Errno::ENOENT)
    })
}

/// # Safety
/// `opts` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_clear(opts: rbd_image_options_t) {
    // SAFETY: the export's contract.
    guard(|| {
        if let Ok(opts) = unsafe { options(opts) } {
            if let Ok(mut v) = opts.values.lock() {
                v.clear();
            }
        }
        Ok(())
    })
}

/// # Safety
/// `opts` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_image_options_is_empty(opts: rbd_image_options_t) -> c_int {
    // SAFETY: the export's contract.
    guard(|| Ok(c_int::from(unsafe { options(opts) }?.values.lock().map_err(|_| Errno::EIO)?.is_empty())))
}

/// The C options as the client's: only what the caller set.
pub(crate) fn image_options(given: &BTreeMap<c_int, OptValue>) -> rbdrs_client::ImageOptions {
    let num = |option: c_int| match given.get(&option) {
        Some(OptValue::U64(v)) => Some(*v),
        _ => None,
    };
    rbdrs_client::ImageOptions {
        format: num(OPT_FORMAT),
        features: num(OPT_FEATURES),
        features_set: num(OPT_FEATURES_SET).unwrap_or(0),
        features_clear: num(OPT_FEATURES_CLEAR).unwrap_or(0),
        order: num(OPT_ORDER),
        stripe_unit: num(OPT_STRIPE_UNIT),
        stripe_count: num(OPT_STRIPE_COUNT),
        data_pool: match given.get(&OPT_DATA_POOL) {
            Some(OptValue::Str(name)) => Some(name.clone()),
            _ => None,
        },
    }
}

fn do_create(io: rados_ioctx_t, name: *const c_char, size: u64, given: BTreeMap<c_int, OptValue>) -> Result<u8, Errno> {
    // SAFETY: the exports' contract: a live handle and a C string.
    let (pool, name) = unsafe { (ioctx(io)?, cstr(name)?) };
    pool.io.create_image(name, size, &image_options(&given))
}

fn order_in(order: *mut c_int) -> Result<BTreeMap<c_int, OptValue>, Errno> {
    let mut given = BTreeMap::new();
    if !order.is_null() {
        // SAFETY: non-NULL, readable by contract.
        let o = unsafe { *order };
        if o < 0 {
            return Err(Errno::EDOM);
        }
        if o > 0 {
            given.insert(OPT_ORDER, OptValue::U64(o as u64));
        }
    }
    Ok(given)
}

/// Creates the image and reports the order used through `order`, as
/// rbd_create, rbd_create2 and rbd_create3 do.
fn create_reporting_order(
    io: rados_ioctx_t,
    name: *const c_char,
    size: u64,
    mut given: BTreeMap<c_int, OptValue>,
    order: *mut c_int,
    extra: &[(c_int, u64)],
) -> Result<i32, Errno> {
    given.extend(extra.iter().map(|&(k, v)| (k, OptValue::U64(v))));
    let used = do_create(io, name, size, given)?;
    if !order.is_null() {
        // SAFETY: non-NULL, writable by the exports' contract.
        unsafe { *order = used as c_int };
    }
    Ok(0)
}

/// Creates a format-2 image with the configured default features;
/// `*order` 0 picks the default object size and receives the one used.
///
/// # Safety
/// `io` from rados_ioctx_create; `name` a C string; `order` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn rbd_create(io: rados_ioctx_t, name: *const c_char, size: u64, order: *mut c_int) -> c_int {
    guard(|| create_reporting_order(io, name, size, order_in(order)?, order, &[]))
}

/// # Safety
/// As [`rbd_create`].
#[no_mangle]
pub unsafe extern "C" fn rbd_create2(
    io: rados_ioctx_t,
    name: *const c_char,
    size: u64,
    features: u64,
    order: *mut c_int,
) -> c_int {
    guard(|| create_reporting_order(io, name, size, order_in(order)?, order, &[(OPT_FEATURES, features)]))
}

/// # Safety
/// As [`rbd_create`].
#[no_mangle]
pub unsafe extern "C" fn rbd_create3(
    io: rados_ioctx_t,
    name: *const c_char,
    size: u64,
    features: u64,
    order: *mut c_int,
    stripe_unit: u64,
    stripe_count: u64,
) -> c_int {
    guard(|| {
        let extra = [(OPT_FEATURES, features), (OPT_STRIPE_UNIT, stripe_unit), (OPT_STRIPE_COUNT, stripe_count)];
        create_reporting_order(io, name, size, order_in(order)?, order, &extra)
    })
}

/// # Safety
/// `io` live; `name` a C string; `opts` from rbd_image_options_create.
#[no_mangle]
pub unsafe extern "C" fn rbd_create4(
    io: rados_ioctx_t,
    name: *const c_char,
    size: u64,
    opts: rbd_image_options_t,
) -> c_int {
    guard(|| {
        // SAFETY: the export's contract.
        let given = unsafe { options(opts) }?.values.lock().map_err(|_| Errno::EIO)?.clone();
        do_create(io, name, size, given).map(|_| 0)
    })
}

fn do_clone(
    p_io: rados_ioctx_t,
    p_name: *const c_char,
    p_snap: *const c_char,
    c_io: rados_ioctx_t,
    c_name: *const c_char,
    given: BTreeMap<c_int, OptValue>,
) -> Result<u8, Errno> {
    // SAFETY: the exports' contract: live handles and C strings.
    let (parent_pool, parent_name, snap, child_pool, child_name) =
        unsafe { (ioctx(p_io)?, cstr(p_name)?, cstr(p_snap)?, ioctx(c_io)?, cstr(c_name)?) };
    child_pool.io.clone_image(&parent_pool.io, parent_name, snap, child_name, &image_options(&given))
}

/// Clones snapshot `p_snapname` of image `p_name` into `c_name`.
///
/// # Safety
/// Live ioctx handles; C strings; `c_order` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn rbd_clone(
    p_ioctx: rados_ioctx_t,
    p_name: *const c_char,
    p_snapname: *const c_char,
    c_ioctx: rados_ioctx_t,
    c_name: *const c_char,
    features: u64,
    c_order: *mut c_int,
) -> c_int {
    guard(|| {
        let mut given = order_in(c_order)?;
        given.insert(OPT_FEATURES, OptValue::U64(features));
        let used = do_clone(p_ioctx, p_name, p_snapname, c_ioctx, c_name, given)?;
        if !c_order.is_null() && used > 0 {
            // SAFETY: non-NULL, writable by contract.
            unsafe { *c_order = used as c_int };
        }
        Ok(0)
    })
}

/// # Safety
/// As [`rbd_clone`].
#[no_mangle]
pub unsafe extern "C" fn rbd_clone2(
    p_ioctx: rados_ioctx_t,
    p_name: *const c_char,
    p_snapname: *const c_char,
    c_ioctx: rados_ioctx_t,
    c_name: *const c_char,
    features: u64,
    c_order: *mut c_int,
    stripe_unit: u64,
    stripe_count: c_int,
) -> c_int {
    guard(|| {
        let mut given = order_in(c_order)?;
        given.insert(OPT_FEATURES, OptValue::U64(features));
        given.insert(OPT_STRIPE_UNIT, OptValue::U64(stripe_unit));
        given.insert(OPT_STRIPE_COUNT, OptValue::U64(stripe_count.max(0) as u64));
        do_clone(p_ioctx, p_name, p_snapname, c_ioctx, c_name, given).map(|_| 0)
    })
}

/// # Safety
/// As [`rbd_clone`]; `c_opts` from rbd_image_options_create.
#[no_mangle]
pub unsafe extern "C" fn rbd_clone3(
    p_ioctx: rados_ioctx_t,
    p_name: *const c_char,
    p_snapname: *const c_char,
    c_ioctx: rados_ioctx_t,
    c_name: *const c_char,
    c_opts: rbd_image_options_t,
) -> c_int {
    guard(|| {
        // SAFETY: the export's contract.
        let given = unsafe { options(c_opts) }?.values.lock().map_err(|_| Errno::EIO)?.clone();
        do_clone(p_ioctx, p_name, p_snapname, c_ioctx, c_name, given).map(|_| 0)
    })
}

fn with_io<T>(io: rados_ioctx_t, f: impl FnOnce(&IoCtx) -> Result<T, Errno>) -> Result<T, Errno> {
    // SAFETY: the exports' contract: a live handle.
    f(&unsafe { ioctx(io) }?.io)
}

/// Removes an image: -ENOTEMPTY with snapshots, -EBUSY while open elsewhere.
///
/// # Safety
/// `io` live; `name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_remove(io: rados_ioctx_t, name: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked C string.
        let name = unsafe { cstr(name) }?;
        with_io(io, |io| io.remove_image(name)).map(|()| 0)
    })
}

/// # Safety
/// `io` live; names C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_rename(io: rados_ioctx_t, srcname: *const c_char, destname: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked C strings.
        let (from, to) = unsafe { (cstr(srcname)?, cstr(destname)?) };
        with_io(io, |io| io.rename_image(from, to)).map(|()| 0)
    })
}

/// Image names, each NUL-terminated, into `names`; returns the bytes used,
/// or -ERANGE with the bytes needed in `*size`.
///
/// # Safety
/// `io` live; `size` valid; `names` valid for `*size` bytes.
#[no_mangle]
pub unsafe extern "C" fn rbd_list(io: rados_ioctx_t, names: *mut c_char, size: *mut usize) -> c_int {
    guard(|| {
        if size.is_null() {
            return Err(Errno::EINVAL);
        }
        let images = with_io(io, IoCtx::list_images)?;
        let mut bytes = Vec::new();
        for name in images.keys() {
            bytes.extend_from_slice(name.as_bytes());
            bytes.push(0);
        }
        // SAFETY: size checked non-NULL.
        let room = unsafe { *size };
        unsafe { *size = bytes.len() };
        if names.is_null() || room < bytes.len() {
            return Err(Errno::ERANGE);
        }
        // SAFETY: names valid for room >= bytes.len().
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), names.cast::<u8>(), bytes.len()) };
        Ok(bytes.len() as c_int)
    })
}

/// Images as (id, name) pairs; -ERANGE with the count needed in
/// `*max_images`. Free with rbd_image_spec_list_cleanup.
///
/// # Safety
/// `io` live; `max_images` valid; `images` valid for `*max_images` entries.
#[no_mangle]
pub unsafe extern "C" fn rbd_list2(io: rados_ioctx_t, images: *mut rbd_image_spec_t, max_images: *mut usize) -> c_int {
    guard(|| {
        if max_images.is_null() {
            return Err(Errno::EINVAL);
        }
        let list = with_io(io, IoCtx::list_images)?;
        // SAFETY: checked non-NULL.
        let room = unsafe { *max_images };
        unsafe { *max_images = list.len() };
        if images.is_null() && !list.is_empty() || room < list.len() {
            return Err(Errno::ERANGE);
        }
        for (i, (name, id)) in list.into_iter().enumerate() {
            let id = CString::new(id).map_err(|_| Errno::EINVAL)?.into_raw();
            let name = CString::new(name).map_err(|_| Errno::EINVAL)?.into_raw();
            // SAFETY: images valid for room > i entries.
            unsafe { images.add(i).write(rbd_image_spec_t { id, name }) };
        }
        Ok(0)
    })
}

/// Frees what rbd_list2 filled in.
///
/// # Safety
/// `images` holds `num_images` entries from rbd_list2.
#[no_mangle]
pub unsafe extern "C" fn rbd_image_spec_list_cleanup(images: *mut rbd_image_spec_t, num_images: usize) {
    guard(|| {
        if images.is_null() {
            return Ok(());
        }
        for i in 0..num_images {
            // SAFETY: entries from rbd_list2; strings from CString::into_raw.
            let entry = unsafe { &mut *images.add(i) };
            for p in [&mut entry.id, &mut entry.name] {
                if !p.is_null() {
                    drop(unsafe { CString::from_raw(*p) });
                    *p = std::ptr::null_mut();
                }
            }
        }
        Ok(())
    })
}
