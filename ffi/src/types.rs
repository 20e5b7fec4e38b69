//! The types and constants of the C API, under librbd's and librados's own
//! names and with their layouts, so that cbindgen writes include/rados/*.h
//! and include/rbd/*.h from them (see tests/headers.rs, which regenerates
//! the headers and fails when the committed ones differ).
//!
//! # Rules for exports
//!
//! * Spell every handle in an export's signature with its alias here:
//!   `rados_t`, `rados_ioctx_t`, `rbd_image_t`, `rbd_completion_t`, ...,
//!   never `*mut Cluster` or `*mut c_void`. cbindgen copies the name into
//!   the prototype, so the header reads `int rbd_open(rados_ioctx_t io, ...)`
//!   as upstream's does. Out-parameters are `*mut rados_t` and so on.
//! * A handle alias may point at the Rust type behind it (`rados_t` is
//!   `*mut Cluster`): the header still says `typedef void *rados_t;`
//!   because the cbindgen configurations rename that type to `void`. To do
//!   the same for a new handle type, change its alias below and add the
//!   type to `[export.rename]` (as `"void"`) in every ffi/cbindgen-*.toml.
//! * Name an export, struct or constant with upstream's prefix: `rados_` /
//!   `LIBRADOS_` go to librados.h, `rbd_` / `RBD_` / `LIBRBD_` to librbd.h,
//!   `RBD_FEATURE*` / `RBD_OPERATION_FEATURE*` to rbd/features.h. An export
//!   with any other prefix fails the headers test.
//! * Upstream's C enums are `c_int` aliases with one constant per
//!   enumerator here: C may pass any int, and a Rust enum holding a value
//!   it does not list is undefined behaviour.
//! * Callbacks are `Option<unsafe extern "C" fn(..)>`: C may pass NULL.
//!   One used by a single export is written inline in its signature, as
//!   upstream does (rbd_diff_iterate2's
//!   `Option<unsafe extern "C" fn(u64, usize, c_int, *mut c_void) -> c_int>`).
//! * Use `ssize_t` where upstream does (rbd_read, rbd_write, ...): `isize`
//!   would read `ptrdiff_t` in the header. `size_t` is `usize`, `int` is
//!   `c_int`, `uint64_t` is `u64`; `struct iovec` is [`iovec`] here.
//! * Doc comments are copied into the headers; write them for C users.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_long, c_void};

use crate::rados::{Cluster, PoolCtx};

// ---------------------------------------------------------------------------
// Types the system headers define. They are declared here for the Rust
// compiler only: the cbindgen configurations leave them out of the headers
// and spell them as the system does (`struct iovec`, `time_t`).

/// A scatter/gather element, as `struct iovec` in <sys/uio.h>.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct iovec {
    pub iov_base: *mut c_void,
    pub iov_len: usize,
}

/// Seconds since the epoch, as `time_t` in <sys/types.h> (a `long` on
/// Linux's LP64 and ILP32 ABIs without 64-bit time).
pub type time_t = c_long;

/// `struct timespec` of <time.h>.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct timespec {
    pub tv_sec: time_t,
    pub tv_nsec: c_long,
}

/// A byte count or a negative errno, as `ssize_t` in <sys/types.h>: what
/// rbd_read, rbd_write and their kin return.
pub type ssize_t = isize;

// ---------------------------------------------------------------------------
// librados: handles

/// A cluster handle: configuration, and once connected the session with
/// the cluster. Created by rados_create, freed by rados_shutdown.
pub type rados_t = *mut Cluster;

/// A configuration context (rados_cct); it stays owned by its cluster.
pub type rados_config_t = *mut c_void;

/// A pool context: a pool, a namespace and a snapshot to read from.
/// Created by rados_ioctx_create, freed by rados_ioctx_destroy.
pub type rados_ioctx_t = *mut PoolCtx;

/// An object listing in progress (rados_nobjects_list_open).
pub type rados_list_ctx_t = *mut c_void;

/// A position in an object listing (rados_object_list_*).
pub type rados_object_list_cursor = *mut c_void;

/// A snapshot id.
pub type rados_snap_t = u64;

/// An iterator over an object's extended attributes.
pub type rados_xattrs_iter_t = *mut c_void;

/// An iterator over an object's omap entries.
pub type rados_omap_iter_t = *mut c_void;

/// A compound write operation: actions applied to one object atomically.
pub type rados_write_op_t = *mut crate::rados::write_op::WriteOp;

/// A compound read operation on one object.
pub type rados_read_op_t = *mut crate::rados::read_op::ReadOp;

/// The state of an asynchronous operation. Created by
/// rados_aio_create_completion, freed by rados_aio_release.
pub type rados_completion_t = *mut crate::rados::aio::AioCompletion;

// ---------------------------------------------------------------------------
// librados: callbacks

/// Called when an asynchronous operation completes (or is safe). It runs on
/// a library thread and must not block.
pub type rados_callback_t = Option<unsafe extern "C" fn(cb: rados_completion_t, arg: *mut c_void)>;

/// The first watch API's notification callback.
pub type rados_watchcb_t = Option<unsafe extern "C" fn(opcode: u8, ver: u64, arg: *mut c_void)>;

/// A notification on a watched object; `data` holds `data_len` bytes of
/// the notifier's payload and is only valid during the call.
pub type rados_watchcb2_t = Option<
    unsafe extern "C" fn(
        arg: *mut c_void,
        notify_id: u64,
        handle: u64,
        notifier_id: u64,
        data: *mut c_void,
        data_len: usize,
    ),
>;

/// Called when a watch breaks (`err` is negative); the watch must be
/// re-established.
pub type rados_watcherrcb_t = Option<unsafe extern "C" fn(pre: *mut c_void, cookie: u64, err: c_int)>;

/// One entry of the monitors' cluster log (rados_monitor_log).
pub type rados_log_callback_t = Option<
    unsafe extern "C" fn(
        arg: *mut c_void,
        line: *const c_char,
        who: *const c_char,
        sec: u64,
        nsec: u64,
        seq: u64,
        level: *const c_char,
        msg: *const c_char,
    ),
>;

/// One entry of a cluster log channel (rados_monitor_log2).
pub type rados_log_callback2_t = Option<
    unsafe extern "C" fn(
        arg: *mut c_void,
        line: *const c_char,
        channel: *const c_char,
        who: *const c_char,
        name: *const c_char,
        sec: u64,
        nsec: u64,
        seq: u64,
        level: *const c_char,
        msg: *const c_char,
    ),
>;

// ---------------------------------------------------------------------------
// librados: structures

/// One object of a listing (rados_object_list). The strings are not
/// NUL-terminated: each comes with its length.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rados_object_list_item {
    pub oid_length: usize,
    pub oid: *mut c_char,
    pub nspace_length: usize,
    pub nspace: *mut c_char,
    pub locator_length: usize,
    pub locator: *mut c_char,
}

/// Usage figures of one pool (rados_ioctx_pool_stat).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct rados_pool_stat_t {
    /// Bytes used.
    pub num_bytes: u64,
    /// KiB used.
    pub num_kb: u64,
    pub num_objects: u64,
    pub num_object_clones: u64,
    /// Objects times replicas.
    pub num_object_copies: u64,
    pub num_objects_missing_on_primary: u64,
    /// Objects found on no OSD.
    pub num_objects_unfound: u64,
    /// Objects with fewer copies than the pool wants.
    pub num_objects_degraded: u64,
    pub num_rd: u64,
    pub num_rd_kb: u64,
    pub num_wr: u64,
    pub num_wr_kb: u64,
    /// Bytes as the clients wrote them.
    pub num_user_bytes: u64,
    pub compressed_bytes_orig: u64,
    pub compressed_bytes: u64,
    pub compressed_bytes_alloc: u64,
}

/// Capacity of the whole cluster (rados_cluster_stat), in KiB.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct rados_cluster_stat_t {
    pub kb: u64,
    pub kb_used: u64,
    pub kb_avail: u64,
    pub num_objects: u64,
}

/// One watcher of an object (rados_list_watchers).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct obj_watch_t {
    /// The watcher's address, NUL-terminated.
    pub addr: [c_char; 256],
    pub watcher_id: i64,
    pub cookie: u64,
    pub timeout_seconds: u32,
}

/// A watcher that answered a notify, with its reply payload.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct notify_ack_t {
    pub notifier_id: u64,
    pub cookie: u64,
    pub payload: *mut c_char,
    pub payload_len: u64,
}

/// A watcher that did not answer a notify in time.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct notify_timeout_t {
    pub notifier_id: u64,
    pub cookie: u64,
}

// ---------------------------------------------------------------------------
// librados: constants

/// Lock flag: renew the lock if it is held already.
pub const LIBRADOS_LOCK_FLAG_RENEW: u32 = 1 << 0;
/// Same as LIBRADOS_LOCK_FLAG_RENEW.
pub const LIBRADOS_LOCK_FLAG_MAY_RENEW: u32 = LIBRADOS_LOCK_FLAG_RENEW;
/// Lock flag: fail with -ENOENT unless the lock is held already.
pub const LIBRADOS_LOCK_FLAG_MUST_RENEW: u32 = 1 << 1;

/// Object creation fails with -EEXIST if the object exists.
pub const LIBRADOS_CREATE_EXCLUSIVE: c_int = 1;
/// Object creation succeeds whether or not the object exists.
pub const LIBRADOS_CREATE_IDEMPOTENT: c_int = 0;

/// Per-step flag: fail the create step if the object exists.
pub const LIBRADOS_OP_FLAG_EXCL: c_int = 0x1;
/// Per-step flag: the operation succeeds even if this step fails.
pub const LIBRADOS_OP_FLAG_FAILOK: c_int = 0x2;
/// Per-step hint: random access.
pub const LIBRADOS_OP_FLAG_FADVISE_RANDOM: c_int = 0x4;
/// Per-step hint: sequential access.
pub const LIBRADOS_OP_FLAG_FADVISE_SEQUENTIAL: c_int = 0x8;
/// Per-step hint: the data will be accessed again soon.
pub const LIBRADOS_OP_FLAG_FADVISE_WILLNEED: c_int = 0x10;
/// Per-step hint: nobody will access the data soon.
pub const LIBRADOS_OP_FLAG_FADVISE_DONTNEED: c_int = 0x20;
/// Per-step hint: this client will not access the data again.
pub const LIBRADOS_OP_FLAG_FADVISE_NOCACHE: c_int = 0x40;
/// Per-step hint: force unit access for a write.
pub const LIBRADOS_OP_FLAG_FADVISE_FUA: c_int = 0x80;

/// rados_*_op_cmpxattr comparison: equal.
pub const LIBRADOS_CMPXATTR_OP_EQ: c_int = 1;
/// Not equal.
pub const LIBRADOS_CMPXATTR_OP_NE: c_int = 2;
/// Greater than.
pub const LIBRADOS_CMPXATTR_OP_GT: c_int = 3;
/// Greater than or equal.
pub const LIBRADOS_CMPXATTR_OP_GTE: c_int = 4;
/// Less than.
pub const LIBRADOS_CMPXATTR_OP_LT: c_int = 5;
/// Less than or equal.
pub const LIBRADOS_CMPXATTR_OP_LTE: c_int = 6;

/// Operation flags (rados_*_op_operate, rados_aio_*_op_operate).
pub const LIBRADOS_OPERATION_NOFLAG: c_int = 0;
pub const LIBRADOS_OPERATION_BALANCE_READS: c_int = 1;
pub const LIBRADOS_OPERATION_LOCALIZE_READS: c_int = 2;
pub const LIBRADOS_OPERATION_ORDER_READS_WRITES: c_int = 4;
pub const LIBRADOS_OPERATION_IGNORE_CACHE: c_int = 8;
pub const LIBRADOS_OPERATION_SKIPRWLOCKS: c_int = 16;
pub const LIBRADOS_OPERATION_IGNORE_OVERLAY: c_int = 32;
/// Send the operation even when the pool or cluster is full.
pub const LIBRADOS_OPERATION_FULL_TRY: c_int = 64;
pub const LIBRADOS_OPERATION_FULL_FORCE: c_int = 128;
pub const LIBRADOS_OPERATION_IGNORE_REDIRECT: c_int = 256;
pub const LIBRADOS_OPERATION_ORDERSNAP: c_int = 512;
/// Allow writes to return values and payloads.
pub const LIBRADOS_OPERATION_RETURNVEC: c_int = 1024;

/// Allocation hints (rados_set_alloc_hint2).
pub const LIBRADOS_ALLOC_HINT_FLAG_SEQUENTIAL_WRITE: c_int = 1;
pub const LIBRADOS_ALLOC_HINT_FLAG_RANDOM_WRITE: c_int = 2;
pub const LIBRADOS_ALLOC_HINT_FLAG_SEQUENTIAL_READ: c_int = 4;
pub const LIBRADOS_ALLOC_HINT_FLAG_RANDOM_READ: c_int = 8;
pub const LIBRADOS_ALLOC_HINT_FLAG_APPEND_ONLY: c_int = 16;
pub const LIBRADOS_ALLOC_HINT_FLAG_IMMUTABLE: c_int = 32;
pub const LIBRADOS_ALLOC_HINT_FLAG_SHORTLIVED: c_int = 64;
pub const LIBRADOS_ALLOC_HINT_FLAG_LONGLIVED: c_int = 128;
pub const LIBRADOS_ALLOC_HINT_FLAG_COMPRESSIBLE: c_int = 256;
pub const LIBRADOS_ALLOC_HINT_FLAG_INCOMPRESSIBLE: c_int = 512;

/// A checksum algorithm (rados_*_op_checksum).
pub type rados_checksum_type_t = c_int;
pub const LIBRADOS_CHECKSUM_TYPE_XXHASH32: rados_checksum_type_t = 0;
pub const LIBRADOS_CHECKSUM_TYPE_XXHASH64: rados_checksum_type_t = 1;
pub const LIBRADOS_CHECKSUM_TYPE_CRC32C: rados_checksum_type_t = 2;

/// The snapshot id of the live object ("head"): read the current data.
pub const LIBRADOS_SNAP_HEAD: u64 = -2i64 as u64;
/// The snapshot id of an object's snapshot directory.
pub const LIBRADOS_SNAP_DIR: u64 = -1i64 as u64;

// ---------------------------------------------------------------------------
// librbd: API announcements. Programs test these with #ifdef before they use
// the calls, so a macro is defined only when the calls behind it exist.

/// rbd_aio_flush exists.
pub const LIBRBD_SUPPORTS_AIO_FLUSH: c_int = 1;
/// rbd_invalidate_cache exists.
pub const LIBRBD_SUPPORTS_INVALIDATE: c_int = 1;
/// rbd_readv / rbd_writev / rbd_aio_readv / rbd_aio_writev exist.
pub const LIBRBD_SUPPORTS_IOVEC: c_int = 1;
/// Zero, as upstream: the old rbd watch API was never provided.
pub const LIBRBD_SUPPORTS_WATCH: c_int = 0;
/// rbd_writesame / rbd_aio_writesame exist.
pub const LIBRBD_SUPPORTS_WRITESAME: c_int = 1;
/// rbd_write_zeroes / rbd_aio_write_zeroes exist.
pub const LIBRBD_SUPPORTS_WRITE_ZEROES: c_int = 1;
/// rbd_encryption_format / rbd_encryption_load exist (librbdrs answers
/// -EOPNOTSUPP: it does not encrypt images).
pub const LIBRBD_SUPPORTS_ENCRYPTION: c_int = 1;
/// rbd_encryption_load2 exists (-EOPNOTSUPP as well).
pub const LIBRBD_SUPPORTS_ENCRYPTION_LOAD2: c_int = 1;

// ---------------------------------------------------------------------------
// librbd: handles and callbacks

/// An open image. Created by rbd_open and its variants, freed by rbd_close.
pub type rbd_image_t = *mut crate::rbd::Image;

/// Options for creating, cloning or copying an image. Created by
/// rbd_image_options_create, freed by rbd_image_options_destroy.
pub type rbd_image_options_t = *mut crate::rbd::admin::ImageOptions;

/// Pool statistics to gather (rbd_pool_stats_*).
pub type rbd_pool_stats_t = *mut c_void;

/// The state of an asynchronous image operation. Created by
/// rbd_aio_create_completion, freed by rbd_aio_release.
pub type rbd_completion_t = *mut c_void;

/// Called when an asynchronous image operation completes. It runs on a
/// library thread and must not block; rbd_aio_get_return_value tells the
/// result.
pub type rbd_callback_t = Option<unsafe extern "C" fn(cb: rbd_completion_t, arg: *mut c_void)>;

/// Progress of a long operation (`offset` of `total` done). Returning a
/// negative value cancels the operation where it can be cancelled.
pub type librbd_progress_fn_t = Option<unsafe extern "C" fn(offset: u64, total: u64, ptr: *mut c_void) -> c_int>;

/// Called when an image's header changes (rbd_update_watch).
pub type rbd_update_callback_t = Option<unsafe extern "C" fn(arg: *mut c_void)>;

// ---------------------------------------------------------------------------
// librbd: snapshots

/// What kind of snapshot a snapshot id names.
pub type rbd_snap_namespace_type_t = c_int;
/// A snapshot the user made.
pub const RBD_SNAP_NAMESPACE_TYPE_USER: rbd_snap_namespace_type_t = 0;
/// Part of a group snapshot.
pub const RBD_SNAP_NAMESPACE_TYPE_GROUP: rbd_snap_namespace_type_t = 1;
/// Removed but still needed by clones.
pub const RBD_SNAP_NAMESPACE_TYPE_TRASH: rbd_snap_namespace_type_t = 2;
/// Made by snapshot-based mirroring.
pub const RBD_SNAP_NAMESPACE_TYPE_MIRROR: rbd_snap_namespace_type_t = 3;

/// An image by id and name (strings owned by the library; see
/// rbd_image_spec_cleanup).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_image_spec_t {
    pub id: *mut c_char,
    pub name: *mut c_char,
}

/// An image anywhere in the cluster: parent or child of another
/// (strings owned by the library; see rbd_linked_image_spec_cleanup).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_linked_image_spec_t {
    pub pool_id: i64,
    pub pool_name: *mut c_char,
    pub pool_namespace: *mut c_char,
    pub image_id: *mut c_char,
    pub image_name: *mut c_char,
    /// The image is in the trash.
    pub trash: bool,
}

/// A snapshot by id, kind and name (see rbd_snap_spec_cleanup).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_snap_spec_t {
    pub id: u64,
    pub namespace_type: rbd_snap_namespace_type_t,
    pub name: *mut c_char,
}

/// One entry of rbd_snap_list; the names are freed by rbd_snap_list_end.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_snap_info_t {
    pub id: u64,
    /// The image size when the snapshot was taken.
    pub size: u64,
    pub name: *const c_char,
}

/// A clone of an image (rbd_list_children2).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_child_info_t {
    pub pool_name: *const c_char,
    pub image_name: *const c_char,
    pub image_id: *const c_char,
    pub trash: bool,
}

/// An image's group and the group snapshot a snapshot belongs to.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_snap_group_namespace_t {
    pub group_pool: i64,
    pub group_name: *mut c_char,
    pub group_snap_name: *mut c_char,
}

/// rbd_snap_create2 flag: do not ask the image's users to quiesce.
pub const RBD_SNAP_CREATE_SKIP_QUIESCE: u32 = 1 << 0;
/// rbd_snap_create2 flag: take the snapshot even if quiescing fails.
pub const RBD_SNAP_CREATE_IGNORE_QUIESCE_ERROR: u32 = 1 << 1;

/// rbd_snap_remove2 flag: unprotect the snapshot first.
pub const RBD_SNAP_REMOVE_UNPROTECT: u32 = 1 << 0;
/// rbd_snap_remove2 flag: flatten the snapshot's clones first.
pub const RBD_SNAP_REMOVE_FLATTEN: u32 = 1 << 1;
/// rbd_snap_remove2 flag: both of the above.
pub const RBD_SNAP_REMOVE_FORCE: u32 = RBD_SNAP_REMOVE_UNPROTECT | RBD_SNAP_REMOVE_FLATTEN;

// ---------------------------------------------------------------------------
// librbd: images

/// Longest image name, NUL included.
pub const RBD_MAX_IMAGE_NAME_SIZE: usize = 96;
/// Longest object name prefix, NUL included.
pub const RBD_MAX_BLOCK_NAME_SIZE: usize = 24;

/// Image flag: the object map is not to be trusted.
pub const RBD_FLAG_OBJECT_MAP_INVALID: u64 = 1 << 0;
/// Image flag: the fast-diff data is not to be trusted.
pub const RBD_FLAG_FAST_DIFF_INVALID: u64 = 1 << 1;

/// rbd_set_image_notification: the descriptor is a pipe.
pub const EVENT_TYPE_PIPE: c_int = 1;
/// rbd_set_image_notification: the descriptor is an eventfd.
pub const EVENT_TYPE_EVENTFD: c_int = 2;

/// What rbd_stat reports.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_image_info_t {
    /// Image size in bytes.
    pub size: u64,
    /// Object size in bytes (1 << order).
    pub obj_size: u64,
    /// Number of objects the image spans.
    pub num_objs: u64,
    pub order: c_int,
    /// Deprecated: the data objects' name prefix.
    pub block_name_prefix: [c_char; RBD_MAX_BLOCK_NAME_SIZE],
    /// Deprecated: use rbd_get_parent.
    pub parent_pool: i64,
    /// Deprecated: use rbd_get_parent.
    pub parent_name: [c_char; RBD_MAX_IMAGE_NAME_SIZE],
}

/// Exclusive or shared advisory locks (rbd_lock_acquire, rbd_lock_get_owners).
pub type rbd_lock_mode_t = c_int;
pub const RBD_LOCK_MODE_EXCLUSIVE: rbd_lock_mode_t = 0;
pub const RBD_LOCK_MODE_SHARED: rbd_lock_mode_t = 1;

/// Image options (rbd_image_options_set_*): the option names.
pub const RBD_IMAGE_OPTION_FORMAT: c_int = 0;
pub const RBD_IMAGE_OPTION_FEATURES: c_int = 1;
pub const RBD_IMAGE_OPTION_ORDER: c_int = 2;
pub const RBD_IMAGE_OPTION_STRIPE_UNIT: c_int = 3;
pub const RBD_IMAGE_OPTION_STRIPE_COUNT: c_int = 4;
pub const RBD_IMAGE_OPTION_JOURNAL_ORDER: c_int = 5;
pub const RBD_IMAGE_OPTION_JOURNAL_SPLAY_WIDTH: c_int = 6;
pub const RBD_IMAGE_OPTION_JOURNAL_POOL: c_int = 7;
pub const RBD_IMAGE_OPTION_FEATURES_SET: c_int = 8;
pub const RBD_IMAGE_OPTION_FEATURES_CLEAR: c_int = 9;
pub const RBD_IMAGE_OPTION_DATA_POOL: c_int = 10;
pub const RBD_IMAGE_OPTION_FLATTEN: c_int = 11;
pub const RBD_IMAGE_OPTION_CLONE_FORMAT: c_int = 12;
pub const RBD_IMAGE_OPTION_MIRROR_IMAGE_MODE: c_int = 13;

/// rbd_write_zeroes / rbd_aio_write_zeroes flag: allocate the zeroed
/// extent rather than leave holes.
pub const RBD_WRITE_ZEROES_FLAG_THICK_PROVISION: c_int = 1 << 0;

/// Why an image is in the trash.
pub type rbd_trash_image_source_t = c_int;
pub const RBD_TRASH_IMAGE_SOURCE_USER: rbd_trash_image_source_t = 0;
pub const RBD_TRASH_IMAGE_SOURCE_MIRRORING: rbd_trash_image_source_t = 1;
pub const RBD_TRASH_IMAGE_SOURCE_MIGRATION: rbd_trash_image_source_t = 2;
pub const RBD_TRASH_IMAGE_SOURCE_REMOVING: rbd_trash_image_source_t = 3;
pub const RBD_TRASH_IMAGE_SOURCE_USER_PARENT: rbd_trash_image_source_t = 4;

/// An image in the trash (rbd_trash_get, rbd_trash_list).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_trash_image_info_t {
    pub id: *mut c_char,
    pub name: *mut c_char,
    pub source: rbd_trash_image_source_t,
    pub deletion_time: time_t,
    /// Until when rbd_trash_remove refuses without force.
    pub deferment_end_time: time_t,
}

/// A client watching an image's header (rbd_watchers_list).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_image_watcher_t {
    pub addr: *mut c_char,
    pub id: i64,
    pub cookie: u64,
}

/// Where a live migration stands.
pub type rbd_image_migration_state_t = c_int;
pub const RBD_IMAGE_MIGRATION_STATE_UNKNOWN: rbd_image_migration_state_t = -1;
pub const RBD_IMAGE_MIGRATION_STATE_ERROR: rbd_image_migration_state_t = 0;
pub const RBD_IMAGE_MIGRATION_STATE_PREPARING: rbd_image_migration_state_t = 1;
pub const RBD_IMAGE_MIGRATION_STATE_PREPARED: rbd_image_migration_state_t = 2;
pub const RBD_IMAGE_MIGRATION_STATE_EXECUTING: rbd_image_migration_state_t = 3;
pub const RBD_IMAGE_MIGRATION_STATE_EXECUTED: rbd_image_migration_state_t = 4;
pub const RBD_IMAGE_MIGRATION_STATE_ABORTING: rbd_image_migration_state_t = 5;

/// A live migration's source, destination and state
/// (rbd_migration_status; see rbd_migration_status_cleanup).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_image_migration_status_t {
    pub source_pool_id: i64,
    pub source_pool_namespace: *mut c_char,
    pub source_image_name: *mut c_char,
    pub source_image_id: *mut c_char,
    pub dest_pool_id: i64,
    pub dest_pool_namespace: *mut c_char,
    pub dest_image_name: *mut c_char,
    pub dest_image_id: *mut c_char,
    pub state: rbd_image_migration_state_t,
    pub state_description: *mut c_char,
}

/// Where a configuration value comes from.
pub type rbd_config_source_t = c_int;
pub const RBD_CONFIG_SOURCE_CONFIG: rbd_config_source_t = 0;
pub const RBD_CONFIG_SOURCE_POOL: rbd_config_source_t = 1;
pub const RBD_CONFIG_SOURCE_IMAGE: rbd_config_source_t = 2;

/// One configuration option of a pool or image (rbd_config_*_list).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_config_option_t {
    pub name: *mut c_char,
    pub value: *mut c_char,
    pub source: rbd_config_source_t,
}

/// A statistic rbd_pool_stats_option_add_uint64 can gather.
pub type rbd_pool_stat_option_t = c_int;
pub const RBD_POOL_STAT_OPTION_IMAGES: rbd_pool_stat_option_t = 0;
pub const RBD_POOL_STAT_OPTION_IMAGE_PROVISIONED_BYTES: rbd_pool_stat_option_t = 1;
pub const RBD_POOL_STAT_OPTION_IMAGE_MAX_PROVISIONED_BYTES: rbd_pool_stat_option_t = 2;
pub const RBD_POOL_STAT_OPTION_IMAGE_SNAPSHOTS: rbd_pool_stat_option_t = 3;
pub const RBD_POOL_STAT_OPTION_TRASH_IMAGES: rbd_pool_stat_option_t = 4;
pub const RBD_POOL_STAT_OPTION_TRASH_PROVISIONED_BYTES: rbd_pool_stat_option_t = 5;
pub const RBD_POOL_STAT_OPTION_TRASH_MAX_PROVISIONED_BYTES: rbd_pool_stat_option_t = 6;
pub const RBD_POOL_STAT_OPTION_TRASH_SNAPSHOTS: rbd_pool_stat_option_t = 7;

// ---------------------------------------------------------------------------
// librbd: groups

/// Whether an image is fully part of its group.
pub type rbd_group_image_state_t = c_int;
pub const RBD_GROUP_IMAGE_STATE_ATTACHED: rbd_group_image_state_t = 0;
pub const RBD_GROUP_IMAGE_STATE_INCOMPLETE: rbd_group_image_state_t = 1;

/// An image of a group (rbd_group_image_list).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_group_image_info_t {
    pub name: *mut c_char,
    pub pool: i64,
    pub state: rbd_group_image_state_t,
}

/// The group an image belongs to (rbd_get_group).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_group_info_t {
    pub name: *mut c_char,
    pub pool: i64,
}

/// Whether a group snapshot has been taken of every image.
pub type rbd_group_snap_state_t = c_int;
pub const RBD_GROUP_SNAP_STATE_INCOMPLETE: rbd_group_snap_state_t = 0;
pub const RBD_GROUP_SNAP_STATE_COMPLETE: rbd_group_snap_state_t = 1;

/// A snapshot of a group (rbd_group_snap_list).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_group_snap_info_t {
    pub name: *mut c_char,
    pub state: rbd_group_snap_state_t,
}

// ---------------------------------------------------------------------------
// librbd: mirroring

/// A pool's mirroring mode.
pub type rbd_mirror_mode_t = c_int;
pub const RBD_MIRROR_MODE_DISABLED: rbd_mirror_mode_t = 0;
/// Mirroring enabled image by image.
pub const RBD_MIRROR_MODE_IMAGE: rbd_mirror_mode_t = 1;
/// Mirroring enabled on every journaled image.
pub const RBD_MIRROR_MODE_POOL: rbd_mirror_mode_t = 2;

/// Which way images go between a pool and a peer.
pub type rbd_mirror_peer_direction_t = c_int;
pub const RBD_MIRROR_PEER_DIRECTION_RX: rbd_mirror_peer_direction_t = 0;
pub const RBD_MIRROR_PEER_DIRECTION_TX: rbd_mirror_peer_direction_t = 1;
pub const RBD_MIRROR_PEER_DIRECTION_RX_TX: rbd_mirror_peer_direction_t = 2;

/// A mirroring peer (deprecated: rbd_mirror_peer_site_t).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_mirror_peer_t {
    pub uuid: *mut c_char,
    pub cluster_name: *mut c_char,
    pub client_name: *mut c_char,
}

/// A mirroring peer site (rbd_mirror_peer_site_list).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_mirror_peer_site_t {
    pub uuid: *mut c_char,
    pub direction: rbd_mirror_peer_direction_t,
    pub site_name: *mut c_char,
    pub mirror_uuid: *mut c_char,
    pub client_name: *mut c_char,
    pub last_seen: time_t,
}

/// How an image is mirrored.
pub type rbd_mirror_image_mode_t = c_int;
pub const RBD_MIRROR_IMAGE_MODE_JOURNAL: rbd_mirror_image_mode_t = 0;
pub const RBD_MIRROR_IMAGE_MODE_SNAPSHOT: rbd_mirror_image_mode_t = 1;

/// Whether an image is mirrored.
pub type rbd_mirror_image_state_t = c_int;
pub const RBD_MIRROR_IMAGE_DISABLING: rbd_mirror_image_state_t = 0;
pub const RBD_MIRROR_IMAGE_ENABLED: rbd_mirror_image_state_t = 1;
pub const RBD_MIRROR_IMAGE_DISABLED: rbd_mirror_image_state_t = 2;

/// An image's mirroring (rbd_mirror_image_get_info; see
/// rbd_mirror_image_get_info_cleanup).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_mirror_image_info_t {
    pub global_id: *mut c_char,
    pub state: rbd_mirror_image_state_t,
    pub primary: bool,
}

/// What rbd-mirror reports of an image (MIRROR_IMAGE_STATUS_STATE_*).
pub type rbd_mirror_image_status_state_t = c_int;

/// An image's mirroring status (deprecated: the global status).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_mirror_image_status_t {
    pub name: *mut c_char,
    pub info: rbd_mirror_image_info_t,
    pub state: rbd_mirror_image_status_state_t,
    pub description: *mut c_char,
    pub last_update: time_t,
    pub up: bool,
}

/// One site's status of a mirrored image.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_mirror_image_site_status_t {
    pub mirror_uuid: *mut c_char,
    pub state: rbd_mirror_image_status_state_t,
    pub description: *mut c_char,
    pub last_update: time_t,
    pub up: bool,
}

/// An image's mirroring status at every site (see
/// rbd_mirror_image_global_status_cleanup).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_mirror_image_global_status_t {
    pub name: *mut c_char,
    pub info: rbd_mirror_image_info_t,
    pub site_statuses_count: u32,
    pub site_statuses: *mut rbd_mirror_image_site_status_t,
}

/// A mirror snapshot's role.
pub type rbd_snap_mirror_state_t = c_int;
pub const RBD_SNAP_MIRROR_STATE_PRIMARY: rbd_snap_mirror_state_t = 0;
pub const RBD_SNAP_MIRROR_STATE_PRIMARY_DEMOTED: rbd_snap_mirror_state_t = 1;
pub const RBD_SNAP_MIRROR_STATE_NON_PRIMARY: rbd_snap_mirror_state_t = 2;
pub const RBD_SNAP_MIRROR_STATE_NON_PRIMARY_DEMOTED: rbd_snap_mirror_state_t = 3;

/// A mirror snapshot (rbd_snap_get_mirror_namespace; see
/// rbd_snap_mirror_namespace_cleanup). The peer uuids are NUL-separated.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_snap_mirror_namespace_t {
    pub state: rbd_snap_mirror_state_t,
    pub mirror_peer_uuids_count: usize,
    pub mirror_peer_uuids: *mut c_char,
    pub complete: bool,
    pub primary_mirror_uuid: *mut c_char,
    pub primary_snap_id: u64,
    pub last_copied_object_number: u64,
}

// ---------------------------------------------------------------------------
// librbd: encryption

/// An image encryption format.
pub type rbd_encryption_format_t = c_int;
pub const RBD_ENCRYPTION_FORMAT_LUKS1: rbd_encryption_format_t = 0;
pub const RBD_ENCRYPTION_FORMAT_LUKS2: rbd_encryption_format_t = 1;
/// Load either LUKS version (rbd_encryption_load only).
pub const RBD_ENCRYPTION_FORMAT_LUKS: rbd_encryption_format_t = 2;

/// A data cipher.
pub type rbd_encryption_algorithm_t = c_int;
pub const RBD_ENCRYPTION_ALGORITHM_AES128: rbd_encryption_algorithm_t = 0;
pub const RBD_ENCRYPTION_ALGORITHM_AES256: rbd_encryption_algorithm_t = 1;

/// Points at the options structure of the format in use.
pub type rbd_encryption_options_t = *mut c_void;

/// One layer's format and options (rbd_encryption_load2).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_encryption_spec_t {
    pub format: rbd_encryption_format_t,
    pub opts: rbd_encryption_options_t,
    pub opts_size: usize,
}

/// Options of RBD_ENCRYPTION_FORMAT_LUKS1.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_encryption_luks1_format_options_t {
    pub alg: rbd_encryption_algorithm_t,
    pub passphrase: *const c_char,
    pub passphrase_size: usize,
}

/// Options of RBD_ENCRYPTION_FORMAT_LUKS2.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_encryption_luks2_format_options_t {
    pub alg: rbd_encryption_algorithm_t,
    pub passphrase: *const c_char,
    pub passphrase_size: usize,
}

/// Options of RBD_ENCRYPTION_FORMAT_LUKS (load only: the header tells the
/// cipher).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct rbd_encryption_luks_format_options_t {
    pub passphrase: *const c_char,
    pub passphrase_size: usize,
}

// ---------------------------------------------------------------------------
// rbd/features.h

/// Clones (copy-on-write children of a snapshot).
pub const RBD_FEATURE_LAYERING: u64 = 1u64 << 0;
/// Striping other than one object at a time.
pub const RBD_FEATURE_STRIPINGV2: u64 = 1u64 << 1;
/// One writer at a time, through the header object's lock.
pub const RBD_FEATURE_EXCLUSIVE_LOCK: u64 = 1u64 << 2;
/// A map of which objects exist.
pub const RBD_FEATURE_OBJECT_MAP: u64 = 1u64 << 3;
/// The object map also tracks which objects changed.
pub const RBD_FEATURE_FAST_DIFF: u64 = 1u64 << 4;
/// Flattening a clone also detaches its snapshots.
pub const RBD_FEATURE_DEEP_FLATTEN: u64 = 1u64 << 5;
pub const RBD_FEATURE_JOURNALING: u64 = 1u64 << 6;
/// Data objects in a pool other than the header's.
pub const RBD_FEATURE_DATA_POOL: u64 = 1u64 << 7;
/// Operation features (clone v2, groups, snapshot trash) are in use.
pub const RBD_FEATURE_OPERATIONS: u64 = 1u64 << 8;
pub const RBD_FEATURE_MIGRATING: u64 = 1u64 << 9;
pub const RBD_FEATURE_NON_PRIMARY: u64 = 1u64 << 10;
pub const RBD_FEATURE_DIRTY_CACHE: u64 = 1u64 << 11;

/// What rbd_create gives a new image when rbd_default_features is unset.
pub const RBD_FEATURES_DEFAULT: u64 = RBD_FEATURE_LAYERING
    | RBD_FEATURE_EXCLUSIVE_LOCK
    | RBD_FEATURE_OBJECT_MAP
    | RBD_FEATURE_FAST_DIFF
    | RBD_FEATURE_DEEP_FLATTEN;

/// A client that does not know these cannot read the image.
pub const RBD_FEATURES_INCOMPATIBLE: u64 =
    RBD_FEATURE_LAYERING | RBD_FEATURE_STRIPINGV2 | RBD_FEATURE_DATA_POOL | RBD_FEATURE_DIRTY_CACHE;

/// A client that does not know these cannot write the image.
pub const RBD_FEATURES_RW_INCOMPATIBLE: u64 = RBD_FEATURES_INCOMPATIBLE
    | RBD_FEATURE_EXCLUSIVE_LOCK
    | RBD_FEATURE_OBJECT_MAP
    | RBD_FEATURE_FAST_DIFF
    | RBD_FEATURE_DEEP_FLATTEN
    | RBD_FEATURE_JOURNALING
    | RBD_FEATURE_OPERATIONS
    | RBD_FEATURE_MIGRATING
    | RBD_FEATURE_NON_PRIMARY;

/// Every feature bit defined.
pub const RBD_FEATURES_ALL: u64 = RBD_FEATURE_LAYERING
    | RBD_FEATURE_STRIPINGV2
    | RBD_FEATURE_EXCLUSIVE_LOCK
    | RBD_FEATURE_OBJECT_MAP
    | RBD_FEATURE_FAST_DIFF
    | RBD_FEATURE_DEEP_FLATTEN
    | RBD_FEATURE_JOURNALING
    | RBD_FEATURE_DATA_POOL
    | RBD_FEATURE_OPERATIONS
    | RBD_FEATURE_MIGRATING
    | RBD_FEATURE_NON_PRIMARY
    | RBD_FEATURE_DIRTY_CACHE;

/// Features rbd_update_features may turn on or off.
pub const RBD_FEATURES_MUTABLE: u64 = RBD_FEATURE_EXCLUSIVE_LOCK
    | RBD_FEATURE_OBJECT_MAP
    | RBD_FEATURE_FAST_DIFF
    | RBD_FEATURE_JOURNALING
    | RBD_FEATURE_NON_PRIMARY
    | RBD_FEATURE_DIRTY_CACHE;

/// Mutable features only the library itself changes.
pub const RBD_FEATURES_MUTABLE_INTERNAL: u64 = RBD_FEATURE_NON_PRIMARY | RBD_FEATURE_DIRTY_CACHE;

/// Features that can be turned off but not on.
pub const RBD_FEATURES_DISABLE_ONLY: u64 = RBD_FEATURE_DEEP_FLATTEN;

/// Features that assume a single writing client.
pub const RBD_FEATURES_SINGLE_CLIENT: u64 = RBD_FEATURE_EXCLUSIVE_LOCK
    | RBD_FEATURE_OBJECT_MAP
    | RBD_FEATURE_FAST_DIFF
    | RBD_FEATURE_JOURNALING
    | RBD_FEATURE_DIRTY_CACHE;

/// Features the library turns on by itself when they are needed.
pub const RBD_FEATURES_IMPLICIT_ENABLE: u64 = RBD_FEATURE_STRIPINGV2
    | RBD_FEATURE_DATA_POOL
    | RBD_FEATURE_FAST_DIFF
    | RBD_FEATURE_OPERATIONS
    | RBD_FEATURE_MIGRATING
    | RBD_FEATURE_NON_PRIMARY
    | RBD_FEATURE_DIRTY_CACHE;

/// Features the user cannot set.
pub const RBD_FEATURES_INTERNAL: u64 = RBD_FEATURE_OPERATIONS | RBD_FEATURE_MIGRATING;

/// Operation feature: the image is the parent of a v2 clone.
pub const RBD_OPERATION_FEATURE_CLONE_PARENT: u64 = 1u64 << 0;
/// Operation feature: the image is a v2 clone.
pub const RBD_OPERATION_FEATURE_CLONE_CHILD: u64 = 1u64 << 1;
/// Operation feature: the image is in a group.
pub const RBD_OPERATION_FEATURE_GROUP: u64 = 1u64 << 2;
/// Operation feature: the image has snapshots in the trash namespace.
pub const RBD_OPERATION_FEATURE_SNAP_TRASH: u64 = 1u64 << 3;
/// Every operation feature defined.
pub const RBD_OPERATION_FEATURES_ALL: u64 = RBD_OPERATION_FEATURE_CLONE_PARENT
    | RBD_OPERATION_FEATURE_CLONE_CHILD
    | RBD_OPERATION_FEATURE_GROUP
    | RBD_OPERATION_FEATURE_SNAP_TRASH;

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    //! Sizes and field offsets on LP64, as upstream's headers lay them out
    //! (tests/headers.rs also compares them with the installed upstream
    //! headers when there are any).

    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn image_info_layout() {
        assert_eq!(offset_of!(rbd_image_info_t, order), 24);
        assert_eq!(offset_of!(rbd_image_info_t, block_name_prefix), 28);
        assert_eq!(offset_of!(rbd_image_info_t, parent_pool), 56);
        assert_eq!(offset_of!(rbd_image_info_t, parent_name), 64);
        assert_eq!(size_of::<rbd_image_info_t>(), 160);
    }

    #[test]
    fn small_struct_layouts() {
        assert_eq!(size_of::<rbd_snap_info_t>(), 24);
        assert_eq!(size_of::<rbd_snap_spec_t>(), 24);
        assert_eq!(offset_of!(rbd_snap_spec_t, name), 16);
        assert_eq!(size_of::<rbd_linked_image_spec_t>(), 48);
        assert_eq!(size_of::<rbd_trash_image_info_t>(), 40);
        assert_eq!(size_of::<rbd_image_migration_status_t>(), 80);
        assert_eq!(size_of::<rbd_encryption_luks1_format_options_t>(), 24);
        assert_eq!(size_of::<rbd_encryption_luks_format_options_t>(), 16);
        assert_eq!(size_of::<rados_pool_stat_t>(), 16 * 8);
        assert_eq!(size_of::<obj_watch_t>(), 256 + 24);
        assert_eq!(size_of::<iovec>(), 16);
    }

    #[test]
    fn feature_sets() {
        assert_eq!(RBD_FEATURES_DEFAULT, 0x3d);
        assert_eq!(RBD_FEATURES_ALL, 0xfff);
        assert_eq!(LIBRADOS_SNAP_HEAD, u64::MAX - 1);
        assert_eq!(LIBRADOS_SNAP_DIR, u64::MAX);
    }
}
