//! The one way Rust objects cross to C and back. A handle is a boxed (or,
//! for completions that in-flight requests also hold, reference-counted)
//! object whose first field is a [`Magic`]: every use checks it, so a
//! NULL, freed or foreign pointer is -EINVAL rather than undefined
//! behaviour in the common cases (a handle used after its free call, or one
//! handle type passed for another).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rbdrs_client::proto::Errno;

/// A C handle type: its magic number and where it keeps it.
pub(crate) trait Handle: Sized {
    const MAGIC: u64;
    fn magic(&self) -> &Magic;
}

/// Implements [`Handle`] for a type with a `magic: Magic` field.
macro_rules! c_handle {
    ($ty:ty, $magic:expr) => {
        impl $crate::handle::Handle for $ty {
            const MAGIC: u64 = $magic;
            fn magic(&self) -> &$crate::handle::Magic {
                &self.magic
            }
        }
    };
}
pub(crate) use c_handle;

/// Says which handle type an object is, and that it is alive.
#[derive(Debug)]
pub(crate) struct Magic(AtomicU64);

impl Magic {
    pub(crate) fn of<T: Handle>() -> Magic {
        Magic(AtomicU64::new(T::MAGIC))
    }

    fn is<T: Handle>(&self) -> bool {
        self.0.load(Ordering::Acquire) == T::MAGIC
    }

    /// Marks the object dead, so that a later use of a stale pointer to it
    /// (while its memory is not yet reused) is caught.
    pub(crate) fn clear(&self) {
        self.0.store(0, Ordering::Release);
    }
}

/// Gives `value` to C; [`free`] takes it back.
pub(crate) fn give<T: Handle>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Borrows the object behind a handle.
///
/// # Safety
/// `ptr` is NULL or points to a `T` from [`give`] (or [`give_shared`]) that
/// is either alive or freed without its memory reused.
pub(crate) unsafe fn borrow<'a, T: Handle>(ptr: *const T) -> Result<&'a T, Errno> {
    // SAFETY: the caller's contract; the magic catches the common misuses.
    match unsafe { ptr.as_ref() } {
        Some(value) if value.magic().is::<T>() => Ok(value),
        _ => Err(Errno::EINVAL),
    }
}

/// Borrows the object behind a handle to change it (the rados op
/// builders, which C uses from one thread at a time).
///
/// # Safety
/// As [`borrow`], and no other reference to the object is live.
pub(crate) unsafe fn borrow_mut<'a, T: Handle>(ptr: *mut T) -> Result<&'a mut T, Errno> {
    // SAFETY: forwarded contract; the magic catches the common misuses.
    match unsafe { ptr.as_mut() } {
        Some(value) if value.magic().is::<T>() => Ok(value),
        _ => Err(Errno::EINVAL),
    }
}

/// Takes back what [`give`] gave C (the handle's free call); None for a
/// handle that fails the check.
///
/// # Safety
/// As [`borrow`], and C does not use the handle afterwards.
pub(crate) unsafe fn free<T: Handle>(ptr: *mut T) -> Option<Box<T>> {
    // SAFETY: forwarded contract.
    unsafe { borrow(ptr) }.ok()?;
    // SAFETY: checked above; ownership comes back from C here.
    let boxed = unsafe { Box::from_raw(ptr) };
    boxed.magic().clear();
    Some(boxed)
}

/// Gives C one reference to a shared object; [`release`] drops it.
pub(crate) fn give_shared<T: Handle>(value: Arc<T>) -> *mut T {
    Arc::into_raw(value).cast_mut()
}

/// Another reference to the shared object behind a handle.
///
/// # Safety
/// `ptr` is NULL or from [`give_shared`] and not yet released.
pub(crate) unsafe fn share<T: Handle>(ptr: *const T) -> Result<Arc<T>, Errno> {
    // SAFETY: forwarded contract.
    unsafe { borrow(ptr) }?;
    // SAFETY: a live Arc by the contract, checked above.
    unsafe {
        Arc::increment_strong_count(ptr);
        Ok(Arc::from_raw(ptr))
    }
}

/// Drops the reference C held.
///
/// # Safety
/// As [`share`]; C does not use the handle afterwards.
pub(crate) unsafe fn release<T: Handle>(ptr: *const T) {
    // SAFETY: forwarded contract.
    if unsafe { borrow(ptr) }.is_ok() {
        // SAFETY: drops the reference give_shared handed to C.
        unsafe { Arc::decrement_strong_count(ptr) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct A {
        magic: Magic,
        value: u32,
    }
    c_handle!(A, 0x61);

    struct B {
        magic: Magic,
    }
    c_handle!(B, 0x62);

    #[test]
    fn handles_are_checked_and_owned_once() {
        let a = give(A { magic: Magic::of::<A>(), value: 7 });
        assert_eq!(unsafe { borrow(a) }.map(|a| a.value), Ok(7));
        // The wrong type, and NULL, are refused.
        assert!(unsafe { borrow::<B>(a.cast()) }.is_err());
        assert!(unsafe { borrow::<A>(std::ptr::null()) }.is_err());
        assert!(unsafe { free(a) }.is_some());

        let b = give_shared(Arc::new(B { magic: Magic::of::<B>() }));
        let held = unsafe { share(b) }.unwrap();
        assert_eq!(Arc::strong_count(&held), 2);
        unsafe { release(b) };
        assert_eq!(Arc::strong_count(&held), 1);
    }
}
