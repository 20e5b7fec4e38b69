//! The class methods' inputs and outputs (src/cls/lock/cls_lock_ops.h).
//! Each is a version-1 struct; get_info replies with a [`LockInfo`].
//!
//! [`LockInfo`]: super::LockInfo

use alloc::string::String;
use alloc::vec::Vec;

use super::types::{decode_legacy_v1, ClsLockType, EntityName};
use crate::encoding::{encode_versioned, Decode, DecodeError, Decoder, Encode, UtcTime};

/// Writes the fields of a version-1 op, and reads them back.
macro_rules! lock_op {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            $(pub $field: $ty,)*
        }

        impl Encode for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                encode_versioned(out, 1, 1, |out| {
                    $(self.$field.encode(out);)*
                });
            }
        }

        impl Decode for $name {
            fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
                decode_legacy_v1(d, |d| Ok($name { $($field: d.decode()?,)* }))
            }
        }
    };
}

lock_op!(
    /// cls_lock_lock_op. A zero `duration` never expires.
    LockOp {
        name: String,
        lock_type: ClsLockType,
        cookie: String,
        tag: String,
        description: String,
        duration: UtcTime,
        flags: u8,
    }
);

lock_op!(
    /// cls_lock_unlock_op: the caller's own hold.
    UnlockOp { name: String, cookie: String }
);

lock_op!(
    /// cls_lock_break_op: anyone's hold.
    BreakOp { name: String, locker: EntityName, cookie: String }
);

lock_op!(
    /// cls_lock_get_info_op.
    GetInfoOp { name: String }
);

lock_op!(
    /// cls_lock_list_locks_reply: the object's lock names.
    ListLocksReply { locks: Vec<String> }
);

lock_op!(
    /// cls_lock_assert_op.
    AssertOp { name: String, lock_type: ClsLockType, cookie: String, tag: String }
);

lock_op!(
    /// cls_lock_set_cookie_op.
    SetCookieOp { name: String, lock_type: ClsLockType, cookie: String, tag: String, new_cookie: String }
);
