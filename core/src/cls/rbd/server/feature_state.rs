//! The read methods of mirroring, groups and live migration. Nothing in
//! the embedded store writes their keys, so they answer as upstream does
//! on a pool and images where the features were never used; they still
//! read the keys, as upstream, rather than answer a fixed value.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::RBD_MAX_KEYS_READ;
use super::{check_exists, decode_stored, list_prefixed, output, read_key, read_key_opt, Args, Ctx, Result};
use crate::cls::rbd::feature_state::*;
use crate::cls::rbd::types::RBD_FEATURE_MIGRATING;
use crate::Errno;

const RBD_DIR_NAME_KEY_PREFIX: &str = "name_";

/// Output: u32 mode; -ENOENT when never set.
pub(super) fn mirror_mode_get(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    output(&read_key::<u32>(ctx, MIRROR_MODE_KEY)?)
}

/// Output: the uuid string; upstream stores it raw, without a length.
pub(super) fn mirror_uuid_get(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    let raw = ctx.map_get_val(MIRROR_UUID_KEY)?;
    let uuid = core::str::from_utf8(&raw).map_err(|_| Errno::EIO)?;
    output(uuid)
}

/// Input: image id string. Output: MirrorImage; -ENOENT when none.
pub(super) fn mirror_image_get(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let image_id = Args::new(input).string()?;
    let key = [MIRROR_IMAGE_KEY_PREFIX, &image_id].concat();
    output(&read_key::<MirrorImage>(ctx, &key)?)
}

/// Input: start_after string, max_return u64. Output: map name -> id.
pub(super) fn group_dir_list(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let start_after = args.string()?;
    let max_return = args.u64()?;
    let start = [RBD_DIR_NAME_KEY_PREFIX, &start_after].concat();
    let raw = list_prefixed(ctx, &start, RBD_DIR_NAME_KEY_PREFIX, max_return, |_| RBD_MAX_KEYS_READ)?;
    let mut groups = BTreeMap::new();
    for (key, value) in raw {
        let id: String = decode_stored(&value)?;
        groups.insert(String::from(&key[RBD_DIR_NAME_KEY_PREFIX.len()..]), id);
    }
    output(&groups)
}

/// Output: GroupSpec, pool -1 and no id when the image is in no group.
pub(super) fn image_group_get(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    check_exists(ctx)?;
    output(&read_key_opt::<GroupSpec>(ctx, RBD_GROUP_REF)?.unwrap_or_default())
}

/// Output: the MigrationSpec as stored; -EINVAL unless the image has the
/// migrating feature.
pub(super) fn migration_get(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    let features: u64 = read_key(ctx, "features")?;
    if features & RBD_FEATURE_MIGRATING == 0 {
        return Err(Errno::EINVAL);
    }
    Ok(ctx.map_get_val("migration")?.to_vec())
}

/// Output: vector<MirrorPeer>, in key (uuid) order.
pub(super) fn mirror_peer_list(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    check_exists(ctx)?;
    let raw = list_prefixed(ctx, MIRROR_PEER_KEY_PREFIX, MIRROR_PEER_KEY_PREFIX, u64::MAX, |_| RBD_MAX_KEYS_READ)?;
    let peers = raw.values().map(|v| decode_stored::<MirrorPeer>(v)).collect::<Result<Vec<_>>>()?;
    Ok(encode_peers(&peers))
}
