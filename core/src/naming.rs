//! Names of the RADOS objects an RBD pool and its images consist of.
//!
//! Format 2 (every image created since Firefly):
//! - `rbd_id.<name>`: holds the image id;
//! - `rbd_header.<id>`: the metadata, all in omap and cls_rbd;
//! - `rbd_data.<id>.%016x` (or `rbd_data.<pool>.<id>.%016x` with a data pool);
//! - `rbd_object_map.<id>[.%016x snap id]`.
//!
//! Format 1: `<name>.rbd` header, data `rb.<hi>.<lo>.<extra>.%012x` where the
//! prefix is the header's `block_name`.
//!
//! Object numbers are printed as C's `%016llx` / `%012llx` do: lowercase, at
//! least that many digits.

use alloc::string::String;

/// The pool's image directory (name <-> id), omap only.
pub const RBD_DIRECTORY: &str = "rbd_directory";
/// Parent -> children map of legacy (v1) clones.
pub const RBD_CHILDREN: &str = "rbd_children";
/// Format 1 id allocator (`max_id`).
pub const RBD_INFO: &str = "rbd_info";
/// Images moved to the trash.
pub const RBD_TRASH: &str = "rbd_trash";
/// The pool's mirroring settings.
pub const RBD_MIRRORING: &str = "rbd_mirroring";
/// The pool's namespaces.
pub const RBD_NAMESPACE: &str = "rbd_namespace";

pub const RBD_ID_PREFIX: &str = "rbd_id.";
pub const RBD_HEADER_PREFIX: &str = "rbd_header.";
pub const RBD_OBJECT_MAP_PREFIX: &str = "rbd_object_map.";
pub const RBD_DATA_PREFIX: &str = "rbd_data.";
/// Suffix of a format 1 header: `<name>.rbd`.
pub const RBD_SUFFIX: &str = ".rbd";

/// librbd formats object names into buffers of this size (NUL included).
pub const RBD_MAX_OBJ_NAME_SIZE: usize = 96;
/// `block_name` field of the format 1 header (NUL included).
pub const RBD_MAX_BLOCK_NAME_SIZE: usize = 24;
/// Longest format 2 image id librbd creates.
pub const RBD_MAX_IMAGE_ID_LENGTH: usize = 14;
/// Longest data object prefix librbd creates (NUL excluded).
pub const RBD_MAX_BLOCK_NAME_PREFIX_LENGTH: usize = 43;

/// The on-disk format of an image, which decides how data objects are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    V1,
    V2,
}

impl ImageFormat {
    /// Minimum hex digits of the object number in a data object name.
    pub const fn object_no_digits(self) -> usize {
        match self {
            ImageFormat::V1 => 12,
            ImageFormat::V2 => 16,
        }
    }

    /// Name of data object `object_no` under `prefix` (the header's object prefix).
    pub fn data_object(self, prefix: &str, object_no: u64) -> String {
        let digits = self.object_no_digits();
        let mut name = String::with_capacity(prefix.len() + 1 + digits);
        name.push_str(prefix);
        name.push('.');
        push_hex(&mut name, object_no, digits);
        name
    }

    /// The header object: by name for format 1, by id for format 2.
    pub fn header_object(self, name_or_id: &str) -> String {
        match self {
            ImageFormat::V1 => v1_header_object(name_or_id),
            ImageFormat::V2 => header_object(name_or_id),
        }
    }
}

/// `rbd_id.<image_name>`: the object holding a format 2 image's id.
pub fn id_object(image_name: &str) -> String {
    concat(RBD_ID_PREFIX, image_name, "")
}

/// `rbd_header.<image_id>`.
pub fn header_object(image_id: &str) -> String {
    concat(RBD_HEADER_PREFIX, image_id, "")
}

/// `<image_name>.rbd`: a format 1 header.
pub fn v1_header_object(image_name: &str) -> String {
    concat("", image_name, RBD_SUFFIX)
}

/// The object prefix a new format 2 image gets: `rbd_data.<id>`, or
/// `rbd_data.<pool>.<id>` when its data lives in a separate data pool.
///
/// `header_pool` is the id of the pool holding the image's *header* (not the
/// data pool): librbd's CreateRequest puts it there so images of several
/// pools sharing one data pool cannot collide. Pass `None` without a data pool.
pub fn data_object_prefix(image_id: &str, header_pool: Option<i64>) -> String {
    let mut prefix = String::with_capacity(RBD_DATA_PREFIX.len() + 21 + image_id.len());
    prefix.push_str(RBD_DATA_PREFIX);
    if let Some(pool) = header_pool {
        push_decimal(&mut prefix, pool);
        prefix.push('.');
    }
    prefix.push_str(image_id);
    prefix
}

/// The `block_name` a format 1 image gets: `rb.<hi>.<lo>.<extra>` in hex,
/// from a 64-bit unique id (librbd uses the client's instance id) and a
/// random 32-bit `extra`. Cut to 23 bytes, as librbd's `snprintf` into the
/// 24-byte header field does.
pub fn v1_object_prefix(bid: u64, extra: u32) -> String {
    use core::fmt::Write as _;
    let mut prefix = String::with_capacity(32);
    // Writing into a String cannot fail.
    let _ = write!(prefix, "rb.{:x}.{:x}.{:x}", bid >> 32, bid & 0xffff_ffff, extra);
    // All ASCII, so any length is a char boundary.
    prefix.truncate(RBD_MAX_BLOCK_NAME_SIZE - 1);
    prefix
}

/// Format 2 data object `<prefix>.%016x`.
pub fn data_object(prefix: &str, object_no: u64) -> String {
    ImageFormat::V2.data_object(prefix, object_no)
}

/// Format 1 data object `<prefix>.%012x`.
pub fn v1_data_object(prefix: &str, object_no: u64) -> String {
    ImageFormat::V1.data_object(prefix, object_no)
}

/// `rbd_object_map.<id>` for the head, `rbd_object_map.<id>.%016x` for a snapshot.
pub fn object_map_object(image_id: &str, snap_id: Option<u64>) -> String {
    let mut name = String::with_capacity(RBD_OBJECT_MAP_PREFIX.len() + image_id.len() + 17);
    name.push_str(RBD_OBJECT_MAP_PREFIX);
    name.push_str(image_id);
    if let Some(snap_id) = snap_id {
        name.push('.');
        push_hex(&mut name, snap_id, 16);
    }
    name
}

/// A data object name taken apart by [`parse_data_object`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParsedDataObject<'a> {
    /// Everything before the last `.`: the image's object prefix.
    pub prefix: &'a str,
    pub object_no: u64,
    /// Told by the width of the number: 12 digits format 1, 16 format 2.
    pub format: ImageFormat,
}

/// Splits `<prefix>.<object number>`.
///
/// Accepts exactly 12 (format 1) or 16 (format 2) lowercase hex digits after
/// the last `.` and a non-empty prefix; anything else is `None`. Format 1
/// object numbers of 2^48 and up print wider and are not recognised, but no
/// image reaches them (2^48 objects of at least 4 KiB).
pub fn parse_data_object(name: &str) -> Option<ParsedDataObject<'_>> {
    let (prefix, digits) = name.rsplit_once('.')?;
    if prefix.is_empty() {
        return None;
    }
    let format = match digits.len() {
        12 => ImageFormat::V1,
        16 => ImageFormat::V2,
        _ => return None,
    };
    let object_no = parse_lower_hex(digits)?;
    Some(ParsedDataObject { prefix, object_no, format })
}

fn concat(head: &str, middle: &str, tail: &str) -> String {
    let mut s = String::with_capacity(head.len() + middle.len() + tail.len());
    s.push_str(head);
    s.push_str(middle);
    s.push_str(tail);
    s
}

/// `%0<min_digits>llx`: lowercase, zero-padded, never truncated.
fn push_hex(out: &mut String, value: u64, min_digits: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let significant = (64 - value.leading_zeros() as usize).div_ceil(4);
    let digits = significant.max(min_digits).min(16);
    for i in (0..digits).rev() {
        let nibble = (value >> (i * 4)) & 0xf;
        out.push(char::from(HEX[nibble as usize]));
    }
}

fn push_decimal(out: &mut String, value: i64) {
    use core::fmt::Write as _;
    let _ = write!(out, "{value}");
}

/// Only what `%llx` prints: no sign, no uppercase, no `0x`.
fn parse_lower_hex(digits: &str) -> Option<u64> {
    digits.bytes().try_fold(0u64, |acc, b| {
        let nibble = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        // At most 16 digits reach here, so the shift never drops bits.
        Some((acc << 4) | u64::from(nibble))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format2_names() {
        assert_eq!(id_object("vm-disk"), "rbd_id.vm-disk");
        assert_eq!(header_object("10226b8b4567"), "rbd_header.10226b8b4567");
        assert_eq!(data_object_prefix("10226b8b4567", None), "rbd_data.10226b8b4567");
        assert_eq!(data_object_prefix("10226b8b4567", Some(3)), "rbd_data.3.10226b8b4567");
        assert_eq!(data_object_prefix("ab", Some(-1)), "rbd_data.-1.ab");
        assert_eq!(data_object("rbd_data.10226b8b4567", 0), "rbd_data.10226b8b4567.0000000000000000");
        assert_eq!(data_object("rbd_data.ab", 0x1f), "rbd_data.ab.000000000000001f");
        assert_eq!(data_object("rbd_data.ab", u64::MAX), "rbd_data.ab.ffffffffffffffff");
        assert_eq!(object_map_object("2cf512ae8944a", None), "rbd_object_map.2cf512ae8944a");
        assert_eq!(object_map_object("2cf512ae8944a", Some(0x30)), "rbd_object_map.2cf512ae8944a.0000000000000030");
    }

    #[test]
    fn format1_names() {
        assert_eq!(v1_header_object("old"), "old.rbd");
        assert_eq!(ImageFormat::V1.header_object("old"), "old.rbd");
        assert_eq!(ImageFormat::V2.header_object("abc"), "rbd_header.abc");
        assert_eq!(v1_object_prefix(0x1_0000_1234, 0xbeef), "rb.1.1234.beef");
        assert_eq!(v1_object_prefix(0, 0), "rb.0.0.0");
        assert_eq!(v1_data_object("rb.0.1234.5678", 0), "rb.0.1234.5678.000000000000");
        assert_eq!(v1_data_object("rb.0.1234.5678", 0xabc), "rb.0.1234.5678.000000000abc");
        // %012llx widens rather than truncates.
        assert_eq!(v1_data_object("p", 0x1_0000_0000_0000), "p.1000000000000");
    }

    #[test]
    fn pool_constants() {
        assert_eq!(RBD_DIRECTORY, "rbd_directory");
        assert_eq!(RBD_CHILDREN, "rbd_children");
        assert_eq!(RBD_INFO, "rbd_info");
        assert_eq!(RBD_TRASH, "rbd_trash");
        assert_eq!(RBD_MIRRORING, "rbd_mirroring");
        assert_eq!(RBD_NAMESPACE, "rbd_namespace");
    }

    #[test]
    fn longest_prefix_fits() {
        let id = "a".repeat(RBD_MAX_IMAGE_ID_LENGTH);
        let prefix = data_object_prefix(&id, Some(i64::MAX));
        assert_eq!(prefix.len(), RBD_MAX_BLOCK_NAME_PREFIX_LENGTH);
        assert!(data_object(&prefix, u64::MAX).len() < RBD_MAX_OBJ_NAME_SIZE);
        assert_eq!(v1_object_prefix(u64::MAX, u32::MAX), "rb.ffffffff.ffffffff.ff");
    }

    #[test]
    fn parse_accepts_both_widths() {
        let v2 = parse_data_object("rbd_data.3.ab.00000000000000ff").unwrap();
        assert_eq!(v2, ParsedDataObject { prefix: "rbd_data.3.ab", object_no: 255, format: ImageFormat::V2 });
        let v1 = parse_data_object("rb.0.1.2.00000000000a").unwrap();
        assert_eq!(v1, ParsedDataObject { prefix: "rb.0.1.2", object_no: 10, format: ImageFormat::V1 });
    }

    #[test]
    fn parse_rejects_the_rest() {
        for bad in [
            "",
            ".",
            "rbd_data.ab",
            ".0000000000000000",
            "rbd_data.ab.000000000000000",
            "rbd_data.ab.00000000000000000",
            "rbd_data.ab.0000000000000",
            "rbd_data.ab.00000000000000FF",
            "rbd_data.ab.+000000000000000",
            "rbd_data.ab.0x00000000000000",
            "rbd_data.ab.000000000000000g",
            "rbd_data.ab.0000000000000000 ",
            "rbd_header.ab",
            "rbd_data.ab.0000000000é",
        ] {
            assert_eq!(parse_data_object(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn parse_round_trips() {
        for no in [0, 1, 0xabc, 0xffff_ffff, 0xffff_ffff_ffff, 0x1234_5678_9abc_def0, u64::MAX] {
            let name = data_object("rbd_data.1.x.y", no);
            let p = parse_data_object(&name).unwrap();
            assert_eq!((p.prefix, p.object_no, p.format), ("rbd_data.1.x.y", no, ImageFormat::V2));
            if no < 1 << 48 {
                let name = v1_data_object("rb.0.0.0", no);
                let p = parse_data_object(&name).unwrap();
                assert_eq!((p.prefix, p.object_no, p.format), ("rb.0.0.0", no, ImageFormat::V1));
            }
        }
    }
}
