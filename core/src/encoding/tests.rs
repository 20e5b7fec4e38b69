use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::*;

#[test]
fn integers_are_little_endian() {
    assert_eq!(encode_to_vec(&0x0102_0304u32), [4, 3, 2, 1]);
    assert_eq!(encode_to_vec(&-2i64), [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(encode_to_vec(&0xabcdu16), [0xcd, 0xab]);
}

#[test]
fn strings_and_containers_match_ceph_layout() {
    assert_eq!(encode_to_vec("rbd"), [3, 0, 0, 0, b'r', b'b', b'd']);
    // vector<uint8_t> and bufferlist share one layout.
    assert_eq!(encode_to_vec(&vec![9u8, 8]), [2, 0, 0, 0, 9, 8]);
    let map: BTreeMap<String, u8> = [("b".into(), 2), ("a".into(), 1)].into();
    assert_eq!(encode_to_vec(&map), [2, 0, 0, 0, 1, 0, 0, 0, b'a', 1, 1, 0, 0, 0, b'b', 2]);
    assert_eq!(encode_to_vec(&Some(7u16)), [1, 7, 0]);
    assert_eq!(encode_to_vec(&None::<u16>), [0]);
    assert_eq!(encode_to_vec(&UtcTime::new(1, 2)), [1, 0, 0, 0, 2, 0, 0, 0]);
}

#[test]
fn truncated_input_is_an_error() {
    assert_eq!(decode_exact::<u32>(&[1, 2, 3]), Err(DecodeError::Truncated { needed: 4, remaining: 3 }));
    assert!(matches!(decode_exact::<String>(&[5, 0, 0, 0, b'a']), Err(DecodeError::Truncated { .. })));
}

#[test]
fn trailing_bytes_are_an_error() {
    assert_eq!(decode_exact::<u8>(&[1, 2]), Err(DecodeError::TrailingBytes(1)));
}

#[test]
fn hostile_count_allocates_nothing() {
    // 4 billion u64s claimed in 4 bytes: refused before any reservation.
    let err = decode_exact::<Vec<u64>>(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]).unwrap_err();
    assert_eq!(err, DecodeError::CountTooLarge { count: u32::MAX, remaining: 4 });
    let err = decode_exact::<BTreeMap<u64, u64>>(&[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
    assert!(matches!(err, DecodeError::CountTooLarge { count: 2, .. }));
}

#[test]
fn invalid_utf8_is_an_error() {
    assert_eq!(decode_exact::<String>(&[1, 0, 0, 0, 0xff]), Err(DecodeError::InvalidUtf8));
}

#[test]
fn map_keeps_last_value_of_a_repeated_key() {
    let bytes = [2, 0, 0, 0, 1, 10, 1, 20];
    let map: BTreeMap<u8, u8> = decode_exact(&bytes).unwrap();
    assert_eq!(map, [(1, 20)].into());
}

/// A struct as a newer encoder writes it: v3 appends a field v2 lacks.
fn encode_v3(a: u32, b: u64, extra: u16) -> Vec<u8> {
    let mut out = Vec::new();
    encode_versioned(&mut out, 3, 2, |out| {
        a.encode(out);
        b.encode(out);
        extra.encode(out);
    });
    out
}

fn decode_v2(d: &mut Decoder<'_>) -> Result<(u32, u64), DecodeError> {
    d.versioned(2, |d, _version| Ok((d.u32()?, d.u64()?)))
}

#[test]
fn envelope_layout() {
    let bytes = encode_v3(1, 2, 3);
    assert_eq!(&bytes[..6], &[3, 2, 14, 0, 0, 0]);
    assert_eq!(bytes.len(), 6 + 14);
}

#[test]
fn envelope_skips_fields_of_a_newer_version() {
    let mut bytes = encode_v3(7, 8, 9);
    bytes.push(0x55); // the next value in the stream
    let mut d = Decoder::new(&bytes);
    assert_eq!(decode_v2(&mut d).unwrap(), (7, 8));
    assert_eq!(d.u8().unwrap(), 0x55);
    d.finish().unwrap();
}

#[test]
fn envelope_refuses_a_compat_version_too_new() {
    let mut bytes = Vec::new();
    encode_versioned(&mut bytes, 5, 3, |out| 1u32.encode(out));
    let err = decode_v2(&mut Decoder::new(&bytes)).unwrap_err();
    assert_eq!(err, DecodeError::IncompatibleVersion { version: 5, compat: 3, supported: 2 });
}

#[test]
fn envelope_body_cannot_read_past_its_length() {
    // Length says 2 bytes but the body wants a u32 from inside the envelope.
    let bytes = [1, 1, 2, 0, 0, 0, 1, 2, 3, 4];
    let err = Decoder::new(&bytes).versioned(1, |d, _| d.u32()).unwrap_err();
    assert_eq!(err, DecodeError::Truncated { needed: 4, remaining: 2 });
}

#[test]
fn envelope_length_past_the_input_is_an_error() {
    let bytes = [1, 1, 0xff, 0, 0, 0, 1];
    assert!(matches!(Decoder::new(&bytes).versioned(1, |d, _| d.u8()), Err(DecodeError::Truncated { .. })));
}

type Composite = (BTreeMap<String, Vec<u8>>, (Vec<(u64, i32)>, (BTreeSet<u64>, Option<UtcTime>)));

fn composite() -> impl Strategy<Value = Composite> {
    (
        prop::collection::btree_map(".{0,8}", prop::collection::vec(any::<u8>(), 0..16), 0..4),
        prop::collection::vec((any::<u64>(), any::<i32>()), 0..4),
        prop::collection::btree_set(any::<u64>(), 0..4),
        prop::option::of((any::<u32>(), any::<u32>()).prop_map(|(s, n)| UtcTime::new(s, n))),
    )
        .prop_map(|(m, v, s, t)| (m, (v, (s, t))))
}

proptest! {
    // Decoding what was encoded gives the value back and uses every byte.
    #[test]
    fn round_trip(value in composite()) {
        let bytes = encode_to_vec(&value);
        prop_assert_eq!(decode_exact::<Composite>(&bytes).unwrap(), value);
    }

    // Any strict prefix of a valid encoding is refused, never misread.
    #[test]
    fn prefixes_are_refused(value in composite(), cut in any::<prop::sample::Index>()) {
        let bytes = encode_to_vec(&value);
        let cut = cut.index(bytes.len());
        prop_assert!(decode_exact::<Composite>(&bytes[..cut]).is_err());
    }

    // Arbitrary bytes either decode or give an error: no panic, no hang.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        crate::fuzzing::encoding::run(&bytes);
    }
}
