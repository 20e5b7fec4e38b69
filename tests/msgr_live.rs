//! Talks msgr2 to a real monitor as far as framing alone goes: banners,
//! HELLO both ways, then an AUTH_REQUEST for the `none` method, which a
//! cephx cluster answers with AUTH_BAD_METHOD. The monitor checks our
//! preamble and segment crcs; we check its.
//!
//! Needs a cluster, so it is ignored by default:
//!   tests/cluster/ceph-cluster.sh start 1 && eval "$(tests/cluster/ceph-cluster.sh env)"
//!   cargo test -p rbdrs-tests --test msgr_live -- --ignored --nocapture

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use bytes::Bytes;
use rbdrs_core::msgr::payload::{AuthBadMethodFrame, AuthRequestFrame, HelloFrame};
use rbdrs_core::msgr::{
    AddrType, Banner, EntityAddr, EntityType, FrameAssembler, FrameDecoder, FramePayload, Sockaddr,
};

/// The v2 address out of `RBDRS_CEPH_MON_HOST` (`[v2:ip:port,v1:ip:port]`).
fn mon_v2_addr() -> SocketAddr {
    let hosts = std::env::var("RBDRS_CEPH_MON_HOST").expect("RBDRS_CEPH_MON_HOST: run ceph-cluster.sh env");
    let v2 = hosts
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .find_map(|a| a.strip_prefix("v2:"))
        .expect("a v2 address in RBDRS_CEPH_MON_HOST");
    v2.parse().expect("ip:port")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Conn {
    sock: TcpStream,
    asm: FrameAssembler,
    dec: FrameDecoder,
}

impl Conn {
    fn send(&mut self, payload: FramePayload) {
        let wire = self.asm.assemble(&payload.to_frame().unwrap());
        eprintln!("sent {:?}: {}", payload.tag(), hex(&wire));
        self.sock.write_all(&wire).unwrap();
    }

    fn recv(&mut self) -> FramePayload {
        loop {
            if let Some(frame) = self.dec.poll().unwrap() {
                eprintln!("received {:?}: {}", frame.tag(), hex(&self.dec.take_recording()));
                self.dec.start_recording();
                return FramePayload::from_frame(&frame).unwrap();
            }
            let mut buf = vec![0u8; self.dec.needed().max(1)];
            let n = self.sock.read(&mut buf).unwrap();
            assert!(n > 0, "monitor closed the connection");
            self.dec.push(&buf[..n]);
        }
    }
}

#[test]
#[ignore = "needs a running cluster: see the file's comment"]
fn hello_and_auth_bad_method_against_a_monitor() {
    let addr = mon_v2_addr();
    let mut sock = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();

    let ours = Banner::default();
    sock.write_all(&ours.encode()).unwrap();
    let mut got = Vec::new();
    let (peer, used) = loop {
        if let Some(parsed) = Banner::parse(&got).unwrap() {
            break parsed;
        }
        let mut byte = [0u8; 1];
        sock.read_exact(&mut byte).unwrap();
        got.push(byte[0]);
    };
    eprintln!("monitor banner: {}", hex(&got[..used]));
    peer.check_peer(&ours).unwrap();

    let mut conn = Conn { sock, asm: FrameAssembler::new(), dec: FrameDecoder::new() };
    conn.dec.start_recording();
    let (ip, port) = match addr {
        SocketAddr::V4(a) => (a.ip().octets(), a.port()),
        SocketAddr::V6(_) => panic!("the test cluster listens on 127.0.0.1"),
    };
    conn.send(
        HelloFrame { entity_type: EntityType::CLIENT, peer_addr: EntityAddr::v4(AddrType::MSGR2, ip, port, 0) }.into(),
    );
    let FramePayload::Hello(hello) = conn.recv() else { panic!("expected HELLO first") };
    assert_eq!(hello.entity_type, EntityType::MON);
    assert!(matches!(hello.peer_addr.sockaddr, Sockaddr::V4 { ip: [127, 0, 0, 1], .. }), "{hello:?}");

    // CEPH_AUTH_NONE with crc mode: a cephx-only monitor refuses the method.
    conn.send(AuthRequestFrame { method: 1, preferred_modes: vec![1], auth_payload: Bytes::new() }.into());
    let reply = conn.recv();
    eprintln!("monitor replied {reply:?}");
    let FramePayload::AuthBadMethod(AuthBadMethodFrame { method, result, allowed_methods, allowed_modes }) = reply
    else {
        panic!("expected AUTH_BAD_METHOD, got {reply:?}")
    };
    assert_eq!(method, 1);
    assert!(result < 0);
    assert!(allowed_methods.contains(&2), "cephx allowed: {allowed_methods:?}");
    assert!(!allowed_modes.is_empty());
}
