//! Linux errno values as Ceph returns them (negated) on the wire and through
//! librbd's C API. An open set: an OSD may send codes this list lacks.

use core::fmt;

/// A positive errno value. Ceph replies carry `-errno`; see [`Errno::from_ret`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(pub i32);

macro_rules! errnos {
    ($($name:ident = $val:expr, $text:expr;)*) => {
        impl Errno {
            $(pub const $name: Errno = Errno($val);)*

            /// The symbolic name, when this is a code we know.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            fn text(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

errnos! {
    EPERM = 1, "operation not permitted";
    ENOENT = 2, "no such file or directory";
    EIO = 5, "input/output error";
    ENXIO = 6, "no such device or address";
    E2BIG = 7, "argument list too long";
    ENOEXEC = 8, "exec format error";
    EBADF = 9, "bad file descriptor";
    EAGAIN = 11, "resource temporarily unavailable";
    ENOMEM = 12, "cannot allocate memory";
    EACCES = 13, "permission denied";
    EFAULT = 14, "bad address";
    EBUSY = 16, "device or resource busy";
    EEXIST = 17, "file exists";
    EXDEV = 18, "invalid cross-device link";
    ENODEV = 19, "no such device";
    ENOTDIR = 20, "not a directory";
    EINVAL = 22, "invalid argument";
    EFBIG = 27, "file too large";
    ENOSPC = 28, "no space left on device";
    EROFS = 30, "read-only file system";
    EMLINK = 31, "too many links";
    EDOM = 33, "numerical argument out of domain";
    ERANGE = 34, "numerical result out of range";
    EDEADLK = 35, "resource deadlock avoided";
    ENAMETOOLONG = 36, "file name too long";
    ENOSYS = 38, "function not implemented";
    ENOTEMPTY = 39, "directory not empty";
    ELOOP = 40, "too many levels of symbolic links";
    ENODATA = 61, "no data available";
    ETIME = 62, "timer expired";
    EPROTO = 71, "protocol error";
    ERESTART = 85, "interrupted system call should be restarted";
    EBADMSG = 74, "bad message";
    EOVERFLOW = 75, "value too large for defined data type";
    EILSEQ = 84, "invalid or incomplete multibyte or wide character";
    EOPNOTSUPP = 95, "operation not supported";
    ECONNRESET = 104, "connection reset by peer";
    EISCONN = 106, "transport endpoint is already connected";
    ENOTCONN = 107, "transport endpoint is not connected";
    ESHUTDOWN = 108, "cannot send after transport endpoint shutdown";
    ETIMEDOUT = 110, "connection timed out";
    ECONNREFUSED = 111, "connection refused";
    EINPROGRESS = 115, "operation now in progress";
    ESTALE = 116, "stale file handle";
    EUCLEAN = 117, "structure needs cleaning";
    EDQUOT = 122, "disk quota exceeded";
    ECANCELED = 125, "operation canceled";
    EKEYREJECTED = 129, "key was rejected by service";
}

impl Errno {
    /// Ceph's name for ESHUTDOWN when a client was blocklisted.
    pub const EBLOCKLISTED: Errno = Errno::ESHUTDOWN;
    /// Largest errno; CMPEXT reports a mismatch at offset `n` as `-(MAX_ERRNO + n)`.
    pub const MAX_ERRNO: i32 = 4095;

    /// The negative return code librbd and the OSD use for this error.
    pub const fn to_ret(self) -> i32 {
        -self.0
    }

    /// Splits a Ceph-style return code: negative values are errors.
    pub const fn from_ret(ret: i32) -> Result<i32, Errno> {
        if ret < 0 {
            // i32::MIN has no positive twin; treat it as the largest error.
            Err(Errno(ret.saturating_neg()))
        } else {
            Ok(ret)
        }
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.text()) {
            (Some(name), Some(text)) => write!(f, "{text} ({name})"),
            _ => write!(f, "error {}", self.0),
        }
    }
}

impl core::error::Error for Errno {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ret_round_trip() {
        assert_eq!(Errno::from_ret(-2), Err(Errno::ENOENT));
        assert_eq!(Errno::from_ret(7), Ok(7));
        assert_eq!(Errno::ENOENT.to_ret(), -2);
        assert_eq!(Errno::from_ret(i32::MIN), Err(Errno(i32::MAX)));
    }

    #[test]
    fn display_names_known_codes() {
        use alloc::format;
        assert_eq!(format!("{}", Errno::EEXIST), "file exists (EEXIST)");
        assert_eq!(format!("{:?}", Errno(4000)), "Errno(4000)");
    }
}
