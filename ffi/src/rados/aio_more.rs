//! More aio calls: attribute reads, unlock, self-managed snapshot ids,
//! and the first-generation notify.

use crate::types::*;
use std::collections::BTreeMap;
use std::ffi::{c_char, c_int};

use bytes::Bytes;
use rbdrs_client::proto::cls::lock;
use rbdrs_client::proto::encoding::decode_exact;
use rbdrs_client::proto::osd::{ObjectOperation, OpKind};
use rbdrs_client::proto::rados::{PoolRequest, Reply, Request};
use rbdrs_client::proto::Errno;

use super::aio::{aio_write_with, front, launch_flow, launch_read};
use super::iter::{EntryIter, IterSlot};
use super::object::{read, OutBuf, OutPtr};
use super::watch::rados_notify2;
use crate::boundary::{cstr, guard};
use crate::handle;

/// Reads attribute `name` of `o` into `buf`; the completion's value is
/// its length (-ERANGE when longer than `len`, -ENODATA when absent).
///
/// # Safety
/// `io` from rados_ioctx_create; `o`, `name` C strings; `completion` live;
/// `buf` writable for `len` bytes until it completes.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_getxattr(
    io: rados_ioctx_t,
    o: *const c_char,
    completion: rados_completion_t,
    name: *const c_char,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked string and buffer, then checked handles.
        let (attr, out) = unsafe { (cstr(name)?, OutBuf::new(buf, len)?) };
        let (t, completion, oid) = unsafe { front(io, completion, o) }?;
        let mut op = ObjectOperation::new();
        op.get_xattr(attr);
        let flow = read(t.io.clone(), oid.into(), op);
        launch_read(&t, io, &completion, flow, move |reply| {
            let n = reply.out(0).and_then(|data| out.fill(data));
            n.map_or_else(|e| e.to_ret(), |n| i32::try_from(n).unwrap_or(i32::MAX))
        })
    })
}

/// An iterator handed to C when an aio call completes well.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
struct IterOut(rados_xattrs_iter_t);

// SAFETY: only the address crosses threads; C owns the iterator after.
unsafe impl Send for IterOut {}

/// Lists `oid`'s attributes into a new iterator put in `*iter` when the
/// completion completes well (free it with rados_getxattrs_end); after a
/// failure `*iter` is left alone, as librados leaves it.
///
/// # Safety
/// `io` from rados_ioctx_create; `oid` a C string; `completion` live;
/// `iter` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_getxattrs(
    io: rados_ioctx_t,
    oid: *const c_char,
    completion: rados_completion_t,
    iter: *mut rados_xattrs_iter_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handles and string.
        let (t, completion, name) = unsafe { front(io, completion, oid) }?;
        if iter.is_null() {
            return Err(Errno::EINVAL);
        }
        let handle = EntryIter::give_empty();
        // SAFETY: just made; ours until handed to C below.
        let slot = unsafe { IterSlot::new(handle) };
        let out = IterOut(handle.cast());
        // SAFETY: checked non-NULL; writable until completion by contract.
        let iter = unsafe { OutPtr::new(iter.cast::<IterOut>()) };
        let mut op = ObjectOperation::new();
        op.push(OpKind::GetXattrs);
        let flow = read(t.io.clone(), name.into(), op);
        let free = move || {
            let whole = out;
            // SAFETY: the iterator was never handed to C.
            drop(unsafe { handle::free(whole.0.cast::<EntryIter>()) });
        };
        let launched = launch_read(&t, io, &completion, flow, move |reply| {
            let attrs = reply.out(0).and_then(|o| decode_exact::<BTreeMap<String, Bytes>>(o).map_err(|_| Errno::EIO));
            match attrs.and_then(|a| slot.fill(a)) {
                Ok(()) => {
                    iter.set(out);
                    0
                }
                Err(e) => {
                    free();
                    e.to_ret()
                }
            }
        });
        if launched.is_err() {
            // SAFETY: never handed out (the flow did not start).
            drop(unsafe { handle::free(handle) });
        }
        launched
    })
}

/// Releases lock `name` held as `cookie` on `o`; the completion gets the
/// result (-ENOENT if not held).
///
/// # Safety
/// `io` from rados_ioctx_create; the strings C strings; `completion` live.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_unlock(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    cookie: *const c_char,
    completion: rados_completion_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked strings, then checked handles.
        let (name, cookie) = unsafe { (cstr(name)?, cstr(cookie)?) };
        unsafe { aio_write_with(io, completion, o, |op| lock::unlock(op, name, cookie)) }
    })
}

/// Allocates a self-managed snapshot id into `*snapid`, set before the
/// completion completes with 0 or the error.
///
/// # Safety
/// `io` from rados_ioctx_create; `snapid` writable until it completes;
/// `completion` live.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_ioctx_selfmanaged_snap_create(
    io: rados_ioctx_t,
    snapid: *mut rados_snap_t,
    completion: rados_completion_t,
) {
    guard(|| {
        // SAFETY: out-pointer by contract; checked handles.
        let out = unsafe { OutPtr::new(snapid) };
        unsafe {
            launch_flow(io, completion, move |core| async move {
                let reply = core.dispatcher.submit(Request::Pool(PoolRequest::CreateSnap { pool: core.pool })).await;
                move || match reply {
                    Reply::Id(Ok(id)) => {
                        out.set(id);
                        (0, 0)
                    }
                    Reply::Id(Err(e)) => (e.to_ret(), 0),
                    _ => (Errno::EIO.to_ret(), 0),
                }
            })
        }
        .map(drop)
    })
}

/// Releases self-managed snapshot id `snapid`; the completion gets the
/// result.
///
/// # Safety
/// `io` from rados_ioctx_create; `completion` live.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_ioctx_selfmanaged_snap_remove(
    io: rados_ioctx_t,
    snapid: rados_snap_t,
    completion: rados_completion_t,
) {
    guard(|| {
        // SAFETY: checked handles.
        unsafe {
            launch_flow(io, completion, move |core| async move {
                let request = Request::Pool(PoolRequest::RemoveSnap { pool: core.pool, snap: snapid });
                let reply = core.dispatcher.submit(request).await;
                move || match reply {
                    Reply::Done(Ok(())) => (0, 0),
                    Reply::Done(Err(e)) => (e.to_ret(), 0),
                    _ => (Errno::EIO.to_ret(), 0),
                }
            })
        }
        .map(drop)
    })
}

/// The first-generation notify: rados_notify2 with the default timeout,
/// its acks dropped. `ver` is unused, as in librados.
///
/// # Safety
/// `io` from rados_ioctx_create; `o` a C string; `buf` readable for
/// `buf_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_notify(
    io: rados_ioctx_t,
    o: *const c_char,
    ver: u64,
    buf: *const c_char,
    buf_len: c_int,
) -> c_int {
    let _ = ver;
    // SAFETY: forwarded contract; no reply buffer wanted.
    unsafe { rados_notify2(io, o, buf, buf_len, 0, std::ptr::null_mut(), std::ptr::null_mut()) }
}
