//! librados write compounds: rados_write_op_t (read ops: read_op.rs).
//! Actions are collected on the handle, then executed on one object
//! atomically by an operate call, synchronously or with a completion.
//!
//! The action-adding calls return nothing, as in librados; a bad argument
//! (a NULL name, a NULL buffer with a length) is remembered instead and the
//! operate call fails with -EINVAL without sending anything.

use crate::types::*;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{c_char, c_int};

use bytes::Bytes;
use rbdrs_client::proto::encoding::UtcTime;
use rbdrs_client::proto::image::IoCtx;
use rbdrs_client::proto::osd::{ObjectOperation, ObjectReply, OpFlags, OpKind, OsdOp};
use rbdrs_client::proto::Errno;

use super::aio::{completion_ref, launch_write};
use super::object::{check_data_len, data_in, size_for_append, target, utc_time, write, OutPtr};
use crate::boundary::{cstr, guard};
use crate::handle::{self, c_handle, Magic};

/// LIBRADOS_OP_FLAG_EXCL and LIBRADOS_OP_FLAG_FAILOK: the per-op flags that
/// change what an op does (the fadvise hints do not, here).
pub(super) const OP_FLAGS_KEPT: u32 = 0x1 | 0x2;

/// One action of a write compound. An append becomes a write at the size
/// the object has by then, resolved when the compound is sent.
#[derive(Clone, Debug)]
enum Action {
    Op(OpKind),
    Append(Bytes),
}

/// rados_write_op_t.
#[derive(Debug)]
pub struct WriteOp {
    magic: Magic,
    actions: Vec<(Action, OpFlags)>,
    /// Out-pointers for an action's result, by action index.
    rvals: Vec<(usize, OutPtr<c_int>)>,
    invalid: Option<Errno>,
}
c_handle!(WriteOp, 0x7262_6472_7377_6f70); // "rbdrswop"

impl WriteOp {
    fn add(&mut self, action: Action) {
        self.actions.push((action, OpFlags::NONE));
    }

    fn add_op(&mut self, kind: OpKind) {
        self.add(Action::Op(kind));
    }

    /// Adds what `build` makes of the arguments, or remembers their error.
    fn add_with(&mut self, build: impl FnOnce() -> Result<Action, Errno>) {
        match build() {
            Ok(action) => self.add(action),
            Err(e) => {
                self.invalid.get_or_insert(e);
            }
        }
    }

    /// Adds `kind` whose result goes to `prval` (NULL: nowhere), or
    /// remembers why it could not be built.
    ///
    /// # Safety
    /// `prval` NULL or writable until every operate of this op finished.
    pub(super) unsafe fn add_checked(&mut self, kind: Result<OpKind, Errno>, prval: *mut c_int) {
        match kind {
            Ok(kind) => {
                // SAFETY: forwarded contract.
                self.rvals.push((self.actions.len(), unsafe { OutPtr::new(prval) }));
                self.add_op(kind);
            }
            Err(e) => {
                self.invalid.get_or_insert(e);
            }
        }
    }

    fn compound(&self) -> Result<Compound, Errno> {
        match self.invalid {
            Some(e) => Err(e),
            None => Ok(Compound { actions: self.actions.clone(), rvals: self.rvals.clone() }),
        }
    }
}

/// A copy of a write op's actions, taken when it is sent.
struct Compound {
    actions: Vec<(Action, OpFlags)>,
    rvals: Vec<(usize, OutPtr<c_int>)>,
}

/// Hands each action that asked for it its result. An append is one op,
/// so action and op indices agree.
fn deliver_rvals(rvals: &[(usize, OutPtr<c_int>)], reply: &ObjectReply) {
    for (index, rval) in rvals {
        rval.set(reply.ops.get(*index).map_or(0, |op| op.rval));
    }
}

/// Borrows a write op.
///
/// # Safety
/// `op` is NULL or a live handle from rados_create_write_op, not used by
/// another thread during the call.
pub(super) unsafe fn write_op<'a>(op: rados_write_op_t) -> Result<&'a mut WriteOp, Errno> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow_mut(op) }
}

/// Turns the actions into one compound, placing appends at the object's
/// size as the ops before them leave it.
async fn resolve(io: &IoCtx, name: &str, actions: Vec<(Action, OpFlags)>) -> Result<ObjectOperation, Errno> {
    let mut size = None;
    if actions.iter().any(|(a, _)| matches!(a, Action::Append(_))) {
        size = Some(size_for_append(io, name).await?);
    }
    let mut compound = ObjectOperation::new();
    for (action, flags) in actions {
        let kind = match action {
            Action::Op(kind) => kind,
            Action::Append(data) => OpKind::Write { offset: size.unwrap_or(0), data },
        };
        if let Some(size) = size.as_mut() {
            *size = size_after(*size, &kind);
        }
        compound.ops.push(OsdOp { kind, flags });
    }
    Ok(compound)
}

/// The object's size after `kind`, as far as it changes it.
fn size_after(size: u64, kind: &OpKind) -> u64 {
    match kind {
        OpKind::Write { offset, data } if !data.is_empty() => size.max(offset.saturating_add(data.len() as u64)),
        OpKind::WriteSame { offset, length, .. } if *length > 0 => size.max(offset.saturating_add(*length)),
        OpKind::WriteFull { data } => data.len() as u64,
        OpKind::Truncate { size } => *size,
        OpKind::Remove => 0,
        _ => size,
    }
}

async fn send_write(io: IoCtx, name: String, mtime: Option<UtcTime>, compound: Compound) -> ObjectReply {
    let Compound { actions, rvals } = compound;
    let reply = match resolve(&io, &name, actions).await {
        Ok(ops) => write(io, name, mtime, ops).await,
        Err(e) => ObjectReply::error(e),
    };
    deliver_rvals(&rvals, &reply);
    reply
}

/// Creates an empty write op (NULL only if allocation failed).
#[no_mangle]
pub extern "C" fn rados_create_write_op() -> rados_write_op_t {
    guard(|| {
        Ok(handle::give(WriteOp {
            magic: Magic::of::<WriteOp>(),
            actions: Vec::new(),
            rvals: Vec::new(),
            invalid: None,
        }))
    })
}

/// Frees a write op (NULL is ignored).
///
/// # Safety
/// `op` NULL or from rados_create_write_op, not used afterwards. An
/// asynchronous operate took its own copy: releasing before it completes
/// is fine.
#[no_mangle]
pub unsafe extern "C" fn rados_release_write_op(op: rados_write_op_t) {
    guard(|| {
        // SAFETY: the export's contract; ownership returns to us here.
        drop(unsafe { handle::free(op) });
        Ok(())
    })
}

/// Sets LIBRADOS_OP_FLAG_* on the action added last (EXCL and FAILOK
/// matter; the fadvise hints are accepted and ignored).
///
/// # Safety
/// `op` from rados_create_write_op.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_set_flags(op: rados_write_op_t, flags: c_int) {
    guard(|| {
        // SAFETY: checked handle.
        if let Ok(op) = unsafe { write_op(op) } {
            if let Some((_, last)) = op.actions.last_mut() {
                *last = last.union(OpFlags(flags as u32 & OP_FLAGS_KEPT));
            }
        }
        Ok(())
    })
}

/// Fails the compound with -ENOENT unless the object exists.
///
/// # Safety
/// `op` from rados_create_write_op.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_assert_exists(op: rados_write_op_t) {
    // SAFETY: checked handle.
    guard(|| {
        unsafe { write_op(op) }?.add_op(OpKind::AssertExists);
        Ok(())
    })
}

/// Creates the object; with `exclusive` (LIBRADOS_CREATE_EXCLUSIVE) the
/// compound fails with -EEXIST if it exists. `category` is ignored, as in
/// librados.
///
/// # Safety
/// `op` from rados_create_write_op; `category` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_create(op: rados_write_op_t, exclusive: c_int, category: *const c_char) {
    let _ = category;
    guard(|| {
        // SAFETY: checked handle.
        if let Ok(op) = unsafe { write_op(op) } {
            op.add_op(OpKind::Create);
            if exclusive != 0 {
                if let Some((_, flags)) = op.actions.last_mut() {
                    *flags = flags.union(OpFlags::EXCL);
                }
            }
        }
        Ok(())
    })
}

/// Writes `len` bytes of `buffer` at `offset` (copied now).
///
/// # Safety
/// `op` from rados_create_write_op; `buffer` readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_write(op: rados_write_op_t, buffer: *const c_char, len: usize, offset: u64) {
    guard(|| {
        // SAFETY: checked handle and buffer.
        if let Ok(op) = unsafe { write_op(op) } {
            op.add_with(|| {
                check_data_len(len)?;
                Ok(Action::Op(OpKind::Write { offset, data: unsafe { data_in(buffer, len) }? }))
            });
        }
        Ok(())
    })
}

/// Replaces the object's data with `buffer`.
///
/// # Safety
/// As [`rados_write_op_write`].
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_write_full(op: rados_write_op_t, buffer: *const c_char, len: usize) {
    guard(|| {
        // SAFETY: checked handle and buffer.
        if let Ok(op) = unsafe { write_op(op) } {
            op.add_with(|| {
                check_data_len(len)?;
                Ok(Action::Op(OpKind::WriteFull { data: unsafe { data_in(buffer, len) }? }))
            });
        }
        Ok(())
    })
}

/// Writes `buffer` repeated over `write_len` bytes at `offset`.
///
/// # Safety
/// As [`rados_write_op_write`], `buffer` readable for `data_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_writesame(
    op: rados_write_op_t,
    buffer: *const c_char,
    data_len: usize,
    write_len: usize,
    offset: u64,
) {
    guard(|| {
        // SAFETY: checked handle and buffer.
        if let Ok(op) = unsafe { write_op(op) } {
            op.add_with(|| {
                check_data_len(data_len)?;
                let data = unsafe { data_in(buffer, data_len) }?;
                Ok(Action::Op(OpKind::WriteSame { offset, length: write_len as u64, data }))
            });
        }
        Ok(())
    })
}

/// Appends `buffer`: written at the object's size as the compound's
/// earlier actions leave it. The size is read before the compound is sent,
/// so a concurrent writer of the object can land in between.
///
/// # Safety
/// As [`rados_write_op_write`].
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_append(op: rados_write_op_t, buffer: *const c_char, len: usize) {
    guard(|| {
        // SAFETY: checked handle and buffer.
        if let Ok(op) = unsafe { write_op(op) } {
            op.add_with(|| {
                check_data_len(len)?;
                Ok(Action::Append(unsafe { data_in(buffer, len) }?))
            });
        }
        Ok(())
    })
}

/// Removes the object.
///
/// # Safety
/// `op` from rados_create_write_op.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_remove(op: rados_write_op_t) {
    // SAFETY: checked handle.
    guard(|| {
        unsafe { write_op(op) }?.add_op(OpKind::Remove);
        Ok(())
    })
}

/// Cuts or extends the object to `offset` bytes.
///
/// # Safety
/// `op` from rados_create_write_op.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_truncate(op: rados_write_op_t, offset: u64) {
    // SAFETY: checked handle.
    guard(|| {
        unsafe { write_op(op) }?.add_op(OpKind::Truncate { size: offset });
        Ok(())
    })
}

/// Zeroes `len` bytes at `offset` (never extending the object).
///
/// # Safety
/// `op` from rados_create_write_op.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_zero(op: rados_write_op_t, offset: u64, len: u64) {
    // SAFETY: checked handle.
    guard(|| {
        unsafe { write_op(op) }?.add_op(OpKind::Zero { offset, length: len });
        Ok(())
    })
}

/// Sets attribute `name`.
///
/// # Safety
/// `op` from rados_create_write_op; `name` a C string; `value` readable
/// for `value_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_setxattr(
    op: rados_write_op_t,
    name: *const c_char,
    value: *const c_char,
    value_len: usize,
) {
    guard(|| {
        // SAFETY: checked handle, string and buffer.
        if let Ok(op) = unsafe { write_op(op) } {
            op.add_with(|| {
                let (name, value) = unsafe { (cstr(name)?, data_in(value, value_len)?) };
                Ok(Action::Op(OpKind::SetXattr { name: name.into(), value }))
            });
        }
        Ok(())
    })
}

/// Removes attribute `name`.
///
/// # Safety
/// `op` from rados_create_write_op; `name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_rmxattr(op: rados_write_op_t, name: *const c_char) {
    guard(|| {
        // SAFETY: checked handle and string.
        if let Ok(op) = unsafe { write_op(op) } {
            op.add_with(|| Ok(Action::Op(OpKind::RmXattr { name: unsafe { cstr(name) }?.into() })));
        }
        Ok(())
    })
}

/// Sets `num` omap entries: `keys[i]` to `lens[i]` bytes of `vals[i]`.
///
/// # Safety
/// `op` from rados_create_write_op; `keys`, `vals`, `lens` arrays of `num`
/// entries; each key a C string, each value readable for its length.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_omap_set(
    op: rados_write_op_t,
    keys: *const *const c_char,
    vals: *const *const c_char,
    lens: *const usize,
    num: usize,
) {
    guard(|| {
        // SAFETY: checked handle and arrays.
        if let Ok(op) = unsafe { write_op(op) } {
            op.add_with(|| {
                if num > 0 && (keys.is_null() || vals.is_null() || lens.is_null()) {
                    return Err(Errno::EINVAL);
                }
                let mut entries = BTreeMap::new();
                for i in 0..num {
                    // SAFETY: each array holds num entries by contract.
                    let (key, value) = unsafe { (cstr(*keys.add(i))?, data_in(*vals.add(i), *lens.add(i))?) };
                    entries.insert(key.to_string(), value);
                }
                Ok(Action::Op(OpKind::OmapSetVals { entries }))
            });
        }
        Ok(())
    })
}

/// Removes `keys_len` omap keys.
///
/// # Safety
/// `op` from rados_create_write_op; `keys` an array of `keys_len` C strings.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_omap_rm_keys(
    op: rados_write_op_t,
    keys: *const *const c_char,
    keys_len: usize,
) {
    guard(|| {
        // SAFETY: checked handle and array.
        if let Ok(op) = unsafe { write_op(op) } {
            op.add_with(|| {
                if keys_len > 0 && keys.is_null() {
                    return Err(Errno::EINVAL);
                }
                let mut set = BTreeSet::new();
                for i in 0..keys_len {
                    // SAFETY: keys holds keys_len entries by contract.
                    set.insert(unsafe { cstr(*keys.add(i)) }?.to_string());
                }
                Ok(Action::Op(OpKind::OmapRmKeys { keys: set }))
            });
        }
        Ok(())
    })
}

/// Removes every omap entry.
///
/// # Safety
/// `op` from rados_create_write_op.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_omap_clear(op: rados_write_op_t) {
    // SAFETY: checked handle.
    guard(|| {
        unsafe { write_op(op) }?.add_op(OpKind::OmapClear);
        Ok(())
    })
}

/// An allocation hint: accepted, changes nothing.
///
/// # Safety
/// `op` from rados_create_write_op.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_set_alloc_hint(
    op: rados_write_op_t,
    expected_object_size: u64,
    expected_write_size: u64,
) {
    guard(|| {
        // SAFETY: checked handle.
        if let Ok(op) = unsafe { write_op(op) } {
            op.add_op(OpKind::SetAllocHint { expected_object_size, expected_write_size, flags: 0 });
        }
        Ok(())
    })
}

/// # Safety
/// As the operate exports.
unsafe fn operate_write(
    op: rados_write_op_t,
    io: rados_ioctx_t,
    oid: *const c_char,
    mtime: impl FnOnce() -> Result<Option<UtcTime>, Errno>,
) -> Result<c_int, Errno> {
    // SAFETY: checked handles and string.
    let (t, actions, name) = unsafe { (target(io)?, write_op(op)?.compound()?, cstr(oid)?) };
    t.run(send_write(t.io.clone(), name.into(), mtime()?, actions))?;
    Ok(0)
}

/// Executes the write op on `oid` atomically: 0 or the first failing
/// action's error. `mtime` NULL: now. `flags` (LIBRADOS_OPERATION_*) are
/// placement and ordering hints for a cluster and ignored.
///
/// # Safety
/// `op` from rados_create_write_op; `io` from rados_ioctx_create; `oid` a
/// C string; `mtime` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_operate(
    op: rados_write_op_t,
    io: rados_ioctx_t,
    oid: *const c_char,
    mtime: *mut crate::types::time_t,
    flags: c_int,
) -> c_int {
    let _ = flags;
    // SAFETY: forwarded contract; mtime NULL or readable.
    guard(|| unsafe { operate_write(op, io, oid, || mtime.as_ref().map(|&t| utc_time(t, 0)).transpose()) })
}

/// [`rados_write_op_operate`] with the mtime as a timespec.
///
/// # Safety
/// As [`rados_write_op_operate`].
#[no_mangle]
pub unsafe extern "C" fn rados_write_op_operate2(
    op: rados_write_op_t,
    io: rados_ioctx_t,
    oid: *const c_char,
    mtime: *mut crate::types::timespec,
    flags: c_int,
) -> c_int {
    let _ = flags;
    // SAFETY: forwarded contract; mtime NULL or readable.
    guard(|| unsafe {
        operate_write(op, io, oid, || mtime.as_ref().map(|ts| utc_time(ts.tv_sec, ts.tv_nsec)).transpose())
    })
}

/// Starts the write op on `oid`; the completion's value is 0 or the error.
/// The actions are copied: the op may be released or reused at once.
///
/// # Safety
/// `op` from rados_create_write_op; `io` from rados_ioctx_create; `c` a
/// live completion; `oid` a C string; `mtime` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn rados_aio_write_op_operate(
    op: rados_write_op_t,
    io: rados_ioctx_t,
    c: rados_completion_t,
    oid: *const c_char,
    mtime: *mut crate::types::time_t,
    flags: c_int,
) -> c_int {
    let _ = flags;
    // SAFETY: forwarded contract; mtime NULL or readable.
    guard(|| unsafe { aio_operate_write(op, io, c, oid, mtime.as_ref().map(|&t| utc_time(t, 0)).transpose()?) })
}

/// Starts the write op's actions on `oid`, stamped `mtime` if given.
///
/// # Safety
/// As [`rados_aio_write_op_operate`].
unsafe fn aio_operate_write(
    op: rados_write_op_t,
    io: rados_ioctx_t,
    c: rados_completion_t,
    oid: *const c_char,
    mtime: Option<UtcTime>,
) -> Result<c_int, Errno> {
    // SAFETY: checked handles and string.
    let (t, actions, completion, name) =
        unsafe { (target(io)?, write_op(op)?.compound()?, completion_ref(c)?, cstr(oid)?) };
    launch_write(&t, io, &completion, send_write(t.io.clone(), name.into(), mtime, actions))
}

/// [`rados_aio_write_op_operate`] with the mtime as a timespec (Reef).
///
/// # Safety
/// As [`rados_aio_write_op_operate`].
#[no_mangle]
pub unsafe extern "C" fn rados_aio_write_op_operate2(
    op: rados_write_op_t,
    io: rados_ioctx_t,
    c: rados_completion_t,
    oid: *const c_char,
    mtime: *mut crate::types::timespec,
    flags: c_int,
) -> c_int {
    let _ = flags;
    // SAFETY: forwarded contract; mtime NULL or readable.
    guard(|| unsafe {
        aio_operate_write(op, io, c, oid, mtime.as_ref().map(|ts| utc_time(ts.tv_sec, ts.tv_nsec)).transpose()?)
    })
}
