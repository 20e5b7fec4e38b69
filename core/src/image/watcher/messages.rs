//! What open images say to each other on the header watch (librbd's
//! WatchNotifyTypes): a versioned NotifyMessage whose first field names the
//! operation, and the ResponseMessage a lock owner acks requests with.

use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use crate::cls::rbd::types::SnapshotNamespace;
use crate::encoding::{encode_versioned, Decode, DecodeError, Decoder, Encode};

/// Who sent a request: the client's global id and its watch handle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId {
    pub gid: u64,
    pub handle: u64,
}

impl ClientId {
    /// librbd sends the all-zero id when it does not know the owner.
    pub fn is_valid(&self) -> bool {
        *self != ClientId::default()
    }
}

impl Encode for ClientId {
    fn encode(&self, out: &mut Vec<u8>) {
        self.gid.encode(out);
        self.handle.encode(out);
    }
}

impl Decode for ClientId {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(ClientId { gid: d.u64()?, handle: d.u64()? })
    }
}

/// Names a proxied operation, so its progress and completion find it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AsyncRequestId {
    pub client: ClientId,
    pub request_id: u64,
}

impl Encode for AsyncRequestId {
    fn encode(&self, out: &mut Vec<u8>) {
        self.client.encode(out);
        self.request_id.encode(out);
    }
}

impl Decode for AsyncRequestId {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(AsyncRequestId { client: d.decode()?, request_id: d.u64()? })
    }
}

/// NotifyOp values.
pub mod op {
    pub const ACQUIRED_LOCK: u32 = 0;
    pub const RELEASED_LOCK: u32 = 1;
    pub const REQUEST_LOCK: u32 = 2;
    pub const HEADER_UPDATE: u32 = 3;
    pub const ASYNC_PROGRESS: u32 = 4;
    pub const ASYNC_COMPLETE: u32 = 5;
    pub const FLATTEN: u32 = 6;
    pub const RESIZE: u32 = 7;
    pub const SNAP_CREATE: u32 = 8;
    pub const SNAP_REMOVE: u32 = 9;
    pub const REBUILD_OBJECT_MAP: u32 = 10;
    pub const SNAP_RENAME: u32 = 11;
    pub const SNAP_PROTECT: u32 = 12;
    pub const SNAP_UNPROTECT: u32 = 13;
    pub const RENAME: u32 = 14;
    pub const UPDATE_FEATURES: u32 = 15;
    pub const MIGRATE: u32 = 16;
    pub const SPARSIFY: u32 = 17;
    pub const QUIESCE: u32 = 18;
    pub const UNQUIESCE: u32 = 19;
}

/// A snapshot named in a request, with the request's id (Pacific makes
/// every snapshot operation an async request; zero from older senders).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapRef {
    pub namespace: SnapshotNamespace,
    pub name: String,
    pub id: AsyncRequestId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotifyMessage {
    AcquiredLock(ClientId),
    ReleasedLock(ClientId),
    RequestLock {
        client: ClientId,
        force: bool,
    },
    HeaderUpdate,
    AsyncProgress {
        id: AsyncRequestId,
        offset: u64,
        total: u64,
    },
    AsyncComplete {
        id: AsyncRequestId,
        result: i32,
    },
    Flatten(AsyncRequestId),
    Resize {
        id: AsyncRequestId,
        size: u64,
        allow_shrink: bool,
    },
    SnapCreate {
        snap: SnapRef,
        flags: u64,
    },
    SnapRemove(SnapRef),
    RebuildObjectMap(AsyncRequestId),
    SnapRename {
        snap_id: u64,
        snap: SnapRef,
    },
    SnapProtect(SnapRef),
    SnapUnprotect(SnapRef),
    Rename(String),
    UpdateFeatures {
        features: u64,
        enabled: bool,
    },
    Migrate(AsyncRequestId),
    Sparsify {
        id: AsyncRequestId,
        sparse_size: u64,
    },
    Quiesce(AsyncRequestId),
    Unquiesce(AsyncRequestId),
    /// An op this client does not know (newer releases add some).
    Unknown(u32),
}

/// The version we encode: every field Pacific knows.
const VERSION: u8 = 7;

impl NotifyMessage {
    pub fn op(&self) -> u32 {
        use NotifyMessage as M;
        match self {
            M::AcquiredLock(_) => op::ACQUIRED_LOCK,
            M::ReleasedLock(_) => op::RELEASED_LOCK,
            M::RequestLock { .. } => op::REQUEST_LOCK,
            M::HeaderUpdate => op::HEADER_UPDATE,
            M::AsyncProgress { .. } => op::ASYNC_PROGRESS,
            M::AsyncComplete { .. } => op::ASYNC_COMPLETE,
            M::Flatten(_) => op::FLATTEN,
            M::Resize { .. } => op::RESIZE,
            M::SnapCreate { .. } => op::SNAP_CREATE,
            M::SnapRemove(_) => op::SNAP_REMOVE,
            M::RebuildObjectMap(_) => op::REBUILD_OBJECT_MAP,
            M::SnapRename { .. } => op::SNAP_RENAME,
            M::SnapProtect(_) => op::SNAP_PROTECT,
            M::SnapUnprotect(_) => op::SNAP_UNPROTECT,
            M::Rename(_) => op::RENAME,
            M::UpdateFeatures { .. } => op::UPDATE_FEATURES,
            M::Migrate(_) => op::MIGRATE,
            M::Sparsify { .. } => op::SPARSIFY,
            M::Quiesce(_) => op::QUIESCE,
            M::Unquiesce(_) => op::UNQUIESCE,
            M::Unknown(op) => *op,
        }
    }

    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::new();
        self.encode(&mut out);
        Bytes::from(out)
    }

    /// An empty payload is what pre-v2 clients sent for a header update.
    pub fn from_bytes(payload: &[u8]) -> Result<NotifyMessage, DecodeError> {
        if payload.is_empty() {
            return Ok(NotifyMessage::HeaderUpdate);
        }
        Decoder::new(payload).versioned(1, decode_body)
    }
}

fn encode_snap(snap: &SnapRef, out: &mut Vec<u8>) {
    snap.name.encode(out);
    snap.namespace.encode(out);
    snap.id.encode(out);
}

/// SnapPayloadBase: the name; the namespace from v6; the id from v7.
/// (v5 put a snapshot create's namespace after it: the caller reads it.)
fn decode_snap(d: &mut Decoder<'_>, version: u8) -> Result<SnapRef, DecodeError> {
    let name = d.string()?;
    let namespace = if version >= 6 { d.decode()? } else { SnapshotNamespace::User };
    let id = if version >= 7 { d.decode()? } else { AsyncRequestId::default() };
    Ok(SnapRef { namespace, name, id })
}

impl Encode for NotifyMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        use NotifyMessage as M;
        encode_versioned(out, VERSION, 1, |out| {
            self.op().encode(out);
            match self {
                M::AcquiredLock(client) | M::ReleasedLock(client) => client.encode(out),
                M::RequestLock { client, force } => {
                    client.encode(out);
                    force.encode(out);
                }
                M::HeaderUpdate | M::Unknown(_) => {}
                M::AsyncProgress { id, offset, total } => {
                    id.encode(out);
                    offset.encode(out);
                    total.encode(out);
                }
                M::AsyncComplete { id, result } => {
                    id.encode(out);
                    result.encode(out);
                }
                M::Flatten(id) | M::RebuildObjectMap(id) | M::Migrate(id) | M::Quiesce(id) | M::Unquiesce(id) => {
                    id.encode(out)
                }
                M::Resize { id, size, allow_shrink } => {
                    size.encode(out);
                    id.encode(out);
                    allow_shrink.encode(out);
                }
                M::SnapCreate { snap, flags } => {
                    encode_snap(snap, out);
                    flags.encode(out);
                }
                M::SnapRemove(snap) | M::SnapProtect(snap) | M::SnapUnprotect(snap) => encode_snap(snap, out),
                M::SnapRename { snap_id, snap } => {
                    snap_id.encode(out);
                    encode_snap(snap, out);
                }
                M::Rename(name) => name.encode(out),
                M::UpdateFeatures { features, enabled } => {
                    features.encode(out);
                    enabled.encode(out);
                }
                M::Sparsify { id, sparse_size } => {
                    id.encode(out);
                    sparse_size.encode(out);
                }
            }
        });
    }
}

/// Fields newer versions added are read only when the sender's version has them.
fn decode_body(d: &mut Decoder<'_>, version: u8) -> Result<NotifyMessage, DecodeError> {
    use NotifyMessage as M;
    let client = |d: &mut Decoder<'_>| if version >= 2 { d.decode() } else { Ok(ClientId::default()) };
    Ok(match d.u32()? {
        op::ACQUIRED_LOCK => M::AcquiredLock(client(d)?),
        op::RELEASED_LOCK => M::ReleasedLock(client(d)?),
        op::REQUEST_LOCK => {
            let client = client(d)?;
            M::RequestLock { client, force: if version >= 3 { d.bool()? } else { false } }
        }
        op::HEADER_UPDATE => M::HeaderUpdate,
        op::ASYNC_PROGRESS => M::AsyncProgress { id: d.decode()?, offset: d.u64()?, total: d.u64()? },
        op::ASYNC_COMPLETE => M::AsyncComplete { id: d.decode()?, result: d.i32()? },
        op::FLATTEN => M::Flatten(d.decode()?),
        op::RESIZE => {
            let size = d.u64()?;
            let id = d.decode()?;
            M::Resize { id, size, allow_shrink: if version >= 4 { d.bool()? } else { true } }
        }
        op::SNAP_CREATE => {
            let mut snap = decode_snap(d, version)?;
            if version == 5 {
                snap.namespace = d.decode()?;
            }
            let flags = if version >= 7 { d.u64()? } else { 0 };
            M::SnapCreate { snap, flags }
        }
        op::SNAP_REMOVE => M::SnapRemove(decode_snap(d, version)?),
        op::REBUILD_OBJECT_MAP => M::RebuildObjectMap(d.decode()?),
        op::SNAP_RENAME => {
            let snap_id = d.u64()?;
            M::SnapRename { snap_id, snap: decode_snap(d, version)? }
        }
        op::SNAP_PROTECT => M::SnapProtect(decode_snap(d, version)?),
        op::SNAP_UNPROTECT => M::SnapUnprotect(decode_snap(d, version)?),
        op::RENAME => M::Rename(d.string()?),
        op::UPDATE_FEATURES => M::UpdateFeatures { features: d.u64()?, enabled: d.bool()? },
        op::MIGRATE => M::Migrate(d.decode()?),
        op::SPARSIFY => M::Sparsify { id: d.decode()?, sparse_size: d.u64()? },
        op::QUIESCE => M::Quiesce(d.decode()?),
        op::UNQUIESCE => M::Unquiesce(d.decode()?),
        other => M::Unknown(other),
    })
}

/// A lock owner's answer to a request: what the requester's call returns.
pub fn encode_response(result: i32) -> Bytes {
    let mut out = Vec::new();
    encode_versioned(&mut out, 1, 1, |out| result.encode(out));
    Bytes::from(out)
}

pub fn decode_response(payload: &[u8]) -> Result<i32, DecodeError> {
    Decoder::new(payload).versioned(1, |d, _| d.i32())
}
