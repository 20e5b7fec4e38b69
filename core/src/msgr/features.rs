//! Ceph feature bits (`CEPH_FEATURE_*` in src/include/ceph_features.h):
//! what a client advertises in CLIENT_IDENT and what the messages it
//! encodes (MOSDOp, MMonSubscribe, ...) may assume of a peer.
//!
//! A feature defined in a later "incarnation" reuses a retired bit and is
//! only present when the incarnation's marker bits are too: test those
//! with the `*_MASK` constants and [`has`].

/// Incarnation markers: features from Jewel on carry SERVER_JEWEL's bit,
/// from Mimic on also SERVER_MIMIC's.
pub const INCARNATION_2: u64 = 1 << 57;
pub const INCARNATION_3: u64 = INCARNATION_2 | (1 << 28);

pub const UID: u64 = 1 << 0;
pub const NOSRCADDR: u64 = 1 << 1;
pub const SERVER_NAUTILUS: u64 = 1 << 2;
pub const FLOCK: u64 = 1 << 3;
pub const SUBSCRIBE2: u64 = 1 << 4;
pub const MONNAMES: u64 = 1 << 5;
pub const RECONNECT_SEQ: u64 = 1 << 6;
pub const DIRLAYOUTHASH: u64 = 1 << 7;
pub const OBJECTLOCATOR: u64 = 1 << 8;
pub const PGID64: u64 = 1 << 9;
pub const INCSUBOSDMAP: u64 = 1 << 10;
pub const PGPOOL3: u64 = 1 << 11;
pub const OSDREPLYMUX: u64 = 1 << 12;
pub const OSDENC: u64 = 1 << 13;
pub const SERVER_KRAKEN: u64 = 1 << 14;
pub const MONENC: u64 = 1 << 15;
pub const SERVER_OCTOPUS: u64 = 1 << 16;
pub const OSD_REPOP_MLCOD: u64 = 1 << 16;
pub const CRUSH_TUNABLES: u64 = 1 << 18;
pub const OSD_PGLOG_HARDLIMIT: u64 = 1 << 19;
pub const SERVER_PACIFIC: u64 = 1 << 20;
pub const SERVER_LUMINOUS: u64 = 1 << 21;
pub const RESEND_ON_SPLIT: u64 = 1 << 21;
pub const RADOS_BACKOFF: u64 = 1 << 21;
pub const OSDMAP_PG_UPMAP: u64 = 1 << 21;
pub const CRUSH_CHOOSE_ARGS: u64 = 1 << 21;
pub const OSD_FIXED_COLLECTION_LIST: u64 = 1 << 22;
pub const MSG_AUTH: u64 = 1 << 23;
pub const RECOVERY_RESERVATION_2: u64 = 1 << 24;
pub const CRUSH_TUNABLES2: u64 = 1 << 25;
pub const CREATEPOOLID: u64 = 1 << 26;
pub const REPLY_CREATE_INODE: u64 = 1 << 27;
pub const SERVER_MIMIC: u64 = 1 << 28;
pub const MDSENC: u64 = 1 << 29;
pub const OSDHASHPSPOOL: u64 = 1 << 30;
pub const SERVER_REEF: u64 = 1 << 31;
pub const STRETCH_MODE: u64 = 1 << 32;
pub const SERVER_QUINCY: u64 = 1 << 33;
pub const RANGE_BLOCKLIST: u64 = 1 << 34;
pub const OSD_CACHEPOOL: u64 = 1 << 35;
pub const CRUSH_V2: u64 = 1 << 36;
pub const EXPORT_PEER: u64 = 1 << 37;
pub const OSDMAP_ENC: u64 = 1 << 39;
pub const MDS_INLINE_DATA: u64 = 1 << 40;
pub const CRUSH_TUNABLES3: u64 = 1 << 41;
pub const OSD_PRIMARY_AFFINITY: u64 = 1 << 41;
pub const MSGR_KEEPALIVE2: u64 = 1 << 42;
pub const OSD_POOLRESEND: u64 = 1 << 43;
pub const OSD_FADVISE_FLAGS: u64 = 1 << 46;
pub const MDS_QUOTA: u64 = 1 << 47;
pub const CRUSH_V4: u64 = 1 << 48;
pub const SERVER_SQUID: u64 = 1 << 49;
pub const NEW_OSDOP_ENCODING: u64 = 1 << 56;
pub const MON_STATEFUL_SUB: u64 = 1 << 57;
pub const SERVER_JEWEL: u64 = 1 << 57;
pub const CRUSH_TUNABLES5: u64 = 1 << 58;
pub const NEW_OSDOPREPLY_ENCODING: u64 = 1 << 58;
pub const FS_FILE_LAYOUT_V2: u64 = 1 << 58;
pub const FS_BTIME: u64 = 1 << 59;
pub const FS_CHANGE_ATTR: u64 = 1 << 59;
pub const MSG_ADDR2: u64 = 1 << 59;
pub const OSD_RECOVERY_DELETES: u64 = 1 << 60;
pub const CEPHX_V2: u64 = 1 << 61;

/// `CEPH_FEATUREMASK_*` of the incarnated features a client tests.
pub const SERVER_NAUTILUS_MASK: u64 = SERVER_NAUTILUS | INCARNATION_3;
pub const SERVER_OCTOPUS_MASK: u64 = SERVER_OCTOPUS | INCARNATION_3;
pub const SERVER_PACIFIC_MASK: u64 = SERVER_PACIFIC | INCARNATION_3;
pub const SERVER_QUINCY_MASK: u64 = SERVER_QUINCY | INCARNATION_3;
pub const SERVER_REEF_MASK: u64 = SERVER_REEF | INCARNATION_3;
pub const SERVER_SQUID_MASK: u64 = SERVER_SQUID | INCARNATION_2;
pub const SERVER_LUMINOUS_MASK: u64 = SERVER_LUMINOUS | INCARNATION_2;
pub const SERVER_MIMIC_MASK: u64 = SERVER_MIMIC | INCARNATION_2;
pub const RESEND_ON_SPLIT_MASK: u64 = RESEND_ON_SPLIT | INCARNATION_2;
pub const OSDMAP_PG_UPMAP_MASK: u64 = OSDMAP_PG_UPMAP | INCARNATION_2;
pub const CRUSH_CHOOSE_ARGS_MASK: u64 = CRUSH_CHOOSE_ARGS | INCARNATION_2;

/// `HAVE_FEATURE`: every bit of `mask` (a feature and its incarnation).
pub const fn has(features: u64, mask: u64) -> bool {
    features & mask == mask
}

/// `CEPH_FEATURES_SUPPORTED_DEFAULT` (= CEPH_FEATURES_ALL) as a Squid
/// client sends it; a Pacific monitor intersects it with its own.
pub const SUPPORTED_DEFAULT: u64 = UID
    | NOSRCADDR
    | FLOCK
    | SUBSCRIBE2
    | MONNAMES
    | RECONNECT_SEQ
    | DIRLAYOUTHASH
    | OBJECTLOCATOR
    | PGID64
    | INCSUBOSDMAP
    | PGPOOL3
    | OSDREPLYMUX
    | OSDENC
    | MONENC
    | CRUSH_TUNABLES
    | MSG_AUTH
    | CRUSH_TUNABLES2
    | CREATEPOOLID
    | REPLY_CREATE_INODE
    | MDSENC
    | OSDHASHPSPOOL
    | NEW_OSDOP_ENCODING
    | NEW_OSDOPREPLY_ENCODING
    | OSD_CACHEPOOL
    | CRUSH_V2
    | EXPORT_PEER
    | OSDMAP_ENC
    | MDS_INLINE_DATA
    | CRUSH_TUNABLES3
    | OSD_PRIMARY_AFFINITY
    | MSGR_KEEPALIVE2
    | OSD_POOLRESEND
    | OSD_FADVISE_FLAGS
    | MDS_QUOTA
    | CRUSH_V4
    | MON_STATEFUL_SUB
    | CRUSH_TUNABLES5
    | SERVER_JEWEL
    | FS_FILE_LAYOUT_V2
    | SERVER_KRAKEN
    | FS_BTIME
    | FS_CHANGE_ATTR
    | MSG_ADDR2
    | SERVER_LUMINOUS
    | RESEND_ON_SPLIT
    | RADOS_BACKOFF
    | OSD_RECOVERY_DELETES
    | SERVER_MIMIC
    | RECOVERY_RESERVATION_2
    | SERVER_NAUTILUS
    | CEPHX_V2
    | OSD_PGLOG_HARDLIMIT
    | SERVER_OCTOPUS_MASK
    | STRETCH_MODE
    | INCARNATION_3
    | OSD_REPOP_MLCOD
    | SERVER_PACIFIC_MASK
    | OSD_FIXED_COLLECTION_LIST
    | SERVER_QUINCY_MASK
    | RANGE_BLOCKLIST
    | SERVER_REEF_MASK
    | SERVER_SQUID_MASK;

/// What a client demands of the servers it talks to: nothing by default
/// (`ms_client_required_features`... is unset in librados); msgr2 itself
/// requires MSG_ADDR2, which [`MSGR2_REQUIRED`] adds.
pub const REQUIRED_DEFAULT: u64 = 0;

/// ProtocolV2's `msgr2_required`: CLIENT_IDENT always requires it.
pub const MSGR2_REQUIRED: u64 = MSG_ADDR2;

#[cfg(test)]
mod tests {
    use super::*;

    /// `ceph features` of a Pacific 16.2 cluster, for its clients and daemons.
    const PACIFIC_ALL: u64 = 0x3f01_cfbd_fffd_ffff;

    #[test]
    fn covers_what_a_pacific_client_sends() {
        assert_eq!(PACIFIC_ALL & !SUPPORTED_DEFAULT, 0, "{:#x}", PACIFIC_ALL & !SUPPORTED_DEFAULT);
        // Squid adds QUINCY, REEF and SQUID's bits on top of Pacific's.
        assert_eq!(SUPPORTED_DEFAULT & !PACIFIC_ALL, SERVER_QUINCY | SERVER_SQUID);
        for mask in [SERVER_NAUTILUS_MASK, SERVER_OCTOPUS_MASK, SERVER_PACIFIC_MASK, SERVER_LUMINOUS_MASK] {
            assert!(has(PACIFIC_ALL, mask));
        }
        assert!(!has(PACIFIC_ALL, SERVER_QUINCY_MASK));
        assert_eq!(SUPPORTED_DEFAULT & (1 << 62 | 1 << 63), 0);
    }
}
