//! The monitor side of authentication, client half: CephxClientHandler,
//! CephXTicketManager (src/auth/cephx/) and the AUTH_NONE handler, with
//! MonConnection's msgr2 glue (src/mon/MonClient.cc).
//!
//! msgr2 to a monitor, cephx:
//! ```text
//! start()              -> AUTH_REQUEST       {10, name, global_id}
//! AUTH_REPLY_MORE      -> handle_reply_more  (server challenge)
//!                      -> AUTH_REQUEST_MORE  GET_AUTH_SESSION_KEY
//! AUTH_DONE            -> handle_done        AUTH ticket, connection
//!                                            secret, service tickets
//! ```
//! Afterwards tickets are renewed over MAuth: when `need_tickets(now)`,
//! send `renewal_request(..)` and feed the MAuthReply to
//! `handle_auth_reply(..)`, which may ask for one more round.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::authorizer::Authorizer;
use super::protocol::{
    calc_client_server_challenge, Authenticate, ResponseHeader, ServerChallenge, ServiceTicket, ServiceTicketRequest,
    TicketBlob, CEPHX_GET_AUTH_SESSION_KEY, CEPHX_GET_PRINCIPAL_SESSION_KEY,
};
use super::{
    decode_decrypt, AuthError, AuthMethod, AuthRequest, ConMode, CryptoKey, EntityName, EntityType, AUTH_MODE_MON,
};
use crate::encoding::{decode_exact, Decoder, Encode, UtcTime};
use crate::Errno;

/// What a finished monitor handshake hands the messenger: the key that
/// signs AUTH_SIGNATURE (and keys secure mode) and the connection secret
/// secure mode derives its stream keys from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionSecrets {
    pub session_key: Option<CryptoKey>,
    pub connection_secret: Vec<u8>,
}

/// One service's ticket (CephXTicketHandler).
#[derive(Clone, Debug)]
struct TicketHandler {
    session_key: CryptoKey,
    ticket: TicketBlob,
    renew_after: UtcTime,
    expires: UtcTime,
    have_key_flag: bool,
}

impl TicketHandler {
    fn new() -> Self {
        TicketHandler {
            session_key: CryptoKey::empty(),
            ticket: TicketBlob::default(),
            renew_after: UtcTime::default(),
            expires: UtcTime::default(),
            have_key_flag: false,
        }
    }

    /// have_key(): a held ticket lapses for good once expired.
    fn have_key(&mut self, now: UtcTime) -> bool {
        if self.have_key_flag {
            self.have_key_flag = now < self.expires;
        }
        self.have_key_flag
    }

    /// need_key(): time to renew once a quarter of the validity is left.
    fn need_key(&self, now: UtcTime) -> bool {
        if self.have_key_flag {
            return self.expires != UtcTime::default() && now >= self.renew_after;
        }
        true
    }
}

/// A verified ticket, not yet stored: replies are applied whole or not at
/// all.
struct NewTicket {
    service: u32,
    session_key: CryptoKey,
    ticket: TicketBlob,
    validity: UtcTime,
}

fn add_nanos(t: UtcTime, nanos: u64) -> UtcTime {
    from_nanos(t.as_nanos().saturating_add(nanos))
}

fn from_nanos(nanos: u64) -> UtcTime {
    let sec = u32::try_from(nanos / 1_000_000_000).unwrap_or(u32::MAX);
    UtcTime::new(sec, (nanos % 1_000_000_000) as u32)
}

#[derive(Clone)]
struct Cephx {
    secret: CryptoKey,
    /// Wanted services, AUTH always among them (set_want_keys).
    want: u32,
    tickets: BTreeMap<u32, TicketHandler>,
    /// True until the server challenge arrives (CephxClientHandler::starting).
    starting: bool,
    server_challenge: u64,
    /// The request built last, whose reply is awaited.
    awaiting: Option<u16>,
    /// Filled by an AUTH ticket reply carrying msgr2 extras.
    secrets: SessionSecrets,
}

#[derive(Clone)]
enum Method {
    None,
    Cephx(Cephx),
}

/// The client's authentication state towards the monitors. Tickets, and
/// the global_id, survive reconnects: each [`AuthClient::start`] begins a
/// new handshake that presents the old AUTH ticket. Clones let parallel
/// monitor handshakes each run their own; the winner's is kept.
#[derive(Clone)]
pub struct AuthClient {
    name: EntityName,
    global_id: u64,
    method: Method,
}

impl core::fmt::Debug for AuthClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthClient")
            .field("name", &self.name)
            .field("global_id", &self.global_id)
            .field("method", &self.method())
            .finish_non_exhaustive()
    }
}

impl AuthClient {
    /// cephx with `key`, wanting tickets for `want` (librados asks for
    /// MON | OSD | MGR). Ceph refuses an empty secret with -EINVAL.
    pub fn cephx(name: EntityName, key: CryptoKey, want: EntityType) -> Result<Self, AuthError> {
        if key.is_empty() {
            return Err(AuthError::BadKey("empty secret"));
        }
        let cephx = Cephx {
            secret: key,
            want: want.union(EntityType::AUTH).0,
            tickets: BTreeMap::new(),
            starting: true,
            server_challenge: 0,
            awaiting: None,
            secrets: SessionSecrets::default(),
        };
        Ok(AuthClient { name, global_id: 0, method: Method::Cephx(cephx) })
    }

    /// `auth_client_required = none`.
    pub fn none(name: EntityName) -> Self {
        AuthClient { name, global_id: 0, method: Method::None }
    }

    /// MonClient::set_want_keys: the services to hold tickets for; AUTH is
    /// always added. Newly wanted ones are fetched at the next renewal.
    pub fn set_want_keys(&mut self, want: EntityType) {
        if let Method::Cephx(cx) = &mut self.method {
            cx.want = want.union(EntityType::AUTH).0;
        }
    }

    /// The services tickets are wanted for (AUTH included); none for AUTH_NONE.
    pub fn want_keys(&self) -> EntityType {
        match &self.method {
            Method::None => EntityType::default(),
            Method::Cephx(cx) => EntityType(cx.want),
        }
    }

    pub fn method(&self) -> AuthMethod {
        match self.method {
            Method::None => AuthMethod::NONE,
            Method::Cephx(_) => AuthMethod::CEPHX,
        }
    }

    pub fn name(&self) -> &EntityName {
        &self.name
    }

    /// 0 until a monitor assigns one in AUTH_DONE.
    pub fn global_id(&self) -> u64 {
        self.global_id
    }

    /// Begins a handshake on a new monitor connection (MonConnection::
    /// get_auth_request). Held tickets are kept so the monitor can match
    /// the old AUTH ticket to our global_id.
    pub fn start(&mut self, preferred_modes: &[ConMode]) -> AuthRequest {
        if let Method::Cephx(cx) = &mut self.method {
            cx.starting = true;
            cx.server_challenge = 0;
            cx.awaiting = None;
        }
        let mut auth_payload = alloc::vec![AUTH_MODE_MON];
        self.name.encode(&mut auth_payload);
        self.global_id.encode(&mut auth_payload);
        AuthRequest { method: self.method(), preferred_modes: preferred_modes.to_vec(), auth_payload }
    }

    /// AUTH_REPLY_MORE: the server wants another round. Returns the
    /// AUTH_REQUEST_MORE payload. `random` becomes the client challenge (or
    /// an authorizer nonce, should the round be for service tickets).
    pub fn handle_reply_more(&mut self, payload: &[u8], random: u64, now: UtcTime) -> Result<Vec<u8>, AuthError> {
        let global_id = self.global_id;
        let Method::Cephx(cx) = &mut self.method else {
            return Err(AuthError::Unexpected("AUTH_NONE takes one round"));
        };
        if !cx.handle_response(payload, now)? {
            // MonConnection aborts here ("write me"): done is only ever
            // announced by AUTH_DONE.
            return Err(AuthError::Unexpected("handshake finished in AUTH_REPLY_MORE"));
        }
        cx.build_request(global_id, random, now)?.ok_or(AuthError::Unexpected("nothing left to request"))
    }

    /// AUTH_DONE: takes the global_id the monitor assigned and the final
    /// reply. For cephx this holds the AUTH ticket and, from Nautilus on,
    /// the connection secret and the service tickets.
    pub fn handle_done(&mut self, global_id: u64, payload: &[u8], now: UtcTime) -> Result<SessionSecrets, AuthError> {
        self.global_id = global_id;
        let Method::Cephx(cx) = &mut self.method else {
            return Ok(SessionSecrets::default());
        };
        if cx.starting {
            return Err(AuthError::Unexpected("AUTH_DONE before the server challenge"));
        }
        if cx.handle_response(payload, now)? {
            // A pre-Nautilus monitor would need an MAuth round; MonClient
            // fails the connection with the -EAGAIN it gets here.
            return Err(AuthError::TicketsMissing);
        }
        Ok(core::mem::take(&mut cx.secrets))
    }

    /// AUTH_BAD_METHOD. This client speaks one method, so whatever the
    /// server allows, MonConnection::handle_auth_bad_method ends in -EACCES.
    pub fn handle_bad_method(&self, result: i32) -> AuthError {
        let result = Errno::from_ret(result).err().unwrap_or(Errno::EACCES);
        AuthError::Rejected { method: self.method(), result }
    }

    /// Whether a ticket is due for renewal or missing (need_tickets). An
    /// outstanding MGR ticket alone does not count, as in Ceph, to avoid
    /// asking forever while a cluster upgrades.
    pub fn need_tickets(&mut self, now: UtcTime) -> bool {
        match &mut self.method {
            Method::None => false,
            Method::Cephx(cx) => {
                let need = cx.validate_tickets(now).1;
                need_tickets(need)
            }
        }
    }

    /// The MAuth payload renewing what is due (MonClient::
    /// _check_auth_tickets), or `None` when nothing is. `random` is the
    /// client challenge or authorizer nonce.
    pub fn renewal_request(&mut self, now: UtcTime, random: u64) -> Result<Option<Vec<u8>>, AuthError> {
        let global_id = self.global_id;
        match &mut self.method {
            Method::None => Ok(None),
            Method::Cephx(cx) => {
                if cx.starting || !need_tickets(cx.validate_tickets(now).1) {
                    return Ok(None);
                }
                cx.build_request(global_id, random, now)
            }
        }
    }

    /// An MAuthReply: `result`, the global_id and the payload. Returns the
    /// next MAuth payload if another round is needed (-EAGAIN in Ceph).
    pub fn handle_auth_reply(
        &mut self,
        result: i32,
        global_id: u64,
        payload: &[u8],
        now: UtcTime,
        random: u64,
    ) -> Result<Option<Vec<u8>>, AuthError> {
        if let Err(errno) = Errno::from_ret(result) {
            return Err(AuthError::Server(errno));
        }
        if global_id != 0 {
            self.global_id = global_id;
        }
        let global_id = self.global_id;
        let Method::Cephx(cx) = &mut self.method else {
            return Ok(None);
        };
        if cx.handle_response(payload, now)? {
            return cx.build_request(global_id, random, now);
        }
        Ok(None)
    }

    /// When the earliest wanted ticket becomes due for renewal; call
    /// [`AuthClient::need_tickets`] then.
    pub fn next_renewal(&self) -> Option<UtcTime> {
        let Method::Cephx(cx) = &self.method else {
            return None;
        };
        cx.tickets
            .iter()
            .filter(|(service, t)| cx.want & **service != 0 && t.have_key_flag && t.expires != UtcTime::default())
            .map(|(_, t)| t.renew_after)
            .min()
    }

    /// A ticket's renew-after and expiry times, when one is held.
    pub fn ticket_times(&self, service: EntityType) -> Option<(UtcTime, UtcTime)> {
        let Method::Cephx(cx) = &self.method else {
            return None;
        };
        let t = cx.tickets.get(&service.0).filter(|t| t.have_key_flag)?;
        Some((t.renew_after, t.expires))
    }

    /// Whether a valid ticket for `service` is held at `now` (have_key).
    pub fn have_ticket(&mut self, service: EntityType, now: UtcTime) -> bool {
        match &mut self.method {
            Method::None => true,
            Method::Cephx(cx) => cx.tickets.get_mut(&service.0).is_some_and(|t| t.have_key(now)),
        }
    }

    /// An authorizer for a service connection (an OSD, or any service a
    /// ticket is held for); `nonce` is random. Like Ceph this does not
    /// check expiry: a stale ticket is refused by the service.
    pub fn build_authorizer(&self, service: EntityType, nonce: u64) -> Result<Authorizer, AuthError> {
        match &self.method {
            Method::None => Ok(Authorizer::none(&self.name, self.global_id)),
            Method::Cephx(cx) => {
                let t = cx.tickets.get(&service.0).filter(|t| !t.ticket.blob.is_empty());
                let t = t.ok_or(AuthError::NoTicket(service))?;
                Authorizer::cephx(service.0, self.global_id, &t.ticket, &t.session_key, nonce)
            }
        }
    }
}

/// _need_tickets: needing only the MGR ticket does not count.
fn need_tickets(need: u32) -> bool {
    need != 0 && need != EntityType::MGR.0
}

impl Cephx {
    /// validate_tickets: (have, need) over the wanted services, clearing
    /// the hold on expired tickets as CephXTicketHandler::have_key does.
    fn validate_tickets(&mut self, now: UtcTime) -> (u32, u32) {
        let (mut have, mut need) = (0, 0);
        for bit in EntityType(self.want).iter() {
            match self.tickets.get_mut(&bit.0) {
                None => need |= bit.0,
                Some(t) => {
                    if t.need_key(now) {
                        need |= bit.0;
                    }
                    if t.have_key(now) {
                        have |= bit.0;
                    }
                }
            }
        }
        (have, need)
    }

    /// CephxClientHandler::build_request, after prepare_build_request.
    fn build_request(&mut self, global_id: u64, random: u64, now: UtcTime) -> Result<Option<Vec<u8>>, AuthError> {
        let need = self.validate_tickets(now).1;
        let mut out = Vec::new();
        if need & EntityType::AUTH.0 != 0 {
            CEPHX_GET_AUTH_SESSION_KEY.encode(&mut out);
            let key = calc_client_server_challenge(&self.secret, self.server_challenge, random)?;
            let old_ticket = self.tickets.get(&EntityType::AUTH.0).map(|t| t.ticket.clone()).unwrap_or_default();
            // Nautilus and later answer other_keys with every ticket at once.
            Authenticate { client_challenge: random, key, old_ticket, other_keys: need }.encode(&mut out);
            self.awaiting = Some(CEPHX_GET_AUTH_SESSION_KEY);
            return Ok(Some(out));
        }
        if need_tickets(need) {
            let Some(auth) = self.tickets.get(&EntityType::AUTH.0) else {
                return Err(AuthError::NoTicket(EntityType::AUTH));
            };
            CEPHX_GET_PRINCIPAL_SESSION_KEY.encode(&mut out);
            let authorizer = Authorizer::cephx(EntityType::AUTH.0, global_id, &auth.ticket, &auth.session_key, random)?;
            out.extend_from_slice(authorizer.payload());
            ServiceTicketRequest { keys: need }.encode(&mut out);
            self.awaiting = Some(CEPHX_GET_PRINCIPAL_SESSION_KEY);
            return Ok(Some(out));
        }
        Ok(None)
    }

    /// CephxClientHandler::handle_response. Returns whether another round
    /// is needed (-EAGAIN in Ceph).
    fn handle_response(&mut self, payload: &[u8], now: UtcTime) -> Result<bool, AuthError> {
        if self.starting {
            let challenge: ServerChallenge = decode_exact(payload)?;
            self.server_challenge = challenge.server_challenge;
            self.starting = false;
            // A new session must prove the secret again.
            if let Some(t) = self.tickets.get_mut(&EntityType::AUTH.0) {
                t.have_key_flag = false;
            }
            return Ok(true);
        }
        let mut d = Decoder::new(payload);
        let header: ResponseHeader = d.decode()?;
        if self.awaiting != Some(header.request_type) {
            return Err(AuthError::Unexpected("reply to a request not sent"));
        }
        self.awaiting = None;
        match header.request_type {
            CEPHX_GET_AUTH_SESSION_KEY => self.handle_auth_session_key(&mut d, now)?,
            _ => {
                let Some(auth) = self.tickets.get(&EntityType::AUTH.0) else {
                    return Err(AuthError::NoTicket(EntityType::AUTH));
                };
                let tickets = verify_service_ticket_reply(&auth.session_key, &self.tickets, &mut d)?;
                self.store(tickets, now);
            }
        }
        d.finish()?;
        let need = self.validate_tickets(now).1;
        Ok(need_tickets(need))
    }

    /// The GET_AUTH_SESSION_KEY reply: the AUTH ticket sealed with our
    /// secret, then (Nautilus+) the connection secret and the service
    /// tickets, both sealed with the new session key.
    fn handle_auth_session_key(&mut self, d: &mut Decoder<'_>, now: UtcTime) -> Result<(), AuthError> {
        self.secrets = SessionSecrets::default();
        let tickets = verify_service_ticket_reply(&self.secret, &self.tickets, d)?;
        self.store(tickets, now);
        if d.is_empty() {
            return Ok(());
        }
        let connection_bl = d.bytes()?;
        let extra_bl = d.bytes()?;
        let session_key = match self.tickets.get(&EntityType::AUTH.0) {
            Some(t) => t.session_key.clone(),
            None => return Err(AuthError::TicketReply("no AUTH ticket in reply")),
        };
        let mut connection_secret = Vec::new();
        if !connection_bl.is_empty() {
            let mut c = Decoder::new(connection_bl);
            connection_secret = decode_decrypt::<Vec<u8>>(&session_key, &mut c)
                .map_err(|_| AuthError::TicketReply("connection secret"))?;
        }
        if !extra_bl.is_empty() {
            let mut e = Decoder::new(extra_bl);
            let extra = verify_service_ticket_reply(&session_key, &self.tickets, &mut e)?;
            self.store(extra, now);
        }
        self.secrets = SessionSecrets { session_key: Some(session_key), connection_secret };
        Ok(())
    }

    /// Ticket times count from when the reply is processed, as Ceph's do.
    fn store(&mut self, tickets: Vec<NewTicket>, now: UtcTime) {
        for new in tickets {
            let t = self.tickets.entry(new.service).or_insert_with(TicketHandler::new);
            t.session_key = new.session_key;
            t.ticket = new.ticket;
            if new.validity != UtcTime::default() {
                t.expires = add_nanos(now, new.validity.as_nanos());
                let quarter = u64::from(new.validity.sec) * 250_000_000;
                t.renew_after = from_nanos(t.expires.as_nanos().saturating_sub(quarter));
            }
            t.have_key_flag = true;
        }
    }
}

/// CephXTicketManager::verify_service_ticket_reply: `u8 v, u32 n`, then per
/// ticket `u32 service, u8 v, {ServiceTicket}secret, u8 is_enc,
/// ticket blob` where an encrypted blob is sealed with that service's
/// current session key (the old AUTH ticket's, on renewal).
fn verify_service_ticket_reply(
    secret: &CryptoKey,
    current: &BTreeMap<u32, TicketHandler>,
    d: &mut Decoder<'_>,
) -> Result<Vec<NewTicket>, AuthError> {
    const BAD: AuthError = AuthError::TicketReply("service ticket did not decrypt");
    let _reply_v = d.u8()?;
    // Each ticket takes at least 14 bytes, so a hostile count cannot
    // reserve much.
    let count = d.count(14)?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let service = d.u32()?;
        let _ticket_v = d.u8()?;
        let msg_a: ServiceTicket = decode_decrypt(secret, d).map_err(|_| BAD)?;
        let is_enc = d.u8()? != 0;
        let blob = if is_enc {
            let old_key = current.get(&service).map(|t| &t.session_key);
            let old_key = old_key.filter(|k| !k.is_empty()).ok_or(BAD)?;
            decode_decrypt::<Vec<u8>>(old_key, d).map_err(|_| BAD)?
        } else {
            d.bytes()?.to_vec()
        };
        let ticket = decode_exact::<TicketBlob>(&blob).map_err(|_| AuthError::TicketReply("ticket blob"))?;
        out.push(NewTicket { service, session_key: msg_a.session_key, ticket, validity: msg_a.validity });
    }
    Ok(out)
}
