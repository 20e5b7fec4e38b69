//! IO on an open image, through the cache when it has one.
//!
//! Every request is started when it is called (so requests keep their
//! issue order) and comes back as an [`Io`]: a future that runs on the
//! image's runtime. [`Image::submit`] runs one and hands its result to a
//! callback (C's aio), [`Image::wait`] blocks for it with the IO timeout,
//! and the `*_async` methods return a [`Task`] that any executor can await.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use rbdrs_core::image::io::{self, CompareOutcome};
use rbdrs_core::image::{clip_io, ImageCtx};
use rbdrs_core::Errno;

use super::{restarting, Image};
use crate::runtime::task::pair;
use crate::runtime::Task;

/// A started request; poll it only on the image's runtime.
pub type Io<T> = Pin<Box<dyn Future<Output = Result<T, Errno>> + Send>>;

fn failed<T: Send + 'static>(e: Errno) -> Io<T> {
    Box::pin(std::future::ready(Err(e)))
}

/// Writes are refused before the cache could acknowledge them.
fn writable(ictx: &ImageCtx) -> Result<(), Errno> {
    if ictx.read_only || !ictx.snap_id.is_head() {
        return Err(Errno::EROFS);
    }
    Ok(())
}

impl Image {
    /// Starts a request now; errors found up front come out of the future.
    fn request<T: Send + 'static>(&self, start: impl FnOnce(Arc<ImageCtx>) -> Result<Io<T>, Errno>) -> Io<T> {
        self.ctx().and_then(start).unwrap_or_else(failed)
    }

    pub fn start_read(&self, off: u64, len: u64) -> Io<Vec<u8>> {
        self.request(|ictx| match self.cache() {
            Some(cache) => Ok(Box::pin(cache.read(off, clip_io(ictx.size_at(ictx.snap_id)?, off, len)?))),
            None => Ok(Box::pin(async move { io::read(&ictx, off, len).await })),
        })
    }

    /// Resolves to the bytes written.
    pub fn start_write(&self, off: u64, mut data: Vec<u8>) -> Io<u64> {
        self.request(|ictx| match self.cache() {
            Some(cache) => {
                writable(&ictx)?;
                let len = clip_io(ictx.size, off, data.len() as u64)?;
                data.truncate(len as usize);
                let done = cache.write(off, Bytes::from(data));
                Ok(Box::pin(async move { done.await.map(|_| len) }))
            }
            None => {
                let (shared, data) = (self.ictx.clone(), Bytes::from(data));
                Ok(Box::pin(async move {
                    restarting(&shared, |ictx| {
                        let data = data.clone();
                        async move { io::write(&ictx, off, &data).await }
                    })
                    .await
                }))
            }
        })
    }

    /// A write that reaches the store before it completes (FADVISE_FUA),
    /// through the cache or not.
    pub fn start_write_through(&self, off: u64, data: Vec<u8>) -> Io<u64> {
        let write = self.start_write(off, data);
        // Issued right after the write, so it writes the write back.
        let Some(flushed) = self.cache().map(|c| c.flush()) else { return write };
        Box::pin(async move {
            let n = write.await?;
            flushed.await?;
            Ok(n)
        })
    }

    /// Discards (librbd's semantics: partial granules may be left alone),
    /// or with `zero` zeroes exactly that range.
    pub fn start_discard(&self, off: u64, len: u64, zero: bool) -> Io<u64> {
        self.request(|ictx| match self.cache() {
            Some(cache) => {
                writable(&ictx)?;
                let len = clip_io(ictx.size, off, len)?;
                let done = if zero { cache.write_zeroes(off, len) } else { cache.discard(off, len) };
                Ok(Box::pin(async move { done.await.map(|_| len) }))
            }
            None => {
                let shared = self.ictx.clone();
                Ok(Box::pin(async move {
                    restarting(&shared, |ictx| async move {
                        match zero {
                            true => io::write_zeroes(&ictx, off, len).await,
                            false => io::discard(&ictx, off, len).await,
                        }
                    })
                    .await
                }))
            }
        })
    }

    /// Repeats `pattern` over `len` bytes at `off`. librbd sends it through
    /// the cache as the plain write it is.
    pub fn start_write_same(&self, off: u64, len: u64, pattern: Vec<u8>) -> Io<u64> {
        self.request(|ictx| match self.cache() {
            Some(_) => {
                if pattern.is_empty() || !len.is_multiple_of(pattern.len() as u64) {
                    return Err(Errno::EINVAL);
                }
                writable(&ictx)?;
                let len = clip_io(ictx.size, off, len)?;
                Ok(self.start_write(off, pattern.iter().copied().cycle().take(len as usize).collect()))
            }
            None => {
                let (shared, pattern) = (self.ictx.clone(), Bytes::from(pattern));
                Ok(Box::pin(async move {
                    restarting(&shared, |ictx| {
                        let pattern = pattern.clone();
                        async move { io::write_same(&ictx, off, len, &pattern).await }
                    })
                    .await
                }))
            }
        })
    }

    /// A mismatch reports its offset from `off`. The cache does not model
    /// compare-and-write: write it back first, and drop what it holds after
    /// (the object may have changed under it).
    pub fn start_compare_and_write(&self, off: u64, compare: Vec<u8>, data: Vec<u8>) -> Io<CompareOutcome> {
        let shared = self.ictx.clone();
        self.request(|_| {
            let cache = self.cache().cloned();
            let flushed = cache.as_ref().map(|c| c.flush());
            let (compare, data) = (Bytes::from(compare), Bytes::from(data));
            Ok(Box::pin(async move {
                if let Some(flushed) = flushed {
                    flushed.await?;
                }
                let outcome = restarting(&shared, |ictx| {
                    let (compare, data) = (compare.clone(), data.clone());
                    async move { io::compare_and_write(&ictx, off, &compare, &data).await }
                })
                .await;
                // The core names the image offset; librbd the request's.
                let outcome = outcome.map(|o| match o {
                    CompareOutcome::Mismatch { offset } => CompareOutcome::Mismatch { offset: offset - off },
                    written => written,
                });
                if let Some(cache) = cache {
                    // EBUSY only says newer IO arrived meanwhile, which is fine.
                    let _ = cache.invalidate().await;
                }
                outcome
            }))
        })
    }

    /// Completes once every write issued before it is in the store, and the
    /// store made it durable.
    pub fn start_flush(&self) -> Io<()> {
        let (upto, inflight, conn) = (self.inflight.newest(), self.inflight.clone(), self.conn.clone());
        let cached = self.cache().map(|c| c.flush());
        self.request(|ictx| {
            Ok(Box::pin(async move {
                inflight.drained(upto).await;
                if let Some(cached) = cached {
                    cached.await?;
                }
                io::flush(&ictx).await?;
                conn.runtime.backend.sync()
            }))
        })
    }

    /// Runs `io` on the runtime; `done` gets its result there. Tracked, so
    /// a later flush or close waits for it.
    pub fn submit<T: Send + 'static>(
        &self,
        io: Io<T>,
        done: impl FnOnce(Result<T, Errno>) + Send + 'static,
    ) -> Result<(), Errno> {
        let seq = self.inflight.start();
        let inflight = self.inflight.clone();
        let started = self.conn.runtime.spawn(async move {
            done(io.await);
            inflight.finish(seq);
        });
        if started.is_err() {
            self.inflight.finish(seq);
        }
        started
    }

    /// Runs `io` and waits for it, at most the IO timeout; a `tracked` one
    /// (a write) is waited for by a later flush.
    pub fn wait<T: Send + 'static>(&self, tracked: bool, io: Io<T>) -> Result<T, Errno> {
        let seq = tracked.then(|| self.inflight.start());
        let inflight = self.inflight.clone();
        self.conn.run_io(async move {
            let result = io.await;
            if let Some(seq) = seq {
                inflight.finish(seq);
            }
            result
        })?
    }

    fn task<T: Send + 'static>(&self, io: Io<T>) -> Task<T> {
        let (fill, task) = pair();
        match self.submit(io, move |r| fill.fill(r)) {
            Ok(()) => task,
            Err(e) => Task::ready(Err(e)),
        }
    }

    // -- blocking --

    /// Reads up to `len` bytes at `off` (fewer past the end).
    pub fn read(&self, off: u64, len: u64) -> Result<Vec<u8>, Errno> {
        self.wait(false, self.start_read(off, len))
    }

    pub fn write(&self, off: u64, data: &[u8]) -> Result<u64, Errno> {
        self.wait(true, self.start_write(off, data.to_vec()))
    }

    pub fn discard(&self, off: u64, len: u64) -> Result<u64, Errno> {
        self.wait(true, self.start_discard(off, len, false))
    }

    pub fn write_zeroes(&self, off: u64, len: u64) -> Result<u64, Errno> {
        self.wait(true, self.start_discard(off, len, true))
    }

    pub fn write_same(&self, off: u64, len: u64, pattern: &[u8]) -> Result<u64, Errno> {
        self.wait(true, self.start_write_same(off, len, pattern.to_vec()))
    }

    pub fn compare_and_write(&self, off: u64, compare: &[u8], data: &[u8]) -> Result<CompareOutcome, Errno> {
        self.wait(true, self.start_compare_and_write(off, compare.to_vec(), data.to_vec()))
    }

    pub fn flush(&self) -> Result<(), Errno> {
        self.wait(false, self.start_flush())
    }

    // -- asynchronous --

    pub fn read_async(&self, off: u64, len: u64) -> Task<Vec<u8>> {
        self.task(self.start_read(off, len))
    }

    pub fn write_async(&self, off: u64, data: Vec<u8>) -> Task<u64> {
        self.task(self.start_write(off, data))
    }

    pub fn discard_async(&self, off: u64, len: u64) -> Task<u64> {
        self.task(self.start_discard(off, len, false))
    }

    pub fn flush_async(&self) -> Task<()> {
        self.task(self.start_flush())
    }
}
