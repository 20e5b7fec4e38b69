//! Snapshot methods: the `snapshot_<id>` records, snap_seq, protection
//! and the snapshot limit.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{
    check_exists, iterate_snapshots, output, read_key, read_key_opt, remove_key, require_feature, set_op_features,
    snapshot_key, write_key, write_snapshot, Args, Ctx, Result, RBD_MAX_KEYS_READ, RBD_SNAP_KEY_PREFIX,
};
use crate::cls::rbd::types::*;
use crate::encoding::{Encode, UtcTime};
use crate::osd::SnapId;
use crate::Errno;

/// Output: snap_seq u64, then the snapshot ids newest first (a SnapContext).
pub(super) fn get_snapcontext(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    let mut snap_ids = Vec::new();
    let mut last_read = String::from(RBD_SNAP_KEY_PREFIX);
    loop {
        let (vals, more) = ctx.map_get_vals(&last_read, RBD_SNAP_KEY_PREFIX, RBD_MAX_KEYS_READ)?;
        for key in vals.keys() {
            let id = u64::from_str_radix(&key[RBD_SNAP_KEY_PREFIX.len()..], 16).map_err(|_| Errno::EIO)?;
            snap_ids.push(id);
        }
        match vals.into_keys().next_back() {
            Some(last) if more => last_read = last,
            _ => break,
        }
    }
    let snap_seq: u64 = read_key(ctx, "snap_seq")?;
    snap_ids.reverse();
    let mut out = Vec::new();
    snap_seq.encode(&mut out);
    snap_ids.encode(&mut out);
    Ok(out)
}

/// Input: name string, snap_id u64, then optionally the namespace (user if
/// absent). The id must not be below snap_seq (-ESTALE: a racing create
/// won) and neither it nor the name (within the namespace) may be taken.
pub(super) fn snapshot_add(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let name = args.string()?;
    let id = args.u64()?;
    let snapshot_namespace: SnapshotNamespace = args.optional()?.unwrap_or_default();
    if snapshot_namespace == SnapshotNamespace::Unknown || id > CEPH_MAXSNAP {
        return Err(Errno::EINVAL);
    }
    let cur_snap_seq: u64 = read_key(ctx, "snap_seq")?;
    if id < cur_snap_seq {
        return Err(Errno::ESTALE);
    }
    let mut snap = ClsRbdSnap {
        id: SnapId(id),
        name,
        image_size: read_key(ctx, "size")?,
        flags: read_key_opt(ctx, "flags")?.unwrap_or(0),
        timestamp: ctx.now(),
        snapshot_namespace,
        ..ClsRbdSnap::default()
    };
    let snap_limit: u64 = read_key_opt(ctx, "snap_limit")?.unwrap_or(u64::MAX);

    let mut total_read = 0u64;
    iterate_snapshots(ctx, |_, old| {
        total_read += 1;
        if total_read >= snap_limit {
            return Err(Errno::EDQUOT);
        }
        let same_name = snap.name == old.name && snap.snapshot_namespace.same_as(&old.snapshot_namespace);
        if same_name || snap.id == old.id {
            return Err(Errno::EEXIST);
        }
        Ok(())
    })?;

    // The snapshot keeps the parent the head has now.
    if let Some(parent) = read_key_opt(ctx, "parent")? {
        snap.parent = parent;
    }
    if snap.snapshot_namespace.namespace_type() == SNAPSHOT_NAMESPACE_TYPE_TRASH {
        set_op_features(ctx, RBD_OPERATION_FEATURE_SNAP_TRASH, RBD_OPERATION_FEATURE_SNAP_TRASH)?;
    }
    write_key(ctx, "snap_seq", &id)?;
    write_snapshot(ctx, &snapshot_key(id), snap)?;
    Ok(Vec::new())
}

/// Input: snap_id u64. Refuses (-EBUSY) a protected snapshot or one with
/// clones; drops the parent link and op features nothing needs any more.
pub(super) fn snapshot_remove(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let snap_id = Args::new(input).u64()?;
    let key = snapshot_key(snap_id);
    // As upstream, a record that does not decode is removed as if blank.
    let snap = match read_key::<ClsRbdSnap>(ctx, &key) {
        Err(Errno::ENOENT) => return Err(Errno::ENOENT),
        r => r.unwrap_or_default(),
    };
    if snap.protection_status != RBD_PROTECTION_STATUS_UNPROTECTED || snap.child_count > 0 {
        return Err(Errno::EBUSY);
    }
    remove_key(ctx, &key)?;

    let (mut has_child_snaps, mut has_trash_snaps) = (false, false);
    iterate_snapshots(ctx, |_, other| {
        if other.id.0 != snap_id {
            has_child_snaps |= other.parent.pool_id != -1 || other.parent_overlap.is_some();
            has_trash_snaps |= other.snapshot_namespace.namespace_type() == SNAPSHOT_NAMESPACE_TYPE_TRASH;
        }
        Ok(())
    })?;

    let parent: Option<ClsRbdParent> = read_key_opt(ctx, "parent")?;
    let has_parent = parent.as_ref().is_some_and(ClsRbdParent::exists);
    let is_head_child = has_parent && parent.as_ref().is_some_and(|p| p.head_overlap.is_some());
    if has_parent && !is_head_child && !has_child_snaps {
        remove_key(ctx, "parent")?;
    }
    let mut mask = 0;
    if !has_child_snaps && !is_head_child {
        mask |= RBD_OPERATION_FEATURE_CLONE_CHILD;
    }
    if !has_trash_snaps {
        mask |= RBD_OPERATION_FEATURE_SNAP_TRASH;
    }
    if mask != 0 {
        set_op_features(ctx, 0, mask)?;
    }
    Ok(Vec::new())
}

/// Input: snap_id u64, dst_name string. Only user snapshots are renamed,
/// and not onto another user snapshot's name.
pub(super) fn snapshot_rename(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let src_snap_id = args.u64()?;
    let dst_name = args.string()?;
    iterate_snapshots(ctx, |_, snap| {
        let user = snap.snapshot_namespace.namespace_type() == SNAPSHOT_NAMESPACE_TYPE_USER;
        if user && snap.name == dst_name {
            return Err(Errno::EEXIST);
        }
        Ok(())
    })?;
    let key = snapshot_key(src_snap_id);
    // Upstream rewrites a record it could not decode as a blank one; this
    // refuses instead.
    let mut snap: ClsRbdSnap = read_key(ctx, &key)?;
    if snap.snapshot_namespace.namespace_type() != SNAPSHOT_NAMESPACE_TYPE_USER {
        return Err(Errno::EINVAL);
    }
    snap.name = dst_name;
    write_snapshot(ctx, &key, snap)?;
    Ok(Vec::new())
}

/// A unique name for a trashed snapshot. Upstream draws a random UUID; a
/// store without randomness builds one of the same shape from the time and
/// the snapshot id, which is unique within the image.
fn trash_name(now: UtcTime, snap_id: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        now.sec,
        now.nsec >> 16,
        now.nsec & 0xfff,
        (snap_id >> 48) & 0xfff,
        snap_id & 0xffff_ffff_ffff
    )
}

/// Input: snap_id u64. Moves an unprotected snapshot to the trash
/// namespace under a fresh name, remembering the old name and type.
pub(super) fn snapshot_trash_add(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let snap_id = Args::new(input).u64()?;
    let key = snapshot_key(snap_id);
    // Upstream goes on with a blank record when it cannot decode; this
    // refuses.
    let mut snap: ClsRbdSnap = read_key(ctx, &key)?;
    if snap.protection_status != RBD_PROTECTION_STATUS_UNPROTECTED {
        return Err(Errno::EBUSY);
    }
    let original_snapshot_namespace_type = snap.snapshot_namespace.namespace_type();
    if original_snapshot_namespace_type == SNAPSHOT_NAMESPACE_TYPE_TRASH {
        return Err(Errno::EEXIST);
    }
    set_op_features(ctx, RBD_OPERATION_FEATURE_SNAP_TRASH, RBD_OPERATION_FEATURE_SNAP_TRASH)?;
    let original_name = core::mem::replace(&mut snap.name, trash_name(ctx.now(), snap_id));
    snap.snapshot_namespace = SnapshotNamespace::Trash { original_name, original_snapshot_namespace_type };
    write_snapshot(ctx, &key, snap)?;
    Ok(Vec::new())
}

/// Reads the record of a snapshot id given as input; the head is -EINVAL.
fn read_snapshot_arg(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<ClsRbdSnap> {
    let snap_id = Args::new(input).u64()?;
    if SnapId(snap_id).is_head() {
        return Err(Errno::EINVAL);
    }
    read_key(ctx, &snapshot_key(snap_id))
}

/// Input: snap_id u64. Output: cls::rbd::SnapshotInfo.
pub(super) fn snapshot_get(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let snap = read_snapshot_arg(ctx, input)?;
    output(&SnapshotInfo {
        id: snap.id,
        snapshot_namespace: snap.snapshot_namespace,
        name: snap.name,
        image_size: snap.image_size,
        timestamp: snap.timestamp,
        child_count: snap.child_count,
    })
}

pub(super) fn get_snapshot_name(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    output(&read_snapshot_arg(ctx, input)?.name)
}

pub(super) fn get_snapshot_timestamp(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    output(&read_snapshot_arg(ctx, input)?.timestamp)
}

/// Input: snap_id u64. Output: status u8.
pub(super) fn get_protection_status(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let snap_id = Args::new(input).u64()?;
    check_exists(ctx)?;
    if SnapId(snap_id).is_head() {
        return Err(Errno::EINVAL);
    }
    let snap: ClsRbdSnap = read_key(ctx, &snapshot_key(snap_id))?;
    if snap.protection_status >= RBD_PROTECTION_STATUS_LAST {
        return Err(Errno::EIO);
    }
    output(&snap.protection_status)
}

/// Input: snap_id u64, status u8. Needs layering. Children are not
/// checked here: librbd looks for them before it unprotects.
pub(super) fn set_protection_status(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let snap_id = args.u64()?;
    let status: u8 = args.get()?;
    check_exists(ctx)?;
    require_feature(ctx, RBD_FEATURE_LAYERING)?;
    if SnapId(snap_id).is_head() || status >= RBD_PROTECTION_STATUS_LAST {
        return Err(Errno::EINVAL);
    }
    let key = snapshot_key(snap_id);
    let mut snap: ClsRbdSnap = read_key(ctx, &key)?;
    snap.protection_status = status;
    write_snapshot(ctx, &key, snap)?;
    Ok(Vec::new())
}

/// Output: the limit u64, u64::MAX when unset.
pub(super) fn snapshot_get_limit(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    output(&read_key_opt::<u64>(ctx, "snap_limit")?.unwrap_or(u64::MAX))
}

/// Input: limit u64; u64::MAX removes it. A limit below the number of
/// snapshots is -ERANGE.
pub(super) fn snapshot_set_limit(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let new_limit = Args::new(input).u64()?;
    if new_limit == u64::MAX {
        ctx.map_remove_key("snap_limit")?;
        return Ok(Vec::new());
    }
    let mut snap_count = 0u64;
    let mut last_read = String::from(RBD_SNAP_KEY_PREFIX);
    loop {
        let (vals, more) = ctx.map_get_vals(&last_read, RBD_SNAP_KEY_PREFIX, RBD_MAX_KEYS_READ)?;
        snap_count += vals.len() as u64;
        match vals.into_keys().next_back() {
            Some(last) if more => last_read = last,
            _ => break,
        }
    }
    if new_limit < snap_count {
        return Err(Errno::ERANGE);
    }
    write_key(ctx, "snap_limit", &new_limit)?;
    Ok(Vec::new())
}
