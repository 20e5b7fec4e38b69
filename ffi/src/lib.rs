//! The C boundary of librbdrs: librbd.so.1 and librados.so.2 as a single
//! library. This is the only crate with `unsafe`; every export checks its
//! pointers and catches panics (see [`boundary`]), so no Rust panic or bad
//! argument can take the host process (a VM, fio, SPDK) down.

#![deny(unsafe_op_in_unsafe_fn)]

mod boundary;
mod handle;
pub mod rados;
pub mod rbd;
#[cfg(target_os = "linux")]
mod symver;
pub mod types;
pub mod version;
