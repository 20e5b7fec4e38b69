//! cls_lock's stored and exchanged types (src/cls/lock/cls_lock_types.h)
//! and the two messenger types they embed (src/msg/msg_types.h).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::encoding::{encode_versioned, Decode, DecodeError, Decoder, Encode, UtcTime};

/// Decodes a struct written with DECODE_START_LEGACY_COMPAT_LEN(1, 1, 1):
/// version 0 predates the compat byte and the length, so its fields follow
/// the version byte directly.
pub(crate) fn decode_legacy_v1<'a, T>(
    d: &mut Decoder<'a>,
    body: impl FnOnce(&mut Decoder<'a>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    if d.rest().first() == Some(&0) {
        d.skip(1)?;
        return body(d);
    }
    d.versioned(1, |inner, _| body(inner))
}

/// ClsLockType. Kept as the raw byte: the class answers an unknown type
/// with -EINVAL rather than failing to decode.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClsLockType(pub u8);

impl ClsLockType {
    pub const NONE: ClsLockType = ClsLockType(0);
    pub const EXCLUSIVE: ClsLockType = ClsLockType(1);
    pub const SHARED: ClsLockType = ClsLockType(2);
    /// Exclusive, and the object is removed when the last locker goes.
    pub const EXCLUSIVE_EPHEMERAL: ClsLockType = ClsLockType(3);

    /// cls_lock_is_valid: a type a client may lock or assert with.
    pub const fn is_valid(self) -> bool {
        matches!(self.0, 1..=3)
    }

    pub const fn is_exclusive(self) -> bool {
        self.0 == Self::EXCLUSIVE.0 || self.0 == Self::EXCLUSIVE_EPHEMERAL.0
    }

    pub const fn is_ephemeral(self) -> bool {
        self.0 == Self::EXCLUSIVE_EPHEMERAL.0
    }

    /// cls_lock_type_str.
    pub const fn as_str(self) -> &'static str {
        match self.0 {
            0 => "none",
            1 => "exclusive",
            2 => "shared",
            3 => "exclusive-ephemeral",
            _ => "<unknown>",
        }
    }
}

impl fmt::Debug for ClsLockType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0..=3 => f.write_str(self.as_str()),
            n => write!(f, "ClsLockType({n})"),
        }
    }
}

impl Encode for ClsLockType {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.0);
    }
}

impl Decode for ClsLockType {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.u8().map(ClsLockType)
    }
}

/// entity_name_t: an entity's type (CEPH_ENTITY_TYPE_*) and number.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntityName {
    pub entity_type: u8,
    pub num: i64,
}

impl EntityName {
    pub const TYPE_MON: u8 = 0x01;
    pub const TYPE_MDS: u8 = 0x02;
    pub const TYPE_OSD: u8 = 0x04;
    pub const TYPE_CLIENT: u8 = 0x08;
    pub const TYPE_MGR: u8 = 0x10;

    /// `client.<global_id>`, how an OSD names a librados client.
    pub const fn client(global_id: u64) -> EntityName {
        // Global ids come from a monitor counter far below 2^63.
        EntityName { entity_type: Self::TYPE_CLIENT, num: global_id as i64 }
    }

    /// Reads `client.4150` (or any type's name) back; None if malformed.
    pub fn parse(text: &str) -> Option<EntityName> {
        let (kind, num) = text.split_once('.')?;
        let entity_type = [Self::TYPE_MON, Self::TYPE_MDS, Self::TYPE_OSD, Self::TYPE_CLIENT, Self::TYPE_MGR]
            .into_iter()
            .find(|t| EntityName { entity_type: *t, num: 0 }.type_str() == kind)?;
        Some(EntityName { entity_type, num: num.parse().ok()? })
    }

    const fn type_str(self) -> &'static str {
        match self.entity_type {
            Self::TYPE_MON => "mon",
            Self::TYPE_MDS => "mds",
            Self::TYPE_OSD => "osd",
            Self::TYPE_CLIENT => "client",
            Self::TYPE_MGR => "mgr",
            0x20 => "auth",
            _ => "unknown",
        }
    }
}

/// As Ceph prints it: `client.4150`, or `client.?` for a negative number.
impl fmt::Display for EntityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.num < 0 {
            write!(f, "{}.?", self.type_str())
        } else {
            write!(f, "{}.{}", self.type_str(), self.num)
        }
    }
}

impl fmt::Debug for EntityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// DENC: the type byte, then the number.
impl Encode for EntityName {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.entity_type);
        self.num.encode(out);
    }
}

impl Decode for EntityName {
    const MIN_LEN: usize = 9;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(EntityName { entity_type: d.u8()?, num: d.i64()? })
    }
}

/// AF_INET and AF_INET6 as Linux numbers them, which is what goes on the wire.
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;

/// entity_addr_t: the address type, the nonce that tells apart processes
/// on one address, and a Linux sockaddr (family, then `sa_data`: port in
/// network order, then the address).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct EntityAddr {
    pub addr_type: u32,
    pub nonce: u32,
    pub family: u16,
    /// What follows the family in a sockaddr_in6-sized union.
    pub sa_data: [u8; 26],
}

impl EntityAddr {
    pub const TYPE_NONE: u32 = 0;
    /// msgr1. cls_lock records every locker with this type.
    pub const TYPE_LEGACY: u32 = 1;
    pub const TYPE_MSGR2: u32 = 2;
    pub const TYPE_ANY: u32 = 3;

    /// An IPv4 address of 0.0.0.0, port 0: what a client that has not
    /// learned its own address is known by.
    pub const fn blank_ipv4(addr_type: u32, nonce: u32) -> EntityAddr {
        EntityAddr { addr_type, nonce, family: AF_INET, sa_data: [0; 26] }
    }

    /// get_sockaddr_len: the encoded sockaddr's size for this family.
    pub const fn sockaddr_len(&self) -> usize {
        match self.family {
            AF_INET => 16,
            // sockaddr_in6, and the whole union for any other family.
            _ => 28,
        }
    }

    pub const fn port(&self) -> u16 {
        u16::from_be_bytes([self.sa_data[0], self.sa_data[1]])
    }

    /// The old (pre-MSG_ADDR2) decoding, after its first byte: the rest of
    /// a zero u32 type, the nonce and a 128-byte sockaddr_storage whose
    /// family is big-endian.
    fn decode_legacy_after_marker(d: &mut Decoder<'_>) -> Result<EntityAddr, DecodeError> {
        d.skip(3)?;
        let nonce = d.u32()?;
        let storage = d.take(128)?;
        let family = u16::from_be_bytes([storage[0], storage[1]]);
        let mut addr = EntityAddr { addr_type: Self::TYPE_LEGACY, nonce, ..EntityAddr::default() };
        // set_sockaddr keeps only families it knows.
        if family == AF_INET || family == AF_INET6 {
            addr.family = family;
            let len = addr.sockaddr_len() - 2;
            addr.sa_data[..len].copy_from_slice(&storage[2..2 + len]);
        }
        Ok(addr)
    }
}

impl EntityAddr {
    /// As entity_addr_t::get_legacy_str: "ip:port/nonce", no type (what
    /// `rbd lock ls` and `rbd status` print).
    pub fn legacy(&self) -> LegacyAddr<'_> {
        LegacyAddr(self)
    }
}

/// An [`EntityAddr`] shown without its type.
#[derive(Debug)]
pub struct LegacyAddr<'a>(&'a EntityAddr);

impl fmt::Display for LegacyAddr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0;
        match a.family {
            AF_INET => {
                let ip = &a.sa_data[2..6];
                write!(f, "{}.{}.{}.{}:{}/{}", ip[0], ip[1], ip[2], ip[3], a.port(), a.nonce)
            }
            AF_INET6 => {
                let ip = &a.sa_data[6..22];
                f.write_str("[")?;
                for (i, pair) in ip.chunks(2).enumerate() {
                    if i > 0 {
                        f.write_str(":")?;
                    }
                    write!(f, "{:x}", u16::from_be_bytes([pair[0], pair[1]]))?;
                }
                write!(f, "]:{}/{}", a.port(), a.nonce)
            }
            _ => write!(f, "-/{}", a.nonce),
        }
    }
}

impl fmt::Debug for EntityAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.addr_type {
            Self::TYPE_NONE => "none",
            Self::TYPE_LEGACY => "v1",
            Self::TYPE_MSGR2 => "v2",
            Self::TYPE_ANY => "any",
            _ => "???",
        };
        match self.family {
            AF_INET => {
                let ip = &self.sa_data[2..6];
                write!(f, "{kind}:{}.{}.{}.{}:{}/{}", ip[0], ip[1], ip[2], ip[3], self.port(), self.nonce)
            }
            family => write!(f, "{kind}:(family {family}):{}/{}", self.port(), self.nonce),
        }
    }
}

/// The MSG_ADDR2 encoding every current peer uses: a marker byte 1, then a
/// versioned struct of type, nonce and the sockaddr (family little-endian,
/// then its bytes).
impl Encode for EntityAddr {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
        encode_versioned(out, 1, 1, |out| {
            self.addr_type.encode(out);
            self.nonce.encode(out);
            let len = self.sockaddr_len();
            (len as u32).encode(out);
            self.family.encode(out);
            out.extend_from_slice(&self.sa_data[..len - 2]);
        });
    }
}

impl Decode for EntityAddr {
    const MIN_LEN: usize = 19;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        match d.u8()? {
            0 => Self::decode_legacy_after_marker(d),
            1 => d.versioned(1, |d, _| {
                let mut addr = EntityAddr { addr_type: d.u32()?, nonce: d.u32()?, ..EntityAddr::default() };
                let len = d.u32()? as usize;
                if len == 0 {
                    return Ok(addr);
                }
                if len < 2 {
                    return Err(DecodeError::Invalid("entity_addr_t sockaddr shorter than its family"));
                }
                addr.family = d.u16()?;
                if len > addr.sockaddr_len() {
                    return Err(DecodeError::Invalid("entity_addr_t sockaddr longer than its family's"));
                }
                addr.sa_data[..len - 2].copy_from_slice(d.take(len - 2)?);
                Ok(addr)
            }),
            _ => Err(DecodeError::Invalid("entity_addr_t marker")),
        }
    }
}

/// locker_id_t: who holds a lock. One client may hold it under several
/// cookies (shared locks).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LockerId {
    pub locker: EntityName,
    pub cookie: String,
}

impl Encode for LockerId {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_versioned(out, 1, 1, |out| {
            self.locker.encode(out);
            self.cookie.encode(out);
        });
    }
}

impl Decode for LockerId {
    // Version 0 has neither compat byte nor length.
    const MIN_LEN: usize = 14;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        decode_legacy_v1(d, |d| Ok(LockerId { locker: d.decode()?, cookie: d.string()? }))
    }
}

/// locker_info_t: when the hold expires (zero: never), the holder's
/// address, and its free-form description.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockerInfo {
    pub expiration: UtcTime,
    pub addr: EntityAddr,
    pub description: String,
}

impl Encode for LockerInfo {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_versioned(out, 1, 1, |out| {
            self.expiration.encode(out);
            self.addr.encode(out);
            self.description.encode(out);
        });
    }
}

impl Decode for LockerInfo {
    const MIN_LEN: usize = 32;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        decode_legacy_v1(d, |d| Ok(LockerInfo { expiration: d.decode()?, addr: d.decode()?, description: d.string()? }))
    }
}

/// lock_info_t, which the class keeps in the `lock.<name>` xattr; get_info
/// replies with the same layout (cls_lock_get_info_reply).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockInfo {
    pub lockers: BTreeMap<LockerId, LockerInfo>,
    pub lock_type: ClsLockType,
    /// Every holder must lock with this tag while anyone holds the lock.
    pub tag: String,
}

impl Encode for LockInfo {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_versioned(out, 1, 1, |out| {
            self.lockers.encode(out);
            self.lock_type.encode(out);
            self.tag.encode(out);
        });
    }
}

impl Decode for LockInfo {
    const MIN_LEN: usize = 10;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        decode_legacy_v1(d, |d| Ok(LockInfo { lockers: d.decode()?, lock_type: d.decode()?, tag: d.string()? }))
    }
}
