use super::{hex, KEY_ADMIN, KEY_RBD, KEY_RBD_SECRET};
use crate::auth::protocol::calc_client_server_challenge;
use crate::auth::{auth_signature, decode_decrypt, encode_encrypt, AuthError, CryptoKey, AUTH_ENC_MAGIC};
use crate::encoding::{Decoder, UtcTime};
use crate::Errno;

fn key_0_to_15() -> CryptoKey {
    let mut secret = [0u8; 16];
    secret.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
    CryptoKey::new_aes(secret, UtcTime::default())
}

fn key_rbd() -> CryptoKey {
    CryptoKey::from_base64(KEY_RBD).expect("ceph-authtool wrote it")
}

#[test]
fn aes_cbc_known_answers() {
    let key = key_0_to_15();
    let range33: alloc::vec::Vec<u8> = (0..33).collect();
    let cases: [(&[u8], &str); 4] = [
        (b"", "7ee5cf4e557c533d502404fc3b64d7e9"),
        (b"hello cephx", "883048fe4bcd9dc07d67b017760a5e98"),
        // A whole block still gets a whole block of padding.
        (&range33[..16], "e8e4843967893ab60061a4f05a6158a39c71629db61aacf43e958b757fad38f2"),
        (&range33, "e8e4843967893ab60061a4f05a6158a33f03e064809480ecc69effd4e7d07581a3843aedf77906adacc40bc670b772b6"),
    ];
    for (plain, cipher) in cases {
        assert_eq!(key.encrypt(plain).unwrap(), hex(cipher), "{plain:?}");
        assert_eq!(key.decrypt(&hex(cipher)).unwrap(), plain);
    }
}

#[test]
fn decrypt_rejects_partial_blocks_and_tolerates_padding_like_ceph() {
    let key = key_0_to_15();
    assert_eq!(key.decrypt(&[]), Err(AuthError::BadEnvelope));
    assert_eq!(key.decrypt(&[0; 17]), Err(AuthError::BadEnvelope));
    // Ceph strips min(last byte, 16) without checking: a wrong key yields
    // bytes, not an error, and the envelope's magic is what catches it.
    let wrong = CryptoKey::new_aes([9; 16], UtcTime::default());
    assert!(wrong.decrypt(&key.encrypt(b"hello cephx").unwrap()).is_ok());
}

#[test]
fn encrypt_needs_a_secret() {
    assert_eq!(CryptoKey::empty().encrypt(b"x"), Err(AuthError::BadKey("empty secret")));
    let none = CryptoKey::from_parts(CryptoKey::TYPE_NONE, UtcTime::default(), alloc::vec![1]).unwrap();
    assert_eq!(none.encrypt(b"clear").unwrap(), b"clear");
}

#[test]
fn envelope_known_answers() {
    let key = key_rbd();
    let mut out = alloc::vec::Vec::new();
    encode_encrypt(&key, &42u64, &mut out).unwrap();
    // u32 length, then AES of {u8 1, u64 magic, u64 42} padded to 32 bytes.
    assert_eq!(out, hex("200000000bba7dcd2a8ebaf5754757073479cf36db273f1319b98ddc1721beb5851311be"));
    assert_eq!(decode_decrypt::<u64>(&key, &mut Decoder::new(&out)), Ok(42));

    // The connection secret's form: a string inside, no outer length.
    let sealed = key.encrypt_envelope(&b"secret".to_vec()).unwrap();
    assert_eq!(sealed, hex("1874d12d5f7641f374fcf99c04fc6751ac5f36f4611527bd17372ce5e3ae0bc0"));
    assert_eq!(key.decrypt_envelope::<alloc::vec::Vec<u8>>(&sealed).unwrap(), b"secret");

    let plain = key.decrypt(&sealed).unwrap();
    assert_eq!(plain[0], 1);
    assert_eq!(plain[1..9], AUTH_ENC_MAGIC.to_le_bytes());
}

#[test]
fn envelope_under_the_wrong_key_is_eperm() {
    let sealed = key_rbd().encrypt_envelope(&42u64).unwrap();
    let err = key_0_to_15().decrypt_envelope::<u64>(&sealed).unwrap_err();
    assert_eq!(err, AuthError::BadEnvelope);
    assert_eq!(err.errno(), Errno::EPERM);
}

#[test]
fn client_server_challenge_known_answers() {
    assert_eq!(
        calc_client_server_challenge(&key_rbd(), 0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210),
        Ok(0x0d66_10de_9c94_7383)
    );
    assert_eq!(calc_client_server_challenge(&key_0_to_15(), 1, 2), Ok(0x8fcf_259d_ac68_ed2c));
}

#[test]
fn hmac_and_auth_signature() {
    let sig = hex("c777efe6c07e0042067b9403bd1f3ab6213c9ba1a101ac8c46c39c28a2a1de19");
    assert_eq!(key_rbd().hmac_sha256(b"pre-auth bytes").to_vec(), sig);
    assert_eq!(auth_signature(Some(&key_rbd()), b"pre-auth bytes").to_vec(), sig);
    assert_eq!(auth_signature(None, b"pre-auth bytes"), [0; 32]);
    assert_eq!(auth_signature(Some(&CryptoKey::empty()), b"x"), [0; 32]);
}

#[test]
fn keys_from_ceph_authtool() {
    let rbd = key_rbd();
    assert_eq!(rbd.key_type(), CryptoKey::TYPE_AES);
    assert_eq!(rbd.created(), UtcTime::new(0x66ea_ef5f, 0));
    assert_eq!(rbd.secret(), KEY_RBD_SECRET);
    assert_eq!(rbd.to_base64(), KEY_RBD);

    let admin = CryptoKey::from_base64(KEY_ADMIN).unwrap();
    assert_eq!(admin.created(), UtcTime::new(0x6b01_0dd5, 0x0a5d_85e5));
    assert_eq!(admin.secret(), hex("6c53f3ded353db592c9ac08fb0585d02"));
    assert_eq!(admin.to_base64(), KEY_ADMIN);
    // Line breaks and blanks are skipped.
    assert_eq!(CryptoKey::from_base64(" AQDVDQFr5YVdChAAbFPz\n3tNT21ksmsCPsFhdAg==\n").unwrap(), admin);
}

#[test]
fn bad_keys_are_einval() {
    let short_aes = {
        let mut raw = alloc::vec![1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0];
        raw.extend_from_slice(&[7; 8]);
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw)
    };
    let unknown_type = {
        let mut raw = alloc::vec![9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0];
        raw.extend_from_slice(&[7; 16]);
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw)
    };
    // ceph-authtool: "can't decode key 'AQBf7+pm'".
    for bad in ["AQBf7+pm", "not base64!", "", short_aes.as_str(), unknown_type.as_str()] {
        let err = CryptoKey::from_base64(bad).unwrap_err();
        assert_eq!(err.errno(), Errno::EINVAL, "{bad}");
    }
}

#[test]
fn debug_never_prints_the_secret() {
    let text = alloc::format!("{:?}", key_rbd());
    assert!(!text.contains("secret:") && text.contains("secret_len: 16"), "{text}");
}
