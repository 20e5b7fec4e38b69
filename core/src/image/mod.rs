//! librbd's image layer: what an open image knows (ImageCtx) and the IO and
//! maintenance flows over it. Everything here is sans-IO: flows are async
//! and reach objects only through an [`IoCtx`]'s dispatcher.

pub mod children;
pub mod create;
pub mod exclusive_lock;
pub mod features;
pub mod io;
mod ioctx;
pub mod manage;
pub mod metadata;
pub mod object_map;
pub mod open;
pub mod operation;
pub mod pool;
pub mod quiesce;
pub mod snapshot;
pub mod trash;
pub mod watcher;
pub mod watchers;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use core::task::{Poll, Waker};

pub use ioctx::IoCtx;

use crate::naming;
use crate::osd::{SnapContext, SnapId};
use crate::striper::{extent_to_file, Layout};
use crate::Errno;

pub use crate::cls::rbd::types::ParentImageSpec as ParentSpec;

/// A parent and how many bytes of the child still read through to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentInfo {
    pub spec: ParentSpec,
    pub overlap: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapInfo {
    pub name: String,
    pub size: u64,
    pub parent: Option<ParentInfo>,
    pub namespace: crate::cls::rbd::types::SnapshotNamespace,
    pub timestamp: crate::encoding::UtcTime,
}

/// How discards treat ranges smaller than the granularity
/// (rbd_skip_partial_discard, rbd_discard_granularity_bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscardPolicy {
    pub skip_partial: bool,
    pub granularity: u64,
}

impl Default for DiscardPolicy {
    fn default() -> Self {
        DiscardPolicy { skip_partial: true, granularity: 64 * 1024 }
    }
}

/// What one open of an image owns while it is open, shared by every copy
/// of its ImageCtx: the header watch, the exclusive lock, the object map,
/// and what peers told it on the watch.
#[derive(Debug, Default)]
pub struct ImageRuntime {
    pub watch_handle: u64,
    lock: spin::Mutex<LockPhase>,
    pub(crate) object_map: spin::Mutex<Option<crate::object_map::ObjectMap>>,
    /// Header updates heard; an ImageCtx refreshed before the latest is stale.
    header_version: AtomicU64,
    /// Who holds the exclusive lock, as peers announced it.
    owner: spin::Mutex<Option<watcher::ClientId>>,
    /// Lock announcements heard, and flows waiting for the next one.
    peer_events: AtomicU64,
    peer_waiters: spin::Mutex<Vec<Waker>>,
    /// How long a write waits for a peer to hand the lock over.
    pub lock_wait: core::time::Duration,
    /// The application took the lock (rbd_lock_acquire): peers asking for
    /// it are refused until rbd_lock_release (librbd's StandardPolicy).
    kept: core::sync::atomic::AtomicBool,
    /// rbd_blocklist_on_break_lock turned off (it is on by default).
    no_blocklist: core::sync::atomic::AtomicBool,
    /// Operations this open asked the lock owner to run.
    pub(crate) requests: watcher::proxy::AsyncRequests,
    /// (objects done, objects) of the latest maintenance pass.
    progress: spin::Mutex<(u64, u64)>,
    /// Who hears of each object a maintenance pass starts (a C progress
    /// callback); a negative answer stops the pass with that error.
    progress_sink: spin::Mutex<Option<ProgressSink>>,
}

/// A progress callback: (offset, total) in, librbd's int out.
#[derive(Clone)]
pub struct ProgressSink(pub Arc<dyn Fn(u64, u64) -> i32 + Send + Sync>);

impl core::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// How long a writer waits for the exclusive lock: past the 30 s an OSD
/// keeps the watch of an owner that died, so that its lock can be broken
/// (librbd waits without bound).
pub const LOCK_WAIT: core::time::Duration = core::time::Duration::from_secs(60);

/// Where the exclusive lock stands. Flows that find it being taken or given
/// up wait for that to finish instead of racing it.
#[derive(Debug, Default)]
enum LockPhase {
    #[default]
    Unlocked,
    Acquiring(Vec<Waker>),
    /// Held; `users` flows are writing under it.
    Locked {
        users: usize,
    },
    /// A peer asked for it: no new users; it goes once `users` reach 0.
    Releasing {
        users: usize,
        waiters: Vec<Waker>,
        drained: Option<Waker>,
    },
}

impl ImageRuntime {
    pub fn new(watch_handle: u64) -> Self {
        ImageRuntime { watch_handle, lock_wait: LOCK_WAIT, ..Default::default() }
    }

    pub fn lock_owned(&self) -> bool {
        matches!(*self.lock.lock(), LockPhase::Locked { .. } | LockPhase::Releasing { .. })
    }

    /// Taken (`owned`, with the taker as its first user) or gone.
    pub(crate) fn set_lock_owned(&self, owned: bool) {
        let next = if owned { LockPhase::Locked { users: 1 } } else { LockPhase::Unlocked };
        let phase = core::mem::replace(&mut *self.lock.lock(), next);
        if let LockPhase::Acquiring(waiters) | LockPhase::Releasing { waiters, .. } = phase {
            waiters.into_iter().for_each(Waker::wake);
        }
    }

    /// Claims the right to take the lock: true to go ahead, false when it is
    /// held already (and the caller is now one of its users). Waits while
    /// another flow takes or releases it.
    pub(crate) async fn begin_acquire(&self) -> bool {
        core::future::poll_fn(|cx| {
            let mut phase = self.lock.lock();
            match &mut *phase {
                LockPhase::Locked { users } => {
                    *users += 1;
                    Poll::Ready(false)
                }
                LockPhase::Unlocked => {
                    *phase = LockPhase::Acquiring(Vec::new());
                    Poll::Ready(true)
                }
                LockPhase::Acquiring(waiters) | LockPhase::Releasing { waiters, .. } => {
                    waiters.push(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }

    fn end_use(&self) {
        let mut phase = self.lock.lock();
        match &mut *phase {
            LockPhase::Locked { users } => *users = users.saturating_sub(1),
            LockPhase::Releasing { users, drained, .. } => {
                *users = users.saturating_sub(1);
                if *users == 0 {
                    if let Some(waker) = drained.take() {
                        drop(phase);
                        waker.wake();
                    }
                }
            }
            _ => {}
        }
    }

    /// Stops new writers and resolves once the current ones are done; false
    /// when the lock is not held (or already going).
    pub(crate) async fn begin_release(&self) -> bool {
        {
            let mut phase = self.lock.lock();
            let LockPhase::Locked { users } = *phase else { return false };
            *phase = LockPhase::Releasing { users, waiters: Vec::new(), drained: None };
        }
        core::future::poll_fn(|cx| {
            let mut phase = self.lock.lock();
            match &mut *phase {
                LockPhase::Releasing { users: 0, .. } => Poll::Ready(true),
                LockPhase::Releasing { drained, .. } => {
                    *drained = Some(cx.waker().clone());
                    Poll::Pending
                }
                // Released meanwhile (a close).
                _ => Poll::Ready(false),
            }
        })
        .await
    }

    /// A copy of the in-memory object map, when this open keeps one.
    pub fn object_map(&self) -> Option<crate::object_map::ObjectMap> {
        self.object_map.lock().clone()
    }

    /// Whether breaking a lock fences its owner off first.
    pub fn blocklists_on_break(&self) -> bool {
        !self.no_blocklist.load(Ordering::Acquire)
    }

    pub fn set_blocklist_on_break(&self, on: bool) {
        self.no_blocklist.store(!on, Ordering::Release);
    }

    /// Whether the lock is kept against requests (see rbd_lock_acquire).
    pub fn lock_kept(&self) -> bool {
        self.kept.load(Ordering::Acquire)
    }

    pub fn keep_lock(&self, kept: bool) {
        self.kept.store(kept, Ordering::Release);
    }

    pub fn header_version(&self) -> u64 {
        self.header_version.load(Ordering::Acquire)
    }

    pub(crate) fn note_progress(&self, done: u64, total: u64) {
        *self.progress.lock() = (done.min(total), total);
    }

    /// Sets (or clears) who hears of progress; returns the one it replaces.
    pub fn set_progress_sink(&self, sink: Option<ProgressSink>) -> Option<ProgressSink> {
        core::mem::replace(&mut *self.progress_sink.lock(), sink)
    }

    /// A pass starts object `offset` of `total` (librbd's
    /// AsyncObjectThrottle calls update_progress so), or a lock owner
    /// running our request reported it. A sink's negative answer stops it.
    pub fn started(&self, offset: u64, total: u64) -> Result<(), Errno> {
        self.note_progress(offset, total);
        let sink = self.progress_sink.lock().clone();
        match sink.map(|sink| (sink.0)(offset, total)) {
            Some(r) if r < 0 => Err(Errno::from_ret(r).err().unwrap_or(Errno::ECANCELED)),
            _ => Ok(()),
        }
    }

    /// How far the latest maintenance pass (flatten, shrink, rollback)
    /// got, in objects: what an owner reports to the peer it runs it for.
    pub fn progress(&self) -> (u64, u64) {
        *self.progress.lock()
    }

    /// A peer changed the header: state read before now is stale.
    pub fn note_header_update(&self) {
        self.header_version.fetch_add(1, Ordering::AcqRel);
    }

    /// The lock owner peers last announced (None: released or unknown).
    pub fn owner(&self) -> Option<watcher::ClientId> {
        *self.owner.lock()
    }

    /// A peer announced it took or released the lock: wake who waits for that.
    pub fn note_owner(&self, owner: Option<watcher::ClientId>) {
        *self.owner.lock() = owner;
        self.peer_events.fetch_add(1, Ordering::AcqRel);
        let waiters = core::mem::take(&mut *self.peer_waiters.lock());
        waiters.into_iter().for_each(Waker::wake);
    }

    pub(crate) fn peer_events(&self) -> u64 {
        self.peer_events.load(Ordering::Acquire)
    }

    /// Resolves once a lock announcement after `seen` arrived.
    pub(crate) async fn peer_event_after(&self, seen: u64) {
        core::future::poll_fn(|cx| {
            if self.peer_events() != seen {
                return Poll::Ready(());
            }
            self.peer_waiters.lock().push(cx.waker().clone());
            // Re-checked: an announcement may have come while registering.
            if self.peer_events() != seen {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// Ends an acquisition that did not finish (its flow was dropped or
/// failed), so waiters do not wait forever.
pub(crate) struct AcquireGuard<'a>(pub(crate) &'a ImageRuntime);

impl Drop for AcquireGuard<'_> {
    fn drop(&mut self) {
        if matches!(*self.0.lock.lock(), LockPhase::Acquiring(_)) {
            self.0.set_lock_owned(false);
        }
    }
}

/// A flow writing under the exclusive lock: the lock is not released to a
/// peer until every one is dropped.
#[derive(Debug)]
#[must_use = "the lock may be handed over once this is dropped"]
pub struct LockUse(Option<Arc<ImageRuntime>>);

impl Drop for LockUse {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.end_use();
        }
    }
}

/// An open image.
#[derive(Clone, Debug)]
pub struct ImageCtx {
    /// The pool of the image's header.
    pub io: IoCtx,
    /// The pool of its data objects (a separate data pool, or `io`).
    pub data_io: IoCtx,
    pub name: String,
    pub id: String,
    pub object_prefix: String,
    pub layout: Layout,
    pub size: u64,
    pub features: u64,
    /// Header flags (object-map / fast-diff invalid).
    pub flags: u64,
    pub snapc: SnapContext,
    pub snaps: BTreeMap<u64, SnapInfo>,
    pub parent_info: Option<ParentInfo>,
    /// The parent, opened at the parent snapshot; shared by every child
    /// snapshot that reads through to it.
    pub parent: Option<Arc<ImageCtx>>,
    /// What reads see: the head or a snapshot.
    pub snap_id: SnapId,
    pub read_only: bool,
    pub discard: DiscardPolicy,
    pub runtime: Arc<ImageRuntime>,
    /// The runtime's header version when this state was read.
    pub header_seen: u64,
}

impl ImageCtx {
    pub fn header_object(&self) -> String {
        naming::header_object(&self.id)
    }

    pub fn data_object(&self, object_no: u64) -> String {
        naming::data_object(&self.object_prefix, object_no)
    }

    pub fn size_at(&self, snap: SnapId) -> Result<u64, Errno> {
        if snap.is_head() {
            return Ok(self.size);
        }
        self.snaps.get(&snap.0).map(|s| s.size).ok_or(Errno::ENOENT)
    }

    pub fn parent_info_at(&self, snap: SnapId) -> Option<&ParentInfo> {
        if snap.is_head() {
            self.parent_info.as_ref()
        } else {
            self.snaps.get(&snap.0).and_then(|s| s.parent.as_ref())
        }
    }

    /// Bytes of the image that read through to the parent at `snap`.
    pub fn parent_overlap(&self, snap: SnapId) -> u64 {
        match (self.parent_info_at(snap), &self.parent) {
            (Some(info), Some(_)) => info.overlap.min(self.size_at(snap).unwrap_or(0)),
            _ => 0,
        }
    }

    /// The image extents of object bytes `offset~length`, in object order,
    /// each cut at `overlap`: what of them the parent supplies.
    pub(crate) fn parent_extents(
        &self,
        object_no: u64,
        offset: u64,
        length: u64,
        overlap: u64,
    ) -> alloc::vec::Vec<(u64, u64, bool)> {
        let Ok(extents) = extent_to_file(&self.layout, object_no, offset, length) else {
            return alloc::vec::Vec::new();
        };
        extents
            .into_iter()
            .flat_map(|(image_off, len)| {
                let inside = overlap.saturating_sub(image_off).min(len);
                [(image_off, inside, true), (image_off + inside, len - inside, false)]
            })
            .filter(|&(_, len, _)| len > 0)
            .collect()
    }

    /// Whether any byte of the object reads through to the parent at the head.
    pub(crate) fn object_overlaps_parent(&self, object_no: u64) -> bool {
        let overlap = self.parent_overlap(SnapId::HEAD);
        overlap > 0
            && self
                .parent_extents(object_no, 0, self.layout.object_size(), overlap)
                .iter()
                .any(|&(_, _, inside)| inside)
    }
}

impl ImageCtx {
    /// Refuses writes to a snapshot or a read-only open, and takes the
    /// exclusive lock first when the image has that feature. Hold what it
    /// returns while writing. -ERESTART: a peer changed the header since
    /// this state was read; refresh and try again.
    pub async fn prepare_write(&self) -> Result<LockUse, Errno> {
        if self.read_only || !self.snap_id.is_head() {
            return Err(Errno::EROFS);
        }
        if self.features & crate::cls::rbd::types::RBD_FEATURE_EXCLUSIVE_LOCK == 0 {
            return Ok(LockUse(None));
        }
        let lock = exclusive_lock::acquire(self, false).await?;
        if self.header_seen != self.runtime.header_version() {
            return Err(Errno::ERESTART);
        }
        Ok(lock)
    }
}

/// librbd's clip_io: empty requests are fine anywhere, a request may not
/// start past the end, and one that runs past it is cut short.
pub fn clip_io(image_size: u64, offset: u64, length: u64) -> Result<u64, Errno> {
    if length == 0 {
        return Ok(0);
    }
    if offset >= image_size {
        return Err(Errno::EINVAL);
    }
    Ok(length.min(image_size - offset))
}
