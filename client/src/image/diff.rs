//! Which parts of an image hold data: QEMU's block status and `rbd du`,
//! `rbd diff` and sparse export ask it.

use std::sync::Arc;

use rbdrs_core::cls::rbd::types::{
    RBD_FEATURE_FAST_DIFF, RBD_FEATURE_OBJECT_MAP, RBD_FLAG_FAST_DIFF_INVALID, RBD_FLAG_OBJECT_MAP_INVALID,
};
use rbdrs_core::image::ImageCtx;
use rbdrs_core::osd::ObjectOperation;
use rbdrs_core::rados::join_all;
use rbdrs_core::striper::{extent_to_file, file_to_extents};
use rbdrs_core::Errno;

use super::Image;

impl Image {
    /// The allocated runs `(offset, length)` of `[offset, offset + length)`
    /// in image order, a whole object at a time. Existence comes from the
    /// object map when it is valid, else from the objects themselves; a
    /// clone's extents inside the parent overlap count as allocated when
    /// `include_parent` (the parent may hold data there).
    pub fn allocated(&self, offset: u64, length: u64, include_parent: bool) -> Result<Vec<(u64, u64)>, Errno> {
        // Cached writes must reach the objects before they are looked at.
        self.flush_cache()?;
        let ictx = self.ctx()?;
        let size = ictx.size_at(ictx.snap_id)?;
        let end = offset.checked_add(length).ok_or(Errno::EINVAL)?.min(size);
        if offset >= end {
            return Ok(Vec::new());
        }
        let extents = file_to_extents(&ictx.layout, offset, end - offset).map_err(|e| e.errno())?;
        let objects: Vec<u64> = extents.iter().map(|e| e.object_no).collect();
        let exists = self.object_existence(&ictx, objects, include_parent)?;
        // (image offset, length), in image order.
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        for (extent, &there) in extents.iter().zip(&exists) {
            if there {
                pieces.extend(extent.buffer_extents.iter().map(|b| (offset + b.offset, b.length)));
            }
        }
        pieces.sort_unstable_by_key(|p| p.0);
        let mut runs: Vec<(u64, u64)> = Vec::new();
        for (start, len) in pieces {
            match runs.last_mut() {
                Some((s, l)) if *s + *l == start => *l += len,
                _ => runs.push((start, len)),
            }
        }
        Ok(runs)
    }

    /// Whether each object may hold data (conservatively: when unsure, yes).
    fn object_existence(
        &self,
        ictx: &Arc<ImageCtx>,
        objects: Vec<u64>,
        include_parent: bool,
    ) -> Result<Vec<bool>, Errno> {
        let overlap = if include_parent { ictx.parent_overlap(ictx.snap_id) } else { 0 };
        let behind_parent = |object_no: u64| {
            overlap > 0
                && extent_to_file(&ictx.layout, object_no, 0, 1)
                    .is_ok_and(|e| e.first().is_some_and(|&(o, _)| o < overlap))
        };
        let map_valid = ictx.features & (RBD_FEATURE_OBJECT_MAP | RBD_FEATURE_FAST_DIFF) != 0
            && ictx.flags & (RBD_FLAG_OBJECT_MAP_INVALID | RBD_FLAG_FAST_DIFF_INVALID) == 0
            && ictx.snap_id.is_head();
        if let (true, Some(map)) = (map_valid, ictx.runtime.object_map()) {
            return Ok(objects.iter().map(|&n| map.object_may_exist(n) || behind_parent(n)).collect());
        }
        let ictx_flow = ictx.clone();
        let stats = self.connection().run_admin(async move {
            let stats = objects.iter().map(|&n| {
                let ictx = &ictx_flow;
                async move {
                    let mut op = ObjectOperation::new();
                    op.stat();
                    let reply = ictx.data_io.read(&ictx.data_object(n), ictx.snap_id, op).await;
                    (n, reply.errno())
                }
            });
            join_all(stats).await
        })?;
        stats
            .into_iter()
            .map(|(n, r)| match r {
                Ok(()) => Ok(true),
                Err(Errno::ENOENT) => Ok(behind_parent(n)),
                Err(e) => Err(e),
            })
            .collect()
    }
}
