use alloc::boxed::Box;
use alloc::string::String;

use super::{ObjectOperation, ObjectReply, SnapContext, SnapId};
use crate::encoding::UtcTime;

/// Which object: pool, namespace ("" is the default), name, and locator
/// key (rados_ioctx_locator_set_key; "" places by the name).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    pub pool: i64,
    pub namespace: String,
    pub name: String,
    pub key: String,
}

impl ObjectId {
    pub fn new(pool: i64, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectId { pool, namespace: namespace.into(), name: name.into(), key: String::new() }
    }

    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// What placement hashes: the locator key, or the name without one.
    pub fn locator(&self) -> &str {
        if self.key.is_empty() {
            &self.name
        } else {
            &self.key
        }
    }
}

/// The client a request comes from, as an OSD sees it: the entity number
/// (`client.<global_id>`) and the nonce of its messenger address. Object
/// classes record it (cls_lock's locker).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId {
    pub global_id: u64,
    pub nonce: u32,
}

/// A compound operation addressed to one object. Reads name the snapshot
/// they read; writes carry the snapshot context and modification time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRequest {
    pub oid: ObjectId,
    pub op: ObjectOperation,
    pub snap_id: SnapId,
    pub snapc: SnapContext,
    pub mtime: UtcTime,
    /// Sent as a write (CEPH_OSD_FLAG_WRITE), like an ObjectWriteOperation.
    pub write: bool,
    pub client: ClientId,
    /// CEPH_OSD_FLAG_FULL_TRY: a write is sent even while the pool or the
    /// cluster is full, for the OSD to refuse (-ENOSPC) or allow (a
    /// delete), instead of waiting for space.
    pub full_try: bool,
}

impl ObjectRequest {
    pub fn read(oid: ObjectId, snap_id: SnapId, op: ObjectOperation) -> Self {
        ObjectRequest {
            oid,
            op,
            snap_id,
            snapc: SnapContext::default(),
            mtime: UtcTime::default(),
            write: false,
            client: ClientId::default(),
            full_try: false,
        }
    }

    pub fn write(oid: ObjectId, snapc: SnapContext, mtime: UtcTime, op: ObjectOperation) -> Self {
        ObjectRequest {
            oid,
            op,
            snap_id: SnapId::HEAD,
            snapc,
            mtime,
            write: true,
            client: ClientId::default(),
            full_try: false,
        }
    }

    pub fn from_client(mut self, client: ClientId) -> Self {
        self.client = client;
        self
    }

    pub fn with_full_try(mut self, full_try: bool) -> Self {
        self.full_try = full_try;
        self
    }
}

/// Called exactly once with the reply; may run on any thread.
pub type Completion = Box<dyn FnOnce(ObjectReply) + Send>;

/// What librados is to librbd: somewhere compound operations are executed.
/// The in-memory store, the embedded local store and the objecter on a real
/// cluster implement it; the layers above never know which they talk to.
pub trait ObjectStore: Send + Sync {
    /// Starts `req`; `done` receives the reply, perhaps before this returns.
    fn submit(&self, req: ObjectRequest, done: Completion);
}
