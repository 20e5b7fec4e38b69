//! The iterators librados hands out over an object's omap entries
//! (rados_omap_iter_t) and attributes (rados_xattrs_iter_t): a snapshot of
//! entries, walked by _next calls whose pointers stay valid until _end.

use crate::types::*;
use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, c_uint, CString};

use bytes::Bytes;
use rbdrs_client::proto::encoding::decode_exact;
use rbdrs_client::proto::osd::ObjectOperation;
use rbdrs_client::proto::Errno;

use super::object::{read, target, OutPtr};
use crate::boundary::{cstr, guard, put};
use crate::handle::{self, c_handle, Magic};

/// The entries of an omap or attribute listing, keys NUL-terminated.
#[derive(Debug)]
pub struct EntryIter {
    magic: Magic,
    entries: Vec<(CString, Bytes)>,
    next: usize,
}
c_handle!(EntryIter, 0x7262_6472_7369_7472); // "rbdrsitr"

impl EntryIter {
    /// An empty iterator handed to C (filled when its read op runs).
    pub(super) fn give_empty() -> *mut EntryIter {
        handle::give(EntryIter { magic: Magic::of::<EntryIter>(), entries: Vec::new(), next: 0 })
    }

    /// Replaces the entries; keys with a NUL (impossible to hand to C as a
    /// string) are -EINVAL.
    pub(super) fn fill(&mut self, entries: BTreeMap<String, Bytes>) -> Result<(), Errno> {
        let mut list = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            list.push((CString::new(key).map_err(|_| Errno::EINVAL)?, value));
        }
        self.entries = list;
        self.next = 0;
        Ok(())
    }

    /// The next entry; None at the end.
    fn advance(&mut self) -> Option<&(CString, Bytes)> {
        let entry = self.entries.get(self.next)?;
        self.next += 1;
        Some(entry)
    }
}

/// Where a read op puts the iterator it fills, from the executor thread.
#[derive(Clone, Copy, Debug)]
pub(super) struct IterSlot(*mut EntryIter);

// SAFETY: the iterator belongs to the caller, who keeps it alive and
// unused until the operation has finished (librados's contract).
unsafe impl Send for IterSlot {}

impl IterSlot {
    /// # Safety
    /// `iter` from [`EntryIter::give_empty`], alive until the operation
    /// that fills it has finished.
    pub(super) unsafe fn new(iter: *mut EntryIter) -> IterSlot {
        IterSlot(iter)
    }

    pub(super) fn fill(&self, entries: BTreeMap<String, Bytes>) -> Result<(), Errno> {
        // SAFETY: see new; nothing else touches it meanwhile.
        unsafe { handle::borrow_mut(self.0) }?.fill(entries)
    }
}

/// # Safety
/// `iter` NULL or a live iterator handle.
unsafe fn entry_iter<'a>(iter: *mut std::ffi::c_void) -> Result<&'a mut EntryIter, Errno> {
    // SAFETY: forwarded contract; the magic check catches others.
    unsafe { handle::borrow_mut(iter.cast::<EntryIter>()) }
}

/// The next omap entry: its key (NUL-terminated) and value with their
/// lengths; all NULL and 0 at the end. The pointers stay valid until
/// rados_omap_get_end. Any out-pointer may be NULL.
///
/// # Safety
/// `iter` from a read op's omap action, its op finished; the out-pointers
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn rados_omap_get_next2(
    iter: rados_omap_iter_t,
    key: *mut *mut c_char,
    val: *mut *mut c_char,
    key_len: *mut usize,
    val_len: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle; out-pointers NULL or writable.
        let (key, val, key_len, val_len) =
            unsafe { (OutPtr::new(key), OutPtr::new(val), OutPtr::new(key_len), OutPtr::new(val_len)) };
        match unsafe { entry_iter(iter) }?.advance() {
            Some((k, v)) => {
                key.set(k.as_ptr().cast_mut());
                val.set(v.as_ptr().cast::<c_char>().cast_mut());
                key_len.set(k.as_bytes().len());
                val_len.set(v.len());
            }
            None => {
                key.set(std::ptr::null_mut());
                val.set(std::ptr::null_mut());
                key_len.set(0);
                val_len.set(0);
            }
        }
        Ok(0)
    })
}

/// [`rados_omap_get_next2`] without the key's length.
///
/// # Safety
/// As [`rados_omap_get_next2`].
#[no_mangle]
pub unsafe extern "C" fn rados_omap_get_next(
    iter: rados_omap_iter_t,
    key: *mut *mut c_char,
    val: *mut *mut c_char,
    len: *mut usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rados_omap_get_next2(iter, key, val, std::ptr::null_mut(), len) }
}

/// How many entries the iterator holds in all (0 for a bad handle).
///
/// # Safety
/// `iter` from a read op's omap action.
#[no_mangle]
pub unsafe extern "C" fn rados_omap_iter_size(iter: rados_omap_iter_t) -> c_uint {
    let mut size = 0;
    guard(|| {
        // SAFETY: checked handle.
        size = unsafe { entry_iter(iter) }?.entries.len() as c_uint;
        Ok(())
    });
    size
}

/// Frees an omap iterator (NULL is ignored).
///
/// # Safety
/// `iter` NULL or from a read op's omap action, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rados_omap_get_end(iter: rados_omap_iter_t) {
    guard(|| {
        // SAFETY: the export's contract; ownership returns here.
        drop(unsafe { handle::free(iter.cast::<EntryIter>()) });
        Ok(())
    })
}

/// Lists the object's attributes into a new iterator `*iter` (free it
/// with rados_getxattrs_end); -ENOENT without the object.
///
/// # Safety
/// `io` from rados_ioctx_create; `oid` a C string; `iter` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_getxattrs(
    io: rados_ioctx_t,
    oid: *const c_char,
    iter: *mut rados_xattrs_iter_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (t, name) = unsafe { (target(io)?, cstr(oid)?) };
        if iter.is_null() {
            return Err(Errno::EINVAL);
        }
        let mut op = ObjectOperation::new();
        op.push(rbdrs_client::proto::osd::OpKind::GetXattrs);
        let reply = t.run(read(t.io.clone(), name.into(), op))?;
        let attrs = decode_exact::<BTreeMap<String, Bytes>>(reply.out(0)?).map_err(|_| Errno::EIO)?;
        let handle = EntryIter::give_empty();
        // SAFETY: just made; ours until handed over below.
        if let Err(e) = unsafe { handle::borrow_mut(handle) }.and_then(|it| it.fill(attrs)) {
            drop(unsafe { handle::free(handle) });
            return Err(e);
        }
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(iter, handle.cast()) }?;
        Ok(0)
    })
}

/// The next attribute: its name (NUL-terminated), value and length; NULL,
/// NULL and 0 at the end. The pointers stay valid until
/// rados_getxattrs_end.
///
/// # Safety
/// `iter` from rados_getxattrs; `name`, `val`, `len` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_getxattrs_next(
    iter: rados_xattrs_iter_t,
    name: *mut *const c_char,
    val: *mut *const c_char,
    len: *mut usize,
) -> c_int {
    guard(|| {
        if name.is_null() || val.is_null() || len.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: checked handle; out-pointers checked non-NULL.
        let entry = unsafe { entry_iter(iter) }?.advance();
        let (n, v, l) = match entry {
            Some((k, v)) => (k.as_ptr(), v.as_ptr().cast::<c_char>(), v.len()),
            None => (std::ptr::null(), std::ptr::null(), 0),
        };
        unsafe {
            name.write(n);
            val.write(v);
            len.write(l);
        }
        Ok(0)
    })
}

/// Frees an attribute iterator (NULL is ignored).
///
/// # Safety
/// `iter` NULL or from rados_getxattrs, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rados_getxattrs_end(iter: rados_xattrs_iter_t) {
    guard(|| {
        // SAFETY: the export's contract; ownership returns here.
        drop(unsafe { handle::free(iter.cast::<EntryIter>()) });
        Ok(())
    })
}
