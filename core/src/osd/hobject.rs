//! `hobject_t` as object listing uses it (the PGNLS cursor), its bitwise
//! sort order, and the PGNLS reply (`pg_nls_response_t`).

use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

use crate::crush::hash::str_hash_rjenkins;
use crate::encoding::{encode_versioned, Decode, DecodeError, Decoder, Encode};

/// The namespace that lists every namespace (librados::all_nspaces).
pub const ALL_NSPACES: &str = "\u{1}";

/// CEPH_NOSNAP: the head of an object.
pub const NOSNAP: u64 = u64::MAX - 1;

/// A position in a pool's objects, in the order OSDs list them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HObject {
    pub key: String,
    pub oid: String,
    pub snap: u64,
    pub hash: u32,
    pub max: bool,
    pub nspace: String,
    pub pool: i64,
}

impl HObject {
    /// Before every object (hobject_t()).
    pub fn min() -> Self {
        HObject {
            key: String::new(),
            oid: String::new(),
            snap: 0,
            hash: 0,
            max: false,
            nspace: String::new(),
            pool: i64::MIN,
        }
    }

    /// After every object (hobject_t::get_max()).
    pub fn max() -> Self {
        HObject { max: true, ..HObject::min() }
    }

    /// Where objects of raw hash `hash` begin (rados_nobjects_list_seek).
    pub fn at_hash(pool: i64, hash: u32) -> Self {
        HObject { snap: NOSNAP, hash, pool, ..HObject::min() }
    }

    /// An object's head.
    pub fn head(pool: i64, nspace: &str, oid: &str, key: &str) -> Self {
        let locator = if key.is_empty() { oid } else { key };
        HObject {
            key: key.into(),
            oid: oid.into(),
            snap: NOSNAP,
            hash: object_hash(nspace, locator),
            max: false,
            nspace: nspace.into(),
            pool,
        }
    }

    pub fn is_min(&self) -> bool {
        *self == HObject::min()
    }

    /// The hash bits reversed, so a pg's objects are one contiguous range.
    fn bitwise_key(&self) -> u64 {
        if self.max {
            1 << 32
        } else {
            u64::from(self.hash.reverse_bits())
        }
    }

    fn effective_key(&self) -> &str {
        if self.key.is_empty() {
            &self.oid
        } else {
            &self.key
        }
    }
}

/// `pg_pool_t::hash_key` with the default (rjenkins) object hash.
pub fn object_hash(nspace: &str, locator: &str) -> u32 {
    if nspace.is_empty() {
        return str_hash_rjenkins(locator.as_bytes());
    }
    let mut buf = Vec::with_capacity(nspace.len() + 1 + locator.len());
    buf.extend_from_slice(nspace.as_bytes());
    buf.push(0x1f);
    buf.extend_from_slice(locator.as_bytes());
    str_hash_rjenkins(&buf)
}

/// hobject_t's bitwise `cmp`.
impl Ord for HObject {
    fn cmp(&self, other: &Self) -> Ordering {
        self.max
            .cmp(&other.max)
            .then(self.pool.cmp(&other.pool))
            .then(self.bitwise_key().cmp(&other.bitwise_key()))
            .then(self.nspace.cmp(&other.nspace))
            .then_with(|| {
                if self.key.is_empty() && other.key.is_empty() {
                    Ordering::Equal
                } else {
                    self.effective_key().cmp(other.effective_key())
                }
            })
            .then(self.oid.cmp(&other.oid))
            .then(self.snap.cmp(&other.snap))
    }
}

impl PartialOrd for HObject {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Encode for HObject {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_versioned(out, 4, 3, |out| {
            self.key.encode(out);
            self.oid.encode(out);
            self.snap.encode(out);
            self.hash.encode(out);
            self.max.encode(out);
            self.nspace.encode(out);
            self.pool.encode(out);
        });
    }
}

impl Decode for HObject {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.versioned(4, |d, v| {
            if v < 4 {
                return Err(DecodeError::VersionTooOld { version: v, oldest: 4 });
            }
            let mut h = HObject {
                key: d.decode()?,
                oid: d.decode()?,
                snap: d.u64()?,
                hash: d.u32()?,
                max: d.bool()?,
                nspace: d.decode()?,
                pool: d.i64()?,
            };
            // As hobject_t::decode: an old "min" had pool -1; max is canonical.
            if h.pool == -1 && h.snap == 0 && h.hash == 0 && !h.max && h.oid.is_empty() {
                h.pool = i64::MIN;
            }
            if h.max {
                h = HObject::max();
            }
            Ok(h)
        })
    }
}

/// One listed object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListEntry {
    pub nspace: String,
    pub oid: String,
    /// The locator key ("" when placed by name).
    pub locator: String,
}

/// What a PGNLS op answers: the entries, and where the next one starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NlsResponse {
    pub handle: HObject,
    pub entries: Vec<ListEntry>,
}

impl Encode for NlsResponse {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_versioned(out, 1, 1, |out| {
            self.handle.encode(out);
            (self.entries.len() as u32).encode(out);
            for e in &self.entries {
                e.nspace.encode(out);
                e.oid.encode(out);
                e.locator.encode(out);
            }
        });
    }
}

impl Decode for NlsResponse {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.versioned(1, |d, _| {
            let handle = d.decode()?;
            let n = d.count(12)?;
            let mut entries = Vec::with_capacity(n);
            for _ in 0..n {
                entries.push(ListEntry { nspace: d.decode()?, oid: d.decode()?, locator: d.decode()? });
            }
            Ok(NlsResponse { handle, entries })
        })
    }
}

impl NlsResponse {
    /// From a PGNLS op's output (an OSD may append legacy bytes).
    pub fn from_out(out: &[u8]) -> Result<Self, crate::Errno> {
        Decoder::new(out).decode().map_err(|_| crate::Errno::EIO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::{decode_exact, encode_to_vec};

    #[test]
    fn order_is_by_reversed_hash_then_namespace_then_name() {
        let a = HObject { hash: 0x8000_0000, ..HObject::at_hash(1, 0) };
        let b = HObject { hash: 0x0000_0001, ..HObject::at_hash(1, 0) };
        // 0x80000000 reversed is 1, 0x1 reversed is 0x80000000.
        assert!(a < b);
        assert!(HObject::min() < a && b < HObject::max());
        let x = HObject::head(1, "", "x", "");
        let same_hash_ns = HObject { nspace: "n".into(), ..x.clone() };
        assert!(x < same_hash_ns);
    }

    #[test]
    fn round_trips_and_canonical_forms() {
        let h = HObject::head(3, "ns", "obj", "key");
        assert_eq!(decode_exact::<HObject>(&encode_to_vec(&h)).unwrap(), h);
        let old_min = HObject { pool: -1, ..HObject::min() };
        assert!(decode_exact::<HObject>(&encode_to_vec(&old_min)).unwrap().is_min());
        let r = NlsResponse {
            handle: HObject::max(),
            entries: alloc::vec![ListEntry { oid: "o".into(), ..Default::default() }],
        };
        assert_eq!(decode_exact::<NlsResponse>(&encode_to_vec(&r)).unwrap(), r);
    }

    #[test]
    fn hash_matches_ceph() {
        // ceph_str_hash_rjenkins("foo"), as `ceph osd map` places it.
        assert_eq!(object_hash("", "foo"), 0x7fc1_f406);
    }
}
