//! The authorizer a client presents to a service (CephXAuthorizer in
//! src/auth/cephx/CephxProtocol.cc, AuthNoneAuthorizer in
//! src/auth/none/AuthNoneProtocol.h), as MonClient drives it over msgr2:
//!
//! ```text
//! payload()                 -> AUTH_REQUEST       ticket + {nonce}
//! AUTH_REPLY_MORE           -> handle_challenge   {challenge}
//!                           -> AUTH_REQUEST_MORE  ticket + {nonce, challenge + 1}
//! AUTH_DONE                 -> verify_reply       {nonce + 1, connection secret}
//! ```

use alloc::vec::Vec;

use super::protocol::{Authorize, AuthorizeChallenge, AuthorizeReply, AuthorizerHeader, TicketBlob};
use super::{
    encode_encrypt, AuthError, AuthMethod, AuthRequest, ConMode, CryptoKey, EntityName, SessionSecrets,
    AUTH_MODE_AUTHORIZER,
};
use crate::encoding::{Decoder, Encode};

#[derive(Clone)]
enum Kind {
    None,
    Cephx {
        session_key: CryptoKey,
        nonce: u64,
        /// The clear part; the sealed CephXAuthorize is rebuilt after it.
        base_len: usize,
        secret_id: u64,
    },
}

/// What a client presents to a service to prove it holds a ticket.
#[derive(Clone)]
pub struct Authorizer {
    kind: Kind,
    service: u32,
    payload: Vec<u8>,
}

impl core::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Authorizer")
            .field("method", &self.method())
            .field("service", &self.service)
            .field("len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

impl Authorizer {
    /// AuthNoneAuthorizer: `u8 1, EntityName, u64 global_id`; services
    /// accept it as it is and send nothing to verify.
    pub fn none(name: &EntityName, global_id: u64) -> Self {
        let mut payload = alloc::vec![AUTH_MODE_AUTHORIZER];
        name.encode(&mut payload);
        global_id.encode(&mut payload);
        Authorizer { kind: Kind::None, service: 0, payload }
    }

    /// CephXTicketHandler::build_authorizer, with the nonce supplied.
    pub(crate) fn cephx(
        service: u32,
        global_id: u64,
        ticket: &TicketBlob,
        session_key: &CryptoKey,
        nonce: u64,
    ) -> Result<Self, AuthError> {
        let mut payload = Vec::new();
        AuthorizerHeader { global_id, service_id: service, ticket: ticket.clone() }.encode(&mut payload);
        let base_len = payload.len();
        encode_encrypt(session_key, &Authorize { nonce, ..Authorize::default() }, &mut payload)?;
        let kind = Kind::Cephx { session_key: session_key.clone(), nonce, base_len, secret_id: ticket.secret_id };
        Ok(Authorizer { kind, service, payload })
    }

    pub fn method(&self) -> AuthMethod {
        match self.kind {
            Kind::None => AuthMethod::NONE,
            Kind::Cephx { .. } => AuthMethod::CEPHX,
        }
    }

    /// The bytes to send: AUTH_REQUEST's auth payload at first,
    /// AUTH_REQUEST_MORE's after a challenge.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The whole AUTH_REQUEST for a service connection.
    pub fn auth_request(&self, preferred_modes: &[ConMode]) -> AuthRequest {
        AuthRequest {
            method: self.method(),
            preferred_modes: preferred_modes.to_vec(),
            auth_payload: self.payload.clone(),
        }
    }

    /// The ticket's rotating-secret id; a newer ticket for the service
    /// means the authorizer should be rebuilt (ceph_x_update_authorizer).
    pub fn secret_id(&self) -> Option<u64> {
        match self.kind {
            Kind::None => None,
            Kind::Cephx { secret_id, .. } => Some(secret_id),
        }
    }

    /// The key the connection's AUTH_SIGNATURE uses.
    pub fn session_key(&self) -> Option<&CryptoKey> {
        match &self.kind {
            Kind::None => None,
            Kind::Cephx { session_key, .. } => Some(session_key),
        }
    }

    /// CephXAuthorizer::add_challenge: AUTH_REPLY_MORE carries the
    /// service's CephXAuthorizeChallenge, sealed without a length prefix.
    /// Returns the AUTH_REQUEST_MORE payload answering it.
    pub fn handle_challenge(&mut self, challenge: &[u8]) -> Result<&[u8], AuthError> {
        let Kind::Cephx { session_key, nonce, base_len, .. } = &self.kind else {
            return Ok(&self.payload);
        };
        let mut msg = Authorize { nonce: *nonce, ..Authorize::default() };
        if !challenge.is_empty() {
            let ch: AuthorizeChallenge = session_key
                .decrypt_envelope(challenge)
                .map_err(|_| AuthError::Authorizer("challenge did not decrypt"))?;
            msg.have_challenge = true;
            msg.server_challenge_plus_one = ch.server_challenge.wrapping_add(1);
        }
        let mut payload = self.payload[..*base_len].to_vec();
        encode_encrypt(session_key, &msg, &mut payload)?;
        self.payload = payload;
        Ok(&self.payload)
    }

    /// CephXAuthorizer::verify_reply on AUTH_DONE's payload: the service
    /// must return our nonce plus one, sealed with the session key. For
    /// msgr2 it also carries the connection secret.
    pub fn verify_reply(&self, reply: &[u8]) -> Result<SessionSecrets, AuthError> {
        let Kind::Cephx { session_key, nonce, .. } = &self.kind else {
            return Ok(SessionSecrets::default());
        };
        let mut d = Decoder::new(reply);
        let sealed = d.bytes().map_err(|_| AuthError::Authorizer("reply truncated"))?;
        d.finish().map_err(|_| AuthError::Authorizer("bytes after the reply"))?;
        let reply: AuthorizeReply =
            session_key.decrypt_envelope(sealed).map_err(|_| AuthError::Authorizer("reply did not decrypt"))?;
        if reply.nonce_plus_one != nonce.wrapping_add(1) {
            return Err(AuthError::Authorizer("reply has the wrong nonce"));
        }
        Ok(SessionSecrets { session_key: Some(session_key.clone()), connection_secret: reply.connection_secret })
    }
}
