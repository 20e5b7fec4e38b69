//! Fuzzes cephx: arbitrary bytes go to every wire decoder, to key and
//! keyring parsing, to the cipher, and as each message the client takes in
//! at each step of a handshake made valid up to that step. The bytes are
//! also sealed with the right key, so what lies behind an envelope is
//! reached too, and spliced into a valid reply.

use alloc::vec::Vec;

use crate::auth::protocol::{
    encode_service_ticket_reply, AuthCapsInfo, AuthTicket, Authenticate, Authorize, AuthorizeChallenge, AuthorizeReply,
    AuthorizerHeader, ChallengeBlob, RequestHeader, ResponseHeader, ServerChallenge, ServiceTicket, ServiceTicketInfo,
    ServiceTicketRequest, TicketBlob, TicketGrant, CEPHX_GET_AUTH_SESSION_KEY, CEPHX_GET_PRINCIPAL_SESSION_KEY,
};
use crate::auth::{
    encode_encrypt, AuthClient, AuthRequest, Authorizer, ConMode, CryptoKey, EntityName, EntityType, Keyring,
};
use crate::encoding::{decode_exact, encode_to_vec, Decode, Decoder, Encode, UtcTime};

const NOW: UtcTime = UtcTime::new(1_000_000, 0);
const WANT: EntityType = EntityType(EntityType::MON.0 | EntityType::OSD.0 | EntityType::MGR.0);

fn secret() -> CryptoKey {
    CryptoKey::new_aes(*b"client secret 16", UtcTime::new(1, 2))
}

fn session_key(service: u32) -> CryptoKey {
    let mut k = *b"session key 0000";
    k[15] = service as u8;
    CryptoKey::new_aes(k, UtcTime::new(3, 4))
}

/// Bytes put in an envelope as they are, with no length of their own.
struct Raw<'a>(&'a [u8]);

impl Encode for Raw<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0);
    }
}

fn grant(service: u32, validity: u32) -> TicketGrant {
    TicketGrant {
        service,
        session_key: session_key(service),
        validity: UtcTime::new(validity, 0),
        ticket: TicketBlob { secret_id: 1, blob: b"sealed for the service".to_vec() },
    }
}

/// A monitor's GET_AUTH_SESSION_KEY reply to the client below, with the
/// msgr2 connection secret and every wanted ticket.
fn session_key_reply() -> Vec<u8> {
    let mut out = encode_to_vec(&ResponseHeader { request_type: CEPHX_GET_AUTH_SESSION_KEY, status: 0 });
    let auth = EntityType::AUTH.0;
    let sealed = encode_service_ticket_reply(&secret(), &[grant(auth, 600)], None, &mut out);
    let mut cbl = Vec::new();
    let sealed_secret = encode_encrypt(&session_key(auth), &alloc::vec![7u8; 64], &mut cbl);
    cbl.as_slice().encode(&mut out);
    let extras: Vec<TicketGrant> = [auth, 1, 4, 0x10].iter().map(|&s| grant(s, 600)).collect();
    let mut extra = Vec::new();
    let sealed_extra = encode_service_ticket_reply(&session_key(auth), &extras, None, &mut extra);
    extra.as_slice().encode(&mut out);
    debug_assert!(sealed.is_ok() && sealed_secret.is_ok() && sealed_extra.is_ok());
    out
}

/// A GET_PRINCIPAL_SESSION_KEY reply granting an MDS ticket.
fn principal_reply() -> Vec<u8> {
    let mut out = encode_to_vec(&ResponseHeader { request_type: CEPHX_GET_PRINCIPAL_SESSION_KEY, status: 0 });
    let sealed = encode_service_ticket_reply(&session_key(EntityType::AUTH.0), &[grant(2, 600)], None, &mut out);
    debug_assert!(sealed.is_ok());
    out
}

fn challenge() -> Vec<u8> {
    encode_to_vec(&ServerChallenge { server_challenge: 0x1234 })
}

/// A client that has sent GET_AUTH_SESSION_KEY.
fn client_awaiting_session_key() -> Option<AuthClient> {
    let mut client = AuthClient::cephx(EntityName::client("fuzz"), secret(), WANT).ok()?;
    client.start(&[ConMode::SECURE]);
    client.handle_reply_more(&challenge(), 5, NOW).ok()?;
    Some(client)
}

/// A client with every ticket, that has just sent a renewal of `kind`.
fn client_awaiting_renewal(principal: bool) -> Option<AuthClient> {
    let mut client = client_awaiting_session_key()?;
    client.handle_done(77, &session_key_reply(), NOW).ok()?;
    if principal {
        client.set_want_keys(WANT.union(EntityType::MDS));
        client.renewal_request(NOW, 9).ok()?
    } else {
        client.renewal_request(UtcTime::new(NOW.sec + 450, 0), 9).ok()?
    }?;
    Some(client)
}

fn authorizer() -> Option<Authorizer> {
    let mut client = client_awaiting_session_key()?;
    client.handle_done(77, &session_key_reply(), NOW).ok()?;
    client.build_authorizer(EntityType::OSD, 0xabc).ok()
}

/// A prefix that decodes must survive a round trip.
fn check<T: Decode + Encode + PartialEq + core::fmt::Debug>(data: &[u8]) {
    if let Ok(value) = Decoder::new(data).decode::<T>() {
        assert_eq!(decode_exact::<T>(&encode_to_vec(&value)).as_ref(), Ok(&value));
    }
}

fn decoders(data: &[u8]) {
    check::<ServerChallenge>(data);
    check::<RequestHeader>(data);
    check::<ResponseHeader>(data);
    check::<TicketBlob>(data);
    check::<Authenticate>(data);
    check::<ChallengeBlob>(data);
    check::<ServiceTicketRequest>(data);
    check::<ServiceTicket>(data);
    check::<AuthCapsInfo>(data);
    check::<AuthTicket>(data);
    check::<ServiceTicketInfo>(data);
    check::<Authorize>(data);
    check::<AuthorizeChallenge>(data);
    check::<AuthorizeReply>(data);
    check::<AuthorizerHeader>(data);
    check::<AuthRequest>(data);
    check::<EntityName>(data);
    check::<CryptoKey>(data);
}

fn text(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = CryptoKey::from_base64(text) {
        assert_eq!(CryptoKey::from_base64(&key.to_base64()), Ok(key));
    }
    if let Ok(keyring) = Keyring::parse(text) {
        for (name, key) in keyring.iter() {
            assert!(EntityName::parse(&alloc::format!("{name}")).is_some());
            assert_eq!(CryptoKey::from_base64(&key.to_base64()).as_ref(), Ok(key));
        }
    }
    if let Some(name) = EntityName::parse(text) {
        assert_eq!(alloc::format!("{name}"), text);
    }
}

fn crypto(data: &[u8]) {
    let key = secret();
    let sealed = key.encrypt(data).expect("an AES key encrypts anything");
    assert_eq!(sealed.len() % 16, 0);
    assert_eq!(key.decrypt(&sealed).as_deref(), Ok(data));
    let _ = key.decrypt(data);
    let _ = key.decrypt_envelope::<u64>(data);
    let _ = crate::auth::decode_decrypt::<Vec<u8>>(&key, &mut Decoder::new(data));
    let opened = key.decrypt_envelope::<Vec<u8>>(&key.encrypt_envelope(data).expect("AES"));
    assert_eq!(opened.as_deref(), Ok(data));
}

/// The bytes as each message the client can receive.
fn client(data: &[u8]) {
    if let Ok(mut fresh) = AuthClient::cephx(EntityName::client("fuzz"), secret(), WANT) {
        fresh.start(&[ConMode::CRC]);
        if fresh.handle_reply_more(data, 1, NOW).is_ok() {
            assert!(decode_exact::<ServerChallenge>(data).is_ok());
        }
    }
    if let Some(mut c) = client_awaiting_session_key() {
        if let Ok(secrets) = c.handle_done(77, data, NOW) {
            assert!(secrets.session_key.is_some());
        }
    }
    if let Some(mut c) = client_awaiting_session_key() {
        let _ = c.handle_reply_more(data, 2, NOW);
    }
    for principal in [false, true] {
        if let Some(mut c) = client_awaiting_renewal(principal) {
            let _ = c.handle_auth_reply(0, 77, data, NOW, 3);
            let _ = c.renewal_request(UtcTime::new(NOW.sec + 10_000, 0), 4);
            let _ = c.build_authorizer(EntityType::OSD, 5);
        }
    }
    // The bytes in place of the sealed pieces of a reply.
    let mut reply = encode_to_vec(&ResponseHeader { request_type: CEPHX_GET_AUTH_SESSION_KEY, status: 0 });
    reply.push(1);
    1u32.encode(&mut reply);
    EntityType::AUTH.0.encode(&mut reply);
    reply.push(1);
    if encode_encrypt(&secret(), &Raw(data), &mut reply).is_ok() {
        reply.extend_from_slice(data);
        if let Some(mut c) = client_awaiting_session_key() {
            let _ = c.handle_done(77, &reply, NOW);
        }
    }
    // The bytes spliced into a valid reply: XORed in at a chosen offset.
    let mut valid = session_key_reply();
    if let Some((&at, rest)) = data.split_first() {
        let start = usize::from(at) * valid.len() / 256;
        valid.iter_mut().skip(start).zip(rest).for_each(|(b, x)| *b ^= x);
        if let Some(mut c) = client_awaiting_session_key() {
            let _ = c.handle_done(77, &valid, NOW);
        }
    }
}

fn authorizers(data: &[u8]) {
    let Some(base) = authorizer() else {
        return;
    };
    let key = session_key(EntityType::OSD.0);
    let mut a = base.clone();
    let _ = a.handle_challenge(data);
    let _ = a.verify_reply(data);
    // Sealed with the session key, the bytes reach the decoders inside.
    if let Ok(sealed) = key.encrypt_envelope(&Raw(data)) {
        let mut a = base.clone();
        if a.handle_challenge(&sealed).is_ok() {
            assert!(a.payload().starts_with(&base.payload()[..26]));
        }
        let mut reply = Vec::new();
        sealed.as_slice().encode(&mut reply);
        if let Ok(secrets) = base.verify_reply(&reply) {
            assert_eq!(secrets.session_key.as_ref(), Some(&key));
        }
    }
}

pub fn run(data: &[u8]) {
    decoders(data);
    text(data);
    crypto(data);
    client(data);
    authorizers(data);
}

/// Seeds: every structure's encoding and each valid message.
pub fn seeds() -> Vec<Vec<u8>> {
    let ticket = TicketBlob { secret_id: 1, blob: b"blob".to_vec() };
    let auth_ticket = AuthTicket {
        name: EntityName::client("fuzz"),
        global_id: 77,
        created: NOW,
        expires: NOW,
        caps: AuthCapsInfo { allow_all: true, caps: b"allow *".to_vec() },
        flags: 0,
    };
    let osd_key = session_key(EntityType::OSD.0);
    let mut reply = Vec::new();
    let body = AuthorizeReply { nonce_plus_one: 0xabd, connection_secret: alloc::vec![1; 64] };
    let _ = encode_encrypt(&osd_key, &body, &mut reply);
    alloc::vec![
        challenge(),
        session_key_reply(),
        principal_reply(),
        reply,
        osd_key.encrypt_envelope(&AuthorizeChallenge { server_challenge: 3 }).unwrap_or_default(),
        encode_to_vec(&Authenticate { client_challenge: 1, key: 2, old_ticket: ticket.clone(), other_keys: 0x35 }),
        encode_to_vec(&ServiceTicketInfo { ticket: auth_ticket, session_key: osd_key }),
        encode_to_vec(&AuthorizerHeader { global_id: 77, service_id: 4, ticket }),
        encode_to_vec(&Authorize { nonce: 1, have_challenge: true, server_challenge_plus_one: 4 }),
        encode_to_vec(&AuthRequest {
            method: crate::auth::AuthMethod::CEPHX,
            preferred_modes: alloc::vec![ConMode::SECURE],
            auth_payload: alloc::vec![10]
        }),
        secret().to_base64().into_bytes(),
        alloc::format!("[client.fuzz]\n\tkey = {}\n\tcaps mon = \"allow *\"\n", secret().to_base64()).into_bytes(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_reach_the_end() {
        // The valid messages are accepted, so the harness's states are real.
        let mut c = client_awaiting_session_key().expect("handshake");
        assert_eq!(c.handle_done(77, &session_key_reply(), NOW).map(|s| s.connection_secret), Ok(alloc::vec![7; 64]));
        let mut c = client_awaiting_renewal(true).expect("renewal");
        assert_eq!(c.handle_auth_reply(0, 77, &principal_reply(), NOW, 1), Ok(None));
        assert!(c.have_ticket(EntityType::MDS, NOW));
        assert!(client_awaiting_renewal(false).is_some());
        let a = authorizer().expect("authorizer");
        assert_eq!(a.verify_reply(&seeds()[3]).map(|s| s.connection_secret.len()), Ok(64));
    }

    #[test]
    fn seed_corpus() {
        for seed in seeds() {
            run(&seed);
            for cut in 0..seed.len() {
                run(&seed[..cut]);
            }
        }
    }

    #[test]
    fn random_inputs() {
        super::super::run_seeded(0x5eed_cefe, 3000, 160, run);
    }
}
