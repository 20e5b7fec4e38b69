//! Feeds arbitrary bytes to the generic decoders: whatever decodes must
//! re-encode to bytes that decode to the same value.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use crate::encoding::{decode_exact, encode_to_vec, encode_versioned, Decode, DecodeError, Decoder, Encode, UtcTime};

type Composite = (BTreeMap<String, Vec<u8>>, (Vec<(u64, i32)>, (BTreeSet<u64>, Option<UtcTime>)));

/// A versioned struct with one field added in v2, as Ceph structs grow.
#[derive(Debug, PartialEq)]
struct Grown {
    name: String,
    size: u64,
    extra: Option<Vec<u16>>,
}

impl Encode for Grown {
    fn encode(&self, out: &mut Vec<u8>) {
        let version = if self.extra.is_some() { 2 } else { 1 };
        encode_versioned(out, version, 1, |out| {
            self.name.encode(out);
            self.size.encode(out);
            if let Some(extra) = &self.extra {
                extra.encode(out);
            }
        });
    }
}

impl Decode for Grown {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.versioned(2, |d, version| {
            let name = d.string()?;
            let size = d.u64()?;
            let extra = if version >= 2 { Some(d.decode()?) } else { None };
            Ok(Grown { name, size, extra })
        })
    }
}

fn check<T: Decode + Encode + PartialEq + core::fmt::Debug>(data: &[u8]) {
    if let Ok(value) = decode_exact::<T>(data) {
        let again = encode_to_vec(&value);
        assert_eq!(decode_exact::<T>(&again).as_ref(), Ok(&value));
    }
}

pub fn run(data: &[u8]) {
    check::<Composite>(data);
    check::<Grown>(data);
    check::<Vec<Vec<u8>>>(data);
    check::<BTreeMap<u32, (String, bool)>>(data);
    // Streams of values: a decoder must stop cleanly wherever bytes run out.
    let mut d = Decoder::new(data);
    while !d.is_empty() {
        if d.decode::<(u8, Option<Grown>)>().is_err() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_corpus() {
        let grown = Grown { name: "img".into(), size: 1 << 30, extra: Some(alloc::vec![1, 2]) };
        let seeds: [Vec<u8>; 4] = [
            encode_to_vec(&grown),
            encode_to_vec(&Grown { extra: None, ..grown }),
            encode_to_vec(&(
                BTreeMap::<String, Vec<u8>>::new(),
                (Vec::<(u64, i32)>::new(), (BTreeSet::<u64>::new(), Some(UtcTime::new(5, 6)))),
            )),
            alloc::vec![0xff; 16],
        ];
        for seed in &seeds {
            run(seed);
            for cut in 0..seed.len() {
                run(&seed[..cut]);
            }
        }
        let decoded: Grown = decode_exact(&seeds[0]).unwrap();
        assert_eq!(decoded.extra, Some(alloc::vec![1, 2]));
    }

    #[test]
    fn random_inputs() {
        super::super::run_seeded(0x5eed_0001, 5000, 96, run);
    }
}
