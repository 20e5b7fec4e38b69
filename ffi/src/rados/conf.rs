//! rados_conf_parse_argv_remainder: command-line options, handing back
//! the arguments that were not options.

use crate::types::*;
use std::ffi::{c_char, c_int};

use rbdrs_client::proto::Errno;

use super::cluster;
use crate::boundary::{cstr, guard};

/// Applies the options among `argv` (argv[0] included, as librados does
/// here) and fills `remargv` (room for `argc` pointers) with the original
/// pointers of the arguments left over, in order, then NULLs.
///
/// # Safety
/// `cluster` from rados_create; `argv` holds `argc` C strings; `remargv`
/// is writable for `argc` pointers.
#[no_mangle]
pub unsafe extern "C" fn rados_conf_parse_argv_remainder(
    cluster: rados_t,
    argc: c_int,
    argv: *const *const c_char,
    remargv: *mut *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let cluster = unsafe { self::cluster(cluster) }?;
        let n = usize::try_from(argc).unwrap_or(0);
        if n > 0 && (argv.is_null() || remargv.is_null()) {
            return Err(Errno::EINVAL);
        }
        let mut args = Vec::with_capacity(n);
        for i in 0..n {
            // SAFETY: argv holds argc pointers by contract.
            args.push(unsafe { cstr(*argv.add(i)) }?);
        }
        let rest = cluster.rados.config()?.parse_argv(&args)?;
        // The leftovers keep their order: match them to argv's pointers.
        let mut from = 0;
        let mut out = 0;
        for r in &rest {
            while from < n && args[from] != r.as_str() {
                from += 1;
            }
            if from == n {
                break;
            }
            // SAFETY: out < argc; remargv writable for argc pointers.
            unsafe { remargv.add(out).write(*argv.add(from)) };
            out += 1;
            from += 1;
        }
        for i in out..n {
            // SAFETY: as above.
            unsafe { remargv.add(i).write(std::ptr::null()) };
        }
        Ok(0)
    })
}
