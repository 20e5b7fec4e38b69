//! Copying an image (librbd's copy and api::Image::deep_copy): a new image
//! with the source's geometry, its metadata and its data; deep copy also
//! recreates its snapshots and keeps a clone's parent link.

use bytes::Bytes;
use rbdrs_core::cls::rbd::client as cls;
use rbdrs_core::cls::rbd::types::{RBD_FEATURES_ALL, RBD_FEATURES_INTERNAL};
use rbdrs_core::image::open::{close, open_by_id, set_snap};
use rbdrs_core::image::ImageCtx;
use rbdrs_core::osd::{ObjectOperation, SnapId};
use rbdrs_core::striper::object_count;
use rbdrs_core::Errno;
use std::collections::BTreeMap;

use super::admin::ImageOptions;
use super::{cache_config, Image};
use crate::rados::IoCtx;

/// How a copy is asked for, beyond the new image's options.
#[derive(Clone, Debug, Default)]
pub struct CopyRequest {
    pub options: ImageOptions,
    /// RBD_IMAGE_OPTION_FLATTEN given (and its value).
    pub flatten: Option<u64>,
    /// RBD_IMAGE_OPTION_CLONE_FORMAT given.
    pub clone_format: bool,
    /// Runs of zeroes this long (aligned) are not written; 0 writes all.
    pub sparse_size: u64,
}

/// Where `[0, size)` runs of at least `sparse` zero bytes are, skipped:
/// the (offset, data) pieces worth writing.
fn sparse_pieces(data: &[u8], sparse: u64) -> Vec<(usize, &[u8])> {
    if sparse == 0 {
        return vec![(0, data)];
    }
    let step = usize::try_from(sparse).unwrap_or(usize::MAX).max(1);
    let mut out: Vec<(usize, &[u8])> = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let end = (at + step).min(data.len());
        if data[at..end].iter().any(|&b| b != 0) {
            match out.last_mut() {
                Some((start, piece)) if *start + piece.len() == at => *piece = &data[*start..end],
                _ => out.push((at, &data[at..end])),
            }
        }
        at = end;
    }
    out
}

/// The source's geometry for whatever the caller left unset.
fn fill_options(ictx: &ImageCtx, req: &CopyRequest) -> Result<ImageOptions, Errno> {
    let mut opts = req.options.clone();
    if opts.format.unwrap_or(2) != 2 {
        return Err(Errno::EINVAL);
    }
    opts.format.get_or_insert(2);
    opts.stripe_unit.get_or_insert(ictx.layout.stripe_unit());
    opts.stripe_count.get_or_insert(ictx.layout.stripe_count());
    opts.order.get_or_insert(u64::from(ictx.layout.object_size().trailing_zeros()));
    // The class sets its own operation features.
    let features = *opts.features.get_or_insert(ictx.features & !RBD_FEATURES_INTERNAL);
    if features & !RBD_FEATURES_ALL != 0 {
        return Err(Errno::ENOSYS);
    }
    Ok(opts)
}

impl Image {
    /// Reads the image at `snap` through an open of its own.
    fn open_at(&self, snap: Option<&str>) -> Result<Image, Errno> {
        let ictx = self.ctx()?;
        let (io, name, id, snap) = (ictx.io.clone(), ictx.name.clone(), ictx.id.clone(), snap.map(str::to_string));
        let conn = self.connection().clone();
        // By id: the handle may have been opened by id, without a name.
        let opened = conn.run_admin(async move {
            let mut opened = open_by_id(io, name, id, true, 0).await?;
            if let Err(e) = set_snap(&mut opened, snap.as_deref()) {
                let _ = close(&opened).await;
                return Err(e);
            }
            Ok(opened)
        })??;
        let mut cache = cache_config(&conn, &opened)?;
        cache.enabled = false;
        Image::new(conn, opened, cache)
    }

    /// Copies the image metadata onto `dest`'s header, 64 keys at a time.
    fn copy_metadata(&self, dest: &Image) -> Result<(), Errno> {
        let (src, dst) = (self.ctx()?, dest.ctx()?);
        self.connection().run_admin(async move {
            let mut last = String::new();
            loop {
                let mut op = ObjectOperation::new();
                cls::metadata_list(&mut op, &last, 0);
                let pairs: BTreeMap<String, Bytes> = match src.io.read_head(&src.header_object(), op).await {
                    Ok(reply) => cls::metadata_list_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)?,
                    Err(Errno::EOPNOTSUPP | Errno::EIO) => BTreeMap::new(),
                    Err(e) => return Err(e),
                };
                let Some(next) = pairs.keys().next_back().cloned() else { return Ok(()) };
                let full = pairs.len() == 64;
                let mut op = ObjectOperation::new();
                cls::metadata_set(&mut op, &pairs);
                dst.io.exec(&dst.header_object(), op).await?;
                if !full {
                    return Ok(());
                }
                last = next;
            }
        })?
    }

    /// rbd_copy*: a new image `name` in `dest` with this one's size,
    /// features and layout (unless `req` says otherwise), its metadata and
    /// what it reads now. `progress` hears (bytes done, bytes).
    pub fn copy_to(
        &self,
        dest: &IoCtx,
        name: &str,
        req: &CopyRequest,
        progress: &dyn Fn(u64, u64),
    ) -> Result<(), Errno> {
        if req.flatten.is_some() || req.clone_format {
            return Err(Errno::EINVAL);
        }
        let ictx = self.ctx()?;
        let size = ictx.size_at(ictx.snap_id)?;
        let opts = fill_options(&ictx, req)?;
        dest.create_image(name, size, &opts)?;
        let target = Image::open(dest, name, None, false)?;
        let copied =
            self.copy_metadata(&target).and_then(|()| self.copy_data(&target, size, req.sparse_size, progress));
        let closed = target.close();
        copied.and(closed)
    }

    /// rbd_copy2: into an existing image at least as large (-EINVAL).
    pub fn copy_into(&self, target: &Image, progress: &dyn Fn(u64, u64)) -> Result<(), Errno> {
        let ictx = self.ctx()?;
        let size = ictx.size_at(ictx.snap_id)?;
        if target.size()? < size {
            return Err(Errno::EINVAL);
        }
        self.copy_metadata(target)?;
        self.copy_data(target, size, 0, progress)
    }

    fn copy_data(&self, target: &Image, size: u64, sparse: u64, progress: &dyn Fn(u64, u64)) -> Result<(), Errno> {
        let period = self.ctx()?.layout.period().max(1);
        let mut offset = 0;
        while offset < size {
            let len = period.min(size - offset);
            if !self.allocated(offset, len, true)?.is_empty() {
                let data = self.read(offset, len)?;
                for (at, piece) in sparse_pieces(&data, sparse) {
                    target.write(offset + at as u64, piece)?;
                }
            }
            progress(offset, size);
            offset += len;
        }
        target.flush()?;
        progress(size, size);
        Ok(())
    }

    /// rbd_deep_copy*: as [`copy_to`](Image::copy_to), and the snapshots
    /// (up to the one this handle reads, if any) come along with their
    /// data and protection; a clone stays a clone of the same parent
    /// snapshot unless the flatten option is set. `progress` hears
    /// (objects done, objects) over all passes.
    pub fn deep_copy_to(
        &self,
        dest: &IoCtx,
        name: &str,
        req: &CopyRequest,
        progress: &dyn Fn(u64, u64),
    ) -> Result<(), Errno> {
        let ictx = self.ctx()?;
        let opts = fill_options(&ictx, req)?;
        let size = ictx.size_at(ictx.snap_id)?;
        let flatten = req.flatten.unwrap_or(0) > 0;
        // Snapshots up to what this handle shows, oldest first.
        let snaps: Vec<(u64, String)> = ictx
            .snaps
            .iter()
            .filter(|(&id, _)| ictx.snap_id.is_head() || id <= ictx.snap_id.0)
            .map(|(&id, s)| (id, s.name.clone()))
            .collect();
        let linked = match (&ictx.parent, flatten) {
            (Some(parent), false) => Some(parent.clone()),
            _ => None,
        };
        match &linked {
            Some(parent) => {
                let parent_io = dest.with_core(parent.io.clone());
                let snap = parent.snaps.get(&parent.snap_id.0).map(|s| s.name.clone()).ok_or(Errno::ENOENT)?;
                let mut opts = opts.clone();
                opts.features = opts.features.map(|f| f | rbdrs_core::cls::rbd::types::RBD_FEATURE_LAYERING);
                dest.clone_image(&parent_io, &parent.name, &snap, name, &opts)?;
            }
            None => {
                dest.create_image(name, size, &opts)?;
            }
        }
        let target = Image::open(dest, name, None, false)?;
        let copied = self.copy_metadata(&target).and_then(|()| {
            let layout = ictx.layout;
            let mut passes: Vec<(Option<&str>, u64)> = Vec::new();
            for (id, name) in &snaps {
                passes.push((Some(name.as_str()), ictx.size_at(SnapId(*id))?));
            }
            passes.push((None, size));
            let total: u64 = passes.iter().map(|&(_, s)| object_count(&layout, s)).sum();
            let mut done = 0;
            for (snap, pass_size) in passes {
                let source = match snap {
                    Some(snap) => self.open_at(Some(snap))?,
                    None => self.open_at(None).and_then(|s| {
                        if !ictx.snap_id.is_head() {
                            let shown = ictx.snaps.get(&ictx.snap_id.0).map(|s| s.name.clone());
                            s.snap_set(shown.as_deref())?;
                        }
                        Ok(s)
                    })?,
                };
                let base = done;
                let step = |objects: u64| progress(base + objects, total);
                let result = source.mirror_into(&target, pass_size, &step);
                let _ = source.close();
                result?;
                done += object_count(&layout, pass_size);
                if let Some(snap) = snap {
                    target.snap_create(snap)?;
                    if self.snap_is_protected(snap)? {
                        target.snap_protect(snap)?;
                    }
                }
            }
            progress(total, total);
            Ok(())
        });
        let closed = target.close();
        copied.and(closed)
    }

    /// Makes `target` read what this image reads: same size, and each
    /// stripe period rewritten only where it differs.
    fn mirror_into(&self, target: &Image, size: u64, step: &dyn Fn(u64)) -> Result<(), Errno> {
        if target.size()? != size {
            target.resize(size)?;
        }
        let layout = self.ctx()?.layout;
        let period = layout.period().max(1);
        let mut offset = 0;
        while offset < size {
            let len = period.min(size - offset);
            let ours = !self.allocated(offset, len, true)?.is_empty();
            let theirs = !target.allocated(offset, len, true)?.is_empty();
            if ours || theirs {
                let data = if ours { self.read(offset, len)? } else { vec![0; len as usize] };
                if target.read(offset, len)? != data {
                    if data.iter().all(|&b| b == 0) {
                        target.write_zeroes(offset, len)?;
                    } else {
                        target.write(offset, &data)?;
                    }
                }
            }
            offset += len;
            step(object_count(&layout, offset));
        }
        target.flush()
    }
}
