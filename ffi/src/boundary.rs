//! The panic boundary every export goes through, and checked access to
//! what C hands us.

use std::ffi::{c_char, c_int, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use rbdrs_client::proto::Errno;

/// What an export returns when its body fails: the errno in the export's
/// own return type (negative for integers, NULL for pointers, nothing for
/// void).
pub(crate) trait Ret {
    fn failed(errno: Errno) -> Self;
}

impl Ret for i32 {
    fn failed(errno: Errno) -> i32 {
        errno.to_ret()
    }
}

impl Ret for isize {
    fn failed(errno: Errno) -> isize {
        errno.to_ret() as isize
    }
}

impl Ret for i64 {
    fn failed(errno: Errno) -> i64 {
        i64::from(errno.to_ret())
    }
}

/// librados's unsigned getters (rados_aio_get_version) answer 0.
impl Ret for u64 {
    fn failed(_: Errno) -> u64 {
        0
    }
}

impl Ret for () {
    fn failed(_: Errno) {}
}

impl<T> Ret for *mut T {
    fn failed(_: Errno) -> *mut T {
        std::ptr::null_mut()
    }
}

/// The one panic boundary: every export runs its body here, and a panic
/// becomes -EIO (or the type's failure value) instead of unwinding into C.
/// Bodies hold no lock across a panic point that C could observe later, so
/// asserting unwind safety is sound here. tests/c_boundary.rs fails on an
/// export that does not come through it.
pub(crate) fn guard<R: Ret>(body: impl FnOnce() -> Result<R, Errno>) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(ret)) => ret,
        Ok(Err(errno)) => R::failed(errno),
        Err(_) => R::failed(Errno::EIO),
    }
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

/// Copies NUL-terminated `items` one after another into `buf` of `*len`
/// bytes; sets `*len` to what they need. False when they do not fit.
///
/// # Safety
/// `len` writable; `buf` NULL or valid for `*len` bytes.
pub(crate) unsafe fn put_strings(buf: *mut c_char, len: *mut usize, items: &[&str]) -> Result<bool, Errno> {
    if len.is_null() {
        return Err(Errno::EINVAL);
    }
    let needed: usize = items.iter().map(|s| s.len() + 1).sum();
    // SAFETY: checked non-NULL, writable by contract.
    let room = unsafe { len.replace(needed) };
    if room < needed || (needed > 0 && buf.is_null()) {
        return Ok(false);
    }
    let mut at = 0;
    for item in items {
        // SAFETY: buf holds room >= needed bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(item.as_ptr(), buf.add(at).cast::<u8>(), item.len());
            buf.add(at + item.len()).write(0);
        }
        at += item.len() + 1;
    }
    Ok(true)
}

/// Where list_lockers (librados's and librbd's) puts its answer.
pub(crate) struct LockerBufs {
    pub exclusive: *mut c_int,
    pub tag: (*mut c_char, *mut usize),
    pub clients: (*mut c_char, *mut usize),
    pub cookies: (*mut c_char, *mut usize),
    pub addrs: (*mut c_char, *mut usize),
}

impl LockerBufs {
    /// Fills every buffer with `lockers` (client, cookie, address each);
    /// how many, or -ERANGE with every length set to what it needs.
    ///
    /// # Safety
    /// `exclusive` and the lengths writable; each buffer NULL or valid for
    /// its length.
    pub(crate) unsafe fn fill(&self, exclusive: bool, tag: &str, lockers: &[[String; 3]]) -> Result<isize, Errno> {
        // SAFETY: per the contract.
        unsafe { put(self.exclusive, c_int::from(exclusive)) }?;
        let of = |i: usize| lockers.iter().map(|l| l[i].as_str()).collect::<Vec<_>>();
        // SAFETY: per the contract; every length is set, short or not.
        let fits = unsafe {
            [
                put_strings(self.clients.0, self.clients.1, &of(0))?,
                put_strings(self.cookies.0, self.cookies.1, &of(1))?,
                put_strings(self.addrs.0, self.addrs.1, &of(2))?,
                put_strings(self.tag.0, self.tag.1, &[tag])?,
            ]
        };
        if fits.contains(&false) {
            return Err(Errno::ERANGE);
        }
        Ok(lockers.len() as isize)
    }
}

/// A copy of `bytes` in memory from malloc, as librados hands out the
/// buffers callers free with rados_buffer_free (free(3)). NULL for none.
pub(crate) fn malloc_copy(bytes: &[u8]) -> Result<*mut c_char, Errno> {
    // SAFETY: malloc of at least one byte; checked for NULL below.
    let buf = unsafe { libc::malloc(bytes.len().max(1)) }.cast::<c_char>();
    if buf.is_null() {
        return Err(Errno::ENOMEM);
    }
    // SAFETY: buf holds bytes.len() bytes, fresh, so no overlap.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), bytes.len()) };
    Ok(buf)
}

/// Hands `bytes` to C as librados does: a malloc'ed copy (NULL when
/// empty) and its length, each only when asked for.
///
/// # Safety
/// `buf` and `len` NULL or writable.
pub(crate) unsafe fn put_output(bytes: &[u8], buf: *mut *mut c_char, len: *mut usize) -> Result<(), Errno> {
    if !buf.is_null() {
        let copy = if bytes.is_empty() { std::ptr::null_mut() } else { malloc_copy(bytes)? };
        // SAFETY: checked non-NULL, writable by contract.
        unsafe { buf.write(copy) };
    }
    if !len.is_null() {
        // SAFETY: as above.
        unsafe { len.write(bytes.len()) };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_eio() {
        assert_eq!(guard::<i32>(|| panic!("boom")), -5);
        assert_eq!(guard::<i32>(|| Err(Errno::EINVAL)), -22);
        assert_eq!(guard(|| Ok(3)), 3);
        assert_eq!(guard::<isize>(|| panic!("boom")), -5);
        assert_eq!(guard::<i64>(|| Err(Errno::ENOENT)), -2);
        assert!(guard::<*mut u8>(|| panic!("boom")).is_null());
        guard::<()>(|| panic!("swallowed"));
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
