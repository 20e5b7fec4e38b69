//! The object map: two bits per data object saying whether it exists, kept
//! in `rbd_object_map.<id>` (and one frozen copy per snapshot,
//! `rbd_object_map.<id>.<snap>`) so reads can skip absent objects and
//! fast-diff can tell what changed since a snapshot.
//!
//! The on-disk form is a [`BitVector2`]; cls_rbd changes it
//! ([`crate::cls::rbd::object_map`]). This module holds the states, the
//! header flags that mark a map untrustworthy, and what librbd does with
//! its in-memory copy: the transitions, shared with the class so both
//! sides agree, and the rules the IO path follows.
//!
//! # Keeping the map while writing (librbd's AbstractObjectWriteRequest)
//!
//! Only the exclusive-lock owner writes, and it holds the map's own lock
//! ([`lock_map`]). For each object write:
//! 1. If [`ObjectMap::object_may_exist`] says no and
//!    [`is_no_op_for_nonexistent`] says the action is a no-op there, skip it.
//! 2. Before the IO, with `state = pre_write_state(action)`: if
//!    [`ObjectMap::update_required`] for `[object_no, object_no + 1)`,
//!    send [`update_head`] with no current state, wait, then
//!    [`ObjectMap::apply_update`]. A write thus marks EXISTS first, a
//!    remove marks PENDING.
//! 3. Do the IO.
//! 4. After it, if [`post_write_update`] gives `(new, current)` (only a
//!    remove: NONEXISTENT if still PENDING) and an update is required,
//!    send and apply it the same way.
//!
//! A failed map update fails the IO. When the header's flags carry
//! [`RBD_FLAG_OBJECT_MAP_INVALID`], or the feature is off, every object
//! may exist and nothing is updated.

mod bit_vector;

#[cfg(test)]
mod tests;

pub use bit_vector::{
    block_count, block_crcs, data_crc_offset, data_len, decode_header, footer_offset, header_crc_offset, BitVector2,
    BLOCK_SIZE, HEADER_LEN,
};

use crate::striper::{self, Layout};

/// The object has never been written, or was removed.
pub const OBJECT_NONEXISTENT: u8 = 0;
/// The object exists and has changed since the newest snapshot.
pub const OBJECT_EXISTS: u8 = 1;
/// A remove is in flight: the object may or may not exist.
pub const OBJECT_PENDING: u8 = 2;
/// The object exists unchanged since the newest snapshot (fast-diff).
pub const OBJECT_EXISTS_CLEAN: u8 = 3;

/// Header flag: the object map cannot be trusted (rebuild it).
pub const RBD_FLAG_OBJECT_MAP_INVALID: u64 = 1 << 0;
/// Header flag: the EXISTS / EXISTS_CLEAN distinction cannot be trusted.
pub const RBD_FLAG_FAST_DIFF_INVALID: u64 = 1 << 1;

/// cls_rbd refuses to resize a map past this many objects (-EINVAL).
pub const MAX_OBJECT_MAP_OBJECT_COUNT: u64 = 256_000_000;

/// The four states, for code that wants names rather than bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ObjectState {
    Nonexistent = OBJECT_NONEXISTENT,
    Exists = OBJECT_EXISTS,
    Pending = OBJECT_PENDING,
    ExistsClean = OBJECT_EXISTS_CLEAN,
}

impl ObjectState {
    /// The state the low two bits of `bits` encode.
    pub const fn from_bits(bits: u8) -> ObjectState {
        match bits & 0b11 {
            OBJECT_NONEXISTENT => ObjectState::Nonexistent,
            OBJECT_EXISTS => ObjectState::Exists,
            OBJECT_PENDING => ObjectState::Pending,
            _ => ObjectState::ExistsClean,
        }
    }

    pub const fn bits(self) -> u8 {
        self as u8
    }
}

/// How many objects (and so map entries) an image of `image_size` bytes
/// has: Striper::get_num_objects.
pub fn object_count(layout: &Layout, image_size: u64) -> u64 {
    striper::object_count(layout, image_size)
}

/// The update rule cls_rbd's object_map_update and librbd's
/// UpdateRequest share: each object in `[start, end)` whose state is
/// `current` (EXISTS also matching EXISTS_CLEAN), or any state when
/// `current` is None, becomes `new`. Returns whether an entry was touched
/// with a different value (the class then rewrites the map). The caller
/// keeps `end` within the map.
pub fn update_states(map: &mut BitVector2, start: u64, end: u64, new: u8, current: Option<u8>) -> bool {
    let mut updated = false;
    for index in start..end.min(map.len()) {
        let Some(state) = map.get(index) else { break };
        let matches = match current {
            None => true,
            Some(current) => state == current || (current == OBJECT_EXISTS && state == OBJECT_EXISTS_CLEAN),
        };
        if matches && state != new {
            map.set(index, new);
            updated = true;
        }
    }
    updated
}

/// object_map_snap_add: after a snapshot every existing object is clean
/// relative to it. Returns whether anything changed.
pub fn snapshot_add_states(map: &mut BitVector2) -> bool {
    let mut updated = false;
    for index in 0..map.len() {
        if map.get(index) == Some(OBJECT_EXISTS) {
            map.set(index, OBJECT_EXISTS_CLEAN);
            updated = true;
        }
    }
    updated
}

/// object_map_snap_remove: when snapshot `removed` goes, objects it saw
/// as changed (EXISTS), or that it did not cover, are changed relative to
/// the snapshot before it. Returns whether anything changed.
pub fn snapshot_remove_states(map: &mut BitVector2, removed: &BitVector2) -> bool {
    let mut updated = false;
    for index in 0..map.len() {
        let changed = match removed.get(index) {
            Some(state) => state == OBJECT_EXISTS,
            None => true,
        };
        if map.get(index) == Some(OBJECT_EXISTS_CLEAN) && changed {
            map.set(index, OBJECT_EXISTS);
            updated = true;
        }
    }
    updated
}

/// ResizeRequest::resize: new entries take `default_state`; shrinking
/// drops entries whatever they hold.
pub fn resize_states(map: &mut BitVector2, size: u64, default_state: u8) {
    let old = map.len();
    map.resize(size);
    for index in old..size {
        map.set(index, default_state);
    }
}

/// What an object request does to its object, as far as the map cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteAction {
    /// Write, write-same, compare-and-write, copyup: the object will exist.
    Write,
    /// Discard of a whole object (nothing of a parent to hide): removed.
    Remove,
    /// Discard to the end of the object, or of a whole clone object whose
    /// parent data must stay hidden: truncated, still exists.
    Truncate,
    /// Discard inside the object: zeroed, still exists.
    Zero,
}

/// get_pre_write_object_map_state: set before the IO, so a crash leaves
/// the map claiming too much rather than too little.
pub const fn pre_write_state(action: WriteAction) -> u8 {
    match action {
        WriteAction::Remove => OBJECT_PENDING,
        _ => OBJECT_EXISTS,
    }
}

/// The update after a successful IO, as `(new, current)`: only a remove
/// has one, NONEXISTENT where still PENDING.
pub const fn post_write_update(action: WriteAction) -> Option<(u8, u8)> {
    match action {
        WriteAction::Remove => Some((OBJECT_NONEXISTENT, OBJECT_PENDING)),
        _ => None,
    }
}

/// is_no_op_for_nonexistent_object: a discard of an object that does not
/// exist does nothing, unless a parent's data shows through it.
pub const fn is_no_op_for_nonexistent(action: WriteAction, has_parent: bool) -> bool {
    !matches!(action, WriteAction::Write) && !has_parent
}

/// librbd's in-memory copy of one map (HEAD or a snapshot's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectMap {
    map: BitVector2,
}

impl ObjectMap {
    /// A map as object_map_load returned it. RefreshRequest first checks
    /// it covers [`object_count`] objects: a shorter one is flagged invalid
    /// and resized with NONEXISTENT; a longer one (interrupted shrink) is
    /// used as is.
    pub fn new(map: BitVector2) -> Self {
        ObjectMap { map }
    }

    pub fn bit_vector(&self) -> &BitVector2 {
        &self.map
    }

    pub fn len(&self) -> u64 {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn state(&self, object_no: u64) -> Option<ObjectState> {
        self.map.get(object_no).map(ObjectState::from_bits)
    }

    /// object_may_exist: only NONEXISTENT rules an object out. Objects past
    /// the map's end may exist.
    pub fn object_may_exist(&self, object_no: u64) -> bool {
        self.map.get(object_no) != Some(OBJECT_NONEXISTENT)
    }

    /// object_may_not_exist: only EXISTS and EXISTS_CLEAN rule absence out.
    pub fn object_may_not_exist(&self, object_no: u64) -> bool {
        !matches!(self.map.get(object_no), Some(OBJECT_EXISTS | OBJECT_EXISTS_CLEAN))
    }

    /// aio_update's check for HEAD: whether any object in `[start, end)`,
    /// clamped to the map, needs a request to reach `new`. Marking PENDING
    /// skips absent objects; NONEXISTENT only replaces PENDING.
    pub fn update_required(&self, start: u64, end: u64, new: u8) -> bool {
        (start..end.min(self.map.len())).filter_map(|i| self.map.get(i)).any(|state| {
            !(state == new
                || (new == OBJECT_PENDING && state == OBJECT_NONEXISTENT)
                || (new == OBJECT_NONEXISTENT && state != OBJECT_PENDING))
        })
    }

    /// UpdateRequest::finish_request: what the class did, once it replied.
    pub fn apply_update(&mut self, start: u64, end: u64, new: u8, current: Option<u8>) {
        update_states(&mut self.map, start, end, new, current);
    }

    /// After object_map_snap_add succeeded (fast-diff images only).
    pub fn apply_snapshot_add(&mut self) {
        snapshot_add_states(&mut self.map);
    }

    /// After object_map_snap_remove on HEAD succeeded.
    pub fn apply_snapshot_remove(&mut self, removed: &BitVector2) {
        snapshot_remove_states(&mut self.map, removed);
    }

    /// After object_map_resize succeeded.
    pub fn resize(&mut self, size: u64, default_state: u8) {
        resize_states(&mut self.map, size, default_state);
    }
}
