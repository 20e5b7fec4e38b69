//! Feature names (rbd_features_to_string / rbd_features_from_string).

use std::ffi::{c_char, c_int};

use rbdrs_client::proto::Errno;

use crate::boundary::{cstr, guard, put};

/// librbd's RBD_FEATURE_MAP: a map by name, so listed in name order.
const FEATURES: &[(&str, u64)] = &[
    ("data-pool", 1 << 7),
    ("deep-flatten", 1 << 5),
    ("exclusive-lock", 1 << 2),
    ("fast-diff", 1 << 4),
    ("journaling", 1 << 6),
    ("layering", 1 << 0),
    ("migrating", 1 << 9),
    ("non-primary", 1 << 10),
    ("object-map", 1 << 3),
    ("operations", 1 << 8),
    ("striping", 1 << 1),
];

/// The bits a number may name (RBD_FEATURES_ALL: up to "operations").
const ALL: u64 = (1 << 9) - 1;
/// Bits only librbd itself sets (operations, migrating).
const INTERNAL: u64 = (1 << 8) | (1 << 9);
/// What an empty string stands for (RBD_FEATURES_DEFAULT).
const DEFAULT: u64 = 61;

/// The names of `features`, comma-separated; None when an unknown bit is set.
pub(crate) fn to_string(features: u64) -> Option<String> {
    let mut rest = features;
    let mut names = Vec::new();
    for &(name, bit) in FEATURES {
        if rest & bit != 0 {
            names.push(name);
            rest &= !bit;
        }
    }
    (rest == 0).then(|| names.join(","))
}

/// The bits `text` names (a number, or names separated by commas, each
/// added as librbd adds them); Err with the bits when something was ignored.
pub(crate) fn from_string(text: &str) -> Result<u64, u64> {
    let value = text.trim();
    if value.is_empty() {
        return Ok(DEFAULT);
    }
    // boost::lexical_cast takes "-N" for an unsigned type, wrapping it.
    let number = match value.strip_prefix('-') {
        Some(rest) if !rest.starts_with(['-', '+']) => rest.parse::<u64>().map(u64::wrapping_neg),
        _ => value.parse::<u64>(),
    };
    if let Ok(number) = number {
        let features = number & ALL & !INTERNAL;
        return if number == features { Ok(features) } else { Err(features) };
    }
    let mut features = 0u64;
    let mut unknown = false;
    for name in value.split(',').map(str::trim) {
        match FEATURES.iter().find(|(n, _)| *n == name) {
            Some(&(_, bit)) => features = features.wrapping_add(bit),
            None => unknown = true,
        }
    }
    if unknown {
        Err(features)
    } else {
        Ok(features)
    }
}

/// Names `features`; -EINVAL for an unknown bit, -ERANGE (with the size
/// needed in `*size`) when the buffer is too small.
///
/// # Safety
/// `size` writable; `str_features` valid for `*size` bytes.
#[no_mangle]
pub unsafe extern "C" fn rbd_features_to_string(features: u64, str_features: *mut c_char, size: *mut usize) -> c_int {
    guard(|| {
        let text = to_string(features).ok_or(Errno::EINVAL)?;
        // SAFETY: buffer valid for *size by contract.
        unsafe { super::image_info::put_sized(str_features, size, &text) }?;
        Ok(0)
    })
}

/// The feature bits `str_features` names; -EINVAL (with what was
/// recognised still stored) when part of it was not understood.
///
/// # Safety
/// `str_features` a C string; `features` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_features_from_string(str_features: *const c_char, features: *mut u64) -> c_int {
    guard(|| {
        // SAFETY: checked string.
        let text = unsafe { cstr(str_features) }?;
        let parsed = from_string(text);
        // SAFETY: checked out-pointer.
        unsafe { put(features, parsed.unwrap_or_else(|bits| bits)) }?;
        parsed.map(|_| 0).map_err(|_| Errno::EINVAL)
    })
}

/// Enables (`enabled` 1) or disables features: exclusive-lock,
/// object-map, fast-diff, deep-flatten (disable only). Journaling cannot
/// be enabled here (-EOPNOTSUPP).
///
/// # Safety
/// `image` from rbd_open.
#[no_mangle]
pub unsafe extern "C" fn rbd_update_features(image: crate::types::rbd_image_t, features: u64, enabled: u8) -> c_int {
    // SAFETY: checked handle.
    guard(|| unsafe { super::image(image) }?.update_features(features, enabled != 0).map(|()| 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(to_string(61).as_deref(), Some("deep-flatten,exclusive-lock,fast-diff,layering,object-map"));
        assert_eq!(to_string(1 << 20), None);
        assert_eq!(from_string(" layering, striping "), Ok(3));
        assert_eq!(from_string(""), Ok(61));
        assert_eq!(from_string("layering,bogus"), Err(1));
        assert_eq!(from_string("256"), Err(0));
        assert_eq!(from_string("-1"), Err(255));
    }
}
