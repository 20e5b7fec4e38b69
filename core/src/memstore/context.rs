//! The view of one object that ops and object-class methods work on
//! (Ceph's cls_method_context_t): reads see the version being read, writes
//! change a working copy of the head that is committed only if the whole
//! compound succeeds.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Bound;

use bytes::Bytes;

use super::object::{Object, ObjectState};
use crate::encoding::UtcTime;
use crate::osd::{ClientId, ObjectRequest, StatOut, MAX_OBJECT_SIZE};
use crate::Errno;

/// Most entries one omap listing returns (osd_max_omap_entries_per_request).
pub const MAX_OMAP_ENTRIES: u64 = 131_072;

enum Target<'a> {
    Read(Option<&'a ObjectState>),
    Write(&'a mut Option<ObjectState>),
}

pub struct MethodContext<'a> {
    object: &'a Object,
    target: Target<'a>,
    mtime: UtcTime,
    origin: ClientId,
    modified: bool,
}

impl core::fmt::Debug for MethodContext<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MethodContext").field("exists", &self.exists()).field("modified", &self.modified).finish()
    }
}

pub(crate) fn check_extent(offset: u64, length: u64) -> Result<u64, Errno> {
    match offset.checked_add(length) {
        Some(end) if end <= MAX_OBJECT_SIZE => Ok(end),
        _ => Err(Errno::EFBIG),
    }
}

impl<'a> MethodContext<'a> {
    pub(crate) fn for_read(object: &'a Object, state: Option<&'a ObjectState>, req: &ObjectRequest) -> Self {
        MethodContext { object, target: Target::Read(state), mtime: req.mtime, origin: req.client, modified: false }
    }

    pub(crate) fn for_write(object: &'a Object, work: &'a mut Option<ObjectState>, req: &ObjectRequest) -> Self {
        MethodContext { object, target: Target::Write(work), mtime: req.mtime, origin: req.client, modified: false }
    }

    pub(crate) fn modified(&self) -> bool {
        self.modified
    }

    pub(crate) fn object(&self) -> &Object {
        self.object
    }

    pub fn exists(&self) -> bool {
        self.state().is_some()
    }

    pub(crate) fn state(&self) -> Option<&ObjectState> {
        match &self.target {
            Target::Read(state) => *state,
            Target::Write(work) => work.as_ref(),
        }
    }

    /// The existing object, or -ENOENT.
    pub(crate) fn existing(&self) -> Result<&ObjectState, Errno> {
        self.state().ok_or(Errno::ENOENT)
    }

    /// The head to modify, created if absent. -EROFS on a read.
    pub(crate) fn state_mut(&mut self) -> Result<&mut ObjectState, Errno> {
        match &mut self.target {
            Target::Read(_) => Err(Errno::EROFS),
            Target::Write(work) => {
                self.modified = true;
                let state = work.get_or_insert_with(ObjectState::default);
                state.mtime = self.mtime;
                Ok(state)
            }
        }
    }

    /// Replaces the whole head (None removes it).
    pub(crate) fn set_head(&mut self, head: Option<ObjectState>) -> Result<(), Errno> {
        match &mut self.target {
            Target::Read(_) => Err(Errno::EROFS),
            Target::Write(work) => {
                self.modified = true;
                **work = head;
                Ok(())
            }
        }
    }

    // -- the object-class API (cls_cxx_*) --

    /// The client that sent the request (cls_get_request_origin).
    pub fn origin(&self) -> ClientId {
        self.origin
    }

    /// The time this store takes as now: the request's timestamp, since a
    /// sans-IO store has no clock of its own.
    pub fn now(&self) -> UtcTime {
        self.mtime
    }

    pub fn stat(&self) -> Result<StatOut, Errno> {
        let state = self.existing()?;
        Ok(StatOut { size: state.data.len(), mtime: state.mtime })
    }

    /// The newest snap seq the object has seen (cls_get_snapset_seq).
    pub fn snap_seq(&self) -> u64 {
        self.object.snap_seq
    }

    /// The object's user version before this compound (cls_current_version).
    pub fn version(&self) -> u64 {
        self.object.version
    }

    pub fn read(&self, offset: u64, length: u64) -> Result<Vec<u8>, Errno> {
        Ok(self.existing()?.data.read(offset, length))
    }

    pub fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), Errno> {
        check_extent(offset, data.len() as u64)?;
        self.state_mut()?.data.write(offset, data);
        Ok(())
    }

    pub fn write_full(&mut self, data: &[u8]) -> Result<(), Errno> {
        check_extent(0, data.len() as u64)?;
        let state = self.state_mut()?;
        state.data.truncate(0);
        state.data.write(0, data);
        Ok(())
    }

    /// Creates the object; -EEXIST if `exclusive` and it exists.
    pub fn create(&mut self, exclusive: bool) -> Result<(), Errno> {
        if exclusive && self.exists() {
            return Err(Errno::EEXIST);
        }
        self.state_mut().map(|_| ())
    }

    pub fn remove(&mut self) -> Result<(), Errno> {
        self.existing()?;
        self.set_head(None)
    }

    pub fn getxattr(&self, name: &str) -> Result<Bytes, Errno> {
        self.existing()?.xattrs.get(name).cloned().ok_or(Errno::ENODATA)
    }

    pub fn getxattrs(&self) -> Result<BTreeMap<String, Bytes>, Errno> {
        Ok(self.existing()?.xattrs.clone())
    }

    pub fn setxattr(&mut self, name: &str, value: Bytes) -> Result<(), Errno> {
        self.state_mut()?.xattrs.insert(name.into(), value);
        Ok(())
    }

    pub fn rmxattr(&mut self, name: &str) -> Result<(), Errno> {
        self.existing()?;
        self.state_mut()?.xattrs.remove(name);
        Ok(())
    }

    /// One omap value; -ENOENT when the key (or the object) is missing.
    pub fn map_get_val(&self, key: &str) -> Result<Bytes, Errno> {
        self.existing()?.omap.get(key).cloned().ok_or(Errno::ENOENT)
    }

    /// Up to `max` entries after `start_after` whose keys start with
    /// `prefix`, and whether more remain.
    pub fn map_get_vals(
        &self,
        start_after: &str,
        prefix: &str,
        max: u64,
    ) -> Result<(BTreeMap<String, Bytes>, bool), Errno> {
        let omap = &self.existing()?.omap;
        let max = max.min(MAX_OMAP_ENTRIES) as usize;
        let mut out = BTreeMap::new();
        // Like the OSD: seek past start_after, or straight to the prefix.
        let from = if prefix > start_after { Bound::Included(prefix) } else { Bound::Excluded(start_after) };
        let mut iter = omap.range::<str, _>((from, Bound::Unbounded)).take_while(|(k, _)| k.starts_with(prefix));
        for (k, v) in iter.by_ref().take(max) {
            out.insert(k.clone(), v.clone());
        }
        Ok((out, iter.next().is_some()))
    }

    pub fn map_get_keys(&self, start_after: &str, max: u64) -> Result<(Vec<String>, bool), Errno> {
        let (vals, more) = self.map_get_vals(start_after, "", max)?;
        Ok((vals.into_keys().collect(), more))
    }

    pub fn map_set_val(&mut self, key: &str, value: Bytes) -> Result<(), Errno> {
        self.state_mut()?.omap.insert(key.into(), value);
        Ok(())
    }

    pub fn map_set_vals(&mut self, entries: &BTreeMap<String, Bytes>) -> Result<(), Errno> {
        let omap = &mut self.state_mut()?.omap;
        omap.extend(entries.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(())
    }

    /// Removes a key; removing a missing key of an existing object is fine.
    pub fn map_remove_key(&mut self, key: &str) -> Result<(), Errno> {
        self.existing()?;
        self.state_mut()?.omap.remove(key);
        Ok(())
    }

    pub fn map_clear(&mut self) -> Result<(), Errno> {
        self.existing()?;
        self.state_mut()?.omap.clear();
        Ok(())
    }

    pub fn map_read_header(&self) -> Result<Bytes, Errno> {
        Ok(self.existing()?.omap_header.clone())
    }

    pub fn map_write_header(&mut self, header: Bytes) -> Result<(), Errno> {
        self.state_mut()?.omap_header = header;
        Ok(())
    }
}
