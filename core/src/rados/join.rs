use alloc::boxed::Box;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

enum Entry<F: Future> {
    Running(Pin<Box<F>>),
    Done(Option<F::Output>),
}

/// Runs futures concurrently and yields their outputs in input order,
/// whatever order they finish in: how one image IO fans out to objects.
pub fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> JoinAll<F> {
    JoinAll { entries: futures.into_iter().map(|f| Entry::Running(Box::pin(f))).collect() }
}

#[must_use = "futures do nothing unless polled"]
pub struct JoinAll<F: Future> {
    entries: Vec<Entry<F>>,
}

impl<F: Future> core::fmt::Debug for JoinAll<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("JoinAll").field("len", &self.entries.len()).finish()
    }
}

impl<F: Future> Unpin for JoinAll<F> {}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut all_done = true;
        for entry in self.entries.iter_mut() {
            if let Entry::Running(future) = entry {
                match future.as_mut().poll(cx) {
                    Poll::Ready(output) => *entry = Entry::Done(Some(output)),
                    Poll::Pending => all_done = false,
                }
            }
        }
        if !all_done {
            return Poll::Pending;
        }
        let outputs = self
            .entries
            .iter_mut()
            .map(|entry| match entry {
                Entry::Done(output) => output.take(),
                Entry::Running(_) => None,
            })
            .collect::<Option<Vec<_>>>();
        // Every entry is Done here; a second poll after completion finds
        // them emptied and stays pending rather than panicking.
        outputs.map_or(Poll::Pending, Poll::Ready)
    }
}
