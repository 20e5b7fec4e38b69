//! Pool-wide RBD state (librbd's api::Namespace, api::PoolMetadata and
//! api::Pool): namespaces in `rbd_namespace`, pool metadata in
//! `rbd_info`'s omap, and the image statistics `rbd pool stats` shows.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::trash::{bad, remove_object};
use super::IoCtx;
use crate::cls::rbd::client as cls;
use crate::naming::{self, RBD_CHILDREN, RBD_DIRECTORY, RBD_INFO, RBD_MIRRORING, RBD_NAMESPACE, RBD_TRASH};
use crate::osd::{ObjectOperation, SnapId};
use crate::Errno;

const DIRECTORY_STATE_READY: u8 = 0;
const DIRECTORY_STATE_ADD_DISABLED: u8 = 1;
/// What a namespace removal clears out (Namespace.cc's POOL_OBJECTS).
const POOL_OBJECTS: [&str; 7] =
    [RBD_CHILDREN, "rbd_group_directory", RBD_INFO, RBD_MIRRORING, "rbd_task", RBD_TRASH, RBD_DIRECTORY];

fn ignore_enoent(r: Result<(), Errno>) -> Result<(), Errno> {
    match r {
        Err(Errno::ENOENT) => Ok(()),
        r => r,
    }
}

/// Registers namespace `name` and readies its image directory and trash.
pub async fn namespace_create(io: &IoCtx, name: &str) -> Result<(), Errno> {
    if name.is_empty() {
        return Err(Errno::EINVAL);
    }
    let default_ns = io.with_pool(io.pool, "");
    let mut op = ObjectOperation::new();
    cls::namespace_add(&mut op, name);
    default_ns.exec(RBD_NAMESPACE, op).await?;
    let ns = io.with_pool(io.pool, name);
    let mut op = ObjectOperation::new();
    op.create(false);
    let mut result = ns.exec(RBD_TRASH, op).await.map(drop);
    if result.is_ok() {
        let mut op = ObjectOperation::new();
        cls::dir_state_set(&mut op, DIRECTORY_STATE_READY);
        result = ns.exec(RBD_DIRECTORY, op).await.map(drop);
        if result.is_err() {
            let _ = remove_object(&ns, RBD_DIRECTORY).await;
            let _ = remove_object(&ns, RBD_TRASH).await;
        }
    }
    if let Err(e) = result {
        let mut op = ObjectOperation::new();
        cls::namespace_remove(&mut op, name);
        let _ = default_ns.exec(RBD_NAMESPACE, op).await;
        return Err(e);
    }
    Ok(())
}

/// Removes namespace `name`: -EBUSY while it holds images or trash entries.
pub async fn namespace_remove(io: &IoCtx, name: &str) -> Result<(), Errno> {
    if name.is_empty() {
        return Err(Errno::EINVAL);
    }
    let ns = io.with_pool(io.pool, name);
    let mut op = ObjectOperation::new();
    cls::dir_state_set(&mut op, DIRECTORY_STATE_ADD_DISABLED);
    op.remove();
    let busy = match ns.exec(RBD_DIRECTORY, op).await {
        Err(Errno::EBUSY) => true,
        Ok(_) | Err(Errno::ENOENT) => {
            let mut op = ObjectOperation::new();
            cls::trash_list(&mut op, "", 1);
            match ns.read_head(RBD_TRASH, op).await {
                Ok(reply) => !cls::trash_list_finish(reply.out(0)?).map_err(bad)?.is_empty(),
                Err(Errno::ENOENT) => false,
                Err(e) => return Err(e),
            }
        }
        Err(e) => return Err(e),
    };
    if busy {
        let mut op = ObjectOperation::new();
        cls::dir_state_set(&mut op, DIRECTORY_STATE_READY);
        let _ = ns.exec(RBD_DIRECTORY, op).await;
        return Err(Errno::EBUSY);
    }
    for oid in POOL_OBJECTS {
        ignore_enoent(remove_object(&ns, oid).await)?;
    }
    let mut op = ObjectOperation::new();
    cls::namespace_remove(&mut op, name);
    io.with_pool(io.pool, "").exec(RBD_NAMESPACE, op).await.map(drop)
}

/// The pool's namespaces, in name order (from the default namespace).
pub async fn namespace_list(io: &IoCtx) -> Result<Vec<String>, Errno> {
    const PAGE: u64 = 1024;
    let default_ns = io.with_pool(io.pool, "");
    let mut names: Vec<String> = Vec::new();
    loop {
        let last = names.last().cloned().unwrap_or_default();
        let mut op = ObjectOperation::new();
        cls::namespace_list(&mut op, &last, PAGE);
        let page = match default_ns.read_head(RBD_NAMESPACE, op).await {
            Ok(reply) => cls::namespace_list_finish(reply.out(0)?).map_err(bad)?,
            Err(Errno::ENOENT) => return Ok(names),
            Err(e) => return Err(e),
        };
        let full = page.len() as u64 == PAGE;
        names.extend(page);
        if !full {
            return Ok(names);
        }
    }
}

/// Whether namespace `name` exists (its directory is READY).
pub async fn namespace_exists(io: &IoCtx, name: &str) -> Result<bool, Errno> {
    if name.is_empty() {
        return Err(Errno::EINVAL);
    }
    let mut op = ObjectOperation::new();
    cls::dir_state_assert(&mut op, DIRECTORY_STATE_READY);
    match io.with_pool(io.pool, name).read_head(RBD_DIRECTORY, op).await {
        Ok(_) => Ok(true),
        Err(Errno::ENOENT) => Ok(false),
        Err(e) => Err(e),
    }
}

pub async fn metadata_get(io: &IoCtx, key: &str) -> Result<Bytes, Errno> {
    let mut op = ObjectOperation::new();
    cls::metadata_get(&mut op, key);
    let reply = io.read_head(RBD_INFO, op).await?;
    cls::metadata_get_finish(reply.out(0)?).map_err(bad)
}

/// Stores one key; the caller has validated `conf_*` overrides.
pub async fn metadata_set(io: &IoCtx, key: &str, value: &[u8]) -> Result<(), Errno> {
    let mut op = ObjectOperation::new();
    cls::metadata_set(&mut op, &BTreeMap::from([(String::from(key), Bytes::copy_from_slice(value))]));
    io.exec(RBD_INFO, op).await.map(drop)
}

/// -ENOENT when the key is not there.
pub async fn metadata_remove(io: &IoCtx, key: &str) -> Result<(), Errno> {
    metadata_get(io, key).await?;
    let mut op = ObjectOperation::new();
    cls::metadata_remove(&mut op, key);
    io.exec(RBD_INFO, op).await.map(drop)
}

/// Up to `max` keys after `start` (0: the class's page of 64); none when
/// the pool has no `rbd_info`.
pub async fn metadata_list(io: &IoCtx, start: &str, max: u64) -> Result<BTreeMap<String, Bytes>, Errno> {
    let mut op = ObjectOperation::new();
    cls::metadata_list(&mut op, start, max);
    match io.read_head(RBD_INFO, op).await {
        Ok(reply) => cls::metadata_list_finish(reply.out(0)?).map_err(bad),
        Err(Errno::ENOENT) => Ok(BTreeMap::new()),
        Err(e) => Err(e),
    }
}

/// Every key with its value, paging through the whole omap.
pub async fn metadata_all(io: &IoCtx, start: &str) -> Result<BTreeMap<String, Bytes>, Errno> {
    const PAGE: u64 = 64;
    let mut out = BTreeMap::new();
    let mut last = String::from(start);
    loop {
        let page = metadata_list(io, &last, PAGE).await?;
        let Some(next) = page.keys().next_back().cloned() else { return Ok(out) };
        let full = page.len() as u64 == PAGE;
        out.extend(page);
        if !full {
            return Ok(out);
        }
        last = next;
    }
}

/// Image statistics over a set of images (Pool.cc's ImageStatRequest).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImageStats {
    pub images: u64,
    /// Sum of head sizes.
    pub provisioned_bytes: u64,
    /// Sum over images of the largest of the head and snapshot sizes.
    pub max_provisioned_bytes: u64,
    pub snapshots: u64,
}

/// Stats of images by id; images whose header is gone still count as
/// images, as librbd counts them.
pub async fn image_stats(io: &IoCtx, ids: &[String]) -> Result<ImageStats, Errno> {
    let mut stats = ImageStats { images: ids.len() as u64, ..Default::default() };
    for id in ids {
        let header = naming::header_object(id);
        let mut op = ObjectOperation::new();
        cls::get_size(&mut op, SnapId::HEAD);
        cls::get_snapcontext(&mut op);
        let reply = match io.read_head(&header, op).await {
            Ok(reply) => reply,
            Err(Errno::ENOENT) => continue,
            Err(e) => return Err(e),
        };
        let head = cls::get_size_finish(reply.out(0)?).map_err(bad)?.size;
        let snapc = cls::get_snapcontext_finish(reply.out(1)?).map_err(bad)?;
        if !snapc.is_valid() {
            return Err(Errno::EIO);
        }
        stats.provisioned_bytes += head;
        stats.snapshots += snapc.snaps.len() as u64;
        let mut max = head;
        for &snap in &snapc.snaps {
            let mut op = ObjectOperation::new();
            cls::get_size(&mut op, SnapId(snap));
            match io.read_head(&header, op).await {
                Ok(reply) => max = max.max(cls::get_size_finish(reply.out(0)?).map_err(bad)?.size),
                // Removed meanwhile.
                Err(Errno::ENOENT) => {}
                Err(e) => return Err(e),
            }
        }
        stats.max_provisioned_bytes += max;
    }
    Ok(stats)
}
