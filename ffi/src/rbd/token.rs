//! The text formats librbd checks before it would act: base64 bootstrap
//! tokens and JSON migration source specs.

/// Standard base64 (padding optional, whitespace ignored, as Ceph's
/// decode_base64); None when it is not base64.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let body = digits.strip_suffix(b"==").or_else(|| digits.strip_suffix(b"=")).unwrap_or(&digits);
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = (acc << 6) | value(c)?;
        }
        let bits = chunk.len() * 6;
        let bytes = bits / 8;
        acc <<= 24 - bits;
        out.extend_from_slice(&acc.to_be_bytes()[1..=bytes]);
    }
    Some(out)
}

/// How librbd's migration source spec parser reacts to `spec`: not JSON
/// is -EBADMSG, JSON without a "type" -EINVAL. Only the outline is checked.
pub(crate) fn check_source_spec(spec: &str) -> Result<(), rbdrs_client::proto::Errno> {
    use rbdrs_client::proto::Errno;
    let spec = spec.trim();
    if !(spec.starts_with('{') && spec.ends_with('}')) {
        return Err(Errno::EBADMSG);
    }
    if !spec.contains("\"type\"") {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(decode_base64("e30=").as_deref(), Some(&b"{}"[..]));
        assert_eq!(decode_base64("aGVsbG8gd29ybGQ=").as_deref(), Some(&b"hello world"[..]));
        assert_eq!(decode_base64("YWJj").as_deref(), Some(&b"abc"[..]));
        assert_eq!(decode_base64("garbage!"), None);
        assert_eq!(decode_base64("a"), None);
    }

    #[test]
    fn source_specs() {
        use rbdrs_client::proto::Errno;
        assert_eq!(check_source_spec("garbage"), Err(Errno::EBADMSG));
        assert_eq!(check_source_spec("{}"), Err(Errno::EINVAL));
        assert_eq!(check_source_spec(r#"{"type": "raw"}"#), Ok(()));
    }
}
