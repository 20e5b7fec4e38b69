//! Keyrings and CephX keys, as `auth/KeyRing.cc` reads them.
//!
//! A keyring is a ceph.conf-dialect file: one section per entity (e.g.
//! `[client.admin]`), `key = <base64>`, optional `caps <svc> = "..."` and a
//! legacy `auid`; `[global]` is skipped. Any other key, a bad entity name
//! or a bad key makes the whole file malformed (EIO), as upstream. Binary
//! (encoded) keyrings are not read.

use std::fs::File;
use std::io::Read;

use rbdrs_core::Errno;

use super::parse::ConfFile;
use super::{errno_of, split_str_list, EntityName};

/// A decoded CephX key (`CryptoKey`): type, creation time, secret bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CryptoKey {
    /// 0 none, 1 AES-128, 2 AES-256 (newer clusters).
    pub kind: u16,
    pub created: (u32, u32),
    pub secret: Vec<u8>,
}

impl CryptoKey {
    /// The canonical base64 of the encoded key (type, created, len, secret).
    pub fn to_base64(&self) -> String {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut raw = Vec::with_capacity(12 + self.secret.len());
        raw.extend_from_slice(&self.kind.to_le_bytes());
        raw.extend_from_slice(&self.created.0.to_le_bytes());
        raw.extend_from_slice(&self.created.1.to_le_bytes());
        // decode_key only makes keys whose length came from a u16.
        raw.extend_from_slice(&u16::try_from(self.secret.len()).unwrap_or(u16::MAX).to_le_bytes());
        raw.extend_from_slice(&self.secret);
        let mut out = String::with_capacity(raw.len().div_ceil(3) * 4);
        for chunk in raw.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

/// Ceph's unarmor: groups of four, newlines between groups, and the first
/// `=` ends the data.
fn unarmor(text: &str) -> Option<Vec<u8>> {
    fn bits(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            b'=' => Some(0),
            _ => None,
        }
    }
    let s = text.as_bytes();
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\n' {
            i += 1;
            continue;
        }
        let g = s.get(i..i + 4)?;
        let (a, b, c, d) = (bits(g[0])?, bits(g[1])?, bits(g[2])?, bits(g[3])?);
        out.push(((a << 2) | (b >> 4)) as u8);
        if g[2] == b'=' {
            return Some(out);
        }
        out.push((((b & 15) << 4) | (c >> 2)) as u8);
        if g[3] == b'=' {
            return Some(out);
        }
        out.push((((c & 3) << 6) | d) as u8);
        i += 4;
    }
    Some(out)
}

/// Decodes a base64 key as `CryptoKey::decode_base64` does; EINVAL if bad.
pub fn decode_key(text: &str) -> Result<CryptoKey, Errno> {
    let raw = unarmor(text).ok_or(Errno::EINVAL)?;
    let le16 = |at: usize| raw.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let le32 = |at: usize| raw.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let kind = le16(0).ok_or(Errno::EINVAL)?;
    let created = (le32(2).ok_or(Errno::EINVAL)?, le32(6).ok_or(Errno::EINVAL)?);
    let len = usize::from(le16(10).ok_or(Errno::EINVAL)?);
    let secret = raw.get(12..12 + len).ok_or(Errno::EINVAL)?.to_vec();
    // CryptoHandler::create and validate_secret: known types, long enough.
    let ok = match kind {
        _ if secret.is_empty() => true,
        0 => true,
        1 => secret.len() >= 16,
        2 => secret.len() >= 32,
        _ => false,
    };
    if !ok {
        return Err(Errno::EINVAL);
    }
    Ok(CryptoKey { kind, created, secret })
}

/// The entities and keys of one keyring file.
#[derive(Clone, Debug, Default)]
pub(crate) struct Keyring {
    keys: Vec<(EntityName, String)>,
}

impl Keyring {
    /// Parses a plaintext keyring; EIO when malformed, as KeyRing::load.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Keyring, Errno> {
        let conf = ConfFile::parse_bytes(bytes).map_err(|_| Errno::EIO)?;
        let mut ring = Keyring::default();
        for (section, lines) in conf.sections() {
            if section == "global" {
                continue;
            }
            let name: EntityName = section.parse().map_err(|_| Errno::EIO)?;
            let mut key = None;
            for (k, v) in lines {
                // Keys come back normalized ("caps_mon"); upstream turns '_' back into ' '.
                let modifier = k.replace('_', " ");
                if modifier == "key" {
                    decode_key(v).map_err(|_| Errno::EIO)?;
                    key = Some(v.clone());
                } else if modifier == "auid" {
                    // Old keyrings carry one; ignored upstream too.
                } else if modifier.strip_prefix("caps ").is_some_and(|svc| !svc.is_empty()) {
                    // Caps matter to the monitors, not to a client.
                } else if !k.is_empty() {
                    return Err(Errno::EIO);
                }
            }
            if let Some(key) = key {
                ring.keys.retain(|(n, _)| *n != name);
                ring.keys.push((name, key));
            }
        }
        Ok(ring)
    }

    pub(crate) fn key_for(&self, name: &EntityName) -> Option<&str> {
        self.keys.iter().find(|(n, _)| n == name).map(|(_, k)| k.as_str())
    }
}

/// ceph_resolve_file_search: the first entry that opens for reading; else
/// the error of the last attempt (ENOENT if the list is empty).
pub(crate) fn resolve_file_search(list: &str) -> Result<String, Errno> {
    let mut err = Errno::ENOENT;
    for path in split_str_list(list) {
        match File::open(path) {
            Ok(_) => return Ok(path.to_owned()),
            Err(e) => err = errno_of(&e),
        }
    }
    Err(err)
}

/// Reads a whole (small) file.
pub(crate) fn read_all(path: &str) -> Result<Vec<u8>, Errno> {
    let mut buf = Vec::new();
    File::open(path).and_then(|mut f| f.read_to_end(&mut buf)).map_err(|e| errno_of(&e))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AQBVzNlmAAAAABAAd9oYJ5ML2Bm0uqBJsoWeMQ==";

    #[test]
    fn decodes_a_real_key() {
        let k = decode_key(KEY).unwrap();
        assert_eq!(k.to_base64(), KEY);
        assert_eq!(k.kind, 1);
        assert_eq!(k.secret.len(), 16);
        // A trailing newline (keyfiles have one) is fine; other junk is not.
        assert_eq!(decode_key(&format!("{KEY}\n")), Ok(k));
        assert_eq!(decode_key("AQBV zNlm"), Err(Errno::EINVAL));
        assert_eq!(decode_key("AQ=="), Err(Errno::EINVAL));
        assert_eq!(decode_key(""), Err(Errno::EINVAL));
        assert_eq!(decode_key("not base64!"), Err(Errno::EINVAL));
    }

    #[test]
    fn parses_keyrings() {
        let text = format!(
            "[client.admin]\n\tkey = {KEY}\n\tcaps mds = \"allow *\"\n\tcaps mon = \"allow *\"\n\tauid = 0\n[global]\nfoo = bar\n[osd.0]\nkey = {KEY}\n"
        );
        let ring = Keyring::parse(text.as_bytes()).unwrap();
        assert_eq!(ring.key_for(&"client.admin".parse().unwrap()), Some(KEY));
        assert_eq!(ring.key_for(&"osd.0".parse().unwrap()), Some(KEY));
        assert_eq!(ring.key_for(&"client.other".parse().unwrap()), None);
    }

    #[test]
    fn malformed_keyrings_are_eio() {
        for text in [
            format!("[client.admin]\nkey = {KEY}\nbogus = 1\n"),
            format!("[nobody]\nkey = {KEY}\n"),
            "[client.admin]\nkey = AQ==\n".to_owned(),
            "[client.admin]\nkey = x\n".to_owned(),
            "[client.admin\n".to_owned(),
            "\u{0}\u{1}binary".to_owned(),
        ] {
            assert_eq!(Keyring::parse(text.as_bytes()).err(), Some(Errno::EIO), "{text:?}");
        }
        assert_eq!(Keyring::parse(b"\xff\xfe").err(), Some(Errno::EIO));
    }

    #[test]
    fn random_keyrings_never_panic() {
        let mut rng = rbdrs_core::random::XorShift::new(0x6b65_7972_696e_6701);
        let alphabet = b"[]=client.admin key AQ+/=\n#";
        let mut buf = [0u8; 200];
        for _ in 0..2000 {
            let len = (rng.next_u64() % 201) as usize;
            rng.fill(&mut buf[..len]);
            for b in &mut buf[..len] {
                *b = alphabet[usize::from(*b) % alphabet.len()];
            }
            let _ = Keyring::parse(&buf[..len]);
            let _ = decode_key(std::str::from_utf8(&buf[..len]).unwrap_or(""));
        }
    }
}
