//! The first-generation watch (rados_watch, rados_unwatch): a callback
//! told only that a notification came, which librados acks itself.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void};

use bytes::Bytes;
use rbdrs_client::proto::rados::Request;
use rbdrs_client::proto::Errno;

use super::ioctx;
use crate::boundary::{cstr, guard, put};

/// Watches `o`; each notification calls `watchcb(0, 0, arg)` on the watch
/// thread and is then acked with no reply. `*handle` names the watch.
/// `ver` is unused, as in librados.
///
/// # Safety
/// `io` from rados_ioctx_create; `o` a C string; `handle` writable;
/// `watchcb` callable with `arg` until rados_unwatch.
#[no_mangle]
pub unsafe extern "C" fn rados_watch(
    io: rados_ioctx_t,
    o: *const c_char,
    ver: u64,
    handle: *mut u64,
    watchcb: rados_watchcb_t,
    arg: *mut c_void,
) -> c_int {
    let _ = ver;
    guard(|| {
        // SAFETY: checked handle and string.
        let (pool, name) = unsafe { (ioctx(io)?, cstr(o)?) };
        let (Some(cb), false) = (watchcb, handle.is_null()) else {
            return Err(Errno::EINVAL);
        };
        let (conn, arg) = (pool.conn().clone(), arg as usize);
        let on_notify = move |n: rbdrs_client::watch::Notification| {
            // SAFETY: the caller keeps cb callable with arg until unwatched.
            unsafe { cb(0, 0, arg as *mut c_void) };
            let ack = n.ack(Bytes::new()).from_client(conn.client);
            let dispatcher = conn.runtime.dispatcher.clone();
            // A lost ack only makes the notifier wait out its timeout.
            let _ = conn.run_io(async move { dispatcher.submit(Request::Object(ack)).await });
        };
        let id = pool.io.watch(name, 0, on_notify, |_, _| {})?;
        // SAFETY: checked non-NULL above.
        unsafe { put(handle, id) }.map(|_| 0)
    })
}

/// Ends watch `handle` (`o` is unused, as in librados).
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_unwatch(io: rados_ioctx_t, o: *const c_char, handle: u64) -> c_int {
    let _ = o;
    // SAFETY: checked handle.
    guard(|| unsafe { ioctx(io) }?.io.unwatch(handle).map(|_| 0))
}
