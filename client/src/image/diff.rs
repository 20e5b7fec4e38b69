//! Which parts of an image hold data: QEMU's block status and `rbd du`,
//! `rbd diff` and sparse export ask it.

use std::sync::Arc;

use rbdrs_core::cls::rbd::object_map as map_cls;
use rbdrs_core::cls::rbd::types::{
    RBD_FEATURE_FAST_DIFF, RBD_FEATURE_OBJECT_MAP, RBD_FLAG_FAST_DIFF_INVALID, RBD_FLAG_OBJECT_MAP_INVALID,
};
use rbdrs_core::encoding::decode_exact;
use rbdrs_core::image::ImageCtx;
use rbdrs_core::naming;
use rbdrs_core::object_map::{ObjectMap, ObjectState};
use rbdrs_core::osd::{ObjectOperation, StatOut};
use rbdrs_core::rados::join_all;
use rbdrs_core::striper::{extent_to_file, file_to_extents};
use rbdrs_core::Errno;

use super::Image;

/// Whether the image keeps object maps (one of `features`) that no one
/// flagged invalid.
fn maps_trusted(ictx: &ImageCtx, features: u64) -> bool {
    ictx.features & features != 0 && ictx.flags & (RBD_FLAG_OBJECT_MAP_INVALID | RBD_FLAG_FAST_DIFF_INVALID) == 0
}

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

    /// Whether each object may hold data: by the object map when valid
    /// (conservatively), else by its size.
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
        let map_valid = maps_trusted(ictx, RBD_FEATURE_OBJECT_MAP | RBD_FEATURE_FAST_DIFF) && ictx.snap_id.is_head();
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
                    // An empty object holds no data (and hides the parent).
                    let size = reply.errno().and_then(|()| {
                        decode_exact::<StatOut>(reply.out(0)?).map(|s| s.size).map_err(|_| Errno::EBADMSG)
                    });
                    (n, size)
                }
            });
            join_all(stats).await
        })?;
        stats
            .into_iter()
            .map(|(n, r)| match r {
                Ok(size) => Ok(size > 0),
                Err(Errno::ENOENT) => Ok(behind_parent(n)),
                Err(e) => Err(e),
            })
            .collect()
    }

    /// The bytes written since the previous snapshot (or since creation) as
    /// fast-diff tells it, a whole object at a time: what `rbd du` reports
    /// for the head (`snap` None) or a snapshot. None when the image keeps
    /// no valid fast-diff object map; then only [`Image::allocated`] helps.
    pub fn written_since_previous_snapshot(&self, snap: Option<u64>) -> Result<Option<u64>, Errno> {
        let ictx = self.ctx()?;
        if !maps_trusted(&ictx, RBD_FEATURE_FAST_DIFF) {
            return Ok(None);
        }
        let size = match snap {
            Some(id) => ictx.snaps.get(&id).map(|s| s.size).ok_or(Errno::ENOENT)?,
            None => ictx.size,
        };
        let (io, oid) = (ictx.io.clone(), naming::object_map_object(&ictx.id, snap));
        let map = self.connection().run_admin(async move {
            let mut op = ObjectOperation::new();
            map_cls::object_map_load(&mut op);
            match io.read_head(&oid, op).await {
                Ok(reply) => map_cls::object_map_load_finish(reply.out(0)?).map(Some).map_err(|_| Errno::EBADMSG),
                Err(Errno::ENOENT) => Ok(None),
                Err(e) => Err(e),
            }
        })??;
        let Some(map) = map.map(ObjectMap::new) else { return Ok(None) };
        // A snapshot keeps the states it had when taken; taking one marks
        // the head's objects clean. So "written since" is "still EXISTS".
        let mut bytes = 0;
        for object_no in (0..map.len()).filter(|&n| map.state(n) == Some(ObjectState::Exists)) {
            let extents =
                extent_to_file(&ictx.layout, object_no, 0, ictx.layout.object_size()).map_err(|e| e.errno())?;
            bytes += extents.iter().filter(|&&(off, _)| off < size).map(|&(off, len)| len.min(size - off)).sum::<u64>();
        }
        Ok(Some(bytes))
    }
}
