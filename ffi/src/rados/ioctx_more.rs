//! More pool-context settings: the locator key, the namespace as text,
//! and librados's retired pool-owner and alignment calls.

use crate::types::*;
use std::ffi::c_char;

use super::ioctx;
use crate::boundary::{guard, opt_cstr};

/// Places later operations' objects by `key` rather than by their names
/// (NULL or "": by name again), as librados's object locator key.
///
/// # Safety
/// `io` from rados_ioctx_create; `key` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_locator_set_key(io: rados_ioctx_t, key: *const c_char) {
    guard(|| {
        // SAFETY: checked handle and string.
        if let (Ok(io), Ok(key)) = unsafe { (ioctx(io), opt_cstr(key)) } {
            io.io.set_locator_key(key.unwrap_or(""));
        }
        Ok(())
    })
}
