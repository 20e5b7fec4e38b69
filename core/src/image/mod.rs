//! librbd's image layer: what an open image knows (ImageCtx) and the IO and
//! maintenance flows over it. Everything here is sans-IO: flows are async
//! and reach objects only through an [`IoCtx`]'s dispatcher.

pub mod create;
pub mod exclusive_lock;
pub mod io;
mod ioctx;
pub mod manage;
pub mod object_map;
pub mod open;
pub mod operation;
pub mod snapshot;
pub mod watchers;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
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
/// of its ImageCtx: the header watch, the exclusive lock, the object map.
#[derive(Debug, Default)]
pub struct ImageRuntime {
    pub watch_handle: u64,
    lock: spin::Mutex<LockPhase>,
    pub(crate) object_map: spin::Mutex<Option<crate::object_map::ObjectMap>>,
}

/// Where taking the exclusive lock stands; flows that find it being taken
/// wait for the one taking it instead of racing it.
#[derive(Debug, Default)]
enum LockPhase {
    #[default]
    Unlocked,
    Acquiring(Vec<Waker>),
    Locked,
}

impl ImageRuntime {
    pub fn new(watch_handle: u64) -> Self {
        ImageRuntime { watch_handle, ..Default::default() }
    }

    pub fn lock_owned(&self) -> bool {
        matches!(*self.lock.lock(), LockPhase::Locked)
    }

    pub(crate) fn set_lock_owned(&self, owned: bool) {
        let phase =
            core::mem::replace(&mut *self.lock.lock(), if owned { LockPhase::Locked } else { LockPhase::Unlocked });
        if let LockPhase::Acquiring(waiters) = phase {
            waiters.into_iter().for_each(Waker::wake);
        }
    }

    /// Claims the right to take the lock: Ok(true) to go ahead, Ok(false)
    /// when it is already held; waits while another flow is taking it.
    pub(crate) async fn begin_acquire(&self) -> bool {
        core::future::poll_fn(|cx| {
            let mut phase = self.lock.lock();
            match &mut *phase {
                LockPhase::Locked => Poll::Ready(false),
                LockPhase::Unlocked => {
                    *phase = LockPhase::Acquiring(Vec::new());
                    Poll::Ready(true)
                }
                LockPhase::Acquiring(waiters) => {
                    waiters.push(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// A copy of the in-memory object map, when this open keeps one.
    pub fn object_map(&self) -> Option<crate::object_map::ObjectMap> {
        self.object_map.lock().clone()
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
    /// exclusive lock first when the image has that feature.
    pub async fn prepare_write(&self) -> Result<(), Errno> {
        if self.read_only || !self.snap_id.is_head() {
            return Err(Errno::EROFS);
        }
        if self.features & crate::cls::rbd::types::RBD_FEATURE_EXCLUSIVE_LOCK != 0 {
            exclusive_lock::acquire(self).await?;
        }
        Ok(())
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
