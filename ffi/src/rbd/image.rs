//! Opening, closing and asking about an image.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void};
use std::sync::Arc;

use rbdrs_core::cache::CacheConfig;
use rbdrs_core::cls::rbd::client as cls;
use rbdrs_core::cls::rbd::types::{
    RBD_FEATURE_FAST_DIFF, RBD_FEATURE_OBJECT_MAP, RBD_FLAG_FAST_DIFF_INVALID, RBD_FLAG_OBJECT_MAP_INVALID,
};
use rbdrs_core::image::open::{close, open};
use rbdrs_core::image::{manage, DiscardPolicy, ImageCtx};
use rbdrs_core::osd::ObjectOperation;
use rbdrs_core::rados::join_all;
use rbdrs_core::striper::{file_to_extents, object_count};
use rbdrs_core::Errno;

use super::{image, Image};
use crate::boundary::{cstr, guard, opt_cstr, put, put_cstr};
use crate::rados::ioctx;

fn open_handle(
    io: rados_ioctx_t,
    name: *const c_char,
    snap: *const c_char,
    read_only: bool,
) -> Result<rbd_image_t, Errno> {
    // SAFETY: checked handle and strings (the exports' contracts).
    let (pool, name, snap) = unsafe { (ioctx(io)?, cstr(name)?.to_string(), opt_cstr(snap)?.map(str::to_string)) };
    let conn = pool.conn.clone();
    let io = pool.io.lock().map_err(|_| Errno::EIO)?.clone();
    let discard = {
        let config = conn.config.lock().map_err(|_| Errno::EIO)?;
        DiscardPolicy {
            skip_partial: config.get_bool("rbd_skip_partial_discard").unwrap_or(true),
            granularity: config.get_u64("rbd_discard_granularity_bytes").unwrap_or(64 * 1024),
        }
    };
    let mut ictx = conn.run_admin(async move { open(&io, &name, snap.as_deref(), read_only).await })??;
    ictx.discard = discard;
    let cache = cache_config(&conn, &ictx);
    match cache.and_then(|config| Image::new(conn.clone(), ictx.clone(), Some(config))) {
        Ok(image) => Ok(Box::into_raw(image)),
        Err(e) => {
            let _ = conn.run_admin(async move { close(&ictx).await });
            Err(e)
        }
    }
}

/// The connection's cache options with the image's `conf_rbd_cache*`
/// metadata over them, as librbd applies them at open.
fn cache_config(conn: &Arc<crate::rados::Connection>, ictx: &ImageCtx) -> Result<CacheConfig, Errno> {
    let (io, header) = (ictx.io.clone(), ictx.header_object());
    // One short listing from just before the cache keys; a store without
    // metadata support simply has no overrides.
    let listed = conn.run_admin(async move {
        let mut op = ObjectOperation::new();
        cls::metadata_list(&mut op, "conf_rbd_cach", 16);
        let reply = io.read_head(&header, op).await?;
        cls::metadata_list_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)
    });
    let overrides: Vec<(String, String)> = match listed {
        Ok(Ok(map)) => map
            .into_iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("conf_")?.to_string(), String::from_utf8_lossy(&v).into_owned())))
            .filter(|(k, _)| k.starts_with("rbd_cache"))
            .collect(),
        _ => Vec::new(),
    };
    let config = conn.config.lock().map_err(|_| Errno::EIO)?;
    super::cache::config(&config, &overrides)
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
        let img = unsafe { self::image(image) }?;
        let upto = img.inflight.newest();
        let inflight = img.inflight.clone();
        let ictx = img.ctx()?;
        // librbd writes the cache back on close; a failure is reported,
        // and the image is closed all the same.
        let flushed = img.cache.as_ref().map(|c| c.flush());
        let result = img.conn.run_admin(async move {
            inflight.drained(upto).await;
            let flushed = match flushed {
                Some(f) => f.await.map(drop),
                None => Ok(()),
            };
            let closed = close(&ictx).await;
            flushed.and(closed)
        });
        // SAFETY: ownership returns to us; C must not use the handle again.
        let mut boxed = unsafe { Box::from_raw(image) };
        boxed.magic = 0;
        // Keep the box alive if requests are still running (a timeout).
        if !boxed.inflight.is_idle() {
            std::mem::forget(boxed);
        }
        result??;
        Ok(0)
    })
}

fn with_image<T>(image: rbd_image_t, f: impl FnOnce(&Image, Arc<ImageCtx>) -> Result<T, Errno>) -> Result<T, Errno> {
    // SAFETY: the exports' contract: a live handle.
    let img = unsafe { self::image(image) }?;
    f(img, img.ctx()?)
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
        with_image(image, |_, ictx| {
            let size = ictx.size_at(ictx.snap_id)?;
            let mut out = rbd_image_info_t {
                size,
                obj_size: ictx.layout.object_size(),
                num_objs: object_count(&ictx.layout, size),
                order: ictx.layout.object_size().trailing_zeros() as c_int,
                block_name_prefix: [0; 24],
                parent_pool: -1,
                parent_name: [0; 96],
            };
            copy_into(&mut out.block_name_prefix, &ictx.object_prefix);
            if let (Some(info), Some(parent)) = (ictx.parent_info_at(ictx.snap_id), &ictx.parent) {
                out.parent_pool = info.spec.pool_id;
                copy_into(&mut out.parent_name, &parent.name);
            }
            // SAFETY: checked pointer, size checked above.
            unsafe { put(info, out) }?;
            Ok(0)
        })
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
    guard(|| with_image(image, |_, ictx| unsafe { put(size, ictx.size_at(ictx.snap_id)?) }.map(|_| 0)))
}

/// The image's feature bits.
///
/// # Safety
/// `image` from rbd_open; `features` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_features(image: rbd_image_t, features: *mut u64) -> c_int {
    // SAFETY: checked handle and out-pointer.
    guard(|| with_image(image, |_, ictx| unsafe { put(features, ictx.features) }.map(|_| 0)))
}

/// The header flags (object-map / fast-diff invalid).
///
/// # Safety
/// `image` from rbd_open; `flags` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_flags(image: rbd_image_t, flags: *mut u64) -> c_int {
    // SAFETY: checked handle and out-pointer.
    guard(|| with_image(image, |_, ictx| unsafe { put(flags, ictx.flags) }.map(|_| 0)))
}

/// How much of the image reads through to its parent (0 without one).
///
/// # Safety
/// `image` from rbd_open; `overlap` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_get_overlap(image: rbd_image_t, overlap: *mut u64) -> c_int {
    // SAFETY: checked handle and out-pointer.
    guard(|| with_image(image, |_, ictx| unsafe { put(overlap, ictx.parent_overlap(ictx.snap_id)) }.map(|_| 0)))
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
        with_image(image, |img, ictx| {
            let (Some(info), Some(parent)) = (ictx.parent_info_at(ictx.snap_id), &ictx.parent) else {
                return Err(Errno::ENOENT);
            };
            let pool = img.conn.pool_name(info.spec.pool_id)?;
            let snap = parent.snaps.get(&info.spec.snap_id.0).map(|s| s.name.clone()).unwrap_or_default();
            // SAFETY: buffers valid for their lengths by contract.
            unsafe {
                put_cstr(parent_pool_name, ppool_namelen, &pool, std::ptr::null_mut())?;
                put_cstr(parent_name, pnamelen, &parent.name, std::ptr::null_mut())?;
                put_cstr(parent_snap_name, psnap_namelen, &snap, std::ptr::null_mut())?;
            }
            Ok(0)
        })
    })
}

/// Resizes the image (shrinking discards what lies past the new end).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_resize(image: rbd_image_t, size: u64) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        if size < img.ctx()?.size {
            img.invalidate_cache()?;
        }
        img.update(|mut ictx| async move {
            let r = manage::resize(&mut ictx, size).await;
            (ictx, r)
        })?;
        Ok(0)
    })
}

/// Copies everything the parent still provides and detaches the parent.
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_flatten(image: rbd_image_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::image(image) }?;
        img.update(|mut ictx| async move {
            let r = manage::flatten(&mut ictx).await;
            (ictx, r)
        })?;
        Ok(0)
    })
}

/// Writes back dirty data, then drops everything cached (QEMU calls it
/// before taking over a migrated guest). Without a cache: nothing to do.
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_invalidate_cache(image: rbd_image_t) -> c_int {
    // SAFETY: checked handle.
    guard(|| unsafe { self::image(image) }?.invalidate_cache().map(|()| 0))
}

/// Whether this open holds the exclusive lock.
///
/// # Safety
/// `image` from rbd_open; `is_owner` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_is_exclusive_lock_owner(image: rbd_image_t, is_owner: *mut c_int) -> c_int {
    // SAFETY: checked handle and out-pointer.
    guard(|| with_image(image, |_, ictx| unsafe { put(is_owner, c_int::from(ictx.runtime.lock_owned())) }.map(|_| 0)))
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
        with_image(image, |img, ictx| {
            let found = img.conn.run_admin(async move {
                let mut op = ObjectOperation::new();
                cls::metadata_get(&mut op, &key);
                let reply = ictx.io.read_head(&ictx.header_object(), op).await?;
                cls::metadata_get_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)
            })??;
            let text = String::from_utf8_lossy(&found).into_owned();
            // SAFETY: vallen checked non-NULL; value valid for *vallen.
            unsafe { put_cstr(value, *vallen, &text, vallen) }?;
            Ok(0)
        })
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
    let _ = (image, format, opts, opts_size);
    Errno::EOPNOTSUPP.to_ret()
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
    let _ = (image, format, opts, opts_size);
    Errno::EOPNOTSUPP.to_ret()
}

/// Image encryption is not offered yet.
///
/// # Safety
/// Any arguments; none is dereferenced.
#[no_mangle]
pub unsafe extern "C" fn rbd_encryption_load2(image: rbd_image_t, specs: *const c_void, spec_count: usize) -> c_int {
    let _ = (image, specs, spec_count);
    Errno::EOPNOTSUPP.to_ret()
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
        with_image(image, |img, ictx| {
            // Cached writes must reach the objects before they are looked at.
            img.flush_cache()?;
            let size = ictx.size_at(ictx.snap_id)?;
            let end = ofs.checked_add(len).ok_or(Errno::EINVAL)?.min(size);
            if ofs >= end {
                return Ok(0);
            }
            let extents = file_to_extents(&ictx.layout, ofs, end - ofs).map_err(|e| e.errno())?;
            let objects: Vec<u64> = extents.iter().map(|e| e.object_no).collect();
            let exists = object_existence(img, &ictx, objects, include_parent != 0)?;
            // (image offset, length, exists), in image order.
            let mut pieces: Vec<(u64, u64, bool)> = Vec::new();
            for (extent, &there) in extents.iter().zip(&exists) {
                for b in &extent.buffer_extents {
                    pieces.push((ofs + b.offset, b.length, there));
                }
            }
            pieces.sort_unstable_by_key(|p| p.0);
            let mut run: Option<(u64, u64)> = None;
            let flush = |run: (u64, u64)| -> c_int {
                // SAFETY: the caller's callback and argument.
                unsafe { cb(run.0, run.1 as usize, 1, arg) }
            };
            for (offset, length, there) in pieces {
                match (&mut run, there) {
                    (Some((start, l)), true) if *start + *l == offset => *l += length,
                    (_, true) => {
                        if let Some(done) = run.replace((offset, length)) {
                            let r = flush(done);
                            if r != 0 {
                                return Ok(r);
                            }
                        }
                    }
                    (_, false) => {
                        if let Some(done) = run.take() {
                            let r = flush(done);
                            if r != 0 {
                                return Ok(r);
                            }
                        }
                    }
                }
            }
            Ok(run.map_or(0, flush))
        })
    })
}

/// Whether each object may hold data (conservatively: when unsure, yes).
fn object_existence(
    img: &Image,
    ictx: &Arc<ImageCtx>,
    objects: Vec<u64>,
    include_parent: bool,
) -> Result<Vec<bool>, Errno> {
    let overlap = if include_parent { ictx.parent_overlap(ictx.snap_id) } else { 0 };
    let behind_parent = |object_no: u64| {
        overlap > 0
            && rbdrs_core::striper::extent_to_file(&ictx.layout, object_no, 0, 1)
                .is_ok_and(|e| e.first().is_some_and(|&(o, _)| o < overlap))
    };
    let map_valid = ictx.features & (RBD_FEATURE_OBJECT_MAP | RBD_FEATURE_FAST_DIFF) != 0
        && ictx.flags & (RBD_FLAG_OBJECT_MAP_INVALID | RBD_FLAG_FAST_DIFF_INVALID) == 0
        && ictx.snap_id.is_head();
    if let (true, Some(map)) = (map_valid, ictx.runtime.object_map()) {
        return Ok(objects.iter().map(|&n| map.object_may_exist(n) || behind_parent(n)).collect());
    }
    let ictx_flow = ictx.clone();
    let stats = img.conn.run_admin(async move {
        let stats = objects.iter().map(|&n| {
            let ictx = &ictx_flow;
            async move {
                let mut op = ObjectOperation::new();
                op.stat();
                let reply = ictx.data_io.read(&ictx.data_object(n), ictx.snap_id, op).await;
                (n, reply.errno())
            }
        });
        join_all(stats).await
    })?;
    stats
        .into_iter()
        .map(|(n, r)| match r {
            Ok(()) => Ok(true),
            Err(Errno::ENOENT) => Ok(behind_parent(n)),
            Err(e) => Err(e),
        })
        .collect()
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
