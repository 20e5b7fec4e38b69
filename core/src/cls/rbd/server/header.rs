//! Header methods: creation, size, features, striping, flags, timestamps
//! and image metadata.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::{
    check_exists, list_prefixed, output, read_key, read_key_opt, require_feature, set_op_features, snapshot_key,
    write_key, write_snapshot, Args, Ctx, Result, RBD_MAX_KEYS_READ,
};
use crate::cls::rbd::types::*;
use crate::encoding::{encode_to_vec, Encode, UtcTime};
use crate::osd::SnapId;
use crate::Errno;

const RBD_METADATA_KEY_PREFIX: &str = "metadata_";

/// 1 << order, or None for an order no object size has.
fn object_size(order: u8) -> Option<u64> {
    1u64.checked_shl(u32::from(order))
}

/// Input: size u64, order u8, features u64, object_prefix string, and
/// (since Kraken) data_pool_id i64.
pub(super) fn create(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let size = args.u64()?;
    let order: u8 = args.get()?;
    let features = args.u64()?;
    let object_prefix = args.string()?;
    let data_pool_id: i64 = args.optional()?.unwrap_or(-1);

    if features & !RBD_FEATURES_ALL != 0 {
        return Err(Errno::ENOSYS);
    }
    if object_prefix.is_empty() {
        return Err(Errno::EINVAL);
    }
    // Anything but "no such key" means a header is there already.
    if ctx.map_get_val("object_prefix") != Err(Errno::ENOENT) {
        return Err(Errno::EEXIST);
    }
    if features & RBD_FEATURE_OPERATIONS != 0 {
        return Err(Errno::EINVAL);
    }
    // A data pool exactly when the feature says so.
    let with_data_pool = features & RBD_FEATURE_DATA_POOL != 0;
    if with_data_pool == (data_pool_id == -1) {
        return Err(Errno::EINVAL);
    }

    let now = encode_to_vec(&ctx.now());
    let mut vals: BTreeMap<String, Bytes> = BTreeMap::new();
    let mut put = |key: &str, value: Vec<u8>| vals.insert(key.into(), Bytes::from(value));
    put("size", encode_to_vec(&size));
    put("order", encode_to_vec(&order));
    put("features", encode_to_vec(&features));
    put("object_prefix", encode_to_vec(&object_prefix));
    put("snap_seq", encode_to_vec(&0u64));
    put("create_timestamp", now.clone());
    put("access_timestamp", now.clone());
    put("modify_timestamp", now);
    if with_data_pool {
        put("data_pool_id", encode_to_vec(&data_pool_id));
    }
    ctx.map_set_vals(&vals)?;
    Ok(Vec::new())
}

/// Input: snap_id u64 (ignored: features are per image), then optionally
/// read_only bool. Output: features u64, incompatible u64.
pub(super) fn get_features(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    args.u64()?;
    let read_only: bool = args.optional()?.unwrap_or(false);
    let features: u64 = read_key(ctx, "features")?;
    let incompatible = features & if read_only { RBD_FEATURES_INCOMPATIBLE } else { RBD_FEATURES_RW_INCOMPATIBLE };
    let mut out = encode_to_vec(&features);
    incompatible.encode(&mut out);
    Ok(out)
}

/// Input: features u64, mask u64.
pub(super) fn set_features(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let features = args.u64()?;
    let mask = args.u64()?;
    let orig_features: u64 = read_key_opt(ctx, "features")?.unwrap_or(0);
    if mask & RBD_FEATURES_INTERNAL != 0 {
        return Err(Errno::EINVAL);
    }
    // Newer clients may mask features this class does not know.
    let mask = mask & RBD_FEATURES_ALL;
    let enabled = features & mask;
    if enabled & RBD_FEATURES_MUTABLE != enabled {
        return Err(Errno::EINVAL);
    }
    let disabled = !features & mask;
    if disabled & (RBD_FEATURES_MUTABLE | RBD_FEATURES_DISABLE_ONLY) != disabled {
        return Err(Errno::EINVAL);
    }
    let features = (orig_features & !mask) | (features & mask);
    write_key(ctx, "features", &features)?;
    Ok(Vec::new())
}

/// Input: snap_id u64. Output: order u8, size u64 (of that snapshot).
pub(super) fn get_size(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let snap_id = Args::new(input).u64()?;
    let order: u8 = read_key(ctx, "order")?;
    let size: u64 = if SnapId(snap_id).is_head() {
        read_key(ctx, "size")?
    } else {
        read_key::<ClsRbdSnap>(ctx, &snapshot_key(snap_id))?.image_size
    };
    let mut out = encode_to_vec(&order);
    size.encode(&mut out);
    Ok(out)
}

/// Input: size u64. Shrinking below the parent overlap shrinks it too.
pub(super) fn set_size(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let size = Args::new(input).u64()?;
    let orig_size: u64 = read_key(ctx, "size")?;
    write_key(ctx, "size", &size)?;
    if size < orig_size {
        if let Some(mut parent) = read_key_opt::<ClsRbdParent>(ctx, "parent")? {
            if parent.exists() && parent.head_overlap.unwrap_or(0) > size {
                parent.head_overlap = Some(size);
                write_key(ctx, "parent", &parent)?;
            }
        }
    }
    Ok(Vec::new())
}

pub(super) fn get_object_prefix(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    output(&read_key::<String>(ctx, "object_prefix")?)
}

/// Output: data_pool_id i64, -1 without a data pool.
pub(super) fn get_data_pool(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    output(&read_key_opt::<i64>(ctx, "data_pool_id")?.unwrap_or(-1))
}

/// Output: stripe_unit u64, stripe_count u64; unset means object size and 1.
pub(super) fn get_stripe_unit_count(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    check_exists(ctx)?;
    require_feature(ctx, RBD_FEATURE_STRIPINGV2)?;
    let stripe_unit = match read_key_opt::<u64>(ctx, "stripe_unit")? {
        Some(unit) => unit,
        None => {
            let order: u8 = read_key(ctx, "order").map_err(|_| Errno::EIO)?;
            object_size(order).ok_or(Errno::EIO)?
        }
    };
    let stripe_count: u64 = read_key_opt(ctx, "stripe_count")?.unwrap_or(1);
    let mut out = encode_to_vec(&stripe_unit);
    stripe_count.encode(&mut out);
    Ok(out)
}

/// Input: stripe_unit u64, stripe_count u64; the unit must divide the
/// object size.
pub(super) fn set_stripe_unit_count(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let stripe_unit = args.u64()?;
    let stripe_count = args.u64()?;
    if stripe_unit == 0 || stripe_count == 0 {
        return Err(Errno::EINVAL);
    }
    check_exists(ctx)?;
    require_feature(ctx, RBD_FEATURE_STRIPINGV2)?;
    let order: u8 = read_key(ctx, "order")?;
    let object_size = object_size(order).ok_or(Errno::EINVAL)?;
    if object_size % stripe_unit != 0 || stripe_unit > object_size {
        return Err(Errno::EINVAL);
    }
    write_key(ctx, "stripe_unit", &stripe_unit)?;
    write_key(ctx, "stripe_count", &stripe_count)?;
    Ok(Vec::new())
}

/// Input: snap_id u64. Output: flags u64 of the head or that snapshot.
pub(super) fn get_flags(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let snap_id = Args::new(input).u64()?;
    let flags: u64 = if SnapId(snap_id).is_head() {
        read_key_opt(ctx, "flags")?.unwrap_or(0)
    } else {
        read_key::<ClsRbdSnap>(ctx, &snapshot_key(snap_id))?.flags
    };
    output(&flags)
}

/// Input: flags u64, mask u64, then optionally snap_id u64 (head if absent).
pub(super) fn set_flags(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let flags = args.u64()?;
    let mask = args.u64()?;
    let snap_id = args.optional()?.unwrap_or(SnapId::HEAD.0);
    let merge = |orig: u64| (orig & !mask) | (flags & mask);
    if SnapId(snap_id).is_head() {
        let orig: u64 = read_key_opt(ctx, "flags")?.unwrap_or(0);
        write_key(ctx, "flags", &merge(orig))?;
    } else {
        let key = snapshot_key(snap_id);
        let mut snap: ClsRbdSnap = read_key(ctx, &key)?;
        snap.flags = merge(snap.flags);
        write_snapshot(ctx, &key, snap)?;
    }
    Ok(Vec::new())
}

/// A timestamp key; headers from before Mimic have none and answer 0.
fn get_timestamp(ctx: Ctx<'_, '_>, key: &str) -> Result<Vec<u8>> {
    output(&read_key_opt::<UtcTime>(ctx, key)?.unwrap_or_default())
}

pub(super) fn get_create_timestamp(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    get_timestamp(ctx, "create_timestamp")
}

pub(super) fn get_access_timestamp(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    get_timestamp(ctx, "access_timestamp")
}

pub(super) fn get_modify_timestamp(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    get_timestamp(ctx, "modify_timestamp")
}

fn set_timestamp(ctx: Ctx<'_, '_>, key: &str) -> Result<Vec<u8>> {
    check_exists(ctx)?;
    let now = ctx.now();
    write_key(ctx, key, &now)?;
    Ok(Vec::new())
}

pub(super) fn set_access_timestamp(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    set_timestamp(ctx, "access_timestamp")
}

pub(super) fn set_modify_timestamp(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    set_timestamp(ctx, "modify_timestamp")
}

/// Output: op_features u64 (0 when unset).
pub(super) fn op_features_get(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    output(&read_key_opt::<u64>(ctx, "op_features")?.unwrap_or(0))
}

/// Input: op_features u64, mask u64.
pub(super) fn op_features_set(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let op_features = args.u64()?;
    let mask = args.u64()?;
    if mask & !RBD_OPERATION_FEATURES_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    set_op_features(ctx, op_features, mask)?;
    Ok(Vec::new())
}

pub(super) fn get_all_features(_ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    output(&RBD_FEATURES_ALL)
}

/// Input: map<string, bufferlist>, stored under "metadata_<key>".
pub(super) fn metadata_set(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let data: BTreeMap<String, Bytes> = Args::new(input).get()?;
    let raw = data.into_iter().map(|(k, v)| ([RBD_METADATA_KEY_PREFIX, &k].concat(), v)).collect();
    ctx.map_set_vals(&raw)?;
    Ok(Vec::new())
}

/// Input: key string. Removing an absent key of an existing header is fine.
pub(super) fn metadata_remove(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let key = Args::new(input).string()?;
    ctx.map_remove_key(&[RBD_METADATA_KEY_PREFIX, &key].concat())?;
    Ok(Vec::new())
}

/// Input: start_after string, max_return u64 (0 means 64). Output:
/// map<string, bufferlist>.
pub(super) fn metadata_list(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let start_after = args.string()?;
    let max_return = match args.u64()? {
        0 => RBD_MAX_KEYS_READ,
        n => n,
    };
    let start = [RBD_METADATA_KEY_PREFIX, &start_after].concat();
    let raw = list_prefixed(ctx, &start, RBD_METADATA_KEY_PREFIX, max_return, |left| left.min(RBD_MAX_KEYS_READ))?;
    let data: BTreeMap<String, Bytes> =
        raw.into_iter().map(|(k, v)| (String::from(&k[RBD_METADATA_KEY_PREFIX.len()..]), v)).collect();
    output(&data)
}

/// Input: key string. Output: the value as a bufferlist.
pub(super) fn metadata_get(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let key = Args::new(input).string()?;
    let value = ctx.map_get_val(&[RBD_METADATA_KEY_PREFIX, &key].concat())?;
    output(&value)
}
