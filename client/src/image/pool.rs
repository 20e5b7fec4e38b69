//! Pool-level calls beyond create/list (librbd's api::Trash, Namespace,
//! PoolMetadata, Config and Pool): the trash, namespaces, pool metadata,
//! pool configuration overrides and image statistics.

use std::collections::BTreeMap;
use std::sync::Arc;

use rbdrs_core::cls::rbd::types::TrashImageSpec;
use rbdrs_core::image::pool::{self, ImageStats};
use rbdrs_core::image::{manage, trash};
use rbdrs_core::Errno;

use crate::config::{accepted_options, Config, EntityName};
use crate::rados::IoCtx;

/// A progress sink: (done, total), from the thread the operation runs on.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Where a configuration value comes from (rbd_config_source_t).
pub const CONFIG_SOURCE_CONFIG: i32 = 0;
pub const CONFIG_SOURCE_POOL: i32 = 1;

/// The pool metadata keys that override configuration options.
pub const CONF_PREFIX: &str = "conf_";

/// Options a pool or an image may not override, and that librbd never
/// lists (Config.cc's EXCLUDE_OPTIONS).
pub(crate) const EXCLUDED_OPTIONS: &[&str] = &[
    "rbd_auto_exclusive_lock_until_manual_request",
    "rbd_default_format",
    "rbd_default_pool",
    "rbd_discard_on_zeroed_write_same",
    "rbd_op_thread_timeout",
    "rbd_op_threads",
    "rbd_tracing",
    "rbd_validate_names",
    "rbd_validate_pool",
    "rbd_mirror_pool_replayers_refresh_interval",
    "rbd_config_pool_override_update_timestamp",
];

/// Whether `name` is an option a pool (or image) may override.
pub fn is_pool_option(name: &str) -> bool {
    name.starts_with("rbd_") && !EXCLUDED_OPTIONS.contains(&name) && accepted_options().any(|(n, _, _)| n == name)
}

/// One entry of rbd_config_pool_list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigOption {
    pub name: String,
    pub value: String,
    pub source: i32,
}

impl IoCtx {
    /// Runs an admin flow on the runtime and waits for its result.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        flow: impl std::future::Future<Output = Result<T, Errno>> + Send + 'static,
    ) -> Result<T, Errno> {
        self.connection().run_admin(flow)?
    }

    /// Moves image `name` to the trash for `delay` seconds at least.
    pub fn trash_move(&self, name: &str, delay: u64) -> Result<(), Errno> {
        let (io, name) = (self.core(), name.to_string());
        let source = rbdrs_core::cls::rbd::types::TRASH_IMAGE_SOURCE_USER;
        self.run(async move { trash::move_image(&io, &name, source, delay).await })
    }

    /// The trash, by image id (images rbd_remove is removing left out).
    pub fn trash_list(&self) -> Result<BTreeMap<String, TrashImageSpec>, Errno> {
        let io = self.core();
        self.run(async move { trash::list(&io, true).await.map(|m| m.into_iter().collect()) })
    }

    pub fn trash_get(&self, id: &str) -> Result<TrashImageSpec, Errno> {
        let (io, id) = (self.core(), id.to_string());
        self.run(async move { trash::get(&io, &id).await })
    }

    /// Restores image `id` as `name` (empty: the name it had).
    pub fn trash_restore(&self, id: &str, name: &str) -> Result<(), Errno> {
        let (io, id, name) = (self.core(), id.to_string(), name.to_string());
        self.run(async move { trash::restore(&io, &id, &name, trash::RESTORE_SOURCES).await })
    }

    pub fn trash_remove(&self, id: &str, force: bool, progress: Progress) -> Result<(), Errno> {
        let (io, id) = (self.core(), id.to_string());
        self.run(async move { trash::remove(&io, &id, force, &*progress).await })
    }

    /// Removes the user entries expired by `expire` (0: now). A threshold
    /// (a pool fullness to get under) needs `ceph df`: not supported here.
    pub fn trash_purge(&self, expire: u64, threshold: f32, progress: Progress) -> Result<(), Errno> {
        if threshold != -1.0 {
            if !(0.0..=1.0).contains(&threshold) {
                return Err(Errno::EINVAL);
            }
            return Err(Errno::EOPNOTSUPP);
        }
        let io = self.core();
        self.run(async move { trash::purge(&io, expire, &*progress).await })
    }

    /// rbd_remove_with_progress: removes image `name`, reporting the data
    /// objects removed.
    pub fn remove_image_reporting(&self, name: &str, progress: Progress) -> Result<(), Errno> {
        let (io, name) = (self.core(), name.to_string());
        self.run(async move { manage::remove_reporting(&io, &name, &*progress).await })
    }

    pub fn namespace_create(&self, name: &str) -> Result<(), Errno> {
        let (io, name) = (self.core(), name.to_string());
        self.run(async move { pool::namespace_create(&io, &name).await })
    }

    pub fn namespace_remove(&self, name: &str) -> Result<(), Errno> {
        let (io, name) = (self.core(), name.to_string());
        self.run(async move { pool::namespace_remove(&io, &name).await })
    }

    pub fn namespace_list(&self) -> Result<Vec<String>, Errno> {
        let io = self.core();
        self.run(async move { pool::namespace_list(&io).await })
    }

    pub fn pool_metadata_get(&self, key: &str) -> Result<Vec<u8>, Errno> {
        let (io, key) = (self.core(), key.to_string());
        self.run(async move { pool::metadata_get(&io, &key).await.map(|b| b.to_vec()) })
    }

    /// Sets a pool metadata key; a `conf_<option>` key must name an option
    /// a pool may override and hold a value it accepts (-EINVAL).
    pub fn pool_metadata_set(&self, key: &str, value: &str) -> Result<(), Errno> {
        if let Some(option) = key.strip_prefix(CONF_PREFIX) {
            if !is_pool_option(option) {
                return Err(Errno::EINVAL);
            }
            let mut scratch = Config::new("", EntityName::client("admin"));
            scratch.set(option, value).map_err(|_| Errno::EINVAL)?;
        }
        let (io, key, value) = (self.core(), key.to_string(), value.to_string());
        self.run(async move { pool::metadata_set(&io, &key, value.as_bytes()).await })
    }

    pub fn pool_metadata_remove(&self, key: &str) -> Result<(), Errno> {
        let (io, key) = (self.core(), key.to_string());
        self.run(async move { pool::metadata_remove(&io, &key).await })
    }

    /// Up to `max` keys after `start` (0: the class's page of 64).
    pub fn pool_metadata_list(&self, start: &str, max: u64) -> Result<BTreeMap<String, Vec<u8>>, Errno> {
        let (io, start) = (self.core(), start.to_string());
        self.run(async move {
            Ok(pool::metadata_list(&io, &start, max).await?.into_iter().map(|(k, v)| (k, v.to_vec())).collect())
        })
    }

    /// Every option a pool may override, in name order, with its value:
    /// the pool's override, or this client's configuration.
    pub fn config_pool_list(&self) -> Result<Vec<ConfigOption>, Errno> {
        let mut options: BTreeMap<String, ConfigOption> = BTreeMap::new();
        {
            let config = self.connection().config()?;
            for (name, _, _) in accepted_options() {
                if is_pool_option(name) {
                    let value = config.get(name)?;
                    options
                        .insert(name.into(), ConfigOption { name: name.into(), value, source: CONFIG_SOURCE_CONFIG });
                }
            }
        }
        let io = self.core();
        let overrides = self.run(async move { pool::metadata_all(&io, CONF_PREFIX).await })?;
        for (key, value) in overrides {
            let Some(name) = key.strip_prefix(CONF_PREFIX) else { break };
            if let Some(option) = options.get_mut(name) {
                option.value = String::from_utf8_lossy(&value).into_owned();
                option.source = CONFIG_SOURCE_POOL;
            }
        }
        Ok(options.into_values().collect())
    }

    /// Statistics of the directory's images and of the trash's.
    pub fn pool_stats(&self, images: bool, trashed: bool) -> Result<(ImageStats, ImageStats), Errno> {
        let io = self.core();
        self.run(async move {
            let mut listed = ImageStats::default();
            if images {
                let ids: Vec<String> = manage::list(&io).await?.into_values().collect();
                listed = pool::image_stats(&io, &ids).await?;
            }
            let mut in_trash = ImageStats::default();
            if trashed {
                let ids: Vec<String> = match trash::list(&io, false).await {
                    Ok(entries) => entries.into_keys().collect(),
                    Err(Errno::EOPNOTSUPP) => Vec::new(),
                    Err(e) => return Err(e),
                };
                in_trash = pool::image_stats(&io, &ids).await?;
            }
            Ok((listed, in_trash))
        })
    }
}

impl super::Image {
    /// The clones of the snapshot this handle reads (of every snapshot at
    /// the head), `max_level` generations down (None: all).
    pub fn list_descendants(
        &self,
        max_level: Option<usize>,
    ) -> Result<Vec<rbdrs_core::image::children::LinkedImage>, Errno> {
        let ictx = self.ctx()?;
        self.connection()
            .run_admin(async move { rbdrs_core::image::children::list_descendants(&ictx, max_level).await })?
    }
}
