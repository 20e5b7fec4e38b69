use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::*;
use crate::encoding::{encode_to_vec, Decoder};

/// A bit-at-a-time CRC-32C register without inversions, written apart
/// from crate::crc32c's table so the two check each other.
fn reference_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
        }
    }
    crc
}

fn five() -> BitVector2 {
    let mut bits = BitVector2::with_size(5);
    for (i, state) in [1, 2, 3, 0, 1].into_iter().enumerate() {
        bits.set(i as u64, state);
    }
    bits
}

/// BitVector<2>::encode_header: encode(bufferlist) of ENCODE_START(1, 1)
/// { u64 size }.
const FIVE_HEADER: [u8; 18] = [14, 0, 0, 0, 1, 1, 8, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0];
/// encode_data: elements 1, 2, 3, 0 | 1, first element in the top bits.
const FIVE_DATA: [u8; 2] = [0b01_10_11_00, 0b01_00_00_00];

#[test]
fn five_elements_with_crcs() {
    // encode_footer: bufferlist { u32 header CRC, u32 block count, u32 CRC per block }.
    assert_eq!(reference_crc(&FIVE_HEADER[4..]), 0x8296_4518);
    assert_eq!(reference_crc(&FIVE_DATA), 0x1279_9ade);
    let footer: [u8; 16] = [12, 0, 0, 0, 0x18, 0x45, 0x96, 0x82, 1, 0, 0, 0, 0xde, 0x9a, 0x79, 0x12];
    let expected = [&FIVE_HEADER[..], &FIVE_DATA, &footer].concat();
    let bits = five();
    assert_eq!(encode_to_vec(&bits), expected);
    let back: BitVector2 = Decoder::new(&expected).decode().unwrap();
    assert_eq!(back, bits);
    assert!(back.crc_enabled());
    assert_eq!(back.iter().collect::<Vec<_>>(), [1, 2, 3, 0, 1]);
}

#[test]
fn five_elements_without_crcs() {
    let mut bits = five();
    bits.set_crc_enabled(false);
    let expected = [&FIVE_HEADER[..], &FIVE_DATA, &[0, 0, 0, 0]].concat();
    assert_eq!(encode_to_vec(&bits), expected);
    let back: BitVector2 = Decoder::new(&expected).decode().unwrap();
    assert!(!back.crc_enabled());
    assert_eq!(back, five());
}

#[test]
fn empty_vector() {
    let bits = BitVector2::new();
    assert_eq!(reference_crc(&[1, 1, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 0xeab7_ba52);
    let expected: &[u8] =
        &[14, 0, 0, 0, 1, 1, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0x52, 0xba, 0xb7, 0xea, 0, 0, 0, 0];
    assert_eq!(encode_to_vec(&bits), expected);
    assert_eq!(Decoder::new(expected).decode::<BitVector2>().unwrap(), bits);
}

#[test]
fn blocks_of_four_kib() {
    // 16385 elements: 4097 bytes, so a full block and a one-byte block.
    let mut bits = BitVector2::with_size(16_385);
    bits.set(0, OBJECT_EXISTS);
    bits.set(16_384, OBJECT_EXISTS_CLEAN);
    let bytes = encode_to_vec(&bits);
    assert_eq!(data_len(16_385), 4097);
    assert_eq!(block_count(16_385), 2);
    assert_eq!(footer_offset(16_385), 18 + 4097);
    assert_eq!(bytes.len(), 18 + 4097 + 4 + 4 + 4 + 8);
    let data = &bytes[18..18 + 4097];
    assert_eq!((data[0], data[4096]), (0x40, 0xc0));
    let footer = &bytes[18 + 4097..];
    let word = |at: usize| u32::from_le_bytes(footer[at..at + 4].try_into().unwrap());
    assert_eq!(word(0), 16);
    assert_eq!(word(4), reference_crc(&bytes[4..18]));
    assert_eq!(word(8), 2);
    assert_eq!(word(12), reference_crc(&data[..4096]));
    assert_eq!(word(16), reference_crc(&data[4096..]));
    assert_eq!(data_crc_offset(16_385, 1) as usize, 18 + 4097 + 16);
    assert_eq!(header_crc_offset(16_385) as usize, 18 + 4097 + 4);
}

#[test]
fn decode_checks_crcs_and_lengths() {
    let good = encode_to_vec(&five());
    let decode = |bytes: &[u8]| Decoder::new(bytes).decode::<BitVector2>();
    // Any flipped data or CRC byte is caught.
    for at in [10, 18, 19, 26, 33] {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        assert!(decode(&bad).is_err(), "flip at {at}");
    }
    // Like upstream, the stored block count is not what is trusted.
    let mut count = good.clone();
    count[28] = 9;
    assert_eq!(decode(&count).unwrap(), five());
    // Every truncation fails.
    for len in 0..good.len() {
        assert!(decode(&good[..len]).is_err(), "length {len}");
    }
    // A footer with one CRC too many or too few.
    let mut extra = good.clone();
    extra[18 + 2] = 16;
    extra.extend_from_slice(&[0; 4]);
    assert!(decode(&extra).is_err());
    let mut short = good[..good.len() - 4].to_vec();
    short[18 + 2] = 8;
    assert!(decode(&short).is_err());
    // A size whose data cannot be there.
    let mut huge = good.clone();
    huge[10..18].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(decode(&huge).is_err());
    // Bytes after the footer are the caller's business.
    let mut trailing = good.clone();
    trailing.push(7);
    assert_eq!(decode(&trailing).unwrap(), five());
}

#[test]
fn newer_header_versions_decode() {
    // A v2 header (compat 1) with a field this decoder does not know: it
    // is skipped, and the header CRC covers it.
    let header: [u8; 18] = [2, 1, 12, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9];
    let mut bytes = 18u32.to_le_bytes().to_vec();
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&FIVE_DATA);
    for word in [12, reference_crc(&header), 1, reference_crc(&FIVE_DATA)] {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    assert_eq!(Decoder::new(&bytes).decode::<BitVector2>().unwrap(), five());
    // Compat 2 is beyond this decoder.
    bytes[5] = 2;
    assert!(Decoder::new(&bytes).decode::<BitVector2>().is_err());
}

#[test]
fn resize_keeps_the_last_byte_whole() {
    let mut bits = five();
    bits.set(3, 2);
    bits.resize(3);
    assert_eq!(bits.data(), [0b01_10_11_10]);
    assert_eq!(bits.get(3), None);
    // Upstream only appends zero bytes: element 3 comes back as it was.
    bits.resize(4);
    assert_eq!(bits.get(3), Some(2));
    bits.resize(9);
    assert_eq!(bits.data(), [0b01_10_11_10, 0, 0]);
    assert_eq!(bits.get(8), Some(0));
    assert_eq!(bits.get(9), None);
}

#[test]
fn transitions() {
    let mut map = BitVector2::with_size(6);
    for (i, s) in [0, 1, 2, 3, 1, 3].into_iter().enumerate() {
        map.set(i as u64, s);
    }
    let states = |m: &BitVector2| m.iter().collect::<Vec<_>>();
    // current EXISTS matches EXISTS_CLEAN too.
    let mut m = map.clone();
    assert!(update_states(&mut m, 0, 6, OBJECT_PENDING, Some(OBJECT_EXISTS)));
    assert_eq!(states(&m), [0, 2, 2, 2, 2, 2]);
    let mut m = map.clone();
    assert!(update_states(&mut m, 2, 4, OBJECT_NONEXISTENT, Some(OBJECT_PENDING)));
    assert_eq!(states(&m), [0, 1, 0, 3, 1, 3]);
    let mut m = map.clone();
    assert!(!update_states(&mut m, 1, 2, OBJECT_EXISTS, None));
    assert!(update_states(&mut m, 0, 99, OBJECT_EXISTS, None));
    assert_eq!(states(&m), [1; 6]);

    let mut m = map.clone();
    assert!(snapshot_add_states(&mut m));
    assert_eq!(states(&m), [0, 3, 2, 3, 3, 3]);
    assert!(!snapshot_add_states(&mut m));

    // The removed snapshot saw object 3 changed and did not cover object 5.
    let mut removed = BitVector2::with_size(5);
    removed.set(3, OBJECT_EXISTS);
    removed.set(1, OBJECT_EXISTS_CLEAN);
    assert!(snapshot_remove_states(&mut m, &removed));
    assert_eq!(states(&m), [0, 3, 2, 1, 3, 1]);

    let mut m = map.clone();
    resize_states(&mut m, 8, OBJECT_EXISTS);
    assert_eq!(states(&m), [0, 1, 2, 3, 1, 3, 1, 1]);
    resize_states(&mut m, 2, OBJECT_NONEXISTENT);
    assert_eq!(states(&m), [0, 1]);
}

#[test]
fn librbd_update_rules() {
    let mut bits = BitVector2::with_size(4);
    for (i, s) in [0, 1, 2, 3].into_iter().enumerate() {
        bits.set(i as u64, s);
    }
    let map = ObjectMap::new(bits);
    assert!(!map.object_may_exist(0));
    assert!(map.object_may_exist(1) && map.object_may_exist(2) && map.object_may_exist(3));
    assert!(map.object_may_exist(4), "past the end");
    assert!(map.object_may_not_exist(0) && map.object_may_not_exist(2) && map.object_may_not_exist(4));
    assert!(!map.object_may_not_exist(1) && !map.object_may_not_exist(3));
    assert_eq!(map.state(3), Some(ObjectState::ExistsClean));

    // Writes need EXISTS unless already there.
    assert!(map.update_required(0, 1, OBJECT_EXISTS));
    assert!(!map.update_required(1, 2, OBJECT_EXISTS));
    assert!(map.update_required(3, 4, OBJECT_EXISTS));
    // A remove of an absent object needs no PENDING; NONEXISTENT only follows PENDING.
    assert!(!map.update_required(0, 1, OBJECT_PENDING));
    assert!(map.update_required(1, 2, OBJECT_PENDING));
    assert!(!map.update_required(1, 2, OBJECT_NONEXISTENT));
    assert!(map.update_required(2, 3, OBJECT_NONEXISTENT));
    // Ranges past the end are clamped.
    assert!(!map.update_required(4, 10, OBJECT_EXISTS));
    assert!(map.update_required(0, 10, OBJECT_EXISTS));
}

#[test]
fn io_path_states() {
    assert_eq!(pre_write_state(WriteAction::Write), OBJECT_EXISTS);
    assert_eq!(pre_write_state(WriteAction::Zero), OBJECT_EXISTS);
    assert_eq!(pre_write_state(WriteAction::Truncate), OBJECT_EXISTS);
    assert_eq!(pre_write_state(WriteAction::Remove), OBJECT_PENDING);
    assert_eq!(post_write_update(WriteAction::Remove), Some((OBJECT_NONEXISTENT, OBJECT_PENDING)));
    assert_eq!(post_write_update(WriteAction::Write), None);
    assert!(is_no_op_for_nonexistent(WriteAction::Remove, false));
    assert!(is_no_op_for_nonexistent(WriteAction::Zero, false));
    assert!(!is_no_op_for_nonexistent(WriteAction::Zero, true));
    assert!(!is_no_op_for_nonexistent(WriteAction::Write, false));

    // A write then a remove of object 2, as the IO path drives the map.
    let mut map = ObjectMap::new(BitVector2::with_size(4));
    let pre = pre_write_state(WriteAction::Write);
    assert!(map.update_required(2, 3, pre));
    map.apply_update(2, 3, pre, None);
    assert_eq!(map.state(2), Some(ObjectState::Exists));
    let pre = pre_write_state(WriteAction::Remove);
    map.apply_update(2, 3, pre, None);
    assert_eq!(map.state(2), Some(ObjectState::Pending));
    let (new, current) = post_write_update(WriteAction::Remove).unwrap();
    assert!(map.update_required(2, 3, new));
    map.apply_update(2, 3, new, Some(current));
    assert_eq!(map.state(2), Some(ObjectState::Nonexistent));
}

#[test]
fn object_count_is_the_stripers() {
    let layout = crate::striper::Layout::from_order(22).unwrap();
    assert_eq!(object_count(&layout, 0), 0);
    assert_eq!(object_count(&layout, 1), 1);
    assert_eq!(object_count(&layout, 4 << 20), 1);
    assert_eq!(object_count(&layout, (4 << 20) + 1), 2);
    // Fancy striping: 1 MiB units over 3 objects of 4 MiB.
    let striped = crate::striper::Layout::new(22, 1 << 20, 3).unwrap();
    assert_eq!(object_count(&striped, 2 << 20), 2);
    assert_eq!(object_count(&striped, 5 << 20), 3);
    assert_eq!(object_count(&striped, (12 << 20) + 1), 4);
}

#[test]
fn object_states_from_bits() {
    for bits in 0..=255u8 {
        assert_eq!(ObjectState::from_bits(bits).bits(), bits & 3);
    }
}

proptest! {
    // get/set/resize agree with a plain vector of states, and the
    // encoding round-trips with or without CRCs.
    #[test]
    fn matches_a_vec_model(
        size in 0u64..20_000,
        writes in prop::collection::vec((any::<u64>(), any::<u8>()), 0..64),
        new_size in 0u64..20_000,
        crcs in any::<bool>(),
    ) {
        let mut bits = BitVector2::with_size(size);
        let mut model = vec![0u8; size as usize];
        for &(at, value) in &writes {
            if size == 0 { break; }
            let at = at % size;
            bits.set(at, value);
            model[at as usize] = value & 3;
        }
        prop_assert_eq!(bits.iter().collect::<Vec<_>>(), model.clone());
        for (i, &state) in model.iter().enumerate() {
            prop_assert_eq!(bits.get(i as u64), Some(state));
        }
        prop_assert_eq!(bits.get(size), None);

        bits.set_crc_enabled(crcs);
        let bytes = encode_to_vec(&bits);
        let expected_len = 18 + data_len(size) + 4 + if crcs { 8 + 4 * block_count(size) } else { 0 };
        prop_assert_eq!(bytes.len() as u64, expected_len);
        let back: BitVector2 = Decoder::new(&bytes).decode().unwrap();
        prop_assert_eq!(&back, &bits);
        prop_assert_eq!(back.crc_enabled(), crcs);
        prop_assert_eq!(encode_to_vec(&back), bytes);

        // Growing exposes zeros; shrinking keeps the prefix.
        let old = bits.len();
        bits.resize(new_size);
        model.resize(new_size as usize, 0);
        for i in 0..new_size.min(old) {
            prop_assert_eq!(bits.get(i), Some(model[i as usize]));
        }
        if new_size > old {
            let fresh_from = data_len(old) * 4;
            for i in fresh_from..new_size {
                prop_assert_eq!(bits.get(i), Some(0));
            }
        }
    }

    // With CRCs on, any single corrupted data byte is caught.
    #[test]
    fn crcs_catch_a_corrupt_byte(size in 1u64..40_000, at in any::<usize>(), flip in 1u8..=255) {
        let bits = BitVector2::with_size(size);
        let mut bytes = encode_to_vec(&bits);
        let at = 18 + at % data_len(size) as usize;
        bytes[at] ^= flip;
        prop_assert!(Decoder::new(&bytes).decode::<BitVector2>().is_err());
    }
}
