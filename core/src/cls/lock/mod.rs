//! cls_lock: advisory locks on RADOS objects, exclusive or shared, that
//! librbd's exclusive lock and object-map lock are built on.
//!
//! [`client`] builds the calls and reads the replies as librados does;
//! [`server`] is the class as an OSD runs it, for the in-memory store.
//!
//! The image layer's exclusive lock is [`RBD_LOCK_NAME`] on the header
//! object, exclusive, tagged [`WATCHER_LOCK_TAG`], with the cookie
//! [`watcher_lock_cookie`] of its header watch.

pub mod client;
mod ops;
pub mod server;
mod types;

#[cfg(test)]
mod tests;

use alloc::string::String;

pub use client::{
    assert_locked, break_lock, get_info, get_info_finish, list_locks, list_locks_finish, lock, set_cookie, unlock,
};
pub use ops::{AssertOp, BreakOp, GetInfoOp, ListLocksReply, LockOp, SetCookieOp, UnlockOp};
pub use server::register;
pub use types::{ClsLockType, EntityAddr, EntityName, LockInfo, LockerId, LockerInfo, AF_INET, AF_INET6};

/// The class name the calls go to.
pub const CLASS: &str = "lock";

/// Re-locking with a cookie already held renews the hold instead of
/// failing with -EEXIST.
pub const LOCK_FLAG_MAY_RENEW: u8 = 0x1;
/// The hold must exist already (-ENOENT otherwise): a pure renewal.
pub const LOCK_FLAG_MUST_RENEW: u8 = 0x2;

/// librbd's lock name, on the header (exclusive lock) and on the object
/// map (its own lock, empty cookie and tag).
pub const RBD_LOCK_NAME: &str = "rbd_lock";
/// The tag librbd's exclusive lock is taken with; holders with another tag
/// are external locks librbd will not break.
pub const WATCHER_LOCK_TAG: &str = "internal";
pub const WATCHER_LOCK_COOKIE_PREFIX: &str = "auto";

/// ManagedLock's cookie for a watch handle: `"auto <handle>"`.
pub fn watcher_lock_cookie(watch_handle: u64) -> String {
    alloc::format!("{WATCHER_LOCK_COOKIE_PREFIX} {watch_handle}")
}

/// The watch handle in a cookie [`watcher_lock_cookie`] made; None for
/// cookies that are not librbd's. Like upstream's istream parse, the
/// number is the leading digits of the second word.
pub fn decode_watcher_lock_cookie(cookie: &str) -> Option<u64> {
    let mut words = cookie.split_ascii_whitespace();
    if words.next()? != WATCHER_LOCK_COOKIE_PREFIX {
        return None;
    }
    let word = words.next()?;
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    word[..digits].parse().ok()
}
