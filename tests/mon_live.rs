//! MonClient and Connection against a real monitor and OSDs: sessions in
//! crc and secure mode, the monmap and a full osdmap, a self-managed snap
//! id allocated and removed on pool `rbd`, a wrong key refused, and
//! authorized connections to an OSD with a keepalive round trip.
//!
//! Needs a cluster, so it is ignored by default; it starts one with
//! tests/cluster/ceph-cluster.sh unless RBDRS_CEPH_DIR already holds one:
//!   RBDRS_CEPH_DIR=/tmp/ceph-x RBDRS_CEPH_PORT=3300 RBDRS_CEPH_PORT_V1=6789 \
//!     cargo test -p rbdrs-tests --test mon_live -- --ignored --nocapture

mod live;

use std::net::SocketAddr;
use std::time::Duration;

use live::cluster::{cluster, json_number};
use live::driver::{Clock, ConnDriver, MonDriver};
use rbdrs_core::auth::{self, AuthClient, CryptoKey, EntityName, Keyring};
use rbdrs_core::mon::{msgr2_addrs, parse_mon_host, MonClient, MonClientConfig, MonEvent};
use rbdrs_core::msgr::{AddrType, ConMode, ConnAuth, ConnEvent, Connection, ConnectionConfig, EntityAddr, EntityType};
use rbdrs_core::Errno;

fn admin_auth(key: Option<CryptoKey>) -> AuthClient {
    let name = EntityName::client("admin");
    let key = key.unwrap_or_else(|| Keyring::parse(&cluster().admin_key()).unwrap().key_for(&name).unwrap().clone());
    let want = auth::EntityType(auth::EntityType::MON.0 | auth::EntityType::OSD.0 | auth::EntityType::MGR.0);
    AuthClient::cephx(name, key, want).unwrap()
}

fn mon_client(mode: ConMode, key: Option<CryptoKey>) -> MonDriver {
    let addrs = msgr2_addrs(&parse_mon_host(&cluster().mon_host).unwrap()).unwrap();
    let clock = Clock::new();
    let mut config = MonClientConfig::new(addrs, admin_auth(key));
    config.modes = vec![mode];
    config.wall_base = clock.wall_base;
    config.hostname = "mon-live".into();
    config.mount_timeout = Duration::from_secs(20);
    MonDriver::new(MonClient::new(config, clock.now(), std::process::id() as u64), clock)
}

fn connect(mode: ConMode) -> MonDriver {
    let mut d = mon_client(mode, None);
    let ready = d.run_until(Duration::from_secs(20), |e| matches!(e, MonEvent::Ready { .. } | MonEvent::Failed(_)));
    let Some(MonEvent::Ready { global_id, fsid }) = ready else { panic!("no session: {ready:?}") };
    assert_ne!(global_id, 0);
    assert_eq!(fsid, cluster().fsid());
    assert_eq!(d.mc.con_mode(), Some(mode));
    d
}

/// `ceph osd dump`: the epoch, pool rbd's id and snap_seq, OSD v2 addresses.
struct OsdDump {
    epoch: u32,
    rbd_pool: i64,
    rbd_snap_seq: u64,
    osds: Vec<EntityAddr>,
}

fn osd_dump() -> OsdDump {
    let json = cluster().ceph_json(&["osd", "dump"]);
    let epoch = json_number(&json, "epoch", 0).unwrap().0 as u32;
    let at = json.find("\"pool_name\":\"rbd\"").expect("pool rbd");
    let pool_at = json[..at].rfind("\"pool\":").unwrap();
    let rbd_pool = json_number(&json, "pool", pool_at).unwrap().0;
    let rbd_snap_seq = json_number(&json, "snap_seq", at).unwrap().0 as u64;
    let mut osds = Vec::new();
    let mut from = 0;
    while let Some(i) = json[from..].find("\"public_addrs\":{\"addrvec\":[{\"type\":\"v2\",\"addr\":\"") {
        let start = from + i + "\"public_addrs\":{\"addrvec\":[{\"type\":\"v2\",\"addr\":\"".len();
        let end = start + json[start..].find('"').unwrap();
        let addr: SocketAddr = json[start..end].parse().unwrap();
        let (nonce, next) = json_number(&json, "nonce", end).unwrap();
        let SocketAddr::V4(v4) = addr else { panic!("the test cluster is IPv4") };
        osds.push(EntityAddr::v4(AddrType::MSGR2, v4.ip().octets(), v4.port(), nonce as u32));
        from = next;
    }
    OsdDump { epoch, rbd_pool, rbd_snap_seq, osds }
}

#[test]
#[ignore = "needs a cluster: see the file's comment"]
fn sessions_maps_and_versions_in_both_modes() {
    for mode in [ConMode::CRC, ConMode::SECURE] {
        let mut d = connect(mode);
        let monmap = d.mc.monmap().unwrap().clone();
        assert_eq!(monmap.mons.len(), 1);
        assert!(monmap.mons[0].msgr2_addr().is_some(), "{monmap:?}");

        let dump = osd_dump();
        d.mc.subscribe_osdmap(0);
        let ev = d.run_until(Duration::from_secs(10), |e| matches!(e, MonEvent::OsdMaps(_)));
        let Some(MonEvent::OsdMaps(maps)) = ev else { panic!("no osdmap") };
        assert_eq!(maps.fsid, cluster().fsid());
        let (epoch, blob) = maps.maps.last().expect("a full map");
        assert_eq!(*epoch, dump.epoch, "full map epoch vs ceph osd dump");
        assert_eq!(maps.newest, dump.epoch);
        assert!(blob.len() > 100, "a full OSDMap is not tiny: {}", blob.len());

        let tid = d.mc.get_version("osdmap");
        let ev = d.run_until(Duration::from_secs(10), |e| matches!(e, MonEvent::Version { .. }));
        assert_eq!(ev, Some(MonEvent::Version { tid, newest: u64::from(dump.epoch), oldest: 1 }));
    }
}

#[test]
#[ignore = "needs a cluster: see the file's comment"]
fn selfmanaged_snap_ids_come_from_the_monitor() {
    let mut d = connect(ConMode::SECURE);
    let before = osd_dump();
    d.mc.set_osdmap_epoch(before.epoch);
    let tid = d.mc.create_selfmanaged_snap(before.rbd_pool);
    let ev = d.run_until(Duration::from_secs(20), |e| matches!(e, MonEvent::PoolOpDone { .. }));
    let Some(MonEvent::PoolOpDone { tid: got, result: Ok(snap), .. }) = ev else { panic!("{ev:?}") };
    assert_eq!(got, tid);
    assert_eq!(snap, before.rbd_snap_seq + 1);
    let after = osd_dump();
    assert_eq!(after.rbd_snap_seq, snap, "the pool's snap_seq is our snap");

    let tid = d.mc.delete_selfmanaged_snap(before.rbd_pool, snap);
    let ev = d.run_until(Duration::from_secs(20), |e| matches!(e, MonEvent::PoolOpDone { .. }));
    assert!(matches!(ev, Some(MonEvent::PoolOpDone { tid: got, result: Ok(0), .. }) if got == tid), "{ev:?}");

    // A pool that does not exist.
    let tid = d.mc.create_selfmanaged_snap(4242);
    let ev = d.run_until(Duration::from_secs(20), |e| matches!(e, MonEvent::PoolOpDone { .. }));
    let Some(MonEvent::PoolOpDone { tid: got, result: Err(errno), .. }) = ev else { panic!("{ev:?}") };
    assert_eq!(got, tid);
    eprintln!("snap on a missing pool: {errno:?}");
}

#[test]
#[ignore = "needs a cluster: see the file's comment"]
fn hunting_skips_a_closed_port_and_a_msgr1_port() {
    let targets = parse_mon_host(&cluster().mon_host).unwrap();
    let real = msgr2_addrs(&targets).unwrap()[0];
    // Nothing listens on port 9; the msgr1 port answers with a v1 banner.
    let v1 = cluster().mon_host.rsplit(':').next().unwrap().trim_end_matches(']').parse::<u16>().unwrap();
    let addrs = vec![SocketAddr::from(([127, 0, 0, 1], 9)), SocketAddr::from(([127, 0, 0, 1], v1)), real];
    let clock = Clock::new();
    let mut config = MonClientConfig::new(addrs, admin_auth(None));
    config.wall_base = clock.wall_base;
    config.hunt_parallel = 1;
    config.hunt_interval = Duration::from_secs(1);
    config.mount_timeout = Duration::from_secs(10);
    for seed in 0..3 {
        let mc = MonClient::new(config.clone(), clock.now(), seed);
        let mut d = MonDriver::new(mc, Clock::new());
        let ev = d.run_until(Duration::from_secs(10), |e| matches!(e, MonEvent::Ready { .. } | MonEvent::Failed(_)));
        assert!(matches!(ev, Some(MonEvent::Ready { .. })), "seed {seed}: {ev:?}");
    }
}

#[test]
#[ignore = "needs a cluster: see the file's comment"]
fn missing_tickets_are_fetched_over_mauth() {
    let mut d = connect(ConMode::CRC);
    // MDS is not among the tickets asked for at first: MonClient asks the
    // monitor with an MAuth (GET_PRINCIPAL_SESSION_KEY) and retries.
    let mds = auth::EntityType::MDS;
    assert_eq!(d.mc.build_authorizer(mds, 1, d.clock.now()).unwrap_err(), Errno::EAGAIN);
    let end = std::time::Instant::now() + Duration::from_secs(5);
    let authorizer = loop {
        d.run_until(Duration::from_millis(50), |_| false);
        match d.mc.build_authorizer(mds, 1, d.clock.now()) {
            Ok(a) => break a,
            Err(e) if std::time::Instant::now() < end => assert_eq!(e, Errno::EAGAIN),
            Err(e) => panic!("no MDS ticket: {e:?}"),
        }
    };
    assert_eq!(authorizer.method(), auth::AuthMethod::CEPHX);
    let (renew, expires) = d.mc.auth().ticket_times(mds).unwrap();
    assert!(renew < expires);
}

#[test]
#[ignore = "needs a cluster: see the file's comment"]
fn a_wrong_key_is_refused_quickly() {
    let mut d = mon_client(ConMode::CRC, Some(CryptoKey::new_aes([9; 16], Default::default())));
    // Timed from here: starting the cluster (on first use) does not count.
    let started = std::time::Instant::now();
    let ev = d.run_until(Duration::from_secs(10), |e| matches!(e, MonEvent::Ready { .. } | MonEvent::Failed(_)));
    assert_eq!(ev, Some(MonEvent::Failed(Errno::EACCES)));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
#[ignore = "needs a cluster: see the file's comment"]
fn authorized_osd_connections_in_both_modes() {
    let mut d = connect(ConMode::CRC);
    let dump = osd_dump();
    assert!(!dump.osds.is_empty());
    for (i, mode) in [ConMode::CRC, ConMode::SECURE].into_iter().enumerate() {
        let osd = dump.osds[i % dump.osds.len()].clone();
        let authorizer = d.mc.build_authorizer(auth::EntityType::OSD, 1000 + i as u64, d.clock.now()).unwrap();
        let clock = Clock::new();
        let mut config = ConnectionConfig::new(osd.clone(), EntityType::OSD);
        config.modes = vec![mode];
        config.wall_base = clock.wall_base;
        config.nonce = std::process::id();
        config.gid = d.mc.global_id() as i64;
        let conn = Connection::new(config, ConnAuth::Service(authorizer), clock.now(), 7 + i as u64);
        let socket = match osd.sockaddr {
            rbdrs_core::msgr::Sockaddr::V4 { ip, port } => SocketAddr::from((ip, port)),
            _ => unreachable!(),
        };
        let mut c = ConnDriver::connect(socket, conn, clock).unwrap();
        let ev = c.run_until(Duration::from_secs(10), None, |e, _| *e == ConnEvent::Ready);
        assert_eq!(ev, Some(ConnEvent::Ready), "{mode:?} to {socket}");
        assert_eq!(c.conn.con_mode(), mode);
        assert!(c.conn.peer_features() & rbdrs_core::msgr::features::SERVER_PACIFIC != 0);
        let now = c.clock.now();
        c.conn.send_keepalive(now);
        // An ack raises no event: run in short slices and look.
        let end = std::time::Instant::now() + Duration::from_secs(5);
        while c.conn.last_keepalive_ack().is_none() && std::time::Instant::now() < end {
            c.run_until(Duration::from_millis(50), None, |_, _| false);
        }
        assert!(c.conn.last_keepalive_ack().is_some(), "no KEEPALIVE2_ACK from the OSD");
    }
}
