//! Requests on one data object (librbd's io::ObjectRequest), including the
//! clone cases: reads of absent objects fall through to the parent, and the
//! first write to an object the parent still backs copies the parent's data
//! up in the same step.

use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::read_at;
use crate::image::{object_map, ImageCtx};
use crate::object_map::WriteAction;
use crate::osd::{ObjectOperation, ObjectReply, SnapId};
use crate::rados::join_all;
use crate::Errno;

/// What a write-like image request does to one object.
#[derive(Clone, Debug)]
pub(crate) enum ObjectWrite {
    Write {
        offset: u64,
        data: Bytes,
    },
    Zero {
        offset: u64,
        length: u64,
    },
    Truncate {
        offset: u64,
    },
    Remove,
    CompareWrite {
        offset: u64,
        compare: Bytes,
        data: Bytes,
    },
    /// Only the copy-up: flatten's way of making an object the child's own.
    CopyupOnly,
}

impl ObjectWrite {
    pub(super) fn add_to(&self, op: &mut ObjectOperation) {
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
pub(super) async fn read(
    ictx: &ImageCtx,
    snap: SnapId,
    object_no: u64,
    offset: u64,
    length: u64,
) -> Result<Vec<u8>, Errno> {
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

/// The parent's bytes behind object bytes `offset~length` as the image
/// shows them at `snap`: zeros outside that snapshot's overlap.
async fn read_parent(
    ictx: &ImageCtx,
    snap: SnapId,
    object_no: u64,
    offset: u64,
    length: u64,
) -> Result<Vec<u8>, Errno> {
    if ictx.parent_info_at(snap).is_none() {
        return Ok(vec![0u8; length as usize]);
    }
    read_parent_clipped(ictx, object_no, offset, length, ictx.parent_overlap(snap)).await
}

/// The parent's bytes behind object bytes `offset~length`, cut at
/// `overlap`: zeros past it or where the parent itself has nothing.
pub(super) async fn read_parent_clipped(
    ictx: &ImageCtx,
    object_no: u64,
    offset: u64,
    length: u64,
    overlap: u64,
) -> Result<Vec<u8>, Errno> {
    let mut out = vec![0u8; length as usize];
    let Some(parent) = &ictx.parent else {
        return Ok(out);
    };
    let parent_snap = parent.snap_id;
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

pub(super) fn finish(action: &ObjectWrite, reply: &ObjectReply) -> Result<(), Errno> {
    match (action, reply.errno()) {
        // Removing what is not there is what a discard wanted anyway.
        (ObjectWrite::Remove, Err(Errno::ENOENT)) => Ok(()),
        (_, result) => result,
    }
}

/// Applies `action` to an object, copying the parent's data up first when
/// the object does not exist yet and the parent still backs part of it.
pub(crate) async fn write(ictx: &ImageCtx, object_no: u64, action: ObjectWrite) -> Result<(), Errno> {
    let has_parent = super::copyup::needs_parent(ictx, object_no);
    let kind = match action {
        ObjectWrite::Remove if ictx.object_overlaps_parent(object_no) => WriteAction::Truncate,
        ObjectWrite::Remove => WriteAction::Remove,
        ObjectWrite::Truncate { .. } => WriteAction::Truncate,
        ObjectWrite::Zero { .. } => WriteAction::Zero,
        _ => WriteAction::Write,
    };
    if object_map::skip(ictx, object_no, kind, has_parent) {
        return Ok(());
    }
    object_map::pre_write(ictx, object_no, kind).await?;
    write_object(ictx, object_no, &action).await?;
    object_map::post_write(ictx, object_no, kind).await
}

async fn write_object(ictx: &ImageCtx, object_no: u64, action: &ObjectWrite) -> Result<(), Errno> {
    let oid = ictx.data_object(object_no);
    let io = &ictx.data_io;
    if !super::copyup::needs_parent(ictx, object_no) {
        let mut op = ObjectOperation::new();
        action.add_to(&mut op);
        if op.is_empty() {
            return Ok(());
        }
        return finish(action, &io.write(&oid, &ictx.snapc, op).await);
    }
    // Guard on existence: only an absent object needs the parent's data.
    let mut op = ObjectOperation::new();
    op.assert_exists();
    match action {
        ObjectWrite::Remove if ictx.object_overlaps_parent(object_no) => {
            op.truncate(0);
        }
        _ => action.add_to(&mut op),
    }
    let reply = io.write(&oid, &ictx.snapc, op).await;
    // An OSD fills in per-op results of a failed write only when asked
    // (RETURNVEC); with the guard first and no action that could itself
    // find nothing, ENOENT from the compound is the guard's.
    let guard_failed =
        reply.ops.first().is_some_and(|r| r.rval == Errno::ENOENT.to_ret()) || reply.errno() == Err(Errno::ENOENT);
    if !guard_failed {
        return finish(action, &reply);
    }
    super::copyup::copyup_and_write(ictx, object_no, action).await
}
