//! msgr2.1 secure mode: AES-128-GCM with a 16-byte tag and no associated
//! data (src/msg/async/crypto_onwire.cc).
//!
//! Each direction has its own 12-byte nonce `{le32 fixed, le64 counter}`;
//! the counter goes up by one after every GCM operation, and a frame takes
//! one to three of them (head, first-segment remainder, tail). The key and
//! both starting nonces come from the auth layer's connection secret.

use core::fmt;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes128Gcm, Key, Nonce, Tag};

pub const KEY_LEN: usize = 16;
pub const NONCE_LEN: usize = 12;
pub const TAG_LEN: usize = 16;
/// Segments are padded to this in secure mode.
pub const BLOCK_LEN: usize = 16;

/// A GCM nonce as msgr2.1 advances it: bytes 4..12 are a little-endian
/// counter, bytes 0..4 stay fixed.
#[derive(Clone, Copy, PartialEq, Eq)]
struct GcmNonce([u8; NONCE_LEN]);

impl GcmNonce {
    fn advance(&mut self) {
        let mut counter = [0u8; 8];
        counter.copy_from_slice(&self.0[4..]);
        // 2^64 frames cannot pass over one connection; wrapping is moot.
        let next = u64::from_le_bytes(counter).wrapping_add(1);
        self.0[4..].copy_from_slice(&next.to_le_bytes());
    }

    fn counter(&self) -> u64 {
        let mut counter = [0u8; 8];
        counter.copy_from_slice(&self.0[4..]);
        u64::from_le_bytes(counter)
    }
}

/// The sending half: encrypts in place and hands back the tag.
#[derive(Clone)]
pub struct SecureTx {
    cipher: Aes128Gcm,
    nonce: GcmNonce,
}

/// The receiving half: checks the tag, then decrypts in place.
#[derive(Clone)]
pub struct SecureRx {
    cipher: Aes128Gcm,
    nonce: GcmNonce,
}

// Never print keys; the counters are what a reader needs.
impl fmt::Debug for SecureTx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecureTx").field("counter", &self.nonce.counter()).finish_non_exhaustive()
    }
}

impl fmt::Debug for SecureRx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecureRx").field("counter", &self.nonce.counter()).finish_non_exhaustive()
    }
}

fn cipher(key: &[u8; KEY_LEN]) -> Aes128Gcm {
    Aes128Gcm::new(&Key::<Aes128Gcm>::from(*key))
}

impl SecureTx {
    pub fn new(key: &[u8; KEY_LEN], nonce: [u8; NONCE_LEN]) -> Self {
        SecureTx { cipher: cipher(key), nonce: GcmNonce(nonce) }
    }

    /// Encrypts `buf` in place under the next nonce and returns the tag.
    pub fn seal(&mut self, buf: &mut [u8]) -> [u8; TAG_LEN] {
        let nonce = Nonce::from(self.nonce.0);
        self.nonce.advance();
        // Only fails past 64 GiB per operation; frames are far smaller.
        let tag = self.cipher.encrypt_inout_detached(&nonce, &[], buf.into()).unwrap_or_default();
        tag.into()
    }
}

/// A GCM tag did not match: the bytes were altered, or the two ends
/// disagree on key or nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthTagMismatch;

impl SecureRx {
    pub fn new(key: &[u8; KEY_LEN], nonce: [u8; NONCE_LEN]) -> Self {
        SecureRx { cipher: cipher(key), nonce: GcmNonce(nonce) }
    }

    /// Checks `tag` over `buf` under the next nonce and, if it matches,
    /// decrypts `buf` in place. The nonce advances either way, as upstream's
    /// reset_rx_handler does; after a mismatch the stream is unusable.
    pub fn open(&mut self, buf: &mut [u8], tag: &[u8; TAG_LEN]) -> Result<(), AuthTagMismatch> {
        let nonce = Nonce::from(self.nonce.0);
        self.nonce.advance();
        self.cipher.decrypt_inout_detached(&nonce, &[], buf.into(), &Tag::from(*tag)).map_err(|_| AuthTagMismatch)
    }
}

/// Splits a connection secret the way a client uses it
/// (`rxtx_t::create_handler_pair` with `crossed` false, the kernel's
/// setup_crypto): key, then the receive nonce, then the send nonce. A
/// server takes the two nonces the other way round. `None` when the
/// secret is too short.
pub fn client_handlers(connection_secret: &[u8]) -> Option<(SecureRx, SecureTx)> {
    let key: &[u8; KEY_LEN] = connection_secret.get(..KEY_LEN)?.try_into().ok()?;
    let rx: [u8; NONCE_LEN] = connection_secret.get(KEY_LEN..KEY_LEN + NONCE_LEN)?.try_into().ok()?;
    let tx: [u8; NONCE_LEN] = connection_secret.get(KEY_LEN + NONCE_LEN..KEY_LEN + 2 * NONCE_LEN)?.try_into().ok()?;
    Some((SecureRx::new(key, rx), SecureTx::new(key, tx)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_is_the_le64_after_the_fixed_word() {
        let mut nonce = GcmNonce([1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        nonce.advance();
        assert_eq!(nonce.0, [1, 2, 3, 4, 0, 0, 0, 0, 1, 0, 0, 0]);
    }

    #[test]
    fn nist_gcm_test_case_3() {
        // McGrew & Viega's GCM spec, test case 3 (AES-128, 96-bit IV, no AAD).
        let key = [0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08];
        let iv = [0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88];
        let mut buf = [0u8; 64];
        let plain = concat!(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72",
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
        );
        hex_into(plain, &mut buf);
        let tag = SecureTx::new(&key, iv).seal(&mut buf);
        let mut want = [0u8; 64];
        hex_into(
            concat!(
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e",
                "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985"
            ),
            &mut want,
        );
        assert_eq!(buf, want);
        let mut want_tag = [0u8; 16];
        hex_into("4d5c2af327cd64a62cf35abd2ba6fab4", &mut want_tag);
        assert_eq!(tag, want_tag);
        SecureRx::new(&key, iv).open(&mut buf, &tag).unwrap();
        let mut plain_bytes = [0u8; 64];
        hex_into(plain, &mut plain_bytes);
        assert_eq!(buf, plain_bytes);
    }

    #[test]
    fn each_operation_takes_a_fresh_nonce() {
        let key = [7u8; 16];
        let mut tx = SecureTx::new(&key, [9; 12]);
        let mut rx = SecureRx::new(&key, [9; 12]);
        let (mut a, mut b) = ([5u8; 32], [5u8; 32]);
        let tag_a = tx.seal(&mut a);
        let tag_b = tx.seal(&mut b);
        assert_ne!(a, b);
        assert_eq!(rx.open(&mut a, &tag_a), Ok(()));
        let mut flipped = b;
        flipped[3] ^= 1;
        assert_eq!(rx.clone().open(&mut flipped, &tag_b), Err(AuthTagMismatch));
        assert_eq!(rx.open(&mut b, &tag_b), Ok(()));
        assert_eq!((a, b), ([5; 32], [5; 32]));
    }

    #[test]
    fn client_takes_rx_nonce_first() {
        let mut secret = [0u8; 64];
        secret.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
        let (mut rx, _) = client_handlers(&secret).unwrap();
        let key: [u8; 16] = secret[..16].try_into().unwrap();
        let rx_nonce: [u8; 12] = secret[16..28].try_into().unwrap();
        let mut buf = [1u8; 16];
        let tag = SecureTx::new(&key, rx_nonce).seal(&mut buf);
        assert_eq!(rx.open(&mut buf, &tag), Ok(()));
        assert!(client_handlers(&secret[..39]).is_none());
    }

    fn hex_into(hex: &str, out: &mut [u8]) {
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
    }
}
