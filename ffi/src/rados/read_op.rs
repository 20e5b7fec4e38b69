//! librados read compounds (rados_read_op_t): actions collected on the
//! handle, each with out-pointers the operate call fills.

use crate::types::*;
use std::ffi::{c_char, c_int};

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use rbdrs_client::proto::encoding::decode_exact;
use rbdrs_client::proto::osd::{ObjectOperation, ObjectReply, OmapKeysOut, OmapValsOut, OpFlags, OpKind, OsdOp};
use rbdrs_client::proto::Errno;

use super::aio::{completion_ref, launch_read};
use super::iter::{EntryIter, IterSlot};
use super::object::{data_in, read, stat_out, target, time_t, OutBuf, OutPtr};
use super::write_op::OP_FLAGS_KEPT;
use crate::boundary::{cstr, guard, opt_cstr};
use crate::handle::{self, c_handle, Magic};

/// Where a read action's result goes.
#[derive(Clone, Copy, Debug)]
pub(super) enum Output {
    Nothing,
    /// A class call's output, malloc'ed (NULL when empty), and its length.
    Exec {
        out: OutPtr<MallocBuf>,
        len: OutPtr<usize>,
    },
    Data {
        buf: OutBuf,
        bytes_read: OutPtr<usize>,
    },
    Stat {
        size: OutPtr<u64>,
        mtime: OutPtr<crate::types::time_t>,
    },
    Omap {
        iter: IterSlot,
        more: OutPtr<u8>,
        listing: Listing,
    },
}

/// A malloc'ed buffer handed to C (a `char *` out-parameter's value).
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub(super) struct MallocBuf(pub *mut c_char);

// SAFETY: only its address moves between threads; C owns the memory.
unsafe impl Send for MallocBuf {}

/// Which omap read fills an iterator: what its output decodes as.
#[derive(Clone, Copy, Debug)]
pub(super) enum Listing {
    Keys,
    Vals,
    ByKeys,
}

/// Decodes an omap read's output: the entries, and whether more follow.
fn omap_entries(listing: Listing, out: &[u8]) -> Result<(BTreeMap<String, Bytes>, bool), Errno> {
    let entries = match listing {
        Listing::Keys => {
            decode_exact::<OmapKeysOut>(out).map(|o| (o.keys.into_iter().map(|k| (k, Bytes::new())).collect(), o.more))
        }
        Listing::Vals => decode_exact::<OmapValsOut>(out).map(|o| (o.vals, o.more)),
        Listing::ByKeys => decode_exact::<BTreeMap<String, Bytes>>(out).map(|vals| (vals, false)),
    };
    entries.map_err(|_| Errno::EIO)
}

#[derive(Clone, Debug)]
struct ReadAction {
    kind: OpKind,
    flags: OpFlags,
    rval: OutPtr<c_int>,
    output: Output,
}

/// rados_read_op_t.
#[derive(Debug)]
pub struct ReadOp {
    magic: Magic,
    actions: Vec<ReadAction>,
    invalid: Option<Errno>,
}

impl ReadOp {
    /// Adds an action, or remembers why it is invalid (operate then fails).
    ///
    /// # Safety
    /// `prval` NULL or writable until every operate has finished.
    pub(super) unsafe fn add(&mut self, kind: Result<OpKind, Errno>, prval: *mut c_int, output: Output) {
        match kind {
            // SAFETY: forwarded contract.
            Ok(kind) => self.actions.push(ReadAction {
                kind,
                flags: OpFlags::NONE,
                rval: unsafe { OutPtr::new(prval) },
                output,
            }),
            Err(e) => {
                self.invalid.get_or_insert(e);
            }
        }
    }
}
c_handle!(ReadOp, 0x7262_6472_7372_6f70); // "rbdrsrop"

/// Borrows a read op.
///
/// # Safety
/// As [`write_op`], for rados_create_read_op.
pub(super) unsafe fn read_op<'a>(op: rados_read_op_t) -> Result<&'a mut ReadOp, Errno> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow_mut(op) }
}

/// Hands each action its result; the compound's return value.
fn deliver(actions: &[ReadAction], reply: &ObjectReply) -> i32 {
    for (action, result) in actions.iter().zip(&reply.ops) {
        let mut rval = result.rval;
        if rval >= 0 {
            match action.output {
                Output::Nothing => {}
                Output::Exec { out, len } => {
                    let copy = if result.out.is_empty() {
                        Ok(std::ptr::null_mut())
                    } else {
                        crate::boundary::malloc_copy(&result.out)
                    };
                    match copy {
                        Ok(p) => {
                            out.set(MallocBuf(p));
                            len.set(result.out.len());
                        }
                        Err(e) => rval = e.to_ret(),
                    }
                }
                Output::Data { buf, bytes_read } => match buf.fill(&result.out) {
                    Ok(n) => bytes_read.set(n),
                    Err(e) => {
                        bytes_read.set(0);
                        rval = e.to_ret();
                    }
                },
                Output::Stat { size, mtime } => {
                    let one = ObjectReply { result: 0, version: reply.version, ops: vec![result.clone()] };
                    match stat_out(&one, 0) {
                        Ok(stat) => {
                            size.set(stat.size);
                            mtime.set(time_t(stat.mtime));
                        }
                        Err(e) => rval = e.to_ret(),
                    }
                }
                Output::Omap { iter, more, listing } => {
                    match omap_entries(listing, &result.out).and_then(|(entries, m)| iter.fill(entries).map(|_| m)) {
                        Ok(m) => more.set(u8::from(m)),
                        Err(e) => rval = e.to_ret(),
                    }
                }
            }
        }
        action.rval.set(rval);
    }
    // As librados's operate: a positive result (a comparison that held) too.
    reply.result
}

/// Creates an empty read op (NULL only if allocation failed).
#[no_mangle]
pub extern "C" fn rados_create_read_op() -> rados_read_op_t {
    guard(|| Ok(handle::give(ReadOp { magic: Magic::of::<ReadOp>(), actions: Vec::new(), invalid: None })))
}

/// Frees a read op (NULL is ignored).
///
/// # Safety
/// `op` NULL or from rados_create_read_op, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rados_release_read_op(op: rados_read_op_t) {
    guard(|| {
        // SAFETY: the export's contract; ownership returns to us here.
        drop(unsafe { handle::free(op) });
        Ok(())
    })
}

/// Sets LIBRADOS_OP_FLAG_* on the action added last.
///
/// # Safety
/// `op` from rados_create_read_op.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_set_flags(op: rados_read_op_t, flags: c_int) {
    guard(|| {
        // SAFETY: checked handle.
        if let Ok(op) = unsafe { read_op(op) } {
            if let Some(last) = op.actions.last_mut() {
                last.flags = last.flags.union(OpFlags(flags as u32 & OP_FLAGS_KEPT));
            }
        }
        Ok(())
    })
}

/// Fails the compound with -ENOENT unless the object exists.
///
/// # Safety
/// `op` from rados_create_read_op.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_assert_exists(op: rados_read_op_t) {
    guard(|| {
        // SAFETY: checked handle; a NULL rval pointer is never written.
        if let Ok(op) = unsafe { read_op(op) } {
            let rval = unsafe { OutPtr::new(std::ptr::null_mut()) };
            op.actions.push(ReadAction {
                kind: OpKind::AssertExists,
                flags: OpFlags::NONE,
                rval,
                output: Output::Nothing,
            });
        }
        Ok(())
    })
}

/// Reads up to `len` bytes at `offset` into `buffer`; `bytes_read` and
/// `prval` (either NULL) get the count and the action's result.
///
/// # Safety
/// `op` from rados_create_read_op; `buffer` writable for `len` bytes,
/// `bytes_read` and `prval` NULL or writable, all until every operate of
/// this op has finished.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_read(
    op: rados_read_op_t,
    offset: u64,
    len: usize,
    buffer: *mut c_char,
    bytes_read: *mut usize,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle and buffer; out-pointers by contract.
        if let Ok(op) = unsafe { read_op(op) } {
            match unsafe { OutBuf::new(buffer, len) } {
                Ok(buf) => op.actions.push(ReadAction {
                    kind: OpKind::Read { offset, length: len as u64 },
                    flags: OpFlags::NONE,
                    rval: unsafe { OutPtr::new(prval) },
                    output: Output::Data { buf, bytes_read: unsafe { OutPtr::new(bytes_read) } },
                }),
                Err(e) => {
                    op.invalid.get_or_insert(e);
                }
            }
        }
        Ok(())
    })
}

/// Stats the object into `psize` and `pmtime`; `prval` gets the result.
///
/// # Safety
/// `op` from rados_create_read_op; the out-pointers NULL or writable until
/// every operate of this op has finished.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_stat(
    op: rados_read_op_t,
    psize: *mut u64,
    pmtime: *mut crate::types::time_t,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle; out-pointers by contract.
        if let Ok(op) = unsafe { read_op(op) } {
            let (size, mtime, rval) = unsafe { (OutPtr::new(psize), OutPtr::new(pmtime), OutPtr::new(prval)) };
            op.actions.push(ReadAction {
                kind: OpKind::Stat,
                flags: OpFlags::NONE,
                rval,
                output: Output::Stat { size, mtime },
            });
        }
        Ok(())
    })
}

/// # Safety
/// `op` a live read op.
unsafe fn read_compound(op: rados_read_op_t) -> Result<(Vec<ReadAction>, ObjectOperation), Errno> {
    // SAFETY: forwarded contract.
    let op = unsafe { read_op(op) }?;
    if let Some(e) = op.invalid {
        return Err(e);
    }
    let mut compound = ObjectOperation::new();
    compound.ops = op.actions.iter().map(|a| OsdOp { kind: a.kind.clone(), flags: a.flags }).collect();
    Ok((op.actions.clone(), compound))
}

/// Executes the read op on `oid`: 0, or the first failing action's error;
/// each action's outputs are filled. `flags` are ignored.
///
/// # Safety
/// `op` from rados_create_read_op; `io` from rados_ioctx_create; `oid` a C
/// string.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_operate(
    op: rados_read_op_t,
    io: rados_ioctx_t,
    oid: *const c_char,
    flags: c_int,
) -> c_int {
    let _ = flags;
    guard(|| {
        // SAFETY: checked handles and string.
        let (t, (actions, compound), name) = unsafe { (target(io)?, read_compound(op)?, cstr(oid)?) };
        let reply = t.run_reply(read(t.io.clone(), name.into(), compound))?;
        Errno::from_ret(deliver(&actions, &reply))
    })
}

/// Starts the read op on `oid`; outputs are filled before the completion
/// finishes with 0 or the error.
///
/// # Safety
/// As [`rados_read_op_operate`]; `c` a live completion.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_read_op_operate(
    op: rados_read_op_t,
    io: rados_ioctx_t,
    c: rados_completion_t,
    oid: *const c_char,
    flags: c_int,
) -> c_int {
    let _ = flags;
    guard(|| {
        // SAFETY: checked handles and string.
        let (t, (actions, compound), completion, name) =
            unsafe { (target(io)?, read_compound(op)?, completion_ref(c)?, cstr(oid)?) };
        let flow = read(t.io.clone(), name.into(), compound);
        launch_read(&t, io, &completion, flow, move |reply| deliver(&actions, reply))
    })
}

/// Compares `cmp_len` bytes of `cmp_buf` with the object at `off`; a
/// mismatch at byte n fails the compound with -MAX_ERRNO - n (-4095 - n),
/// also put in `prval`.
///
/// # Safety
/// `op` from rados_create_read_op; `cmp_buf` readable for `cmp_len` bytes;
/// `prval` NULL or writable until every operate has finished.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_cmpext(
    op: rados_read_op_t,
    cmp_buf: *const c_char,
    cmp_len: usize,
    off: u64,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle and buffer; prval by contract.
        if let Ok(op) = unsafe { read_op(op) } {
            match unsafe { data_in(cmp_buf, cmp_len) } {
                Ok(data) => op.actions.push(ReadAction {
                    kind: OpKind::CmpExt { offset: off, data },
                    flags: OpFlags::NONE,
                    rval: unsafe { OutPtr::new(prval) },
                    output: Output::Nothing,
                }),
                Err(e) => {
                    op.invalid.get_or_insert(e);
                }
            }
        }
        Ok(())
    })
}

/// Fails the compound unless the object's version is `ver`: -ERANGE if
/// the object is newer, -EOVERFLOW if older, -EINVAL for 0.
///
/// # Safety
/// `op` from rados_create_read_op.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_assert_version(op: rados_read_op_t, ver: u64) {
    guard(|| {
        // SAFETY: checked handle; a NULL rval pointer is never written.
        if let Ok(op) = unsafe { read_op(op) } {
            let rval = unsafe { OutPtr::new(std::ptr::null_mut()) };
            op.actions.push(ReadAction {
                kind: OpKind::AssertVersion { version: ver },
                flags: OpFlags::NONE,
                rval,
                output: Output::Nothing,
            });
        }
        Ok(())
    })
}

impl ReadOp {
    /// Adds an omap read filling a new iterator put in `*iter`; the
    /// action's arguments come from `build`, whose error makes operate
    /// fail (the iterator is handed out all the same, to be freed).
    ///
    /// # Safety
    /// `iter` NULL or writable; `pmore`, `prval` NULL or writable until
    /// every operate has finished.
    pub(super) unsafe fn add_omap(
        &mut self,
        iter: *mut rados_omap_iter_t,
        pmore: *mut u8,
        prval: *mut c_int,
        listing: Listing,
        build: impl FnOnce() -> Result<OpKind, Errno>,
    ) {
        if iter.is_null() {
            self.invalid.get_or_insert(Errno::EINVAL);
            return;
        }
        let handle = EntryIter::give_empty();
        // SAFETY: iter checked non-NULL, writable by contract.
        unsafe { iter.write(handle.cast()) };
        match build() {
            Ok(kind) => self.actions.push(ReadAction {
                kind,
                flags: OpFlags::NONE,
                // SAFETY: forwarded contract; the handle lives until C
                // frees it, which it may not do before the op finished.
                rval: unsafe { OutPtr::new(prval) },
                output: Output::Omap {
                    iter: unsafe { IterSlot::new(handle) },
                    more: unsafe { OutPtr::new(pmore) },
                    listing,
                },
            }),
            Err(e) => {
                self.invalid.get_or_insert(e);
            }
        }
    }
}

/// Lists up to `max_return` omap entries after `start_after` (NULL: from
/// the start) whose keys begin with `filter_prefix` (NULL: all) into a new
/// iterator `*iter` (free it with rados_omap_get_end); `*pmore` says
/// whether more follow, `*prval` the action's result.
///
/// # Safety
/// `op` from rados_create_read_op; the strings NULL or C strings; `iter`
/// writable; `pmore`, `prval` NULL or writable until every operate has
/// finished.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_omap_get_vals2(
    op: rados_read_op_t,
    start_after: *const c_char,
    filter_prefix: *const c_char,
    max_return: u64,
    iter: *mut rados_omap_iter_t,
    pmore: *mut u8,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle and strings; out-pointers by contract.
        let op = unsafe { read_op(op) }?;
        unsafe {
            op.add_omap(iter, pmore, prval, Listing::Vals, || {
                Ok(OpKind::OmapGetVals {
                    start_after: opt_cstr(start_after)?.unwrap_or("").into(),
                    filter_prefix: opt_cstr(filter_prefix)?.unwrap_or("").into(),
                    max_return,
                })
            })
        };
        Ok(())
    })
}

/// Lists up to `max_return` omap keys after `start_after` (NULL: from the
/// start) into a new iterator `*iter`, values empty; `*pmore` and
/// `*prval` as [`rados_read_op_omap_get_vals2`].
///
/// # Safety
/// As [`rados_read_op_omap_get_vals2`].
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_omap_get_keys2(
    op: rados_read_op_t,
    start_after: *const c_char,
    max_return: u64,
    iter: *mut rados_omap_iter_t,
    pmore: *mut u8,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle and string; out-pointers by contract.
        let op = unsafe { read_op(op) }?;
        unsafe {
            op.add_omap(iter, pmore, prval, Listing::Keys, || {
                Ok(OpKind::OmapGetKeys { start_after: opt_cstr(start_after)?.unwrap_or("").into(), max_return })
            })
        };
        Ok(())
    })
}

/// Fetches the omap entries of the `keys_len` `keys` that exist into a new
/// iterator `*iter`; `*prval` gets the action's result.
///
/// # Safety
/// `op` from rados_create_read_op; `keys` an array of `keys_len` C
/// strings; `iter` writable; `prval` NULL or writable until every operate
/// has finished.
#[no_mangle]
pub unsafe extern "C" fn rados_read_op_omap_get_vals_by_keys(
    op: rados_read_op_t,
    keys: *const *const c_char,
    keys_len: usize,
    iter: *mut rados_omap_iter_t,
    prval: *mut c_int,
) {
    guard(|| {
        // SAFETY: checked handle and array; out-pointers by contract.
        let op = unsafe { read_op(op) }?;
        unsafe {
            op.add_omap(iter, std::ptr::null_mut(), prval, Listing::ByKeys, || {
                if keys_len > 0 && keys.is_null() {
                    return Err(Errno::EINVAL);
                }
                let mut set = BTreeSet::new();
                for i in 0..keys_len {
                    // SAFETY: keys holds keys_len entries by contract.
                    set.insert(cstr(*keys.add(i))?.to_string());
                }
                Ok(OpKind::OmapGetValsByKeys { keys: set })
            })
        };
        Ok(())
    })
}
