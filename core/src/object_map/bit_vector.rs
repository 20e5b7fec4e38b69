//! Ceph's `BitVector<2>` (src/common/bit_vector.hpp): two-bit elements,
//! four to a byte with element 0 in the byte's top bits, stored as
//!
//! ```text
//! header   u32 14, then a v1 struct { u64 size }          (18 bytes)
//! data     ceil(size / 4) bytes, no length prefix
//! footer   u32 length, then when CRCs are on:
//!          u32 header CRC, u32 block count, u32 CRC per 4 KiB data block
//! ```
//!
//! The CRCs are Ceph's seedless CRC-32C: the header's over the 14 bytes
//! after its length, each block's over its bytes. Fixed offsets let
//! cls_rbd rewrite one block and its CRC without touching the rest.

use alloc::vec::Vec;
use core::fmt;

use crate::crc32c::ceph_crc32c;
use crate::encoding::{encode_versioned, Decode, DecodeError, Decoder, Encode};

/// Bytes of data covered by one CRC.
pub const BLOCK_SIZE: u64 = 4096;
/// The encoded header's length: bufferlist length, envelope, size.
pub const HEADER_LEN: u64 = 18;
const ELEMENTS_PER_BYTE: u64 = 4;
const MASK: u8 = 0b11;

/// Bytes holding `size` elements.
pub const fn data_len(size: u64) -> u64 {
    size.div_ceil(ELEMENTS_PER_BYTE)
}

/// How many CRCs the footer carries for `size` elements.
pub const fn block_count(size: u64) -> u64 {
    data_len(size).div_ceil(BLOCK_SIZE)
}

/// Where the footer starts in an encoded vector of `size` elements.
pub const fn footer_offset(size: u64) -> u64 {
    HEADER_LEN + data_len(size)
}

/// Where the header CRC sits: after the footer's length.
pub const fn header_crc_offset(size: u64) -> u64 {
    footer_offset(size) + 4
}

/// Where block `block`'s CRC sits: after the header CRC and the count.
pub const fn data_crc_offset(size: u64, block: u64) -> u64 {
    header_crc_offset(size) + 8 + 4 * block
}

/// The byte and shift of element `index` (compute_index).
const fn locate(index: u64) -> (u64, u32) {
    let shift = (ELEMENTS_PER_BYTE - 1 - index % ELEMENTS_PER_BYTE) * 2;
    (index / ELEMENTS_PER_BYTE, shift as u32)
}

/// Reads the header: the element count, and the CRC of the header's bytes
/// that the footer must repeat.
pub fn decode_header(d: &mut Decoder<'_>) -> Result<(u64, u32), DecodeError> {
    let header = d.bytes()?;
    let size = Decoder::new(header).versioned(1, |h, _| h.u64())?;
    Ok((size, ceph_crc32c(0, header)))
}

/// CRC of each 4 KiB block of `data`.
pub fn block_crcs(data: &[u8]) -> impl Iterator<Item = u32> + '_ {
    data.chunks(BLOCK_SIZE as usize).map(|block| ceph_crc32c(0, block))
}

/// A vector of two-bit elements with Ceph's encoding. CRCs are written
/// and checked when enabled, as cls_rbd stores object maps; librbd sends
/// and receives them without.
#[derive(Clone)]
pub struct BitVector2 {
    size: u64,
    data: Vec<u8>,
    crc_enabled: bool,
}

impl Default for BitVector2 {
    fn default() -> Self {
        BitVector2 { size: 0, data: Vec::new(), crc_enabled: true }
    }
}

/// Like upstream: equal sizes and bytes; whether CRCs are on does not count.
impl PartialEq for BitVector2 {
    fn eq(&self, other: &Self) -> bool {
        self.size == other.size && self.data == other.data
    }
}

impl Eq for BitVector2 {}

impl fmt::Debug for BitVector2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BitVector2").field("size", &self.size).field("crc_enabled", &self.crc_enabled).finish()
    }
}

impl BitVector2 {
    pub fn new() -> Self {
        Self::default()
    }

    /// `size` elements, all zero.
    pub fn with_size(size: u64) -> Self {
        let mut bits = Self::new();
        bits.resize(size);
        bits
    }

    /// A vector over raw bytes; `data` must be exactly `data_len(size)` long.
    pub(crate) fn from_raw(size: u64, data: Vec<u8>) -> Option<Self> {
        (data.len() as u64 == data_len(size)).then_some(BitVector2 { size, data, crc_enabled: true })
    }

    pub fn len(&self) -> u64 {
        self.size
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// The packed bytes, element 0 in the top two bits of byte 0.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub(crate) fn into_data(self) -> Vec<u8> {
        self.data
    }

    pub fn crc_enabled(&self) -> bool {
        self.crc_enabled
    }

    pub fn set_crc_enabled(&mut self, enabled: bool) {
        self.crc_enabled = enabled;
    }

    /// Element `index`, or None past the end.
    pub fn get(&self, index: u64) -> Option<u8> {
        if index >= self.size {
            return None;
        }
        let (byte, shift) = locate(index);
        Some((self.data[byte as usize] >> shift) & MASK)
    }

    /// Sets element `index` to the low two bits of `value`, as upstream's
    /// reference assignment masks it.
    ///
    /// # Panics
    /// When `index` is past the end, like slice indexing.
    pub fn set(&mut self, index: u64, value: u8) {
        assert!(index < self.size, "BitVector2 index {index} out of range for size {}", self.size);
        let (byte, shift) = locate(index);
        let cell = &mut self.data[byte as usize];
        *cell = (*cell & !(MASK << shift)) | ((value & MASK) << shift);
    }

    /// Grows with zero elements or shrinks. Like upstream, shrinking keeps
    /// the last byte whole, bits past the end included.
    pub fn resize(&mut self, size: u64) {
        // Past usize, Vec::resize fails as it would for any impossible size.
        let len = usize::try_from(data_len(size)).unwrap_or(usize::MAX);
        self.data.resize(len, 0);
        self.size = size;
    }

    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..self.size).map(|i| {
            let (byte, shift) = locate(i);
            (self.data[byte as usize] >> shift) & MASK
        })
    }

    /// Encodes with or without CRCs, whatever [`crc_enabled`](Self::crc_enabled) says.
    pub fn encode_with_crcs(&self, out: &mut Vec<u8>, crcs: bool) {
        let header_at = out.len();
        14u32.encode(out);
        encode_versioned(out, 1, 1, |out| self.size.encode(out));
        let header_crc = ceph_crc32c(0, &out[header_at + 4..]);
        out.extend_from_slice(&self.data);
        if !crcs {
            0u32.encode(out);
            return;
        }
        let blocks = block_count(self.size);
        (8 + 4 * blocks as u32).encode(out);
        header_crc.encode(out);
        (blocks as u32).encode(out);
        block_crcs(&self.data).for_each(|crc| crc.encode(out));
    }
}

impl Encode for BitVector2 {
    fn encode(&self, out: &mut Vec<u8>) {
        self.encode_with_crcs(out, self.crc_enabled);
    }
}

/// As BitVector::decode: bytes after the footer are not its business. A
/// non-empty footer turns CRCs on and must hold the header CRC and exactly
/// one matching CRC per block (upstream reads fewer as uninitialised
/// memory and more past its vector).
impl Decode for BitVector2 {
    const MIN_LEN: usize = HEADER_LEN as usize + 4;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let (size, header_crc) = decode_header(d)?;
        let len = usize::try_from(data_len(size)).map_err(|_| DecodeError::Invalid("bit vector size"))?;
        let data = d.take(len)?;
        let footer = d.bytes()?;
        let crc_enabled = !footer.is_empty();
        if crc_enabled {
            let mut f = Decoder::new(footer);
            if f.u32()? != header_crc {
                return Err(DecodeError::Invalid("bit vector header CRC"));
            }
            // The stored count is not trusted; the CRCs that follow are counted.
            f.u32()?;
            if (f.remaining() / 4) as u64 != block_count(size) {
                return Err(DecodeError::Invalid("bit vector block CRC count"));
            }
            for crc in block_crcs(data) {
                if f.u32()? != crc {
                    return Err(DecodeError::Invalid("bit vector data block CRC"));
                }
            }
        }
        Ok(BitVector2 { size, data: data.to_vec(), crc_enabled })
    }
}
