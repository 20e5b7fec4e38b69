//! CryptoKey and CryptoAES (src/auth/Crypto.cc) and the encrypted envelope
//! of src/auth/cephx/CephxProtocol.h.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use aes::{Aes128, Block};
use base64::Engine;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

use super::AuthError;
use crate::encoding::{Decode, DecodeError, Decoder, Encode, UtcTime};

/// `AUTH_ENC_MAGIC`: the first field inside every cephx envelope, so a
/// wrong key is detected instead of yielding garbage.
pub const AUTH_ENC_MAGIC: u64 = 0xff00_9cad_8826_aa55;

/// CEPH_AES_IV: Ceph encrypts every block with this fixed IV.
const AES_IV: [u8; 16] = *b"cephsageyudagreg";
const AES_KEY_LEN: usize = 16;
const AES_BLOCK_LEN: usize = 16;

/// A secret as Ceph stores it: `u16 type, utime_t created, u16 len,
/// secret` (CryptoKey::encode). Keyrings hold this encoding in base64.
#[derive(Clone, PartialEq, Eq)]
pub struct CryptoKey {
    key_type: u16,
    created: UtcTime,
    secret: Vec<u8>,
}

impl CryptoKey {
    /// CEPH_CRYPTO_NONE: "encryption" is the identity.
    pub const TYPE_NONE: u16 = 0;
    /// CEPH_CRYPTO_AES: AES-128-CBC, PKCS#7, fixed IV.
    pub const TYPE_AES: u16 = 1;

    /// A key with no secret, as a CryptoKey is before one is set. It cannot
    /// encrypt; it stands for "no session key".
    pub const fn empty() -> Self {
        CryptoKey { key_type: CryptoKey::TYPE_NONE, created: UtcTime::new(0, 0), secret: Vec::new() }
    }

    pub fn new_aes(secret: [u8; AES_KEY_LEN], created: UtcTime) -> Self {
        CryptoKey { key_type: CryptoKey::TYPE_AES, created, secret: secret.to_vec() }
    }

    /// CryptoKey::_set_secret's checks: an empty secret is allowed for any
    /// type; otherwise the type must be one Ceph has, and AES needs at
    /// least 16 bytes (it uses the first 16).
    pub fn from_parts(key_type: u16, created: UtcTime, secret: Vec<u8>) -> Result<Self, AuthError> {
        if !secret.is_empty() {
            match key_type {
                CryptoKey::TYPE_NONE => {}
                CryptoKey::TYPE_AES if secret.len() >= AES_KEY_LEN => {}
                CryptoKey::TYPE_AES => return Err(AuthError::BadKey("AES secret shorter than 16 bytes")),
                _ => return Err(AuthError::BadKey("unsupported key type")),
            }
        }
        Ok(CryptoKey { key_type, created, secret })
    }

    /// CryptoKey::decode_base64: base64 of the encoded key, as keyrings and
    /// `key=` hold it. Whitespace around or inside (line breaks) is skipped.
    pub fn from_base64(text: &str) -> Result<Self, AuthError> {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| AuthError::BadKey("not valid base64"))?;
        // Ceph reads a key from the front and ignores what follows.
        Decoder::new(&raw).decode::<CryptoKey>().map_err(|_| AuthError::BadKey("not an encoded CryptoKey"))
    }

    pub fn to_base64(&self) -> String {
        let mut raw = Vec::new();
        self.encode(&mut raw);
        base64::engine::general_purpose::STANDARD.encode(raw)
    }

    pub fn key_type(&self) -> u16 {
        self.key_type
    }

    pub fn created(&self) -> UtcTime {
        self.created
    }

    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// CryptoKey::empty(): no secret, so no cipher.
    pub fn is_empty(&self) -> bool {
        self.secret.is_empty()
    }

    fn aes(&self) -> Result<Option<&[u8; AES_KEY_LEN]>, AuthError> {
        if self.secret.is_empty() {
            // Ceph has no key handler then and fails the operation.
            return Err(AuthError::BadKey("empty secret"));
        }
        match self.key_type {
            CryptoKey::TYPE_AES => match self.secret.first_chunk::<AES_KEY_LEN>() {
                Some(key) => Ok(Some(key)),
                None => Err(AuthError::BadKey("AES secret shorter than 16 bytes")),
            },
            CryptoKey::TYPE_NONE => Ok(None),
            _ => Err(AuthError::BadKey("unsupported key type")),
        }
    }

    /// CryptoAESKeyHandler::encrypt: PKCS#7-pad (always at least one byte)
    /// and AES-128-CBC with the fixed IV.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, AuthError> {
        let Some(key) = self.aes()? else {
            return Ok(plaintext.to_vec());
        };
        let pad = AES_BLOCK_LEN - plaintext.len() % AES_BLOCK_LEN;
        let mut buf = Vec::with_capacity(plaintext.len() + pad);
        buf.extend_from_slice(plaintext);
        buf.resize(plaintext.len() + pad, pad as u8);
        let mut cbc = cbc::Encryptor::<Aes128>::new(key.into(), &AES_IV.into());
        for chunk in buf.chunks_exact_mut(AES_BLOCK_LEN) {
            let mut block = Block::default();
            block.copy_from_slice(chunk);
            cbc.encrypt_block(&mut block);
            chunk.copy_from_slice(&block);
        }
        Ok(buf)
    }

    /// CryptoAESKeyHandler::decrypt. Like Ceph it strips `min(last byte,
    /// 16)` bytes without checking the padding, so a wrong key is caught by
    /// the envelope's magic rather than by a padding oracle.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, AuthError> {
        let Some(key) = self.aes()? else {
            return Ok(ciphertext.to_vec());
        };
        if ciphertext.is_empty() || ciphertext.len() % AES_BLOCK_LEN != 0 {
            return Err(AuthError::BadEnvelope);
        }
        let mut buf = ciphertext.to_vec();
        let mut cbc = cbc::Decryptor::<Aes128>::new(key.into(), &AES_IV.into());
        for chunk in buf.chunks_exact_mut(AES_BLOCK_LEN) {
            let mut block = Block::default();
            block.copy_from_slice(chunk);
            cbc.decrypt_block(&mut block);
            chunk.copy_from_slice(&block);
        }
        let pad = buf.last().map_or(0, |&b| usize::from(b).min(AES_BLOCK_LEN));
        buf.truncate(buf.len() - pad);
        Ok(buf)
    }

    /// CryptoKeyHandler::hmac_sha256, keyed by the whole secret.
    pub fn hmac_sha256(&self, data: &[u8]) -> [u8; 32] {
        // HMAC takes a key of any length, so this cannot fail.
        let mut mac = match hmac::Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(mac) => mac,
            Err(_) => return [0; 32],
        };
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// encode_encrypt_enc_bl: `u8 1, u64 magic, value`, encrypted; no
    /// length prefix.
    pub fn encrypt_envelope<T: Encode + ?Sized>(&self, value: &T) -> Result<Vec<u8>, AuthError> {
        let mut plain = alloc::vec![1u8];
        AUTH_ENC_MAGIC.encode(&mut plain);
        value.encode(&mut plain);
        self.encrypt(&plain)
    }

    /// decode_decrypt_enc_bl: decrypts, checks the magic and decodes a `T`
    /// from the front. Like Ceph it ignores bytes after the value: the
    /// envelope has no version that would let it tell extensions apart.
    pub fn decrypt_envelope<T: Decode>(&self, ciphertext: &[u8]) -> Result<T, AuthError> {
        let plain = self.decrypt(ciphertext)?;
        let mut d = Decoder::new(&plain);
        let _struct_v = d.u8().map_err(|_| AuthError::BadEnvelope)?;
        if d.u64().map_err(|_| AuthError::BadEnvelope)? != AUTH_ENC_MAGIC {
            return Err(AuthError::BadEnvelope);
        }
        Ok(d.decode::<T>()?)
    }
}

/// encode_encrypt: the envelope as a bufferlist (`u32 len, ciphertext`).
pub fn encode_encrypt<T: Encode + ?Sized>(key: &CryptoKey, value: &T, out: &mut Vec<u8>) -> Result<(), AuthError> {
    let sealed = key.encrypt_envelope(value)?;
    sealed.as_slice().encode(out);
    Ok(())
}

/// decode_decrypt: reads a bufferlist and opens the envelope inside.
pub fn decode_decrypt<T: Decode>(key: &CryptoKey, d: &mut Decoder<'_>) -> Result<T, AuthError> {
    let sealed = d.bytes()?;
    key.decrypt_envelope(sealed)
}

// Never print a secret.
impl fmt::Debug for CryptoKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CryptoKey")
            .field("key_type", &self.key_type)
            .field("created", &self.created)
            .field("secret_len", &self.secret.len())
            .finish()
    }
}

impl Default for CryptoKey {
    fn default() -> Self {
        CryptoKey::empty()
    }
}

impl Encode for CryptoKey {
    fn encode(&self, out: &mut Vec<u8>) {
        self.key_type.encode(out);
        self.created.encode(out);
        // Secrets are 16 bytes; a u16 length is Ceph's own bound.
        (self.secret.len() as u16).encode(out);
        out.extend_from_slice(&self.secret);
    }
}

impl Decode for CryptoKey {
    const MIN_LEN: usize = 12;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let key_type = d.u16()?;
        let created = d.decode()?;
        let len = usize::from(d.u16()?);
        let secret = d.take(len)?.to_vec();
        CryptoKey::from_parts(key_type, created, secret).map_err(|_| DecodeError::Invalid("crypto key"))
    }
}
