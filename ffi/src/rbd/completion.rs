//! rbd_completion_t: an aio request's result, waited on or called back.
//!
//! The handle C holds is an `Arc<Completion>` turned into a raw pointer;
//! every in-flight request holds its own reference, so releasing a
//! completion early never frees what the executor will still touch.

use std::ffi::c_void;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rbdrs_client::proto::Errno;

use super::Events;
use crate::handle::{self, c_handle, Magic};

/// rbd_callback_t: called on the executor thread when the request is done.
pub type Callback = crate::types::rbd_callback_t;

pub struct Completion {
    magic: Magic,
    callback: Callback,
    arg: *mut c_void,
    result: Mutex<Option<i64>>,
    done: Condvar,
}

// SAFETY: `arg` is the caller's opaque pointer, only handed back to it.
unsafe impl Send for Completion {}
unsafe impl Sync for Completion {}
c_handle!(Completion, 0x7262_6472_7363_6f6d); // "rbdrscom"

impl Drop for Completion {
    fn drop(&mut self) {
        self.magic.clear();
    }
}

impl Completion {
    pub fn create(arg: *mut c_void, callback: Callback) -> *mut c_void {
        let magic = Magic::of::<Completion>();
        let completion = Completion { magic, callback, arg, result: Mutex::new(None), done: Condvar::new() };
        handle::give_shared(Arc::new(completion)).cast()
    }

    /// Another reference to the completion behind a C handle.
    ///
    /// # Safety
    /// `ptr` is NULL or came from [`Completion::create`] and is not released.
    pub unsafe fn from_handle(ptr: *mut c_void) -> Result<Arc<Completion>, Errno> {
        // SAFETY: forwarded contract.
        unsafe { handle::share(ptr.cast::<Completion>()) }
    }

    /// Drops the reference C held (rbd_aio_release).
    ///
    /// # Safety
    /// As [`Completion::from_handle`]; the handle is not used afterwards.
    pub unsafe fn release(ptr: *mut c_void) {
        // SAFETY: forwarded contract.
        unsafe { handle::release(ptr.cast::<Completion>()) }
    }

    pub fn arg(&self) -> *mut c_void {
        self.arg
    }

    pub fn result(&self) -> Option<i64> {
        self.result.lock().ok().and_then(|r| *r)
    }

    /// Waits for the result, at most `timeout`.
    pub fn wait(&self, timeout: Duration) -> Result<i64, Errno> {
        let guard = self.result.lock().map_err(|_| Errno::EIO)?;
        let (guard, _) = self.done.wait_timeout_while(guard, timeout, |r| r.is_none()).map_err(|_| Errno::EIO)?;
        guard.ok_or(Errno::ETIMEDOUT)
    }

    /// Records the result, wakes waiters, runs the callback, then tells the
    /// image's poll queue: fio's poll mode expects the callback to have run
    /// before the event arrives.
    pub fn complete(self: &Arc<Self>, result: i64, events: &Events) {
        if let Ok(mut r) = self.result.lock() {
            *r = Some(result);
        }
        self.done.notify_all();
        let handle = Arc::as_ptr(self) as *mut c_void;
        if let Some(callback) = self.callback {
            // SAFETY: the caller registered this function for this handle.
            let _ = std::panic::catch_unwind(|| unsafe { callback(handle, self.arg) });
        }
        events.push(handle);
    }
}
