//! The wire types the msgr2 frames carry: entity types, addresses
//! (`entity_addr_t`, `entity_addrvec_t` in src/msg/msg_types.h) and the
//! message header (`ceph_msg_header2` in src/include/msgr.h).

use alloc::vec::Vec;

use crate::encoding::{encode_versioned, Decode, DecodeError, Decoder, Encode};

pub use crate::entity::EntityType;

/// `entity_addr_t::TYPE_*`: which protocol an address speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddrType(pub u32);

impl AddrType {
    pub const NONE: AddrType = AddrType(0);
    pub const LEGACY: AddrType = AddrType(1);
    pub const MSGR2: AddrType = AddrType(2);
    pub const ANY: AddrType = AddrType(3);
    pub const CIDR: AddrType = AddrType(4);
}

/// `CEPH_CON_MODE_*`: what AUTH_DONE says the connection continues in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConMode(pub u32);

impl ConMode {
    pub const UNKNOWN: ConMode = ConMode(0);
    pub const CRC: ConMode = ConMode(1);
    pub const SECURE: ConMode = ConMode(2);

    /// Bytes of connection secret a service generates for this mode
    /// (AuthConnectionMeta::get_connection_secret_length).
    pub const fn connection_secret_len(self) -> usize {
        match self {
            ConMode::SECURE => 64,
            _ => 0,
        }
    }
}

// Linux's address families; the sockaddr travels in the sender's memory
// layout, and every Ceph platform that matters is little-endian Linux.
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
const SOCKADDR_IN_LEN: usize = 16;
const SOCKADDR_IN6_LEN: usize = 28;
/// `sizeof` the sockaddr union in entity_addr_t: what an address of an
/// unknown family (a blank one) encodes.
const SOCKADDR_UNION_LEN: usize = SOCKADDR_IN6_LEN;

/// The socket address inside an [`EntityAddr`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Sockaddr {
    /// No sockaddr bytes at all (`elen` 0).
    Empty,
    /// `sockaddr_in`; the port is in host order here, network order on the wire.
    V4 { ip: [u8; 4], port: u16 },
    /// `sockaddr_in6`; `flowinfo` and `scope_id` are kept as sent.
    V6 { ip: [u8; 16], port: u16, flowinfo: [u8; 4], scope_id: u32 },
    /// Any other family (a blank address is family 0): the raw bytes,
    /// family included, at most the size of the sockaddr union.
    Other(Vec<u8>),
}

impl Sockaddr {
    /// The blank address Ceph encodes for "not known yet": family 0 and
    /// zeros over the whole sockaddr union.
    pub fn blank() -> Self {
        Sockaddr::Other(alloc::vec![0; SOCKADDR_UNION_LEN])
    }

    fn encoded_len(&self) -> usize {
        match self {
            Sockaddr::Empty => 0,
            Sockaddr::V4 { .. } => SOCKADDR_IN_LEN,
            Sockaddr::V6 { .. } => SOCKADDR_IN6_LEN,
            Sockaddr::Other(raw) => raw.len(),
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Sockaddr::Empty => {}
            Sockaddr::V4 { ip, port } => {
                out.extend_from_slice(&AF_INET.to_le_bytes());
                out.extend_from_slice(&port.to_be_bytes());
                out.extend_from_slice(ip);
                out.extend_from_slice(&[0; 8]);
            }
            Sockaddr::V6 { ip, port, flowinfo, scope_id } => {
                out.extend_from_slice(&AF_INET6.to_le_bytes());
                out.extend_from_slice(&port.to_be_bytes());
                out.extend_from_slice(flowinfo);
                out.extend_from_slice(ip);
                out.extend_from_slice(&scope_id.to_le_bytes());
            }
            Sockaddr::Other(raw) => out.extend_from_slice(raw),
        }
    }

    fn decode_body(raw: &[u8]) -> Result<Self, DecodeError> {
        if raw.is_empty() {
            return Ok(Sockaddr::Empty);
        }
        // entity_addr_t::decode: the family must be there, and the bytes
        // may not run past the sockaddr the family implies.
        let family = match raw {
            [a, b, ..] => u16::from_le_bytes([*a, *b]),
            _ => return Err(DecodeError::Invalid("sockaddr shorter than its family")),
        };
        let mut d = Decoder::new(raw);
        d.skip(2)?;
        match family {
            AF_INET if raw.len() == SOCKADDR_IN_LEN => {
                let port = u16::from_be_bytes(d.array()?);
                let ip = d.array()?;
                Ok(Sockaddr::V4 { ip, port })
            }
            AF_INET6 if raw.len() == SOCKADDR_IN6_LEN => {
                let port = u16::from_be_bytes(d.array()?);
                let flowinfo = d.array()?;
                let ip = d.array()?;
                let scope_id = d.u32()?;
                Ok(Sockaddr::V6 { ip, port, flowinfo, scope_id })
            }
            AF_INET | AF_INET6 => Err(DecodeError::Invalid("sockaddr length does not match its family")),
            _ if raw.len() <= SOCKADDR_UNION_LEN => Ok(Sockaddr::Other(raw.to_vec())),
            _ => Err(DecodeError::Invalid("sockaddr longer than the sockaddr union")),
        }
    }
}

/// `entity_addr_t` in its MSG_ADDR2 encoding: marker `1`, then a versioned
/// envelope (v1) of type, nonce and the sockaddr bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EntityAddr {
    pub addr_type: AddrType,
    pub nonce: u32,
    pub sockaddr: Sockaddr,
}

impl EntityAddr {
    /// What entity_addr_t's default constructor gives: TYPE_NONE, blank.
    pub fn blank() -> Self {
        EntityAddr { addr_type: AddrType::NONE, nonce: 0, sockaddr: Sockaddr::blank() }
    }

    pub fn v4(addr_type: AddrType, ip: [u8; 4], port: u16, nonce: u32) -> Self {
        EntityAddr { addr_type, nonce, sockaddr: Sockaddr::V4 { ip, port } }
    }
}

/// The marker byte before an MSG_ADDR2 entity_addr_t.
const ADDR_MARKER: u8 = 1;
/// The marker byte before an entity_addrvec_t's vector.
const ADDRVEC_MARKER: u8 = 2;

impl Encode for EntityAddr {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(ADDR_MARKER);
        self.encode_after_marker(out);
    }
}

impl EntityAddr {
    fn encode_after_marker(&self, out: &mut Vec<u8>) {
        encode_versioned(out, 1, 1, |out| {
            self.addr_type.0.encode(out);
            self.nonce.encode(out);
            (self.sockaddr.encoded_len() as u32).encode(out);
            self.sockaddr.encode_body(out);
        });
    }

    fn decode_after_marker(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.versioned(1, |d, _version| {
            let addr_type = AddrType(d.u32()?);
            let nonce = d.u32()?;
            let sockaddr = Sockaddr::decode_body(d.bytes()?)?;
            Ok(EntityAddr { addr_type, nonce, sockaddr })
        })
    }
}

impl Decode for EntityAddr {
    // Marker, envelope header, type, nonce, sockaddr length.
    const MIN_LEN: usize = 1 + 6 + 12;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        match d.u8()? {
            ADDR_MARKER => Self::decode_after_marker(d),
            // msgr2 requires MSG_ADDR2 of every peer, so the legacy
            // (marker 0) form never appears in its frames.
            0 => Err(DecodeError::Invalid("legacy entity_addr_t in a msgr2 frame")),
            _ => Err(DecodeError::Invalid("entity_addr_t marker")),
        }
    }
}

/// `entity_addrvec_t`: marker `2` and a vector of [`EntityAddr`]. A lone
/// MSG_ADDR2 address (marker `1`) also decodes, as upstream allows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct EntityAddrvec(pub Vec<EntityAddr>);

impl Encode for EntityAddrvec {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(ADDRVEC_MARKER);
        (self.0.len() as u32).encode(out);
        self.0.iter().for_each(|addr| addr.encode(out));
    }
}

impl Decode for EntityAddrvec {
    const MIN_LEN: usize = 5;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        match d.u8()? {
            ADDRVEC_MARKER => {
                let count = d.count(EntityAddr::MIN_LEN)?;
                let mut addrs = Vec::with_capacity(count);
                for _ in 0..count {
                    addrs.push(d.decode()?);
                }
                Ok(EntityAddrvec(addrs))
            }
            ADDR_MARKER => Ok(EntityAddrvec(alloc::vec![EntityAddr::decode_after_marker(d)?])),
            0 => Err(DecodeError::Invalid("legacy entity_addrvec_t in a msgr2 frame")),
            _ => Err(DecodeError::Invalid("entity_addrvec_t marker")),
        }
    }
}

/// `ceph_msg_header2`: the first segment of a MESSAGE frame, 41 packed
/// bytes. Segment lengths are not in it; the preamble carries them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MsgHeader2 {
    pub seq: u64,
    pub tid: u64,
    pub msg_type: u16,
    pub priority: u16,
    pub version: u16,
    pub data_pre_padding_len: u32,
    pub data_off: u16,
    pub ack_seq: u64,
    pub flags: u8,
    pub compat_version: u16,
    pub reserved: u16,
}

impl MsgHeader2 {
    pub const LEN: usize = 41;
}

impl Encode for MsgHeader2 {
    fn encode(&self, out: &mut Vec<u8>) {
        self.seq.encode(out);
        self.tid.encode(out);
        self.msg_type.encode(out);
        self.priority.encode(out);
        self.version.encode(out);
        self.data_pre_padding_len.encode(out);
        self.data_off.encode(out);
        self.ack_seq.encode(out);
        self.flags.encode(out);
        self.compat_version.encode(out);
        self.reserved.encode(out);
    }
}

impl Decode for MsgHeader2 {
    const MIN_LEN: usize = MsgHeader2::LEN;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(MsgHeader2 {
            seq: d.u64()?,
            tid: d.u64()?,
            msg_type: d.u16()?,
            priority: d.u16()?,
            version: d.u16()?,
            data_pre_padding_len: d.u32()?,
            data_off: d.u16()?,
            ack_seq: d.u64()?,
            flags: d.u8()?,
            compat_version: d.u16()?,
            reserved: d.u16()?,
        })
    }
}

/// As entity_addr_t's `operator<<`: `v1:`/`v2:` (none for ANY), the
/// socket address, `/nonce`; `-` for TYPE_NONE.
impl core::fmt::Display for EntityAddr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.addr_type {
            AddrType::NONE => return f.write_str("-"),
            AddrType::LEGACY => f.write_str("v1:")?,
            AddrType::MSGR2 => f.write_str("v2:")?,
            AddrType::ANY => {}
            _ => f.write_str("cidr:")?,
        }
        match &self.sockaddr {
            Sockaddr::V4 { ip, port } => write!(f, "{}:{}", core::net::Ipv4Addr::from(*ip), port)?,
            Sockaddr::V6 { ip, port, .. } => write!(f, "[{}]:{}", core::net::Ipv6Addr::from(*ip), port)?,
            Sockaddr::Empty | Sockaddr::Other(_) => f.write_str("-")?,
        }
        write!(f, "/{}", self.nonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::{decode_exact, encode_to_vec};

    #[test]
    fn v4_addr_matches_msg_types_layout() {
        // entity_addr_t::encode with MSG_ADDR2: marker, ENCODE_START(1, 1),
        // type, nonce, elen, then the raw sockaddr_in (family in host order,
        // port in network order, address, 8 bytes of sin_zero).
        let addr = EntityAddr::v4(AddrType::MSGR2, [127, 0, 0, 1], 3300, 7);
        let mut want = alloc::vec![1, 1, 1, 28, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 16, 0, 0, 0];
        want.extend_from_slice(&[2, 0, 0x0c, 0xe4, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(encode_to_vec(&addr), want);
        assert_eq!(decode_exact::<EntityAddr>(&want), Ok(addr));
    }

    #[test]
    fn addrvec_round_trips_and_accepts_a_lone_addr() {
        let v6 = EntityAddr {
            addr_type: AddrType::ANY,
            nonce: 1,
            sockaddr: Sockaddr::V6 { ip: [0xfe; 16], port: 6789, flowinfo: [1, 2, 3, 4], scope_id: 5 },
        };
        let vec = EntityAddrvec(alloc::vec![v6.clone(), EntityAddr::blank()]);
        let bytes = encode_to_vec(&vec);
        assert_eq!(bytes[0], 2);
        assert_eq!(decode_exact::<EntityAddrvec>(&bytes), Ok(vec));
        let lone = encode_to_vec(&v6);
        assert_eq!(decode_exact::<EntityAddrvec>(&lone), Ok(EntityAddrvec(alloc::vec![v6])));
    }

    #[test]
    fn bad_sockaddrs_are_refused() {
        let mut bytes = encode_to_vec(&EntityAddr::v4(AddrType::MSGR2, [10, 0, 0, 1], 1, 0));
        // Claim AF_INET6 over a sockaddr_in's 16 bytes.
        bytes[19] = 10;
        assert!(decode_exact::<EntityAddr>(&bytes).is_err());
        let mut too_long = alloc::vec![1, 1, 1, 12 + 30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 30, 0, 0, 0];
        too_long.extend_from_slice(&[0; 30]);
        assert!(decode_exact::<EntityAddr>(&too_long).is_err());
        assert!(decode_exact::<EntityAddr>(&[0, 0, 0, 0]).is_err());
    }

    #[test]
    fn header2_is_41_bytes() {
        let header = MsgHeader2 { seq: 1, tid: 2, msg_type: 42, flags: 3, ..MsgHeader2::default() };
        let bytes = encode_to_vec(&header);
        assert_eq!(bytes.len(), MsgHeader2::LEN);
        assert_eq!(decode_exact::<MsgHeader2>(&bytes), Ok(header));
    }
}
