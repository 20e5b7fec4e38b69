//! The class itself, as src/cls/lock/cls_lock.cc runs it in an OSD.
//!
//! A lock lives in the xattr `lock.<name>` as a [`LockInfo`]. Holders are
//! named by the requesting client's entity name plus the cookie it chose,
//! so a client cannot release or renew another's hold except by breaking
//! it. Expired holders are dropped whenever a lock is read.

use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::ops::{AssertOp, BreakOp, GetInfoOp, ListLocksReply, LockOp, SetCookieOp, UnlockOp};
use super::types::{ClsLockType, EntityAddr, EntityName, LockInfo, LockerId, LockerInfo};
use super::{CLASS, LOCK_FLAG_MAY_RENEW, LOCK_FLAG_MUST_RENEW};
use crate::encoding::{encode_to_vec, Decode, Decoder, UtcTime};
use crate::memstore::{ClassRegistry, MethodContext, MethodFlags};
use crate::Errno;

/// The xattr prefix of every lock.
pub const LOCK_PREFIX: &str = "lock.";

/// Registers the class's methods with cls_lock.cc's flags.
pub fn register(reg: &mut ClassRegistry) {
    reg.register(CLASS, "lock", MethodFlags::RDWR, lock_op);
    reg.register(CLASS, "unlock", MethodFlags::RDWR, unlock_op);
    reg.register(CLASS, "break_lock", MethodFlags::RDWR, break_lock);
    reg.register(CLASS, "get_info", MethodFlags::RD, get_info);
    reg.register(CLASS, "list_locks", MethodFlags::RD, list_locks);
    reg.register(CLASS, "assert_locked", MethodFlags::RD, assert_locked);
    reg.register(CLASS, "set_cookie", MethodFlags::RDWR, set_cookie);
}

/// Inputs decode as upstream's do: trailing bytes are ignored, anything
/// malformed is -EINVAL.
fn decode_input<T: Decode>(input: &[u8]) -> Result<T, Errno> {
    Decoder::new(input).decode().map_err(|_| Errno::EINVAL)
}

fn lock_key(name: &str) -> String {
    let mut key = String::with_capacity(LOCK_PREFIX.len() + name.len());
    key.push_str(LOCK_PREFIX);
    key.push_str(name);
    key
}

fn origin_name(ctx: &MethodContext<'_>) -> EntityName {
    EntityName::client(ctx.origin().global_id)
}

/// utime_t's `+=`: seconds and nanoseconds add with u32 wrap-around, then
/// whole seconds carry out of the nanoseconds.
fn utime_add(a: UtcTime, b: UtcTime) -> UtcTime {
    const NSEC_PER_SEC: u32 = 1_000_000_000;
    let nsec = a.nsec.wrapping_add(b.nsec);
    UtcTime::new(a.sec.wrapping_add(b.sec).wrapping_add(nsec / NSEC_PER_SEC), nsec % NSEC_PER_SEC)
}

fn is_zero(t: UtcTime) -> bool {
    t.sec == 0 && t.nsec == 0
}

/// read_lock: the lock's state with expired holders dropped. A missing
/// xattr is an unheld lock; a missing object is -ENOENT; an undecodable
/// xattr is -EIO.
fn read_lock(ctx: &mut MethodContext<'_>, name: &str) -> Result<LockInfo, Errno> {
    let raw = match ctx.getxattr(&lock_key(name)) {
        Ok(raw) => raw,
        Err(Errno::ENODATA) => return Ok(LockInfo::default()),
        Err(errno) => return Err(errno),
    };
    let mut info: LockInfo = Decoder::new(&raw).decode().map_err(|_| Errno::EIO)?;
    let now = ctx.now();
    info.lockers.retain(|_, locker| is_zero(locker.expiration) || locker.expiration >= now);
    if info.lockers.is_empty() && info.lock_type.is_ephemeral() {
        // Upstream only logs a failure here (a read cannot remove).
        let _ = ctx.remove();
    }
    Ok(info)
}

fn write_lock(ctx: &mut MethodContext<'_>, name: &str, info: &LockInfo) -> Result<(), Errno> {
    ctx.setxattr(&lock_key(name), Bytes::from(encode_to_vec(info)))
}

fn lock_op(ctx: &mut MethodContext<'_>, input: &[u8]) -> Result<Vec<u8>, Errno> {
    let op: LockOp = decode_input(input)?;
    let fail_if_exists = op.flags & LOCK_FLAG_MAY_RENEW == 0;
    let fail_if_does_not_exist = op.flags & LOCK_FLAG_MUST_RENEW != 0;
    if !op.lock_type.is_valid() || op.name.is_empty() {
        return Err(Errno::EINVAL);
    }
    // MAY_RENEW and MUST_RENEW disagree about a lock not yet held.
    if !fail_if_exists && fail_if_does_not_exist {
        return Err(Errno::EINVAL);
    }
    // Locking a missing object creates it.
    let mut info = match read_lock(ctx, &op.name) {
        Err(Errno::ENOENT) => LockInfo::default(),
        other => other?,
    };
    let id = LockerId { locker: origin_name(ctx), cookie: op.cookie };
    // Checked before the renewal below may drop this holder's old entry.
    if !info.lockers.is_empty() && op.tag != info.tag {
        return Err(Errno::EBUSY);
    }
    if info.lockers.remove(&id).is_some() {
        if fail_if_exists && !fail_if_does_not_exist {
            return Err(Errno::EEXIST);
        }
    } else if fail_if_does_not_exist {
        return Err(Errno::ENOENT);
    }
    if !info.lockers.is_empty() && (op.lock_type.is_exclusive() || info.lock_type != op.lock_type) {
        return Err(Errno::EBUSY);
    }
    info.lock_type = op.lock_type;
    info.tag = op.tag;
    let expiration = if is_zero(op.duration) { UtcTime::default() } else { utime_add(ctx.now(), op.duration) };
    // Every address is stored as legacy: a client's type varies with the
    // OSD it talks to and does not identify it.
    let addr = EntityAddr::blank_ipv4(EntityAddr::TYPE_LEGACY, ctx.origin().nonce);
    info.lockers.insert(id, LockerInfo { expiration, addr, description: op.description });
    write_lock(ctx, &op.name, &info)?;
    Ok(Vec::new())
}

/// remove_lock: drops one holder; -ENOENT if it holds nothing.
fn remove_lock(ctx: &mut MethodContext<'_>, name: &str, locker: EntityName, cookie: String) -> Result<Vec<u8>, Errno> {
    let mut info = read_lock(ctx, name)?;
    if info.lockers.remove(&LockerId { locker, cookie }).is_none() {
        return Err(Errno::ENOENT);
    }
    // Upstream asserts an ephemeral lock had one holder; it cleans up anyway.
    if info.lock_type.is_ephemeral() {
        ctx.remove()?;
    } else {
        write_lock(ctx, name, &info)?;
    }
    Ok(Vec::new())
}

fn unlock_op(ctx: &mut MethodContext<'_>, input: &[u8]) -> Result<Vec<u8>, Errno> {
    let op: UnlockOp = decode_input(input)?;
    let me = origin_name(ctx);
    remove_lock(ctx, &op.name, me, op.cookie)
}

fn break_lock(ctx: &mut MethodContext<'_>, input: &[u8]) -> Result<Vec<u8>, Errno> {
    let op: BreakOp = decode_input(input)?;
    remove_lock(ctx, &op.name, op.locker, op.cookie)
}

fn get_info(ctx: &mut MethodContext<'_>, input: &[u8]) -> Result<Vec<u8>, Errno> {
    let op: GetInfoOp = decode_input(input)?;
    let info = read_lock(ctx, &op.name)?;
    Ok(encode_to_vec(&info))
}

fn list_locks(ctx: &mut MethodContext<'_>, _input: &[u8]) -> Result<Vec<u8>, Errno> {
    let locks =
        ctx.getxattrs()?.into_keys().filter_map(|key| key.strip_prefix(LOCK_PREFIX).map(String::from)).collect();
    Ok(encode_to_vec(&ListLocksReply { locks }))
}

/// The checks assert_locked and set_cookie share: the lock is held with
/// this type and tag, by the caller under `cookie`. -EBUSY otherwise.
fn held_by_caller(
    ctx: &mut MethodContext<'_>,
    name: &str,
    lock_type: ClsLockType,
    cookie: &str,
    tag: &str,
) -> Result<(LockInfo, LockerId), Errno> {
    if !lock_type.is_valid() || name.is_empty() {
        return Err(Errno::EINVAL);
    }
    let info = read_lock(ctx, name)?;
    if info.lockers.is_empty() || info.lock_type != lock_type || info.tag != tag {
        return Err(Errno::EBUSY);
    }
    let id = LockerId { locker: origin_name(ctx), cookie: cookie.into() };
    if !info.lockers.contains_key(&id) {
        return Err(Errno::EBUSY);
    }
    Ok((info, id))
}

fn assert_locked(ctx: &mut MethodContext<'_>, input: &[u8]) -> Result<Vec<u8>, Errno> {
    let op: AssertOp = decode_input(input)?;
    held_by_caller(ctx, &op.name, op.lock_type, &op.cookie, &op.tag)?;
    Ok(Vec::new())
}

fn set_cookie(ctx: &mut MethodContext<'_>, input: &[u8]) -> Result<Vec<u8>, Errno> {
    let op: SetCookieOp = decode_input(input)?;
    let (mut info, id) = held_by_caller(ctx, &op.name, op.lock_type, &op.cookie, &op.tag)?;
    let new_id = LockerId { locker: id.locker, cookie: op.new_cookie };
    if info.lockers.contains_key(&new_id) {
        return Err(Errno::EBUSY);
    }
    if let Some(locker) = info.lockers.remove(&id) {
        info.lockers.insert(new_id, locker);
    }
    write_lock(ctx, &op.name, &info)?;
    Ok(Vec::new())
}
