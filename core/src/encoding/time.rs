use alloc::vec::Vec;

use super::{Decode, DecodeError, Decoder, Encode};

/// Ceph's `utime_t` (and `ceph::real_time` on the wire): seconds and
/// nanoseconds since the Unix epoch, each a `u32`. Like Ceph, decoding does
/// not insist that `nsec` is below one second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime {
    pub sec: u32,
    pub nsec: u32,
}

impl UtcTime {
    pub const fn new(sec: u32, nsec: u32) -> Self {
        UtcTime { sec, nsec }
    }

    /// Nanoseconds since the epoch, normalising an out-of-range `nsec`.
    pub const fn as_nanos(self) -> u64 {
        self.sec as u64 * 1_000_000_000 + self.nsec as u64
    }
}

impl Encode for UtcTime {
    fn encode(&self, out: &mut Vec<u8>) {
        self.sec.encode(out);
        self.nsec.encode(out);
    }
}

impl Decode for UtcTime {
    const MIN_LEN: usize = 8;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(UtcTime { sec: d.u32()?, nsec: d.u32()? })
    }
}
