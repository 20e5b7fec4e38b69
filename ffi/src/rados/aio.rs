//! librados asynchronous IO: completions (rados_completion_t) and the
//! rados_aio_* calls that start an operation and return at once.
//!
//! An operation runs as a flow on the connection's executor thread. When
//! its reply is in, the flow copies any output to the caller's buffers,
//! sets the completion's return value, wakes waiters and then calls the
//! completion's callbacks, still on the executor thread (librados calls
//! them on its finisher thread). A callback must not wait for another
//! operation there: synchronous calls made from a callback fail with
//! -EDEADLK instead of stalling every operation of the connection.
//!
//! A completion is reference counted: the caller's reference goes with
//! rados_aio_release, an operation holds its own until it has finished, so
//! releasing early is safe. Waiting is bounded by the connection's op
//! timeout: where librados would wait forever, the wait returns -ETIMEDOUT.
//! An operation the library drops unfinished (shutdown with IO in flight)
//! completes with -ECANCELED.

use crate::types::*;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{c_char, c_int, c_void};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rbdrs_client::proto::osd::{ObjectOperation, ObjectReply};
use rbdrs_client::proto::Errno;

use super::object::{append, check_data_len, data_in, read, stat_out, target, time_t, write, OutBuf, OutPtr, Target};
use crate::boundary::{cstr, guard, put};
use crate::handle::{self, c_handle, Magic};

/// How long a wait lasts for a completion no operation has used yet
/// (rados_osd_op_timeout's default here).
const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// rados_completion_t.
pub struct AioCompletion {
    magic: Magic,
    released: AtomicBool,
    arg: *mut c_void,
    on_complete: rados_callback_t,
    on_safe: rados_callback_t,
    state: Mutex<State>,
    changed: Condvar,
}

// SAFETY: `arg` is only handed back to the C callbacks, never dereferenced;
// everything else is synchronised.
unsafe impl Send for AioCompletion {}
unsafe impl Sync for AioCompletion {}
c_handle!(AioCompletion, 0x7262_6472_7361_696f); // "rbdrsaio"

impl std::fmt::Debug for AioCompletion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AioCompletion").finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct State {
    /// An operation took it (a completion serves one operation), when,
    /// and the op timeout of its connection.
    started: Option<(Instant, Duration)>,
    /// The return value is set.
    complete: bool,
    /// ... and the callbacks have returned.
    called_back: bool,
    /// It completed by timing out.
    timed_out: bool,
    /// rados_aio_cancel ended it: the reply is dropped, callbacks ran.
    cancelled: bool,
    ret: i32,
    version: u64,
}

impl State {
    /// Past the op timeout, an unfinished operation fails with -ETIMEDOUT;
    /// its reply, if it still comes, is dropped (nothing is written to the
    /// caller's buffers after this), its callbacks still run then.
    fn expire(&mut self, now: Instant) -> bool {
        match self.started {
            Some((at, timeout)) if !self.complete && now >= at + timeout => {
                self.complete = true;
                self.timed_out = true;
                self.ret = Errno::ETIMEDOUT.to_ret();
                true
            }
            _ => false,
        }
    }
}

/// Whether this thread is the executor's: waiting here would stall it.
fn on_executor_thread() -> bool {
    std::thread::current().name() == Some("rbdrs-exec")
}

impl AioCompletion {
    fn new(arg: *mut c_void, on_complete: rados_callback_t, on_safe: rados_callback_t) -> Arc<AioCompletion> {
        Arc::new(AioCompletion {
            magic: Magic::of::<AioCompletion>(),
            released: AtomicBool::new(false),
            arg,
            on_complete,
            on_safe,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the state is plain data.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Claims the completion for an operation; -EINVAL if one has it.
    fn claim(&self, timeout: Duration) -> Result<(), Errno> {
        let mut state = self.state();
        if state.started.is_some() {
            return Err(Errno::EINVAL);
        }
        state.started = Some((Instant::now(), timeout));
        Ok(())
    }

    /// Gives the completion back when the operation could not start.
    fn unclaim(&self) {
        self.state().started = None;
    }

    /// Ends the operation: `deliver` copies its outputs and gives the return
    /// value and version, unless the operation already timed out. Then
    /// waiters wake and the callbacks run. Called once per operation.
    fn finish(self: &Arc<Self>, deliver: impl FnOnce() -> (i32, u64)) {
        {
            let mut state = self.state();
            if state.cancelled {
                return;
            }
            if !state.complete {
                let (ret, version) = deliver();
                state.complete = true;
                state.ret = ret;
                state.version = version;
            }
        }
        self.changed.notify_all();
        self.call_back();
    }

    /// Ends an operation in flight with -ECANCELED, as librados's
    /// op_cancel does: waiters wake and the callbacks run now, and the
    /// reply, if the OSD still sends one, is dropped. Nothing happens when
    /// no operation is in flight on it.
    fn cancel(self: &Arc<Self>) {
        {
            let mut state = self.state();
            if state.started.is_none() || state.complete {
                return;
            }
            state.complete = true;
            state.cancelled = true;
            state.ret = Errno::ECANCELED.to_ret();
        }
        self.changed.notify_all();
        self.call_back();
    }

    /// Runs the C callbacks, then tells waiters they have run.
    fn call_back(self: &Arc<Self>) {
        let handle = Arc::as_ptr(self).cast_mut();
        for callback in [self.on_complete, self.on_safe].into_iter().flatten() {
            // SAFETY: a C callback the creator registered, called as
            // librados calls it: with this completion (alive: we hold a
            // reference) and the creator's argument.
            unsafe { callback(handle, self.arg) };
        }
        self.state().called_back = true;
        self.changed.notify_all();
    }

    /// Whether the operation finished (and called back, with `callbacks`);
    /// a timed-out one counts as finished.
    fn is_done(&self, callbacks: bool) -> bool {
        let mut state = self.state();
        if state.expire(Instant::now()) {
            self.changed.notify_all();
        }
        state.complete && (!callbacks || state.called_back)
    }

    /// Waits until complete (and called back, with `callbacks`), at most
    /// until the op timeout has passed since the operation started; then
    /// the operation has failed and this returns -ETIMEDOUT.
    fn wait(&self, callbacks: bool) -> Result<(), Errno> {
        let mut state = self.state();
        let deadline = match state.started {
            Some((at, timeout)) => at + timeout,
            None => Instant::now() + DEFAULT_WAIT,
        };
        loop {
            let now = Instant::now();
            if state.expire(now) {
                self.changed.notify_all();
            }
            if state.timed_out {
                return Err(Errno::ETIMEDOUT);
            }
            if state.complete && (!callbacks || state.called_back) {
                return Ok(());
            }
            if on_executor_thread() {
                return Err(Errno::EDEADLK);
            }
            if now >= deadline {
                return Err(Errno::ETIMEDOUT);
            }
            state =
                self.changed.wait_timeout(state, deadline - now).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
    }
}

impl Drop for AioCompletion {
    fn drop(&mut self) {
        self.magic.clear();
    }
}

/// A new reference to the completion behind a C handle.
///
/// # Safety
/// `c` is NULL or a completion from rados_aio_create_completion that is
/// still referenced (not released, or still held by its operation).
unsafe fn completion(c: rados_completion_t) -> Result<Arc<AioCompletion>, Errno> {
    // SAFETY: forwarded contract.
    unsafe { handle::share(c) }
}

// ---- in-flight writes per pool context, for rados_aio_flush ----

struct Flights {
    next: u64,
    /// Pool context handle address -> its writes in flight.
    by_ioctx: BTreeMap<usize, InFlight>,
}

#[derive(Default)]
struct InFlight {
    seqs: BTreeSet<u64>,
    flushers: Vec<Waker>,
}

static FLIGHTS: Mutex<Flights> = Mutex::new(Flights { next: 0, by_ioctx: BTreeMap::new() });

fn flights() -> std::sync::MutexGuard<'static, Flights> {
    FLIGHTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One aio write in flight on a pool context; dropping it lands it.
struct Flight {
    ioctx: usize,
    seq: u64,
}

impl Flight {
    fn start(ioctx: usize) -> Flight {
        let mut all = flights();
        let seq = all.next;
        all.next += 1;
        all.by_ioctx.entry(ioctx).or_default().seqs.insert(seq);
        Flight { ioctx, seq }
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        let flushers = {
            let mut all = flights();
            let Some(entry) = all.by_ioctx.get_mut(&self.ioctx) else {
                return;
            };
            entry.seqs.remove(&self.seq);
            let flushers = std::mem::take(&mut entry.flushers);
            if entry.seqs.is_empty() {
                all.by_ioctx.remove(&self.ioctx);
            }
            flushers
        };
        // Each flusher checks again whether what it waits for has landed.
        flushers.into_iter().for_each(Waker::wake);
    }
}

/// Resolves once every aio write started on `ioctx` before it was made
/// has finished.
struct Flushed {
    ioctx: usize,
    before: u64,
}

impl Flushed {
    fn new(ioctx: usize) -> Flushed {
        Flushed { ioctx, before: flights().next }
    }
}

impl Future for Flushed {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut all = flights();
        match all.by_ioctx.get_mut(&self.ioctx) {
            Some(entry) if entry.seqs.first().is_some_and(|&oldest| oldest < self.before) => {
                entry.flushers.push(cx.waker().clone());
                Poll::Pending
            }
            _ => Poll::Ready(()),
        }
    }
}

// ---- starting operations ----

const IDLE: u8 = 0;
const STARTED: u8 = 1;
const DROPPED: u8 = 2;

/// Finishes an operation's completion: with its result, or with
/// -ECANCELED if the flow is dropped unfinished after it started.
struct Finisher {
    completion: Option<Arc<AioCompletion>>,
    launch: Arc<AtomicU8>,
    _flight: Option<Flight>,
}

impl Finisher {
    fn finish(mut self, deliver: impl FnOnce() -> (i32, u64)) {
        if let Some(completion) = self.completion.take() {
            completion.finish(deliver);
        }
        // The flight lands after the callbacks ran (dropped with self).
    }
}

impl Drop for Finisher {
    fn drop(&mut self) {
        let Some(completion) = self.completion.take() else {
            return;
        };
        // Not started yet: the spawn failed (the caller gets its error and
        // no callback), or the launcher finishes it on seeing DROPPED.
        if self.launch.compare_exchange(IDLE, DROPPED, Ordering::AcqRel, Ordering::Acquire).is_err() {
            completion.finish(|| (Errno::ECANCELED.to_ret(), 0));
        }
    }
}

/// Starts `flow` for `completion`. The flow's output delivers the result:
/// copies outputs to the caller and gives the return value and object
/// version; it runs only if the operation has not timed out meanwhile.
/// Writes count for rados_aio_flush on `io`.
pub(super) fn launch<F, D>(
    t: &Target,
    io: rados_ioctx_t,
    is_write: bool,
    completion: &Arc<AioCompletion>,
    flow: F,
) -> Result<i32, Errno>
where
    F: Future<Output = D> + Send + 'static,
    D: FnOnce() -> (i32, u64),
{
    completion.claim(t.conn.op_timeout)?;
    let launch = Arc::new(AtomicU8::new(IDLE));
    let finisher = Finisher {
        completion: Some(completion.clone()),
        launch: launch.clone(),
        _flight: is_write.then(|| Flight::start(io as usize)),
    };
    let spawned = t.conn.runtime.spawn(async move {
        let deliver = flow.await;
        finisher.finish(deliver);
    });
    match spawned {
        Ok(()) => {
            if launch.compare_exchange(IDLE, STARTED, Ordering::AcqRel, Ordering::Acquire).is_err() {
                // Dropped unpolled between the queue and here (shutdown).
                completion.finish(|| (Errno::ECANCELED.to_ret(), 0));
            }
            Ok(0)
        }
        Err(e) => {
            completion.unclaim();
            Err(e)
        }
    }
}

/// Starts the flow `make` builds on the pool context's core for an aio
/// export that is neither a plain read nor a write (notify).
///
/// # Safety
/// `io` and `c` as the aio exports require.
pub(super) unsafe fn launch_flow<F, D>(
    io: rados_ioctx_t,
    c: rados_completion_t,
    make: impl FnOnce(rbdrs_client::proto::image::IoCtx) -> F,
) -> Result<i32, Errno>
where
    F: Future<Output = D> + Send + 'static,
    D: FnOnce() -> (i32, u64),
{
    // SAFETY: forwarded contracts.
    let (t, completion) = unsafe { (target(io)?, completion(c)?) };
    let flow = make(t.io.clone());
    launch(&t, io, false, &completion, flow)
}

/// A write's reply as a return value: 0 or the error.
fn status(reply: ObjectReply) -> impl FnOnce() -> (i32, u64) {
    move || (reply.result.min(0), reply.version)
}

/// An aio call's common front: handle, completion and object name.
///
/// # Safety
/// `io`, `c`, `oid` as the aio exports require.
pub(super) unsafe fn front<'a>(
    io: rados_ioctx_t,
    c: rados_completion_t,
    oid: *const c_char,
) -> Result<(Target, Arc<AioCompletion>, &'a str), Errno> {
    // SAFETY: forwarded contracts, each pointer checked.
    unsafe { Ok((target(io)?, completion(c)?, cstr(oid)?)) }
}

/// Starts a write compound built by `build`.
///
/// # Safety
/// As [`front`].
pub(super) unsafe fn aio_write_with(
    io: rados_ioctx_t,
    c: rados_completion_t,
    oid: *const c_char,
    build: impl FnOnce(&mut ObjectOperation),
) -> Result<i32, Errno> {
    // SAFETY: forwarded contracts.
    let (t, completion, name) = unsafe { front(io, c, oid) }?;
    let mut op = ObjectOperation::new();
    build(&mut op);
    let flow = write(t.io.clone(), name.into(), None, op);
    launch(&t, io, true, &completion, async move { status(flow.await) })
}

// ---- completions ----

/// Creates a completion; `cb_complete` and `cb_safe` (either NULL) are
/// both called, in that order, when the operation finishes.
///
/// # Safety
/// `pc` writable; the callbacks NULL or functions safe to call from the
/// library's executor thread with `cb_arg`.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_create_completion(
    cb_arg: *mut c_void,
    cb_complete: rados_callback_t,
    cb_safe: rados_callback_t,
    pc: *mut rados_completion_t,
) -> c_int {
    guard(|| {
        if pc.is_null() {
            return Err(Errno::EINVAL);
        }
        let handle = handle::give_shared(AioCompletion::new(cb_arg, cb_complete, cb_safe));
        // SAFETY: checked non-NULL, writable by contract.
        unsafe { put(pc, handle) }?;
        Ok(0)
    })
}

/// Creates a completion with one callback (`cb_complete`, may be NULL).
///
/// # Safety
/// As [`rados_aio_create_completion`].
#[no_mangle]
pub unsafe extern "C" fn rados_aio_create_completion2(
    cb_arg: *mut c_void,
    cb_complete: rados_callback_t,
    pc: *mut rados_completion_t,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rados_aio_create_completion(cb_arg, cb_complete, None, pc) }
}

/// Drops the caller's reference. An operation still running keeps the
/// completion alive and still calls its callbacks. A second release of the
/// same live completion is ignored.
///
/// # Safety
/// `c` from rados_aio_create_completion; not used after this.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_release(c: rados_completion_t) {
    guard(|| {
        // SAFETY: checked handle.
        if let Ok(completion) = unsafe { completion(c) } {
            if !completion.released.swap(true, Ordering::AcqRel) {
                // SAFETY: gives back the reference rados_aio_create_completion
                // handed out; `completion` holds another.
                unsafe { handle::release(c) };
            }
        }
        Ok(())
    })
}

/// # Safety
/// `c` a live completion.
unsafe fn wait_export(c: rados_completion_t, callbacks: bool) -> Result<c_int, Errno> {
    // SAFETY: forwarded contract.
    unsafe { completion(c) }?.wait(callbacks).map(|()| 0)
}

/// # Safety
/// `c` a live completion.
unsafe fn query_export(c: rados_completion_t, callbacks: bool) -> Result<c_int, Errno> {
    // SAFETY: forwarded contract.
    Ok(c_int::from(unsafe { completion(c) }?.is_done(callbacks)))
}

/// Waits until the operation finished: 0, or -ETIMEDOUT after the op
/// timeout (librados waits forever), -EDEADLK from a callback.
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_wait_for_complete(c: rados_completion_t) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { wait_export(c, false) })
}

/// As [`rados_aio_wait_for_complete`]: complete and safe are one here.
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_wait_for_safe(c: rados_completion_t) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { wait_export(c, false) })
}

/// Waits until the operation finished and its callbacks returned.
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_wait_for_complete_and_cb(c: rados_completion_t) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { wait_export(c, true) })
}

/// As [`rados_aio_wait_for_complete_and_cb`].
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_wait_for_safe_and_cb(c: rados_completion_t) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { wait_export(c, true) })
}

/// 1 once the operation finished, else 0.
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_is_complete(c: rados_completion_t) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { query_export(c, false) })
}

/// Stops waiting for the operation `c` carries: it completes at once with
/// -ECANCELED and its callbacks run (the OSD may still apply a write that
/// was sent). 0 also when `c` has no operation in flight, as librados.
///
/// # Safety
/// `io` a live ioctx; `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_cancel(io: rados_ioctx_t, c: rados_completion_t) -> c_int {
    guard(|| {
        // SAFETY: checked handles.
        unsafe { super::ioctx(io) }?;
        unsafe { completion_ref(c) }?.cancel();
        Ok(0)
    })
}

/// As [`rados_aio_is_complete`].
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_is_safe(c: rados_completion_t) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { query_export(c, false) })
}

/// 1 once the operation finished and its callbacks returned, else 0.
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_is_complete_and_cb(c: rados_completion_t) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { query_export(c, true) })
}

/// As [`rados_aio_is_complete_and_cb`].
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_is_safe_and_cb(c: rados_completion_t) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { query_export(c, true) })
}

/// The operation's return value (0 until it finished).
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_get_return_value(c: rados_completion_t) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| Ok(unsafe { completion(c) }?.state().ret))
}

/// The object version the operation left or read (0 if unknown).
///
/// # Safety
/// `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_get_version(c: rados_completion_t) -> u64 {
    // SAFETY: checked handle.
    guard(|| Ok(unsafe { completion(c) }?.state().version))
}

// ---- operations ----

/// Starts a write of `len` bytes at `off`; the completion's value is 0 or
/// an error.
///
/// # Safety
/// `io` from rados_ioctx_create; `c` a live completion; `oid` a C string;
/// `buf` readable for `len` bytes (copied before this returns).
#[no_mangle]
pub unsafe extern "C" fn rados_aio_write(
    io: rados_ioctx_t,
    oid: *const c_char,
    c: rados_completion_t,
    buf: *const c_char,
    len: usize,
    off: u64,
) -> c_int {
    guard(|| {
        check_data_len(len)?;
        // SAFETY: checked buffer, then checked handles.
        let data = unsafe { data_in(buf, len) }?;
        unsafe {
            aio_write_with(io, c, oid, |op| {
                op.write(off, data);
            })
        }
    })
}

/// Starts replacing the object's data with `buf`.
///
/// # Safety
/// As [`rados_aio_write`].
#[no_mangle]
pub unsafe extern "C" fn rados_aio_write_full(
    io: rados_ioctx_t,
    oid: *const c_char,
    c: rados_completion_t,
    buf: *const c_char,
    len: usize,
) -> c_int {
    guard(|| {
        check_data_len(len)?;
        // SAFETY: checked buffer, then checked handles.
        let data = unsafe { data_in(buf, len) }?;
        unsafe {
            aio_write_with(io, c, oid, |op| {
                op.write_full(data);
            })
        }
    })
}

/// Starts an append (size read, then written at: see rados_append).
///
/// # Safety
/// As [`rados_aio_write`].
#[no_mangle]
pub unsafe extern "C" fn rados_aio_append(
    io: rados_ioctx_t,
    oid: *const c_char,
    c: rados_completion_t,
    buf: *const c_char,
    len: usize,
) -> c_int {
    guard(|| {
        check_data_len(len)?;
        // SAFETY: checked buffer and handles.
        let (data, (t, completion, name)): (Bytes, _) = unsafe { (data_in(buf, len)?, front(io, c, oid)?) };
        let flow = append(t.io.clone(), name.into(), data);
        launch(&t, io, true, &completion, async move { status(flow.await) })
    })
}

/// Starts removing the object.
///
/// # Safety
/// `io` from rados_ioctx_create; `c` a live completion; `oid` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_remove(io: rados_ioctx_t, oid: *const c_char, c: rados_completion_t) -> c_int {
    guard(|| {
        // SAFETY: checked handles.
        unsafe {
            aio_write_with(io, c, oid, |op| {
                op.remove();
            })
        }
    })
}

/// Starts a read of up to `len` bytes at `off` into `buf`; the
/// completion's value is the number of bytes read, or an error (-ENOENT for
/// a missing object).
///
/// # Safety
/// `io` from rados_ioctx_create; `c` a live completion; `oid` a C string;
/// `buf` writable for `len` bytes and left alone until the completion
/// finished.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_read(
    io: rados_ioctx_t,
    oid: *const c_char,
    c: rados_completion_t,
    buf: *mut c_char,
    len: usize,
    off: u64,
) -> c_int {
    guard(|| {
        // SAFETY: checked buffer and handles; buf stays valid by contract.
        let (out, (t, completion, name)) = unsafe { (OutBuf::new(buf, len)?, front(io, c, oid)?) };
        let mut op = ObjectOperation::new();
        op.read(off, len as u64);
        let flow = read(t.io.clone(), name.into(), op);
        launch(&t, io, false, &completion, async move {
            let reply = flow.await;
            move || {
                let ret = reply.out(0).and_then(|data| out.fill(data));
                (ret.map_or_else(Errno::to_ret, |n| i32::try_from(n).unwrap_or(i32::MAX)), reply.version)
            }
        })
    })
}

/// Starts a stat; `psize` and `pmtime` (either NULL) are filled before the
/// completion finishes.
///
/// # Safety
/// `io` from rados_ioctx_create; `c` a live completion; `oid` a C string;
/// `psize`, `pmtime` NULL or writable until the completion finished.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_stat(
    io: rados_ioctx_t,
    oid: *const c_char,
    c: rados_completion_t,
    psize: *mut u64,
    pmtime: *mut crate::types::time_t,
) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { aio_stat(io, oid, c, psize, pmtime, time_t) })
}

/// Starts a stat whose mtime is written as `mtime` renders it.
///
/// # Safety
/// As [`rados_aio_stat`].
unsafe fn aio_stat<T: Send + 'static>(
    io: rados_ioctx_t,
    oid: *const c_char,
    c: rados_completion_t,
    psize: *mut u64,
    pmtime: *mut T,
    mtime: fn(rbdrs_client::proto::encoding::UtcTime) -> T,
) -> Result<c_int, Errno> {
    // SAFETY: checked handles; out-pointers stay valid by contract.
    let ((t, completion, name), psize, pmtime) =
        unsafe { (front(io, c, oid)?, OutPtr::new(psize), OutPtr::new(pmtime)) };
    let mut op = ObjectOperation::new();
    op.stat();
    let flow = read(t.io.clone(), name.into(), op);
    launch(&t, io, false, &completion, async move {
        let reply = flow.await;
        move || match stat_out(&reply, 0) {
            Ok(stat) => {
                psize.set(stat.size);
                pmtime.set(mtime(stat.mtime));
                (0, reply.version)
            }
            Err(e) => (e.to_ret(), reply.version),
        }
    })
}

/// [`rados_aio_stat`] with the mtime as a timespec (Reef).
///
/// # Safety
/// As [`rados_aio_stat`].
#[no_mangle]
pub unsafe extern "C" fn rados_aio_stat2(
    io: rados_ioctx_t,
    oid: *const c_char,
    c: rados_completion_t,
    psize: *mut u64,
    pmtime: *mut crate::types::timespec,
) -> c_int {
    let timespec = |t| crate::types::timespec { tv_sec: time_t(t), tv_nsec: t.nsec as std::ffi::c_long };
    // SAFETY: forwarded contract.
    guard(|| unsafe { aio_stat(io, oid, c, psize, pmtime, timespec) })
}

/// Waits until every aio write started on `io` before this call finished,
/// then makes the store durable (the local store fsyncs its log). 0, or
/// -ETIMEDOUT after the op timeout, or the sync's error.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_flush(io: rados_ioctx_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let t = unsafe { target(io) }?;
        t.conn.run_io(Flushed::new(io as usize))?;
        t.conn.runtime.backend.sync()?;
        Ok(0)
    })
}

/// Starts [`rados_aio_flush`]: the completion finishes when the earlier
/// writes did and the store is durable.
///
/// # Safety
/// `io` from rados_ioctx_create; `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_flush_async(io: rados_ioctx_t, c: rados_completion_t) -> c_int {
    guard(|| {
        // SAFETY: checked handles.
        let (t, completion) = unsafe { (target(io)?, self::completion(c)?) };
        let flushed = Flushed::new(io as usize);
        let backend = t.conn.runtime.backend.clone();
        launch(&t, io, false, &completion, async move {
            flushed.await;
            let ret = backend.sync().map_or_else(Errno::to_ret, |()| 0);
            move || (ret, 0)
        })
    })
}

/// Starts a write compound built elsewhere (rados_aio_write_op_operate).
pub(super) fn launch_write(
    t: &Target,
    io: rados_ioctx_t,
    completion: &Arc<AioCompletion>,
    flow: impl Future<Output = ObjectReply> + Send + 'static,
) -> Result<i32, Errno> {
    launch(t, io, true, completion, async move { status(flow.await) })
}

/// Starts a read compound; `deliver` hands the reply's outputs to the
/// caller and gives the return value (not called after a timeout).
pub(super) fn launch_read(
    t: &Target,
    io: rados_ioctx_t,
    completion: &Arc<AioCompletion>,
    flow: impl Future<Output = ObjectReply> + Send + 'static,
    deliver: impl FnOnce(&ObjectReply) -> i32 + Send + 'static,
) -> Result<i32, Errno> {
    launch(t, io, false, completion, async move {
        let reply = flow.await;
        move || (deliver(&reply), reply.version)
    })
}

/// Runs blocking `work` on a thread of its own for completion `c`, which
/// completes with what it returns (for calls that wait on the caller's
/// callbacks, which must not stall the runtime).
///
/// # Safety
/// As [`completion`].
pub(super) unsafe fn launch_blocking(
    c: rados_completion_t,
    timeout: Duration,
    work: impl FnOnce() -> i32 + Send + 'static,
) -> Result<i32, Errno> {
    // SAFETY: forwarded contract.
    let completion = unsafe { completion(c) }?;
    completion.claim(timeout)?;
    let finishing = completion.clone();
    let spawned = std::thread::Builder::new().name("rbdrs-aio".into()).spawn(move || {
        let ret = work();
        finishing.finish(|| (ret, 0));
    });
    match spawned {
        Ok(_) => Ok(0),
        Err(_) => {
            completion.unclaim();
            Err(Errno::EAGAIN)
        }
    }
}

/// A completion handle as a reference, for the compound-op exports.
///
/// # Safety
/// As [`completion`].
pub(super) unsafe fn completion_ref(c: rados_completion_t) -> Result<Arc<AioCompletion>, Errno> {
    // SAFETY: forwarded contract.
    unsafe { completion(c) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    static CALLS: AtomicU64 = AtomicU64::new(0);

    unsafe extern "C" fn count(_: rados_completion_t, _: *mut c_void) {
        CALLS.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn a_wait_past_the_op_timeout_fails_the_operation() {
        let c = AioCompletion::new(std::ptr::null_mut(), Some(count), None);
        c.claim(Duration::from_millis(20)).unwrap();
        assert_eq!(c.claim(Duration::from_millis(20)), Err(Errno::EINVAL));
        assert!(!c.is_done(false));
        assert_eq!(c.wait(false), Err(Errno::ETIMEDOUT));
        assert!(c.is_done(false));
        assert!(!c.is_done(true));
        assert_eq!(c.state().ret, Errno::ETIMEDOUT.to_ret());
        // A late reply delivers nothing; the callbacks still run.
        c.finish(|| panic!("delivered after the timeout"));
        assert_eq!(CALLS.load(Ordering::SeqCst), 1);
        assert!(c.is_done(true));
        assert_eq!(c.wait(true), Err(Errno::ETIMEDOUT));
        assert_eq!(c.state().ret, Errno::ETIMEDOUT.to_ret());
    }

    #[test]
    fn flush_waits_only_for_earlier_writes() {
        let key = 0x5eed;
        let first = Flight::start(key);
        let flushed = Flushed::new(key);
        let later = Flight::start(key);
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut flushed = std::pin::pin!(flushed);
        assert!(flushed.as_mut().poll(&mut cx).is_pending());
        drop(first);
        assert!(flushed.as_mut().poll(&mut cx).is_ready());
        drop(later);
        assert!(!flights().by_ioctx.contains_key(&key));
    }
}
