//! Requests on one data object (librbd's io::ObjectRequest), including the
//! clone cases: reads of absent objects fall through to the parent, and the
//! first write to an object the parent still backs copies the parent's data
//! up in the same step.

use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::read_at;
use crate::cls::rbd::client::copyup;
use crate::image::ImageCtx;
use crate::osd::{ObjectOperation, ObjectReply, SnapId};
use crate::rados::join_all;
use crate::Errno;

/// What a write-like image request does to one object.
#[derive(Clone, Debug)]
pub(crate) enum ObjectWrite {
    Write { offset: u64, data: Bytes },
    Zero { offset: u64, length: u64 },
    Truncate { offset: u64 },
    Remove,
    CompareWrite { offset: u64, compare: Bytes, data: Bytes },
    /// Only the copy-up: flatten's way of making an object the child's own.
    CopyupOnly,
}

impl ObjectWrite {
    fn add_to(&self, op: &mut ObjectOperation) {
        match self {
            ObjectWrite::Write { offset, data } => {
                op.write(*offset, data.clone());
            }
            ObjectWrite::Zero { offset, length } => {
                op.zero(*offset, *length);
            }
            ObjectWrite::Truncate { offset } => {
                op.truncate(*offset);
            }
            ObjectWrite::Remove => {
                op.remove();
            }
            ObjectWrite::CompareWrite { offset, compare, data } => {
                op.cmpext(*offset, compare.clone()).write(*offset, data.clone());
            }
            ObjectWrite::CopyupOnly => {}
        }
    }
}

/// `length` bytes at `offset` of an object as the image shows them at `snap`.
pub(super) async fn read(ictx: &ImageCtx, snap: SnapId, object_no: u64, offset: u64, length: u64) -> Result<Vec<u8>, Errno> {
    let mut op = ObjectOperation::new();
    op.read(offset, length);
    let reply = ictx.data_io.read(&ictx.data_object(object_no), snap, op).await;
    match reply.errno() {
        Ok(()) => {
            let mut data = reply.ops.first().map(|r| r.out.to_vec()).unwrap_or_default();
            data.resize(length as usize, 0); // a short object reads as zeros
            Ok(data)
        }
        Err(Errno::ENOENT) => read_parent(ictx, snap, object_no, offset, length).await,
        Err(e) => Err(e),
    }
}

/// The parent's bytes behind object bytes `offset~length`: zeros outside
/// the overlap or where the parent itself has nothing.
async fn read_parent(ictx: &ImageCtx, snap: SnapId, object_no: u64, offset: u64, length: u64) -> Result<Vec<u8>, Errno> {
    let mut out = vec![0u8; length as usize];
    let overlap = ictx.parent_overlap(snap);
    let (Some(parent), Some(info)) = (&ictx.parent, ictx.parent_info_at(snap)) else {
        return Ok(out);
    };
    let parent_snap = info.spec.snap_id;
    let parent_size = parent.size_at(parent_snap)?;
    let mut reads = Vec::new();
    let mut at = 0usize;
    for (image_offset, len, inside) in ictx.parent_extents(object_no, offset, length, overlap) {
        // The parent may be smaller than the overlap claims; past its end is zeros.
        let len_in_parent = if inside { parent_size.saturating_sub(image_offset).min(len) } else { 0 };
        if len_in_parent > 0 {
            reads.push((at, read_at(parent, parent_snap, image_offset, len_in_parent)));
        }
        at += len as usize;
    }
    let (positions, futures): (Vec<_>, Vec<_>) = reads.into_iter().unzip();
    for (position, data) in positions.into_iter().zip(join_all(futures).await) {
        let data = data?;
        out[position..position + data.len()].copy_from_slice(&data);
    }
    Ok(out)
}

fn finish(action: &ObjectWrite, reply: &ObjectReply) -> Result<(), Errno> {
    match (action, reply.errno()) {
        // Removing what is not there is what a discard wanted anyway.
        (ObjectWrite::Remove, Err(Errno::ENOENT)) => Ok(()),
        (_, result) => result,
    }
}

/// Applies `action` to an object, copying the parent's data up first when
/// the object does not exist yet and the parent still backs part of it.
pub(crate) async fn write(ictx: &ImageCtx, object_no: u64, action: ObjectWrite) -> Result<(), Errno> {
    let oid = ictx.data_object(object_no);
    let io = &ictx.data_io;
    if !ictx.object_overlaps_parent(object_no) {
        let mut op = ObjectOperation::new();
        action.add_to(&mut op);
        if op.is_empty() {
            return Ok(());
        }
        return finish(&action, &io.write(&oid, &ictx.snapc, op).await);
    }
    if let ObjectWrite::Remove = action {
        // An empty object hides the parent's data without copying it.
        let mut op = ObjectOperation::new();
        op.create(false).truncate(0);
        return io.write(&oid, &ictx.snapc, op).await.errno();
    }
    // Guard on existence: only an absent object needs the parent's data.
    let mut op = ObjectOperation::new();
    op.assert_exists();
    action.add_to(&mut op);
    let reply = io.write(&oid, &ictx.snapc, op).await;
    let guard_failed = reply.ops.first().is_some_and(|r| r.rval == Errno::ENOENT.to_ret());
    if !guard_failed {
        return finish(&action, &reply);
    }
    // Copy-up and the change in one compound, under the image's snap
    // context: snapshots taken while the object was absent keep reading
    // through their own parent link and overlap, which may differ from
    // the head's (a shrink, a rollback, a flatten in between).
    let data = copyup_data(ictx, object_no).await?;
    let mut op = ObjectOperation::new();
    copyup(&mut op, data);
    action.add_to(&mut op);
    finish(&action, &io.write(&oid, &ictx.snapc, op).await)
}

/// The whole object as the parent backs it, cut after its last byte of
/// data; empty when the parent has only zeros there (nothing to copy).
async fn copyup_data(ictx: &ImageCtx, object_no: u64) -> Result<Bytes, Errno> {
    let mut data = read_parent(ictx, SnapId::HEAD, object_no, 0, ictx.layout.object_size()).await?;
    let used = data.iter().rposition(|&b| b != 0).map_or(0, |last| last + 1);
    data.truncate(used);
    Ok(Bytes::from(data))
}
