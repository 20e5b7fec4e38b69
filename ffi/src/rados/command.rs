//! Commands to the cluster's daemons as the `ceph` tool sends them:
//! monitors, OSDs, pgs' primaries, managers. Each takes JSON command parts
//! and input, and hands back the daemon's output and status line in
//! buffers freed with rados_buffer_free.

use std::ffi::{c_char, c_int};

use rbdrs_client::proto::rados::osd_command::{parse_pgid, CommandTarget};
use rbdrs_client::proto::Errno;
use rbdrs_client::CommandOutput;

use super::cluster;
use crate::boundary::{cstr, guard, put_output};
use crate::types::rados_t;

/// The arguments every *_command call shares.
struct CommandArgs {
    cmd: *mut *const c_char,
    cmdlen: usize,
    inbuf: *const c_char,
    inbuflen: usize,
    outbuf: *mut *mut c_char,
    outbuflen: *mut usize,
    outs: *mut *mut c_char,
    outslen: *mut usize,
}

impl CommandArgs {
    /// Reads the command and input, runs `send`, and hands its output and
    /// status line out whatever its result; the result is returned.
    ///
    /// # Safety
    /// `cmd` holds `cmdlen` C strings; `inbuf` readable for `inbuflen`
    /// bytes; the out-pointers NULL or writable.
    unsafe fn run(self, send: impl FnOnce(&[String], &[u8]) -> Result<CommandOutput, Errno>) -> Result<c_int, Errno> {
        if (self.cmd.is_null() && self.cmdlen > 0) || (self.inbuf.is_null() && self.inbuflen > 0) {
            return Err(Errno::EINVAL);
        }
        let mut parts = Vec::with_capacity(self.cmdlen);
        for i in 0..self.cmdlen {
            // SAFETY: cmd holds cmdlen C strings by contract.
            parts.push(unsafe { cstr(self.cmd.add(i).read()) }?.to_string());
        }
        let input = match self.inbuflen {
            0 => &[][..],
            // SAFETY: readable for inbuflen bytes by contract.
            n => unsafe { std::slice::from_raw_parts(self.inbuf.cast::<u8>(), n) },
        };
        let answer = send(&parts, input)?;
        // SAFETY: forwarded contracts.
        unsafe {
            put_output(&answer.output, self.outbuf, self.outbuflen)?;
            put_output(answer.status.as_bytes(), self.outs, self.outslen)?;
        }
        Ok(answer.result)
    }
}

/// Sends a command to the monitors, as the `ceph` tool does: `cmd` holds
/// `cmdlen` JSON strings (usually one), `inbuf` the input. Returns the
/// monitor's result; `*outbuf` (free with rados_buffer_free) gets its
/// output and `*outs` its status line, whatever the result. -EOPNOTSUPP on
/// the embedded store, which has no monitor.
///
/// # Safety
/// `cluster` connected; `cmd` holds `cmdlen` C strings; `inbuf` readable
/// for `inbuflen` bytes; the out-pointers NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn rados_mon_command(
    cluster: rados_t,
    cmd: *mut *const c_char,
    cmdlen: usize,
    inbuf: *const c_char,
    inbuflen: usize,
    outbuf: *mut *mut c_char,
    outbuflen: *mut usize,
    outs: *mut *mut c_char,
    outslen: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let c = unsafe { self::cluster(cluster) }?;
        let args = CommandArgs { cmd, cmdlen, inbuf, inbuflen, outbuf, outbuflen, outs, outslen };
        // SAFETY: forwarded contract.
        unsafe { args.run(|cmd, input| c.rados.mon_command(cmd, input)) }
    })
}

/// Sends a command to OSD `osdid`, as `ceph tell osd.N` does; otherwise as
/// rados_mon_command. -EINVAL for a negative id, -ENOENT ("osd dne") for
/// no such OSD, -ENXIO when it is down; -EOPNOTSUPP on the embedded store.
///
/// # Safety
/// As [`rados_mon_command`].
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn rados_osd_command(
    cluster: rados_t,
    osdid: c_int,
    cmd: *mut *const c_char,
    cmdlen: usize,
    inbuf: *const c_char,
    inbuflen: usize,
    outbuf: *mut *mut c_char,
    outbuflen: *mut usize,
    outs: *mut *mut c_char,
    outslen: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let c = unsafe { self::cluster(cluster) }?;
        let args = CommandArgs { cmd, cmdlen, inbuf, inbuflen, outbuf, outbuflen, outs, outslen };
        // SAFETY: forwarded contract.
        unsafe {
            args.run(|cmd, input| {
                if osdid < 0 {
                    return Err(Errno::EINVAL);
                }
                c.rados.osd_command(CommandTarget::Osd(osdid), cmd, input)
            })
        }
    })
}

/// Sends a command to the primary OSD of pg `pgstr` ("<pool>.<hex seed>"),
/// as `ceph pg <pgid> query` does; otherwise as rados_osd_command. -EINVAL
/// for a malformed pgid, -ENOENT ("pool dne") for no such pool.
///
/// # Safety
/// As [`rados_mon_command`]; `pgstr` a C string.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn rados_pg_command(
    cluster: rados_t,
    pgstr: *const c_char,
    cmd: *mut *const c_char,
    cmdlen: usize,
    inbuf: *const c_char,
    inbuflen: usize,
    outbuf: *mut *mut c_char,
    outbuflen: *mut usize,
    outs: *mut *mut c_char,
    outslen: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (c, pgstr) = unsafe { (self::cluster(cluster)?, cstr(pgstr)?) };
        let pg = parse_pgid(pgstr).ok_or(Errno::EINVAL)?;
        let args = CommandArgs { cmd, cmdlen, inbuf, inbuflen, outbuf, outbuflen, outs, outslen };
        // SAFETY: forwarded contract.
        unsafe { args.run(|cmd, input| c.rados.osd_command(CommandTarget::Pg(pg), cmd, input)) }
    })
}

/// Would send a command to the active manager: librbdrs has no manager
/// client, and answers -EOPNOTSUPP at once (librados talks to the
/// manager, or with none running waits rados_mon_op_timeout, for ever
/// when it is 0, and then returns ETIMEDOUT, positive).
///
/// # Safety
/// As [`rados_mon_command`].
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn rados_mgr_command(
    cluster: rados_t,
    cmd: *mut *const c_char,
    cmdlen: usize,
    inbuf: *const c_char,
    inbuflen: usize,
    outbuf: *mut *mut c_char,
    outbuflen: *mut usize,
    outs: *mut *mut c_char,
    outslen: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let c = unsafe { self::cluster(cluster) }?;
        let args = CommandArgs { cmd, cmdlen, inbuf, inbuflen, outbuf, outbuflen, outs, outslen };
        // SAFETY: forwarded contract.
        unsafe { args.run(|_, _| c.rados.mgr_command()) }
    })
}

/// rados_mgr_command to the manager named `name`; the same answer.
///
/// # Safety
/// As [`rados_mon_command`]; `name` a C string.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn rados_mgr_command_target(
    cluster: rados_t,
    name: *const c_char,
    cmd: *mut *const c_char,
    cmdlen: usize,
    inbuf: *const c_char,
    inbuflen: usize,
    outbuf: *mut *mut c_char,
    outbuflen: *mut usize,
    outs: *mut *mut c_char,
    outslen: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let c = unsafe { (self::cluster(cluster)?, cstr(name)?).0 };
        let args = CommandArgs { cmd, cmdlen, inbuf, inbuflen, outbuf, outbuflen, outs, outslen };
        // SAFETY: forwarded contract.
        unsafe { args.run(|_, _| c.rados.mgr_command()) }
    })
}

/// Sends a command to one monitor: `name` is its name, or its rank when
/// all digits; an empty name is any monitor, as rados_mon_command. It goes
/// on a connection of its own (a monitor answers only what it can alone:
/// "version", "mon_status", ...). -ENOENT with status "mon dne" or "mon
/// rank dne" for no such monitor; otherwise as rados_mon_command.
///
/// # Safety
/// As [`rados_mon_command`]; `name` a C string.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn rados_mon_command_target(
    cluster: rados_t,
    name: *const c_char,
    cmd: *mut *const c_char,
    cmdlen: usize,
    inbuf: *const c_char,
    inbuflen: usize,
    outbuf: *mut *mut c_char,
    outbuflen: *mut usize,
    outs: *mut *mut c_char,
    outslen: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (c, name) = unsafe { (self::cluster(cluster)?, cstr(name)?) };
        let args = CommandArgs { cmd, cmdlen, inbuf, inbuflen, outbuf, outbuflen, outs, outslen };
        // SAFETY: forwarded contract.
        unsafe { args.run(|cmd, input| c.rados.mon_command_target(name, cmd, input)) }
    })
}

/// Pings monitor `mon_id` (its name; "a" also finds "noname-a", the name
/// librados gives the first mon_host entry) and hands its answer, a JSON
/// object with "health" and "mon_status", in `*outstr` (free with
/// rados_buffer_free; no NUL). Works before rados_connect too, from
/// mon_host. -ENOENT for no such monitor, -EINVAL for an empty id,
/// -ETIMEDOUT after mon_client_ping_timeout; -EOPNOTSUPP on the embedded
/// store.
///
/// # Safety
/// `cluster` from rados_create; `mon_id` a C string; the out-pointers
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn rados_ping_monitor(
    cluster: rados_t,
    mon_id: *const c_char,
    outstr: *mut *mut c_char,
    outstrlen: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (c, mon_id) = unsafe { (self::cluster(cluster)?, cstr(mon_id)?) };
        let pong = c.rados.ping_monitor(mon_id)?;
        // SAFETY: forwarded contract.
        unsafe { put_output(pong.as_bytes(), outstr, outstrlen) }.map(|_| 0)
    })
}
