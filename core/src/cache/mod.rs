//! librbd's client-side cache as a sans-IO state machine: what ObjectCacher
//! (behind `librbd/cache/ObjectCacherObjectDispatch`) and
//! `librbd/cache/WriteAroundObjectDispatch` do, over an image's byte
//! extents instead of per-object buffer heads.
//!
//! # Driving it
//!
//! [`ImageCache`] never does IO and never reads a clock. Inputs are method
//! calls; outputs are polled:
//!
//! | inputs | outputs |
//! |---|---|
//! | [`read`], [`write`], [`discard`], [`write_zeroes`], [`flush`], [`invalidate`] (each with an [`IoId`] the caller picks and the time) | [`poll_backend`]: [`BackendOp`]s to run against the image |
//! | [`backend_read_done`], [`backend_write_done`] (a [`BackendOp`]'s tid and result) | [`poll_completion`]: [`Completion`]s of the caller's IOs |
//! | [`handle_timeout`] | [`poll_timeout`]: when to call [`handle_timeout`] |
//!
//! Call order: after any input (or a batch of them), drain
//! [`poll_backend`] until `None` and send each request; drain
//! [`poll_completion`] until `None` and complete each IO; then re-arm the
//! timer from [`poll_timeout`]. Replies may come back in any order, and
//! requests in flight may be executed in any order: the cache never has two
//! overlapping writes or discards in flight at once. An IO completes exactly
//! once; ids are the caller's (reuse one only after its completion).
//!
//! # Wiring it into the image IO path
//!
//! One cache per open image (librbd gives a clone's parent none), behind
//! the image's lock. For each user request, clip it to the image size first (`image::clip_io`; the cache knows no size), then call
//! the matching input. Run each [`BackendOp`] with the uncached image flows
//! (`image::io::{read, write, discard, write_zeroes}`) and hand the result
//! back. Before anything that changes the image under the cache (resize
//! down, snapshot rollback, releasing the exclusive lock) call [`invalidate`]
//! and wait for it, as librbd does; close with a [`flush`]. librbd sends
//! write-same through the cache as a plain write; compare-and-write and
//! other requests the cache does not model should be preceded by a
//! [`flush`] and followed by an [`invalidate`].
//!
//! # Semantics, and where they come from
//!
//! - Modes (`OpenRequest::send_init_cache`): `writeback` and `writethrough`
//!   cache reads; `writethrough` (and `writeback` with
//!   `rbd_cache_max_dirty = 0`) acknowledges writes only once the backend
//!   has them. `writearound` (the default) caches no reads and acknowledges
//!   writes once sent, with at most `rbd_cache_max_dirty` bytes in flight.
//!   Until the first [`flush`], `rbd_cache_writethrough_until_flush` makes
//!   every mode write through. With `rbd_cache = false` everything passes
//!   through, still ordered.
//! - Reads are served from the cache when it holds every byte; otherwise
//!   the missing parts are read from the backend and merged, and data
//!   written since the read was sent wins over what the backend returned.
//!   A backend result is kept as clean data only if nothing was written to
//!   that range while it was in flight, so a stale read is never cached.
//! - Dirty bytes (acknowledged, not yet in the backend) never exceed
//!   `rbd_cache_max_dirty`: a write that would pass it waits, unacknowledged,
//!   until write-back makes room (ObjectCacher lets the dirty total
//!   overshoot by the waiting writes; here they wait outside). A write larger
//!   than the limit itself is written through. Write-back starts above
//!   `rbd_cache_target_dirty`, for data older than `rbd_cache_max_dirty_age`,
//!   and for flushes.
//! - Overlapping writes take effect in issue order: the latest issued wins
//!   in the cache and in the backend.
//! - Discards and write-zeroes always go to the backend and complete when
//!   it has done them; cached data there is written back first, so a failed
//!   discard leaves the backend as acknowledged, and dropped after.
//! - A failed write-back keeps its data dirty (ObjectCacher's
//!   `bh_write_commit` re-dirties it) and fails every waiting flush; with
//!   none waiting, the next flush reports it (WriteAroundObjectDispatch's
//!   pending flush error). Background write-back then pauses for
//!   `rbd_cache_max_dirty_age` before retrying; a flush retries at once.
//!   Unlike librbd's write-around, failed write-around data is kept and
//!   retried too, so nothing acknowledged is dropped. IO still waiting to
//!   enter the cache then fails with the same error: it was never
//!   acknowledged, and could not enter before the refused data leaves, so
//!   no caller waits without bound on a backend that keeps refusing.
//! - A failed pass-through write or discard fails that IO; the cache drops
//!   what it held of it, so reads see the backend.
//! - [`invalidate`] is librbd's `invalidate_cache`: drop clean data, flush,
//!   drop clean data again; the flush's error, or EBUSY if something other
//!   than clean data remains.
//!
//! [`read`]: ImageCache::read
//! [`write`]: ImageCache::write
//! [`discard`]: ImageCache::discard
//! [`write_zeroes`]: ImageCache::write_zeroes
//! [`flush`]: ImageCache::flush
//! [`invalidate`]: ImageCache::invalidate
//! [`handle_timeout`]: ImageCache::handle_timeout
//! [`backend_read_done`]: ImageCache::backend_read_done
//! [`backend_write_done`]: ImageCache::backend_write_done
//! [`poll_backend`]: ImageCache::poll_backend
//! [`poll_completion`]: ImageCache::poll_completion
//! [`poll_timeout`]: ImageCache::poll_timeout

mod config;
mod extents;
mod image_cache;

#[cfg(test)]
mod tests;

use alloc::vec::Vec;

use bytes::Bytes;

pub use config::{CacheConfig, CachePolicy, ConfigError, QemuCacheMode};
pub use image_cache::ImageCache;

use crate::rados::Tid;
use crate::time::Instant;
use crate::Errno;

/// The caller's name for one of its IOs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IoId(pub u64);

/// A request for the backend: the image's data, uncached. `tid` names the
/// reply to hand back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendOp {
    /// Answer with [`ImageCache::backend_read_done`].
    Read {
        tid: Tid,
        offset: u64,
        length: u64,
    },
    /// Answer this and the next two with [`ImageCache::backend_write_done`].
    Write {
        tid: Tid,
        offset: u64,
        data: Bytes,
    },
    /// librbd's discard (may leave partial granules alone).
    Discard {
        tid: Tid,
        offset: u64,
        length: u64,
    },
    WriteZeroes {
        tid: Tid,
        offset: u64,
        length: u64,
    },
}

impl BackendOp {
    pub fn tid(&self) -> Tid {
        match *self {
            BackendOp::Read { tid, .. }
            | BackendOp::Write { tid, .. }
            | BackendOp::Discard { tid, .. }
            | BackendOp::WriteZeroes { tid, .. } => tid,
        }
    }
}

/// A finished IO: the bytes for a read, empty for anything else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub id: IoId,
    pub result: Result<Vec<u8>, Errno>,
}
