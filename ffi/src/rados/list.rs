//! Object listing (rados_nobjects_list_*): PGNLS ops pg by pg, on the
//! cluster or the embedded store, from a cursor the listing keeps.

use crate::types::*;
use std::collections::VecDeque;
use std::ffi::{c_char, c_int, CString};
use std::sync::Arc;

use rbdrs_client::proto::image;
use rbdrs_client::proto::osd::{HObject, ListEntry};
use rbdrs_client::proto::rados::list::LIST_MAX_ENTRIES;
use rbdrs_client::proto::Errno;
use rbdrs_client::Connection;

use super::ioctx;
use crate::boundary::{guard, put};
use crate::handle::{self, c_handle, Magic};

/// rados_list_ctx_t: a copy of the pool context as it was at open (later
/// namespace changes do not apply, as in librados), and the cursor.
#[derive(Debug)]
pub struct ListCtx {
    magic: Magic,
    pub(super) conn: Arc<Connection>,
    pub(super) io: image::IoCtx,
    pub(super) pos: HObject,
    /// Entries fetched and not yet handed out; the front one was handed
    /// out last (its strings stay valid until the next call).
    pub(super) pending: VecDeque<ListEntry>,
    current: Option<[CString; 3]>,
}
c_handle!(ListCtx, 0x7262_6472_736c_7374); // "rbdrslst"

impl ListCtx {
    /// Moves the cursor to `pos`, dropping what was fetched; the pg it is
    /// in (librados's nlist_seek).
    pub(super) fn seek(&mut self, pos: HObject) -> Result<u32, Errno> {
        self.pending.clear();
        self.current = None;
        let pg = self.conn.pg_of(self.io.pool, pos.hash)?;
        self.pos = pos;
        Ok(pg)
    }

    /// The entry after the one handed out last; -ENOENT at the end.
    fn advance(&mut self) -> Result<&[CString; 3], Errno> {
        if self.current.take().is_some() {
            self.pending.pop_front();
        }
        if self.pending.is_empty() {
            let (entries, next) =
                self.conn.list_page(&self.io, &self.io.namespace, self.pos.clone(), LIST_MAX_ENTRIES)?;
            self.pos = next;
            self.pending.extend(entries);
        }
        let e = self.pending.front().ok_or(Errno::ENOENT)?;
        let c = |s: &str| CString::new(s).map_err(|_| Errno::EINVAL);
        Ok(self.current.insert([c(&e.oid)?, c(&e.locator)?, c(&e.nspace)?]))
    }
}

/// # Safety
/// `ctx` NULL or from rados_nobjects_list_open, not yet closed.
pub(super) unsafe fn list_ctx<'a>(ctx: rados_list_ctx_t) -> Result<&'a mut ListCtx, Errno> {
    // SAFETY: forwarded contract; the magic catches others.
    unsafe { handle::borrow_mut(ctx.cast::<ListCtx>()) }
}

/// Starts listing the pool's objects in the context's namespace
/// (LIBRADOS_ALL_NSPACES: every namespace).
///
/// # Safety
/// `io` from rados_ioctx_create; `ctx` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_nobjects_list_open(io: rados_ioctx_t, ctx: *mut rados_list_ctx_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let io = unsafe { ioctx(io) }?;
        if ctx.is_null() {
            return Err(Errno::EINVAL);
        }
        let list = ListCtx {
            magic: Magic::of::<ListCtx>(),
            conn: io.conn().clone(),
            io: io.io.core(),
            pos: HObject::min(),
            pending: VecDeque::new(),
            current: None,
        };
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(ctx, handle::give(list).cast()) }?;
        Ok(0)
    })
}

/// The next object: its name, locator key (NULL when it has none) and
/// namespace, valid until the next call or close; -ENOENT at the end.
/// `key` and `nspace` may be NULL.
///
/// # Safety
/// `ctx` from rados_nobjects_list_open; `entry` writable; `key`, `nspace`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn rados_nobjects_list_next(
    ctx: rados_list_ctx_t,
    entry: *mut *const c_char,
    key: *mut *const c_char,
    nspace: *mut *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let list = unsafe { list_ctx(ctx) }?;
        if entry.is_null() {
            return Err(Errno::EINVAL);
        }
        let [oid, locator, ns] = list.advance()?;
        // SAFETY: checked non-NULL or skipped when NULL; writable by contract.
        unsafe {
            entry.write(oid.as_ptr());
            if !key.is_null() {
                key.write(if locator.is_empty() { std::ptr::null() } else { locator.as_ptr() });
            }
            if !nspace.is_null() {
                nspace.write(ns.as_ptr());
            }
        }
        Ok(0)
    })
}

/// Ends a listing (NULL is ignored).
///
/// # Safety
/// `ctx` NULL or from rados_nobjects_list_open, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rados_nobjects_list_close(ctx: rados_list_ctx_t) {
    guard(|| {
        // SAFETY: the export's contract; ownership returns here.
        drop(unsafe { handle::free(ctx.cast::<ListCtx>()) });
        Ok(())
    })
}
