//! Clones of an image's snapshots, and theirs in turn (librbd's
//! Image::list_descendants): clone v1 children in every pool's
//! `rbd_children`, clone v2 children in the parent header's children list,
//! each named from its pool's directory or trash.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use super::trash::{self, bad};
use super::{ImageCtx, IoCtx};
use crate::cls::rbd::client as cls;
use crate::cls::rbd::types::*;
use crate::naming::{self, RBD_CHILDREN};
use crate::osd::{ObjectOperation, SnapId};
use crate::rados::{PoolRequest, Reply, Request};
use crate::Errno;

/// librbd's linked_image_spec_t.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkedImage {
    pub pool_id: i64,
    pub pool_name: String,
    pub pool_namespace: String,
    pub image_id: String,
    pub image_name: String,
    /// In the trash (and not on its way out of it by rbd_remove).
    pub trash: bool,
}

/// The pools that are not cache tiers of another.
async fn base_pools(io: &IoCtx) -> Result<Vec<i64>, Errno> {
    let pools = match io.dispatcher.submit(Request::Pool(PoolRequest::PoolList)).await {
        Reply::Pools(pools) => pools?,
        _ => return Err(Errno::EIO),
    };
    let mut out = Vec::new();
    for (pool, _) in pools {
        match io.dispatcher.submit(Request::Pool(PoolRequest::BaseTier { pool })).await {
            Reply::Id(Ok(base)) if base as i64 == pool => out.push(pool),
            Reply::Id(Ok(_) | Err(Errno::ENOENT)) => {}
            Reply::Id(Err(e)) => return Err(e),
            _ => return Err(Errno::EIO),
        }
    }
    Ok(out)
}

async fn pool_name(io: &IoCtx, pool: i64) -> Result<String, Errno> {
    match io.dispatcher.submit(Request::Pool(PoolRequest::Name { pool })).await {
        Reply::Name(name) => name,
        _ => Err(Errno::EIO),
    }
}

/// An image's features and snapshots from its header; None once gone.
async fn header_snaps(io: &IoCtx, id: &str) -> Result<Option<(u64, Vec<u64>)>, Errno> {
    let mut op = ObjectOperation::new();
    cls::get_features(&mut op, true);
    cls::get_snapcontext(&mut op);
    match io.read_head(&naming::header_object(id), op).await {
        Ok(reply) => {
            let features = cls::get_features_finish(reply.out(0)?).map_err(bad)?.features;
            let snapc = cls::get_snapcontext_finish(reply.out(1)?).map_err(bad)?;
            Ok(Some((features, snapc.snaps)))
        }
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

struct Walk {
    io: IoCtx,
    id: String,
    /// Features and snapshots, when known already.
    known: Option<(u64, Vec<u64>)>,
    /// Levels left to list (None: all).
    levels: Option<usize>,
}

/// The clones of `ictx`'s snapshot (of every snapshot when it is open at
/// the head), down `max_level` generations (None: all), sorted by pool
/// name, namespace and image name.
pub async fn list_descendants(ictx: &ImageCtx, max_level: Option<usize>) -> Result<Vec<LinkedImage>, Errno> {
    let snaps = if ictx.snap_id.is_head() { ictx.snapc.snaps.clone() } else { alloc::vec![ictx.snap_id.0] };
    let pools = base_pools(&ictx.io).await?;
    let mut found: Vec<LinkedImage> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut walks = alloc::vec![Walk {
        io: ictx.io.clone(),
        id: ictx.id.clone(),
        known: Some((ictx.features, snaps)),
        levels: max_level
    }];
    while let Some(walk) = walks.pop() {
        if walk.levels == Some(0) || !seen.insert((walk.io.pool, walk.io.namespace.clone(), walk.id.clone())) {
            continue;
        }
        let levels = walk.levels.map(|l| l - 1);
        let (features, snaps) = match walk.known {
            Some(known) => known,
            None => match header_snaps(&walk.io, &walk.id).await? {
                Some(known) => known,
                None => continue,
            },
        };
        if features & RBD_FEATURE_LAYERING == 0 {
            continue;
        }
        for snap in snaps {
            for &pool in &pools {
                let child_io = walk.io.with_pool(pool, walk.io.namespace.clone());
                let mut op = ObjectOperation::new();
                cls::get_children(&mut op, walk.io.pool, &walk.id, SnapId(snap));
                let ids = match child_io.read_head(RBD_CHILDREN, op).await {
                    Ok(reply) => cls::get_children_finish(reply.out(0)?).map_err(bad)?,
                    Err(Errno::ENOENT) => BTreeSet::new(),
                    Err(e) => return Err(e),
                };
                for id in ids {
                    found.push(LinkedImage {
                        pool_id: pool,
                        pool_namespace: walk.io.namespace.clone(),
                        image_id: id.clone(),
                        ..Default::default()
                    });
                    walks.push(Walk { io: child_io.clone(), id, known: None, levels });
                }
            }
            let mut op = ObjectOperation::new();
            cls::children_list(&mut op, SnapId(snap));
            let children = match walk.io.read_head(&naming::header_object(&walk.id), op).await {
                Ok(reply) => cls::children_list_finish(reply.out(0)?).map_err(bad)?,
                Err(Errno::ENOENT | Errno::EOPNOTSUPP) => BTreeSet::new(),
                Err(e) => return Err(e),
            };
            for child in children {
                found.push(LinkedImage {
                    pool_id: child.pool_id,
                    pool_namespace: child.pool_namespace.clone(),
                    image_id: child.image_id.clone(),
                    ..Default::default()
                });
                let child_io = walk.io.with_pool(child.pool_id, child.pool_namespace);
                walks.push(Walk { io: child_io, id: child.image_id, known: None, levels });
            }
        }
    }
    name_images(&ictx.io, &mut found).await?;
    found.sort_by(|a, b| {
        (&a.pool_name, a.pool_id, &a.pool_namespace, &a.image_name, &a.image_id).cmp(&(
            &b.pool_name,
            b.pool_id,
            &b.pool_namespace,
            &b.image_name,
            &b.image_id,
        ))
    });
    Ok(found)
}

/// A pool's name, and its images' names by id with whether each is in
/// the trash.
type Names = (String, BTreeMap<String, (String, bool)>);

/// Fills in pool and image names (and the trash flag), a pool and
/// namespace at a time; an image in neither directory nor trash is -ENOENT.
async fn name_images(io: &IoCtx, images: &mut [LinkedImage]) -> Result<(), Errno> {
    let mut by_place: BTreeMap<(i64, String), Option<Names>> = BTreeMap::new();
    for image in images.iter_mut() {
        let place = (image.pool_id, image.pool_namespace.clone());
        if !by_place.contains_key(&place) {
            let names = match pool_name(io, image.pool_id).await {
                Err(Errno::ENOENT) => None,
                Err(e) => return Err(e),
                Ok(pool) => {
                    let child_io = io.with_pool(image.pool_id, image.pool_namespace.clone());
                    let mut ids = BTreeMap::new();
                    for (name, id) in super::manage::list(&child_io).await? {
                        ids.insert(id, (name, false));
                    }
                    for (id, spec) in trash::list(&child_io, false).await? {
                        ids.entry(id).or_insert((spec.name, spec.source != TRASH_IMAGE_SOURCE_REMOVING));
                    }
                    Some((pool, ids))
                }
            };
            by_place.insert(place.clone(), names);
        }
        match &by_place[&place] {
            None => {
                image.pool_name.clear();
                image.image_name.clear();
            }
            Some((pool, ids)) => {
                let (name, trash) = ids.get(&image.image_id).ok_or(Errno::ENOENT)?;
                image.pool_name = pool.clone();
                image.image_name = name.clone();
                image.trash = *trash;
            }
        }
    }
    Ok(())
}
