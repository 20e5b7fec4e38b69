use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::*;

const K: u64 = 1024;
const MIB: u64 = 1 << 20;

fn ex(object_no: u64, offset: u64, length: u64, buffers: &[(u64, u64)]) -> ObjectExtent {
    ObjectExtent {
        object_no,
        offset,
        length,
        buffer_extents: buffers.iter().map(|&(offset, length)| BufferExtent { offset, length }).collect(),
    }
}

fn default_layout() -> Layout {
    Layout::from_order(22).unwrap()
}

/// os 8K, su 4K, sc 2: object sets of 16K.
fn fancy_layout() -> Layout {
    Layout::from_parts(8 * K, 4 * K, 2).unwrap()
}

#[test]
fn default_layout_literal() {
    let l = default_layout();
    assert_eq!(file_to_extents(&l, 0, 4096).unwrap(), vec![ex(0, 0, 4096, &[(0, 4096)])]);
    assert_eq!(
        file_to_extents(&l, 4 * MIB - 4096, 8192).unwrap(),
        vec![ex(0, 4 * MIB - 4096, 4096, &[(0, 4096)]), ex(1, 0, 4096, &[(4096, 4096)])]
    );
    assert_eq!(
        file_to_extents(&l, 10 * MIB + 5, 9 * MIB).unwrap(),
        vec![
            ex(2, 2 * MIB + 5, 2 * MIB - 5, &[(0, 2 * MIB - 5)]),
            ex(3, 0, 4 * MIB, &[(2 * MIB - 5, 4 * MIB)]),
            ex(4, 0, 3 * MIB + 5, &[(6 * MIB - 5, 3 * MIB + 5)]),
        ]
    );
    assert_eq!(file_to_extents(&l, 123, 0).unwrap(), vec![]);
}

#[test]
fn stripe_count_one_maps_whole_objects() {
    // su < os with sc = 1 is the default layout in disguise.
    let l = Layout::from_parts(16 * K, 4 * K, 1).unwrap();
    assert_eq!(
        file_to_extents(&l, 2 * K, 20 * K).unwrap(),
        vec![ex(0, 2 * K, 14 * K, &[(0, 14 * K)]), ex(1, 0, 6 * K, &[(14 * K, 6 * K)])]
    );
    assert_eq!(extent_to_file(&l, 1, 0, 16 * K).unwrap(), vec![(16 * K, 16 * K)]);
}

#[test]
fn fancy_striping_literal_across_object_sets() {
    let l = fancy_layout();
    // 2K..30K: two object sets, every object entered twice.
    assert_eq!(
        file_to_extents(&l, 2 * K, 28 * K).unwrap(),
        vec![
            ex(0, 2 * K, 6 * K, &[(0, 2 * K), (6 * K, 4 * K)]),
            ex(1, 0, 8 * K, &[(2 * K, 4 * K), (10 * K, 4 * K)]),
            ex(2, 0, 8 * K, &[(14 * K, 4 * K), (22 * K, 4 * K)]),
            ex(3, 0, 6 * K, &[(18 * K, 4 * K), (26 * K, 2 * K)]),
        ]
    );
    assert_eq!(extent_to_file(&l, 1, 0, 8 * K).unwrap(), vec![(4 * K, 4 * K), (12 * K, 4 * K)]);
    assert_eq!(extent_to_file(&l, 3, 2 * K, 4 * K).unwrap(), vec![(22 * K, 2 * K), (28 * K, 2 * K)]);
    assert_eq!(file_offset(&l, 2, 5 * K), Ok(24 * K + K));
    assert_eq!(file_to_object(&l, 25 * K), (2, 5 * K));
    assert_eq!(object_no_for(&l, 31 * K), 3);
}

#[test]
fn first_touch_order() {
    // sc 3, starting at the second column: objects 1, 2, then 0.
    let l = Layout::from_parts(8 * K, 4 * K, 3).unwrap();
    assert_eq!(
        file_to_extents(&l, 4 * K, 16 * K).unwrap(),
        vec![
            ex(1, 0, 8 * K, &[(0, 4 * K), (12 * K, 4 * K)]),
            ex(2, 0, 4 * K, &[(4 * K, 4 * K)]),
            ex(0, 4 * K, 4 * K, &[(8 * K, 4 * K)]),
        ]
    );
}

#[test]
fn into_appends_with_buffer_offset() {
    let l = fancy_layout();
    let mut out = vec![ex(9, 0, 1, &[(0, 1)])];
    file_to_extents_into(&l, 4 * K, 12 * K, 100, &mut out).unwrap();
    assert_eq!(
        out,
        vec![
            ex(9, 0, 1, &[(0, 1)]),
            ex(1, 0, 8 * K, &[(100, 4 * K), (100 + 8 * K, 4 * K)]),
            ex(0, 4 * K, 4 * K, &[(100 + 4 * K, 4 * K)])
        ]
    );
    let before = out.clone();
    assert!(file_to_extents_into(&l, 0, 10, u64::MAX - 5, &mut out).is_err());
    assert_eq!(out, before);
}

#[test]
fn pieces_iterator() {
    let l = fancy_layout();
    let pieces: Vec<_> = stripe_pieces(&l, 3 * K, 3 * K).unwrap().collect();
    assert_eq!(
        pieces,
        vec![
            StripePiece { object_no: 0, object_offset: 3 * K, length: K, buffer_offset: 0 },
            StripePiece { object_no: 1, object_offset: 0, length: 2 * K, buffer_offset: K },
        ]
    );
}

#[test]
fn object_counts() {
    let l = default_layout();
    for (size, want) in [(0, 0), (1, 1), (4 * MIB, 1), (4 * MIB + 1, 2), (10 * MIB, 3)] {
        assert_eq!(object_count(&l, size), want, "size {size}");
    }
    let l = fancy_layout();
    for (size, want) in [(0, 0), (4 * K, 1), (4 * K + 1, 2), (16 * K, 2), (16 * K + 1, 3), (20 * K, 3), (20 * K + 1, 4)]
    {
        assert_eq!(object_count(&l, size), want, "size {size}");
    }
    assert_eq!(object_count(&Layout::from_parts(1, 1, 1).unwrap(), u64::MAX), u64::MAX);
    assert_eq!(object_count(&l, u64::MAX), u64::MAX / (16 * K) * 2 + 2);
}

#[test]
fn errors_instead_of_overflow() {
    let l = fancy_layout();
    assert_eq!(file_to_extents(&l, u64::MAX, 1), Err(ExtentError::Overflow { offset: u64::MAX, length: 1 }));
    assert!(stripe_pieces(&l, 1, u64::MAX).is_err());
    // The very last bytes of a 64-bit image still map.
    let last = file_to_extents(&l, u64::MAX - 10, 10).unwrap();
    let total: u64 = last.iter().map(|e| e.length).sum();
    assert_eq!(total, 10);
    assert_eq!(file_to_extents(&l, u64::MAX, 0).unwrap(), vec![]);

    assert_eq!(
        extent_to_file(&l, 0, 4 * K, 8 * K),
        Err(ExtentError::BeyondObject { offset: 4 * K, length: 8 * K, object_size: 8 * K })
    );
    assert!(extent_to_file(&l, 0, u64::MAX, 2).is_err());
    assert!(file_offset(&l, 0, 8 * K).is_err());
    assert_eq!(file_offset(&l, u64::MAX, 0), Err(ExtentError::ObjectBeyondImage { object_no: u64::MAX }));
    let mut out = vec![(1, 1)];
    assert!(extent_to_file_into(&l, u64::MAX, 0, 8 * K, &mut out).is_err());
    assert_eq!(out, vec![(1, 1)]);
    assert_eq!(ExtentError::Overflow { offset: 0, length: 0 }.errno(), crate::Errno::EINVAL);
}

// Small layouts: orders 9..=16, su = os >> k, sc 1..=8.
fn small_layout() -> impl Strategy<Value = Layout> {
    (9u32..=16, 0u32..=3, 1u64..=8).prop_map(|(order, k, sc)| {
        let os = 1u64 << order;
        Layout::from_parts(os, os >> k, sc).unwrap()
    })
}

// Tiny layouts for byte-by-byte checks: orders 9..=12.
fn tiny_layout() -> impl Strategy<Value = Layout> {
    (9u32..=12, 0u32..=3, 1u64..=8).prop_map(|(order, k, sc)| {
        let os = 1u64 << order;
        Layout::from_parts(os, os >> k, sc).unwrap()
    })
}

/// An image offset within the first object sets, or just below 2^64.
fn offset_in(layout: &Layout, periods: u64) -> BoxedStrategy<u64> {
    let span = layout.period() * periods;
    prop_oneof![4 => 0..span, 1 => (u64::MAX - span)..u64::MAX].boxed()
}

/// A request of up to `periods` object sets that fits below 2^64.
fn request(layout: Layout, periods: u64) -> impl Strategy<Value = (Layout, u64, u64)> {
    let max_len = layout.period() * periods;
    (offset_in(&layout, 2 * periods), 0..=max_len).prop_map(move |(off, len)| (layout, off, len.min(u64::MAX - off)))
}

fn tiles(mut ranges: Vec<(u64, u64)>, start: u64, length: u64) -> Result<(), TestCaseError> {
    ranges.sort_unstable();
    let mut at = start;
    for (off, len) in ranges {
        prop_assert!(len > 0, "empty range at {}", off);
        prop_assert_eq!(off, at, "gap or overlap");
        at += len;
    }
    prop_assert_eq!(at - start, length);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    // Every image byte lands on exactly one object byte, which maps back to it.
    #[test]
    fn image_byte_round_trips((l, off) in small_layout().prop_flat_map(|l| (Just(l), offset_in(&l, 4)))) {
        let extents = file_to_extents(&l, off, 1).unwrap();
        prop_assert_eq!(extents.len(), 1);
        let e = &extents[0];
        prop_assert_eq!(&e.buffer_extents, &vec![BufferExtent { offset: 0, length: 1 }]);
        prop_assert!(e.length == 1 && e.offset < l.object_size());
        prop_assert_eq!(file_to_object(&l, off), (e.object_no, e.offset));
        prop_assert_eq!(file_offset(&l, e.object_no, e.offset), Ok(off));
        prop_assert_eq!(extent_to_file(&l, e.object_no, e.offset, 1).unwrap(), vec![(off, 1)]);
    }

    // Every object byte is the image of exactly one image byte.
    #[test]
    fn object_byte_round_trips(
        (l, object_no, off) in small_layout().prop_flat_map(|l| (Just(l), 0..64u64, 0..l.object_size()))
    ) {
        let image = file_offset(&l, object_no, off).unwrap();
        prop_assert_eq!(file_to_object(&l, image), (object_no, off));
    }

    // The buffer extents of a request tile [0, length) exactly once, in order.
    #[test]
    fn buffer_extents_tile_the_request((l, off, len) in small_layout().prop_flat_map(|l| request(l, 3))) {
        let extents = file_to_extents(&l, off, len).unwrap();
        let mut ranges = Vec::new();
        for e in &extents {
            prop_assert!(e.length > 0 && e.offset + e.length <= l.object_size());
            prop_assert!(e.buffer_extents.windows(2).all(|w| w[0].offset + w[0].length < w[1].offset));
            prop_assert_eq!(e.buffer_extents.iter().map(|b| b.length).sum::<u64>(), e.length);
            ranges.extend(e.buffer_extents.iter().map(|b| (b.offset, b.length)));
        }
        // One extent per object.
        let mut objects: Vec<u64> = extents.iter().map(|e| e.object_no).collect();
        objects.sort_unstable();
        objects.dedup();
        prop_assert_eq!(objects.len(), extents.len());
        tiles(ranges, 0, len)?;
    }

    // Each buffer byte sits at the object byte the striping formula gives.
    #[test]
    fn matches_bytewise_formula((l, off, len) in tiny_layout().prop_flat_map(|l| request(l, 3))) {
        let (os, su, sc) = (l.object_size(), l.stripe_unit(), l.stripe_count());
        for e in file_to_extents(&l, off, len).unwrap() {
            let mut object_byte = e.offset;
            for b in &e.buffer_extents {
                for i in b.offset..b.offset + b.length {
                    let image = off + i;
                    let blockno = image / su;
                    let stripeno = blockno / sc;
                    let stripepos = blockno % sc;
                    let objsetno = stripeno / (os / su);
                    let objno = objsetno * sc + stripepos;
                    let objoff = (stripeno % (os / su)) * su + image % su;
                    prop_assert_eq!((e.object_no, object_byte), (objno, objoff), "image byte {}", image);
                    object_byte += 1;
                }
            }
            prop_assert_eq!(object_byte, e.offset + e.length);
        }
    }

    // extent_to_file of a request's object extents gives back exactly its image range.
    #[test]
    fn object_extents_map_back((l, off, len) in small_layout().prop_flat_map(|l| request(l, 3))) {
        let mut ranges = Vec::new();
        for e in file_to_extents(&l, off, len).unwrap() {
            let back = extent_to_file(&l, e.object_no, e.offset, e.length).unwrap();
            let mut buffers: Vec<(u64, u64)> = Vec::new();
            for b in &e.buffer_extents {
                match buffers.last_mut() {
                    Some(last) if last.0 + last.1 == off + b.offset => last.1 += b.length,
                    _ => buffers.push((off + b.offset, b.length)),
                }
            }
            prop_assert_eq!(&back, &buffers);
            ranges.extend(back);
        }
        tiles(ranges, off, len)?;
    }

    // object_count(size) is one past the highest object [0, size) touches.
    #[test]
    fn object_count_matches_touched((l, size) in tiny_layout().prop_flat_map(|l| (Just(l), 0..=l.period() * 3))) {
        let touched = stripe_pieces(&l, 0, size).unwrap().map(|p| p.object_no + 1).max().unwrap_or(0);
        prop_assert_eq!(object_count(&l, size), touched);
    }
}
