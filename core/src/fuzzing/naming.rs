//! Fuzzes [`crate::naming`]: parsing arbitrary names and printing them back.

use alloc::string::String;

use crate::naming::{
    data_object_prefix, header_object, id_object, object_map_object, parse_data_object, v1_object_prefix, ImageFormat,
};

/// Never panics unless the naming code has a bug.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);

    // A name that parses prints back to itself.
    if let Some(parsed) = parse_data_object(&text) {
        assert!(!parsed.prefix.is_empty());
        assert_eq!(parsed.format.data_object(parsed.prefix, parsed.object_no), *text);
    }

    // A name we print parses back: object number from the first 8 bytes,
    // prefix from the rest.
    let Some((head, rest)) = data.split_first_chunk::<8>() else {
        return;
    };
    let object_no = u64::from_le_bytes(*head);
    let prefix = String::from_utf8_lossy(rest);
    for format in [ImageFormat::V1, ImageFormat::V2] {
        let name = format.data_object(&prefix, object_no);
        let parsed = parse_data_object(&name);
        if let Some(p) = parsed {
            assert_eq!((p.prefix, p.object_no), (&*prefix, object_no));
        }
        let fits = format == ImageFormat::V2 || object_no < 1 << 48;
        if !prefix.is_empty() && fits {
            assert_eq!(parsed.map(|p| p.format), Some(format), "{name:?}");
        }
    }

    let map = object_map_object(&prefix, Some(object_no));
    assert_eq!(map.len(), "rbd_object_map.".len() + prefix.len() + 17);
    let pool = i64::from_le_bytes(*head);
    assert!(data_object_prefix(&prefix, Some(pool)).ends_with(&*prefix));
    assert!(id_object(&prefix).len() > prefix.len());
    assert!(header_object(&prefix).len() > prefix.len());
    let extra = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    assert!(v1_object_prefix(object_no, extra).len() < crate::naming::RBD_MAX_BLOCK_NAME_SIZE);
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::run;

    #[test]
    fn seed_corpus() {
        let seeds: &[&[u8]] = &[
            b"",
            b".",
            b"rbd_data.10226b8b4567.0000000000000000",
            b"rbd_data.3.ab.ffffffffffffffff",
            b"rb.0.1234.5678.000000000abc",
            b"rb.0.1234.5678.1000000000000",
            b".0000000000000000",
            b"x.000000000000000G",
            b"x.00000000000000FF",
            b"\xff\xfe.0000000000000001",
            b"\x01\x00\x00\x00\x00\x00\x00\x00rbd_data.ab",
            b"\xff\xff\xff\xff\xff\xff\xff\xffrb.0.0.0",
            b"\x00\x00\x00\x00\x00\x00\x01\x00",
            b"\x00\x00\x00\x00\x00\x00\x00\x00",
        ];
        for seed in seeds {
            run(seed);
        }
    }

    #[test]
    fn pseudo_random_inputs() {
        let mut rng = crate::random::XorShift::new(0x9e37_79b9_7f4a_7c15);
        let mut next = move || rng.next_u64();
        let alphabet = b"rbd_ata.0123456789abcdefABCDEF\xff";
        for _ in 0..2000 {
            let len = (next() % 48) as usize;
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    // Mostly name-like bytes, so the parser's accepting paths run too.
                    if r % 4 == 0 {
                        r.to_le_bytes()[1]
                    } else {
                        alphabet[(r >> 8) as usize % alphabet.len()]
                    }
                })
                .collect();
            run(&input);
        }
        // Well-formed names, some with one byte changed.
        for i in 0..500u64 {
            let (digits, mask) = if i % 2 == 0 { (12, (1 << 48) - 1) } else { (16, u64::MAX) };
            let name = alloc::format!("rbd_data.{:x}.{:0digits$x}", next() >> 40, next() & mask);
            let mut bytes = name.into_bytes();
            if i % 3 == 0 {
                let at = (next() as usize) % bytes.len();
                bytes[at] = next().to_le_bytes()[0];
            }
            run(&bytes);
        }
    }
}
