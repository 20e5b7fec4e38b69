use alloc::vec::Vec;
use core::fmt;

use crate::encoding::{Decode, DecodeError, Decoder, Encode};

/// A snapshot id. [`SnapId::HEAD`] (CEPH_NOSNAP) names the live object.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapId(pub u64);

impl SnapId {
    /// CEPH_NOSNAP: read the head, not a snapshot.
    pub const HEAD: SnapId = SnapId(u64::MAX - 1);
    /// CEPH_MAXSNAP: the highest id a snapshot can have.
    pub const MAX: u64 = u64::MAX - 3;
    /// CEPH_SNAPDIR: the pseudo-object listing an object's snapshots.
    pub const SNAPDIR: SnapId = SnapId(u64::MAX);

    pub const fn is_head(self) -> bool {
        self.0 == Self::HEAD.0
    }
}

impl fmt::Debug for SnapId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SnapId::HEAD => f.write_str("head"),
            SnapId::SNAPDIR => f.write_str("snapdir"),
            SnapId(id) => write!(f, "snap {id}"),
        }
    }
}

/// The snapshot context a writer sends (Ceph's SnapContext): the newest
/// snapshot sequence it knows and the live snapshot ids, newest first. An
/// OSD clones an object before the first write after a newer snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapContext {
    pub seq: u64,
    pub snaps: Vec<u64>,
}

impl SnapContext {
    pub fn new(seq: u64, snaps: Vec<u64>) -> Self {
        SnapContext { seq, snaps }
    }

    /// Ceph's SnapContext::is_valid: seq a snapshot id, snaps strictly
    /// descending, none above seq.
    pub fn is_valid(&self) -> bool {
        if self.seq > SnapId::MAX {
            return false;
        }
        let descending = self.snaps.windows(2).all(|w| w[0] > w[1]);
        let bounded = self.snaps.first().is_none_or(|&newest| newest <= self.seq);
        descending && bounded
    }
}

impl Encode for SnapContext {
    fn encode(&self, out: &mut Vec<u8>) {
        self.seq.encode(out);
        self.snaps.encode(out);
    }
}

impl Decode for SnapContext {
    const MIN_LEN: usize = 12;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(SnapContext { seq: d.u64()?, snaps: d.decode()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn validity_follows_ceph() {
        assert!(SnapContext::default().is_valid());
        assert!(SnapContext::new(5, vec![5, 3, 1]).is_valid());
        assert!(!SnapContext::new(4, vec![5, 3]).is_valid());
        assert!(!SnapContext::new(5, vec![3, 3]).is_valid());
        assert!(!SnapContext::new(5, vec![1, 3]).is_valid());
        assert!(SnapContext::new(SnapId::MAX, vec![]).is_valid());
        assert!(!SnapContext::new(SnapId::HEAD.0, vec![]).is_valid());
    }

    #[test]
    fn encoding_round_trips() {
        let snapc = SnapContext::new(9, vec![9, 4]);
        let bytes = crate::encoding::encode_to_vec(&snapc);
        assert_eq!(bytes.len(), 8 + 4 + 16);
        assert_eq!(crate::encoding::decode_exact::<SnapContext>(&bytes).unwrap(), snapc);
    }
}
