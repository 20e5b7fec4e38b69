//! Copy-up (librbd's io::CopyupRequest), exact for every snapshot.
//!
//! The first write to a clone's object that the parent still backs gives
//! the object the parent's data first. Snapshots taken while the object
//! was absent read it through their own parent link, with their own
//! overlap, which can differ from the head's (a shrink, a rollback, or no
//! parent at all). So that those snapshots own exactly what they showed
//! (and a deep flatten may unlink the parent from them), the content each
//! group of snapshots saw is laid down oldest first: each step writes the
//! next group's content under a snap context ending at the previous group,
//! so the OSD cuts a clone serving exactly that group. The head's own
//! content and the write itself go last, under the image's snap context.

use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::object::{finish, read_parent_clipped, ObjectWrite};
use crate::cls::rbd::client::copyup;
use crate::cls::rbd::object_map as map_cls;
use crate::image::ImageCtx;
use crate::naming;
use crate::object_map::OBJECT_EXISTS;
use crate::osd::{ObjectOperation, SnapContext, SnapId};
use crate::Errno;

/// The parent overlap each reader of the object has: the head, then each
/// snapshot in ascending order.
fn overlaps(ictx: &ImageCtx) -> (u64, Vec<(u64, u64)>) {
    let mut snaps: Vec<(u64, u64)> = ictx.snapc.snaps.iter().map(|&s| (s, ictx.parent_overlap(SnapId(s)))).collect();
    snaps.sort_unstable();
    (ictx.parent_overlap(SnapId::HEAD), snaps)
}

/// Whether the head or any snapshot reads this object through the parent.
pub(super) fn needs_parent(ictx: &ImageCtx, object_no: u64) -> bool {
    let (head, snaps) = overlaps(ictx);
    let max = snaps.iter().map(|&(_, o)| o).fold(head, u64::max);
    max > 0 && ictx.parent_extents(object_no, 0, ictx.layout.object_size(), max).iter().any(|&(_, _, inside)| inside)
}

/// `full` (the parent's bytes for the whole object, cut at the largest
/// overlap) as a reader with `overlap` sees it, without trailing zeros.
fn view(ictx: &ImageCtx, object_no: u64, full: &[u8], overlap: u64) -> Bytes {
    let mut data = vec![0u8; full.len()];
    let mut at = 0usize;
    for (_, len, inside) in ictx.parent_extents(object_no, 0, ictx.layout.object_size(), overlap) {
        let len = len as usize;
        if inside {
            data[at..at + len].copy_from_slice(&full[at..at + len]);
        }
        at += len;
    }
    let used = data.iter().rposition(|&b| b != 0).map_or(0, |last| last + 1);
    data.truncate(used);
    Bytes::from(data)
}

/// Copies the parent's data up into an absent object for the head and
/// every snapshot, then applies `action` under the image's snap context.
pub(super) async fn copyup_and_write(ictx: &ImageCtx, object_no: u64, action: &ObjectWrite) -> Result<(), Errno> {
    let oid = ictx.data_object(object_no);
    let io = &ictx.data_io;
    let (head_overlap, snaps) = overlaps(ictx);
    let max = snaps.iter().map(|&(_, o)| o).fold(head_overlap, u64::max);
    let full = read_parent_clipped(ictx, object_no, 0, ictx.layout.object_size(), max).await?;

    // Consecutive snapshots that saw the same bytes share one clone.
    let mut groups: Vec<(Vec<u64>, Bytes)> = Vec::new();
    for (snap, overlap) in snaps {
        let content = view(ictx, object_no, &full, overlap);
        match groups.last_mut() {
            Some((members, last)) if *last == content => members.push(snap),
            _ => groups.push((vec![snap], content)),
        }
    }

    // What the head holds as the steps go: None while the object is absent.
    let mut current: Option<Bytes> = None;
    let mut served: Vec<u64> = Vec::new();
    for (members, content) in &groups {
        let mut op = ObjectOperation::new();
        let snapc = match served.last() {
            None => {
                // The oldest snapshots: laid down outside any snapshot.
                if content.is_empty() {
                    served.extend(members);
                    continue;
                }
                copyup(&mut op, content.clone());
                SnapContext::default()
            }
            Some(&newest) => {
                op.write_full(content.clone());
                SnapContext::new(newest, served.iter().rev().copied().collect())
            }
        };
        io.write(&oid, &snapc, op).await.errno()?;
        current = Some(content.clone());
        served.extend(members);
        mark_snapshots_exist(ictx, object_no, members, content).await?;
    }

    let head = view(ictx, object_no, &full, head_overlap);
    let mut op = ObjectOperation::new();
    match &current {
        Some(content) if *content == head => {}
        Some(_) => {
            op.write_full(head);
        }
        None => copyup(&mut op, head),
    }
    // A compare must see the copied-up bytes, which an OSD only shows to
    // a later request (librbd splits it the same way).
    if matches!(action, ObjectWrite::CompareWrite { .. }) && !op.is_empty() {
        io.write(&oid, &ictx.snapc, op).await.errno()?;
        op = ObjectOperation::new();
    }
    match action {
        ObjectWrite::Remove if ictx.object_overlaps_parent(object_no) => {
            // The head still reads through: an empty object hides it.
            op.create(false).truncate(0);
        }
        _ => action.add_to(&mut op),
    }
    if op.is_empty() {
        return Ok(());
    }
    finish(action, &io.write(&oid, &ictx.snapc, op).await)
}

/// Snapshot object maps must not claim the object absent where a clone
/// now holds data for those snapshots.
async fn mark_snapshots_exist(ictx: &ImageCtx, object_no: u64, snaps: &[u64], content: &Bytes) -> Result<(), Errno> {
    if content.is_empty() || ictx.runtime.object_map.lock().is_none() {
        return Ok(());
    }
    for &snap in snaps {
        let mut op = ObjectOperation::new();
        map_cls::object_map_update(&mut op, object_no, object_no + 1, OBJECT_EXISTS, None);
        match ictx.io.exec(&naming::object_map_object(&ictx.id, Some(snap)), op).await {
            Ok(_) | Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
