//! The one place this crate calls the OS directly: poll(2) over file
//! descriptors, and statvfs(3) for the embedded store's capacity.
//! Everything else goes through std.

#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

pub use libc::{EINPROGRESS, POLLERR, POLLHUP, POLLIN, POLLOUT};

/// One descriptor to wait on and, after [`poll`], what happened to it.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub struct PollFd(libc::pollfd);

impl PollFd {
    /// The borrow makes the caller hold the descriptor open while it builds
    /// the set; it keeps it open through the poll too (it owns the socket).
    pub fn new(fd: BorrowedFd<'_>, events: i16) -> PollFd {
        PollFd(libc::pollfd { fd: fd.as_raw_fd(), events, revents: 0 })
    }

    pub fn revents(&self) -> i16 {
        self.0.revents
    }
}

/// Waits until one of `fds` is ready or `timeout` passes; returns how many
/// are ready (0 on timeout or interruption).
pub fn poll(fds: &mut [PollFd], timeout: Duration) -> usize {
    // Round up: waking a hair early only loops once more.
    let ms = timeout.as_millis() + u128::from(!timeout.subsec_nanos().is_multiple_of(1_000_000));
    let millis = libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX);
    // SAFETY: PollFd is repr(transparent) over pollfd, the slice is live and
    // correctly sized for the call, and poll only writes `revents`.
    let ready = unsafe { libc::poll(fds.as_mut_ptr().cast::<libc::pollfd>(), fds.len() as libc::nfds_t, millis) };
    usize::try_from(ready).unwrap_or(0)
}

/// The size and the space left to unprivileged users of the filesystem
/// holding `path`, in bytes; None when it cannot be asked.
pub fn filesystem_space(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is NUL-terminated and outlives the call; statvfs fills
    // `st` completely when it returns 0, and only then is it read.
    let st = unsafe {
        if libc::statvfs(path.as_ptr(), st.as_mut_ptr()) != 0 {
            return None;
        }
        st.assume_init()
    };
    let unit = st.f_frsize as u64;
    Some((st.f_blocks as u64 * unit, st.f_bavail as u64 * unit))
}
