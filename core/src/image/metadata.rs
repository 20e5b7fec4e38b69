//! Image metadata (the header's `metadata_*` keys) and the `conf_*`
//! overrides kept there and in the pool's `rbd_info` (librbd's
//! MetadataSetRequest, MetadataRemoveRequest, GetMetadataRequest).

use alloc::collections::BTreeMap;
use alloc::string::String;

use bytes::Bytes;

use super::{ImageCtx, IoCtx};
use crate::cls::rbd::client as cls;
use crate::naming;
use crate::osd::ObjectOperation;
use crate::Errno;

/// What one metadata_list call asks for (librbd's MAX_METADATA_ITEMS).
const PAGE: u64 = 64;

/// The prefix of configuration overrides among the keys.
pub const CONF_PREFIX: &str = "conf_";

/// Sets `key` under the exclusive lock.
pub async fn set(ictx: &ImageCtx, key: &str, value: &str) -> Result<(), Errno> {
    let _lock = ictx.prepare_write().await?;
    let mut data = BTreeMap::new();
    data.insert(String::from(key), Bytes::copy_from_slice(value.as_bytes()));
    let mut op = ObjectOperation::new();
    cls::metadata_set(&mut op, &data);
    ictx.io.exec(&ictx.header_object(), op).await.map(drop)
}

/// Removes `key` under the exclusive lock.
pub async fn remove(ictx: &ImageCtx, key: &str) -> Result<(), Errno> {
    let _lock = ictx.prepare_write().await?;
    let mut op = ObjectOperation::new();
    cls::metadata_remove(&mut op, key);
    ictx.io.exec(&ictx.header_object(), op).await.map(drop)
}

/// Up to `max` (0: all) keys after `start` on `oid`, a page at a time; an
/// object that does not exist has none.
pub async fn list(io: &IoCtx, oid: &str, start: &str, max: u64) -> Result<BTreeMap<String, Bytes>, Errno> {
    let mut out = BTreeMap::new();
    let mut last = String::from(start);
    loop {
        let want = match max {
            0 => PAGE,
            max => PAGE.min(max - out.len() as u64),
        };
        let mut op = ObjectOperation::new();
        cls::metadata_list(&mut op, &last, want);
        let page = match io.read_head(oid, op).await {
            Ok(reply) => cls::metadata_list_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)?,
            Err(Errno::ENOENT) => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        let full = page.len() as u64 == want;
        if let Some(key) = page.keys().next_back() {
            last = key.clone();
        }
        out.extend(page);
        if !full || (max != 0 && out.len() as u64 >= max) {
            return Ok(out);
        }
    }
}

/// The `conf_*` overrides on `oid` (option name without the prefix to value).
pub async fn overrides(io: &IoCtx, oid: &str) -> Result<BTreeMap<String, String>, Errno> {
    let mut out = BTreeMap::new();
    let mut last = String::from(CONF_PREFIX);
    loop {
        let page = list(io, oid, &last, PAGE).await?;
        let full = page.len() as u64 == PAGE;
        for (key, value) in &page {
            let Some(name) = key.strip_prefix(CONF_PREFIX) else { return Ok(out) };
            out.insert(String::from(name), String::from_utf8_lossy(value).into_owned());
            last = key.clone();
        }
        if !full {
            return Ok(out);
        }
    }
}

/// The pool's overrides (`rbd config pool`), kept in the default
/// namespace's `rbd_info`.
pub async fn pool_overrides(io: &IoCtx) -> Result<BTreeMap<String, String>, Errno> {
    overrides(&io.with_pool(io.pool, String::new()), naming::RBD_INFO).await
}
