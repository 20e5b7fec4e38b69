//! librados watch/notify: watches whose notifications reach a C callback,
//! notifies and their acks, and the buffers notify hands out.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void};

use bytes::Bytes;
use rbdrs_client::proto::osd::NotifyResponse;
use rbdrs_client::proto::Errno;
use rbdrs_client::watch::Notification;

use super::aio::{completion_ref, launch_blocking, launch_flow};
use super::{cluster, ioctx};
use crate::boundary::{cstr, guard, malloc_copy, put, put_output};

/// Room for `n` values of `T` from malloc, as free(3) releases them.
fn malloc_array<T>(n: usize) -> Result<*mut T, Errno> {
    let size = n.checked_mul(std::mem::size_of::<T>()).ok_or(Errno::ENOMEM)?;
    // SAFETY: malloc of at least one byte; malloc's alignment suits any
    // plain C struct; checked for NULL.
    let buf = unsafe { libc::malloc(size.max(1)) }.cast::<T>();
    if buf.is_null() {
        return Err(Errno::ENOMEM);
    }
    Ok(buf)
}

/// Copies `len` bytes from C (NULL with 0 is empty; negative is -EINVAL).
///
/// # Safety
/// `buf` readable for `len` bytes unless `len` is 0.
unsafe fn payload(buf: *const c_char, len: impl TryInto<usize>) -> Result<Bytes, Errno> {
    let len: usize = len.try_into().map_err(|_| Errno::EINVAL)?;
    if len == 0 {
        return Ok(Bytes::new());
    }
    if buf.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: readable for len bytes by contract.
    Ok(Bytes::copy_from_slice(unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) }))
}

/// The callbacks of a watch: `watchcb` gets each notification,
/// `watcherrcb` (if any) the loss of the watch.
#[derive(Clone, Copy)]
struct Callbacks {
    watchcb: unsafe extern "C" fn(*mut c_void, u64, u64, u64, *mut c_void, usize),
    watcherrcb: rados_watcherrcb_t,
    arg: usize,
}

impl Callbacks {
    fn new(watchcb: rados_watchcb2_t, watcherrcb: rados_watcherrcb_t, arg: *mut c_void) -> Result<Self, Errno> {
        Ok(Callbacks { watchcb: watchcb.ok_or(Errno::EINVAL)?, watcherrcb, arg: arg as usize })
    }

    fn notify(self, n: Notification) {
        let data = n.payload.as_ptr().cast_mut().cast::<c_void>();
        // SAFETY: the caller keeps the callbacks callable with arg until
        // unwatched; data is valid for the call.
        unsafe {
            (self.watchcb)(self.arg as *mut c_void, n.notify_id, n.cookie, n.notifier_gid, data, n.payload.len())
        };
    }

    fn error(self, cookie: u64, e: Errno) {
        if let Some(errcb) = self.watcherrcb {
            // SAFETY: as for notify.
            unsafe { errcb(self.arg as *mut c_void, cookie, e.to_ret()) };
        }
    }
}

/// Watches `o`; `watchcb` gets each notification (on a library thread of
/// the watch's own, where it may call rados_notify_ack), `timeout`
/// seconds after this client goes silent the OSD drops the watch (0: 30).
/// `*cookie` names the watch. `watcherrcb` (may be NULL) hears, on the
/// same thread, that the watch was lost (the OSD disconnected it, or it
/// could not be confirmed): unwatch it and watch again to keep watching.
///
/// # Safety
/// `io` from rados_ioctx_create; `o` a C string; `cookie` writable; the
/// callbacks callable with `arg` until rados_unwatch2.
#[no_mangle]
pub unsafe extern "C" fn rados_watch3(
    io: rados_ioctx_t,
    o: *const c_char,
    cookie: *mut u64,
    watchcb: rados_watchcb2_t,
    watcherrcb: rados_watcherrcb_t,
    timeout: u32,
    arg: *mut c_void,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (pool, name) = unsafe { (ioctx(io)?, cstr(o)?) };
        if cookie.is_null() {
            return Err(Errno::EINVAL);
        }
        let c = Callbacks::new(watchcb, watcherrcb, arg)?;
        let id = pool.io.watch(name, timeout, move |n| c.notify(n), move |k, e| c.error(k, e))?;
        // SAFETY: checked non-NULL above.
        unsafe { put(cookie, id) }.map(|_| 0)
    })
}

/// rados_watch3 as an aio: `*handle` names the watch at once, and
/// `completion` completes when the OSD registered it (or failed to, which
/// ends the watch).
///
/// # Safety
/// As [`rados_watch3`]; `completion` from rados_aio_create_completion.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn rados_aio_watch2(
    io: rados_ioctx_t,
    o: *const c_char,
    completion: rados_completion_t,
    handle: *mut u64,
    watchcb: rados_watchcb2_t,
    watcherrcb: rados_watcherrcb_t,
    timeout: u32,
    arg: *mut c_void,
) -> c_int {
    guard(|| {
        // SAFETY: checked handles and string.
        let (pool, name) = unsafe { (ioctx(io)?, cstr(o)?) };
        // SAFETY: checked handle; checked before a watch exists to undo.
        unsafe { completion_ref(completion) }?;
        if handle.is_null() {
            return Err(Errno::EINVAL);
        }
        let c = Callbacks::new(watchcb, watcherrcb, arg)?;
        let (id, registered) = pool.io.start_watch(name, timeout, move |n| c.notify(n), move |k, e| c.error(k, e))?;
        // SAFETY: checked non-NULL above.
        unsafe { put(handle, id) }?;
        // SAFETY: forwarded contracts.
        unsafe { launch_status(io, completion, registered) }
    })
}

/// Completes `completion` with 0 or the error `flow` ends with.
///
/// # Safety
/// As [`launch_flow`].
unsafe fn launch_status(
    io: rados_ioctx_t,
    completion: rados_completion_t,
    flow: impl std::future::Future<Output = Result<(), Errno>> + Send + 'static,
) -> Result<i32, Errno> {
    let flow = move |_| async move {
        let result = flow.await;
        move || (result.map_or_else(Errno::to_ret, |_| 0), 0)
    };
    // SAFETY: forwarded contracts.
    unsafe { launch_flow(io, completion, flow) }
}

/// rados_aio_watch2 with the default timeout.
///
/// # Safety
/// As [`rados_aio_watch2`].
#[no_mangle]
pub unsafe extern "C" fn rados_aio_watch(
    io: rados_ioctx_t,
    o: *const c_char,
    completion: rados_completion_t,
    handle: *mut u64,
    watchcb: rados_watchcb2_t,
    watcherrcb: rados_watcherrcb_t,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rados_aio_watch2(io, o, completion, handle, watchcb, watcherrcb, 0, arg) }
}

/// rados_unwatch2 as an aio: no callback runs for the watch after this
/// returns, except those already queued; `completion` completes once the
/// OSD dropped the watch.
///
/// # Safety
/// `io` from rados_ioctx_create; `completion` from
/// rados_aio_create_completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_unwatch(io: rados_ioctx_t, cookie: u64, completion: rados_completion_t) -> c_int {
    guard(|| {
        // SAFETY: checked handles.
        let pool = unsafe { ioctx(io) }?;
        // SAFETY: checked handle, before the watch is ended.
        unsafe { completion_ref(completion) }?;
        let unregistered = pool.io.start_unwatch(cookie)?;
        // SAFETY: forwarded contracts.
        unsafe { launch_status(io, completion, unregistered) }
    })
}

/// rados_watch3 with the default timeout.
///
/// # Safety
/// As [`rados_watch3`].
#[no_mangle]
pub unsafe extern "C" fn rados_watch2(
    io: rados_ioctx_t,
    o: *const c_char,
    cookie: *mut u64,
    watchcb: rados_watchcb2_t,
    watcherrcb: rados_watcherrcb_t,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rados_watch3(io, o, cookie, watchcb, watcherrcb, 0, arg) }
}

/// Ends watch `cookie`; callbacks already queued still run.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_unwatch2(io: rados_ioctx_t, cookie: u64) -> c_int {
    // SAFETY: checked handle.
    guard(|| unsafe { ioctx(io) }?.io.unwatch(cookie).map(|_| 0))
}

/// One more than the milliseconds since the OSD last confirmed watch
/// `cookie` (it is pinged every 5 s), or the error that lost it;
/// -ENOTCONN if this client does not hold it.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_watch_check(io: rados_ioctx_t, cookie: u64) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let ms = unsafe { ioctx(io) }?.io.watch_check(cookie)?;
        Ok(c_int::try_from(ms).unwrap_or(c_int::MAX))
    })
}

/// Waits until every notification received so far reached its callback
/// and the callback returned.
///
/// # Safety
/// `cluster` from rados_create, connected.
#[no_mangle]
pub unsafe extern "C" fn rados_watch_flush(cluster: rados_t) -> c_int {
    // SAFETY: checked handle.
    guard(|| unsafe { self::cluster(cluster) }?.connected()?.watch_flush().map(|_| 0))
}

/// rados_watch_flush as an aio: `completion` completes once every
/// notification received so far reached its callback and it returned.
///
/// # Safety
/// `cluster` from rados_create, connected; `completion` from
/// rados_aio_create_completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_watch_flush(cluster: rados_t, completion: rados_completion_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let conn = unsafe { self::cluster(cluster) }?.connected()?;
        let timeout = conn.op_timeout;
        let flush = move || conn.watch_flush().map_or_else(Errno::to_ret, |_| 0);
        // SAFETY: checked handle.
        unsafe { launch_blocking(completion, timeout, flush) }
    })
}

/// Sends `buf` to every watcher of `o` and waits for their acks (at most
/// `timeout_ms`, 0 for 30 s): 0, or -ETIMEDOUT when some did not ack.
/// Either way `*reply_buffer` gets the acks for rados_decode_notify_response.
///
/// # Safety
/// `io` from rados_ioctx_create; `o` a C string; `buf` readable for
/// `buf_len` bytes; `reply_buffer` and `reply_buffer_len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn rados_notify2(
    io: rados_ioctx_t,
    o: *const c_char,
    buf: *const c_char,
    buf_len: c_int,
    timeout_ms: u64,
    reply_buffer: *mut *mut c_char,
    reply_buffer_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle, string and buffer.
        let (pool, name, data) = unsafe { (ioctx(io)?, cstr(o)?, payload(buf, buf_len)?) };
        let (result, acks) = pool.io.notify(name, data, timeout_ms)?;
        // SAFETY: forwarded contract.
        unsafe { put_output(&acks, reply_buffer, reply_buffer_len) }?;
        result.map(|_| 0)
    })
}

/// rados_notify2 as an aio: `completion` completes with its result, and
/// `*reply_buffer` is filled before it does.
///
/// # Safety
/// As [`rados_notify2`]; `completion` from rados_aio_create_completion;
/// the out-pointers stay writable until it completes.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn rados_aio_notify(
    io: rados_ioctx_t,
    o: *const c_char,
    completion: rados_completion_t,
    buf: *const c_char,
    buf_len: c_int,
    timeout_ms: u64,
    reply_buffer: *mut *mut c_char,
    reply_buffer_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle, string and buffer.
        let (name, data) = unsafe { (cstr(o)?, payload(buf, buf_len)?) };
        let secs =
            u32::try_from(if timeout_ms == 0 { 30 } else { timeout_ms.div_ceil(1000) }).map_err(|_| Errno::EINVAL)?;
        let (reply_buffer, reply_len) = (reply_buffer as usize, reply_buffer_len as usize);
        let name = name.to_string();
        let flow = move |core: rbdrs_client::proto::image::IoCtx| async move {
            let notified = core.notify_raw(&name, data, secs).await;
            move || {
                let (result, acks) = match notified {
                    Ok(done) => done,
                    Err(e) => return (e.to_ret(), 0),
                };
                // SAFETY: the caller keeps the out-pointers writable until
                // the completion completes, which is now.
                let put = unsafe { put_output(&acks, reply_buffer as *mut *mut c_char, reply_len as *mut usize) };
                (put.and(result).map_or_else(Errno::to_ret, |_| 0), 0)
            }
        };
        // SAFETY: forwarded contracts.
        unsafe { launch_flow(io, completion, flow) }
    })
}

/// Acks notification `notify_id` on watch `cookie` of `o`, with `buf` as
/// the reply the notifier sees.
///
/// # Safety
/// `io` from rados_ioctx_create; `o` a C string; `buf` readable for
/// `buf_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_notify_ack(
    io: rados_ioctx_t,
    o: *const c_char,
    notify_id: u64,
    cookie: u64,
    buf: *const c_char,
    buf_len: c_int,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle, string and buffer.
        let (pool, name, data) = unsafe { (ioctx(io)?, cstr(o)?, payload(buf, buf_len)?) };
        pool.io.notify_ack(name, notify_id, cookie, data).map(|_| 0)
    })
}

/// Frees a buffer librados handed out (notify replies, command output).
///
/// # Safety
/// `buf` NULL or from this library, not freed before.
#[no_mangle]
pub unsafe extern "C" fn rados_buffer_free(buf: *mut c_char) {
    guard(|| {
        // SAFETY: from malloc (malloc_copy) by contract; free(NULL) is fine.
        unsafe { libc::free(buf.cast()) };
        Ok(())
    })
}

/// Reads the acks a notify returned: `*acks` (`*nr_acks` of them, each
/// with its reply) and `*timeouts` (the watchers that did not ack). Free
/// with rados_free_notify_response.
///
/// # Safety
/// `reply_buffer` readable for `reply_buffer_len` bytes; the four
/// out-pointers writable.
#[no_mangle]
pub unsafe extern "C" fn rados_decode_notify_response(
    reply_buffer: *mut c_char,
    reply_buffer_len: usize,
    acks: *mut *mut notify_ack_t,
    nr_acks: *mut usize,
    timeouts: *mut *mut notify_timeout_t,
    nr_timeouts: *mut usize,
) -> c_int {
    guard(|| {
        if acks.is_null() || nr_acks.is_null() || timeouts.is_null() || nr_timeouts.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: checked buffer, readable by contract.
        let bytes = unsafe { payload(reply_buffer, reply_buffer_len) }?;
        let response = NotifyResponse::decode(&bytes).map_err(|_| Errno::EINVAL)?;
        let out_acks = malloc_array::<notify_ack_t>(response.acks.len())?;
        for (i, ((gid, cookie), reply)) in response.acks.iter().enumerate() {
            let data = match reply.is_empty() {
                true => std::ptr::null_mut(),
                false => malloc_copy(reply)?,
            };
            let ack =
                notify_ack_t { notifier_id: *gid, cookie: *cookie, payload: data, payload_len: reply.len() as u64 };
            // SAFETY: out_acks holds acks.len() entries.
            unsafe { out_acks.add(i).write(ack) };
        }
        let out_timeouts = malloc_array::<notify_timeout_t>(response.missed.len())?;
        for (i, &(gid, cookie)) in response.missed.iter().enumerate() {
            // SAFETY: out_timeouts holds missed.len() entries.
            unsafe { out_timeouts.add(i).write(notify_timeout_t { notifier_id: gid, cookie }) };
        }
        // SAFETY: all four checked non-NULL above.
        unsafe {
            nr_acks.write(response.acks.len());
            acks.write(out_acks);
            nr_timeouts.write(response.missed.len());
            timeouts.write(out_timeouts);
        }
        Ok(0)
    })
}

/// Frees what rados_decode_notify_response filled in.
///
/// # Safety
/// The arrays from rados_decode_notify_response, `nr_acks` as it set.
#[no_mangle]
pub unsafe extern "C" fn rados_free_notify_response(
    acks: *mut notify_ack_t,
    nr_acks: usize,
    timeouts: *mut notify_timeout_t,
) {
    guard(|| {
        if !acks.is_null() {
            for i in 0..nr_acks {
                // SAFETY: acks holds nr_acks entries; payloads from malloc or NULL.
                unsafe { libc::free((*acks.add(i)).payload.cast()) };
            }
        }
        // SAFETY: from malloc (malloc_array) or NULL.
        unsafe {
            libc::free(acks.cast());
            libc::free(timeouts.cast());
        }
        Ok(())
    })
}
