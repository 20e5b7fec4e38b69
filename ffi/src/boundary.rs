//! The panic boundary every export goes through, and checked access to
//! what C hands us.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use rbdrs_core::Errno;

/// Runs an export's body; a panic becomes -EIO instead of unwinding into C.
/// Bodies hold no lock across a panic point that C could observe later, so
/// asserting unwind safety is sound here.
pub(crate) fn guard(body: impl FnOnce() -> Result<i32, Errno>) -> i32 {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(ret)) => ret,
        Ok(Err(errno)) => errno.to_ret(),
        Err(_) => Errno::EIO.to_ret(),
    }
}

/// [`guard`] for exports returning a byte count (ssize_t, int64_t).
// No librados export returns one; librbd's reads and writes will.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn guard_len(body: impl FnOnce() -> Result<isize, Errno>) -> isize {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(ret)) => ret,
        Ok(Err(errno)) => errno.to_ret() as isize,
        Err(_) => Errno::EIO.to_ret() as isize,
    }
}

/// For exports that return nothing: a panic is swallowed.
pub(crate) fn guard_void(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

/// A C string argument: NULL or invalid UTF-8 is -EINVAL.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string valid for the call.
pub(crate) unsafe fn cstr<'a>(ptr: *const c_char) -> Result<&'a str, Errno> {
    if ptr.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    unsafe { CStr::from_ptr(ptr) }.to_str().map_err(|_| Errno::EINVAL)
}

/// An optional C string: NULL is None.
///
/// # Safety
/// As [`cstr`].
pub(crate) unsafe fn opt_cstr<'a>(ptr: *const c_char) -> Result<Option<&'a str>, Errno> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    unsafe { cstr(ptr) }.map(Some)
}

/// Writes `value` through an out-pointer; NULL is -EINVAL.
///
/// # Safety
/// `ptr` is NULL or valid for writing a `T`.
pub(crate) unsafe fn put<T>(ptr: *mut T, value: T) -> Result<(), Errno> {
    if ptr.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: non-NULL and writable by the caller's contract.
    unsafe { ptr.write(value) };
    Ok(())
}

/// Copies `text` and a NUL into `buf` of `len` bytes; -ERANGE (with the
/// needed size in `needed` when given) if it does not fit.
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes; `needed` is NULL or writable.
pub(crate) unsafe fn put_cstr(buf: *mut c_char, len: usize, text: &str, needed: *mut usize) -> Result<(), Errno> {
    if !needed.is_null() {
        // SAFETY: non-NULL and writable by contract.
        unsafe { needed.write(text.len() + 1) };
    }
    if buf.is_null() || len < text.len() + 1 {
        return Err(Errno::ERANGE);
    }
    // SAFETY: buf holds at least len >= text.len() + 1 bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        buf.add(text.len()).write(0);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_eio() {
        assert_eq!(guard(|| panic!("boom")), -5);
        assert_eq!(guard(|| Err(Errno::EINVAL)), -22);
        assert_eq!(guard(|| Ok(3)), 3);
        assert_eq!(guard_len(|| panic!("boom")), -5);
        guard_void(|| panic!("swallowed"));
    }

    #[test]
    fn c_arguments_are_checked() {
        assert_eq!(unsafe { cstr(std::ptr::null()) }, Err(Errno::EINVAL));
        assert_eq!(unsafe { cstr(c"rbd".as_ptr()) }, Ok("rbd"));
        assert_eq!(unsafe { put::<i32>(std::ptr::null_mut(), 1) }, Err(Errno::EINVAL));
        let mut buf = [0 as c_char; 4];
        let mut needed = 0usize;
        assert_eq!(unsafe { put_cstr(buf.as_mut_ptr(), 4, "toolong", &mut needed) }, Err(Errno::ERANGE));
        assert_eq!(needed, 8);
        assert_eq!(unsafe { put_cstr(buf.as_mut_ptr(), 4, "rbd", std::ptr::null_mut()) }, Ok(()));
        assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str(), Ok("rbd"));
    }
}
