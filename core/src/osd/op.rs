use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

/// Per-op flags (CEPH_OSD_OP_FLAG_*).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct OpFlags(pub u32);

impl OpFlags {
    pub const NONE: OpFlags = OpFlags(0);
    /// Exclusive create: fail with -EEXIST when the object exists.
    pub const EXCL: OpFlags = OpFlags(0x1);
    /// A failure of this op does not abort the compound.
    pub const FAILOK: OpFlags = OpFlags(0x2);

    pub const fn contains(self, other: OpFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn union(self, other: OpFlags) -> OpFlags {
        OpFlags(self.0 | other.0)
    }
}

/// The watch sub-operations, valued as on the wire (CEPH_OSD_WATCH_OP_*:
/// odd, so pre-Giant OSDs never read one as "unwatch").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchOp {
    Unwatch = 0,
    Legacy = 1,
    Watch = 3,
    Reconnect = 5,
    Ping = 7,
}

/// One operation inside a compound, with its typed arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpKind {
    // -- data reads --
    /// `length` 0 reads to the end of the object, as on an OSD.
    Read {
        offset: u64,
        length: u64,
    },
    SparseRead {
        offset: u64,
        length: u64,
    },
    Stat,
    /// Fails the compound with -ENOENT when the object is absent (librados
    /// sends it as a stat whose output is dropped).
    AssertExists,
    /// Fails unless the object's user version is `version`: -ERANGE when
    /// it is newer, -EOVERFLOW when older, -EINVAL for version 0.
    AssertVersion {
        version: u64,
    },
    /// Compares `data` with the object (absent bytes compare as zeros).
    CmpExt {
        offset: u64,
        data: Bytes,
    },
    // -- data writes --
    Write {
        offset: u64,
        data: Bytes,
    },
    WriteFull {
        data: Bytes,
    },
    /// Repeats `data` to fill `length` bytes from `offset`.
    WriteSame {
        offset: u64,
        length: u64,
        data: Bytes,
    },
    Zero {
        offset: u64,
        length: u64,
    },
    Truncate {
        size: u64,
    },
    Remove,
    /// Creates the object; with [`OpFlags::EXCL`], -EEXIST if it exists.
    Create,
    /// `flags`: LIBRADOS_ALLOC_HINT_FLAG_* (0 for the first version).
    SetAllocHint {
        expected_object_size: u64,
        expected_write_size: u64,
        flags: u32,
    },
    /// Self-managed snapshot rollback of the head to `snap`.
    Rollback {
        snap: u64,
    },
    // -- attributes --
    GetXattr {
        name: String,
    },
    GetXattrs,
    SetXattr {
        name: String,
        value: Bytes,
    },
    RmXattr {
        name: String,
    },
    /// Fails the compound unless `value` compares to the attribute by `op`
    /// (CEPH_OSD_CMPXATTR_OP_*) in `mode` (1: as strings): -ECANCELED.
    CmpXattr {
        name: String,
        op: u8,
        mode: u8,
        value: Bytes,
    },
    // -- checksums, cache tiers --
    /// Checksums (CEPH_OSD_CHECKSUM_OP_TYPE_*) of `chunk_size` chunks of
    /// the range (0/0: the whole object), each from `init`.
    Checksum {
        kind: u8,
        offset: u64,
        length: u64,
        chunk_size: u32,
        init: Bytes,
    },
    /// Pins (or unpins) the object in a cache tier; -EINVAL elsewhere.
    CachePin {
        pin: bool,
    },
    // -- omap --
    OmapGetKeys {
        start_after: String,
        max_return: u64,
    },
    OmapGetVals {
        start_after: String,
        filter_prefix: String,
        max_return: u64,
    },
    OmapGetValsByKeys {
        keys: BTreeSet<String>,
    },
    OmapGetHeader,
    OmapSetVals {
        entries: BTreeMap<String, Bytes>,
    },
    OmapSetHeader {
        header: Bytes,
    },
    OmapRmKeys {
        keys: BTreeSet<String>,
    },
    OmapClear,
    /// Removes the keys in `[start, end)`.
    OmapRmKeyRange {
        start: String,
        end: String,
    },
    /// Asserts each key's value against the given one with a
    /// CEPH_OSD_CMPXATTR_OP_* mode (EQ, GT, LT; others -EINVAL); a failed
    /// assertion is -ECANCELED. Absent keys compare as empty values.
    OmapCmp {
        assertions: BTreeMap<String, (Bytes, i32)>,
    },
    // -- object classes --
    /// An object-class method (cls_rbd, cls_lock, ...), encoded input in.
    Call {
        class: String,
        method: String,
        input: Bytes,
    },
    // -- watch/notify --
    Watch {
        cookie: u64,
        op: WatchOp,
        gen: u32,
        timeout: u32,
    },
    Notify {
        cookie: u64,
        timeout: u32,
        payload: Bytes,
    },
    NotifyAck {
        notify_id: u64,
        cookie: u64,
        payload: Bytes,
    },
    ListWatchers,
    // -- pg ops --
    /// Lists up to `count` objects of a pg from `cursor` on (PGNLS); sent
    /// to the pg that holds the cursor's hash, with no object.
    PgNls {
        count: u64,
        start_epoch: u32,
        cursor: super::HObject,
    },
}

impl OpKind {
    /// The CEPH_OSD_OP_* code this op is sent as.
    pub const fn code(&self) -> u16 {
        const RD: u16 = 0x1000;
        const WR: u16 = 0x2000;
        const DATA: u16 = 0x0200;
        const ATTR: u16 = 0x0300;
        const EXEC: u16 = 0x0400;
        match self {
            OpKind::Read { .. } => RD | DATA | 1,
            OpKind::Stat | OpKind::AssertExists => RD | DATA | 2,
            OpKind::SparseRead { .. } => RD | DATA | 5,
            OpKind::Notify { .. } => RD | DATA | 6,
            OpKind::NotifyAck { .. } => RD | DATA | 7,
            OpKind::AssertVersion { .. } => RD | DATA | 8,
            OpKind::ListWatchers => RD | DATA | 9,
            OpKind::OmapGetKeys { .. } => RD | DATA | 17,
            OpKind::OmapGetVals { .. } => RD | DATA | 18,
            OpKind::OmapGetHeader => RD | DATA | 19,
            OpKind::OmapGetValsByKeys { .. } => RD | DATA | 20,
            OpKind::OmapCmp { .. } => RD | DATA | 25,
            OpKind::CmpExt { .. } => RD | DATA | 32,
            OpKind::Write { .. } => WR | DATA | 1,
            OpKind::WriteFull { .. } => WR | DATA | 2,
            OpKind::Truncate { .. } => WR | DATA | 3,
            OpKind::Zero { .. } => WR | DATA | 4,
            OpKind::Remove => WR | DATA | 5,
            OpKind::Create => WR | DATA | 13,
            OpKind::Rollback { .. } => WR | DATA | 14,
            OpKind::Watch { .. } => WR | DATA | 15,
            OpKind::OmapSetVals { .. } => WR | DATA | 21,
            OpKind::OmapSetHeader { .. } => WR | DATA | 22,
            OpKind::OmapClear => WR | DATA | 23,
            OpKind::OmapRmKeys { .. } => WR | DATA | 24,
            OpKind::SetAllocHint { .. } => WR | DATA | 35,
            OpKind::OmapRmKeyRange { .. } => WR | DATA | 44,
            OpKind::WriteSame { .. } => WR | DATA | 38,
            OpKind::GetXattr { .. } => RD | ATTR | 1,
            OpKind::GetXattrs => RD | ATTR | 2,
            OpKind::SetXattr { .. } => WR | ATTR | 1,
            OpKind::RmXattr { .. } => WR | ATTR | 4,
            OpKind::CmpXattr { .. } => RD | ATTR | 3,
            OpKind::Checksum { .. } => RD | DATA | 31,
            OpKind::CachePin { pin: true } => WR | DATA | 36,
            OpKind::CachePin { pin: false } => WR | DATA | 37,
            OpKind::Call { .. } => RD | EXEC | 1,
            OpKind::PgNls { .. } => RD | 0x0500 | 5,
        }
    }

    /// Whether the op may change the object. Class calls may: like the
    /// Objecter, the caller says so by sending them in a write compound.
    pub const fn is_write(&self) -> bool {
        self.code() & 0x2000 != 0
    }
}

/// One op and its flags, as it travels in a compound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsdOp {
    pub kind: OpKind,
    pub flags: OpFlags,
}

/// A compound operation on one object, built like librados's
/// ObjectReadOperation / ObjectWriteOperation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectOperation {
    pub ops: Vec<OsdOp>,
}

impl ObjectOperation {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, kind: OpKind) -> &mut Self {
        self.ops.push(OsdOp { kind, flags: OpFlags::NONE });
        self
    }

    /// Adds flags to the op pushed last.
    pub fn with_flags(&mut self, flags: OpFlags) -> &mut Self {
        if let Some(op) = self.ops.last_mut() {
            op.flags = op.flags.union(flags);
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// For a pg op (PGNLS), the hash whose pg it goes to.
    pub fn pg_hash(&self) -> Option<u32> {
        self.ops.iter().find_map(|op| match &op.kind {
            OpKind::PgNls { cursor, .. } => Some(cursor.hash),
            _ => None,
        })
    }

    /// True when any op may modify the object (the compound is a write).
    pub fn has_write(&self) -> bool {
        self.ops.iter().any(|op| op.kind.is_write())
    }

    pub fn read(&mut self, offset: u64, length: u64) -> &mut Self {
        self.push(OpKind::Read { offset, length })
    }

    pub fn sparse_read(&mut self, offset: u64, length: u64) -> &mut Self {
        self.push(OpKind::SparseRead { offset, length })
    }

    pub fn stat(&mut self) -> &mut Self {
        self.push(OpKind::Stat)
    }

    pub fn assert_exists(&mut self) -> &mut Self {
        self.push(OpKind::AssertExists)
    }

    pub fn assert_version(&mut self, version: u64) -> &mut Self {
        self.push(OpKind::AssertVersion { version })
    }

    pub fn cmpext(&mut self, offset: u64, data: Bytes) -> &mut Self {
        self.push(OpKind::CmpExt { offset, data })
    }

    pub fn write(&mut self, offset: u64, data: Bytes) -> &mut Self {
        self.push(OpKind::Write { offset, data })
    }

    pub fn write_full(&mut self, data: Bytes) -> &mut Self {
        self.push(OpKind::WriteFull { data })
    }

    pub fn write_same(&mut self, offset: u64, length: u64, data: Bytes) -> &mut Self {
        self.push(OpKind::WriteSame { offset, length, data })
    }

    pub fn zero(&mut self, offset: u64, length: u64) -> &mut Self {
        self.push(OpKind::Zero { offset, length })
    }

    pub fn truncate(&mut self, size: u64) -> &mut Self {
        self.push(OpKind::Truncate { size })
    }

    pub fn remove(&mut self) -> &mut Self {
        self.push(OpKind::Remove)
    }

    pub fn create(&mut self, exclusive: bool) -> &mut Self {
        self.push(OpKind::Create);
        if exclusive {
            self.with_flags(OpFlags::EXCL);
        }
        self
    }

    pub fn rollback(&mut self, snap: u64) -> &mut Self {
        self.push(OpKind::Rollback { snap })
    }

    pub fn get_xattr(&mut self, name: impl Into<String>) -> &mut Self {
        self.push(OpKind::GetXattr { name: name.into() })
    }

    pub fn set_xattr(&mut self, name: impl Into<String>, value: Bytes) -> &mut Self {
        self.push(OpKind::SetXattr { name: name.into(), value })
    }

    pub fn omap_get_vals(
        &mut self,
        start_after: impl Into<String>,
        filter_prefix: impl Into<String>,
        max_return: u64,
    ) -> &mut Self {
        self.push(OpKind::OmapGetVals {
            start_after: start_after.into(),
            filter_prefix: filter_prefix.into(),
            max_return,
        })
    }

    pub fn omap_get_keys(&mut self, start_after: impl Into<String>, max_return: u64) -> &mut Self {
        self.push(OpKind::OmapGetKeys { start_after: start_after.into(), max_return })
    }

    pub fn omap_get_vals_by_keys(&mut self, keys: BTreeSet<String>) -> &mut Self {
        self.push(OpKind::OmapGetValsByKeys { keys })
    }

    pub fn omap_set(&mut self, entries: BTreeMap<String, Bytes>) -> &mut Self {
        self.push(OpKind::OmapSetVals { entries })
    }

    pub fn omap_rm_keys(&mut self, keys: BTreeSet<String>) -> &mut Self {
        self.push(OpKind::OmapRmKeys { keys })
    }

    pub fn call(&mut self, class: impl Into<String>, method: impl Into<String>, input: Bytes) -> &mut Self {
        self.push(OpKind::Call { class: class.into(), method: method.into(), input })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_rados_h() {
        // Values from __CEPH_FORALL_OSD_OPS in src/include/rados.h.
        assert_eq!(OpKind::Read { offset: 0, length: 0 }.code(), 0x1201);
        assert_eq!(OpKind::SparseRead { offset: 0, length: 0 }.code(), 0x1205);
        assert_eq!(OpKind::CmpExt { offset: 0, data: Bytes::new() }.code(), 0x1220);
        assert_eq!(OpKind::AssertVersion { version: 1 }.code(), 0x1208);
        assert_eq!(OpKind::OmapCmp { assertions: BTreeMap::new() }.code(), 0x1219);
        assert_eq!(OpKind::OmapRmKeyRange { start: String::new(), end: String::new() }.code(), 0x222c);
        assert_eq!(OpKind::Write { offset: 0, data: Bytes::new() }.code(), 0x2201);
        assert_eq!(OpKind::Create.code(), 0x220d);
        assert_eq!(OpKind::WriteSame { offset: 0, length: 0, data: Bytes::new() }.code(), 0x2226);
        assert_eq!(OpKind::OmapRmKeys { keys: BTreeSet::new() }.code(), 0x2218);
        assert_eq!(OpKind::RmXattr { name: String::new() }.code(), 0x2304);
        assert_eq!(OpKind::Call { class: String::new(), method: String::new(), input: Bytes::new() }.code(), 0x1401);
    }

    #[test]
    fn builder_marks_exclusive_create_and_writes() {
        let mut op = ObjectOperation::new();
        op.create(true).write(0, Bytes::from_static(b"x"));
        assert_eq!(op.ops[0].flags, OpFlags::EXCL);
        assert!(op.has_write());
        let mut read = ObjectOperation::new();
        read.read(0, 0).stat().with_flags(OpFlags::FAILOK);
        assert!(!read.has_write());
        assert!(read.ops[1].flags.contains(OpFlags::FAILOK));
    }
}
