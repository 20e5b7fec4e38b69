//! A test-only cephx server: the monitor's CephxServiceHandler and
//! KeyServer, and a service's cephx_verify_authorizer, reduced to what a
//! client can observe. Encodings follow Ceph's; state is in memory and the
//! clock is whatever the test sets.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::auth::protocol::{
    calc_client_server_challenge, encode_service_ticket_reply, AuthCapsInfo, AuthTicket, Authenticate, Authorize,
    AuthorizeChallenge, AuthorizeReply, AuthorizerHeader, RequestHeader, ResponseHeader, ServerChallenge,
    ServiceTicketInfo, ServiceTicketRequest, TicketBlob, TicketGrant, CEPHX_GET_AUTH_SESSION_KEY,
    CEPHX_GET_PRINCIPAL_SESSION_KEY,
};
use crate::auth::{
    decode_decrypt, encode_encrypt, AuthMethod, AuthRequest, ConMode, CryptoKey, EntityName, EntityType,
    SessionSecrets, AUTH_MODE_MON,
};
use crate::encoding::{decode_exact, Decoder, Encode, UtcTime};
use crate::random::XorShift;

pub const EPERM: i32 = -1;
pub const EACCES: i32 = -13;

/// A rotating service secret, as KeyServer keeps them.
#[derive(Clone)]
struct ServiceSecret {
    id: u64,
    key: CryptoKey,
}

/// The monitor's key server and clock.
pub struct SimMon {
    pub now: UtcTime,
    pub mon_ticket_ttl: u32,
    pub service_ticket_ttl: u32,
    entities: BTreeMap<EntityName, CryptoKey>,
    /// Each service's secrets, newest last.
    service_secrets: BTreeMap<u32, Vec<ServiceSecret>>,
    next_global_id: u64,
    rng: XorShift,
}

/// One client connection's handler state (CephxServiceHandler).
#[derive(Debug)]
pub struct MonSession {
    pub entity: EntityName,
    pub global_id: u64,
    pub con_mode: ConMode,
    server_challenge: u64,
}

/// What the monitor answers a handshake step with.
#[derive(Debug)]
pub enum MonReply {
    More(Vec<u8>),
    Done { global_id: u64, payload: Vec<u8>, secrets: SessionSecrets },
    BadMethod(i32),
}

fn random_key(rng: &mut XorShift, now: UtcTime) -> CryptoKey {
    let mut secret = [0u8; 16];
    rng.fill(&mut secret);
    CryptoKey::new_aes(secret, now)
}

fn add_secs(t: UtcTime, secs: u32) -> UtcTime {
    UtcTime::new(t.sec + secs, t.nsec)
}

impl SimMon {
    pub fn new(seed: u64, now: UtcTime) -> Self {
        let mut mon = SimMon {
            now,
            mon_ticket_ttl: 3600,
            service_ticket_ttl: 600,
            entities: BTreeMap::new(),
            service_secrets: BTreeMap::new(),
            next_global_id: 4100,
            rng: XorShift::new(seed),
        };
        for service in [EntityType::AUTH, EntityType::MON, EntityType::OSD, EntityType::MDS, EntityType::MGR] {
            mon.rotate(service);
        }
        mon
    }

    pub fn add_entity(&mut self, name: EntityName, key: CryptoKey) {
        self.entities.insert(name, key);
    }

    /// Adds a new secret for a service, as the key server does on expiry.
    pub fn rotate(&mut self, service: EntityType) {
        let key = random_key(&mut self.rng, self.now);
        let secrets = self.service_secrets.entry(service.0).or_default();
        let id = secrets.last().map_or(1, |s| s.id + 1);
        secrets.push(ServiceSecret { id, key });
    }

    fn current_secret(&self, service: u32) -> Option<ServiceSecret> {
        self.service_secrets.get(&service)?.last().cloned()
    }

    fn secret_by_id(&self, service: u32, id: u64) -> Option<CryptoKey> {
        let secrets = self.service_secrets.get(&service)?;
        secrets.iter().find(|s| s.id == id).map(|s| s.key.clone())
    }

    /// What a service (OSD, ...) knows: its rotating secrets.
    pub fn service_keys(&self, service: EntityType) -> BTreeMap<u64, CryptoKey> {
        let secrets = self.service_secrets.get(&service.0).cloned().unwrap_or_default();
        secrets.into_iter().map(|s| (s.id, s.key)).collect()
    }

    /// cephx_decode_ticket.
    fn decode_ticket(&self, service: u32, blob: &TicketBlob) -> Option<ServiceTicketInfo> {
        if blob.blob.is_empty() {
            return None;
        }
        let key = self.secret_by_id(service, blob.secret_id)?;
        key.decrypt_envelope(&blob.blob).ok()
    }

    /// KeyServer::build_session_auth_info + cephx_build_service_ticket_blob.
    fn grant(&mut self, service: u32, parent: &AuthTicket, ttl: u32) -> TicketGrant {
        let session_key = random_key(&mut self.rng, self.now);
        let secret = self.current_secret(service).expect("every service has a secret");
        let ticket = AuthTicket { created: self.now, expires: add_secs(self.now, ttl), ..parent.clone() };
        let info = ServiceTicketInfo { ticket, session_key: session_key.clone() };
        let blob = secret.key.encrypt_envelope(&info).expect("service secrets are AES");
        TicketGrant {
            service,
            session_key,
            validity: UtcTime::new(ttl, 0),
            ticket: TicketBlob { secret_id: secret.id, blob },
        }
    }

    /// Monitor::handle_auth_request, first message: `u8 mode, EntityName,
    /// u64 global_id`, then CephxServiceHandler::start_session.
    pub fn handle_auth_request(&mut self, req: &AuthRequest) -> Result<(MonSession, MonReply), i32> {
        let mut d = Decoder::new(&req.auth_payload);
        let mode = d.u8().map_err(|_| EACCES)?;
        if !(AUTH_MODE_MON..=19).contains(&mode) {
            return Err(EACCES);
        }
        let entity: EntityName = d.decode().map_err(|_| EACCES)?;
        let mut global_id = d.u64().map_err(|_| EACCES)?;
        if global_id == 0 {
            global_id = self.next_global_id;
            self.next_global_id += 1;
        }
        let con_mode = req.preferred_modes.first().copied().unwrap_or(ConMode::CRC);
        let server_challenge = self.rng.next_u64() | 1;
        let session = MonSession { entity, global_id, con_mode, server_challenge };
        if req.method == AuthMethod::NONE {
            let reply = MonReply::Done { global_id, payload: Vec::new(), secrets: SessionSecrets::default() };
            return Ok((session, reply));
        }
        if req.method != AuthMethod::CEPHX {
            return Ok((session, MonReply::BadMethod(-95)));
        }
        let mut out = Vec::new();
        ServerChallenge { server_challenge }.encode(&mut out);
        Ok((session, MonReply::More(out)))
    }

    /// An AUTH_REQUEST_MORE on a session.
    pub fn handle_request_more(&mut self, s: &mut MonSession, payload: &[u8]) -> MonReply {
        match self.handle_request(s, payload) {
            Ok((true, payload, secrets)) => MonReply::Done { global_id: s.global_id, payload, secrets },
            Ok((false, payload, _)) => MonReply::More(payload),
            Err(r) => MonReply::BadMethod(r),
        }
    }

    /// An MAuth on an established session: (result, MAuthReply payload).
    pub fn handle_mauth(&mut self, s: &mut MonSession, payload: &[u8]) -> (i32, Vec<u8>) {
        match self.handle_request(s, payload) {
            Ok((_, payload, _)) => (0, payload),
            Err(r) => (r, Vec::new()),
        }
    }

    /// CephxServiceHandler::handle_request: (done, reply, secrets).
    fn handle_request(&mut self, s: &mut MonSession, payload: &[u8]) -> Result<(bool, Vec<u8>, SessionSecrets), i32> {
        let mut d = Decoder::new(payload);
        let header: RequestHeader = d.decode().map_err(|_| -22)?;
        match header.request_type {
            CEPHX_GET_AUTH_SESSION_KEY => {
                let req: Authenticate = d.decode().map_err(|_| -22)?;
                let secret = self.entities.get(&s.entity).cloned().ok_or(EPERM)?;
                let expected = calc_client_server_challenge(&secret, s.server_challenge, req.client_challenge)
                    .map_err(|_| EPERM)?;
                if req.key != expected {
                    // What a 16.2.15 monitor puts in AUTH_BAD_METHOD here.
                    return Err(EACCES);
                }
                // A valid old ticket keeps the client's global_id and seals
                // the new ticket with the old session key.
                let old = self.decode_ticket(EntityType::AUTH.0, &req.old_ticket);
                if let Some(old) = &old {
                    s.global_id = old.ticket.global_id;
                }
                let parent = AuthTicket {
                    name: s.entity.clone(),
                    global_id: s.global_id,
                    created: self.now,
                    expires: add_secs(self.now, self.mon_ticket_ttl),
                    caps: AuthCapsInfo { allow_all: false, caps: b"allow *".to_vec() },
                    flags: 0,
                };
                let ttl = self.mon_ticket_ttl;
                let auth = self.grant(EntityType::AUTH.0, &parent, ttl);
                let session_key = auth.session_key.clone();
                let mut out = Vec::new();
                ResponseHeader { request_type: CEPHX_GET_AUTH_SESSION_KEY, status: 0 }.encode(&mut out);
                let ticket_key = old.as_ref().map(|o| &o.session_key);
                encode_service_ticket_reply(&secret, &[auth], ticket_key, &mut out).map_err(|_| -5)?;
                let mut secrets = SessionSecrets { session_key: Some(session_key.clone()), ..Default::default() };
                if req.other_keys != 0 {
                    let mut connection_secret = alloc::vec![0u8; s.con_mode.connection_secret_len()];
                    self.rng.fill(&mut connection_secret);
                    let mut cbl = Vec::new();
                    encode_encrypt(&session_key, &connection_secret, &mut cbl).map_err(|_| EACCES)?;
                    cbl.as_slice().encode(&mut out);
                    let ttl = self.service_ticket_ttl;
                    // Current monitors skip AUTH here: its ticket is above,
                    // possibly sealed with the old session key.
                    let wanted = EntityType(req.other_keys & !EntityType::AUTH.0);
                    let grants: Vec<TicketGrant> = wanted.iter().map(|svc| self.grant(svc.0, &parent, ttl)).collect();
                    let mut extra = Vec::new();
                    if !grants.is_empty() {
                        encode_service_ticket_reply(&session_key, &grants, None, &mut extra).map_err(|_| -5)?;
                    }
                    extra.as_slice().encode(&mut out);
                    secrets.connection_secret = connection_secret;
                }
                Ok((true, out, secrets))
            }
            CEPHX_GET_PRINCIPAL_SESSION_KEY => {
                let keys = |id| self.secret_by_id(EntityType::AUTH.0, id);
                let info = verify_authorizer(keys, EntityType::AUTH.0, &mut d, self.now).map_err(|_| EPERM)?;
                let req: ServiceTicketRequest = d.decode().map_err(|_| -22)?;
                let ttl = self.service_ticket_ttl;
                let grants: Vec<TicketGrant> =
                    EntityType(req.keys).iter().map(|svc| self.grant(svc.0, &info.ticket, ttl)).collect();
                let mut out = Vec::new();
                ResponseHeader { request_type: CEPHX_GET_PRINCIPAL_SESSION_KEY, status: 0 }.encode(&mut out);
                encode_service_ticket_reply(&info.session_key, &grants, None, &mut out).map_err(|_| -5)?;
                Ok((false, out, SessionSecrets::default()))
            }
            _ => Err(-22),
        }
    }
}

/// cephx_verify_authorizer up to the CephXAuthorize: opens the ticket with
/// the service secret it names and the CephXAuthorize with the ticket's
/// session key. Stricter than Ceph in one way: an expired ticket fails.
fn verify_authorizer(
    secret_for: impl Fn(u64) -> Option<CryptoKey>,
    service: u32,
    d: &mut Decoder<'_>,
    now: UtcTime,
) -> Result<VerifiedAuthorizer, &'static str> {
    let header: AuthorizerHeader = d.decode().map_err(|_| "authorizer header")?;
    if header.service_id != service {
        return Err("wrong service");
    }
    let key = secret_for(header.ticket.secret_id).ok_or("unknown secret id")?;
    let info: ServiceTicketInfo = key.decrypt_envelope(&header.ticket.blob).map_err(|_| "ticket")?;
    if info.ticket.global_id != header.global_id {
        return Err("global_id mismatch");
    }
    if info.ticket.expires <= now {
        return Err("ticket expired");
    }
    let msg: Authorize = decode_decrypt(&info.session_key, d).map_err(|_| "authorize")?;
    Ok(VerifiedAuthorizer { ticket: info.ticket, session_key: info.session_key, msg })
}

struct VerifiedAuthorizer {
    ticket: AuthTicket,
    session_key: CryptoKey,
    msg: Authorize,
}

/// A service's end of an authorizer exchange (MonClient/OSD
/// handle_auth_request with CephxAuthorizeHandler).
pub struct SimService {
    pub service: EntityType,
    pub keys: BTreeMap<u64, CryptoKey>,
    pub now: UtcTime,
    challenge: Option<u64>,
    rng: XorShift,
}

#[derive(Debug)]
pub enum ServiceReply {
    /// AUTH_REPLY_MORE with the sealed challenge.
    Challenge(Vec<u8>),
    /// AUTH_DONE: the reply payload and what the service keeps.
    Done {
        payload: Vec<u8>,
        secrets: SessionSecrets,
        global_id: u64,
    },
    Rejected(&'static str),
}

impl SimService {
    pub fn new(service: EntityType, keys: BTreeMap<u64, CryptoKey>, now: UtcTime, seed: u64) -> Self {
        SimService { service, keys, now, challenge: None, rng: XorShift::new(seed) }
    }

    /// One AUTH_REQUEST / AUTH_REQUEST_MORE; challenges once, like an OSD.
    pub fn handle(&mut self, payload: &[u8], con_mode: ConMode) -> ServiceReply {
        let mut d = Decoder::new(payload);
        let keys = &self.keys;
        let v = match verify_authorizer(|id| keys.get(&id).cloned(), self.service.0, &mut d, self.now) {
            Ok(v) => v,
            Err(why) => return ServiceReply::Rejected(why),
        };
        if d.finish().is_err() {
            return ServiceReply::Rejected("trailing bytes");
        }
        match self.challenge {
            Some(c) if v.msg.have_challenge => {
                if v.msg.server_challenge_plus_one != c.wrapping_add(1) {
                    return ServiceReply::Rejected("wrong challenge answer");
                }
            }
            _ => {
                let c = self.rng.next_u64();
                self.challenge = Some(c);
                let sealed = v.session_key.encrypt_envelope(&AuthorizeChallenge { server_challenge: c });
                return ServiceReply::Challenge(sealed.expect("session keys are AES"));
            }
        }
        let mut connection_secret = alloc::vec![0u8; con_mode.connection_secret_len()];
        self.rng.fill(&mut connection_secret);
        let reply = AuthorizeReply { nonce_plus_one: v.msg.nonce.wrapping_add(1), connection_secret };
        let mut payload = Vec::new();
        encode_encrypt(&v.session_key, &reply, &mut payload).expect("session keys are AES");
        let secrets = SessionSecrets { session_key: Some(v.session_key), connection_secret: reply.connection_secret };
        ServiceReply::Done { payload, secrets, global_id: v.ticket.global_id }
    }
}

/// Decodes an AUTH_REQUEST frame body as the messenger would.
pub fn decode_auth_request(bytes: &[u8]) -> AuthRequest {
    decode_exact(bytes).expect("a well-formed AUTH_REQUEST")
}
