//! rbd_version / rados_version: the library versions librbd and librados
//! report (LIBRBD_VER 1.18.0 and LIBRADOS_VER 3.0.0, as in Reef).

use std::os::raw::c_int;

use crate::boundary::guard;

pub const LIBRBD_VER_MAJOR: c_int = 1;
pub const LIBRBD_VER_MINOR: c_int = 18;
pub const LIBRBD_VER_EXTRA: c_int = 0;

pub const LIBRADOS_VER_MAJOR: c_int = 3;
pub const LIBRADOS_VER_MINOR: c_int = 0;
pub const LIBRADOS_VER_EXTRA: c_int = 0;

/// Writes each non-NULL out-parameter.
///
/// # Safety
/// Each pointer is NULL or valid for writing one `int`.
unsafe fn write_version(out: [(*mut c_int, c_int); 3]) {
    for (ptr, value) in out {
        if !ptr.is_null() {
            // SAFETY: the caller promises non-NULL pointers are writable.
            unsafe { ptr.write(value) };
        }
    }
}

/// Reports librbd's version. Any pointer may be NULL.
///
/// # Safety
/// Non-NULL pointers must be valid for writing one `int`.
#[no_mangle]
pub unsafe extern "C" fn rbd_version(major: *mut c_int, minor: *mut c_int, extra: *mut c_int) {
    // SAFETY: forwarded caller contract.
    guard(|| {
        unsafe { write_version([(major, LIBRBD_VER_MAJOR), (minor, LIBRBD_VER_MINOR), (extra, LIBRBD_VER_EXTRA)]) };
        Ok(())
    })
}

/// Reports librados's version. Any pointer may be NULL.
///
/// # Safety
/// Non-NULL pointers must be valid for writing one `int`.
#[no_mangle]
pub unsafe extern "C" fn rados_version(major: *mut c_int, minor: *mut c_int, extra: *mut c_int) {
    // SAFETY: forwarded caller contract.
    guard(|| {
        unsafe {
            write_version([(major, LIBRADOS_VER_MAJOR), (minor, LIBRADOS_VER_MINOR), (extra, LIBRADOS_VER_EXTRA)])
        };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_null_pointers() {
        let (mut a, mut b, mut c) = (0, 0, 0);
        unsafe { rbd_version(&mut a, &mut b, &mut c) };
        assert_eq!((a, b, c), (1, 18, 0));
        unsafe { rados_version(&mut a, std::ptr::null_mut(), std::ptr::null_mut()) };
        assert_eq!(a, 3);
        unsafe { rbd_version(std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut()) };
    }
}
