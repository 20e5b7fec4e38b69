//! The monitor map (MonMap::decode in src/mon/MonMap.cc; the kernel's
//! ceph_monmap_decode): fsid, epoch and each monitor's name and addresses.
//! Only what a client needs; the rest of the envelope is skipped.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::encoding::{Decode, DecodeError, Decoder, Encode, UtcTime};
use crate::msgr::{AddrType, EntityAddr, EntityAddrvec, Sockaddr};

/// One monitor (`mon_info_t`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonInfo {
    pub name: String,
    pub public_addrs: EntityAddrvec,
}

impl MonInfo {
    /// The monitor's msgr2 address, when it has one.
    pub fn msgr2_addr(&self) -> Option<&EntityAddr> {
        self.public_addrs.0.iter().find(|a| a.addr_type == AddrType::MSGR2)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonMap {
    pub fsid: [u8; 16],
    pub epoch: u32,
    /// In rank order (the map's `ranks`); a monitor `ranks` leaves out
    /// comes after the ranked ones.
    pub mons: Vec<MonInfo>,
}

/// Nautilus (v6) onwards stores `mon_info_t` with address vectors.
const MIN_VERSION: u8 = 6;

impl Decode for MonMap {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.versioned(6, |d, version| {
            if version < MIN_VERSION {
                return Err(DecodeError::Invalid("monmap older than Nautilus"));
            }
            let fsid = d.array()?;
            let epoch = d.u32()?;
            let _last_changed: UtcTime = d.decode()?;
            let _created: UtcTime = d.decode()?;
            // persistent and optional mon_feature_t.
            for _ in 0..2 {
                d.versioned(1, |d, _| {
                    d.u64()?;
                    Ok(())
                })?;
            }
            // map<string, mon_info_t>: a name and at least an envelope.
            let count = d.count(4 + 6)?;
            let mut mons = Vec::with_capacity(count);
            for _ in 0..count {
                let _key = d.str()?;
                mons.push(d.versioned(1, |d, _| {
                    let name = d.string()?;
                    let public_addrs = d.decode()?;
                    Ok(MonInfo { name, public_addrs })
                })?);
            }
            // vector<string> ranks: names, rank 0 first.
            let ranked = d.count(4)?;
            let mut ordered = Vec::with_capacity(mons.len());
            for _ in 0..ranked {
                let name = d.str()?;
                if let Some(i) = mons.iter().position(|m| m.name == name) {
                    ordered.push(mons.remove(i));
                }
            }
            ordered.append(&mut mons);
            Ok(MonMap { fsid, epoch, mons: ordered })
        })
    }
}

/// A test and fuzzing aid: the v6 layout with what [`MonMap`] keeps.
impl Encode for MonMap {
    fn encode(&self, out: &mut Vec<u8>) {
        crate::encoding::encode_versioned(out, 9, 6, |out| {
            out.extend_from_slice(&self.fsid);
            self.epoch.encode(out);
            UtcTime::default().encode(out);
            UtcTime::default().encode(out);
            for _ in 0..2 {
                crate::encoding::encode_versioned(out, 1, 1, |out| 0u64.encode(out));
            }
            (self.mons.len() as u32).encode(out);
            for mon in &self.mons {
                mon.name.encode(out);
                crate::encoding::encode_versioned(out, 5, 1, |out| {
                    mon.name.encode(out);
                    mon.public_addrs.encode(out);
                    0u16.encode(out);
                    0u16.encode(out);
                });
            }
            (self.mons.len() as u32).encode(out);
            for mon in &self.mons {
                mon.name.encode(out);
            }
        });
    }
}

/// The socket address of an [`EntityAddr`], when it is IP.
pub fn socket_addr(addr: &EntityAddr) -> Option<SocketAddr> {
    match addr.sockaddr {
        Sockaddr::V4 { ip, port } => Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        Sockaddr::V6 { ip, port, .. } => Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
        _ => None,
    }
}

/// A monitor's msgr2 [`EntityAddr`] for a socket address (nonce 0, as
/// monitors bind with).
pub fn mon_entity_addr(addr: SocketAddr) -> EntityAddr {
    let sockaddr = match addr {
        SocketAddr::V4(a) => Sockaddr::V4 { ip: a.ip().octets(), port: a.port() },
        SocketAddr::V6(a) => Sockaddr::V6 {
            ip: a.ip().octets(),
            port: a.port(),
            flowinfo: a.flowinfo().to_be_bytes(),
            scope_id: a.scope_id(),
        },
    };
    EntityAddr { addr_type: AddrType::MSGR2, nonce: 0, sockaddr }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::{decode_exact, encode_to_vec};

    /// `ceph mon getmap` of the one-monitor Pacific 16.2 test cluster.
    const PACIFIC_MONMAP: &[u8] = include_bytes!("testdata/monmap-pacific.bin");

    #[test]
    fn decodes_a_real_pacific_monmap() {
        let map: MonMap = decode_exact(PACIFIC_MONMAP).unwrap();
        let fsid = [0x73, 0x3f, 0x41, 0xf9, 0xc8, 0x24, 0x4d, 0xf5, 0x89, 0x61, 0xd1, 0x0a, 0x2d, 0x69, 0x8c, 0x3a];
        assert_eq!((map.fsid, map.epoch, map.mons.len()), (fsid, 1, 1));
        assert_eq!(map.mons[0].name, "a");
        let addrs = &map.mons[0].public_addrs.0;
        assert_eq!(addrs[0], EntityAddr::v4(AddrType::MSGR2, [127, 0, 0, 1], 3320, 0));
        assert_eq!(addrs[1], EntityAddr::v4(AddrType::LEGACY, [127, 0, 0, 1], 6791, 0));
        assert_eq!(map.mons[0].msgr2_addr(), Some(&addrs[0]));
    }

    #[test]
    fn monitors_come_in_rank_order() {
        let info = |name: &str, ip| MonInfo {
            name: name.into(),
            public_addrs: EntityAddrvec(alloc::vec![EntityAddr::v4(AddrType::MSGR2, [10, 0, 0, ip], 3300, 0)]),
        };
        let map = MonMap { fsid: [7; 16], epoch: 3, mons: alloc::vec![info("a", 2), info("b", 1)] };
        let mut bytes = encode_to_vec(&map);
        // The ranks are last: "a" then "b". Rank "b" first instead.
        let n = bytes.len();
        assert_eq!(&bytes[n - 10..], b"\x01\0\0\0a\x01\0\0\0b");
        (bytes[n - 6], bytes[n - 1]) = (b'b', b'a');
        let back: MonMap = decode_exact(&bytes).unwrap();
        let names: Vec<&str> = back.mons.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
    }

    #[test]
    fn round_trips_and_finds_msgr2_addrs() {
        let a = EntityAddr::v4(AddrType::MSGR2, [10, 0, 0, 1], 3300, 0);
        let b = EntityAddr::v4(AddrType::LEGACY, [10, 0, 0, 1], 6789, 0);
        let map = MonMap {
            fsid: [7; 16],
            epoch: 3,
            mons: alloc::vec![MonInfo { name: "a".into(), public_addrs: EntityAddrvec(alloc::vec![a.clone(), b]) }],
        };
        let bytes = encode_to_vec(&map);
        let back: MonMap = decode_exact(&bytes).unwrap();
        assert_eq!(back, map);
        assert_eq!(back.mons[0].msgr2_addr(), Some(&a));
        assert_eq!(socket_addr(&a), Some("10.0.0.1:3300".parse().unwrap()));
        assert_eq!(mon_entity_addr("10.0.0.1:3300".parse().unwrap()), a);
        // Every truncation fails cleanly.
        for cut in 0..bytes.len() {
            assert!(decode_exact::<MonMap>(&bytes[..cut]).is_err());
        }
        // A pre-Nautilus map is refused.
        let mut old = bytes.clone();
        old[0] = 5;
        assert!(decode_exact::<MonMap>(&old).is_err());
    }
}
