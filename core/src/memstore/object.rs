//! One object as an OSD keeps it: the head, its snapshot clones and the
//! snapset sequence that decides when the next write must clone.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::data::SparseData;
use crate::encoding::UtcTime;
use crate::osd::{SnapContext, SnapId};

/// Everything a version of an object holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectState {
    pub data: SparseData,
    pub xattrs: BTreeMap<String, Bytes>,
    pub omap: BTreeMap<String, Bytes>,
    pub omap_header: Bytes,
    pub mtime: UtcTime,
}

/// A snapshot clone and the snapshots it serves, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clone {
    pub state: ObjectState,
    pub snaps: Vec<u64>,
}

#[derive(Clone, Debug, Default)]
pub struct Object {
    /// None when the head does not exist (never written, or removed while
    /// clones still hold older versions).
    pub head: Option<ObjectState>,
    /// Clone id (the snap seq when it was cut) -> clone.
    pub clones: BTreeMap<u64, Clone>,
    /// The newest snap seq this object has seen in a write's context.
    pub snap_seq: u64,
    /// User version, bumped by each compound that modifies the object.
    pub version: u64,
    /// (client, watch cookie) -> (the client's nonce, timeout seconds).
    pub watchers: BTreeMap<(u64, u64), (u32, u32)>,
}

impl Object {
    pub fn is_empty(&self) -> bool {
        self.head.is_none() && self.clones.is_empty()
    }

    /// The version a read at `snap` sees, as find_object_context resolves
    /// it: the head for snaps newer than the snapset, else the oldest clone
    /// cut at or after `snap` provided it already existed at `snap`.
    pub fn at_snap(&self, snap: SnapId) -> Option<&ObjectState> {
        if snap.is_head() || snap.0 > self.snap_seq {
            return self.head.as_ref();
        }
        let (_, clone) = self.clones.range(snap.0..).next()?;
        let oldest = *clone.snaps.last()?;
        (oldest <= snap.0).then_some(&clone.state)
    }

    /// Commits a compound's new head. `before` is the head the compound
    /// started from: when the writer's context knows snapshots newer than
    /// this object has seen, that version is kept as a clone serving them
    /// (make_writeable).
    pub fn commit(&mut self, before: Option<ObjectState>, after: Option<ObjectState>, snapc: &SnapContext) {
        if snapc.seq > self.snap_seq {
            if let Some(old) = before {
                let snaps: Vec<u64> = snapc.snaps.iter().copied().filter(|&s| s > self.snap_seq).collect();
                if !snaps.is_empty() {
                    self.clones.insert(snapc.seq, Clone { state: old, snaps });
                }
            }
            self.snap_seq = snapc.seq;
        }
        self.head = after;
        self.version += 1;
    }

    /// Drops `snap` from every clone; clones serving no snapshot go.
    pub fn trim_snap(&mut self, snap: u64) {
        for clone in self.clones.values_mut() {
            clone.snaps.retain(|&s| s != snap);
        }
        self.clones.retain(|_, clone| !clone.snaps.is_empty());
    }
}
