//! Listing cursors (rados_object_list_cursor: an hobject_t), the
//! cursor-driven listing (rados_object_list, _slice) and the cursor calls
//! of a listing context (rados_nobjects_list_seek*, _get_cursor, _next2).

use crate::types::*;
use std::ffi::{c_char, c_int, c_void};

use rbdrs_client::proto::osd::hobject::NOSNAP;
use rbdrs_client::proto::osd::{HObject, ListEntry};
use rbdrs_client::proto::Errno;

use super::ioctx;
use super::list::list_ctx;
use crate::boundary::{guard, malloc_copy, put};
use crate::handle::{self, c_handle, Magic};

/// rados_object_list_cursor.
#[derive(Debug)]
pub struct Cursor {
    magic: Magic,
    pub pos: HObject,
}
c_handle!(Cursor, 0x7262_6472_7363_7572); // "rbdrscur"

fn give(pos: HObject) -> rados_object_list_cursor {
    handle::give(Cursor { magic: Magic::of::<Cursor>(), pos }).cast()
}

/// # Safety
/// `c` NULL or a live cursor.
unsafe fn cursor<'a>(c: rados_object_list_cursor) -> Result<&'a mut Cursor, Errno> {
    // SAFETY: forwarded contract; the magic catches others.
    unsafe { handle::borrow_mut(c.cast::<Cursor>()) }
}

/// A cursor before every object (free it with rados_object_list_cursor_free).
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_object_list_begin(io: rados_ioctx_t) -> rados_object_list_cursor {
    // SAFETY: checked handle.
    guard(|| unsafe { ioctx(io) }.map(|_| give(HObject::min())))
}

/// A cursor after every object.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_object_list_end(io: rados_ioctx_t) -> rados_object_list_cursor {
    // SAFETY: checked handle.
    guard(|| unsafe { ioctx(io) }.map(|_| give(HObject::max())))
}

/// 1 if `cur` is past every object, else 0 (-EINVAL for a bad cursor).
///
/// # Safety
/// `cur` a live cursor.
#[no_mangle]
pub unsafe extern "C" fn rados_object_list_is_end(io: rados_ioctx_t, cur: rados_object_list_cursor) -> c_int {
    let _ = io;
    // SAFETY: checked handle.
    guard(|| Ok(c_int::from(unsafe { cursor(cur) }?.pos.max)))
}

/// Frees a cursor (NULL is ignored).
///
/// # Safety
/// `cur` NULL or a live cursor, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rados_object_list_cursor_free(io: rados_ioctx_t, cur: rados_object_list_cursor) {
    let _ = io;
    guard(|| {
        // SAFETY: the export's contract; ownership returns here.
        drop(unsafe { handle::free(cur.cast::<Cursor>()) });
        Ok(())
    })
}

/// -1, 0 or 1 as `lhs` comes before, at or after `rhs` in listing order.
///
/// # Safety
/// `lhs`, `rhs` live cursors.
#[no_mangle]
pub unsafe extern "C" fn rados_object_list_cursor_cmp(
    io: rados_ioctx_t,
    lhs: rados_object_list_cursor,
    rhs: rados_object_list_cursor,
) -> c_int {
    let _ = io;
    guard(|| {
        // SAFETY: checked handles.
        let (l, r) = unsafe { (&cursor(lhs)?.pos, &cursor(rhs)?.pos) };
        Ok(l.cmp(r) as c_int)
    })
}

/// Lists up to `result_item_count` objects from `start` to before `finish`
/// into `result_items` (their strings malloc'ed, not NUL-terminated: free
/// them with rados_object_list_free) and moves `*next` after them; the
/// count. Filters (PGNLS_FILTER) are not implemented: -EOPNOTSUPP.
///
/// # Safety
/// `io` from rados_ioctx_create; `start`, `finish` live cursors;
/// `result_items` valid for `result_item_count` items; `next` points to a
/// live cursor.
#[no_mangle]
pub unsafe extern "C" fn rados_object_list(
    io: rados_ioctx_t,
    start: rados_object_list_cursor,
    finish: rados_object_list_cursor,
    result_item_count: usize,
    filter_buf: *const c_char,
    filter_buf_len: usize,
    result_items: *mut rados_object_list_item,
    next: *mut rados_object_list_cursor,
) -> c_int {
    guard(|| {
        // SAFETY: checked handles.
        let (io, start, finish) = unsafe { (ioctx(io)?, cursor(start)?.pos.clone(), cursor(finish)?.pos.clone()) };
        if next.is_null() || (result_items.is_null() && result_item_count > 0) {
            return Err(Errno::EINVAL);
        }
        // SAFETY: checked non-NULL; points to a cursor by contract.
        let next = unsafe { cursor(*next) }?;
        let empty = rados_object_list_item {
            oid_length: 0,
            oid: std::ptr::null_mut(),
            nspace_length: 0,
            nspace: std::ptr::null_mut(),
            locator_length: 0,
            locator: std::ptr::null_mut(),
        };
        for i in 0..result_item_count {
            // SAFETY: valid for result_item_count items by contract.
            unsafe { result_items.add(i).write(empty) };
        }
        if !filter_buf.is_null() && filter_buf_len > 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        // The objecter's checks (Objecter::enumerate_objects).
        if (!finish.max && start > finish) || result_item_count < 1 {
            return Err(Errno::EINVAL);
        }
        if start.max {
            next.pos = HObject::max();
            return Ok(0);
        }
        let ns = io.io.namespace();
        let (entries, after) = match io.io.list_page(&ns, start, result_item_count) {
            Ok(page) => page,
            Err(e) => {
                next.pos = HObject::max();
                return Err(e);
            }
        };
        let pool = io.io.pool_id();
        let within = |e: &&ListEntry| finish.max || HObject::head(pool, &e.nspace, &e.oid, &e.locator) < finish;
        let kept: Vec<&ListEntry> = entries.iter().take_while(within).collect();
        next.pos = if !finish.max && (after >= finish || kept.len() < entries.len()) { finish } else { after };
        for (i, e) in kept.iter().enumerate() {
            let out = |s: &str| if s.is_empty() { Ok(std::ptr::null_mut()) } else { malloc_copy(s.as_bytes()) };
            let item = rados_object_list_item {
                oid_length: e.oid.len(),
                oid: out(&e.oid)?,
                nspace_length: e.nspace.len(),
                nspace: out(&e.nspace)?,
                locator_length: e.locator.len(),
                locator: out(&e.locator)?,
            };
            // SAFETY: i < kept.len() <= result_item_count.
            unsafe { result_items.add(i).write(item) };
        }
        c_int::try_from(kept.len()).map_err(|_| Errno::ERANGE)
    })
}

/// Frees the strings of `result_size` items rados_object_list filled.
///
/// # Safety
/// `results` valid for `result_size` items from rados_object_list.
#[no_mangle]
pub unsafe extern "C" fn rados_object_list_free(result_size: usize, results: *mut rados_object_list_item) {
    guard(|| {
        if results.is_null() {
            return Err(Errno::EINVAL);
        }
        for i in 0..result_size {
            // SAFETY: valid for result_size items; the strings came from malloc.
            unsafe {
                let item = &mut *results.add(i);
                for p in [&mut item.oid, &mut item.nspace, &mut item.locator] {
                    libc::free(p.cast::<c_void>());
                    *p = std::ptr::null_mut();
                }
            }
        }
        Ok(())
    })
}

/// Part `n` of `m` of the range from `start` to `finish`, split by hash,
/// into the cursors `*split_start` and `*split_finish` (librados's
/// object_list_slice). Bad handles or `n >= m` leave them untouched.
///
/// # Safety
/// `io` from rados_ioctx_create; `start`, `finish` live cursors;
/// `split_start`, `split_finish` point to live cursors.
#[no_mangle]
pub unsafe extern "C" fn rados_object_list_slice(
    io: rados_ioctx_t,
    start: rados_object_list_cursor,
    finish: rados_object_list_cursor,
    n: usize,
    m: usize,
    split_start: *mut rados_object_list_cursor,
    split_finish: *mut rados_object_list_cursor,
) {
    guard(|| {
        // SAFETY: checked handles and pointers.
        let (io, start, finish) = unsafe { (ioctx(io)?, cursor(start)?.pos.clone(), cursor(finish)?.pos.clone()) };
        if split_start.is_null() || split_finish.is_null() || n >= m {
            return Err(Errno::EINVAL);
        }
        let (s, f) = unsafe { (cursor(*split_start)?, cursor(*split_finish)?) };
        if start.max {
            (s.pos, f.pos) = (HObject::max(), HObject::max());
            return Ok(());
        }
        let pool = io.io.pool_id();
        let start_hash = u64::from(start.hash.reverse_bits());
        let finish_hash = if finish.max { 1 << 32 } else { u64::from(finish.hash.reverse_bits()) };
        let diff = u128::from(finish_hash.saturating_sub(start_hash));
        let at = |k: usize| start_hash + (diff * k as u128 / m as u128) as u64;
        let at_rev = |rev: u64| HObject::at_hash(pool, (rev as u32).reverse_bits());
        s.pos = if n == 0 { start.clone() } else { at_rev(at(n)) };
        let rev_finish = at(n + 1);
        f.pos = if n == m - 1 {
            finish
        } else if rev_finish >= 1 << 32 {
            HObject::max()
        } else {
            at_rev(rev_finish)
        };
        Ok(())
    })
}

/// Moves a listing to the objects of hash `pos` on; the pg that is in.
///
/// # Safety
/// `ctx` from rados_nobjects_list_open.
#[no_mangle]
pub unsafe extern "C" fn rados_nobjects_list_seek(ctx: rados_list_ctx_t, pos: u32) -> u32 {
    guard(|| {
        // SAFETY: checked handle.
        let list = unsafe { list_ctx(ctx) }?;
        let pool = list.io.pool;
        list.seek(HObject::at_hash(pool, pos)).map(u64::from)
    }) as u32
}

/// Moves a listing to `cursor`; the pg that is in.
///
/// # Safety
/// `ctx` from rados_nobjects_list_open; `cursor` a live cursor.
#[no_mangle]
pub unsafe extern "C" fn rados_nobjects_list_seek_cursor(
    ctx: rados_list_ctx_t,
    cursor: rados_object_list_cursor,
) -> u32 {
    guard(|| {
        // SAFETY: checked handles.
        let (list, pos) = unsafe { (list_ctx(ctx)?, self::cursor(cursor)?.pos.clone()) };
        list.seek(pos).map(u64::from)
    }) as u32
}

/// A new cursor at the object handed out last (or where the listing
/// stands): seeking to it lists that object again.
///
/// # Safety
/// `ctx` from rados_nobjects_list_open; `cursor` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_nobjects_list_get_cursor(
    ctx: rados_list_ctx_t,
    cursor: *mut rados_object_list_cursor,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let list = unsafe { list_ctx(ctx) }?;
        let pos = match list.pending.front() {
            Some(e) => HObject { snap: NOSNAP, ..HObject::head(list.io.pool, &e.nspace, &e.oid, &e.locator) },
            None => list.pos.clone(),
        };
        if cursor.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(cursor, give(pos)) }?;
        Ok(0)
    })
}

/// The pg the listing is in.
///
/// # Safety
/// `ctx` from rados_nobjects_list_open.
#[no_mangle]
pub unsafe extern "C" fn rados_nobjects_list_get_pg_hash_position(ctx: rados_list_ctx_t) -> u32 {
    guard(|| {
        // SAFETY: checked handle.
        let list = unsafe { list_ctx(ctx) }?;
        list.conn.pg_of(list.io.pool, list.pos.hash).map(u64::from)
    }) as u32
}

/// [`rados_nobjects_list_next`](super::list::rados_nobjects_list_next)
/// with the strings' lengths (names may hold NULs in librados; here they
/// cannot). Any length pointer may be NULL.
///
/// # Safety
/// As rados_nobjects_list_next; the length pointers NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn rados_nobjects_list_next2(
    ctx: rados_list_ctx_t,
    entry: *mut *const c_char,
    key: *mut *const c_char,
    nspace: *mut *const c_char,
    entry_size: *mut usize,
    key_size: *mut usize,
    nspace_size: *mut usize,
) -> c_int {
    guard(|| {
        let (mut e, mut k, mut n) = (std::ptr::null(), std::ptr::null(), std::ptr::null());
        // SAFETY: forwarded contract, our own out-pointers.
        let r = unsafe { super::list::rados_nobjects_list_next(ctx, &mut e, &mut k, &mut n) };
        if r < 0 {
            return Ok(r);
        }
        let len =
            |p: *const c_char| if p.is_null() { 0 } else { unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes().len() };
        // SAFETY: NULL or writable by contract.
        unsafe {
            for (out, v) in [(entry, e), (key, k), (nspace, n)] {
                if !out.is_null() {
                    out.write(v);
                }
            }
            for (out, v) in [(entry_size, len(e)), (key_size, len(k)), (nspace_size, len(n))] {
                if !out.is_null() {
                    out.write(v);
                }
            }
        }
        Ok(0)
    })
}
