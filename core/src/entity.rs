//! Entity types, shared by the messenger, cephx and the monitor session.

use core::fmt;

/// `CEPH_ENTITY_TYPE_*`: what kind of daemon or client an entity is. One
/// bit each, so that a value is also a set: cephx names services, and asks
/// for their tickets, by these bits. Open: a peer may announce a type this
/// list lacks. The messenger carries it as one byte.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntityType(pub u32);

impl EntityType {
    pub const MON: EntityType = EntityType(0x01);
    pub const MDS: EntityType = EntityType(0x02);
    pub const OSD: EntityType = EntityType(0x04);
    pub const CLIENT: EntityType = EntityType(0x08);
    pub const MGR: EntityType = EntityType(0x10);
    pub const AUTH: EntityType = EntityType(0x20);
    /// The messenger's wildcard.
    pub const ANY: EntityType = EntityType(0xff);

    const NAMES: [(EntityType, &'static str); 6] = [
        (EntityType::AUTH, "auth"),
        (EntityType::MON, "mon"),
        (EntityType::OSD, "osd"),
        (EntityType::MDS, "mds"),
        (EntityType::MGR, "mgr"),
        (EntityType::CLIENT, "client"),
    ];

    /// ceph_entity_type_name, for a single type.
    pub fn name(self) -> Option<&'static str> {
        EntityType::NAMES.iter().find(|(t, _)| *t == self).map(|(_, n)| *n)
    }

    /// As ceph_entity_type_name: "unknown" for what has no single name.
    pub fn as_str(self) -> &'static str {
        self.name().unwrap_or("unknown")
    }

    pub fn from_name(name: &str) -> Option<EntityType> {
        EntityType::NAMES.iter().find(|(_, n)| *n == name).map(|(t, _)| *t)
    }

    pub const fn contains(self, other: EntityType) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn union(self, other: EntityType) -> EntityType {
        EntityType(self.0 | other.0)
    }

    /// The single-bit types in this set, lowest first, as cephx walks them.
    pub fn iter(self) -> impl Iterator<Item = EntityType> {
        (0..32).map(|b| 1u32 << b).filter(move |bit| self.0 & bit != 0).map(EntityType)
    }
}

impl fmt::Debug for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "EntityType({:#x})", self.0),
        }
    }
}
