//! Opening, closing and asking about an image.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void};

use rbdrs_client::proto::Errno;

use super::{image, Image};
use crate::boundary::{cstr, guard, opt_cstr, put, put_cstr};
use crate::handle;
use crate::rados::ioctx;

fn open_handle(
    io: rados_ioctx_t,
    name: *const c_char,
    snap: *const c_char,
    read_only: bool,
) -> Result<rbd_image_t, Errno> {
    // SAFETY: checked handle and strings (the exports' contracts).
    let (pool, name, snap) = unsafe { (ioctx(io)?, cstr(name)?, opt_cstr(snap)?) };
    let image = rbdrs_client::Image::open(&pool.io, name, snap, read_only)?;
    Ok(Image::give(image))
}

/// Opens and hands the handle over; on failure to hand it over, closes it.
fn open_into(
    io: rados_ioctx_t,
    name: *const c_char,
    image: *mut rbd_image_t,
    snap: *const c_char,
    read_only: bool,
) -> Result<i32, Errno> {
    let handle = open_handle(io, name, snap, read_only)?;
    // SAFETY: out-pointer checked by put (the exports' contract).
    if let Err(e) = unsafe { put(image, handle) } {
        // SAFETY: handle was just created and never shared.
        unsafe { rbd_close(handle) };
        return Err(e);
    }
    Ok(0)
}

/// Opens image `name` read-write (or at snapshot `snap_name`, read-only).
///
/// # Safety
/// `io` from rados_ioctx_create; `name` a C string; `image` writable;
/// `snap_name` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_open(
    io: rados_ioctx_t,
    name: *const c_char,
    image: *mut rbd_image_t,
    snap_name: *const c_char,
) -> c_int {
    guard(|| open_into(io, name, image, snap_name, false))
}

/// Opens image `name` read-only (at `snap_name` if not NULL).
///
/// # Safety
/// As [`rbd_open`].
#[no_mangle]
pub unsafe extern "C" fn rbd_open_read_only(
    io: rados_ioctx_t,
    name: *const c_char,
    image: *mut rbd_image_t,
    snap_name: *const c_char,
) -> c_int {
    guard(|| open_into(io, name, image, snap_name, true))
}

/// Closes an image: waits for its in-flight IO, releases its lock.
///
/// # Safety
/// `image` from rbd_open, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rbd_close(image: rbd_image_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let result = unsafe { self::image(image) }?.image.close();
        // SAFETY: the export's contract; C must not use the handle again.
        let boxed = unsafe { handle::free(image) };
        // Keep the box alive if requests are still running (a timeout).
        if boxed.as_ref().is_some_and(|img| !img.is_idle()) {
            std::mem::forget(boxed);
        }
        result?;
        Ok(0)
    })
}

/// Borrows the image behind a handle for one export.
fn with_image<T>(image: rbd_image_t, f: impl FnOnce(&Image) -> Result<T, Errno>) -> Result<T, Errno> {
    // SAFETY: the exports' contract: a live handle.
    f(unsafe { self::image(image) }?)
}

/// Fills `info` (rbd_image_info_t) for what the image shows.
///
/// # Safety
/// `image` from rbd_open; `info` valid for `infosize` bytes.
#[no_mangle]
pub unsafe extern "C" fn rbd_stat(image: rbd_image_t, info: *mut rbd_image_info_t, infosize: usize) -> c_int {
    guard(|| {
        if infosize < std::mem::size_of::<rbd_image_info_t>() {
            return Err(Errno::ERANGE);
        }
        let stat = with_image(image, |img| img.info())?;
        let mut out = rbd_image_info_t {
            size: stat.size,
            obj_size: stat.object_size,
            num_objs: stat.num_objects,
            order: c_int::from(stat.order),
            block_name_prefix: [0; 24],
            parent_pool: stat.parent_pool,
            parent_name: [0; 96],
        };
        copy_into(&mut out.block_name_prefix, &stat.block_name_prefix);
        copy_into(&mut out.parent_name, &stat.parent_name);
        // SAFETY: checked pointer, size checked above.
        unsafe { put(info, out) }?;
        Ok(0)
    })
}

fn copy_into(dst: &mut [c_char], text: &str) {
    let room = dst.len() - 1;
    for (d, s) in dst.iter_mut().zip(text.bytes().take(room)) {
        *d = s as c_char;
    }
}

/// The size of what the image shows (head or snapshot).
///
/// # Safety
/// `image` from rbd_open; `size` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_size(image: rbd_image_t, size: *mut u64) -> c_int {
    // SAFETY: checked handle and out-pointer.
    guard(|| with_image(image, |img| unsafe { put(size, img.size()?) }.map(|_| 0)))
}

/// The image's feature bits.
///
/// # Safety
/// `image` from rbd_open; `features` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_features(image: rbd_image_t, features: *mut u64) -> c_int {
    // SAFETY: checked handle and out-pointer.
    guard(|| with_image(image, |img| unsafe { put(features, img.features()?) }.map(|_| 0)))
}

/// The header flags (object-map / fast-diff invalid).
///
/// # Safety
/// `image` from rbd_open; `flags` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_flags(image: rbd_image_t, flags: *mut u64) -> c_int {
    // SAFETY: checked handle and out-pointer.
    guard(|| with_image(image, |img| unsafe { put(flags, img.flags()?) }.map(|_| 0)))
}

/// 0: librbdrs images are all format 2 (format 1 cannot be created).
///
/// # Safety
/// `image` from rbd_open; `old` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_old_format(image: rbd_image_t, old: *mut u8) -> c_int {
    // SAFETY: checked handle and out-pointer.
    guard(|| with_image(image, |_| unsafe { put(old, 0) }.map(|_| 0)))
}

/// The stripe unit (the object size without fancy striping).
///
/// # Safety
/// `image` from rbd_open; `stripe_unit` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_stripe_unit(image: rbd_image_t, stripe_unit: *mut u64) -> c_int {
    // SAFETY: checked handle and out-pointer.
    guard(|| with_image(image, |img| unsafe { put(stripe_unit, img.ctx()?.layout.stripe_unit()) }.map(|_| 0)))
}

/// The stripe count (1 without fancy striping).
///
/// # Safety
/// `image` from rbd_open; `stripe_count` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_stripe_count(image: rbd_image_t, stripe_count: *mut u64) -> c_int {
    // SAFETY: checked handle and out-pointer.
    guard(|| with_image(image, |img| unsafe { put(stripe_count, img.ctx()?.layout.stripe_count()) }.map(|_| 0)))
}

/// The image's id; -ERANGE if `id_len` cannot hold it and its NUL.
///
/// # Safety
/// `image` from rbd_open; `id` valid for `id_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_id(image: rbd_image_t, id: *mut c_char, id_len: usize) -> c_int {
    guard(|| {
        let text = with_image(image, |img| Ok(img.ctx()?.id.clone()))?;
        // SAFETY: id valid for id_len bytes by contract.
        unsafe { put_cstr(id, id_len, &text, std::ptr::null_mut()) }?;
        Ok(0)
    })
}

/// The data objects' name prefix; -ERANGE if `prefix_len` is too small.
///
/// # Safety
/// `image` from rbd_open; `prefix` valid for `prefix_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_block_name_prefix(
    image: rbd_image_t,
    prefix: *mut c_char,
    prefix_len: usize,
) -> c_int {
    guard(|| {
        let text = with_image(image, |img| Ok(img.ctx()?.object_prefix.clone()))?;
        // SAFETY: prefix valid for prefix_len bytes by contract.
        unsafe { put_cstr(prefix, prefix_len, &text, std::ptr::null_mut()) }?;
        Ok(0)
    })
}

/// The pool holding the data objects (the image's own without a data pool).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_data_pool_id(image: rbd_image_t) -> i64 {
    guard(|| with_image(image, |img| Ok(img.ctx()?.data_io.pool)))
}

/// How much of the image reads through to its parent (0 without one).
///
/// # Safety
/// `image` from rbd_open; `overlap` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_overlap(image: rbd_image_t, overlap: *mut u64) -> c_int {
    // SAFETY: checked handle and out-pointer.
    guard(|| with_image(image, |img| unsafe { put(overlap, img.overlap()?) }.map(|_| 0)))
}

/// The parent's pool name, image name and snapshot name; -ENOENT without
/// a parent, -ERANGE when a buffer is too small.
///
/// # Safety
/// `image` from rbd_open; each buffer NULL or valid for its length.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_parent_info(
    image: rbd_image_t,
    parent_pool_name: *mut c_char,
    ppool_namelen: usize,
    parent_name: *mut c_char,
    pnamelen: usize,
    parent_snap_name: *mut c_char,
    psnap_namelen: usize,
) -> c_int {
    guard(|| {
        let parent = with_image(image, |img| img.parent())?.ok_or(Errno::ENOENT)?;
        // SAFETY: buffers valid for their lengths by contract.
        unsafe {
            put_cstr(parent_pool_name, ppool_namelen, &parent.pool_name, std::ptr::null_mut())?;
            put_cstr(parent_name, pnamelen, &parent.image_name, std::ptr::null_mut())?;
            put_cstr(parent_snap_name, psnap_namelen, &parent.snap_name, std::ptr::null_mut())?;
        }
        Ok(0)
    })
}

/// Resizes the image (shrinking discards what lies past the new end).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_resize(image: rbd_image_t, size: u64) -> c_int {
    guard(|| with_image(image, |img| img.resize(size)).map(|()| 0))
}

/// Copies everything the parent still provides and detaches the parent.
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_flatten(image: rbd_image_t) -> c_int {
    guard(|| with_image(image, |img| img.flatten()).map(|()| 0))
}

/// Writes back dirty data, then drops everything cached (QEMU calls it
/// before taking over a migrated guest). Without a cache: nothing to do.
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_invalidate_cache(image: rbd_image_t) -> c_int {
    guard(|| with_image(image, |img| img.invalidate_cache()).map(|()| 0))
}

/// Whether this open holds the exclusive lock.
///
/// # Safety
/// `image` from rbd_open; `is_owner` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_is_exclusive_lock_owner(image: rbd_image_t, is_owner: *mut c_int) -> c_int {
    // SAFETY: checked handle and out-pointer.
    guard(|| with_image(image, |img| unsafe { put(is_owner, c_int::from(img.is_lock_owner()?)) }.map(|_| 0)))
}

/// Reads image metadata `key`; -ENOENT if unset, -ERANGE if `value` is
/// too small (with the needed size in `vallen`).
///
/// # Safety
/// `image` from rbd_open; `key` a C string; `value` valid for `*vallen`.
#[no_mangle]
pub unsafe extern "C" fn rbd_metadata_get(
    image: rbd_image_t,
    key: *const c_char,
    value: *mut c_char,
    vallen: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked string and out-pointer.
        let key = unsafe { cstr(key) }?.to_string();
        if vallen.is_null() {
            return Err(Errno::EINVAL);
        }
        let text = with_image(image, |img| img.metadata_get(&key))?;
        // SAFETY: vallen checked non-NULL; value valid for *vallen.
        unsafe { put_cstr(value, *vallen, &text, vallen) }?;
        Ok(0)
    })
}

/// Image encryption is not offered yet.
///
/// # Safety
/// Any arguments; none is dereferenced.
#[no_mangle]
pub unsafe extern "C" fn rbd_encryption_format(
    image: rbd_image_t,
    format: c_int,
    opts: *mut c_void,
    opts_size: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        unsafe { self::image(image) }?;
        encryption_options(format, opts, opts_size, false)?;
        Err(Errno::EOPNOTSUPP)
    })
}

/// Image encryption is not offered yet.
///
/// # Safety
/// Any arguments; none is dereferenced.
#[no_mangle]
pub unsafe extern "C" fn rbd_encryption_load(
    image: rbd_image_t,
    format: c_int,
    opts: *mut c_void,
    opts_size: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        unsafe { self::image(image) }?;
        encryption_options(format, opts, opts_size, true)?;
        Err(Errno::EOPNOTSUPP)
    })
}

/// Image encryption is not offered yet.
///
/// # Safety
/// Any arguments; none is dereferenced.
#[no_mangle]
pub unsafe extern "C" fn rbd_encryption_load2(image: rbd_image_t, specs: *const c_void, spec_count: usize) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        unsafe { self::image(image) }?;
        if specs.is_null() || spec_count == 0 {
            return Err(Errno::EINVAL);
        }
        // SAFETY: `specs` holds `spec_count` entries by the contract.
        let specs = unsafe { std::slice::from_raw_parts(specs.cast::<rbd_encryption_spec_t>(), spec_count) };
        for spec in specs {
            encryption_options(spec.format, spec.opts, spec.opts_size, true)?;
        }
        Err(Errno::EOPNOTSUPP)
    })
}

/// librbd's checks of encryption options, before anything is attempted:
/// NULL options, a size that is not the format's options struct, or an
/// unknown format are -EINVAL. LUKS (either version) is for loading only.
fn encryption_options(format: c_int, opts: *const c_void, opts_size: usize, load: bool) -> Result<(), Errno> {
    // rbd_encryption_luks1/luks2_format_options_t: alg, passphrase, size;
    // rbd_encryption_luks_format_options_t: passphrase, size.
    let want = match format {
        0 | 1 => 3 * std::mem::size_of::<usize>(),
        2 if load => 2 * std::mem::size_of::<usize>(),
        _ => return Err(Errno::EINVAL),
    };
    if opts.is_null() || opts_size != want {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Reports allocated extents of [ofs, ofs + len) in image order, one
/// whole object at a time, as QEMU's block status asks. A hole is left
/// unreported. Existence comes from the object map when it is valid, else
/// from the objects themselves; a clone's extents inside the parent
/// overlap count as allocated (the parent may hold data there).
/// `fromsnapname` narrows nothing yet: everything allocated is reported,
/// a superset of the changes, which is safe for a backup to copy.
///
/// # Safety
/// `image` from rbd_open; `fromsnapname` NULL or a C string; `cb` called
/// with `arg` on the caller's thread.
#[no_mangle]
pub unsafe extern "C" fn rbd_diff_iterate2(
    image: rbd_image_t,
    fromsnapname: *const c_char,
    ofs: u64,
    len: u64,
    include_parent: u8,
    whole_object: u8,
    cb: Option<unsafe extern "C" fn(offs: u64, len: usize, exists: c_int, arg: *mut c_void) -> c_int>,
    arg: *mut c_void,
) -> c_int {
    let _ = whole_object;
    guard(|| {
        // SAFETY: checked string.
        unsafe { opt_cstr(fromsnapname) }?;
        let cb = cb.ok_or(Errno::EINVAL)?;
        for (offset, length) in with_image(image, |img| img.allocated(ofs, len, include_parent != 0))? {
            // SAFETY: the caller's callback and argument.
            let r = unsafe { cb(offset, length as usize, 1, arg) };
            if r != 0 {
                return Ok(r);
            }
        }
        Ok(0)
    })
}

/// Whether the namespace exists ("" always does).
///
/// # Safety
/// `io` from rados_ioctx_create; `name` a C string; `exists` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_namespace_exists(io: rados_ioctx_t, name: *const c_char, exists: *mut bool) -> c_int {
    guard(|| {
        // SAFETY: checked handle, string and out-pointer.
        let (_, name) = unsafe { (ioctx(io)?, cstr(name)?) };
        // Namespaces are not created here yet; only the default one exists.
        unsafe { put(exists, name.is_empty()) }?;
        Ok(0)
    })
}
