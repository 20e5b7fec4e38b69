//! The connection against an in-process server on a simulated clock.

use core::time::Duration;

use super::testserver::{Backend, TestServer};
use super::*;
use crate::auth::tests::server::{SimMon, SimService};
use crate::auth::tests::KEY_RBD;
use crate::auth::{CryptoKey, EntityName};
use crate::msgr::payload::{ResetFrame, RetryFrame, RetryGlobalFrame, WaitFrame};

const T0: UtcTime = UtcTime::new(1_700_000_000, 0);
const WANT: auth::EntityType = auth::EntityType(auth::EntityType::MON.0 | auth::EntityType::OSD.0);

fn secs(s: u64) -> Instant {
    Instant::from_nanos(s * 1_000_000_000)
}

fn key() -> CryptoKey {
    CryptoKey::from_base64(KEY_RBD).unwrap()
}

fn client_auth(key: CryptoKey) -> AuthClient {
    AuthClient::cephx(EntityName::client("rbd"), key, WANT).unwrap()
}

fn sim_mon() -> SimMon {
    let mut mon = SimMon::new(5, T0);
    mon.add_entity(EntityName::client("rbd"), key());
    mon
}

fn config(peer_type: EntityType, modes: &[ConMode]) -> ConnectionConfig {
    let mut config = ConnectionConfig::new(EntityAddr::v4(AddrType::MSGR2, [127, 0, 0, 1], 3300, 0), peer_type);
    config.modes = modes.to_vec();
    config.nonce = 1234;
    config.wall_base = T0;
    config
}

struct Pair {
    conn: Connection,
    server: TestServer,
    auth: Option<AuthClient>,
    now: Instant,
    events: Vec<ConnEvent>,
}

impl Pair {
    fn mon(modes: &[ConMode], auth: AuthClient) -> Pair {
        let conn = Connection::new(config(EntityType::MON, modes), ConnAuth::Mon, Instant::ZERO, 42);
        let server = TestServer::new(Backend::Mon(sim_mon(), None));
        Pair { conn, server, auth: Some(auth), now: Instant::ZERO, events: Vec::new() }
    }

    /// Authenticates to the monitor first for tickets, then talks to an OSD.
    fn osd(modes: &[ConMode]) -> Pair {
        let mut mon = Pair::mon(&[ConMode::CRC], client_auth(key()));
        mon.pump(false);
        assert_eq!(mon.events, [ConnEvent::Ready]);
        let Backend::Mon(sim, _) = &mon.server.backend else { unreachable!() };
        let osd = SimService::new(auth::EntityType::OSD, sim.service_keys(auth::EntityType::OSD), T0, 9);
        let auth = mon.auth.take().unwrap();
        let authorizer = auth.build_authorizer(auth::EntityType::OSD, 77).unwrap();
        let conn = Connection::new(config(EntityType::OSD, modes), ConnAuth::Service(authorizer), Instant::ZERO, 43);
        Pair { conn, server: TestServer::new(Backend::Osd(osd)), auth: None, now: Instant::ZERO, events: Vec::new() }
    }

    /// Moves bytes both ways until neither side has more; `split` feeds
    /// the client one byte at a time, so every boundary is cut once.
    fn pump(&mut self, split: bool) {
        loop {
            let mut moved = false;
            while let Some(bytes) = self.conn.poll_transmit() {
                self.server.feed(&bytes);
                moved = true;
            }
            let out = self.server.take_output();
            if !out.is_empty() {
                moved = true;
                if split {
                    for b in out.chunks(1) {
                        self.conn.handle_input(b, self.now, self.auth.as_mut());
                    }
                } else {
                    self.conn.handle_input(&out, self.now, self.auth.as_mut());
                }
            }
            while let Some(ev) = self.conn.poll_event() {
                self.events.push(ev);
            }
            if !moved {
                return;
            }
        }
    }

    fn advance(&mut self, to: Instant) {
        self.now = to;
        self.conn.handle_timeout(to);
        self.pump(false);
    }
}

#[test]
fn mon_handshake_in_crc_and_secure_mode() {
    for (mode, split) in
        [(ConMode::CRC, false), (ConMode::SECURE, false), (ConMode::CRC, true), (ConMode::SECURE, true)]
    {
        let mut p = Pair::mon(&[mode], client_auth(key()));
        p.pump(split);
        assert_eq!(p.events, [ConnEvent::Ready], "{mode:?} split {split}");
        assert_eq!(p.server.failed, None);
        assert_eq!(p.server.client_signature_ok, Some(true));
        assert_eq!(p.conn.con_mode(), mode);
        assert_eq!(p.auth.as_ref().unwrap().global_id(), p.server.global_id);
        assert_eq!(p.conn.peer_features(), features::SUPPORTED_DEFAULT);
        // The client learned its address from HELLO: ANY, port 0, our nonce.
        let ident = &p.server.idents[0];
        assert_eq!(
            ident.addrs.0[0],
            EntityAddr { addr_type: AddrType::ANY, ..EntityAddr::v4(AddrType::ANY, [127, 0, 0, 1], 0, 1234) }
        );
        assert_eq!(ident.target_addr, EntityAddr::v4(AddrType::MSGR2, [127, 0, 0, 1], 3300, 0));
        assert_eq!(ident.flags, 1);
        assert_eq!(ident.required_features, features::MSG_ADDR2);
    }
}

#[test]
fn messages_carry_seq_and_acks() {
    let mut p = Pair::mon(&[ConMode::SECURE], client_auth(key()));
    // Queued before ready, sent after SERVER_IDENT.
    p.conn.send(Message::new(15, 3, 1, &b"one"[..]));
    p.pump(false);
    assert_eq!(p.server.received.len(), 1);
    assert_eq!(&p.server.received[0].front[..], b"one");
    for i in 0..3u8 {
        p.server.send_message(Message::new(4, 1, 1, alloc::vec![i]));
    }
    p.pump(true);
    let got: Vec<_> = p
        .events
        .iter()
        .filter_map(|e| match e {
            ConnEvent::Message(m) => Some(m.front[0]),
            _ => None,
        })
        .collect();
    assert_eq!(got, [0, 1, 2]);
    // The client acked all three with an ACK frame (acks[0] is message one's ack_seq).
    assert_eq!(p.server.acks.last(), Some(&3));
    p.conn.send(Message::new(15, 3, 1, &b"two"[..]));
    p.pump(false);
    assert_eq!(p.server.acks.last(), Some(&3), "ack_seq piggy-backed");
    assert_eq!(p.conn.acked_seq(), 1, "server's messages acked our first");
}

#[test]
fn out_of_order_message_fails_and_duplicates_are_dropped() {
    let mut p = Pair::mon(&[ConMode::CRC], client_auth(key()));
    p.pump(false);
    p.server.send_message(Message::new(4, 1, 1, &b"a"[..]));
    p.pump(false);
    // Replay seq 1 (dropped), then jump to 3.
    let mut again = TestServerSeq(&mut p.server);
    again.send_with_seq(1);
    again.send_with_seq(3);
    p.pump(false);
    let msgs = p.events.iter().filter(|e| matches!(e, ConnEvent::Message(_))).count();
    assert_eq!(msgs, 1);
    assert_eq!(p.events.last(), Some(&ConnEvent::Failed(Errno::EPROTO)));
}

struct TestServerSeq<'a>(&'a mut TestServer);

impl TestServerSeq<'_> {
    fn send_with_seq(&mut self, seq: u64) {
        let header = MsgHeader2 { seq, msg_type: 4, ..MsgHeader2::default() };
        self.0.send(MessageFrame { header, ..MessageFrame::default() }.into());
    }
}

#[test]
fn bad_key_fails_with_eacces_at_once() {
    let wrong = CryptoKey::new_aes([7; 16], T0);
    let mut p = Pair::mon(&[ConMode::CRC], client_auth(wrong));
    p.pump(false);
    assert_eq!(p.events, [ConnEvent::Failed(Errno::EACCES)]);
    assert!(p.conn.is_closed());
    assert_eq!(p.conn.poll_timeout(), None);
}

#[test]
fn modes_the_server_refuses_are_retried_once() {
    let mut p = Pair::mon(&[ConMode::SECURE, ConMode::CRC], client_auth(key()));
    p.server.allowed_modes = alloc::vec![1];
    p.pump(false);
    assert_eq!(p.events, [ConnEvent::Ready]);
    assert_eq!(p.conn.con_mode(), ConMode::CRC);

    let mut p = Pair::mon(&[ConMode::SECURE], client_auth(key()));
    p.server.allowed_modes = alloc::vec![1];
    p.pump(false);
    assert_eq!(p.events, [ConnEvent::Failed(Errno::EOPNOTSUPP)]);
}

#[test]
fn osd_handshake_answers_the_challenge() {
    for (mode, split) in [(ConMode::CRC, false), (ConMode::SECURE, true)] {
        let mut p = Pair::osd(&[mode]);
        p.pump(split);
        assert_eq!(p.events, [ConnEvent::Ready], "{mode:?}");
        assert_eq!(p.server.client_signature_ok, Some(true));
        assert_eq!(p.conn.con_mode(), mode);
        p.conn.send(Message::new(42, 8, 3, &b"op"[..]));
        p.pump(false);
        assert_eq!(p.server.received[0].msg_type, 42);
    }
}

#[test]
fn keepalives_flow_and_silence_times_out() {
    let mut p = Pair::mon(&[ConMode::CRC], client_auth(key()));
    p.pump(false);
    assert_eq!(p.conn.poll_timeout(), Some(secs(10)));
    p.advance(secs(10));
    assert_eq!(p.conn.last_keepalive_ack(), Some(UtcTime::new(T0.sec + 10, 0)));
    assert_eq!(p.conn.poll_timeout(), Some(secs(20)));
    p.server.alive = false;
    let mut t = 20;
    while p.events.len() == 1 {
        p.advance(secs(t));
        t += 10;
        assert!(t < 100, "never timed out");
    }
    // Last heard at 10 s, timeout 30 s.
    assert_eq!(p.events[1], ConnEvent::Failed(Errno::ETIMEDOUT));
    assert_eq!(t, 50);
}

#[test]
fn a_silent_server_hits_the_handshake_deadline() {
    let mut conn = Connection::new(config(EntityType::MON, &[ConMode::CRC]), ConnAuth::Mon, secs(1), 1);
    assert!(conn.poll_transmit().is_some());
    assert_eq!(conn.poll_timeout(), Some(secs(11)));
    conn.handle_timeout(secs(5));
    assert_eq!(conn.poll_event(), None);
    conn.handle_timeout(secs(11));
    assert_eq!(conn.poll_event(), Some(ConnEvent::Failed(Errno::ETIMEDOUT)));
    assert_eq!(conn.poll_event(), None);
}

#[test]
fn garbage_fails_the_connection() {
    let mut conn = Connection::new(config(EntityType::MON, &[ConMode::CRC]), ConnAuth::Mon, Instant::ZERO, 1);
    conn.handle_input(b"HTTP/1.1 400 Bad Request\r\n", Instant::ZERO, None);
    assert_eq!(conn.poll_event(), Some(ConnEvent::Failed(Errno::EPROTO)));

    // A good banner, then noise where a frame should be.
    let mut p = Pair::mon(&[ConMode::CRC], client_auth(key()));
    let banner = Banner::default().encode();
    p.conn.handle_input(&banner, Instant::ZERO, p.auth.as_mut());
    p.conn.handle_input(&[0x5a; 64], Instant::ZERO, p.auth.as_mut());
    assert_eq!(p.conn.poll_event(), Some(ConnEvent::Failed(Errno::EBADMSG)));

    let mut conn = Connection::new(config(EntityType::MON, &[ConMode::CRC]), ConnAuth::Mon, Instant::ZERO, 1);
    conn.handle_input(b"ceph v027", Instant::ZERO, None);
    assert_eq!(conn.poll_event(), Some(ConnEvent::Failed(Errno::EPROTO)));
}

#[test]
fn eof_is_a_reset() {
    let mut p = Pair::mon(&[ConMode::CRC], client_auth(key()));
    p.pump(false);
    p.conn.handle_closed();
    assert_eq!(p.conn.poll_event(), Some(ConnEvent::Failed(Errno::ECONNRESET)));
    p.conn.handle_closed();
    assert_eq!(p.conn.poll_event(), None);
}

#[test]
fn session_retry_and_reset_resend_client_ident() {
    let mut p = Pair::mon(&[ConMode::CRC], client_auth(key()));
    p.server.ident_script.push_back(RetryGlobalFrame { global_seq: 100 }.into());
    p.server.ident_script.push_back(RetryFrame { connect_seq: 4 }.into());
    p.server.ident_script.push_back(ResetFrame { full: true }.into());
    p.pump(false);
    assert_eq!(p.events, [ConnEvent::Ready]);
    let seqs: Vec<u64> = p.server.idents.iter().map(|i| i.global_seq).collect();
    assert_eq!(seqs, [1, 101, 101, 101]);
    assert_eq!(p.conn.global_seq(), 101);
    assert_ne!(p.server.idents[2].cookie, p.server.idents[3].cookie, "a reset starts a new session");

    let mut p = Pair::mon(&[ConMode::CRC], client_auth(key()));
    p.server.ident_script.push_back(WaitFrame {}.into());
    p.pump(false);
    assert_eq!(p.events, [ConnEvent::Failed(Errno::EAGAIN)]);

    let mut p = Pair::mon(&[ConMode::CRC], client_auth(key()));
    p.server.ident_script.extend((0..20).map(|_| RetryFrame { connect_seq: 1 }.into()));
    p.pump(false);
    assert_eq!(p.events, [ConnEvent::Failed(Errno::EPROTO)]);
}

#[test]
fn arbitrary_bytes_after_the_banner_never_panic() {
    let mut rng = XorShift::new(3);
    for round in 0..200 {
        let mut conn = Connection::new(config(EntityType::MON, &[ConMode::CRC]), ConnAuth::Mon, Instant::ZERO, round);
        let mut auth = client_auth(key());
        conn.handle_input(&Banner::default().encode(), Instant::ZERO, Some(&mut auth));
        let mut junk = alloc::vec![0u8; (rng.next_u64() % 200) as usize];
        rng.fill(&mut junk);
        conn.handle_input(&junk, Instant::ZERO, Some(&mut auth));
        conn.handle_timeout(secs(100));
        assert!(matches!(conn.poll_event(), Some(ConnEvent::Failed(_))));
    }
}

#[test]
fn duration_config_defaults_are_sane() {
    let c = ConnectionConfig::new(EntityAddr::blank(), EntityType::MON);
    assert!(c.keepalive_interval < c.timeout);
    assert_eq!(c.connect_timeout, Duration::from_secs(10));
}
