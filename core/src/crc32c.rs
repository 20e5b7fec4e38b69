//! CRC-32C (Castagnoli) as Ceph computes it.
//!
//! Ceph's `ceph_crc32c(seed, data)` (and `bufferlist::crc32c(seed)`) runs
//! the reflected CRC register from `seed` and neither inverts it first nor
//! last, unlike the usual CRC-32C. Object map footers, msgr2 frames and
//! BlueStore checksums all use this form, so it is the primitive here; the
//! usual checksum is `!ceph_crc32c(!0, data)`.
//!
//! With the `std` feature the work goes to the `crc32c` crate, which uses
//! the CPU's CRC instructions (SSE 4.2, ARMv8) when it has them: msgr2
//! checksums every byte of every frame, and a byte-at-a-time table made
//! frame assembly most of a 4 MiB write's cost. Without `std` (no run-time
//! CPU detection) the portable table below serves.

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
    #[cfg(feature = "std")]
    {
        // The crate's append inverts before and after; undo both.
        !::crc32c::crc32c_append(!seed, data)
    }
    #[cfg(not(feature = "std"))]
    {
        ceph_crc32c_portable(seed, data)
    }
}

/// [`ceph_crc32c`] a byte at a time, on any target.
pub fn ceph_crc32c_portable(seed: u32, data: &[u8]) -> u32 {
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

    proptest::proptest! {
        /// The instructions and the table agree, for any seed and length
        /// (short tails and unaligned starts included).
        #[test]
        fn hardware_and_table_agree(
            seed in proptest::num::u32::ANY,
            data in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            skip in 0usize..8,
        ) {
            let data = &data[skip.min(data.len())..];
            proptest::prop_assert_eq!(ceph_crc32c(seed, data), ceph_crc32c_portable(seed, data));
        }
    }

    #[test]
    fn chaining_is_appending() {
        let whole = ceph_crc32c(7, b"object map block");
        assert_eq!(ceph_crc32c(ceph_crc32c(7, b"object "), b"map block"), whole);
    }
}
