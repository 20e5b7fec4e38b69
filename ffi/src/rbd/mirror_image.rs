//! Mirroring of one open image. librbdrs reads the image's record on the
//! pool's `rbd_mirroring` (cls_rbd mirror_image_get): an image with none
//! answers as librbd answers for an image that is not mirrored (state
//! disabled, the local "status not found", and librbd's errors for
//! promote, demote, resync and mirror snapshots). It never enables,
//! disables or promotes mirroring: where librbd would, -EOPNOTSUPP.

use crate::types::*;
use std::ffi::{c_char, c_int};
use std::sync::Arc;

use rbdrs_client::proto::cls::rbd::feature_state::{
    MirrorImage, MIRROR_IMAGE_MODE_SNAPSHOT, MIRROR_IMAGE_STATE_DISABLED, MIRROR_IMAGE_STATE_ENABLED, MIRROR_MODE_IMAGE,
};
use rbdrs_client::proto::Errno;

use super::completion::Completion;
use super::cstring::{check_size, dup, release};
use super::{image, Image};
use crate::boundary::{guard, put};

/// What rbd_mirror_image_get_info reports.
struct Info {
    global_id: String,
    state: rbd_mirror_image_state_t,
    primary: bool,
}

/// The image's record, or None when it is not mirrored.
fn record(img: &Image) -> Result<Option<MirrorImage>, Errno> {
    img.mirror_image()
}

fn info(img: &Image) -> Result<Info, Errno> {
    Ok(match record(img)? {
        None => Info {
            global_id: String::new(),
            state: MIRROR_IMAGE_STATE_DISABLED as rbd_mirror_image_state_t,
            primary: false,
        },
        // A non-primary image carries the non-primary feature.
        Some(m) => Info {
            global_id: m.global_image_id,
            state: m.state as rbd_mirror_image_state_t,
            primary: img.features()? & RBD_FEATURE_NON_PRIMARY == 0,
        },
    })
}

fn c_info(info: &Info) -> Result<rbd_mirror_image_info_t, Errno> {
    Ok(rbd_mirror_image_info_t { global_id: dup(&info.global_id)?, state: info.state, primary: info.primary })
}

/// Enabled images need rbd-mirror's records, which librbdrs does not read.
fn unmirrored(img: &Image) -> Result<(), Errno> {
    match record(img)? {
        None => Ok(()),
        Some(_) => Err(Errno::EOPNOTSUPP),
    }
}

/// The local "status not found" entry librbd reports when rbd-mirror
/// recorded nothing.
const STATUS_NOT_FOUND: &str = "status not found";

fn fill_global_status(img: &Image, out: *mut rbd_mirror_image_global_status_t) -> Result<i64, Errno> {
    unmirrored(img)?;
    let info = c_info(&info(img)?)?;
    let site = rbd_mirror_image_site_status_t {
        mirror_uuid: dup("")?,
        state: 0,
        description: dup(STATUS_NOT_FOUND)?,
        last_update: 0,
        up: false,
    };
    let sites = crate::boundary::malloc_copy(as_bytes(&site))?.cast::<rbd_mirror_image_site_status_t>();
    let status = rbd_mirror_image_global_status_t {
        name: dup(&img.ctx()?.name)?,
        info,
        site_statuses_count: 1,
        site_statuses: sites,
    };
    // SAFETY: the caller checked `out` and its size.
    unsafe { out.write(status) };
    Ok(0)
}

fn as_bytes<T>(value: &T) -> &[u8] {
    // SAFETY: a plain #[repr(C)] struct read as its bytes.
    unsafe { std::slice::from_raw_parts((value as *const T).cast::<u8>(), std::mem::size_of::<T>()) }
}

/// Frees what rbd_mirror_image_get_global_status filled in.
pub(super) fn free_global_status(status: &mut rbd_mirror_image_global_status_t) {
    release(&mut status.name);
    release(&mut status.info.global_id);
    if !status.site_statuses.is_null() {
        for i in 0..status.site_statuses_count as usize {
            // SAFETY: filled by fill_global_status with this count.
            let site = unsafe { &mut *status.site_statuses.add(i) };
            release(&mut site.mirror_uuid);
            release(&mut site.description);
        }
        // SAFETY: malloc'ed by fill_global_status.
        unsafe { libc::free(status.site_statuses.cast()) };
        status.site_statuses = std::ptr::null_mut();
    }
    status.site_statuses_count = 0;
}

fn get_mode(img: &Image) -> Result<rbd_mirror_image_mode_t, Errno> {
    // librbd reports the default record's mode (journal) when there is none.
    Ok(record(img)?.map_or(0, |m| m.mode) as rbd_mirror_image_mode_t)
}

fn promote(img: &Image) -> Result<i64, Errno> {
    match record(img)? {
        None => Err(Errno::ENOENT),
        Some(m) if m.state == MIRROR_IMAGE_STATE_ENABLED => Err(Errno::EOPNOTSUPP),
        Some(_) => Err(Errno::EINVAL),
    }
}

fn demote(img: &Image) -> Result<i64, Errno> {
    match record(img)? {
        Some(m) if m.state == MIRROR_IMAGE_STATE_ENABLED => Err(Errno::EOPNOTSUPP),
        _ => Err(Errno::EINVAL),
    }
}

/// librbd's rbd_snap_create flags; anything else is -EINVAL.
const SNAP_CREATE_FLAGS: u32 = RBD_SNAP_CREATE_SKIP_QUIESCE | RBD_SNAP_CREATE_IGNORE_QUIESCE_ERROR;

fn create_snapshot(img: &Image, flags: u32) -> Result<i64, Errno> {
    if flags & !SNAP_CREATE_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    match record(img)? {
        Some(m) if m.state == MIRROR_IMAGE_STATE_ENABLED && m.mode == MIRROR_IMAGE_MODE_SNAPSHOT => {
            Err(Errno::EOPNOTSUPP)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Completes `c` with `result` on the image's executor, as librbd's aio
/// calls complete after returning.
///
/// # Safety
/// `c` NULL or a live rbd_completion_t.
unsafe fn complete(img: &Image, c: rbd_completion_t, result: Result<i64, Errno>) -> Result<i32, Errno> {
    // SAFETY: forwarded contract.
    let completion: Arc<Completion> = unsafe { Completion::from_handle(c) }?;
    let events = img.events.clone();
    let value = result.unwrap_or_else(|e| i64::from(e.to_ret()));
    img.submit(Box::pin(async move { Ok::<i64, Errno>(value) }), move |r| {
        completion.complete(r.unwrap_or(value), &events);
    })?;
    Ok(0)
}

/// # Safety
/// `image` from rbd_open.
unsafe fn img<'a>(image: rbd_image_t) -> Result<&'a Image, Errno> {
    // SAFETY: forwarded contract.
    unsafe { self::image(image) }
}

/// librbd refuses unless the pool is in image mode (-EINVAL); librbdrs
/// does not enable mirroring (-EOPNOTSUPP).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_enable2(image: rbd_image_t, mode: rbd_mirror_image_mode_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::img(image) }?;
        if !(0..=1).contains(&mode) {
            return Err(Errno::EINVAL);
        }
        match img.pool_mirror_mode()? {
            MIRROR_MODE_IMAGE => Err(Errno::EOPNOTSUPP),
            _ => Err(Errno::EINVAL),
        }
    })
}

/// Journal-based: as rbd_mirror_image_enable2.
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_enable(image: rbd_image_t) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rbd_mirror_image_enable2(image, RBD_MIRROR_IMAGE_MODE_JOURNAL) }
}

/// -EINVAL unless the pool is in image mode; an image not mirrored there
/// is already disabled (0).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_disable(image: rbd_image_t, force: bool) -> c_int {
    let _ = force;
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::img(image) }?;
        if img.pool_mirror_mode()? != MIRROR_MODE_IMAGE {
            return Err(Errno::EINVAL);
        }
        unmirrored(img).map(|_| 0)
    })
}

/// -ENOENT for an image that is not mirrored, as librbd.
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_promote(image: rbd_image_t, force: bool) -> c_int {
    let _ = force;
    // SAFETY: checked handle.
    guard(|| promote(unsafe { img(image) }?).map(|r| r as c_int))
}

/// -EINVAL for an image that is not mirrored, as librbd.
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_demote(image: rbd_image_t) -> c_int {
    // SAFETY: checked handle.
    guard(|| demote(unsafe { img(image) }?).map(|r| r as c_int))
}

/// -ENOENT for an image that is not mirrored, as librbd.
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_resync(image: rbd_image_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        match record(unsafe { img(image) }?)? {
            None => Err(Errno::ENOENT),
            Some(_) => Err(Errno::EOPNOTSUPP),
        }
    })
}

/// -EINVAL unless snapshot-based mirroring is enabled on the image.
///
/// # Safety
/// `image` from rbd_open; `snap_id` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_create_snapshot2(image: rbd_image_t, flags: u32, snap_id: *mut u64) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::img(image) }?;
        if snap_id.is_null() {
            return Err(Errno::EINVAL);
        }
        create_snapshot(img, flags).map(|r| r as c_int)
    })
}

/// # Safety
/// As [`rbd_mirror_image_create_snapshot2`].
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_create_snapshot(image: rbd_image_t, snap_id: *mut u64) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rbd_mirror_image_create_snapshot2(image, 0, snap_id) }
}

/// -ERANGE unless `info_size` is sizeof(rbd_mirror_image_info_t). Free
/// with rbd_mirror_image_get_info_cleanup.
///
/// # Safety
/// `image` from rbd_open; `mirror_image_info` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_get_info(
    image: rbd_image_t,
    mirror_image_info: *mut rbd_mirror_image_info_t,
    info_size: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::img(image) }?;
        check_size::<rbd_mirror_image_info_t>(info_size)?;
        if mirror_image_info.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: checked out-pointer.
        unsafe { put(mirror_image_info, c_info(&info(img)?)?) }?;
        Ok(0)
    })
}

/// # Safety
/// `mirror_image_info` NULL or filled by rbd_mirror_image_get_info.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_get_info_cleanup(mirror_image_info: *mut rbd_mirror_image_info_t) {
    guard(|| {
        if !mirror_image_info.is_null() {
            // SAFETY: per the contract.
            release(unsafe { &mut (*mirror_image_info).global_id });
        }
        Ok(())
    })
}

/// # Safety
/// `image` from rbd_open; `mode` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_get_mode(image: rbd_image_t, mode: *mut rbd_mirror_image_mode_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::img(image) }?;
        if mode.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: checked out-pointer.
        unsafe { put(mode, get_mode(img)?) }?;
        Ok(0)
    })
}

/// For an image that is not mirrored: its name, the disabled info and the
/// local "status not found". Free with rbd_mirror_image_global_status_cleanup.
///
/// # Safety
/// `image` from rbd_open; `status` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_get_global_status(
    image: rbd_image_t,
    status: *mut rbd_mirror_image_global_status_t,
    status_size: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::img(image) }?;
        check_size::<rbd_mirror_image_global_status_t>(status_size)?;
        if status.is_null() {
            return Err(Errno::EINVAL);
        }
        fill_global_status(img, status).map(|_| 0)
    })
}

/// # Safety
/// `status` NULL or filled by rbd_mirror_image_get_global_status.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_global_status_cleanup(status: *mut rbd_mirror_image_global_status_t) {
    guard(|| {
        if !status.is_null() {
            // SAFETY: per the contract.
            free_global_status(unsafe { &mut *status });
        }
        Ok(())
    })
}

/// Deprecated: the local site's status ("status not found", unknown).
///
/// # Safety
/// `image` from rbd_open; `status` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_get_status(
    image: rbd_image_t,
    status: *mut rbd_mirror_image_status_t,
    status_size: usize,
) -> c_int {
    // SAFETY: checked handle and out-pointer.
    guard(|| unsafe { fill_status(image, status, status_size) }.map(|_| 0))
}

/// # Safety
/// As [`rbd_mirror_image_get_status`].
unsafe fn fill_status(image: rbd_image_t, status: *mut rbd_mirror_image_status_t, size: usize) -> Result<i64, Errno> {
    // SAFETY: checked handle.
    let img = unsafe { self::img(image) }?;
    check_size::<rbd_mirror_image_status_t>(size)?;
    if status.is_null() {
        return Err(Errno::EINVAL);
    }
    unmirrored(img)?;
    let filled = rbd_mirror_image_status_t {
        name: dup(&img.ctx()?.name)?,
        info: c_info(&info(img)?)?,
        state: 0,
        description: dup(STATUS_NOT_FOUND)?,
        last_update: 0,
        up: false,
    };
    // SAFETY: checked out-pointer.
    unsafe { status.write(filled) };
    Ok(0)
}

/// -EINVAL for an image that is not mirrored, as librbd.
///
/// # Safety
/// `image` from rbd_open; `id_max_length` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_get_instance_id(
    image: rbd_image_t,
    instance_id: *mut c_char,
    id_max_length: *mut usize,
) -> c_int {
    let _ = instance_id;
    guard(|| {
        // SAFETY: checked handle.
        let img = unsafe { self::img(image) }?;
        if id_max_length.is_null() {
            return Err(Errno::EINVAL);
        }
        match record(img)? {
            Some(m) if m.state == MIRROR_IMAGE_STATE_ENABLED => Err(Errno::EOPNOTSUPP),
            _ => Err(Errno::EINVAL),
        }
    })
}

// -- aio: the same answers through the completion; argument errors return
// at once, as librbd's.

/// # Safety
/// `image` from rbd_open; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_mirror_image_promote(image: rbd_image_t, force: bool, c: rbd_completion_t) -> c_int {
    let _ = force;
    guard(|| {
        // SAFETY: checked handle; completion per contract.
        let img = unsafe { self::img(image) }?;
        unsafe { complete(img, c, promote(img)) }
    })
}

/// # Safety
/// `image` from rbd_open; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_mirror_image_demote(image: rbd_image_t, c: rbd_completion_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle; completion per contract.
        let img = unsafe { self::img(image) }?;
        unsafe { complete(img, c, demote(img)) }
    })
}

/// # Safety
/// `image` from rbd_open; `snap_id` writable until `c` completes; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_mirror_image_create_snapshot(
    image: rbd_image_t,
    flags: u32,
    snap_id: *mut u64,
    c: rbd_completion_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle; completion per contract.
        let img = unsafe { self::img(image) }?;
        if snap_id.is_null() {
            return Err(Errno::EINVAL);
        }
        unsafe { complete(img, c, create_snapshot(img, flags)) }
    })
}

/// # Safety
/// `image` from rbd_open; `info` writable; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_mirror_image_get_info(
    image: rbd_image_t,
    info: *mut rbd_mirror_image_info_t,
    info_size: usize,
    c: rbd_completion_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle; completion per contract.
        let img = unsafe { self::img(image) }?;
        check_size::<rbd_mirror_image_info_t>(info_size)?;
        if info.is_null() {
            return Err(Errno::EINVAL);
        }
        let result = self::info(img).and_then(|i| c_info(&i)).map(|i| {
            // SAFETY: checked out-pointer.
            unsafe { info.write(i) };
            0
        });
        unsafe { complete(img, c, result) }
    })
}

/// # Safety
/// `image` from rbd_open; `mode` writable; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_mirror_image_get_mode(
    image: rbd_image_t,
    mode: *mut rbd_mirror_image_mode_t,
    c: rbd_completion_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle; completion per contract.
        let img = unsafe { self::img(image) }?;
        if mode.is_null() {
            return Err(Errno::EINVAL);
        }
        let result = get_mode(img).map(|m| {
            // SAFETY: checked out-pointer.
            unsafe { mode.write(m) };
            0
        });
        unsafe { complete(img, c, result) }
    })
}

/// # Safety
/// `image` from rbd_open; `status` writable; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_mirror_image_get_global_status(
    image: rbd_image_t,
    status: *mut rbd_mirror_image_global_status_t,
    status_size: usize,
    c: rbd_completion_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle; completion per contract.
        let img = unsafe { self::img(image) }?;
        check_size::<rbd_mirror_image_global_status_t>(status_size)?;
        if status.is_null() {
            return Err(Errno::EINVAL);
        }
        unsafe { complete(img, c, fill_global_status(img, status)) }
    })
}

/// # Safety
/// `image` from rbd_open; `status` writable; `c` live.
#[no_mangle]
pub unsafe extern "C" fn rbd_aio_mirror_image_get_status(
    image: rbd_image_t,
    status: *mut rbd_mirror_image_status_t,
    status_size: usize,
    c: rbd_completion_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle; completion per contract.
        let img = unsafe { self::img(image) }?;
        check_size::<rbd_mirror_image_status_t>(status_size)?;
        if status.is_null() {
            return Err(Errno::EINVAL);
        }
        let result = unsafe { fill_status(image, status, status_size) };
        unsafe { complete(img, c, result) }
    })
}
