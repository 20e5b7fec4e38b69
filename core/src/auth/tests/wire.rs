use super::{hex, KEY_RBD};
use crate::auth::protocol::{
    AuthCapsInfo, AuthTicket, Authenticate, Authorize, AuthorizeChallenge, AuthorizeReply, AuthorizerHeader,
    ChallengeBlob, RequestHeader, ResponseHeader, ServerChallenge, ServiceTicket, ServiceTicketInfo,
    ServiceTicketRequest, TicketBlob,
};
use crate::auth::{AuthClient, AuthMethod, AuthRequest, ConMode, CryptoKey, EntityName, EntityType};
use crate::encoding::{decode_exact, encode_to_vec, Decode, Encode, UtcTime};

fn round_trip<T: Encode + Decode + PartialEq + core::fmt::Debug>(value: T) {
    assert_eq!(decode_exact::<T>(&encode_to_vec(&value)), Ok(value));
}

#[test]
fn cephx_auth_request_bytes() {
    let key = CryptoKey::from_base64(KEY_RBD).unwrap();
    let mut client =
        AuthClient::cephx(EntityName::client("admin"), key, EntityType::MON.union(EntityType::OSD)).unwrap();
    let req = client.start(&[ConMode::SECURE, ConMode::CRC]);
    // MonConnection::get_auth_request: AUTH_MODE_MON, EntityName, global_id.
    assert_eq!(req.auth_payload, hex("0a080000000500000061646d696e0000000000000000"));
    // AUTH_REQUEST: method 2, modes [2, 1], then the payload as a bufferlist.
    let frame = encode_to_vec(&req);
    assert_eq!(frame[..16], hex("02000000020000000200000001000000"));
    assert_eq!(frame[16..20], 22u32.to_le_bytes());
    assert_eq!(decode_exact::<AuthRequest>(&frame), Ok(req));
}

#[test]
fn auth_none_bytes() {
    let mut client = AuthClient::none(EntityName::client("admin"));
    let req = client.start(&[ConMode::CRC]);
    assert_eq!(req.method, AuthMethod::NONE);
    assert_eq!(req.auth_payload, hex("0a080000000500000061646d696e0000000000000000"));
    let secrets = client.handle_done(4242, &[], UtcTime::new(10, 0)).unwrap();
    assert_eq!(secrets.session_key, None);
    assert_eq!(client.global_id(), 4242);
    assert!(!client.need_tickets(UtcTime::new(1 << 30, 0)));
    // AuthNoneAuthorizer: u8 1, EntityName, global_id; nothing to verify.
    let mut authorizer = client.build_authorizer(EntityType::OSD, 7).unwrap();
    assert_eq!(authorizer.method(), AuthMethod::NONE);
    assert_eq!(authorizer.payload(), hex("01080000000500000061646d696e9210000000000000"));
    assert_eq!(authorizer.handle_challenge(b"anything").unwrap(), hex("01080000000500000061646d696e9210000000000000"));
    assert_eq!(authorizer.verify_reply(b"anything").unwrap().session_key, None);
}

#[test]
fn entity_name_encoding() {
    assert_eq!(encode_to_vec(&EntityName::client("admin")), hex("080000000500000061646d696e"));
    round_trip(EntityName::new(EntityType::OSD, "0"));
}

#[test]
fn structures_round_trip() {
    let key = CryptoKey::from_base64(KEY_RBD).unwrap();
    let ticket = TicketBlob { secret_id: 3, blob: b"this is a blob".to_vec() };
    round_trip(ServerChallenge { server_challenge: 1 });
    round_trip(RequestHeader { request_type: 0x100 });
    round_trip(ResponseHeader { request_type: 0x200, status: -13 });
    round_trip(ticket.clone());
    round_trip(Authenticate { client_challenge: 1, key: 2, old_ticket: ticket.clone(), other_keys: 4 });
    round_trip(ChallengeBlob { server_challenge: 123, client_challenge: 456 });
    round_trip(ServiceTicketRequest { keys: 0x15 });
    round_trip(ServiceTicket { session_key: key.clone(), validity: UtcTime::new(123, 456) });
    let auth_ticket = AuthTicket {
        name: EntityName::client("admin"),
        global_id: 1234,
        created: UtcTime::new(123, 456),
        expires: UtcTime::new(124, 0),
        caps: AuthCapsInfo { allow_all: true, caps: b"allow *".to_vec() },
        flags: 0,
    };
    round_trip(auth_ticket.clone());
    round_trip(ServiceTicketInfo { ticket: auth_ticket, session_key: key });
    round_trip(Authorize { nonce: 1234, have_challenge: true, server_challenge_plus_one: 1235 });
    round_trip(AuthorizeChallenge { server_challenge: 1234 });
    round_trip(AuthorizeReply { nonce_plus_one: 123, connection_secret: b"secret".to_vec() });
    round_trip(AuthorizeReply { nonce_plus_one: 0, connection_secret: alloc::vec![] });
    round_trip(AuthorizerHeader { global_id: 9, service_id: 4, ticket });
}

#[test]
fn versioned_fields() {
    // CephXAuthenticate v1 has no other_keys; v3 writes them.
    let v1 = hex("010100000000000000020000000000000001030000000000000000000000");
    let old = decode_exact::<Authenticate>(&v1).unwrap();
    assert_eq!((old.client_challenge, old.key, old.other_keys), (1, 2, 0));
    assert_eq!(encode_to_vec(&old)[0], 3);
    // CephXAuthorize v1 is the nonce alone.
    assert_eq!(decode_exact::<Authorize>(&hex("010500000000000000")).unwrap().nonce, 5);
    // CephXAuthorizeReply is v1 without a connection secret, v2 with one.
    assert_eq!(encode_to_vec(&AuthorizeReply { nonce_plus_one: 1, connection_secret: alloc::vec![] })[0], 1);
    assert_eq!(encode_to_vec(&AuthorizeReply { nonce_plus_one: 1, connection_secret: alloc::vec![7] })[0], 2);
    // AuthTicket v1 predates the auid.
    let mut v1_ticket = alloc::vec![1];
    EntityName::client("a").encode(&mut v1_ticket);
    v1_ticket.extend_from_slice(&[7, 0, 0, 0, 0, 0, 0, 0]);
    v1_ticket.extend_from_slice(&[0; 16]);
    AuthCapsInfo::default().encode(&mut v1_ticket);
    v1_ticket.extend_from_slice(&[0; 4]);
    assert_eq!(decode_exact::<AuthTicket>(&v1_ticket).unwrap().global_id, 7);
}

#[test]
fn connection_secret_lengths() {
    assert_eq!(ConMode::CRC.connection_secret_len(), 0);
    assert_eq!(ConMode::SECURE.connection_secret_len(), 64);
}
