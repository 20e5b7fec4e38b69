//! What librbd's C API asks of an open image beyond IO and the basic
//! snapshot calls: snapshots by id, the snapshot limit, rename, removal
//! with flags, progress callbacks, resize with its shrink guard, metadata
//! and the configuration overrides an image sees.

use std::collections::BTreeMap;

use rbdrs_core::cls::rbd::client as cls;
use rbdrs_core::cls::rbd::types::{ChildImageSpec, SnapshotNamespace, RBD_FEATURE_OBJECT_MAP};
use rbdrs_core::encoding::UtcTime;
use rbdrs_core::image::open::refresh;
use rbdrs_core::image::open::{close, open_by_id, set_snap_id, user_snap_by_name};
use rbdrs_core::image::watcher::ProxiedOp;
use rbdrs_core::image::{features, manage, metadata, snapshot, ProgressSink};
use rbdrs_core::object_map::MAX_OBJECT_MAP_OBJECT_COUNT;
use rbdrs_core::osd::{ObjectOperation, SnapId};
use rbdrs_core::striper::object_count;
use rbdrs_core::Errno;

use super::Image;
use crate::config::{accepted_options, Config};

/// rbd_snap_remove2's flags.
pub const SNAP_REMOVE_UNPROTECT: u32 = 1 << 0;
pub const SNAP_REMOVE_FLATTEN: u32 = 1 << 1;

/// A snapshot as the open image knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapEntry {
    pub name: String,
    pub size: u64,
    pub namespace: SnapshotNamespace,
    pub timestamp: UtcTime,
}

/// Where an option's value comes from (rbd_config_source_t).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    Config = 0,
    Pool = 1,
    Image = 2,
}

/// ... nor, for an image, these (they only matter when creating one).
const EXCLUDED_FOR_IMAGE: &[&str] = &[
    "rbd_default_clone_format",
    "rbd_default_data_pool",
    "rbd_default_features",
    "rbd_default_format",
    "rbd_default_order",
    "rbd_default_stripe_count",
    "rbd_default_stripe_unit",
    "rbd_journal_order",
    "rbd_journal_pool",
    "rbd_journal_splay_width",
];

/// Whether `name` is an option an image may override (api::Config's
/// is_option_name with image-only options).
pub fn is_image_option(name: &str) -> bool {
    image_options().any(|o| o == name)
}

fn image_options() -> impl Iterator<Item = &'static str> {
    accepted_options().map(|(name, _, _)| name).filter(|name| {
        name.starts_with("rbd_")
            && !super::pool::EXCLUDED_OPTIONS.contains(name)
            && !EXCLUDED_FOR_IMAGE.contains(name)
            && !name.starts_with("rbd_mirror_")
    })
}

impl Image {
    /// The image's name (empty for one opened by id out of the directory).
    pub fn name(&self) -> Result<String, Errno> {
        Ok(self.ctx()?.name.clone())
    }

    /// The parent of what the image shows (None without one), with the
    /// namespace type of its snapshot and whether the parent is in the
    /// trash (then named as the trash names it), as api::Image::get_parent.
    pub fn parent_details(&self) -> Result<Option<(super::ParentSpec, u32, bool)>, Errno> {
        let Some(mut spec) = self.parent()? else { return Ok(None) };
        let ictx = self.ctx()?;
        let kind =
            ictx.parent.as_ref().and_then(|p| p.snaps.get(&spec.snap_id)).map_or(0, |s| s.namespace.namespace_type());
        let io = ictx.io.with_pool(spec.pool_id, spec.pool_namespace.clone());
        let id = spec.image_id.clone();
        let trash_name = self.connection().run_admin(async move {
            let mut op = ObjectOperation::new();
            cls::dir_get_name(&mut op, &id);
            match io.read_head(rbdrs_core::naming::RBD_DIRECTORY, op).await {
                Ok(_) => return Ok(None),
                Err(Errno::ENOENT) => {}
                Err(e) => return Err(e),
            }
            let mut op = ObjectOperation::new();
            op.call(cls::CLASS, "trash_get", bytes::Bytes::from(rbdrs_core::encoding::encode_to_vec(&id)));
            match io.read_head(rbdrs_core::naming::RBD_TRASH, op).await {
                // cls_rbd_trash_image_spec: source (u8), then the name.
                Ok(reply) => rbdrs_core::encoding::Decoder::new(reply.out(0)?)
                    .versioned(2, |d, _| {
                        d.u8()?;
                        d.string()
                    })
                    .map(Some)
                    .map_err(|_| Errno::EBADMSG),
                Err(_) => Ok(Some(id.clone())),
            }
        })??;
        let trash = trash_name.is_some();
        if let Some(name) = trash_name {
            spec.image_name = name;
        }
        Ok(Some((spec, kind, trash)))
    }

    /// The id of user snapshot `name`.
    pub fn snap_id_of(&self, name: &str) -> Result<u64, Errno> {
        Ok(user_snap_by_name(&*self.ctx()?, name)?.0)
    }

    /// Snapshot `id` of any namespace; -ENOENT if there is none.
    pub fn snap_entry(&self, id: u64) -> Result<SnapEntry, Errno> {
        let ictx = self.ctx()?;
        let snap = ictx.snaps.get(&id).ok_or(Errno::ENOENT)?;
        Ok(SnapEntry {
            name: snap.name.clone(),
            size: snap.size,
            namespace: snap.namespace.clone(),
            timestamp: snap.timestamp,
        })
    }

    /// How many snapshots the image may have (u64::MAX: no limit).
    pub fn snap_limit(&self) -> Result<u64, Errno> {
        let ictx = self.ctx()?;
        self.connection().run_admin(async move {
            let mut op = ObjectOperation::new();
            cls::snapshot_get_limit(&mut op);
            let reply = ictx.io.read_head(&ictx.header_object(), op).await?;
            cls::snapshot_get_limit_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)
        })?
    }

    /// Sets the limit under the exclusive lock (librbd does not proxy it);
    /// -ERANGE below the snapshots there are.
    pub fn set_snap_limit(&self, limit: u64) -> Result<(), Errno> {
        self.snap_op("", move |ictx, _| async move {
            let result = async {
                let _lock = ictx.prepare_write().await?;
                let mut op = ObjectOperation::new();
                cls::snapshot_set_limit(&mut op, limit);
                ictx.io.exec(&ictx.header_object(), op).await.map(drop)
            }
            .await;
            (ictx, result)
        })
    }

    /// Renames user snapshot `from` (proxied to the lock owner as librbd does).
    pub fn snap_rename(&self, from: &str, to: &str) -> Result<(), Errno> {
        let ictx = self.ctx()?;
        if ictx.read_only {
            return Err(Errno::EROFS);
        }
        let snap = user_snap_by_name(&ictx, from)?;
        if user_snap_by_name(&ictx, to).is_ok() {
            return Err(Errno::EEXIST);
        }
        let to = to.to_string();
        self.maintain(ProxiedOp::SnapRename { snap_id: snap.0, name: to.clone() }, |image| {
            image.snap_op(from, move |mut ictx, from| {
                let to = to.clone();
                async move {
                    let r = snapshot::rename(&mut ictx, &from, &to).await;
                    (ictx, r)
                }
            })
        })
    }

    /// Removes snapshot `id` of whatever namespace (rbd_snap_remove_by_id).
    pub fn snap_remove_id(&self, id: u64) -> Result<(), Errno> {
        let entry = self.snap_entry(id)?;
        if entry.namespace == SnapshotNamespace::User {
            return self.snap_remove(&entry.name);
        }
        self.snap_op("", move |mut ictx, _| async move {
            let r = snapshot::remove_by_id(&mut ictx, SnapId(id)).await;
            (ictx, r)
        })
    }

    /// rbd_snap_remove2: with SNAP_REMOVE_FLATTEN the snapshot's clones
    /// are flattened first, with SNAP_REMOVE_UNPROTECT it is unprotected.
    /// Other bits are ignored, as librbd 16.2.15 does.
    pub fn snap_remove_flags(&self, name: &str, flags: u32, sink: Option<ProgressSink>) -> Result<(), Errno> {
        let snap = self.snap_id_of(name)?;
        let protected = self.snap_is_protected(name)?;
        if flags & SNAP_REMOVE_FLATTEN != 0 {
            let ictx = self.ctx()?;
            self.connection().run_admin(async move {
                for child in snapshot::children(&ictx, SnapId(snap)).await? {
                    flatten_child(&ictx, &child, sink.clone()).await?;
                }
                Ok::<(), Errno>(())
            })??;
        }
        if protected && flags & SNAP_REMOVE_UNPROTECT != 0 {
            self.snap_unprotect(name)?;
        }
        self.snap_remove(name)
    }

    /// Reads from snapshot `id` (any namespace) from now on; u64::MAX
    /// (CEPH_NOSNAP) is the head.
    pub fn snap_set_id(&self, id: u64) -> Result<(), Errno> {
        self.ctx()?;
        self.invalidate_cache()?;
        let mut ictx = self.ictx.write().map_err(|_| Errno::EIO)?;
        set_snap_id(std::sync::Arc::make_mut(&mut ictx), SnapId(id))
    }

    /// Runs `f` with `sink` told of each object a maintenance pass starts
    /// on this open (or that the lock owner reports doing for it).
    pub fn with_progress<T>(
        &self,
        sink: Option<ProgressSink>,
        f: impl FnOnce(&Self) -> Result<T, Errno>,
    ) -> Result<T, Errno> {
        let runtime = self.ctx()?.runtime.clone();
        let previous = runtime.set_progress_sink(sink);
        let result = f(self);
        runtime.set_progress_sink(previous);
        result
    }

    /// Resizes; refuses to shrink unless `allow_shrink` (-EINVAL), and a
    /// size whose object map would be too big (-EINVAL), as librbd.
    pub fn resize2(&self, size: u64, allow_shrink: bool) -> Result<(), Errno> {
        let ictx = self.ctx()?;
        if ictx.features & RBD_FEATURE_OBJECT_MAP != 0 && object_count(&ictx.layout, size) > MAX_OBJECT_MAP_OBJECT_COUNT
        {
            return Err(Errno::EINVAL);
        }
        if size < ictx.size && allow_shrink {
            self.invalidate_cache()?;
        }
        self.maintain(ProxiedOp::Resize { size, allow_shrink }, |image| {
            image.update(move |mut ictx| async move {
                if !allow_shrink && size < ictx.size {
                    return (ictx, Err(Errno::EINVAL));
                }
                let r = manage::resize(&mut ictx, size).await;
                (ictx, r)
            })
        })
    }

    /// Enables or disables `features` (librbd's update_features rules);
    /// enabling object-map leaves it flagged invalid until rebuilt.
    pub fn update_features(&self, features: u64, enabled: bool) -> Result<(), Errno> {
        let ictx = self.ctx()?;
        if ictx.read_only {
            return Err(Errno::EROFS);
        }
        features::check_update(ictx.features, features, enabled)?;
        self.update(move |mut ictx| async move {
            let r = features::update(&mut ictx, features, enabled).await;
            (ictx, r)
        })
    }

    /// Rebuilds the object map of what the open shows from the objects.
    pub fn rebuild_object_map(&self) -> Result<(), Errno> {
        self.flush_cache()?;
        self.maintain(ProxiedOp::RebuildObjectMap, |image| {
            image.update(|mut ictx| async move {
                let mut r = features::rebuild_object_map(&ictx).await;
                if r.is_ok() {
                    r = refresh(&mut ictx).await;
                }
                (ictx, r)
            })
        })
    }

    /// Punches zeroed runs of `sparse_size` bytes or more out of the objects.
    pub fn sparsify(&self, sparse_size: u64) -> Result<(), Errno> {
        let ictx = self.ctx()?;
        if sparse_size < 4096 || !sparse_size.is_power_of_two() || sparse_size > ictx.layout.object_size() {
            return Err(Errno::EINVAL);
        }
        self.flush_cache()?;
        self.maintain(ProxiedOp::Sparsify { sparse_size }, |image| {
            image.update(move |ictx| async move {
                let r = features::sparsify(&ictx, sparse_size).await;
                (ictx, r)
            })
        })
    }

    /// Sets metadata `key`; a `conf_` key must name an image option and
    /// carry a value it accepts (-EINVAL otherwise), as librbd checks.
    pub fn metadata_set(&self, key: &str, value: &str) -> Result<(), Errno> {
        if let Some(option) = key.strip_prefix(metadata::CONF_PREFIX).filter(|o| !o.is_empty()) {
            if !is_image_option(option) {
                return Err(Errno::EINVAL);
            }
            Config::for_id(None).set(option, value)?;
        }
        if self.ctx()?.read_only {
            return Err(Errno::EROFS);
        }
        let (key, value) = (key.to_string(), value.to_string());
        self.snap_op("", move |ictx, _| {
            let (key, value) = (key.clone(), value.clone());
            async move {
                let r = metadata::set(&ictx, &key, &value).await;
                (ictx, r)
            }
        })
    }

    /// Removes metadata `key`: -ENOENT if it is not set.
    pub fn metadata_remove(&self, key: &str) -> Result<(), Errno> {
        if self.ctx()?.read_only {
            return Err(Errno::EROFS);
        }
        self.metadata_get(key)?;
        self.snap_op(key, move |ictx, key| async move {
            let r = metadata::remove(&ictx, &key).await;
            (ictx, r)
        })
    }

    /// Up to `max` (0: all) metadata entries after `start`, by key.
    pub fn metadata_list(&self, start: &str, max: u64) -> Result<BTreeMap<String, Vec<u8>>, Errno> {
        let ictx = self.ctx()?;
        let start = start.to_string();
        let listed = self
            .connection()
            .run_admin(async move { metadata::list(&ictx.io, &ictx.header_object(), &start, max).await })??;
        Ok(listed.into_iter().map(|(k, v)| (k, v.to_vec())).collect())
    }

    /// Every option the image may override, with its value and where that
    /// comes from: the client's configuration, the pool's or the image's
    /// `conf_` overrides (api::Config::list).
    pub fn config_list(&self) -> Result<Vec<(String, String, ConfigSource)>, Errno> {
        let ictx = self.ctx()?;
        let (pool, image) = self.connection().run_admin(async move {
            let pool = metadata::pool_overrides(&ictx.io).await?;
            let image = metadata::overrides(&ictx.io, &ictx.header_object()).await?;
            Ok::<_, Errno>((pool, image))
        })??;
        let config = self.connection().config()?;
        let mut out = Vec::new();
        let mut names: Vec<&str> = image_options().collect();
        names.sort_unstable();
        for name in names {
            let entry = match (image.get(name), pool.get(name)) {
                (Some(v), _) => (v.clone(), ConfigSource::Image),
                (None, Some(v)) => (v.clone(), ConfigSource::Pool),
                (None, None) => (config.get(name)?, ConfigSource::Config),
            };
            out.push((name.to_string(), entry.0, entry.1));
        }
        Ok(out)
    }
}

/// Opens a clone of the snapshot and flattens it (rbd_snap_remove2 with
/// RBD_SNAP_REMOVE_FLATTEN), its progress told to `sink`.
async fn flatten_child(
    parent: &rbdrs_core::image::ImageCtx,
    child: &ChildImageSpec,
    sink: Option<ProgressSink>,
) -> Result<(), Errno> {
    let io = parent.io.with_pool(child.pool_id, child.pool_namespace.clone());
    let mut ictx = open_by_id(io, String::new(), child.image_id.clone(), false, 0).await?;
    ictx.runtime.set_progress_sink(sink);
    let result = manage::flatten(&mut ictx).await;
    let closed = close(&ictx).await;
    result.and(closed)
}
