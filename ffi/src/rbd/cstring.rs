//! Strings librbd hands out inside structs: malloc'ed copies the matching
//! *_cleanup call (or the caller, with free(3)) releases.

use std::ffi::c_char;

use rbdrs_client::proto::Errno;

use crate::boundary::malloc_copy;

/// A malloc'ed, NUL-terminated copy of `text` (strdup).
pub(crate) fn dup(text: &str) -> Result<*mut c_char, Errno> {
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(0);
    malloc_copy(&bytes)
}

/// Frees what [`dup`] made and clears the pointer; NULL is fine.
pub(crate) fn release(ptr: &mut *mut c_char) {
    if !ptr.is_null() {
        // SAFETY: non-NULL pointers in the structs we fill come from dup().
        unsafe { libc::free(ptr.cast()) };
        *ptr = std::ptr::null_mut();
    }
}

/// -ERANGE unless the caller's struct size is ours (librbd's check of
/// the size arguments).
pub(crate) fn check_size<T>(size: usize) -> Result<(), Errno> {
    if size == std::mem::size_of::<T>() {
        Ok(())
    } else {
        Err(Errno::ERANGE)
    }
}

/// Runs `free` on each of the `count` entries of a list librbd(rs) filled
/// (NULL: nothing to do).
///
/// # Safety
/// `list` NULL or valid for `count` entries.
pub(crate) unsafe fn free_each<T>(list: *mut T, count: usize, free: impl Fn(&mut T)) {
    if list.is_null() {
        return;
    }
    for i in 0..count {
        // SAFETY: per the contract.
        free(unsafe { &mut *list.add(i) });
    }
}
