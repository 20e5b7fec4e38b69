//! Maintenance operations over many objects (librbd's operation/):
//! trimming on shrink, rollback to a snapshot, flatten, removal. Each walks
//! a range of object numbers with a bounded number of requests in flight.

use alloc::vec::Vec;
use core::future::Future;

use super::io::object::{self, ObjectWrite};
use super::ImageCtx;
use crate::object_map::WriteAction;
use crate::osd::ObjectOperation;
use crate::rados::join_all;
use crate::striper::{file_to_extents, object_count};
use crate::Errno;

/// librbd's rbd_concurrent_management_ops default.
pub const CONCURRENT_OPS: usize = 10;

/// Runs `op` for each object number, at most `CONCURRENT_OPS` at a time;
/// stops at the first batch with an error. Progress goes to the open's
/// runtime, where a lock owner running it for a peer reports it.
async fn for_each_object<F, Fut>(ictx: &ImageCtx, objects: core::ops::Range<u64>, op: F) -> Result<(), Errno>
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<(), Errno>>,
{
    let objects: Vec<u64> = objects.collect();
    let total = objects.len() as u64;
    for batch in objects.chunks(CONCURRENT_OPS) {
        batch.iter().try_for_each(|&n| ictx.runtime.started(n, total))?;
        join_all(batch.iter().map(|&n| op(n))).await.into_iter().collect::<Result<(), Errno>>()?;
    }
    ictx.runtime.note_progress(total, total);
    Ok(())
}

/// Drops the data past `new_size` when an image shrinks (TrimRequest):
/// objects wholly past it are removed, boundary objects truncated. Writes
/// carry the snap context, so snapshots keep what they saw.
pub async fn trim(ictx: &ImageCtx, old_size: u64, new_size: u64) -> Result<(), Errno> {
    if new_size >= old_size {
        return Ok(());
    }
    let extents = file_to_extents(&ictx.layout, new_size, old_size - new_size).map_err(|e| e.errno())?;
    let by_object: Vec<(u64, u64)> = extents.iter().map(|e| (e.object_no, e.offset)).collect();
    // As TrimRequest: object numbers out of the old object count.
    let total = object_count(&ictx.layout, old_size);
    for batch in by_object.chunks(CONCURRENT_OPS) {
        batch.iter().try_for_each(|&(n, _)| ictx.runtime.started(n, total))?;
        let requests = batch.iter().map(|&(object_no, offset)| {
            let action = if offset == 0 { ObjectWrite::Remove } else { ObjectWrite::Truncate { offset } };
            plain_write(ictx, object_no, action)
        });
        join_all(requests).await.into_iter().collect::<Result<(), Errno>>()?;
    }
    Ok(())
}

/// A write that never copies up: trimmed bytes lie past the (shrunk)
/// parent overlap, so the parent must not show through them again.
async fn plain_write(ictx: &ImageCtx, object_no: u64, action: ObjectWrite) -> Result<(), Errno> {
    let (kind, mut op) = (
        if matches!(action, ObjectWrite::Remove) { WriteAction::Remove } else { WriteAction::Truncate },
        ObjectOperation::new(),
    );
    match action {
        ObjectWrite::Remove => op.remove(),
        ObjectWrite::Truncate { offset } => op.truncate(offset),
        _ => return Err(Errno::EINVAL),
    };
    // The map must say "gone" for every object a shrink removes, or the
    // map's resize refuses (-ESTALE), as cls_rbd's object_map_resize does.
    super::object_map::pre_write(ictx, object_no, kind).await?;
    match ictx.data_io.write(&ictx.data_object(object_no), &ictx.snapc, op).await.errno() {
        Ok(()) | Err(Errno::ENOENT) => {}
        Err(e) => return Err(e),
    }
    super::object_map::post_write(ictx, object_no, kind).await
}

/// Rolls every object of the image back to `snap` (SnapshotRollbackRequest's
/// object pass): each object becomes what it was then, or goes if it did
/// not exist. `objects_size` is the larger of the head and snapshot sizes.
pub async fn rollback_objects(ictx: &ImageCtx, snap: u64, objects_size: u64) -> Result<(), Errno> {
    for_each_object(ictx, 0..object_count(&ictx.layout, objects_size), |object_no| async move {
        let mut op = ObjectOperation::new();
        op.rollback(snap);
        match ictx.data_io.write(&ictx.data_object(object_no), &ictx.snapc, op).await.errno() {
            Err(Errno::ENOENT) => Ok(()),
            result => result,
        }
    })
    .await
}

/// Copies up every object the parent still backs (FlattenRequest's object
/// pass); the caller then detaches the parent. Copy-up gives snapshots
/// their own data, so with deep-flatten they no longer need the parent.
pub async fn flatten_objects(ictx: &ImageCtx) -> Result<(), Errno> {
    // Snapshots may read further into the parent than the head does; they
    // must own their data too before a deep flatten unlinks them.
    let overlap = ictx
        .snapc
        .snaps
        .iter()
        .map(|&s| ictx.parent_overlap(crate::osd::SnapId(s)))
        .fold(ictx.parent_overlap(crate::osd::SnapId::HEAD), u64::max);
    if overlap == 0 {
        return Ok(());
    }
    // Every object holding a byte below the overlap.
    let last = file_to_extents(&ictx.layout, 0, overlap).map_err(|e| e.errno())?.iter().map(|e| e.object_no).max();
    let objects = last.map_or(0, |n| n + 1);
    for_each_object(ictx, 0..objects, |object_no| object::write(ictx, object_no, ObjectWrite::CopyupOnly)).await
}

/// Removes the head of every data object of an image of `size` bytes
/// (RemoveRequest's trim to zero).
pub async fn remove_objects(ictx: &ImageCtx, size: u64) -> Result<(), Errno> {
    remove_objects_reporting(ictx, size, &|_, _| {}).await
}

/// [`remove_objects`], telling `report` (objects done, objects) after
/// each batch, as librbd's trim reports to a ProgressContext.
pub async fn remove_objects_reporting(
    ictx: &ImageCtx,
    size: u64,
    report: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<(), Errno> {
    let total = object_count(&ictx.layout, size);
    let mut done = 0;
    while done < total {
        let end = (done + CONCURRENT_OPS as u64).min(total);
        for_each_object(ictx, done..end, |object_no| plain_write(ictx, object_no, ObjectWrite::Remove)).await?;
        done = end;
        report(done, total);
    }
    Ok(())
}
