//! CEPH_OSD_OP_CHECKSUM and CEPH_OSD_OP_CMPXATTR as an OSD computes them
//! (PrimaryLogPG::do_checksum / finish_checksum, do_xattr_cmp_str), for
//! the in-memory store; xxHash written from its specification.

use alloc::vec::Vec;
use core::cmp::Ordering;

use crate::Errno;

/// CEPH_OSD_CHECKSUM_OP_TYPE_*.
pub const XXHASH32: u8 = 0;
pub const XXHASH64: u8 = 1;
pub const CRC32C: u8 = 2;

const P32: [u32; 5] = [2_654_435_761, 2_246_822_519, 3_266_489_917, 668_265_263, 374_761_393];
const P64: [u64; 5] = [
    11_400_714_785_074_694_791,
    14_029_467_366_897_019_727,
    1_609_587_929_392_839_161,
    9_650_029_242_287_828_579,
    2_870_177_450_012_600_261,
];

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from(u32_at(b, i)) | (u64::from(u32_at(b, i + 4)) << 32)
}

pub fn xxhash32(data: &[u8], seed: u32) -> u32 {
    let round = |acc: u32, lane: u32| acc.wrapping_add(lane.wrapping_mul(P32[1])).rotate_left(13).wrapping_mul(P32[0]);
    let mut i = 0;
    let mut h = if data.len() >= 16 {
        let mut v = [
            seed.wrapping_add(P32[0]).wrapping_add(P32[1]),
            seed.wrapping_add(P32[1]),
            seed,
            seed.wrapping_sub(P32[0]),
        ];
        while i + 16 <= data.len() {
            for (k, acc) in v.iter_mut().enumerate() {
                *acc = round(*acc, u32_at(data, i + 4 * k));
            }
            i += 16;
        }
        v[0].rotate_left(1)
            .wrapping_add(v[1].rotate_left(7))
            .wrapping_add(v[2].rotate_left(12))
            .wrapping_add(v[3].rotate_left(18))
    } else {
        seed.wrapping_add(P32[4])
    };
    h = h.wrapping_add(data.len() as u32);
    while i + 4 <= data.len() {
        h = h.wrapping_add(u32_at(data, i).wrapping_mul(P32[2])).rotate_left(17).wrapping_mul(P32[3]);
        i += 4;
    }
    for &b in &data[i..] {
        h = h.wrapping_add(u32::from(b).wrapping_mul(P32[4])).rotate_left(11).wrapping_mul(P32[0]);
    }
    h ^= h >> 15;
    h = h.wrapping_mul(P32[1]);
    h ^= h >> 13;
    h = h.wrapping_mul(P32[2]);
    h ^ (h >> 16)
}

pub fn xxhash64(data: &[u8], seed: u64) -> u64 {
    let round = |acc: u64, lane: u64| acc.wrapping_add(lane.wrapping_mul(P64[1])).rotate_left(31).wrapping_mul(P64[0]);
    let merge = |acc: u64, v: u64| (acc ^ round(0, v)).wrapping_mul(P64[0]).wrapping_add(P64[3]);
    let mut i = 0;
    let mut h = if data.len() >= 32 {
        let mut v = [
            seed.wrapping_add(P64[0]).wrapping_add(P64[1]),
            seed.wrapping_add(P64[1]),
            seed,
            seed.wrapping_sub(P64[0]),
        ];
        while i + 32 <= data.len() {
            for (k, acc) in v.iter_mut().enumerate() {
                *acc = round(*acc, u64_at(data, i + 8 * k));
            }
            i += 32;
        }
        let h = v[0]
            .rotate_left(1)
            .wrapping_add(v[1].rotate_left(7))
            .wrapping_add(v[2].rotate_left(12))
            .wrapping_add(v[3].rotate_left(18));
        v.iter().fold(h, |h, &x| merge(h, x))
    } else {
        seed.wrapping_add(P64[4])
    };
    h = h.wrapping_add(data.len() as u64);
    while i + 8 <= data.len() {
        h = (h ^ round(0, u64_at(data, i))).rotate_left(27).wrapping_mul(P64[0]).wrapping_add(P64[3]);
        i += 8;
    }
    if i + 4 <= data.len() {
        h = (h ^ u64::from(u32_at(data, i)).wrapping_mul(P64[0]))
            .rotate_left(23)
            .wrapping_mul(P64[1])
            .wrapping_add(P64[2]);
        i += 4;
    }
    for &b in &data[i..] {
        h = (h ^ u64::from(b).wrapping_mul(P64[4])).rotate_left(11).wrapping_mul(P64[0]);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P64[1]);
    h ^= h >> 29;
    h = h.wrapping_mul(P64[2]);
    h ^ (h >> 32)
}

/// The range a checksum covers in an object of `size` bytes: offset and
/// length 0 mean the whole object; past the end nothing (None: the OSD
/// answers with no output); a range running past the end is cut, and must
/// still be whole chunks.
pub fn checksum_range(size: u64, offset: u64, length: u64, chunk: u32) -> Result<Option<(u64, u64)>, Errno> {
    let whole_chunks = |len: u64| chunk == 0 || len % u64::from(chunk) == 0;
    // Chunks need a length to cut (even for the whole object).
    if (chunk > 0 && length == 0) || !whole_chunks(length) {
        return Err(Errno::EINVAL);
    }
    if offset == 0 && length == 0 {
        return Ok(Some((0, size)));
    }
    if offset >= size {
        return Ok(None);
    }
    let length = length.min(size - offset);
    if !whole_chunks(length) {
        return Err(Errno::EINVAL);
    }
    Ok(Some((offset, length)))
}

/// The op's output for `data`: the count, then each chunk's checksum with
/// the same initial value (little-endian). -EINVAL for an unknown type or
/// a short initial value.
pub fn checksum(kind: u8, init: &[u8], chunk: u32, data: &[u8]) -> Result<Vec<u8>, Errno> {
    let init_len = match kind {
        XXHASH32 | CRC32C => 4,
        XXHASH64 => 8,
        _ => return Err(Errno::EINVAL),
    };
    if init.len() < init_len {
        return Err(Errno::EINVAL);
    }
    let chunk = if chunk == 0 { data.len() } else { chunk as usize };
    let count = data.len().checked_div(chunk).unwrap_or(0);
    let mut out = Vec::with_capacity(4 + count * init_len);
    out.extend_from_slice(&(count as u32).to_le_bytes());
    for piece in data.chunks(chunk.max(1)).take(count) {
        match kind {
            XXHASH32 => out.extend_from_slice(&xxhash32(piece, u32_at(init, 0)).to_le_bytes()),
            XXHASH64 => out.extend_from_slice(&xxhash64(piece, u64_at(init, 0)).to_le_bytes()),
            _ => out.extend_from_slice(&crate::crc32c::ceph_crc32c(u32_at(init, 0), piece).to_le_bytes()),
        }
    }
    Ok(out)
}

/// CMPXATTR in string mode: the client's value against the stored one
/// (absent: empty) by CEPH_OSD_CMPXATTR_OP_* (EQ 1, NE 2, GT 3, GTE 4,
/// LT 5, LTE 6). A false comparison is -ECANCELED; another mode or op
/// -EINVAL.
pub fn cmpxattr(op: u8, mode: u8, given: &[u8], stored: &[u8]) -> Result<(), Errno> {
    const MODE_STRING: u8 = 1;
    if mode != MODE_STRING {
        return Err(Errno::EINVAL);
    }
    let ord = given.cmp(stored);
    let holds = match op {
        1 => ord == Ordering::Equal,
        2 => ord != Ordering::Equal,
        3 => ord == Ordering::Greater,
        4 => ord != Ordering::Less,
        5 => ord == Ordering::Less,
        6 => ord != Ordering::Greater,
        _ => return Err(Errno::EINVAL),
    };
    if holds {
        Ok(())
    } else {
        Err(Errno::ECANCELED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xxhash_reference_values() {
        assert_eq!(xxhash32(b"", 0), 0x02cc_5d05);
        assert_eq!(xxhash64(b"", 0), 0xef46_db37_51d8_e999);
    }

    #[test]
    fn ranges_and_chunks() {
        assert_eq!(checksum_range(100, 0, 0, 0), Ok(Some((0, 100))));
        assert_eq!(checksum_range(100, 0, 0, 4), Err(Errno::EINVAL));
        assert_eq!(checksum_range(100, 100, 10, 0), Ok(None));
        assert_eq!(checksum_range(100, 90, 20, 5), Ok(Some((90, 10))));
        assert_eq!(checksum_range(100, 0, 10, 3), Err(Errno::EINVAL));
        let out = checksum(CRC32C, &[0xff; 4], 4, b"abcdefgh").unwrap();
        assert_eq!(out.len(), 4 + 8);
        assert_eq!(u32_at(&out, 0), 2);
        assert_eq!(checksum(7, &[0; 8], 0, b"x"), Err(Errno::EINVAL));
        assert_eq!(checksum(XXHASH64, &[0; 4], 0, b"x"), Err(Errno::EINVAL));
    }

    #[test]
    fn cmpxattr_compares_the_given_value_with_the_stored() {
        assert_eq!(cmpxattr(1, 1, b"a", b"a"), Ok(()));
        assert_eq!(cmpxattr(3, 1, b"b", b"a"), Ok(()));
        assert_eq!(cmpxattr(5, 1, b"b", b"a"), Err(Errno::ECANCELED));
        assert_eq!(cmpxattr(1, 2, b"1", b"1"), Err(Errno::EINVAL));
    }
}
