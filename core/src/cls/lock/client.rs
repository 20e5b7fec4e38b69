//! Requests and replies as librados's cls_lock_client.cc builds and reads
//! them. Lock-changing calls belong in a write compound.

use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::ops::{AssertOp, BreakOp, GetInfoOp, ListLocksReply, LockOp, SetCookieOp, UnlockOp};
use super::types::{ClsLockType, EntityName, LockInfo};
use super::CLASS;
use crate::encoding::{encode_to_vec, DecodeError, Decoder, Encode, UtcTime};
use crate::osd::ObjectOperation;

fn call(op: &mut ObjectOperation, method: &str, input: &impl Encode) {
    op.call(CLASS, method, Bytes::from(encode_to_vec(input)));
}

/// Takes (or with [`LOCK_FLAG_MAY_RENEW`](super::LOCK_FLAG_MAY_RENEW)
/// renews) a hold on lock `name`. A zero `duration` never expires.
#[allow(clippy::too_many_arguments)]
pub fn lock(
    op: &mut ObjectOperation,
    name: &str,
    lock_type: ClsLockType,
    cookie: &str,
    tag: &str,
    description: &str,
    duration: UtcTime,
    flags: u8,
) {
    let input = LockOp {
        name: name.into(),
        lock_type,
        cookie: cookie.into(),
        tag: tag.into(),
        description: description.into(),
        duration,
        flags,
    };
    call(op, "lock", &input);
}

/// Releases the caller's own hold.
pub fn unlock(op: &mut ObjectOperation, name: &str, cookie: &str) {
    call(op, "unlock", &UnlockOp { name: name.into(), cookie: cookie.into() });
}

/// Releases another client's hold.
pub fn break_lock(op: &mut ObjectOperation, name: &str, cookie: &str, locker: EntityName) {
    call(op, "break_lock", &BreakOp { name: name.into(), locker, cookie: cookie.into() });
}

/// Asks for the holders, type and tag of lock `name`.
pub fn get_info(op: &mut ObjectOperation, name: &str) {
    call(op, "get_info", &GetInfoOp { name: name.into() });
}

/// get_lock_info_finish. Like upstream, bytes after the reply are ignored.
pub fn get_info_finish(out: &[u8]) -> Result<LockInfo, DecodeError> {
    Decoder::new(out).decode()
}

/// Asks for the names of the object's locks (no input).
pub fn list_locks(op: &mut ObjectOperation) {
    op.call(CLASS, "list_locks", Bytes::new());
}

pub fn list_locks_finish(out: &[u8]) -> Result<Vec<String>, DecodeError> {
    Decoder::new(out).decode::<ListLocksReply>().map(|reply| reply.locks)
}

/// Fails the compound with -EBUSY unless the caller holds the lock with
/// this type, cookie and tag: a guard for the writes that follow.
pub fn assert_locked(op: &mut ObjectOperation, name: &str, lock_type: ClsLockType, cookie: &str, tag: &str) {
    call(op, "assert_locked", &AssertOp { name: name.into(), lock_type, cookie: cookie.into(), tag: tag.into() });
}

/// Moves the caller's hold to a new cookie.
pub fn set_cookie(
    op: &mut ObjectOperation,
    name: &str,
    lock_type: ClsLockType,
    cookie: &str,
    tag: &str,
    new_cookie: &str,
) {
    let input = SetCookieOp {
        name: name.into(),
        lock_type,
        cookie: cookie.into(),
        tag: tag.into(),
        new_cookie: new_cookie.into(),
    };
    call(op, "set_cookie", &input);
}
