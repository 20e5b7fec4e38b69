//! The panic boundary every export goes through.

use std::panic::{catch_unwind, AssertUnwindSafe};

use rbdrs_core::Errno;

/// Runs an export's body; a panic becomes -EIO instead of unwinding into C.
/// Bodies hold no lock across a panic point that C could observe later, so
/// asserting unwind safety is sound here.
// The int-returning exports arrive with the C library proper.
#[allow(dead_code)]
pub(crate) fn guard(body: impl FnOnce() -> Result<i32, Errno>) -> i32 {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(ret)) => ret,
        Ok(Err(errno)) => errno.to_ret(),
        Err(_) => Errno::EIO.to_ret(),
    }
}

/// For exports that return nothing: a panic is swallowed.
pub(crate) fn guard_void(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_eio() {
        assert_eq!(guard(|| panic!("boom")), -5);
        assert_eq!(guard(|| Err(Errno::EINVAL)), -22);
        assert_eq!(guard(|| Ok(3)), 3);
        guard_void(|| panic!("swallowed"));
    }
}
