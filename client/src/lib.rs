//! The Rust client of librbdrs: what drives the sans-IO core.
//!
//! It owns the runtime (one executor thread per connection), the
//! transports (a real cluster over TCP, the embedded local store, the
//! in-memory store), the configuration (ceph.conf, `CEPH_ARGS`, keyrings)
//! and the cache driver. Its API follows librados and librbd:
//!
//! ```no_run
//! use rbdrs_client::{ImageOptions, Image, Rados};
//!
//! let rados = Rados::new(None);
//! rados.config()?.set("rbdrs_local_store", "/var/lib/rbdrs")?;
//! rados.connect()?;
//! let io = rados.ioctx("rbd")?;
//! io.create_image("disk", 1 << 30, &ImageOptions::default())?;
//! let image = Image::open(&io, "disk", None, false)?;
//! image.write(0, b"hello")?;
//! image.flush()?;
//! # Ok::<(), rbdrs_client::Errno>(())
//! ```
//!
//! Errors are [`Errno`]s, librbd's negative return values made positive.
//! Every call that waits is bounded: IO by `rados_osd_op_timeout`, the rest
//! by `client_mount_timeout`.
//!
//! The C library (`ffi/`, librbdrs.so) is a thin shell over this crate.
//! Unsafe code is confined to [`sys`] (poll(2)).

#![deny(unsafe_code)]

mod application;
pub mod cluster;
pub mod config;
pub mod feature_state;
pub mod image;
mod json;
mod listing;
pub mod local;
pub mod memory;
pub mod rados;
mod release;
pub mod runtime;
mod sys;
pub mod watch;

/// The sans-IO core this crate drives, for what the API does not wrap
/// (object operations, wire types), as quinn re-exports quinn-proto.
pub use rbdrs_core as proto;

pub use image::admin::ImageOptions;
pub use image::{Image, ImageInfo, ParentSpec, SnapInfo};
pub use rados::{CommandOutput, Connection, IoCtx, Rados};
pub use rbdrs_core::image::io::CompareOutcome;
pub use rbdrs_core::Errno;
pub use runtime::Task;
