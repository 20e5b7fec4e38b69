//! Feeds arbitrary bytes to the decoders of OSD op outputs, as a hostile or
//! buggy OSD could send them: each either decodes to a value that survives
//! a round trip, or is refused.

use crate::encoding::{decode_exact, encode_to_vec, Decode, Encode};
use crate::osd::{OmapKeysOut, OmapValsOut, SnapContext, SparseReadOut, StatOut, XattrsOut};

fn check<T: Decode + Encode + PartialEq + core::fmt::Debug>(data: &[u8]) {
    if let Ok(value) = decode_exact::<T>(data) {
        assert_eq!(decode_exact::<T>(&encode_to_vec(&value)).as_ref(), Ok(&value));
    }
}

pub fn run(data: &[u8]) {
    check::<StatOut>(data);
    check::<SparseReadOut>(data);
    check::<OmapKeysOut>(data);
    check::<OmapValsOut>(data);
    check::<XattrsOut>(data);
    check::<SnapContext>(data);
    if let Ok(out) = decode_exact::<SparseReadOut>(data) {
        assert_eq!(out.extents.values().sum::<u64>(), out.data.len() as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::UtcTime;
    use bytes::Bytes;

    #[test]
    fn seed_corpus() {
        let seeds = [
            encode_to_vec(&StatOut { size: 4 << 20, mtime: UtcTime::new(1, 2) }),
            encode_to_vec(&SparseReadOut { extents: [(0, 3), (100, 1)].into(), data: Bytes::from_static(b"abcd") }),
            encode_to_vec(&OmapValsOut { vals: [("name_a".into(), Bytes::from_static(b"id"))].into(), more: true }),
            encode_to_vec(&OmapKeysOut { keys: ["k".into()].into(), more: false }),
            encode_to_vec(&SnapContext::new(5, alloc::vec![5, 2])),
        ];
        for seed in &seeds {
            run(seed);
            for cut in 0..seed.len() {
                run(&seed[..cut]);
            }
        }
    }

    #[test]
    fn random_inputs() {
        super::super::run_seeded(0x5eed_0002, 5000, 64, run);
    }
}
