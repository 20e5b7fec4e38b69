//! Quiesce watchers: an application's callbacks run when a client (this
//! one included) snapshots the image, and the snapshot waits for
//! rbd_quiesce_complete.

use crate::types::*;
use std::ffi::{c_int, c_void};

use rbdrs_client::proto::Errno;

use super::image;
use crate::boundary::{guard, put};

/// A C callback and its argument, callable from any thread.
#[derive(Clone, Copy)]
struct CCallback(rbd_update_callback_t, usize);

impl CCallback {
    fn call(self) {
        if let Some(cb) = self.0 {
            // SAFETY: the application registered this function for this
            // argument; librbd calls it from its own threads too.
            let _ = std::panic::catch_unwind(|| unsafe { cb(self.1 as *mut c_void) });
        }
    }
}

/// # Safety
/// `image` from rbd_open; `handle` writable; the callbacks valid until
/// rbd_quiesce_unwatch.
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
        let img = unsafe { self::image(image) }?;
        if handle.is_null() {
            return Err(Errno::EINVAL);
        }
        let (quiesce, unquiesce) = (CCallback(quiesce_cb, arg as usize), CCallback(unquiesce_cb, arg as usize));
        let id = img.quiesce_watch(move || quiesce.call(), move || unquiesce.call())?;
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
    // SAFETY: checked handle.
    guard(|| unsafe { self::image(image) }?.quiesce_unwatch(handle).map(|_| 0))
}

/// The application behind `handle` is quiesced (`r` < 0: it failed to,
/// and the snapshot fails unless told to ignore quiesce errors).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_quiesce_complete(image: rbd_image_t, handle: u64, r: c_int) {
    // SAFETY: checked handle.
    guard(|| unsafe { self::image(image) }.map(|img| img.quiesce_complete(handle, r)))
}
