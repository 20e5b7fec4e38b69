//! librbd's C API: image handles (rbd_image_t) and what runs on them.

pub mod admin;
mod cache;
mod completion;
pub mod image;
pub mod io;
pub mod snap;

use crate::types::*;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::fs::File;
use std::io::Write;
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::sync::{Arc, Mutex, RwLock};
use std::task::Waker;

use rbdrs_core::cache::CacheConfig;
use rbdrs_core::image::ImageCtx;
use rbdrs_core::Errno;

use crate::rados::Connection;

pub use cache::CacheDriver;
pub use completion::Completion;

const MAGIC: u64 = 0x7262_6472_7369_6d67; // "rbdrsimg"

/// EVENT_TYPE_PIPE / EVENT_TYPE_EVENTFD for rbd_set_image_notification.
pub const EVENT_TYPE_PIPE: i32 = 1;
pub const EVENT_TYPE_EVENTFD: i32 = 2;

/// Completions waiting for rbd_poll_io_events, and how to tell the caller.
#[derive(Debug, Default)]
pub struct Events {
    notify: Mutex<Option<(i32, i32)>>,
    queue: Mutex<VecDeque<usize>>,
}

impl Events {
    /// Queues a finished completion when the caller polls for them, and
    /// signals its fd once per completion.
    fn push(&self, handle: *mut c_void) {
        let Ok(notify) = self.notify.lock() else {
            return;
        };
        let Some((fd, kind)) = *notify else { return };
        if let Ok(mut queue) = self.queue.lock() {
            queue.push_back(handle as usize);
        }
        // SAFETY: the caller gave us this fd to signal and keeps it open;
        // ManuallyDrop leaves it open.
        let file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
        let _ = match kind {
            EVENT_TYPE_EVENTFD => (&*file).write_all(&1u64.to_ne_bytes()),
            _ => (&*file).write_all(b"i"),
        };
    }

    fn pop(&self) -> Option<*mut c_void> {
        self.queue.lock().ok()?.pop_front().map(|p| p as *mut c_void)
    }
}

/// Writes still in flight, so that a flush (and close) can wait for the
/// ones submitted before it.
#[derive(Debug, Default)]
pub struct Inflight {
    state: Mutex<InflightState>,
}

#[derive(Debug, Default)]
struct InflightState {
    next: u64,
    running: std::collections::BTreeSet<u64>,
    waiters: Vec<Waker>,
}

impl Inflight {
    fn start(&self) -> u64 {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.next += 1;
        let seq = state.next;
        state.running.insert(seq);
        seq
    }

    fn finish(&self, seq: u64) {
        let waiters = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.running.remove(&seq);
            std::mem::take(&mut state.waiters)
        };
        waiters.into_iter().for_each(Waker::wake);
    }

    fn newest(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).next
    }

    /// Resolves once no request numbered `upto` or lower is running.
    async fn drained(&self, upto: u64) {
        std::future::poll_fn(|cx| {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.running.range(..=upto).next().is_none() {
                std::task::Poll::Ready(())
            } else {
                state.waiters.push(cx.waker().clone());
                std::task::Poll::Pending
            }
        })
        .await
    }

    fn is_idle(&self) -> bool {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).running.is_empty()
    }
}

/// rbd_image_t.
pub struct Image {
    magic: u64,
    pub conn: Arc<Connection>,
    /// Shared by every flow that runs on it (and the cache's backend
    /// requests); metadata changes swap it.
    pub ictx: Arc<RwLock<Arc<ImageCtx>>>,
    pub inflight: Arc<Inflight>,
    pub events: Arc<Events>,
    /// The client cache (librbd's ObjectCacher), unless rbd_cache is off.
    pub cache: Option<Arc<CacheDriver>>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image").finish_non_exhaustive()
    }
}

impl Image {
    fn new(conn: Arc<Connection>, ictx: ImageCtx, cache: Option<CacheConfig>) -> Result<Box<Image>, Errno> {
        let ictx = Arc::new(RwLock::new(Arc::new(ictx)));
        let cache = match cache {
            Some(config) if config.enabled => {
                Some(CacheDriver::new(config, ictx.clone(), conn.runtime.clone(), conn.op_timeout)?)
            }
            _ => None,
        };
        Ok(Box::new(Image {
            magic: MAGIC,
            conn,
            ictx,
            inflight: Default::default(),
            events: Default::default(),
            cache,
        }))
    }

    /// Writes back and drops the cache before something changes the image
    /// under it (librbd's invalidate_cache).
    pub fn invalidate_cache(&self) -> Result<(), Errno> {
        match &self.cache {
            Some(cache) => {
                let done = cache.invalidate();
                self.conn.run_admin(done)?.map(drop)
            }
            None => Ok(()),
        }
    }

    /// Writes back what the cache holds (librbd flushes before a snapshot).
    pub fn flush_cache(&self) -> Result<(), Errno> {
        match &self.cache {
            Some(cache) => {
                let done = cache.flush();
                self.conn.run_admin(done)?.map(drop)
            }
            None => Ok(()),
        }
    }

    /// The image's state for one flow: a reference, not a copy (IO is the
    /// hot path).
    pub fn ctx(&self) -> Result<Arc<ImageCtx>, Errno> {
        self.ictx.read().map(|c| Arc::clone(&c)).map_err(|_| Errno::EIO)
    }

    /// Runs a flow that changes the image's metadata, and keeps the
    /// refreshed state it leaves.
    pub fn update<T, F, Fut>(&self, op: F) -> Result<T, Errno>
    where
        T: Send + 'static,
        F: FnOnce(ImageCtx) -> Fut,
        Fut: std::future::Future<Output = (ImageCtx, Result<T, Errno>)> + Send + 'static,
    {
        let (ictx, result) = self.conn.run_admin(op(ImageCtx::clone(&*self.ctx()?)))?;
        *self.ictx.write().map_err(|_| Errno::EIO)? = Arc::new(ictx);
        result
    }
}

/// Borrows an image handle.
///
/// # Safety
/// `ptr` is NULL or an rbd_image_t from rbd_open not yet closed.
pub(crate) unsafe fn image<'a>(ptr: rbd_image_t) -> Result<&'a Image, Errno> {
    // SAFETY: caller's contract; the magic catches the common misuses.
    match unsafe { ptr.as_ref() } {
        Some(i) if i.magic == MAGIC => Ok(i),
        _ => Err(Errno::EINVAL),
    }
}
