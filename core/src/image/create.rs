//! Creating a format-2 image (librbd's image::CreateRequest): the id
//! object, the directory entry, the header, striping, and on failure the
//! steps already taken are undone.

use alloc::format;
use alloc::string::String;

use super::IoCtx;
use crate::cls::rbd::client as cls;
use crate::cls::rbd::types::*;
use crate::naming;
use crate::osd::ObjectOperation;
use crate::striper::Layout;
use crate::Errno;

/// rbd_default_order: 4 MiB objects.
pub const DEFAULT_ORDER: u8 = 22;

/// The features this library implements; others make an image read-only.
pub const SUPPORTED_FEATURES: u64 = RBD_FEATURE_LAYERING
    | RBD_FEATURE_STRIPINGV2
    | RBD_FEATURE_EXCLUSIVE_LOCK
    | RBD_FEATURE_OBJECT_MAP
    | RBD_FEATURE_FAST_DIFF
    | RBD_FEATURE_DEEP_FLATTEN
    | RBD_FEATURE_DATA_POOL
    | RBD_FEATURE_OPERATIONS;

/// What rbd_create4's image options say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateOptions {
    pub size: u64,
    /// 0 picks the default.
    pub order: u8,
    pub features: u64,
    /// Both 0 for the default layout.
    pub stripe_unit: u64,
    pub stripe_count: u64,
    pub data_pool: Option<i64>,
}

impl CreateOptions {
    pub fn new(size: u64) -> Self {
        CreateOptions {
            size,
            order: 0,
            features: RBD_FEATURES_DEFAULT,
            stripe_unit: 0,
            stripe_count: 0,
            data_pool: None,
        }
    }
}

/// librbd's util::generate_image_id: the client's instance id and a random
/// number, in hex, cut to the last RBD_MAX_IMAGE_ID_LENGTH characters.
pub fn generate_image_id(global_id: u64, random: u32) -> String {
    let id = format!("{global_id:x}{random:x}");
    let keep = id.len().saturating_sub(naming::RBD_MAX_IMAGE_ID_LENGTH);
    String::from(&id[keep..])
}

/// validate_features: dependencies between features, as librbd checks them.
pub fn validate_features(features: u64) -> Result<(), Errno> {
    if features & !RBD_FEATURES_ALL != 0 || features & RBD_FEATURES_INTERNAL != 0 {
        return Err(Errno::ENOSYS);
    }
    let needs = |feature: u64, required: u64| features & feature == 0 || features & required != 0;
    if !needs(RBD_FEATURE_OBJECT_MAP, RBD_FEATURE_EXCLUSIVE_LOCK)
        || !needs(RBD_FEATURE_FAST_DIFF, RBD_FEATURE_OBJECT_MAP)
        || !needs(RBD_FEATURE_JOURNALING, RBD_FEATURE_EXCLUSIVE_LOCK)
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Creates image `name` with id `id` (see [`generate_image_id`]).
pub async fn create(io: &IoCtx, name: &str, id: &str, opts: &CreateOptions) -> Result<(), Errno> {
    if name.is_empty() || name.len() > naming::RBD_MAX_OBJ_NAME_SIZE || name.contains('/') {
        return Err(Errno::EINVAL);
    }
    let order = if opts.order == 0 { DEFAULT_ORDER } else { opts.order };
    let layout = Layout::new(order, opts.stripe_unit, opts.stripe_count).map_err(|e| e.errno())?;
    let mut features = opts.features;
    if !layout.is_default_striping() {
        features |= RBD_FEATURE_STRIPINGV2;
    } else {
        features &= !RBD_FEATURE_STRIPINGV2;
    }
    match opts.data_pool {
        Some(pool) if pool != io.pool => features |= RBD_FEATURE_DATA_POOL,
        _ => features &= !RBD_FEATURE_DATA_POOL,
    }
    validate_features(features)?;
    if features & !SUPPORTED_FEATURES != 0 {
        return Err(Errno::ENOSYS);
    }
    let data_pool = if features & RBD_FEATURE_DATA_POOL != 0 { opts.data_pool.unwrap_or(-1) } else { -1 };
    let prefix = naming::data_object_prefix(id, (data_pool >= 0).then_some(io.pool));

    let id_object = naming::id_object(name);
    let mut op = ObjectOperation::new();
    op.create(true);
    cls::set_id(&mut op, id);
    io.exec(&id_object, op).await?;

    let undo_id = || async {
        let mut op = ObjectOperation::new();
        op.remove();
        let _ = io.exec(&id_object, op).await;
    };
    let mut op = ObjectOperation::new();
    cls::dir_add_image(&mut op, name, id);
    if let Err(e) = io.exec(naming::RBD_DIRECTORY, op).await {
        undo_id().await;
        return Err(e);
    }

    let header = naming::header_object(id);
    let mut op = ObjectOperation::new();
    cls::create(&mut op, opts.size, order, features, &prefix, data_pool);
    let mut result = io.exec(&header, op).await.map(|_| ());
    if result.is_ok() && features & RBD_FEATURE_STRIPINGV2 != 0 {
        // Its own request: an OSD's later ops in a compound do not see the
        // omap keys create wrote.
        let mut op = ObjectOperation::new();
        cls::set_stripe_unit_count(&mut op, layout.stripe_unit(), layout.stripe_count());
        result = io.exec(&header, op).await.map(|_| ());
    }
    if result.is_ok() && features & RBD_FEATURE_OBJECT_MAP != 0 {
        let mut op = ObjectOperation::new();
        let count = crate::object_map::object_count(&layout, opts.size);
        crate::cls::rbd::object_map::object_map_resize(&mut op, count, crate::object_map::OBJECT_NONEXISTENT);
        result = io.exec(&naming::object_map_object(id, None), op).await.map(|_| ());
    }
    if let Err(e) = result {
        let mut op = ObjectOperation::new();
        op.remove();
        let _ = io.exec(&header, op).await;
        let mut op = ObjectOperation::new();
        cls::dir_remove_image(&mut op, name, id);
        let _ = io.exec(naming::RBD_DIRECTORY, op).await;
        undo_id().await;
        return Err(e);
    }
    Ok(())
}
