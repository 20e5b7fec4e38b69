//! Layering: the child's parent link (parent_* and the legacy get_parent,
//! set_parent, remove_parent), the parent snapshot's list of clones
//! (child_*, children_list), the legacy `rbd_children` object, and copyup
//! on data objects.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::{
    check_exists, iterate_snapshots, output, read_key, read_key_opt, remove_key, require_feature, set_op_features,
    snap_children_key, snapshot_key, write_key, write_snapshot, Args, Ctx, Result,
};
use crate::cls::rbd::types::*;
use crate::encoding::{encode_to_vec, Encode};
use crate::osd::SnapId;
use crate::Errno;

/// image::parent::attach: links the head to `parent`, its overlap capped
/// at the image size. A different (or a still-attached) parent is -EEXIST
/// unless `reattach`.
fn attach(ctx: Ctx<'_, '_>, mut parent: ClsRbdParent, reattach: bool) -> Result<()> {
    check_exists(ctx)?;
    require_feature(ctx, RBD_FEATURE_LAYERING)?;
    let overlap = parent.head_overlap.unwrap_or(0);
    if !parent.exists() || overlap == 0 {
        return Err(Errno::EINVAL);
    }
    if let Some(on_disk) = read_key_opt::<ClsRbdParent>(ctx, "parent")? {
        if (on_disk.head_overlap.is_some() || !on_disk.same_spec(&parent)) && !reattach {
            return Err(Errno::EEXIST);
        }
    }
    let size: u64 = read_key(ctx, "size")?;
    parent.head_overlap = Some(overlap.min(size));
    write_key(ctx, "parent", &parent)
}

/// image::parent::detach: unlinks the head. Snapshots still using the
/// parent keep the spec (overlap dropped from the head) unless the image
/// has deep-flatten, which unlinks them too.
fn detach(ctx: Ctx<'_, '_>, legacy_api: bool) -> Result<()> {
    check_exists(ctx)?;
    let features = match read_key::<u64>(ctx, "features") {
        Ok(f) if f & RBD_FEATURE_LAYERING != 0 => f,
        Ok(_) | Err(Errno::ENOENT) => return Err(Errno::ENOEXEC),
        Err(e) => return Err(e),
    };
    let mut on_disk: ClsRbdParent = read_key(ctx, "parent")?;
    if legacy_api && !on_disk.pool_namespace.is_empty() {
        return Err(Errno::EXDEV);
    }
    if on_disk.head_overlap.is_none() {
        return Err(Errno::ENOENT);
    }

    let walk = iterate_snapshots(ctx, |ctx, snap| {
        if snap.parent.pool_id == -1 && snap.parent_overlap.is_none() {
            return Ok(());
        }
        if features & RBD_FEATURE_DEEP_FLATTEN == 0 {
            return Err(Errno::EEXIST);
        }
        let unlinked = ClsRbdSnap { parent: ClsRbdParent::default(), parent_overlap: None, ..snap.clone() };
        write_snapshot(ctx, &snapshot_key(unlinked.id.0), unlinked)
    });
    let has_child_snaps = match walk {
        Ok(()) => false,
        Err(Errno::EEXIST) => true,
        Err(e) => return Err(e),
    };

    if has_child_snaps {
        on_disk.head_overlap = None;
        write_key(ctx, "parent", &on_disk)?;
    } else {
        remove_key(ctx, "parent")?;
        set_op_features(ctx, 0, RBD_OPERATION_FEATURE_CLONE_CHILD)?;
    }
    Ok(())
}

/// Output: cls::rbd::ParentImageSpec, a non-existent one without a parent.
/// Images whose header has no "parent" key (pre-Nautilus) take the spec
/// from their snapshot records.
pub(super) fn parent_get(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    check_exists(ctx)?;
    let mut parent = ClsRbdParent::default();
    if require_feature(ctx, RBD_FEATURE_LAYERING).is_ok() {
        match read_key_opt(ctx, "parent")? {
            Some(p) => parent = p,
            None => iterate_snapshots(ctx, |_, snap| {
                if snap.parent.exists() {
                    parent = snap.parent.clone();
                }
                Ok(())
            })?,
        }
    }
    output(&parent.spec())
}

/// Input: snap_id u64. Output: optional<u64> overlap of the head or that
/// snapshot.
pub(super) fn parent_overlap_get(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let snap_id = Args::new(input).u64()?;
    // Upstream checks existence and ignores the answer; the feature read
    // below fails the same way on a missing header.
    let mut overlap = None;
    if require_feature(ctx, RBD_FEATURE_LAYERING).is_ok() {
        if SnapId(snap_id).is_head() {
            if let Some(parent) = read_key_opt::<ClsRbdParent>(ctx, "parent")? {
                overlap = parent.head_overlap;
            }
        } else {
            let snap: ClsRbdSnap = read_key(ctx, &snapshot_key(snap_id))?;
            if snap.parent_overlap.is_some() {
                overlap = snap.parent_overlap;
            } else if snap.parent.exists() {
                overlap = snap.parent.head_overlap;
            }
        }
    }
    output(&overlap)
}

/// Input: ParentImageSpec, overlap u64, then optionally reattach bool.
pub(super) fn parent_attach(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let spec: ParentImageSpec = args.get()?;
    let overlap = args.u64()?;
    let reattach: bool = args.optional()?.unwrap_or(false);
    attach(ctx, ClsRbdParent::new(spec, Some(overlap)), reattach)?;
    Ok(Vec::new())
}

pub(super) fn parent_detach(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    detach(ctx, false)?;
    Ok(Vec::new())
}

/// Legacy. Input: snap_id u64. Output: pool i64, image id string, snap id
/// u64, overlap u64 (pool -1 without a parent). A parent in another pool
/// namespace cannot be told this way: -EXDEV.
pub(super) fn get_parent(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let snap_id = Args::new(input).u64()?;
    check_exists(ctx)?;
    let mut parent = ClsRbdParent::default();
    if require_feature(ctx, RBD_FEATURE_LAYERING).is_ok() {
        parent = read_key_opt(ctx, "parent")?.unwrap_or_default();
        if !parent.pool_namespace.is_empty() {
            return Err(Errno::EXDEV);
        }
        if !SnapId(snap_id).is_head() {
            let snap: ClsRbdSnap = read_key_opt(ctx, &snapshot_key(snap_id))?.unwrap_or_default();
            if snap.parent.exists() {
                parent = snap.parent; // a pre-Nautilus record with its own copy
            } else if let Some(overlap) = snap.parent_overlap {
                if !parent.exists() {
                    return Err(Errno::EINVAL);
                }
                parent.head_overlap = Some(overlap);
            } else {
                parent = ClsRbdParent::default();
            }
        }
    }
    let mut out = encode_to_vec(&parent.pool_id);
    parent.image_id.encode(&mut out);
    parent.snap_id.0.encode(&mut out);
    parent.head_overlap.unwrap_or(0).encode(&mut out);
    Ok(out)
}

/// Legacy. Input: pool i64, image id string, snap id u64, overlap u64.
pub(super) fn set_parent(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let spec = ParentImageSpec {
        pool_id: args.get()?,
        pool_namespace: String::new(),
        image_id: args.string()?,
        snap_id: SnapId(args.u64()?),
    };
    let overlap = args.u64()?;
    attach(ctx, ClsRbdParent::new(spec, Some(overlap)), false)?;
    Ok(Vec::new())
}

pub(super) fn remove_parent(ctx: Ctx<'_, '_>, _input: &[u8]) -> Result<Vec<u8>> {
    detach(ctx, true)?;
    Ok(Vec::new())
}

/// Input: snap_id u64, ChildImageSpec. Records a clone on the parent
/// snapshot ("snap_children_<id>") and counts it in the record.
pub(super) fn child_attach(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let snap_id = args.u64()?;
    let child: ChildImageSpec = args.get()?;
    let key = snapshot_key(snap_id);
    let mut snap: ClsRbdSnap = read_key(ctx, &key)?;
    if snap.snapshot_namespace.namespace_type() == SNAPSHOT_NAMESPACE_TYPE_TRASH {
        return Err(Errno::ENOENT); // a removed snapshot takes no new clones
    }
    let children_key = snap_children_key(snap_id);
    let mut children: BTreeSet<ChildImageSpec> = read_key_opt(ctx, &children_key)?.unwrap_or_default();
    if !children.insert(child) {
        return Err(Errno::EEXIST);
    }
    write_key(ctx, &children_key, &children)?;
    snap.child_count = snap.child_count.wrapping_add(1);
    write_snapshot(ctx, &key, snap)?;
    set_op_features(ctx, RBD_OPERATION_FEATURE_CLONE_PARENT, RBD_OPERATION_FEATURE_CLONE_PARENT)?;
    Ok(Vec::new())
}

/// Input: snap_id u64, ChildImageSpec. The count and the list must agree
/// (-EINVAL otherwise).
pub(super) fn child_detach(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let snap_id = args.u64()?;
    let child: ChildImageSpec = args.get()?;
    let key = snapshot_key(snap_id);
    let mut snap: ClsRbdSnap = read_key(ctx, &key)?;
    let children_key = snap_children_key(snap_id);
    let mut children: BTreeSet<ChildImageSpec> = read_key_opt(ctx, &children_key)?.unwrap_or_default();
    if snap.child_count as usize != children.len() {
        return Err(Errno::EINVAL);
    }
    if !children.remove(&child) {
        return Err(Errno::ENOENT);
    }
    if children.is_empty() {
        remove_key(ctx, &children_key)?;
    } else {
        write_key(ctx, &children_key, &children)?;
    }
    snap.child_count -= 1; // at least 1: it equals the list's length
    let last_child = snap.child_count == 0;
    write_snapshot(ctx, &key, snap)?;
    if last_child {
        let in_use = iterate_snapshots(ctx, |_, other| {
            if other.id.0 != snap_id && other.child_count > 0 {
                return Err(Errno::EEXIST);
            }
            Ok(())
        });
        match in_use {
            Ok(()) => set_op_features(ctx, 0, RBD_OPERATION_FEATURE_CLONE_PARENT)?,
            Err(Errno::EEXIST) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Vec::new())
}

/// Input: snap_id u64. Output: set<ChildImageSpec>; -ENOENT when none.
pub(super) fn children_list(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let snap_id = Args::new(input).u64()?;
    read_key::<ClsRbdSnap>(ctx, &snapshot_key(snap_id))?;
    let children: BTreeSet<ChildImageSpec> = read_key(ctx, &snap_children_key(snap_id))?;
    output(&children)
}

/// The `rbd_children` key of a parent snapshot: upstream uses the raw
/// encoding of (pool u64, image id, snap id u64). Omap keys here are
/// strings, so each byte becomes the char of the same value: identical
/// bytes whenever all are ASCII (small pool and snapshot ids), and
/// one-to-one always.
fn legacy_parent_key(args: &mut Args<'_>) -> Result<String> {
    let pool_id = args.u64()?;
    let image_id = args.string()?;
    let snap_id = args.u64()?;
    let mut raw = encode_to_vec(&pool_id);
    image_id.encode(&mut raw);
    snap_id.encode(&mut raw);
    Ok(raw.into_iter().map(char::from).collect())
}

/// Legacy, on `rbd_children`. Input: parent pool, image id, snap id, then
/// the child's image id.
pub(super) fn add_child(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let key = legacy_parent_key(&mut args)?;
    let child = args.string()?;
    let mut children: BTreeSet<String> = read_key_opt(ctx, &key)?.unwrap_or_default();
    if !children.insert(child) {
        return Err(Errno::EEXIST);
    }
    write_key(ctx, &key, &children)?;
    Ok(Vec::new())
}

pub(super) fn remove_child(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let key = legacy_parent_key(&mut args)?;
    let child = args.string()?;
    let mut children: BTreeSet<String> = read_key(ctx, &key)?;
    if !children.remove(&child) {
        return Err(Errno::ENOENT);
    }
    if children.is_empty() {
        ctx.map_remove_key(&key)?;
    } else {
        write_key(ctx, &key, &children)?;
    }
    Ok(Vec::new())
}

/// Input: parent pool, image id, snap id. Output: set<string> of child
/// image ids; -ENOENT when none.
pub(super) fn get_children(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let key = legacy_parent_key(&mut Args::new(input))?;
    output(&read_key::<BTreeSet<String>>(ctx, &key)?)
}

/// Input: the parent's data for this object. Written at offset 0 only if
/// the object does not exist yet.
pub(super) fn copyup(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    if ctx.exists() {
        return Ok(Vec::new());
    }
    ctx.write(0, input)?;
    Ok(Vec::new())
}

/// Input: map<u64, u64> extents, bufferlist data (the extents back to
/// back). Like copyup; no extents creates an empty object.
pub(super) fn sparse_copyup(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let extent_map: BTreeMap<u64, u64> = args.get()?;
    let data: Bytes = args.get()?;
    if ctx.exists() {
        return Ok(Vec::new());
    }
    if extent_map.is_empty() {
        ctx.create(true)?;
        return Ok(Vec::new());
    }
    let mut data_offset = 0usize;
    for (offset, length) in extent_map {
        let end = usize::try_from(length).ok().and_then(|l| data_offset.checked_add(l)).filter(|&e| e <= data.len());
        let end = end.ok_or(Errno::EINVAL)?;
        ctx.write(offset, &data[data_offset..end])?;
        data_offset = end;
    }
    Ok(Vec::new())
}
