//! The sans-IO core of librbdrs.
//!
//! Nothing here opens a socket, starts a thread, touches a file or reads a
//! clock: bytes, time and randomness come in as arguments, and what must be
//! sent goes out as values. Drivers in `std` code (the C library, the
//! transports) feed it.
//!
//! Map of the crate, in librbd's vocabulary:
//! - [`auth`]: cephx and AUTH_NONE, client side: keys, keyrings, the
//!   monitor handshake, ticket renewal and service authorizers.
//! - [`encoding`]: Ceph's little-endian wire encoding and versioned envelopes.
//! - [`naming`]: the names of RBD's objects (header, data, object map, ...).
//! - [`striper`]: image extents to object extents and back.
//! - [`osd`]: the object-operation model (what librados sends to an OSD).
//! - [`cls`]: object classes (cls_lock, cls_rbd): calls, replies and servers.
//! - [`object_map`]: the per-image object map and its bit vector.
//! - [`cache`]: librbd's client cache (rbd_cache) as a state machine.
//! - [`crc32c`]: Ceph's CRC-32C, as its checksummed encodings use it.
//! - [`crush`] and [`osdmap`]: the CRUSH map and OSDMap (full and
//!   incremental) decoders, and object -> pg -> OSD placement.
//! - [`msgr`]: the messenger v2 wire protocol: banner, frames (crc and
//!   secure mode) and frame payloads.
//! - [`objecter`]: MOSDOp and its replies; sends ops to their primary OSD
//!   and follows them across map changes, resets and backoffs.
//! - [`mon`]: the monitor session (MonClient): hunting, maps, pool ops.
//! - [`memstore`]: an in-memory object store that executes those operations
//!   with an OSD's semantics, for tests and as the reference backend.
//! - [`rados`]: the dispatcher flows submit to, and RadosClient, which
//!   answers it from a real cluster.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod auth;
pub mod cache;
pub mod cls;
pub mod crc32c;
pub mod crush;
pub mod encoding;
pub mod entity;
pub mod errno;
/// Fuzz harnesses: the fuzz crate's targets and the unit tests run them;
/// the library proper does not carry them.
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod image;
pub mod memstore;
pub mod mon;
pub mod msgr;
pub mod naming;
pub mod object_map;
pub mod objecter;
pub mod osd;
pub mod osdmap;
pub mod rados;
pub mod random;
pub mod striper;
pub mod time;

pub use errno::Errno;
