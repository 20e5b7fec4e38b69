//! Encodings of the primitive and container types, matching encoding.h.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::{Decode, DecodeError, Decoder, Encode};

macro_rules! int_codec {
    ($($ty:ty),*) => {$(
        impl Encode for $ty {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }

        impl Decode for $ty {
            const MIN_LEN: usize = core::mem::size_of::<$ty>();

            fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
                d.array().map(<$ty>::from_le_bytes)
            }
        }
    )*};
}

int_codec!(u16, u32, u64, i8, i16, i32, i64);

// u8 gets its own impls so that byte vectors (Ceph's bufferlist layout is the
// same as vector<uint8_t>) copy in bulk rather than byte by byte.
impl Encode for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl Decode for u8 {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.u8()
    }
}

impl Encode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl Decode for bool {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.bool()
    }
}

fn encode_len(len: usize, out: &mut Vec<u8>) {
    debug_assert!(u32::try_from(len).is_ok(), "length over 4 GiB");
    (len as u32).encode(out);
}

impl Encode for [u8] {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_len(self.len(), out);
        out.extend_from_slice(self);
    }
}

impl Encode for str {
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_bytes().encode(out);
    }
}

impl Encode for String {
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_str().encode(out);
    }
}

impl Decode for String {
    const MIN_LEN: usize = 4;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.string()
    }
}

impl Encode for Bytes {
    fn encode(&self, out: &mut Vec<u8>) {
        self[..].encode(out);
    }
}

impl Decode for Bytes {
    const MIN_LEN: usize = 4;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.bytes().map(Bytes::copy_from_slice)
    }
}

/// A list of elements: `u32` count, then each element. `Vec<u8>` takes the
/// bulk path and is byte-for-byte a bufferlist.
pub trait Element: Sized {
    fn encode_all(items: &[Self], out: &mut Vec<u8>);
    fn decode_all(d: &mut Decoder<'_>, count: usize) -> Result<Vec<Self>, DecodeError>;
}

impl Element for u8 {
    fn encode_all(items: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(items);
    }

    fn decode_all(d: &mut Decoder<'_>, count: usize) -> Result<Vec<u8>, DecodeError> {
        d.take(count).map(<[u8]>::to_vec)
    }
}

macro_rules! element_generic {
    ($([$($gen:tt)*] $ty:ty),*) => {$(
        impl<$($gen)*> Element for $ty {
            fn encode_all(items: &[Self], out: &mut Vec<u8>) {
                items.iter().for_each(|item| item.encode(out));
            }

            fn decode_all(d: &mut Decoder<'_>, count: usize) -> Result<Vec<Self>, DecodeError> {
                let mut items = Vec::with_capacity(count);
                for _ in 0..count {
                    items.push(d.decode()?);
                }
                Ok(items)
            }
        }
    )*};
}

// `count` was already checked against the bytes left, so reserving it is safe.
element_generic!(
    [] u16, [] u32, [] u64, [] i8, [] i16, [] i32, [] i64, [] bool, [] String, [] Bytes, [] super::UtcTime,
    [A: Encode + Decode, B: Encode + Decode] (A, B),
    [T: Element + Encode + Decode] Vec<T>,
    [const N: usize] [u8; N]
);

impl<T: Element + Encode> Encode for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_len(self.len(), out);
        T::encode_all(self, out);
    }
}

impl<T: Element + Decode> Decode for Vec<T> {
    const MIN_LEN: usize = 4;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let count = d.count(T::MIN_LEN)?;
        T::decode_all(d, count)
    }
}

impl<T: Encode> Encode for BTreeSet<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_len(self.len(), out);
        self.iter().for_each(|item| item.encode(out));
    }
}

impl<T: Decode + Ord> Decode for BTreeSet<T> {
    const MIN_LEN: usize = 4;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let count = d.count(T::MIN_LEN)?;
        let mut set = BTreeSet::new();
        for _ in 0..count {
            set.insert(d.decode()?);
        }
        Ok(set)
    }
}

impl<K: Encode, V: Encode> Encode for BTreeMap<K, V> {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_len(self.len(), out);
        for (k, v) in self {
            k.encode(out);
            v.encode(out);
        }
    }
}

/// Like std::map's decoder, a repeated key keeps the last value.
impl<K: Decode + Ord, V: Decode> Decode for BTreeMap<K, V> {
    const MIN_LEN: usize = 4;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let count = d.count(K::MIN_LEN + V::MIN_LEN)?;
        let mut map = BTreeMap::new();
        for _ in 0..count {
            let k = d.decode()?;
            map.insert(k, d.decode()?);
        }
        Ok(map)
    }
}

/// std::optional / boost::optional: a presence byte, then the value.
impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Some(v) => {
                out.push(1);
                v.encode(out);
            }
            None => out.push(0),
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        match d.bool()? {
            true => d.decode().map(Some),
            false => Ok(None),
        }
    }
}

impl<A: Encode, B: Encode> Encode for (A, B) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
}

impl<A: Decode, B: Decode> Decode for (A, B) {
    const MIN_LEN: usize = A::MIN_LEN + B::MIN_LEN;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok((d.decode()?, d.decode()?))
    }
}

impl<const N: usize> Encode for [u8; N] {
    /// Fixed-size arrays (uuids, nonces) have no length prefix.
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

impl<const N: usize> Decode for [u8; N] {
    const MIN_LEN: usize = N;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.array()
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    fn encode(&self, out: &mut Vec<u8>) {
        (**self).encode(out);
    }
}
