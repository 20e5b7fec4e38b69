//! MonClient against fake monitors on a simulated clock: each accepted
//! connection is a msgr2 test server over the simulated cephx monitor,
//! plus a few lines of monitor logic (subscriptions, versions, pool ops).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;

use bytes::Bytes;

use super::messages::{self, msg_type, AuthReply, OsdMapMessage, PoolOpReply, VersionReply};
use super::*;
use crate::auth::tests::server::SimMon;
use crate::auth::tests::KEY_RBD;
use crate::auth::{self, AuthClient, CryptoKey, EntityName};
use crate::encoding::{Decoder, UtcTime};
use crate::msgr::connection::testserver::{Backend, TestServer};
use crate::msgr::{AddrType, EntityAddr, EntityAddrvec};
use crate::time::Instant;
use crate::Errno;

const T0: UtcTime = UtcTime::new(1_700_000_000, 0);
const FSID: [u8; 16] = [0xfe; 16];

fn secs(s: u64) -> Instant {
    Instant::from_nanos(s * 1_000_000_000)
}

fn addr(i: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, i], 3300))
}

fn client_auth(key: CryptoKey) -> AuthClient {
    let want = auth::EntityType(auth::EntityType::MON.0 | auth::EntityType::OSD.0);
    AuthClient::cephx(EntityName::client("rbd"), key, want).unwrap()
}

fn good_key() -> CryptoKey {
    CryptoKey::from_base64(KEY_RBD).unwrap()
}

struct FakeMon {
    server: TestServer,
    subs: Vec<BTreeMap<String, (u64, u8)>>,
}

/// The world: monitors at some addresses, a clock, the client.
struct World {
    mc: MonClient,
    now: Instant,
    live: Vec<SocketAddr>,
    /// Which conns went to dead addresses.
    dead_conns: Vec<ConnId>,
    mons: BTreeMap<ConnId, FakeMon>,
    connects: Vec<(Instant, SocketAddr)>,
    events: Vec<MonEvent>,
    osdmap_epoch: u32,
    next_snap: u64,
    pool_replies: bool,
    /// Every MAuth the monitors answered.
    mauths: usize,
}

impl World {
    fn new(
        addrs: &[SocketAddr],
        live: &[SocketAddr],
        key: CryptoKey,
        tweak: impl FnOnce(&mut MonClientConfig),
    ) -> World {
        let mut config = MonClientConfig::new(addrs.to_vec(), client_auth(key));
        config.wall_base = T0;
        config.hostname = "client-host".into();
        tweak(&mut config);
        World::with_client(MonClient::new(config, Instant::ZERO, 5), live)
    }

    fn with_client(mc: MonClient, live: &[SocketAddr]) -> World {
        let mut w = World {
            mc,
            now: Instant::ZERO,
            live: live.to_vec(),
            dead_conns: Vec::new(),
            mons: BTreeMap::new(),
            connects: Vec::new(),
            events: Vec::new(),
            osdmap_epoch: 20,
            next_snap: 4,
            pool_replies: true,
            mauths: 0,
        };
        w.pump();
        w
    }

    fn monmap(&self) -> MonMap {
        let mons = self
            .live
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let SocketAddr::V4(v4) = a else { unreachable!() };
                let ea = EntityAddr::v4(AddrType::MSGR2, v4.ip().octets(), a.port(), 0);
                MonInfo { name: alloc::format!("m{i}"), public_addrs: EntityAddrvec(alloc::vec![ea]) }
            })
            .collect();
        MonMap { fsid: FSID, epoch: 2, mons }
    }

    /// Runs the fake network until nothing moves.
    fn pump(&mut self) {
        for _ in 0..1000 {
            let mut moved = false;
            while let Some(action) = self.mc.poll_action() {
                moved = true;
                match action {
                    MonAction::Connect { conn, addr } => {
                        self.connects.push((self.now, addr));
                        if self.live.contains(&addr) {
                            let mut mon = SimMon::new(conn.0, T0);
                            mon.now = self.wall();
                            mon.add_entity(EntityName::client("rbd"), good_key());
                            let server = TestServer::new(Backend::Mon(mon, None));
                            self.mons.insert(conn, FakeMon { server, subs: Vec::new() });
                            self.mc.handle_connected(conn, self.now);
                        } else {
                            self.dead_conns.push(conn);
                        }
                    }
                    MonAction::Send { conn, bytes } => {
                        if let Some(m) = self.mons.get_mut(&conn) {
                            m.server.feed(&bytes);
                        }
                    }
                    MonAction::Close { conn } => {
                        self.mons.remove(&conn);
                    }
                }
            }
            let ids: Vec<ConnId> = self.mons.keys().copied().collect();
            for id in ids {
                self.serve(id);
                let out = self.mons.get_mut(&id).map(|m| m.server.take_output()).unwrap_or_default();
                if !out.is_empty() {
                    moved = true;
                    self.mc.handle_bytes(id, &out, self.now);
                }
            }
            while let Some(ev) = self.mc.poll_event() {
                self.events.push(ev);
            }
            if !moved {
                return;
            }
        }
        panic!("the fake network never settled");
    }

    fn wall(&self) -> UtcTime {
        UtcTime::new(T0.sec + (self.now.as_nanos() / 1_000_000_000) as u32, 0)
    }

    /// The monitor's side of the messages it got.
    fn serve(&mut self, id: ConnId) {
        let wall = self.wall();
        let monmap = self.monmap();
        let Some(m) = self.mons.get_mut(&id) else {
            return;
        };
        if let Backend::Mon(mon, _) = &mut m.server.backend {
            mon.now = wall;
        }
        for msg in core::mem::take(&mut m.server.received) {
            match msg.msg_type {
                msg_type::MON_SUBSCRIBE => {
                    let subs = decode_subscribe(&msg.front);
                    if subs.contains_key("monmap") {
                        m.server.send_message(messages::mon_map_message(&monmap));
                    }
                    if let Some((start, _)) = subs.get("osdmap") {
                        let e = self.osdmap_epoch;
                        let start = (*start as u32).max(1);
                        let maps = OsdMapMessage {
                            fsid: FSID,
                            incrementals: (start..e).map(|x| (x, Bytes::from(alloc::vec![x as u8]))).collect(),
                            maps: alloc::vec![(e, Bytes::from_static(b"full map"))],
                            oldest: 1,
                            newest: e,
                        };
                        m.server.send_message(maps.encode());
                    }
                    m.subs.push(subs);
                }
                msg_type::MON_GET_VERSION => {
                    let r = VersionReply { tid: msg.tid, newest: u64::from(self.osdmap_epoch), oldest: 1 };
                    m.server.send_message(messages::version_reply_message(r));
                }
                msg_type::POOLOP if self.pool_replies => {
                    let mut d = Decoder::new(&msg.front);
                    d.skip(18).unwrap();
                    let fsid: [u8; 16] = d.array().unwrap();
                    assert_eq!(fsid, FSID);
                    let pool = d.u32().unwrap();
                    let op = d.u32().unwrap();
                    d.skip(16).unwrap(); // auid, snapid
                    let name = d.string().unwrap();
                    let (code, data) = match (pool, op, name.as_str()) {
                        (3, 0x21, _) => {
                            self.next_snap += 1;
                            (0, Some(Bytes::from(self.next_snap.to_le_bytes().to_vec())))
                        }
                        (3, 0x22, _) => (0, None),
                        (0, 0x01, "new") => (0, None),
                        // Deleting asks by id; a name a pool has makes a
                        // real monitor answer 0 and do nothing.
                        (3, 0x02, "delete") => (0, None),
                        _ => (-2, None),
                    };
                    let reply = PoolOpReply { fsid: FSID, code, epoch: self.osdmap_epoch, data };
                    m.server.send_message(messages::pool_op_reply_message(msg.tid, &reply));
                }
                msg_type::STATFS => {
                    let stats = messages::Statfs { kb: 4, kb_used: 3, kb_avail: 1, num_objects: 9 };
                    m.server.send_message(messages::statfs_reply_message(msg.tid, &stats));
                }
                msg_type::MON_COMMAND => {
                    let mut d = Decoder::new(&msg.front);
                    d.skip(18 + 16).unwrap();
                    let parts: Vec<String> = d.decode().unwrap();
                    let ack = messages::CommandAck { result: 0, status: "done".into() };
                    let output = Bytes::from(alloc::format!("{}|{}", parts.join(","), msg.data.len()));
                    m.server.send_message(messages::command_ack_message(msg.tid, &ack, output));
                }
                msg_type::AUTH => {
                    let mut d = Decoder::new(&msg.front);
                    d.skip(18).unwrap();
                    let _protocol = d.u32().unwrap();
                    let payload = d.bytes().unwrap().to_vec();
                    let (Backend::Mon(mon, _), Some(session)) = (&mut m.server.backend, m.server.session.as_mut())
                    else {
                        panic!("MAuth before the session")
                    };
                    let (result, reply) = mon.handle_mauth(session, &payload);
                    self.mauths += 1;
                    let reply = AuthReply {
                        protocol: 2,
                        result,
                        global_id: session.global_id,
                        payload: reply.into(),
                        message: String::new(),
                    };
                    m.server.send_message(messages::auth_reply_message(&reply));
                }
                _ => {}
            }
        }
    }

    /// Advances to the client's next deadline (at most `limit`).
    fn step(&mut self, limit: Instant) -> bool {
        let Some(t) = self.mc.poll_timeout() else {
            return false;
        };
        if t > limit {
            return false;
        }
        self.now = self.now.max(t);
        self.mc.handle_timeout(self.now);
        self.pump();
        true
    }

    fn run_until(&mut self, limit: Instant, mut done: impl FnMut(&World) -> bool) {
        while !done(self) {
            assert!(self.step(limit), "nothing happened before {limit:?}: {:?}", self.events);
        }
    }
}

fn decode_subscribe(front: &[u8]) -> BTreeMap<String, (u64, u8)> {
    let mut d = Decoder::new(front);
    let n = d.u32().unwrap();
    let mut out = BTreeMap::new();
    for _ in 0..n {
        let name = d.string().unwrap();
        out.insert(name, (d.u64().unwrap(), d.u8().unwrap()));
    }
    assert_eq!(d.string().unwrap(), "client-host");
    d.finish().unwrap();
    out
}

fn ready(w: &World) -> bool {
    w.events.iter().any(|e| matches!(e, MonEvent::Ready { .. }))
}

#[test]
fn connects_subscribes_and_learns_the_monmap() {
    let w = World::new(&[addr(1)], &[addr(1)], good_key(), |_| {});
    let global_id = w.mc.global_id();
    assert_ne!(global_id, 0);
    assert_eq!(w.events, [MonEvent::Ready { global_id, fsid: FSID }]);
    assert_eq!(w.mc.fsid(), Some(FSID));
    let m = w.mons.values().next().unwrap();
    assert_eq!(m.subs[0].get("monmap"), Some(&(0, 0)));
}

#[test]
fn hunting_skips_monitors_that_never_answer() {
    let addrs = [addr(1), addr(2), addr(3)];
    for seed_tweak in 0..6u64 {
        let mut config = MonClientConfig::new(addrs.to_vec(), client_auth(good_key()));
        config.wall_base = T0;
        config.hostname = "client-host".into();
        config.hunt_parallel = 1;
        let mut w = World::with_client(MonClient::new(config, Instant::ZERO, seed_tweak), &[addr(3)]);
        w.run_until(secs(60), ready);
        // Each dead monitor costs one hunt interval, then the live one answers.
        let dead = w.connects.iter().take_while(|(_, a)| *a != addr(3)).count();
        assert!(dead <= 2);
        assert_eq!(w.connects.last().map(|c| c.0), Some(secs(3 * dead as u64)));
        assert!(w.connects[..dead].iter().all(|(_, a)| *a != addr(3)));
    }
}

#[test]
fn parallel_hunting_takes_the_first_to_answer() {
    let addrs = [addr(1), addr(2), addr(3)];
    let w = World::new(&addrs, &[addr(2)], good_key(), |_| {});
    assert!(ready(&w), "at once: all three are tried together");
    assert_eq!(w.connects.len(), 3);
    // The losers are closed.
    assert!(w.mc.is_connected());
    assert_eq!(w.mons.len(), 1);
}

#[test]
fn mount_timeout_ends_the_hunt() {
    let addrs = [addr(1), addr(2)];
    let mut w = World::new(&addrs, &[], good_key(), |c| c.mount_timeout = Duration::from_secs(20));
    w.run_until(secs(20), |w| !w.events.is_empty());
    assert_eq!(w.events, [MonEvent::Failed(Errno::ETIMEDOUT)]);
    assert_eq!(w.now, secs(20));
    // Both monitors were retried every hunt interval.
    assert!(w.connects.len() >= 12, "{}", w.connects.len());
    assert_eq!(w.mc.poll_timeout(), None);
}

#[test]
fn a_wrong_key_fails_at_once() {
    let wrong = CryptoKey::new_aes([1; 16], T0);
    let w = World::new(&[addr(1), addr(2)], &[addr(1), addr(2)], wrong, |_| {});
    assert_eq!(w.events, [MonEvent::Failed(Errno::EACCES)]);
    assert_eq!(w.mc.poll_timeout(), None);
}

#[test]
fn osdmap_subscription_hands_up_blobs() {
    let mut w = World::new(&[addr(1)], &[addr(1)], good_key(), |_| {});
    w.events.clear();
    w.mc.subscribe_osdmap(18);
    w.pump();
    let [MonEvent::OsdMaps(maps)] = &w.events[..] else { panic!("{:?}", w.events) };
    assert_eq!((maps.first, maps.last, maps.oldest, maps.newest), (18, 20, 1, 20));
    assert_eq!(maps.incrementals, [(18, Bytes::from_static(&[18])), (19, Bytes::from_static(&[19]))]);
    assert_eq!(maps.maps, [(20, Bytes::from_static(b"full map"))]);
    assert_eq!(maps.fsid, FSID);
    // Onetime: satisfied, so a later resubscribe asks only for the monmap.
    let m = w.mons.values().next().unwrap();
    assert_eq!(m.subs.last().unwrap().get("osdmap"), Some(&(18, 1)));
}

#[test]
fn pool_ops_and_versions_are_answered() {
    let mut w = World::new(&[addr(1)], &[addr(1)], good_key(), |_| {});
    w.events.clear();
    let create = w.mc.create_selfmanaged_snap(3);
    let delete = w.mc.delete_selfmanaged_snap(3, 5);
    let bad = w.mc.create_selfmanaged_snap(99);
    let version = w.mc.get_version("osdmap");
    w.pump();
    let made = w.mc.create_pool("new", None);
    let dropped = w.mc.delete_pool(3);
    w.pump();
    let epoch = 20;
    assert_eq!(
        w.events,
        [
            MonEvent::PoolOpDone { tid: create, result: Ok(5), epoch },
            MonEvent::PoolOpDone { tid: delete, result: Ok(0), epoch },
            MonEvent::PoolOpDone { tid: bad, result: Err(Errno::ENOENT), epoch },
            MonEvent::Version { tid: version, newest: 20, oldest: 1 },
            MonEvent::PoolOpDone { tid: made, result: Ok(0), epoch },
            MonEvent::PoolOpDone { tid: dropped, result: Ok(0), epoch },
        ]
    );
}

#[test]
fn cluster_stats_come_from_statfs() {
    let mut w = World::new(&[addr(1)], &[addr(1)], good_key(), |_| {});
    w.events.clear();
    let tid = w.mc.statfs();
    w.pump();
    let stats = messages::Statfs { kb: 4, kb_used: 3, kb_avail: 1, num_objects: 9 };
    assert_eq!(w.events, [MonEvent::Statfs { tid, stats }]);
}

#[test]
fn monitor_commands_carry_their_input_and_output() {
    let mut w = World::new(&[addr(1)], &[addr(1)], good_key(), |_| {});
    w.events.clear();
    let cmd = alloc::vec![String::from(r#"{"prefix": "df"}"#)];
    let tid = w.mc.command(cmd, Bytes::from_static(b"input"));
    w.pump();
    let output = Bytes::from_static(br#"{"prefix": "df"}|5"#);
    assert_eq!(w.events, [MonEvent::CommandDone { tid, result: 0, status: "done".into(), output }]);
}

#[test]
fn requests_before_ready_wait_for_the_session() {
    let mut config = MonClientConfig::new(alloc::vec![addr(1)], client_auth(good_key()));
    config.wall_base = T0;
    config.hostname = "client-host".into();
    let mut mc = MonClient::new(config, Instant::ZERO, 1);
    let tid = mc.create_selfmanaged_snap(3);
    let w = World::with_client(mc, &[addr(1)]);
    assert!(w.events.contains(&MonEvent::PoolOpDone { tid, result: Ok(5), epoch: 20 }), "{:?}", w.events);
}

#[test]
fn a_lost_session_is_rehunted_and_requests_resent() {
    let mut w = World::new(&[addr(1), addr(2)], &[addr(1), addr(2)], good_key(), |_| {});
    let global_id = w.mc.global_id();
    w.events.clear();
    w.pool_replies = false;
    let tid = w.mc.create_selfmanaged_snap(3);
    w.pump();
    assert!(w.events.is_empty());
    w.pool_replies = true;
    let (&id, _) = w.mons.iter().next().unwrap();
    w.mons.remove(&id);
    w.mc.handle_closed(id, w.now);
    w.pump();
    assert!(w.mc.is_connected());
    assert_eq!(w.events, [MonEvent::PoolOpDone { tid, result: Ok(5), epoch: 20 }]);
    // The old AUTH ticket kept our global_id.
    assert_eq!(w.mc.global_id(), global_id);
}

#[test]
fn a_silent_monitor_is_left_for_another() {
    let mut w = World::new(&[addr(1), addr(2)], &[addr(1), addr(2)], good_key(), |c| c.hunt_parallel = 1);
    let first = *w.mons.keys().next().unwrap();
    w.mons.get_mut(&first).unwrap().server.alive = false;
    w.run_until(secs(120), |w| w.mons.keys().any(|k| *k != first));
    assert!(w.mc.is_connected());
    // Keepalive interval 10 s, timeout 30 s: the switch happened by then.
    assert!(w.now <= secs(40), "{:?}", w.now);
}

#[test]
fn tickets_are_renewed_before_expiry() {
    let mut w = World::new(&[addr(1)], &[addr(1)], good_key(), |_| {});
    let (renew, expires) = w.mc.auth().ticket_times(auth::EntityType::OSD).unwrap();
    assert_eq!(renew, UtcTime::new(T0.sec + 450, 0));
    w.run_until(secs(500), |w| w.mauths > 0);
    assert!(w.now >= secs(450) && w.now < secs(451), "{:?}", w.now);
    w.pump();
    let (_, expires2) = w.mc.auth().ticket_times(auth::EntityType::OSD).unwrap();
    assert!(expires2 > expires);
    let authorizer = w.mc.build_authorizer(auth::EntityType::OSD, 9, w.now).unwrap();
    assert_eq!(authorizer.method(), auth::AuthMethod::CEPHX);
    assert_eq!(w.mc.build_authorizer(auth::EntityType::MDS, 9, w.now).unwrap_err(), Errno::EAGAIN);
}
