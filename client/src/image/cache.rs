//! Drives an image's [`ImageCache`]: C calls feed it requests in issue
//! order (under the image's cache mutex), the backend requests it asks for
//! run as flows on the executor, and its deadlines wake a timer flow there.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, OnceLock, RwLock, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use rbdrs_core::cache::{BackendOp, CacheConfig, ImageCache, IoId};
use rbdrs_core::image::{io, ImageCtx};
use rbdrs_core::time::Instant;
use rbdrs_core::Errno;

use super::restarting;
use crate::config::Config;
use crate::runtime::{sleep_until, Runtime};

/// The cache options librbd reads, in the order it applies them.
pub const OPTIONS: [&str; 8] = [
    "rbd_cache",
    "rbd_cache_policy",
    "rbd_cache_size",
    "rbd_cache_max_dirty",
    "rbd_cache_target_dirty",
    "rbd_cache_max_dirty_age",
    "rbd_cache_writethrough_until_flush",
    "rbd_cache_block_writes_upfront",
];

/// The cache configuration from the connection's options, then the image's
/// `conf_*` metadata overrides (librbd's order). Limits that contradict each
/// other are lowered to fit (librbd does not refuse them either).
pub fn config(conf: &Config, overrides: &[(String, String)]) -> Result<CacheConfig, Errno> {
    let mut config = CacheConfig::default();
    for key in OPTIONS {
        config.set(key, &conf.get(key)?).map_err(|e| e.errno())?;
    }
    for (key, value) in overrides {
        config.set(key, value).map_err(|e| e.errno())?;
    }
    config.max_dirty = config.max_dirty.min(config.size);
    config.target_dirty = config.target_dirty.min(config.max_dirty);
    Ok(config)
}

fn clock() -> std::time::Instant {
    static BASE: OnceLock<std::time::Instant> = OnceLock::new();
    *BASE.get_or_init(std::time::Instant::now)
}

fn now() -> Instant {
    Instant::from_nanos(u64::try_from(clock().elapsed().as_nanos()).unwrap_or(u64::MAX))
}

type Outcome = Result<Vec<u8>, Errno>;

/// One IO's result, handed from whoever completes it to whoever awaits it.
#[derive(Default)]
struct Slot(Mutex<(Option<Outcome>, Option<Waker>)>);

impl Slot {
    fn set(&self, result: Outcome) {
        let waker = {
            let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
            s.0 = Some(result);
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Resolves with an IO's result once the cache completes it.
pub struct Pending(Arc<Slot>);

impl Future for Pending {
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let mut s = self.0 .0.lock().unwrap_or_else(|e| e.into_inner());
        match s.0.take() {
            Some(r) => Poll::Ready(r),
            None => {
                s.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

struct State {
    cache: ImageCache,
    next_id: u64,
    waiting: HashMap<u64, Arc<Slot>>,
    /// The earliest deadline a timer flow is sleeping until.
    armed: Option<Instant>,
}

/// An open image's cache and what drives it.
pub struct CacheDriver {
    state: Mutex<State>,
    /// Signalled whenever the cache made progress (for writers blocked
    /// upfront).
    progress: Condvar,
    ictx: Arc<RwLock<Arc<ImageCtx>>>,
    runtime: Arc<Runtime>,
    /// How long a writer blocked upfront may wait.
    op_timeout: Duration,
}

impl std::fmt::Debug for CacheDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheDriver").finish_non_exhaustive()
    }
}

impl CacheDriver {
    pub fn new(
        config: CacheConfig,
        ictx: Arc<RwLock<Arc<ImageCtx>>>,
        runtime: Arc<Runtime>,
        op_timeout: Duration,
    ) -> Result<Arc<Self>, Errno> {
        let cache = ImageCache::new(config).map_err(|e| e.errno())?;
        let state = State { cache, next_id: 0, waiting: HashMap::new(), armed: None };
        Ok(Arc::new(CacheDriver { state: Mutex::new(state), progress: Condvar::new(), ictx, runtime, op_timeout }))
    }

    pub fn config(&self) -> CacheConfig {
        self.lock().cache.config().clone()
    }

    /// Acknowledged bytes the backend may not have yet.
    pub fn dirty_bytes(&self) -> u64 {
        self.lock().cache.dirty_bytes()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Feeds one request to the cache now (so requests keep their issue
    /// order) and returns its result to await.
    fn start(self: &Arc<Self>, input: impl FnOnce(&mut ImageCache, IoId, Instant)) -> Pending {
        let slot = Arc::new(Slot::default());
        let mut state = self.lock();
        state.next_id += 1;
        let id = state.next_id;
        state.waiting.insert(id, slot.clone());
        input(&mut state.cache, IoId(id), now());
        self.pump(state);
        Pending(slot)
    }

    /// Feeds something that is not a request (a reply, the clock).
    fn input(self: &Arc<Self>, input: impl FnOnce(&mut ImageCache, Instant)) {
        let mut state = self.lock();
        input(&mut state.cache, now());
        self.pump(state);
    }

    /// Sends what the cache asks for, completes what it finished, and
    /// re-arms the timer. Completions run after the lock is released.
    fn pump(self: &Arc<Self>, mut state: std::sync::MutexGuard<'_, State>) {
        let mut ops = Vec::new();
        while let Some(op) = state.cache.poll_backend() {
            ops.push(op);
        }
        let mut done = Vec::new();
        while let Some(c) = state.cache.poll_completion() {
            if let Some(slot) = state.waiting.remove(&c.id.0) {
                done.push((slot, c.result));
            }
        }
        let timer = state.cache.poll_timeout().filter(|&t| state.armed.is_none_or(|a| t < a));
        if timer.is_some() {
            state.armed = timer;
        }
        drop(state);
        self.progress.notify_all();
        for op in ops {
            self.send(op);
        }
        for (slot, result) in done {
            slot.set(result);
        }
        if let Some(t) = timer {
            self.arm(t);
        }
    }

    fn ctx(&self) -> Arc<ImageCtx> {
        let guard = self.ictx.read().unwrap_or_else(|e| e.into_inner());
        Arc::clone(&guard)
    }

    /// Runs one backend request with the uncached image flows, on the
    /// executor.
    fn send(self: &Arc<Self>, op: BackendOp) {
        let tid = op.tid();
        let is_read = matches!(op, BackendOp::Read { .. });
        let me = self.clone();
        let ictx = self.ctx();
        let shared = self.ictx.clone();
        let started = self.runtime.spawn(async move {
            match op {
                BackendOp::Read { tid, offset, length } => {
                    let r = io::read(&ictx, offset, length).await;
                    me.input(|c, _| c.backend_read_done(tid, r));
                }
                BackendOp::Write { tid, offset, data } => {
                    let r = restarting(&shared, |ictx| {
                        let data = data.clone();
                        async move { io::write(&ictx, offset, &data).await }
                    })
                    .await;
                    me.input(|c, _| c.backend_write_done(tid, r.map(drop)));
                }
                BackendOp::Discard { tid, offset, length } => {
                    let r = restarting(&shared, |ictx| async move { io::discard(&ictx, offset, length).await }).await;
                    me.input(|c, _| c.backend_write_done(tid, r.map(drop)));
                }
                BackendOp::WriteZeroes { tid, offset, length } => {
                    let r =
                        restarting(&shared, |ictx| async move { io::write_zeroes(&ictx, offset, length).await }).await;
                    me.input(|c, _| c.backend_write_done(tid, r.map(drop)));
                }
            }
        });
        if let Err(e) = started {
            if is_read {
                self.input(|c, _| c.backend_read_done(tid, Err(e)));
            } else {
                self.input(|c, _| c.backend_write_done(tid, Err(e)));
            }
        }
    }

    /// A timer flow on the executor; it holds the cache only weakly, so a
    /// closed image's timer just ends.
    fn arm(self: &Arc<Self>, at: Instant) {
        let me: Weak<Self> = Arc::downgrade(self);
        let deadline = clock() + Duration::from_nanos(at.as_nanos());
        let _ = self.runtime.spawn(async move {
            sleep_until(deadline).await;
            let Some(me) = me.upgrade() else { return };
            let mut state = me.lock();
            if state.armed == Some(at) {
                state.armed = None;
            }
            state.cache.handle_timeout(now());
            me.pump(state);
        });
    }

    pub fn read(self: &Arc<Self>, offset: u64, length: u64) -> Pending {
        self.start(|c, id, now| c.read(id, offset, length, now))
    }

    /// With rbd_cache_block_writes_upfront, waits (off the executor, at
    /// most the IO timeout) until the cache takes new writes, as librbd
    /// blocks the submitting thread.
    pub fn write(self: &Arc<Self>, offset: u64, data: Bytes) -> Pending {
        let pending = self.start(|c, id, now| c.write(id, offset, data, now));
        if !crate::runtime::on_executor_thread() {
            let state = self.lock();
            let _ = self.progress.wait_timeout_while(state, self.op_timeout, |s| s.cache.blocks_submitter());
        }
        pending
    }

    pub fn discard(self: &Arc<Self>, offset: u64, length: u64) -> Pending {
        self.start(|c, id, now| c.discard(id, offset, length, now))
    }

    pub fn write_zeroes(self: &Arc<Self>, offset: u64, length: u64) -> Pending {
        self.start(|c, id, now| c.write_zeroes(id, offset, length, now))
    }

    /// Completes once every write issued before it is in the backend.
    pub fn flush(self: &Arc<Self>) -> Pending {
        self.start(|c, id, now| c.flush(id, now))
    }

    /// Writes back, then drops everything cached.
    pub fn invalidate(self: &Arc<Self>) -> Pending {
        self.start(|c, id, now| c.invalidate(id, now))
    }
}
