//! ELF symbol versions. Programs linked against Debian's librados bind
//! `rados_ioctx_pool_stat@LIBRADOS_14.2.0` (python3-rados, libvirt), so
//! the library must define that version, or ld.so refuses to load them.
//!
//! Each versioned name is a separate entry point: tagging the exported
//! function itself would leave librbdrs.a with two definitions of one name.
//! The version node is defined in ffi/librbdrs.map (ffi/build.rs passes it).

use std::ffi::c_int;

use crate::types::{rados_ioctx_t, rados_pool_stat_t};

/// `rados_ioctx_pool_stat@LIBRADOS_14.2.0`.
///
/// # Safety
/// As rados_ioctx_pool_stat.
#[inline(never)]
unsafe extern "C" fn pool_stat_v14_2(io: rados_ioctx_t, stats: *mut rados_pool_stat_t) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { crate::rados::rados_ioctx_pool_stat(io, stats) }
}

// `.globl` so the versioned alias is exported; rustc's version script
// still hides the mangled name itself.
std::arch::global_asm!(
    ".globl {stat}",
    ".symver {stat}, rados_ioctx_pool_stat@LIBRADOS_14.2.0",
    stat = sym pool_stat_v14_2,
);
