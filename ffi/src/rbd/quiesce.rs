//! Quiesce watchers: an application's callbacks librbd runs around a
//! snapshot. librbdrs registers and unregisters them, but its image
//! watcher does not yet act on quiesce/unquiesce notifications, so the
//! callbacks are never called (snapshots go ahead as if none were
//! registered).

use crate::types::*;
use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rbdrs_client::proto::Errno;

use super::image;
use crate::boundary::{guard, put};

/// A registered watcher: its image and callbacks (kept for when the
/// notifications are handled).
#[allow(dead_code)]
struct Watcher {
    image: usize,
    quiesce: rbd_update_callback_t,
    unquiesce: rbd_update_callback_t,
    arg: usize,
}

static WATCHERS: Mutex<Option<HashMap<u64, Watcher>>> = Mutex::new(None);
static NEXT: AtomicU64 = AtomicU64::new(1);

/// # Safety
/// `image` from rbd_open; `handle` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_quiesce_watch(
    image: rbd_image_t,
    quiesce_cb: rbd_update_callback_t,
    unquiesce_cb: rbd_update_callback_t,
    arg: *mut c_void,
    handle: *mut u64,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        unsafe { self::image(image) }?;
        if handle.is_null() {
            return Err(Errno::EINVAL);
        }
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let watcher =
            Watcher { image: image as usize, quiesce: quiesce_cb, unquiesce: unquiesce_cb, arg: arg as usize };
        WATCHERS.lock().map_err(|_| Errno::EIO)?.get_or_insert_with(HashMap::new).insert(id, watcher);
        // SAFETY: checked out-pointer.
        unsafe { put(handle, id) }?;
        Ok(0)
    })
}

/// -ENOENT for a handle this image did not register (librbd crashes).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_quiesce_unwatch(image: rbd_image_t, handle: u64) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        unsafe { self::image(image) }?;
        let mut watchers = WATCHERS.lock().map_err(|_| Errno::EIO)?;
        let map = watchers.get_or_insert_with(HashMap::new);
        match map.get(&handle) {
            Some(w) if w.image == image as usize => {
                map.remove(&handle);
                Ok(0)
            }
            _ => Err(Errno::ENOENT),
        }
    })
}

/// Acknowledges a quiesce callback; with none ever called, nothing waits.
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_quiesce_complete(image: rbd_image_t, handle: u64, r: c_int) {
    let _ = (handle, r);
    // SAFETY: checked handle.
    guard(|| unsafe { self::image(image) }.map(|_| ()))
}
