//! The object-operation model: what librados sends to an OSD and what comes
//! back. A request is a compound of ops on one object, executed atomically;
//! writes carry a snapshot context, reads a snapshot id.
//!
//! Every layer above (image IO, metadata via object classes, the cache)
//! speaks only this; every backend below (the in-memory store, the embedded
//! local store, the objecter on a real cluster) executes it.

pub mod checksum;
pub mod hobject;
mod notify;
mod op;
mod reply;
mod request;
mod snap;
mod watch;

pub use hobject::{HObject, ListEntry, NlsResponse};
pub use notify::NotifyResponse;
pub use op::{ObjectOperation, OpFlags, OpKind, OsdOp, WatchOp};
pub use reply::{ObjectReply, OmapKeysOut, OmapValsOut, OpResult, SparseReadOut, StatOut, XattrsOut};
pub use request::{ClientId, Completion, ObjectId, ObjectRequest, ObjectStore};
pub use snap::{SnapContext, SnapId};
pub use watch::{ListWatchersOut, WatchItem};

/// osd_max_object_size's default: writes past it fail with -EFBIG.
pub const MAX_OBJECT_SIZE: u64 = 128 << 20;
