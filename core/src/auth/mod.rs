//! Client-side authentication: cephx (src/auth/cephx) and AUTH_NONE, sans-IO.
//!
//! What is here, in Ceph's vocabulary:
//! - [`CryptoKey`]: a secret as keyrings store it, Ceph's AES-128-CBC, and
//!   the `encode_encrypt` envelope every cephx secret travels in.
//! - [`Keyring`]: `[client.admin]` / `key = ...` files and the `key=` option.
//! - [`AuthClient`]: the monitor handshake. It yields the payloads msgr2
//!   carries in AUTH_REQUEST / AUTH_REQUEST_MORE and consumes those of
//!   AUTH_REPLY_MORE / AUTH_DONE / AUTH_BAD_METHOD; later it renews tickets
//!   over MAuth before they expire.
//! - [`Authorizer`]: what a client presents to an OSD (or any service it
//!   holds a ticket for), including the second round answering the
//!   service's challenge, and the check of the service's reply.
//!
//! Time comes in as `now`, randomness as `u64` arguments; frames, sockets
//! and message headers belong to the messenger that drives this.

mod authorizer;
mod client;
mod crypto;
mod keyring;
pub mod protocol;

#[cfg(test)]
pub(crate) mod tests;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use authorizer::Authorizer;
pub use client::{AuthClient, SessionSecrets};
pub use crypto::{decode_decrypt, encode_encrypt, CryptoKey, AUTH_ENC_MAGIC};
pub use keyring::{parse_key_option, Keyring};

use crate::encoding::{Decode, DecodeError, Decoder, Encode};
use crate::Errno;

/// An authentication method (CEPH_AUTH_* in src/include/ceph_fs.h). An open
/// set: a server may offer methods this client does not speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AuthMethod(pub u32);

impl AuthMethod {
    pub const UNKNOWN: AuthMethod = AuthMethod(0);
    pub const NONE: AuthMethod = AuthMethod(1);
    pub const CEPHX: AuthMethod = AuthMethod(2);
    pub const GSS: AuthMethod = AuthMethod(4);
}

/// The connection mode is the messenger's: cephx asks for one and sizes
/// the connection secret by it.
pub use crate::msgr::ConMode;

pub use crate::entity::EntityType;

/// An authenticated name such as `client.admin` (EntityName in
/// src/common/entity_name.h; not the messenger's `entity_name_t`). On the
/// wire: `u32 type, string id`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntityName {
    pub entity_type: EntityType,
    pub id: String,
}

impl EntityName {
    pub fn new(entity_type: EntityType, id: &str) -> Self {
        EntityName { entity_type, id: id.into() }
    }

    pub fn client(id: &str) -> Self {
        EntityName::new(EntityType::CLIENT, id)
    }

    /// EntityName::from_str: `type.id`, split at the first dot; the type
    /// must be one Ceph knows.
    pub fn parse(s: &str) -> Option<Self> {
        let (ty, id) = s.split_once('.')?;
        Some(EntityName::new(EntityType::from_name(ty)?, id))
    }
}

impl fmt::Display for EntityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.entity_type.name() {
            Some(ty) => write!(f, "{ty}.{}", self.id),
            None => write!(f, "{}.{}", self.entity_type.0, self.id),
        }
    }
}

impl Encode for EntityName {
    fn encode(&self, out: &mut Vec<u8>) {
        self.entity_type.0.encode(out);
        self.id.encode(out);
    }
}

impl Decode for EntityName {
    const MIN_LEN: usize = 8;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(EntityName { entity_type: EntityType(d.u32()?), id: d.string()? })
    }
}

/// msgr2's AUTH_REQUEST frame body: `u32 method, vector<u32> preferred
/// modes, bufferlist auth payload` (AuthRequestFrame in
/// src/msg/async/frames_v2.h).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthRequest {
    pub method: AuthMethod,
    pub preferred_modes: Vec<ConMode>,
    pub auth_payload: Vec<u8>,
}

impl Encode for AuthRequest {
    fn encode(&self, out: &mut Vec<u8>) {
        self.method.0.encode(out);
        (self.preferred_modes.len() as u32).encode(out);
        for mode in &self.preferred_modes {
            mode.0.encode(out);
        }
        self.auth_payload.as_slice().encode(out);
    }
}

impl Decode for AuthRequest {
    const MIN_LEN: usize = 12;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let method = AuthMethod(d.u32()?);
        let count = d.count(4)?;
        let mut preferred_modes = Vec::with_capacity(count);
        for _ in 0..count {
            preferred_modes.push(ConMode(d.u32()?));
        }
        Ok(AuthRequest { method, preferred_modes, auth_payload: d.bytes()?.to_vec() })
    }
}

/// The first byte of a msgr2 auth payload says whom it is for (AUTH_MODE_*
/// in src/auth/Auth.h): 1..=9 an authorizer (the byte is also its
/// version), 10..=19 a monitor handshake.
pub const AUTH_MODE_AUTHORIZER: u8 = 1;
pub const AUTH_MODE_MON: u8 = 10;

/// msgr2's AUTH_SIGNATURE: HMAC-SHA256 keyed by the session key over every
/// byte received before it; all zeros when there is no session key
/// (AUTH_NONE), as ProtocolV2 sends then.
pub fn auth_signature(session_key: Option<&CryptoKey>, exchanged: &[u8]) -> [u8; 32] {
    match session_key {
        Some(key) if !key.is_empty() => key.hmac_sha256(exchanged),
        _ => [0; 32],
    }
}

/// Why authentication failed. [`AuthError::errno`] gives the code Ceph's
/// client reports for the same case.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A message from the server did not decode.
    #[error("malformed auth message: {0}")]
    Malformed(#[from] DecodeError),
    /// A key, keyring or `key=` value could not be used.
    #[error("bad key: {0}")]
    BadKey(&'static str),
    /// The keyring has no key for this entity.
    #[error("no key for {0}")]
    NoKey(String),
    /// An encrypted block did not decrypt to a cephx envelope: the peer
    /// used another key, or the bytes were tampered with.
    #[error("cannot decrypt: wrong key or corrupt data")]
    BadEnvelope,
    /// A ticket reply did not verify (CephxClientHandler answers -EPERM).
    #[error("could not verify service ticket reply: {0}")]
    TicketReply(&'static str),
    /// The server refused the method or the credentials (AUTH_BAD_METHOD);
    /// with no other method to try, MonClient gives up with -EACCES.
    #[error("server rejected authentication with method {method:?}: {result:?}")]
    Rejected { method: AuthMethod, result: Errno },
    /// An MAuthReply carried a negative result.
    #[error("monitor replied {0:?}")]
    Server(Errno),
    /// A service's authorizer challenge or reply did not prove it holds the
    /// ticket's session key.
    #[error("authorizer failed: {0}")]
    Authorizer(&'static str),
    /// No ticket is held for the service an authorizer was asked for.
    #[error("no ticket for {0:?}")]
    NoTicket(EntityType),
    /// Tickets are still missing after the server said it was done.
    #[error("authentication finished without the tickets wanted")]
    TicketsMissing,
    /// A message arrived that the handshake does not expect now.
    #[error("unexpected auth message: {0}")]
    Unexpected(&'static str),
}

impl AuthError {
    /// The negative-errno class librados reports for this failure.
    pub fn errno(&self) -> Errno {
        match self {
            AuthError::Malformed(_) | AuthError::BadKey(_) | AuthError::Unexpected(_) => Errno::EINVAL,
            AuthError::NoKey(_) => Errno::ENOENT,
            AuthError::BadEnvelope | AuthError::TicketReply(_) => Errno::EPERM,
            AuthError::Rejected { .. } | AuthError::Authorizer(_) | AuthError::NoTicket(_) => Errno::EACCES,
            AuthError::Server(errno) => *errno,
            AuthError::TicketsMissing => Errno::EAGAIN,
        }
    }
}
