//! The handshake against the simulated monitor and OSD, step by step.

use super::server::{decode_auth_request, MonReply, MonSession, ServiceReply, SimMon, SimService};
use super::KEY_RBD;
use crate::auth::{auth_signature, AuthClient, AuthError, ConMode, CryptoKey, EntityName, EntityType, SessionSecrets};
use crate::encoding::{encode_to_vec, UtcTime};
use crate::random::XorShift;
use crate::Errno;

const T0: UtcTime = UtcTime::new(1_700_000_000, 500_000_000);
const WANT: EntityType = EntityType(EntityType::MON.0 | EntityType::OSD.0 | EntityType::MGR.0);

fn at(secs: u32) -> UtcTime {
    UtcTime::new(T0.sec + secs, T0.nsec)
}

struct World {
    mon: SimMon,
    client: AuthClient,
    rng: XorShift,
}

fn world() -> World {
    let name = EntityName::client("rbd");
    let key = CryptoKey::from_base64(KEY_RBD).unwrap();
    let mut mon = SimMon::new(7, T0);
    mon.add_entity(name.clone(), key.clone());
    World { mon, client: AuthClient::cephx(name, key, WANT).unwrap(), rng: XorShift::new(11) }
}

impl World {
    /// AUTH_REQUEST, AUTH_REPLY_MORE, AUTH_REQUEST_MORE, AUTH_DONE over a
    /// "connection" that passes frame bodies as bytes.
    fn connect(&mut self, mode: ConMode) -> Result<(MonSession, SessionSecrets, SessionSecrets), AuthError> {
        let now = self.mon.now;
        let frame = encode_to_vec(&self.client.start(&[mode]));
        let (mut session, reply) = self.mon.handle_auth_request(&decode_auth_request(&frame)).expect("accepted");
        let MonReply::More(challenge) = reply else { panic!("cephx starts with a challenge: {reply:?}") };
        let more = self.client.handle_reply_more(&challenge, self.rng.next_u64(), now)?;
        match self.mon.handle_request_more(&mut session, &more) {
            MonReply::Done { global_id, payload, secrets } => {
                let ours = self.client.handle_done(global_id, &payload, now)?;
                Ok((session, ours, secrets))
            }
            MonReply::BadMethod(result) => Err(self.client.handle_bad_method(result)),
            MonReply::More(_) => panic!("one round is enough for Nautilus+"),
        }
    }

    /// One MAuth renewal exchange, repeated while the client asks for more.
    fn renew(&mut self, session: &mut MonSession) -> Result<usize, AuthError> {
        let now = self.mon.now;
        let mut rounds = 0;
        let mut next = self.client.renewal_request(now, self.rng.next_u64())?;
        while let Some(payload) = next {
            rounds += 1;
            let (result, reply) = self.mon.handle_mauth(session, &payload);
            next = self.client.handle_auth_reply(result, session.global_id, &reply, now, self.rng.next_u64())?;
        }
        Ok(rounds)
    }

    fn osd(&self, seed: u64) -> SimService {
        SimService::new(EntityType::OSD, self.mon.service_keys(EntityType::OSD), self.mon.now, seed)
    }

    /// The OSD exchange: authorizer, challenge, answer, reply.
    fn authorize_osd(
        &mut self,
        osd: &mut SimService,
        mode: ConMode,
    ) -> Result<(SessionSecrets, SessionSecrets), AuthError> {
        let mut authorizer = self.client.build_authorizer(EntityType::OSD, self.rng.next_u64())?;
        let challenge = match osd.handle(authorizer.payload(), mode) {
            ServiceReply::Challenge(challenge) => challenge,
            ServiceReply::Rejected(why) => return Err(AuthError::Authorizer(why)),
            ServiceReply::Done { .. } => panic!("an OSD challenges first"),
        };
        let answer = authorizer.handle_challenge(&challenge)?.to_vec();
        match osd.handle(&answer, mode) {
            ServiceReply::Done { payload, secrets, global_id } => {
                assert_eq!(global_id, self.client.global_id());
                Ok((authorizer.verify_reply(&payload)?, secrets))
            }
            ServiceReply::Challenge(_) => panic!("one challenge only"),
            ServiceReply::Rejected(why) => Err(AuthError::Authorizer(why)),
        }
    }
}

#[test]
fn handshake_gets_every_ticket_and_agrees_on_secrets() {
    let mut w = world();
    let (session, ours, theirs) = w.connect(ConMode::SECURE).unwrap();
    assert_eq!(ours, theirs);
    assert_eq!(ours.connection_secret.len(), 64);
    assert!(ours.session_key.is_some());
    assert_eq!(w.client.global_id(), session.global_id);
    assert_ne!(session.global_id, 0);
    // AUTH_SIGNATURE: both ends sign the same pre-auth bytes alike.
    let exchanged = b"banner hello auth_request ...";
    assert_eq!(
        auth_signature(ours.session_key.as_ref(), exchanged),
        auth_signature(theirs.session_key.as_ref(), exchanged)
    );

    for service in [EntityType::AUTH, EntityType::MON, EntityType::OSD, EntityType::MGR] {
        assert!(w.client.have_ticket(service, T0), "{service:?}");
    }
    assert!(!w.client.have_ticket(EntityType::MDS, T0));
    assert!(!w.client.need_tickets(T0));
    // Expiry counts from when the reply was handled; renewal at 3/4.
    assert_eq!(w.client.ticket_times(EntityType::OSD), Some((at(450), at(600))));
    assert_eq!(w.client.ticket_times(EntityType::AUTH), Some((at(2700), at(3600))));
    assert_eq!(w.client.next_renewal(), Some(at(450)));
}

#[test]
fn crc_mode_has_no_connection_secret() {
    let mut w = world();
    let (_, ours, theirs) = w.connect(ConMode::CRC).unwrap();
    assert_eq!(ours, theirs);
    assert!(ours.connection_secret.is_empty());
}

#[test]
fn osd_authorizer_answers_the_challenge() {
    let mut w = world();
    w.connect(ConMode::SECURE).unwrap();
    let mut osd = w.osd(21);
    let (ours, theirs) = w.authorize_osd(&mut osd, ConMode::SECURE).unwrap();
    assert_eq!(ours, theirs);
    assert_eq!(ours.connection_secret.len(), 64);
    assert_eq!(w.client.build_authorizer(EntityType::OSD, 1).unwrap().secret_id(), Some(1));
}

#[test]
fn authorizer_rejects_a_forged_reply_and_challenge() {
    let mut w = world();
    w.connect(ConMode::CRC).unwrap();
    let mut authorizer = w.client.build_authorizer(EntityType::OSD, 99).unwrap();
    let wrong = CryptoKey::new_aes([3; 16], T0);
    let forged = wrong.encrypt_envelope(&crate::auth::protocol::AuthorizeChallenge { server_challenge: 5 }).unwrap();
    let err = authorizer.handle_challenge(&forged).unwrap_err();
    assert_eq!(err.errno(), Errno::EACCES);
    let mut reply = alloc::vec::Vec::new();
    let body = crate::auth::protocol::AuthorizeReply { nonce_plus_one: 100, connection_secret: alloc::vec![] };
    crate::auth::encode_encrypt(&wrong, &body, &mut reply).unwrap();
    assert_eq!(authorizer.verify_reply(&reply).unwrap_err().errno(), Errno::EACCES);
    // The right key but the wrong nonce.
    let session_key = authorizer.session_key().unwrap().clone();
    let mut reply = alloc::vec::Vec::new();
    let body = crate::auth::protocol::AuthorizeReply { nonce_plus_one: 99, connection_secret: alloc::vec![] };
    crate::auth::encode_encrypt(&session_key, &body, &mut reply).unwrap();
    assert_eq!(authorizer.verify_reply(&reply), Err(AuthError::Authorizer("reply has the wrong nonce")));
}

#[test]
fn wrong_key_is_eacces() {
    let mut w = world();
    let impostor = CryptoKey::new_aes([0x55; 16], T0);
    w.client = AuthClient::cephx(EntityName::client("rbd"), impostor, WANT).unwrap();
    let err = w.connect(ConMode::CRC).unwrap_err();
    assert_eq!(err, AuthError::Rejected { method: crate::auth::AuthMethod::CEPHX, result: Errno::EACCES });
    assert_eq!(err.errno(), Errno::EACCES);
    assert_eq!(err.errno().to_ret(), -13);
}

#[test]
fn reply_sealed_for_another_key_is_eperm() {
    // The monitor answers a proof made with the right key; a client holding
    // a different key cannot open the reply.
    let mut w = world();
    let now = w.mon.now;
    let frame = encode_to_vec(&w.client.start(&[ConMode::CRC]));
    let (mut session, MonReply::More(challenge)) = w.mon.handle_auth_request(&decode_auth_request(&frame)).unwrap()
    else {
        panic!("challenge")
    };
    let more = w.client.handle_reply_more(&challenge, 5, now).unwrap();
    let MonReply::Done { global_id, payload, .. } = w.mon.handle_request_more(&mut session, &more) else {
        panic!("done")
    };
    let name = EntityName::client("rbd");
    let mut other = AuthClient::cephx(name, CryptoKey::new_aes([0x55; 16], T0), WANT).unwrap();
    other.start(&[ConMode::CRC]);
    other.handle_reply_more(&challenge, 5, now).unwrap();
    let err = other.handle_done(global_id, &payload, now).unwrap_err();
    assert_eq!(err.errno(), Errno::EPERM);
}

#[test]
fn renews_tickets_before_expiry() {
    let mut w = world();
    let (mut session, ..) = w.connect(ConMode::CRC).unwrap();
    let global_id = w.client.global_id();

    // Nothing to do until a quarter of the validity is left.
    w.mon.now = at(449);
    assert!(!w.client.need_tickets(w.mon.now));
    assert_eq!(w.renew(&mut session).unwrap(), 0);

    // Service tickets are due first; they come from GET_PRINCIPAL_SESSION_KEY
    // with an authorizer built on the AUTH ticket.
    w.mon.now = at(450);
    assert!(w.client.need_tickets(w.mon.now));
    assert_eq!(w.renew(&mut session).unwrap(), 1);
    for service in [EntityType::MON, EntityType::OSD, EntityType::MGR] {
        assert_eq!(w.client.ticket_times(service), Some((at(900), at(1050))), "{service:?}");
    }
    assert_eq!(w.client.ticket_times(EntityType::AUTH), Some((at(2700), at(3600))));
    assert!(!w.client.need_tickets(w.mon.now));

    // A service wanted later is fetched the same way.
    w.mon.now = at(500);
    w.client.set_want_keys(WANT.union(EntityType::MDS));
    assert!(w.client.need_tickets(w.mon.now));
    assert_eq!(w.renew(&mut session).unwrap(), 1);
    assert_eq!(w.client.ticket_times(EntityType::MDS), Some((at(950), at(1100))));
    assert_eq!(w.client.next_renewal(), Some(at(900)));

    // The renewed OSD ticket works after the first one would have expired.
    w.mon.now = at(1000);
    let mut osd = w.osd(3);
    assert!(w.authorize_osd(&mut osd, ConMode::CRC).is_ok());

    // Left alone, the services lapse; at 3/4 of the AUTH ticket's life
    // GET_AUTH_SESSION_KEY shows the old ticket, the monitor seals the new
    // one with the old session key and keeps the global_id, and the lapsed
    // service tickets come back with it.
    w.mon.now = at(2700);
    assert!(!w.client.have_ticket(EntityType::OSD, w.mon.now));
    assert_eq!(w.renew(&mut session).unwrap(), 1);
    assert_eq!(w.client.global_id(), global_id);
    assert_eq!(w.client.ticket_times(EntityType::AUTH), Some((at(2700 + 2700), at(2700 + 3600))));
    assert_eq!(w.client.ticket_times(EntityType::MDS), Some((at(2700 + 450), at(2700 + 600))));
    assert!(!w.client.need_tickets(w.mon.now));
    let mut osd = w.osd(4);
    assert!(w.authorize_osd(&mut osd, ConMode::CRC).is_ok());
}

#[test]
fn without_renewal_tickets_expire() {
    let mut w = world();
    w.connect(ConMode::CRC).unwrap();
    w.mon.now = at(600);
    assert!(!w.client.have_ticket(EntityType::OSD, w.mon.now));
    assert!(w.client.need_tickets(w.mon.now));
    let mut osd = w.osd(3);
    assert_eq!(w.authorize_osd(&mut osd, ConMode::CRC), Err(AuthError::Authorizer("ticket expired")));
}

#[test]
fn reconnect_keeps_global_id_and_presents_the_old_ticket() {
    let mut w = world();
    let (first, ..) = w.connect(ConMode::CRC).unwrap();
    w.mon.now = at(100);
    w.mon.rotate(EntityType::OSD);
    // A new connection: the monitor opens the old ticket (sealing the new
    // one with the old session key) and keeps the global_id.
    let (second, ours, theirs) = w.connect(ConMode::SECURE).unwrap();
    assert_eq!(second.global_id, first.global_id);
    assert_eq!(w.client.global_id(), first.global_id);
    assert_eq!(ours, theirs);
    // Only the AUTH ticket was due: the OSD ticket, sealed with the OSD's
    // older secret, is kept and still opens.
    assert_eq!(w.client.ticket_times(EntityType::AUTH), Some((at(100 + 2700), at(100 + 3600))));
    assert_eq!(w.client.ticket_times(EntityType::OSD), Some((at(450), at(600))));
    assert_eq!(w.client.build_authorizer(EntityType::OSD, 1).unwrap().secret_id(), Some(1));
    let mut osd = w.osd(4);
    assert!(w.authorize_osd(&mut osd, ConMode::SECURE).is_ok());
}

#[test]
fn messages_out_of_order_are_refused() {
    let mut w = world();
    let now = w.mon.now;
    // AUTH_DONE before any challenge: the payload is read as a challenge.
    w.client.start(&[ConMode::CRC]);
    assert_eq!(w.client.handle_done(1, b"\x01\x02", now).unwrap_err().errno(), Errno::EINVAL);
    // A challenge, then another "challenge" where a ticket reply belongs.
    w.client.start(&[ConMode::CRC]);
    w.client.handle_reply_more(&[1, 9, 0, 0, 0, 0, 0, 0, 0], 1, now).unwrap();
    let err = w.client.handle_reply_more(&[1, 9, 0, 0, 0, 0, 0, 0, 0], 1, now).unwrap_err();
    assert_eq!(err.errno(), Errno::EINVAL);
    // A principal-key reply nobody asked for.
    let mut w = world();
    let (mut session, ..) = w.connect(ConMode::CRC).unwrap();
    let reply = [0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0];
    assert_eq!(
        w.client.handle_auth_reply(0, 0, &reply, now, 1),
        Err(AuthError::Unexpected("reply to a request not sent"))
    );
    // An MAuthReply with an error passes it on.
    assert_eq!(w.client.handle_auth_reply(-13, 0, &[], now, 1), Err(AuthError::Server(Errno::EACCES)));
    // No renewal is due, so there is nothing to send.
    assert_eq!(w.renew(&mut session).unwrap(), 0);
    // No ticket for a service never wanted.
    assert_eq!(w.client.build_authorizer(EntityType::MDS, 1).unwrap_err().errno(), Errno::EACCES);
}

#[test]
fn empty_key_is_einval() {
    let err = AuthClient::cephx(EntityName::client("x"), CryptoKey::empty(), WANT).unwrap_err();
    assert_eq!(err.errno(), Errno::EINVAL);
}
