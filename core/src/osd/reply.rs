use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use crate::encoding::{Decode, DecodeError, Decoder, Encode, UtcTime};
use crate::Errno;

/// What one op of a compound returned: its return code and output bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpResult {
    pub rval: i32,
    pub out: Bytes,
}

/// The reply to a compound: the compound's result (0 or the first
/// failing op's code), the object version after it, and each op's result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectReply {
    pub result: i32,
    pub version: u64,
    pub ops: Vec<OpResult>,
}

impl ObjectReply {
    /// A reply that failed before any op ran (bad pool, invalid snapc, ...).
    pub fn error(errno: Errno) -> Self {
        ObjectReply { result: errno.to_ret(), version: 0, ops: Vec::new() }
    }

    pub fn errno(&self) -> Result<(), Errno> {
        Errno::from_ret(self.result).map(|_| ())
    }

    /// The output of op `index`, or the compound's error.
    pub fn out(&self, index: usize) -> Result<&Bytes, Errno> {
        self.errno()?;
        self.ops.get(index).map(|op| &op.out).ok_or(Errno::EIO)
    }
}

/// Output of STAT: object size and modification time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatOut {
    pub size: u64,
    pub mtime: UtcTime,
}

impl Encode for StatOut {
    fn encode(&self, out: &mut Vec<u8>) {
        self.size.encode(out);
        self.mtime.encode(out);
    }
}

impl Decode for StatOut {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(StatOut { size: d.u64()?, mtime: d.decode()? })
    }
}

/// Output of SPARSE_READ: the allocated extents (offset -> length) and
/// their bytes back to back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SparseReadOut {
    pub extents: BTreeMap<u64, u64>,
    pub data: Bytes,
}

impl Encode for SparseReadOut {
    fn encode(&self, out: &mut Vec<u8>) {
        self.extents.encode(out);
        self.data.encode(out);
    }
}

impl Decode for SparseReadOut {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let extents: BTreeMap<u64, u64> = d.decode()?;
        let data: Bytes = d.decode()?;
        let mut total: u64 = 0;
        let mut end_of_last = 0;
        for (&offset, &length) in &extents {
            if offset < end_of_last {
                return Err(DecodeError::Invalid("overlapping sparse-read extents"));
            }
            end_of_last = offset.checked_add(length).ok_or(DecodeError::Invalid("sparse-read extent past 2^64"))?;
            total = total.saturating_add(length);
        }
        if total != data.len() as u64 {
            return Err(DecodeError::Invalid("sparse-read extents disagree with data length"));
        }
        Ok(SparseReadOut { extents, data })
    }
}

/// Output of OMAPGETKEYS: keys and whether more follow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OmapKeysOut {
    pub keys: BTreeSet<String>,
    pub more: bool,
}

impl Encode for OmapKeysOut {
    fn encode(&self, out: &mut Vec<u8>) {
        self.keys.encode(out);
        self.more.encode(out);
    }
}

impl Decode for OmapKeysOut {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(OmapKeysOut { keys: d.decode()?, more: d.bool()? })
    }
}

/// Output of OMAPGETVALS: entries and whether more follow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OmapValsOut {
    pub vals: BTreeMap<String, Bytes>,
    pub more: bool,
}

impl Encode for OmapValsOut {
    fn encode(&self, out: &mut Vec<u8>) {
        self.vals.encode(out);
        self.more.encode(out);
    }
}

impl Decode for OmapValsOut {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(OmapValsOut { vals: d.decode()?, more: d.bool()? })
    }
}

/// Output of GETXATTRS and of OMAPGETVALSBYKEYS: a name -> value map.
pub type XattrsOut = BTreeMap<String, Bytes>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::{decode_exact, encode_to_vec};

    #[test]
    fn stat_layout() {
        let stat = StatOut { size: 4096, mtime: UtcTime::new(10, 20) };
        let bytes = encode_to_vec(&stat);
        assert_eq!(bytes, [0, 16, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0]);
        assert_eq!(decode_exact::<StatOut>(&bytes).unwrap(), stat);
    }

    #[test]
    fn sparse_read_must_agree_with_its_data() {
        let good = SparseReadOut { extents: [(0, 2), (8, 1)].into(), data: Bytes::from_static(b"abc") };
        assert_eq!(decode_exact::<SparseReadOut>(&encode_to_vec(&good)).unwrap(), good);
        let short = SparseReadOut { extents: [(0, 4)].into(), data: Bytes::from_static(b"abc") };
        assert!(decode_exact::<SparseReadOut>(&encode_to_vec(&short)).is_err());
        let overlap = SparseReadOut { extents: [(0, 2), (1, 1)].into(), data: Bytes::from_static(b"abc") };
        assert!(decode_exact::<SparseReadOut>(&encode_to_vec(&overlap)).is_err());
    }

    #[test]
    fn reply_out_reports_the_compound_error() {
        let reply = ObjectReply::error(Errno::ENOENT);
        assert_eq!(reply.out(0), Err(Errno::ENOENT));
        let ok =
            ObjectReply { ops: alloc::vec![OpResult { rval: 0, out: Bytes::from_static(b"x") }], ..Default::default() };
        assert_eq!(ok.out(0).unwrap().as_ref(), b"x");
        assert_eq!(ok.out(1), Err(Errno::EIO));
    }
}
