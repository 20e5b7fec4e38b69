//! Changing an image's features and the maintenance passes over its
//! objects that go with them (librbd's operation/EnableFeaturesRequest,
//! DisableFeaturesRequest, RebuildObjectMapRequest, SparsifyRequest).

use alloc::vec::Vec;

use super::object_map as map;
use super::operation::CONCURRENT_OPS;
use super::ImageCtx;
use crate::cls::rbd::client as cls;
use crate::cls::rbd::object_map as map_cls;
use crate::cls::rbd::types::*;
use crate::naming;
use crate::object_map::{
    BitVector2, ObjectMap, WriteAction, OBJECT_EXISTS, OBJECT_NONEXISTENT, RBD_FLAG_FAST_DIFF_INVALID,
    RBD_FLAG_OBJECT_MAP_INVALID,
};
use crate::osd::{ObjectOperation, SnapContext, SnapId, SparseReadOut};
use crate::rados::join_all;
use crate::striper::object_count;
use crate::Errno;

const NON_PRIMARY: u64 = 1 << 10;
const DIRTY_CACHE: u64 = 1 << 11;
/// What update_features may enable (RBD_FEATURES_MUTABLE).
const MUTABLE: u64 =
    RBD_FEATURE_EXCLUSIVE_LOCK | RBD_FEATURE_OBJECT_MAP | RBD_FEATURE_FAST_DIFF | RBD_FEATURE_JOURNALING | NON_PRIMARY;
/// ... and what it may only disable.
const DISABLE_ONLY: u64 = RBD_FEATURE_DEEP_FLATTEN;
/// Mutable, but only by librbd itself.
const MUTABLE_INTERNAL: u64 = NON_PRIMARY | DIRTY_CACHE;

/// Operations::update_features' checks: the features to change, with
/// object-map and fast-diff paired as librbd pairs them.
pub fn check_update(current: u64, features: u64, enabled: bool) -> Result<u64, Errno> {
    let allowed = if enabled { MUTABLE } else { MUTABLE | DISABLE_ONLY };
    if features & !allowed != 0 || features & MUTABLE_INTERNAL != 0 {
        return Err(Errno::EINVAL);
    }
    let mut features = features;
    let (set_map, set_diff) = (features & RBD_FEATURE_OBJECT_MAP != 0, features & RBD_FEATURE_FAST_DIFF != 0);
    let (has_map, has_diff) = (current & RBD_FEATURE_OBJECT_MAP != 0, current & RBD_FEATURE_FAST_DIFF != 0);
    // Disabling either of a pair takes both (as librbd 16.2.15 answers).
    let disable_pair = !enabled && (set_map || set_diff) && has_map && has_diff;
    if (enabled && ((set_map && !has_diff) || (set_diff && !has_map))) || disable_pair {
        features |= RBD_FEATURE_OBJECT_MAP | RBD_FEATURE_FAST_DIFF;
    }
    if features == 0 {
        return Err(Errno::EINVAL);
    }
    let already = if enabled { features & current } else { features & !current };
    if already != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(features)
}

/// Enables or disables `features` (already through [`check_update`]).
/// Journaling is not offered here: enabling it is -EOPNOTSUPP.
pub async fn update(ictx: &mut ImageCtx, features: u64, enabled: bool) -> Result<(), Errno> {
    if ictx.read_only || !ictx.snap_id.is_head() {
        return Err(Errno::EROFS);
    }
    let features = check_update(ictx.features, features, enabled)?;
    let lock = ictx.prepare_write().await?;
    let result = if enabled { enable(ictx, features).await } else { disable(ictx, features).await };
    drop(lock);
    result?;
    let lost_lock = !enabled && features & RBD_FEATURE_EXCLUSIVE_LOCK != 0;
    if lost_lock {
        super::exclusive_lock::release(ictx).await?;
    }
    super::open::refresh(ictx).await?;
    // A lock owner keeps the map it now has in memory, as librbd's refresh.
    if enabled && features & RBD_FEATURE_OBJECT_MAP != 0 && ictx.runtime.lock_owned() {
        map::open(ictx).await?;
    }
    Ok(())
}

async fn enable(ictx: &ImageCtx, features: u64) -> Result<(), Errno> {
    let new = ictx.features | features;
    let (mut mask, mut flags) = (features, 0);
    if features & RBD_FEATURE_OBJECT_MAP != 0 {
        if new & RBD_FEATURE_EXCLUSIVE_LOCK == 0 {
            return Err(Errno::EINVAL);
        }
        flags |= RBD_FLAG_OBJECT_MAP_INVALID;
        mask |= RBD_FEATURE_EXCLUSIVE_LOCK | RBD_FEATURE_FAST_DIFF;
    }
    if features & RBD_FEATURE_FAST_DIFF != 0 {
        flags |= RBD_FLAG_FAST_DIFF_INVALID;
        mask |= RBD_FEATURE_EXCLUSIVE_LOCK | RBD_FEATURE_OBJECT_MAP;
    }
    if features & RBD_FEATURE_JOURNALING != 0 {
        if new & RBD_FEATURE_EXCLUSIVE_LOCK == 0 {
            return Err(Errno::EINVAL);
        }
        return Err(Errno::EOPNOTSUPP);
    }
    let mut op = ObjectOperation::new();
    cls::set_features(&mut op, new, mask);
    if flags != 0 {
        cls::set_flags(&mut op, SnapId::HEAD, flags, flags);
    }
    ictx.io.exec(&ictx.header_object(), op).await?;
    if features & RBD_FEATURE_OBJECT_MAP != 0 {
        // Empty maps, flagged invalid until rebuilt (object_map::CreateRequest).
        let maps = ictx.snaps.iter().map(|(&id, s)| (Some(id), s.size)).chain([(None, ictx.size)]);
        for (snap, size) in maps {
            let mut op = ObjectOperation::new();
            map_cls::object_map_resize(&mut op, object_count(&ictx.layout, size), OBJECT_NONEXISTENT);
            ictx.io.exec(&naming::object_map_object(&ictx.id, snap), op).await?;
        }
    }
    Ok(())
}

async fn disable(ictx: &ImageCtx, features: u64) -> Result<(), Errno> {
    let new = ictx.features & !features;
    let (mut mask, mut flags) = (features, 0);
    if features & RBD_FEATURE_EXCLUSIVE_LOCK != 0 {
        if new & (RBD_FEATURE_OBJECT_MAP | RBD_FEATURE_JOURNALING) != 0 {
            return Err(Errno::EINVAL);
        }
        mask |= RBD_FEATURE_OBJECT_MAP | RBD_FEATURE_FAST_DIFF | RBD_FEATURE_JOURNALING;
    }
    if features & RBD_FEATURE_FAST_DIFF != 0 {
        flags |= RBD_FLAG_FAST_DIFF_INVALID;
    }
    if features & RBD_FEATURE_OBJECT_MAP != 0 {
        flags |= RBD_FLAG_OBJECT_MAP_INVALID;
        mask |= RBD_FEATURE_FAST_DIFF;
        map::close(ictx).await?;
        let maps = ictx.snaps.keys().map(|&id| Some(id)).chain([None]);
        for snap in maps {
            let mut op = ObjectOperation::new();
            op.remove();
            match ictx.io.exec(&naming::object_map_object(&ictx.id, snap), op).await {
                Ok(_) | Err(Errno::ENOENT) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let mut op = ObjectOperation::new();
    cls::set_features(&mut op, new, mask);
    if flags != 0 {
        cls::set_flags(&mut op, SnapId::HEAD, 0, flags);
    }
    ictx.io.exec(&ictx.header_object(), op).await.map(drop)
}

/// Rebuilds the object map of what the open shows (the head, or the
/// snapshot it reads) from the objects themselves, and marks it valid.
/// Objects are EXISTS or NONEXISTENT: fast-diff then reports every
/// existing object as changed, a safe superset.
pub async fn rebuild_object_map(ictx: &ImageCtx) -> Result<(), Errno> {
    if ictx.read_only {
        return Err(Errno::EROFS);
    }
    if ictx.features & RBD_FEATURE_OBJECT_MAP == 0 {
        return Err(Errno::EINVAL);
    }
    let snap = ictx.snap_id;
    let mut head = ictx.clone();
    head.snap_id = SnapId::HEAD;
    let _lock = head.prepare_write().await?;
    let count = object_count(&ictx.layout, ictx.size_at(snap)?);
    let mut bits = BitVector2::with_size(count);
    let objects: Vec<u64> = (0..count).collect();
    for batch in objects.chunks(CONCURRENT_OPS) {
        batch.iter().try_for_each(|&n| ictx.runtime.started(n, count))?;
        let stats = join_all(batch.iter().map(|&n| async move {
            let mut op = ObjectOperation::new();
            op.stat();
            (n, ictx.data_io.read(&ictx.data_object(n), snap, op).await.errno())
        }))
        .await;
        for (n, result) in stats {
            match result {
                Ok(()) => bits.set(n, OBJECT_EXISTS),
                Err(Errno::ENOENT) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let oid = naming::object_map_object(&ictx.id, (!snap.is_head()).then_some(snap.0));
    let mut op = ObjectOperation::new();
    if snap.is_head() && ictx.runtime.object_map.lock().is_some() {
        map_cls::assert_map_locked(&mut op);
    }
    map_cls::object_map_save(&mut op, &bits);
    ictx.io.write(&oid, &SnapContext::default(), op).await.errno()?;
    let mut op = ObjectOperation::new();
    cls::set_flags(&mut op, snap, 0, RBD_FLAG_OBJECT_MAP_INVALID | RBD_FLAG_FAST_DIFF_INVALID);
    ictx.io.exec(&ictx.header_object(), op).await?;
    if snap.is_head() {
        let mut held = ictx.runtime.object_map.lock();
        if held.is_some() {
            *held = Some(ObjectMap::new(bits));
        }
    }
    Ok(())
}

/// Punches the zeroed runs of at least `sparse_size` bytes (aligned to
/// it) out of every object, as librbd's sparsify: zeroes inside, a
/// truncate at the end, and removal of an object left empty (unless the
/// parent shows through it).
pub async fn sparsify(ictx: &ImageCtx, sparse_size: u64) -> Result<(), Errno> {
    if sparse_size < 4096 || !sparse_size.is_power_of_two() || sparse_size > ictx.layout.object_size() {
        return Err(Errno::EINVAL);
    }
    let _lock = ictx.prepare_write().await?;
    let count = object_count(&ictx.layout, ictx.size);
    let objects: Vec<u64> = (0..count).collect();
    for batch in objects.chunks(CONCURRENT_OPS) {
        batch.iter().try_for_each(|&n| ictx.runtime.started(n, count))?;
        join_all(batch.iter().map(|&n| sparsify_object(ictx, n, sparse_size)))
            .await
            .into_iter()
            .collect::<Result<(), Errno>>()?;
    }
    Ok(())
}

/// What to do to one object: its zero runs and whether nothing is left.
#[derive(Debug, PartialEq, Eq)]
pub enum Punch {
    Nothing,
    Remove,
    /// Zero these (offset, length) runs, then truncate at the offset given.
    Trim {
        zero: Vec<(u64, u64)>,
        truncate: Option<u64>,
    },
}

/// Finds the aligned all-zero runs of `sparse_size` bytes or more in a
/// sparse read of an object.
pub fn plan(read: &SparseReadOut, sparse_size: u64) -> Punch {
    let mut zero: Vec<(u64, u64)> = Vec::new();
    let mut at = 0usize;
    let mut end_of_data = 0;
    let mut kept_data = false;
    for (&offset, &length) in &read.extents {
        let data = &read.data[at..at + length as usize];
        at += length as usize;
        end_of_data = offset + length;
        let first = offset.div_ceil(sparse_size) * sparse_size;
        let mut chunk = first;
        if first > offset && data[..(first - offset).min(length) as usize].iter().any(|&b| b != 0) {
            kept_data = true;
        }
        while chunk + sparse_size <= offset + length {
            let bytes = &data[(chunk - offset) as usize..(chunk - offset + sparse_size) as usize];
            if bytes.iter().all(|&b| b == 0) {
                match zero.last_mut() {
                    Some((o, l)) if *o + *l == chunk => *l += sparse_size,
                    _ => zero.push((chunk, sparse_size)),
                }
            } else {
                kept_data = true;
            }
            chunk += sparse_size;
        }
        if chunk < offset + length && data[(chunk.max(offset) - offset) as usize..].iter().any(|&b| b != 0) {
            kept_data = true;
        }
    }
    // No byte but zeros: nothing worth keeping (reads give zeros either way).
    if !kept_data {
        return Punch::Remove;
    }
    if zero.is_empty() {
        return Punch::Nothing;
    }
    let truncate = match zero.last() {
        Some(&(o, l)) if o + l == end_of_data => {
            zero.pop();
            Some(o)
        }
        _ => None,
    };
    Punch::Trim { zero, truncate }
}

async fn sparsify_object(ictx: &ImageCtx, object_no: u64, sparse_size: u64) -> Result<(), Errno> {
    if ictx.runtime.object_map().is_some_and(|m| !m.object_may_exist(object_no)) {
        return Ok(());
    }
    let oid = ictx.data_object(object_no);
    let mut op = ObjectOperation::new();
    op.sparse_read(0, ictx.layout.object_size());
    let reply = ictx.data_io.read(&oid, SnapId::HEAD, op).await;
    let read = match reply.errno() {
        Ok(()) => crate::encoding::decode_exact::<SparseReadOut>(reply.out(0)?).map_err(|_| Errno::EBADMSG)?,
        Err(Errno::ENOENT) => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut op = ObjectOperation::new();
    op.assert_version(reply.version);
    let remove = match plan(&read, sparse_size) {
        Punch::Nothing => return Ok(()),
        // An empty object of a clone hides the parent: keep it, empty.
        Punch::Remove if ictx.object_overlaps_parent(object_no) => {
            op.truncate(0);
            false
        }
        Punch::Remove => {
            op.remove();
            true
        }
        Punch::Trim { zero, truncate } => {
            for (offset, length) in zero {
                op.zero(offset, length);
            }
            if let Some(size) = truncate {
                op.truncate(size);
            }
            false
        }
    };
    if remove {
        map::pre_write(ictx, object_no, WriteAction::Remove).await?;
    }
    match ictx.data_io.write(&oid, &ictx.snapc, op).await.errno() {
        // Written meanwhile: it keeps what was written.
        Err(Errno::ERANGE | Errno::EOVERFLOW) => return Ok(()),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    if remove {
        map::post_write(ictx, object_no, WriteAction::Remove).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn read(extents: &[(u64, Vec<u8>)]) -> SparseReadOut {
        let mut out = SparseReadOut::default();
        let mut data = Vec::new();
        for (o, d) in extents {
            out.extents.insert(*o, d.len() as u64);
            data.extend_from_slice(d);
        }
        out.data = Bytes::from(data);
        out
    }

    #[test]
    fn zero_runs_are_found() {
        let mut d = alloc::vec![0u8; 16384];
        d[5000] = 1;
        assert_eq!(plan(&read(&[(0, d)]), 4096), Punch::Trim { zero: alloc::vec![(0, 4096)], truncate: Some(8192) });
        assert_eq!(plan(&read(&[(0, alloc::vec![0u8; 8192])]), 4096), Punch::Remove);
        assert_eq!(plan(&read(&[(0, alloc::vec![1u8; 8192])]), 4096), Punch::Nothing);
        assert_eq!(plan(&read(&[]), 4096), Punch::Remove);
    }

    #[test]
    fn update_checks_follow_librbd() {
        let base = RBD_FEATURE_LAYERING | RBD_FEATURE_EXCLUSIVE_LOCK;
        assert_eq!(
            check_update(base, RBD_FEATURE_OBJECT_MAP, true),
            Ok(RBD_FEATURE_OBJECT_MAP | RBD_FEATURE_FAST_DIFF)
        );
        assert_eq!(check_update(base, RBD_FEATURE_LAYERING, true), Err(Errno::EINVAL));
        assert_eq!(check_update(base, RBD_FEATURE_EXCLUSIVE_LOCK, true), Err(Errno::EINVAL));
        assert_eq!(check_update(base, RBD_FEATURE_DEEP_FLATTEN, true), Err(Errno::EINVAL));
        assert_eq!(check_update(base, 0, true), Err(Errno::EINVAL));
    }
}
