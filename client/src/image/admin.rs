//! Pool-level image calls (librbd's `RBD` class): create, clone, remove,
//! rename, list.

use std::collections::BTreeMap;

use rbdrs_core::image::create::{create, generate_image_id, CreateOptions, DEFAULT_ORDER};
use rbdrs_core::image::manage;
use rbdrs_core::image::open::{close, open};
use rbdrs_core::Errno;

use crate::rados::{Connection, IoCtx};

/// What a new image is made with; what is unset comes from the
/// configuration's `rbd_default_*`, as librbd fills it in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageOptions {
    /// Only 2: format 1 images cannot be created any more.
    pub format: Option<u64>,
    pub features: Option<u64>,
    pub features_set: u64,
    pub features_clear: u64,
    /// log2 of the object size.
    pub order: Option<u64>,
    pub stripe_unit: Option<u64>,
    pub stripe_count: Option<u64>,
    /// A separate pool for the data objects.
    pub data_pool: Option<String>,
}

impl ImageOptions {
    fn resolve(&self, conn: &Connection, size: u64, io: &IoCtx) -> Result<CreateOptions, Errno> {
        let config = conn.config()?;
        if self.format.unwrap_or(2) != 2 {
            return Err(Errno::EINVAL);
        }
        let mut opts = CreateOptions::new(size);
        opts.features = match self.features {
            Some(f) => f,
            None => config.get_u64("rbd_default_features")?,
        };
        opts.features |= self.features_set;
        opts.features &= !self.features_clear;
        let order = match self.order {
            Some(o) => o,
            None => config.get_u64("rbd_default_order")?,
        };
        opts.order = u8::try_from(order).map_err(|_| Errno::EDOM)?;
        opts.stripe_unit = match self.stripe_unit {
            Some(su) => su,
            None => config.get_u64("rbd_default_stripe_unit")?,
        };
        opts.stripe_count = match self.stripe_count {
            Some(sc) => sc,
            None => config.get_u64("rbd_default_stripe_count")?,
        };
        if opts.stripe_count == 1 && opts.stripe_unit == 0 {
            opts.stripe_count = 0; // the defaults mean "no fancy striping"
        }
        let data_pool = match &self.data_pool {
            Some(name) => name.clone(),
            None => config.get_str("rbd_default_data_pool")?,
        };
        drop(config);
        if !data_pool.is_empty() {
            let pool = conn.lookup_pool(&data_pool)?;
            if pool != io.pool_id() {
                opts.data_pool = Some(pool);
            }
        }
        Ok(opts)
    }
}

fn new_image_id(conn: &Connection) -> String {
    generate_image_id(conn.client.global_id, crate::runtime::random_u64() as u32)
}

impl IoCtx {
    /// Creates a format-2 image; returns the order (log2 object size) used.
    pub fn create_image(&self, name: &str, size: u64, options: &ImageOptions) -> Result<u8, Errno> {
        let conn = self.connection();
        let opts = options.resolve(conn, size, self)?;
        let (io, name, id) = (self.core(), name.to_string(), new_image_id(conn));
        let order = if opts.order == 0 { DEFAULT_ORDER } else { opts.order };
        conn.run_admin(async move { create(&io, &name, &id, &opts).await })??;
        Ok(order)
    }

    /// Clones snapshot `snap` of `parent` (in `parent_io`) into `name` here;
    /// returns the order used (0: the parent's).
    pub fn clone_image(
        &self,
        parent_io: &IoCtx,
        parent: &str,
        snap: &str,
        name: &str,
        options: &ImageOptions,
    ) -> Result<u8, Errno> {
        let conn = self.connection();
        let opts = options.resolve(conn, 0, self)?;
        let (parent_io, parent, snap) = (parent_io.core(), parent.to_string(), snap.to_string());
        let (child_io, name, id) = (self.core(), name.to_string(), new_image_id(conn));
        let order = opts.order;
        conn.run_admin(async move {
            let parent = open(&parent_io, &parent, None, true).await?;
            let result = manage::clone(&parent, &snap, &child_io, &name, &id, &opts).await;
            let _ = close(&parent).await;
            result
        })??;
        Ok(order)
    }

    /// Removes an image: -ENOTEMPTY with snapshots, -EBUSY while open elsewhere.
    pub fn remove_image(&self, name: &str) -> Result<(), Errno> {
        let (io, name) = (self.core(), name.to_string());
        self.connection().run_admin(async move { manage::remove(&io, &name).await })?.map(drop)
    }

    pub fn rename_image(&self, from: &str, to: &str) -> Result<(), Errno> {
        let (io, from, to) = (self.core(), from.to_string(), to.to_string());
        self.connection().run_admin(async move { manage::rename(&io, &from, &to).await })?
    }

    /// The images in this pool and namespace: name to id, in name order.
    pub fn list_images(&self) -> Result<BTreeMap<String, String>, Errno> {
        let io = self.core();
        self.connection().run_admin(async move { manage::list(&io).await })?
    }
}
