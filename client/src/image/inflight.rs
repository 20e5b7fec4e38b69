//! Writes still in flight, so that a flush (and close) can wait for the
//! ones submitted before it.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::task::{Poll, Waker};

#[derive(Debug, Default)]
pub struct Inflight {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    running: BTreeSet<u64>,
    waiters: Vec<Waker>,
}

impl Inflight {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Numbers a request that starts now.
    pub fn start(&self) -> u64 {
        let mut state = self.lock();
        state.next += 1;
        let seq = state.next;
        state.running.insert(seq);
        seq
    }

    pub fn finish(&self, seq: u64) {
        let waiters = {
            let mut state = self.lock();
            state.running.remove(&seq);
            std::mem::take(&mut state.waiters)
        };
        waiters.into_iter().for_each(Waker::wake);
    }

    /// The number of the latest request started.
    pub fn newest(&self) -> u64 {
        self.lock().next
    }

    /// Resolves once no request numbered `upto` or lower is running.
    pub async fn drained(&self, upto: u64) {
        std::future::poll_fn(|cx| {
            let mut state = self.lock();
            if state.running.range(..=upto).next().is_none() {
                Poll::Ready(())
            } else {
                state.waiters.push(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }

    pub fn is_idle(&self) -> bool {
        self.lock().running.is_empty()
    }
}
