//! Drives the core's async flows for the C library: one executor thread
//! per cluster handle, however many images and requests are open.
//!
//! A C call either spawns a flow and returns (aio) or spawns it and waits
//! for its result with a deadline (sync calls): no wait is unbounded. The
//! executor polls flows when they are woken, sends what they queued on the
//! dispatcher to the backend, and hands the replies back, which wakes the
//! flows waiting on them.

mod executor;
pub(crate) mod task;

use std::future::Future;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rbdrs_core::encoding::UtcTime;
use rbdrs_core::rados::{Dispatcher, Request, Tid};
use rbdrs_core::Errno;

pub use executor::Executor;
pub use task::Task;

/// Where requests are executed: the embedded local store, the in-memory
/// store, or a cluster.
pub trait Backend: Send + Sync {
    /// Starts `request`. Its reply goes to `dispatcher` as `tid`, before this
    /// returns (the stores) or later from another thread (a cluster).
    fn submit(&self, tid: Tid, request: Request, dispatcher: &Dispatcher);

    /// Makes everything executed so far durable (rbd_flush).
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }
}

pub fn now() -> UtcTime {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    UtcTime::new(since.as_secs() as u32, since.subsec_nanos())
}

/// A random number for ids, nonces and seeds: std's hasher keys come from
/// the kernel's randomness, so no extra dependency is needed.
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos());
    hasher.finish()
}

/// A running executor with its backend and dispatcher.
pub struct Runtime {
    pub dispatcher: Dispatcher,
    pub backend: Arc<dyn Backend>,
    executor: Executor,
}

impl Runtime {
    pub fn start(backend: Arc<dyn Backend>) -> Result<Arc<Runtime>, Errno> {
        let dispatcher = Dispatcher::new();
        let executor = Executor::start(dispatcher.clone(), backend.clone())?;
        Ok(Arc::new(Runtime { dispatcher, backend, executor }))
    }

    /// Runs `flow` on the executor; `done` gets its output there.
    pub fn spawn<F>(&self, flow: F) -> Result<(), Errno>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.executor.spawn(Box::pin(flow))
    }

    /// Runs `flow` and waits for it, at most `timeout`. A flow still running
    /// then is left to finish on its own; the caller gets -ETIMEDOUT.
    pub fn block_on<T, F>(&self, flow: F, timeout: Duration) -> Result<T, Errno>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        if executor::on_executor_thread() {
            // Waiting here would stop the very thread that must finish it.
            return Err(Errno::EDEADLK);
        }
        let (tx, rx) = mpsc::sync_channel(1);
        self.spawn(async move {
            let _ = tx.send(flow.await);
        })?;
        match rx.recv_timeout(timeout) {
            Ok(value) => Ok(value),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(Errno::ETIMEDOUT),
            // The flow was dropped unfinished (it panicked).
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(Errno::EIO),
        }
    }

    /// Stops the executor thread after the flows it has finish or stall.
    pub fn shutdown(&self) {
        self.executor.shutdown();
    }
}

/// Whether this is an executor thread (where waiting would deadlock).
pub fn on_executor_thread() -> bool {
    executor::on_executor_thread()
}

/// Resolves at `deadline` (for flows: the executor's own timer, no thread).
pub async fn sleep_until(deadline: std::time::Instant) {
    executor::sleep_until(deadline).await
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("in_flight", &self.dispatcher.in_flight()).finish_non_exhaustive()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.executor.shutdown();
    }
}
