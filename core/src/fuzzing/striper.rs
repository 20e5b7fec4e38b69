//! Fuzzes [`crate::striper`]: layouts and extents from raw bytes.

use alloc::vec::Vec;

use crate::striper::{
    extent_to_file, extent_to_file_into, file_offset, file_to_extents, file_to_extents_into, file_to_object,
    object_count, stripe_pieces, Layout,
};

/// Never panics unless the striper has a bug.
///
/// Input: little-endian u64s (missing bytes read as zero): three layout
/// numbers, offset, length, and one more for object-side checks.
pub fn run(data: &[u8]) {
    let mut words = [0u64; 6];
    for (word, chunk) in words.iter_mut().zip(data.chunks(8)) {
        let mut bytes = [0u8; 8];
        bytes[..chunk.len()].copy_from_slice(chunk);
        *word = u64::from_le_bytes(bytes);
    }
    let [a, b, c, offset, length, extra] = words;

    // Raw numbers: the constructors refuse what is invalid, without panicking.
    let _ = Layout::new(a.to_le_bytes()[0], b, c);
    let _ = Layout::from_order(b.to_le_bytes()[0]);
    if let Ok(layout) = Layout::from_parts(a, b, c) {
        check(&layout, offset, length, extra);
    }

    // A layout valid by construction, so that the checks below run often.
    let order = 9 + (a % 16) as u32;
    let object_size = 1u64 << order;
    let stripe_unit = object_size >> (b % u64::from(order + 1));
    let layout = Layout::from_parts(object_size, stripe_unit, 1 + c % 64);
    check(&layout.expect("shaped layouts are valid"), offset, length, extra);
}

fn check(layout: &Layout, offset: u64, length: u64, extra: u64) {
    let object_size = layout.object_size();
    // Keep the work to a few hundred stripe units.
    let length = length % layout.stripe_unit().saturating_mul(256);

    let Some(end) = offset.checked_add(length) else {
        assert!(file_to_extents(layout, offset, length).is_err());
        assert!(stripe_pieces(layout, offset, length).is_err());
        return;
    };
    let extents = file_to_extents(layout, offset, length).expect("extent within 2^64");

    // The buffer extents tile [0, length) exactly once.
    let mut buffer: Vec<(u64, u64)> = Vec::new();
    let mut objects: Vec<u64> = Vec::new();
    let mut image: Vec<(u64, u64)> = Vec::new();
    for ex in &extents {
        assert!(ex.length > 0 && ex.offset + ex.length <= object_size);
        let mut at = ex.offset;
        let mut expected = Vec::new();
        for be in &ex.buffer_extents {
            // Each piece starts where the formula puts its first byte.
            assert_eq!(file_to_object(layout, offset + be.offset), (ex.object_no, at));
            assert_eq!(file_offset(layout, ex.object_no, at), Ok(offset + be.offset));
            at += be.length;
            buffer.push((be.offset, be.length));
            expected.push((offset + be.offset, be.length));
        }
        assert_eq!(at, ex.offset + ex.length);
        objects.push(ex.object_no);

        // Back to the image: the same bytes (buffer extents never touch).
        let back = extent_to_file(layout, ex.object_no, ex.offset, ex.length);
        assert_eq!(back.as_ref(), Ok(&expected));
        image.extend(expected);
    }
    buffer.sort_unstable();
    let mut at = 0;
    for (off, len) in buffer {
        assert!(len > 0);
        assert_eq!(off, at);
        at += len;
    }
    assert_eq!(at, length);
    image.sort_unstable();
    assert!(image.first().is_none_or(|first| first.0 == offset));
    assert!(image.windows(2).all(|w| w[0].0 + w[0].1 == w[1].0));

    // One extent per object, all within the image's object count.
    objects.sort_unstable();
    let touched = objects.len();
    objects.dedup();
    assert_eq!(objects.len(), touched);
    if let Some(&last) = objects.last() {
        assert!(last < object_count(layout, end));
    }

    // The appending form agrees and honours the buffer offset.
    let mut out = Vec::new();
    match file_to_extents_into(layout, offset, length, extra, &mut out) {
        Ok(()) => {
            assert_eq!(out.len(), extents.len());
            for (a, b) in out.iter().zip(&extents) {
                assert_eq!((a.object_no, a.offset, a.length), (b.object_no, b.offset, b.length));
                for (x, y) in a.buffer_extents.iter().zip(&b.buffer_extents) {
                    assert_eq!((x.offset, x.length), (y.offset + extra, y.length));
                }
            }
        }
        Err(_) => {
            assert!(extra.checked_add(length).is_none());
            assert!(out.is_empty());
        }
    }

    // Arbitrary object extents map back or are refused, never panic.
    let object_offset = offset % object_size.saturating_add(1);
    let object_length = length.min(object_size.saturating_sub(object_offset));
    let mut back = Vec::new();
    match extent_to_file_into(layout, extra, object_offset, object_length, &mut back) {
        Ok(()) => {
            assert_eq!(back.iter().map(|r| r.1).sum::<u64>(), object_length);
            for &(image_offset, len) in &back {
                let (object_no, off) = file_to_object(layout, image_offset);
                assert_eq!(object_no, extra);
                assert!(off + len <= object_size);
            }
        }
        Err(_) => assert!(back.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::run;

    fn words(values: &[u64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn seed_corpus() {
        let seeds = [
            Vec::new(),
            alloc::vec![0xff; 3],
            words(&[4 << 20, 4 << 20, 1, 0, 4096, 0]),
            words(&[8192, 4096, 2, 2048, 28 * 1024, 3]),
            words(&[8192, 4096, 3, 4096, 16 * 1024, 1]),
            words(&[65536, 65536 >> 4, 16, 1 << 30, 4 << 20, 100]),
            words(&[1, 1, 1, u64::MAX - 5, 5, u64::MAX]),
            words(&[1, 1, u64::MAX, u64::MAX, 1, 0]),
            words(&[u64::MAX, u64::MAX, 1, 0, u64::MAX, u64::MAX]),
            words(&[1 << 40, 1 << 40, 1 << 24, 0, 1, 0]),
            words(&[0, 0, 0, 0, 0, 0]),
            words(&[22, 65536, 0, 5, 6, 7]),
        ];
        for seed in &seeds {
            run(seed);
        }
    }

    #[test]
    fn pseudo_random_inputs() {
        let mut rng = crate::random::XorShift::new(0x2545_f491_4f6c_dd1d);
        let mut next = move || rng.next_u64();
        for _ in 0..2000 {
            let len = (next() % 56) as usize;
            let mut input: Vec<u8> = (0..len).map(|_| next().to_le_bytes()[0]).collect();
            // Sometimes small numbers in the layout words, so from_parts accepts them.
            if next() % 2 == 0 {
                for (i, byte) in input.iter_mut().enumerate().take(24) {
                    if i % 8 >= 2 {
                        *byte = 0;
                    }
                }
            }
            run(&input);
        }
    }
}
