//! A flow's result, awaited from anywhere: the flow runs on the executor,
//! and whoever holds the [`Task`] (another executor, or a blocked thread
//! through [`Task::wait`]) gets its output.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use rbdrs_core::Errno;

struct Slot<T> {
    value: Option<Result<T, Errno>>,
    waker: Option<Waker>,
}

struct Shared<T> {
    slot: Mutex<Slot<T>>,
    ready: Condvar,
}

/// The sending half, moved into the flow. Dropped unfilled (the flow
/// panicked or the executor stopped), it completes the task with -EIO.
pub(crate) struct Fill<T>(Option<Arc<Shared<T>>>);

impl<T> Fill<T> {
    pub(crate) fn fill(mut self, value: Result<T, Errno>) {
        if let Some(shared) = self.0.take() {
            shared.put(value);
        }
    }
}

impl<T> Drop for Fill<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.0.take() {
            shared.put(Err(Errno::EIO));
        }
    }
}

impl<T> Shared<T> {
    fn put(&self, value: Result<T, Errno>) {
        let waker = {
            let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
            slot.value = Some(value);
            slot.waker.take()
        };
        self.ready.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The result of a flow running on the runtime.
#[must_use = "a task does nothing to its flow when dropped, but its result is lost"]
pub struct Task<T>(Arc<Shared<T>>);

impl<T> std::fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task").finish_non_exhaustive()
    }
}

pub(crate) fn pair<T>() -> (Fill<T>, Task<T>) {
    let shared = Arc::new(Shared { slot: Mutex::new(Slot { value: None, waker: None }), ready: Condvar::new() });
    (Fill(Some(shared.clone())), Task(shared))
}

impl<T> Task<T> {
    /// A task that is already over.
    pub fn ready(value: Result<T, Errno>) -> Task<T> {
        let (fill, task) = pair();
        fill.fill(value);
        task
    }

    /// Blocks this thread until the flow finishes, at most `timeout`
    /// (-ETIMEDOUT then; the flow goes on).
    pub fn wait(self, timeout: Duration) -> Result<T, Errno> {
        let slot = self.0.slot.lock().unwrap_or_else(|e| e.into_inner());
        let (mut slot, _) =
            self.0.ready.wait_timeout_while(slot, timeout, |s| s.value.is_none()).unwrap_or_else(|e| e.into_inner());
        slot.value.take().unwrap_or(Err(Errno::ETIMEDOUT))
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, Errno>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.0.slot.lock().unwrap_or_else(|e| e.into_inner());
        match slot.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
