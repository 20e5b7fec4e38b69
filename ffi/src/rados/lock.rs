//! librados's advisory object locks (cls_lock): exclusive and shared locks
//! by name and cookie, unlocking, breaking another client's, listing them.

use crate::types::*;
use std::ffi::{c_char, c_int};

use rbdrs_client::proto::cls::lock::{self, ClsLockType, EntityName};
use rbdrs_client::proto::encoding::UtcTime;
use rbdrs_client::proto::osd::ObjectOperation;
use rbdrs_client::proto::Errno;

use super::object::{read, target, write, Target};
use crate::boundary::{cstr, guard, opt_cstr, LockerBufs};

fn duration(d: *const libc::timeval) -> Result<UtcTime, Errno> {
    if d.is_null() {
        return Ok(UtcTime::default());
    }
    // SAFETY: non-NULL, readable by the exports' contracts.
    let d = unsafe { d.read() };
    let sec = u32::try_from(d.tv_sec).map_err(|_| Errno::EINVAL)?;
    let usec = u32::try_from(d.tv_usec).ok().filter(|u| *u < 1_000_000).ok_or(Errno::EINVAL)?;
    Ok(UtcTime::new(sec, usec * 1000))
}

fn call(t: &Target, oid: &str, build: impl FnOnce(&mut ObjectOperation)) -> Result<i32, Errno> {
    let mut op = ObjectOperation::new();
    build(&mut op);
    t.run(write(t.io.clone(), oid.into(), None, op)).map(|_| 0)
}

/// Takes lock `name` on `o` exclusively as `cookie`, for `duration` (NULL:
/// until unlocked). -EBUSY if another holds it, -EEXIST if this cookie does.
///
/// # Safety
/// `io` from rados_ioctx_create; `o`, `name`, `cookie` C strings; `desc`
/// NULL or a C string; `duration` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn rados_lock_exclusive(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    cookie: *const c_char,
    desc: *const c_char,
    duration: *const libc::timeval,
    flags: u8,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (t, o, name, cookie, desc) =
            unsafe { (target(io)?, cstr(o)?, cstr(name)?, cstr(cookie)?, opt_cstr(desc)?.unwrap_or("")) };
        let d = self::duration(duration)?;
        call(&t, o, |op| lock::lock(op, name, ClsLockType::EXCLUSIVE, cookie, "", desc, d, flags))
    })
}

/// Takes lock `name` on `o` shared, as `cookie` with `tag`.
///
/// # Safety
/// As [`rados_lock_exclusive`]; `tag` a C string.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn rados_lock_shared(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    cookie: *const c_char,
    tag: *const c_char,
    desc: *const c_char,
    duration: *const libc::timeval,
    flags: u8,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (t, o, name, cookie, tag, desc) =
            unsafe { (target(io)?, cstr(o)?, cstr(name)?, cstr(cookie)?, cstr(tag)?, opt_cstr(desc)?.unwrap_or("")) };
        let d = self::duration(duration)?;
        call(&t, o, |op| lock::lock(op, name, ClsLockType::SHARED, cookie, tag, desc, d, flags))
    })
}

/// Releases this client's lock `name` on `o` held as `cookie`.
///
/// # Safety
/// `io` from rados_ioctx_create; `o`, `name`, `cookie` C strings.
#[no_mangle]
pub unsafe extern "C" fn rados_unlock(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    cookie: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (t, o, name, cookie) = unsafe { (target(io)?, cstr(o)?, cstr(name)?, cstr(cookie)?) };
        call(&t, o, |op| lock::unlock(op, name, cookie))
    })
}

/// Releases `client`'s (`client.<n>`) lock `name` on `o` held as `cookie`.
///
/// # Safety
/// `io` from rados_ioctx_create; the strings C strings.
#[no_mangle]
pub unsafe extern "C" fn rados_break_lock(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    client: *const c_char,
    cookie: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (t, o, name, client, cookie) =
            unsafe { (target(io)?, cstr(o)?, cstr(name)?, cstr(client)?, cstr(cookie)?) };
        let locker = EntityName::parse(client).ok_or(Errno::EINVAL)?;
        call(&t, o, |op| lock::break_lock(op, name, cookie, locker))
    })
}

/// The holders of lock `name` on `o`: clients, cookies and addresses as
/// NUL-separated lists, the tag and whether it is exclusive. Returns how
/// many; -ERANGE (every length set to what it needs) when one is short.
///
/// # Safety
/// `io` from rados_ioctx_create; `o`, `name` C strings; `exclusive` and
/// the lengths writable; each buffer NULL or valid for its length.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn rados_list_lockers(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    exclusive: *mut c_int,
    tag: *mut c_char,
    tag_len: *mut usize,
    clients: *mut c_char,
    clients_len: *mut usize,
    cookies: *mut c_char,
    cookies_len: *mut usize,
    addrs: *mut c_char,
    addrs_len: *mut usize,
) -> isize {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (t, o, name) = unsafe { (target(io)?, cstr(o)?, cstr(name)?) };
        let mut op = ObjectOperation::new();
        lock::get_info(&mut op, name);
        let reply = t.run(read(t.io.clone(), o.into(), op))?;
        let info = lock::get_info_finish(reply.out(0)?).map_err(|_| Errno::EIO)?;
        let lockers: Vec<[String; 3]> = info
            .lockers
            .iter()
            .map(|(id, who)| [id.locker.to_string(), id.cookie.clone(), who.addr.legacy().to_string()])
            .collect();
        let bufs = LockerBufs {
            exclusive,
            tag: (tag, tag_len),
            clients: (clients, clients_len),
            cookies: (cookies, cookies_len),
            addrs: (addrs, addrs_len),
        };
        // SAFETY: buffers and lengths per the contract.
        unsafe { bufs.fill(info.lock_type.is_exclusive(), &info.tag, &lockers) }
    })
}
