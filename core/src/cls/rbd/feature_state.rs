//! What cls_rbd records for mirroring, groups and live migration, which
//! librbdrs reads but never turns on: the pool's mirror mode (on
//! `rbd_mirroring`), an image's mirroring record, the group an image is in
//! (its header's `rbd_group_ref`) and the group directory
//! (`rbd_group_directory`, keyed like `rbd_directory`).

use alloc::string::String;
use alloc::vec::Vec;

use crate::encoding::{encode_versioned, Decode, DecodeError, Decoder, Encode, UtcTime};

/// The pool's group directory: omap "name_<name>" -> id, "id_<id>" -> name.
pub const RBD_GROUP_DIRECTORY: &str = "rbd_group_directory";
/// Header key naming the image's group.
pub const RBD_GROUP_REF: &str = "rbd_group_ref";

// rbd_mirroring's omap keys (cls_rbd.cc, namespace mirror).
pub const MIRROR_MODE_KEY: &str = "mirror_mode";
pub const MIRROR_UUID_KEY: &str = "mirror_uuid";
pub const MIRROR_IMAGE_KEY_PREFIX: &str = "image_";

/// cls::rbd::MirrorMode.
pub const MIRROR_MODE_DISABLED: u32 = 0;
pub const MIRROR_MODE_IMAGE: u32 = 1;
pub const MIRROR_MODE_POOL: u32 = 2;

/// cls::rbd::MirrorImageState.
pub const MIRROR_IMAGE_STATE_DISABLING: u8 = 0;
pub const MIRROR_IMAGE_STATE_ENABLED: u8 = 1;
pub const MIRROR_IMAGE_STATE_DISABLED: u8 = 2;

/// cls::rbd::MirrorImageMode.
pub const MIRROR_IMAGE_MODE_JOURNAL: u8 = 0;
pub const MIRROR_IMAGE_MODE_SNAPSHOT: u8 = 1;

/// cls::rbd::GroupSpec: the group an image belongs to (pool -1: none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSpec {
    pub pool_id: i64,
    pub group_id: String,
}

impl Default for GroupSpec {
    fn default() -> Self {
        GroupSpec { pool_id: -1, group_id: String::new() }
    }
}

impl GroupSpec {
    /// librbd's GroupSpec::is_valid.
    pub fn is_valid(&self) -> bool {
        !self.group_id.is_empty() && self.pool_id != -1
    }
}

impl Encode for GroupSpec {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_versioned(out, 1, 1, |out| {
            self.pool_id.encode(out);
            self.group_id.encode(out);
        });
    }
}

impl Decode for GroupSpec {
    const MIN_LEN: usize = 6 + 8 + 4;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.versioned(1, |d, _| Ok(GroupSpec { pool_id: d.i64()?, group_id: d.string()? }))
    }
}

/// cls::rbd::MirrorImage: an image's mirroring record on `rbd_mirroring`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MirrorImage {
    pub mode: u8,
    pub global_image_id: String,
    pub state: u8,
}

impl Default for MirrorImage {
    fn default() -> Self {
        MirrorImage {
            mode: MIRROR_IMAGE_MODE_JOURNAL,
            global_image_id: String::new(),
            state: MIRROR_IMAGE_STATE_DISABLING,
        }
    }
}

impl Encode for MirrorImage {
    fn encode(&self, out: &mut Vec<u8>) {
        // v2 appended the mode.
        encode_versioned(out, 2, 1, |out| {
            self.global_image_id.encode(out);
            self.state.encode(out);
            self.mode.encode(out);
        });
    }
}

impl Decode for MirrorImage {
    const MIN_LEN: usize = 6 + 4 + 1;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.versioned(2, |d, version| {
            let global_image_id = d.string()?;
            let state = d.u8()?;
            let mode = if version >= 2 { d.u8()? } else { MIRROR_IMAGE_MODE_JOURNAL };
            Ok(MirrorImage { mode, global_image_id, state })
        })
    }
}

/// rbd_mirroring's key prefix of a peer.
pub const MIRROR_PEER_KEY_PREFIX: &str = "mirror_peer_";

/// cls::rbd::MirrorPeerDirection: rx-tx for peers older clients added.
pub const MIRROR_PEER_DIRECTION_RX_TX: u8 = 2;

/// cls::rbd::MirrorPeer: a site the pool mirrors with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MirrorPeer {
    pub uuid: String,
    pub site_name: String,
    pub client_name: String,
    pub direction: u8,
    pub mirror_uuid: String,
    pub last_seen: UtcTime,
}

impl Encode for MirrorPeer {
    fn encode(&self, out: &mut Vec<u8>) {
        // v1's pool id is always -1 now; v2 appended the rest.
        encode_versioned(out, 2, 1, |out| {
            self.uuid.encode(out);
            self.site_name.encode(out);
            self.client_name.encode(out);
            (-1i64).encode(out);
            self.direction.encode(out);
            self.mirror_uuid.encode(out);
            self.last_seen.encode(out);
        });
    }
}

impl Decode for MirrorPeer {
    const MIN_LEN: usize = 6 + 4 + 4 + 4 + 8;

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.versioned(2, |d, version| {
            let (uuid, site_name, client_name) = (d.string()?, d.string()?, d.string()?);
            let _pool_id = d.i64()?;
            let mut peer = MirrorPeer {
                uuid,
                site_name,
                client_name,
                direction: MIRROR_PEER_DIRECTION_RX_TX,
                mirror_uuid: String::new(),
                last_seen: UtcTime::default(),
            };
            if version >= 2 {
                peer.direction = d.u8()?;
                peer.mirror_uuid = d.string()?;
                peer.last_seen = d.decode()?;
            }
            Ok(peer)
        })
    }
}

/// A vector<MirrorPeer> as mirror_peer_list answers it.
pub fn encode_peers(peers: &[MirrorPeer]) -> Vec<u8> {
    let mut out = Vec::new();
    (peers.len() as u32).encode(&mut out);
    peers.iter().for_each(|p| p.encode(&mut out));
    out
}
