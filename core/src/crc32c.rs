//! CRC-32C (Castagnoli) as Ceph computes it.
//!
//! Ceph's `ceph_crc32c(seed, data)` (and `bufferlist::crc32c(seed)`) runs
//! the reflected CRC register from `seed` and neither inverts it first nor
//! last, unlike the usual CRC-32C. Object map footers, msgr2 frames and
//! BlueStore checksums all use this form, so it is the primitive here; the
//! usual checksum is `!ceph_crc32c(!0, data)`.
//!
//! A byte-at-a-time table: the object-map blocks this serves are 4 KiB,
//! which this checks far faster than the OSD round trip that carries them.

/// The reflected Castagnoli polynomial.
const POLY: u32 = 0x82F6_3B78;

const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ POLY } else { crc >> 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// Ceph's `ceph_crc32c(seed, data, len)`: no pre- or post-inversion.
pub fn ceph_crc32c(seed: u32, data: &[u8]) -> u32 {
    data.iter().fold(seed, |crc, &byte| TABLE[((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8))
}

/// The standard CRC-32C (iSCSI, RFC 3720) of `data`.
pub fn crc32c(data: &[u8]) -> u32 {
    !ceph_crc32c(!0, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cephs_own_test_vectors() {
        // src/test/common/test_crc32c.cc, TEST(Crc32c, Small).
        assert_eq!(ceph_crc32c(0, b"foo bar baz"), 4_119_623_852);
        assert_eq!(ceph_crc32c(1234, b"foo bar baz"), 881_700_046);
        assert_eq!(ceph_crc32c(0, b"whiz bang boom"), 2_360_230_088);
        assert_eq!(ceph_crc32c(5678, b"whiz bang boom"), 3_743_019_208);
    }

    #[test]
    fn standard_check_value() {
        // The CRC catalogue's check value for CRC-32/ISCSI.
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(ceph_crc32c(0, b""), 0);
    }

    #[test]
    fn chaining_is_appending() {
        let whole = ceph_crc32c(7, b"object map block");
        assert_eq!(ceph_crc32c(ceph_crc32c(7, b"object "), b"map block"), whole);
    }
}
