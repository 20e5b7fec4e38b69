use alloc::vec::Vec;

/// A value with a Ceph encoding.
pub trait Encode {
    fn encode(&self, out: &mut Vec<u8>);
}

/// Encodes one value into a fresh buffer.
pub fn encode_to_vec<T: Encode + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    value.encode(&mut out);
    out
}

/// Writes a versioned envelope (Ceph's ENCODE_START/ENCODE_FINISH) around
/// whatever `body` appends: `u8 version, u8 compat, u32 length, body`.
pub fn encode_versioned(out: &mut Vec<u8>, version: u8, compat: u8, body: impl FnOnce(&mut Vec<u8>)) {
    out.push(version);
    out.push(compat);
    let len_at = out.len();
    out.extend_from_slice(&[0; 4]);
    body(out);
    let len = out.len() - len_at - 4;
    // A struct of 4 GiB cannot be sent in one message; Ceph has the same bound.
    debug_assert!(u32::try_from(len).is_ok(), "encoded struct over 4 GiB");
    out[len_at..len_at + 4].copy_from_slice(&(len as u32).to_le_bytes());
}
