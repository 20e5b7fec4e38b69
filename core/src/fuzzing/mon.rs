//! Fuzzes what a monitor sends a client: the monmap, MOSDMap, the
//! version, pool-op, statfs, pool-stats, command and auth replies, pongs, and `mon_host`
//! text. Whatever
//! decodes must encode back to something that decodes the same.

use crate::encoding::{decode_exact, encode_to_vec};
use crate::mon::messages::{self, AuthReply, OsdMapMessage, PoolOpReply, VersionReply};
use crate::mon::{parse_mon_host, MonMap};

pub fn run(data: &[u8]) {
    if let Ok(map) = decode_exact::<MonMap>(data) {
        let again: MonMap = decode_exact(&encode_to_vec(&map)).expect("a decoded monmap re-encodes");
        assert_eq!(again, map);
    }
    let _ = messages::decode_mon_map(data);
    for version in [2, 3, 4] {
        if let Ok(m) = OsdMapMessage::decode(data, version) {
            let msg = m.encode();
            assert_eq!(OsdMapMessage::decode(&msg.front, msg.version), Ok(m));
        }
    }
    if let Ok(r) = decode_exact::<PoolOpReply>(data) {
        assert_eq!(decode_exact::<PoolOpReply>(&encode_to_vec(&r)), Ok(r));
    }
    if let Ok(r) = decode_exact::<AuthReply>(data) {
        assert_eq!(decode_exact::<AuthReply>(&encode_to_vec(&r)), Ok(r));
    }
    if let Ok(ack) = crate::encoding::Decoder::new(data).decode::<messages::CommandAck>() {
        let msg = messages::command_ack_message(1, &ack, bytes::Bytes::new());
        assert_eq!(crate::encoding::Decoder::new(&msg.front).decode::<messages::CommandAck>(), Ok(ack));
    }
    let _ = crate::mon::tell::decode_pong(data);
    if let Ok(r) = decode_exact::<messages::CommandReply>(data) {
        assert_eq!(encode_to_vec(&r), data);
    }
    if let Ok(stats) = decode_exact::<messages::Statfs>(data) {
        assert_eq!(decode_exact::<messages::Statfs>(&encode_to_vec(&stats)), Ok(stats));
    }
    for version in [1, 2] {
        if let Ok(r) = crate::mon::pool_stats::PoolStatsReply::decode(data, version) {
            let msg = r.encode(1);
            assert_eq!(crate::mon::pool_stats::PoolStatsReply::decode(&msg.front, msg.version), Ok(r));
        }
    }
    if let Ok(r) = decode_exact::<VersionReply>(data) {
        assert_eq!(encode_to_vec(&r), data);
    }
    if let Ok(text) = core::str::from_utf8(data) {
        if let Ok(targets) = parse_mon_host(text) {
            assert!(!targets.is_empty());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::run_seeded;
    use crate::msgr::{AddrType, EntityAddr, EntityAddrvec};
    use alloc::vec::Vec;
    use bytes::Bytes;

    fn seeds() -> Vec<Vec<u8>> {
        let addr = EntityAddr::v4(AddrType::MSGR2, [127, 0, 0, 1], 3300, 0);
        let map = MonMap {
            fsid: [1; 16],
            epoch: 4,
            mons: alloc::vec![crate::mon::MonInfo { name: "a".into(), public_addrs: EntityAddrvec(alloc::vec![addr]) }],
        };
        let osdmaps = OsdMapMessage {
            fsid: [2; 16],
            incrementals: alloc::vec![(3, Bytes::from_static(b"inc"))],
            maps: alloc::vec![(4, Bytes::from_static(b"full"))],
            oldest: 1,
            newest: 4,
        };
        let reply = PoolOpReply {
            fsid: [3; 16],
            code: -2,
            epoch: 9,
            data: Some(Bytes::from_static(&[5, 0, 0, 0, 0, 0, 0, 0])),
        };
        let auth = AuthReply {
            protocol: 2,
            result: 0,
            global_id: 4100,
            payload: Bytes::from_static(b"x"),
            message: "".into(),
        };
        alloc::vec![
            encode_to_vec(&map),
            include_bytes!("../mon/testdata/monmap-pacific.bin").to_vec(),
            messages::mon_map_message(&map).front.to_vec(),
            osdmaps.encode().front.to_vec(),
            encode_to_vec(&reply),
            encode_to_vec(&auth),
            encode_to_vec(&VersionReply { tid: 1, newest: 2, oldest: 1 }),
            encode_to_vec(&messages::CommandReply { result: -22, status: "unknown command".into() }),
            crate::mon::pool_stats::PoolStatsReply {
                stats: alloc::vec![("rbd".into(), Default::default())],
                per_pool: true
            }
            .encode(3)
            .front
            .to_vec(),
            b"[v2:1.2.3.4:3300,v1:1.2.3.4:6789] [::1]:3300 mon.example:3300".to_vec(),
        ]
    }

    #[test]
    fn seed_corpus() {
        for seed in seeds() {
            run(&seed);
            for cut in 0..seed.len() {
                run(&seed[..cut]);
            }
        }
    }

    #[test]
    fn random_inputs() {
        run_seeded(0x6d6f6e, 2000, 300, run);
    }
}
