//! cephx wire structures (src/auth/cephx/CephxProtocol.h, src/auth/Auth.h).
//!
//! Most carry a leading `u8 struct_v` that Ceph writes but seldom reads;
//! decoders here read it only where a field depends on it, as Ceph does.

use alloc::vec::Vec;

use super::{CryptoKey, EntityName};
use crate::encoding::{Decode, DecodeError, Decoder, Encode, UtcTime};

/// CEPHX_GET_AUTH_SESSION_KEY: prove the secret, get the AUTH ticket.
pub const CEPHX_GET_AUTH_SESSION_KEY: u16 = 0x0100;
/// CEPHX_GET_PRINCIPAL_SESSION_KEY: trade the AUTH ticket for service tickets.
pub const CEPHX_GET_PRINCIPAL_SESSION_KEY: u16 = 0x0200;
/// CEPHX_GET_ROTATING_KEY: daemons only; a client never sends it.
pub const CEPHX_GET_ROTATING_KEY: u16 = 0x0400;

/// The monitor's opening nonce.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerChallenge {
    pub server_challenge: u64,
}

impl Encode for ServerChallenge {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
        self.server_challenge.encode(out);
    }
}

impl Decode for ServerChallenge {
    const MIN_LEN: usize = 9;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let _struct_v = d.u8()?;
        Ok(ServerChallenge { server_challenge: d.u64()? })
    }
}

/// CephXRequestHeader: which request follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestHeader {
    pub request_type: u16,
}

impl Encode for RequestHeader {
    fn encode(&self, out: &mut Vec<u8>) {
        self.request_type.encode(out);
    }
}

impl Decode for RequestHeader {
    const MIN_LEN: usize = 2;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(RequestHeader { request_type: d.u16()? })
    }
}

/// CephXResponseHeader. Clients ignore `status`; the message result says
/// whether the request failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResponseHeader {
    pub request_type: u16,
    pub status: i32,
}

impl Encode for ResponseHeader {
    fn encode(&self, out: &mut Vec<u8>) {
        self.request_type.encode(out);
        self.status.encode(out);
    }
}

impl Decode for ResponseHeader {
    const MIN_LEN: usize = 6;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(ResponseHeader { request_type: d.u16()?, status: d.i32()? })
    }
}

/// CephXTicketBlob: a ticket sealed with a service secret the client never
/// sees; `secret_id` names which of the service's rotating secrets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketBlob {
    pub secret_id: u64,
    pub blob: Vec<u8>,
}

impl Encode for TicketBlob {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
        self.secret_id.encode(out);
        self.blob.as_slice().encode(out);
    }
}

impl Decode for TicketBlob {
    const MIN_LEN: usize = 13;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let _struct_v = d.u8()?;
        Ok(TicketBlob { secret_id: d.u64()?, blob: d.bytes()?.to_vec() })
    }
}

/// CephXAuthenticate, sent as v3: the client's answer to the challenge.
/// `key` proves the secret; `old_ticket` lets the monitor keep the
/// client's global_id; `other_keys` asks for service tickets at once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Authenticate {
    pub client_challenge: u64,
    pub key: u64,
    pub old_ticket: TicketBlob,
    pub other_keys: u32,
}

impl Encode for Authenticate {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(3);
        self.client_challenge.encode(out);
        self.key.encode(out);
        self.old_ticket.encode(out);
        self.other_keys.encode(out);
    }
}

impl Decode for Authenticate {
    const MIN_LEN: usize = 30;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let struct_v = d.u8()?;
        let client_challenge = d.u64()?;
        let key = d.u64()?;
        let old_ticket = d.decode()?;
        let other_keys = if struct_v >= 2 { d.u32()? } else { 0 };
        Ok(Authenticate { client_challenge, key, old_ticket, other_keys })
    }
}

/// CephXChallengeBlob: what both sides encrypt to derive the proof key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChallengeBlob {
    pub server_challenge: u64,
    pub client_challenge: u64,
}

impl Encode for ChallengeBlob {
    fn encode(&self, out: &mut Vec<u8>) {
        self.server_challenge.encode(out);
        self.client_challenge.encode(out);
    }
}

impl Decode for ChallengeBlob {
    const MIN_LEN: usize = 16;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(ChallengeBlob { server_challenge: d.u64()?, client_challenge: d.u64()? })
    }
}

/// CephXServiceTicketRequest: the services wanted, as entity-type bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceTicketRequest {
    pub keys: u32,
}

impl Encode for ServiceTicketRequest {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
        self.keys.encode(out);
    }
}

impl Decode for ServiceTicketRequest {
    const MIN_LEN: usize = 5;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let _struct_v = d.u8()?;
        Ok(ServiceTicketRequest { keys: d.u32()? })
    }
}

/// CephXServiceTicket ("A"): the session key for a service and how long
/// the ticket lasts, sealed for the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceTicket {
    pub session_key: CryptoKey,
    pub validity: UtcTime,
}

impl Encode for ServiceTicket {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
        self.session_key.encode(out);
        self.validity.encode(out);
    }
}

impl Decode for ServiceTicket {
    const MIN_LEN: usize = 21;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let _struct_v = d.u8()?;
        Ok(ServiceTicket { session_key: d.decode()?, validity: d.decode()? })
    }
}

/// AuthCapsInfo: the caps a ticket grants, as the service will read them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthCapsInfo {
    pub allow_all: bool,
    pub caps: Vec<u8>,
}

impl Encode for AuthCapsInfo {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
        self.allow_all.encode(out);
        self.caps.as_slice().encode(out);
    }
}

impl Decode for AuthCapsInfo {
    const MIN_LEN: usize = 6;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let _struct_v = d.u8()?;
        Ok(AuthCapsInfo { allow_all: d.bool()?, caps: d.bytes()?.to_vec() })
    }
}

/// AuthTicket: who the ticket is for and when it lapses. Only services
/// read it; the client carries it sealed inside a [`TicketBlob`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthTicket {
    pub name: EntityName,
    pub global_id: u64,
    pub created: UtcTime,
    pub expires: UtcTime,
    pub caps: AuthCapsInfo,
    pub flags: u32,
}

/// CEPH_AUTH_UID_DEFAULT, written where auid used to be.
const AUTH_UID_DEFAULT: u64 = u64::MAX;

impl Encode for AuthTicket {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(2);
        self.name.encode(out);
        self.global_id.encode(out);
        AUTH_UID_DEFAULT.encode(out);
        self.created.encode(out);
        self.expires.encode(out);
        self.caps.encode(out);
        self.flags.encode(out);
    }
}

impl Decode for AuthTicket {
    const MIN_LEN: usize = 43;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let struct_v = d.u8()?;
        let name = d.decode()?;
        let global_id = d.u64()?;
        if struct_v >= 2 {
            let _old_auid = d.u64()?;
        }
        Ok(AuthTicket {
            name,
            global_id,
            created: d.decode()?,
            expires: d.decode()?,
            caps: d.decode()?,
            flags: d.u32()?,
        })
    }
}

/// CephXServiceTicketInfo ("B"): what a ticket blob seals for the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceTicketInfo {
    pub ticket: AuthTicket,
    pub session_key: CryptoKey,
}

impl Encode for ServiceTicketInfo {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
        self.ticket.encode(out);
        self.session_key.encode(out);
    }
}

impl Decode for ServiceTicketInfo {
    const MIN_LEN: usize = 56;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let _struct_v = d.u8()?;
        Ok(ServiceTicketInfo { ticket: d.decode()?, session_key: d.decode()? })
    }
}

/// CephXAuthorize, sent as v2: the nonce the service must answer, and the
/// answer to the service's challenge when there was one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Authorize {
    pub nonce: u64,
    pub have_challenge: bool,
    pub server_challenge_plus_one: u64,
}

impl Encode for Authorize {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(2);
        self.nonce.encode(out);
        self.have_challenge.encode(out);
        self.server_challenge_plus_one.encode(out);
    }
}

impl Decode for Authorize {
    const MIN_LEN: usize = 9;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let struct_v = d.u8()?;
        let nonce = d.u64()?;
        if struct_v < 2 {
            return Ok(Authorize { nonce, ..Authorize::default() });
        }
        Ok(Authorize { nonce, have_challenge: d.bool()?, server_challenge_plus_one: d.u64()? })
    }
}

/// CephXAuthorizeChallenge: a service's nonce, sent before it accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuthorizeChallenge {
    pub server_challenge: u64,
}

impl Encode for AuthorizeChallenge {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
        self.server_challenge.encode(out);
    }
}

impl Decode for AuthorizeChallenge {
    const MIN_LEN: usize = 9;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let _struct_v = d.u8()?;
        Ok(AuthorizeChallenge { server_challenge: d.u64()? })
    }
}

/// CephXAuthorizeReply: proof the service could open the ticket; v2 adds
/// the msgr2 connection secret.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizeReply {
    pub nonce_plus_one: u64,
    pub connection_secret: Vec<u8>,
}

impl Encode for AuthorizeReply {
    fn encode(&self, out: &mut Vec<u8>) {
        let v2 = !self.connection_secret.is_empty();
        out.push(if v2 { 2 } else { 1 });
        self.nonce_plus_one.encode(out);
        if v2 {
            self.connection_secret.as_slice().encode(out);
        }
    }
}

impl Decode for AuthorizeReply {
    const MIN_LEN: usize = 9;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let struct_v = d.u8()?;
        let nonce_plus_one = d.u64()?;
        let connection_secret = if struct_v >= 2 { d.bytes()?.to_vec() } else { Vec::new() };
        Ok(AuthorizeReply { nonce_plus_one, connection_secret })
    }
}

/// The clear part of a cephx authorizer (CephXTicketHandler::
/// build_authorizer): `u8 1, u64 global_id, u32 service_id, ticket`; the
/// sealed [`Authorize`] follows. The leading 1 doubles as
/// AUTH_MODE_AUTHORIZER.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizerHeader {
    pub global_id: u64,
    pub service_id: u32,
    pub ticket: TicketBlob,
}

impl Encode for AuthorizerHeader {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
        self.global_id.encode(out);
        self.service_id.encode(out);
        self.ticket.encode(out);
    }
}

impl Decode for AuthorizerHeader {
    const MIN_LEN: usize = 26;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let _authorizer_v = d.u8()?;
        Ok(AuthorizerHeader { global_id: d.u64()?, service_id: d.u32()?, ticket: d.decode()? })
    }
}

/// cephx_calc_client_server_challenge: encrypt both challenges with the
/// secret and fold the result, bufferlist length prefix included, into one
/// u64 by XOR of its whole little-endian words.
pub fn calc_client_server_challenge(
    secret: &CryptoKey,
    server_challenge: u64,
    client_challenge: u64,
) -> Result<u64, super::AuthError> {
    let mut sealed = Vec::new();
    super::encode_encrypt(secret, &ChallengeBlob { server_challenge, client_challenge }, &mut sealed)?;
    Ok(sealed
        .chunks_exact(8)
        .map(|w| u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]))
        .fold(0, |k, w| k ^ w))
}

/// One ticket in a ticket reply, before sealing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketGrant {
    pub service: u32,
    pub session_key: CryptoKey,
    pub validity: UtcTime,
    pub ticket: TicketBlob,
}

/// cephx_build_service_ticket_reply, the monitor's half of what
/// [`super::AuthClient`] verifies: each grant's session key and validity
/// sealed with `principal_secret`, its ticket blob in the clear or sealed
/// with `ticket_key` (the old AUTH session key, on renewal). For test
/// servers and fuzzing.
pub fn encode_service_ticket_reply(
    principal_secret: &CryptoKey,
    grants: &[TicketGrant],
    ticket_key: Option<&CryptoKey>,
    out: &mut Vec<u8>,
) -> Result<(), super::AuthError> {
    out.push(1);
    (grants.len() as u32).encode(out);
    for grant in grants {
        grant.service.encode(out);
        out.push(1);
        let msg_a = ServiceTicket { session_key: grant.session_key.clone(), validity: grant.validity };
        super::encode_encrypt(principal_secret, &msg_a, out)?;
        let mut blob = Vec::new();
        grant.ticket.encode(&mut blob);
        match ticket_key {
            Some(key) => {
                out.push(1);
                super::encode_encrypt(key, &blob, out)?;
            }
            None => {
                out.push(0);
                blob.as_slice().encode(out);
            }
        }
    }
    Ok(())
}
