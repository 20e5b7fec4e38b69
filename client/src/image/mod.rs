//! librbd's `Image` in Rust: an open image with its cache, the IO on it
//! (see [`io`]), and what manages it (snapshots, resize, flatten).
//! Pool-level calls (create, clone, list, remove) live in [`admin`].

pub mod admin;
mod cache;
pub mod copy;
mod diff;
mod ext;
mod inflight;
pub mod io;
mod lock;
mod meta;
pub mod pool;
pub mod quiesce;
mod watcher;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use rbdrs_core::cache::CacheConfig;
use rbdrs_core::cls::rbd::client as cls;
use rbdrs_core::image::open::{close, open, open_id, refresh, set_snap, snap_by_name};
use rbdrs_core::image::watcher::proxy::{self, Proxied};
use rbdrs_core::image::watcher::ProxiedOp;
use rbdrs_core::image::{manage, snapshot, DiscardPolicy, ImageCtx};
use rbdrs_core::osd::{ObjectOperation, SnapId};
use rbdrs_core::striper::object_count;
use rbdrs_core::Errno;

use crate::rados::{Connection, IoCtx};

pub use cache::{CacheDriver, OPTIONS as CACHE_OPTIONS};
pub use ext::{ConfigSource, SnapEntry, SNAP_REMOVE_FLATTEN, SNAP_REMOVE_UNPROTECT};
pub use inflight::Inflight;
pub use meta::{ChildSpec, HeaderDetails, Locker, Locks, SnapDetails, Watcher};

/// What `rbd info` and rbd_stat show of an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    pub size: u64,
    pub object_size: u64,
    pub num_objects: u64,
    pub order: u8,
    pub block_name_prefix: String,
    /// The parent's pool id, or -1 without a parent.
    pub parent_pool: i64,
    pub parent_name: String,
}

/// Where a clone reads through to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentSpec {
    pub pool_id: i64,
    pub pool_name: String,
    pub pool_namespace: String,
    pub image_id: String,
    pub image_name: String,
    pub snap_id: u64,
    pub snap_name: String,
    pub overlap: u64,
}

/// One snapshot, as rbd_snap_list gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapInfo {
    pub id: u64,
    pub size: u64,
    pub name: String,
}

/// An open image. Closed by [`close`](Image::close) (which reports errors)
/// or when dropped.
pub struct Image {
    conn: Arc<Connection>,
    /// Shared by every flow that runs on it (and the cache's backend
    /// requests); metadata changes swap it.
    ictx: Arc<RwLock<Arc<ImageCtx>>>,
    inflight: Arc<Inflight>,
    /// The client cache (librbd's ObjectCacher), unless rbd_cache is off.
    cache: Option<Arc<CacheDriver>>,
    closed: AtomicBool,
    updates: Arc<watcher::UpdateWatchers>,
    quiesce: Arc<quiesce::QuiesceWatchers>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image").finish_non_exhaustive()
    }
}

impl Image {
    /// Opens image `name` read-write, or read-only at snapshot `snap` (None:
    /// the head) or when `read_only`.
    pub fn open(io: &IoCtx, name: &str, snap: Option<&str>, read_only: bool) -> Result<Image, Errno> {
        Image::open_as(io, name, false, snap, read_only)
    }

    /// Opens the image with id `id` (rbd_open_by_id).
    pub fn open_by_id(io: &IoCtx, id: &str, snap: Option<&str>, read_only: bool) -> Result<Image, Errno> {
        Image::open_as(io, id, true, snap, read_only)
    }

    fn open_as(io: &IoCtx, name: &str, by_id: bool, snap: Option<&str>, read_only: bool) -> Result<Image, Errno> {
        let conn = io.connection().clone();
        let (core_io, name, snap) = (io.core(), name.to_string(), snap.map(str::to_string));
        let discard = {
            let config = conn.config()?;
            DiscardPolicy {
                skip_partial: config.get_bool("rbd_skip_partial_discard").unwrap_or(true),
                granularity: config.get_u64("rbd_discard_granularity_bytes").unwrap_or(64 * 1024),
            }
        };
        let blocklist = conn.config()?.get_bool("rbd_blocklist_on_break_lock").unwrap_or(true);
        let mut ictx = conn.run_admin(async move {
            match by_id {
                true => open_id(&core_io, &name, snap.as_deref(), read_only).await,
                false => open(&core_io, &name, snap.as_deref(), read_only).await,
            }
        })??;
        ictx.discard = discard;
        ictx.runtime.set_blocklist_on_break(blocklist);
        match cache_config(&conn, &ictx).and_then(|config| Image::new(conn.clone(), ictx.clone(), config)) {
            Ok(image) => Ok(image),
            Err(e) => {
                let _ = conn.run_admin(async move { close(&ictx).await });
                Err(e)
            }
        }
    }

    fn new(conn: Arc<Connection>, ictx: ImageCtx, cache: CacheConfig) -> Result<Image, Errno> {
        let ictx = Arc::new(RwLock::new(Arc::new(ictx)));
        let cache = match cache.enabled {
            true => Some(CacheDriver::new(cache, ictx.clone(), conn.runtime.clone(), conn.op_timeout)?),
            false => None,
        };
        let image = Image {
            conn,
            ictx,
            inflight: Default::default(),
            cache,
            closed: AtomicBool::new(false),
            updates: Default::default(),
            quiesce: Default::default(),
        };
        watcher::start(&image)?;
        Ok(image)
    }

    /// Closes: waits for in-flight IO, writes the cache back, releases the
    /// lock. The image is closed even when this reports an error; later
    /// calls find it closed (-EBADF for IO, Ok for another close).
    pub fn close(&self) -> Result<(), Errno> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let upto = self.inflight.newest();
        let inflight = self.inflight.clone();
        let ictx = self.ictx.read().map(|c| Arc::clone(&c)).map_err(|_| Errno::EIO)?;
        // librbd writes the cache back on close; a failure is reported,
        // and the image is closed all the same.
        let flushed = self.cache.as_ref().map(|c| c.flush());
        watcher::stop(&ictx);
        self.conn.run_admin(async move {
            inflight.drained(upto).await;
            let flushed = match flushed {
                Some(f) => f.await.map(drop),
                None => Ok(()),
            };
            let closed = close(&ictx).await;
            flushed.and(closed)
        })?
    }

    /// Whether no IO is running on it.
    pub fn is_idle(&self) -> bool {
        self.inflight.is_idle()
    }

    pub fn connection(&self) -> &Arc<Connection> {
        &self.conn
    }

    /// The image's state for one flow: a reference, not a copy (IO is the
    /// hot path). Refreshed first when a peer changed the header since.
    pub fn ctx(&self) -> Result<Arc<ImageCtx>, Errno> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Errno::EBADF);
        }
        let current = current(&self.ictx)?;
        if !is_stale(&current) || crate::runtime::on_executor_thread() {
            return Ok(current);
        }
        let shared = self.ictx.clone();
        self.conn.run_admin(async move { fresh(&shared).await })?
    }

    /// Runs a flow that changes the image's metadata, keeps the refreshed
    /// state it leaves, and tells the image's other watchers. A flow that
    /// found the header changed by a peer (-ERESTART) runs again on the
    /// refreshed state.
    pub fn update<T, F, Fut>(&self, op: F) -> Result<T, Errno>
    where
        T: Send + 'static,
        F: Fn(ImageCtx) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = (ImageCtx, Result<T, Errno>)> + Send + 'static,
    {
        self.ctx()?;
        let shared = self.ictx.clone();
        let result = self.conn.run_admin(async move {
            let mut attempts = 0;
            loop {
                let (ictx, result) = op(ImageCtx::clone(&*fresh(&shared).await?)).await;
                attempts += 1;
                if result.as_ref().is_err_and(|e| *e == Errno::ERESTART) && attempts < RESTARTS {
                    continue;
                }
                if result.is_ok() {
                    rbdrs_core::image::watcher::announce_header_update(&ictx);
                }
                *shared.write().map_err(|_| Errno::EIO)? = Arc::new(ictx);
                return result;
            }
        })?;
        if result.is_ok() {
            self.updated();
        }
        result
    }

    /// Tells this open's update watchers (rbd_update_watch) the header
    /// changed, as librbd does for its own changes: its header watch may
    /// not hear the announcement (the embedded store delivers none).
    pub(crate) fn updated(&self) {
        self.updates.call();
    }

    /// Writes back and drops the cache before something changes the image
    /// under it (librbd's invalidate_cache).
    pub fn invalidate_cache(&self) -> Result<(), Errno> {
        match &self.cache {
            Some(cache) => self.conn.run_admin(cache.invalidate())?.map(drop),
            None => Ok(()),
        }
    }

    /// Writes back what the cache holds (librbd flushes before a snapshot).
    pub fn flush_cache(&self) -> Result<(), Errno> {
        match &self.cache {
            Some(cache) => self.conn.run_admin(cache.flush())?.map(drop),
            None => Ok(()),
        }
    }

    pub fn cache(&self) -> Option<&Arc<CacheDriver>> {
        self.cache.as_ref()
    }

    // -- what it is --

    /// The size of what the image shows (head or snapshot).
    pub fn size(&self) -> Result<u64, Errno> {
        let ictx = self.ctx()?;
        ictx.size_at(ictx.snap_id)
    }

    pub fn features(&self) -> Result<u64, Errno> {
        Ok(self.ctx()?.features)
    }

    /// The header flags (object-map / fast-diff invalid).
    pub fn flags(&self) -> Result<u64, Errno> {
        Ok(self.ctx()?.flags)
    }

    /// How much of the image reads through to its parent (0 without one).
    pub fn overlap(&self) -> Result<u64, Errno> {
        let ictx = self.ctx()?;
        Ok(ictx.parent_overlap(ictx.snap_id))
    }

    /// Whether this open holds the exclusive lock.
    pub fn is_lock_owner(&self) -> Result<bool, Errno> {
        Ok(self.ctx()?.runtime.lock_owned())
    }

    pub fn info(&self) -> Result<ImageInfo, Errno> {
        let ictx = self.ctx()?;
        let size = ictx.size_at(ictx.snap_id)?;
        let (parent_pool, parent_name) = match (ictx.parent_info_at(ictx.snap_id), &ictx.parent) {
            (Some(info), Some(parent)) => (info.spec.pool_id, parent.name.clone()),
            _ => (-1, String::new()),
        };
        Ok(ImageInfo {
            size,
            object_size: ictx.layout.object_size(),
            num_objects: object_count(&ictx.layout, size),
            order: ictx.layout.object_size().trailing_zeros() as u8,
            block_name_prefix: ictx.object_prefix.clone(),
            parent_pool,
            parent_name,
        })
    }

    /// The parent of what the image shows; None without one.
    pub fn parent(&self) -> Result<Option<ParentSpec>, Errno> {
        let ictx = self.ctx()?;
        let (Some(info), Some(parent)) = (ictx.parent_info_at(ictx.snap_id), &ictx.parent) else {
            return Ok(None);
        };
        Ok(Some(ParentSpec {
            pool_id: info.spec.pool_id,
            pool_name: self.conn.pool_name(info.spec.pool_id)?,
            pool_namespace: info.spec.pool_namespace.clone(),
            image_id: info.spec.image_id.clone(),
            image_name: parent.name.clone(),
            snap_id: info.spec.snap_id.0,
            snap_name: parent.snaps.get(&info.spec.snap_id.0).map(|s| s.name.clone()).unwrap_or_default(),
            overlap: info.overlap,
        }))
    }

    // -- changing it --

    /// Resizes (shrinking discards what lies past the new end).
    pub fn resize(&self, size: u64) -> Result<(), Errno> {
        if size < self.ctx()?.size {
            self.invalidate_cache()?;
        }
        self.maintain(ProxiedOp::Resize { size, allow_shrink: true }, |image| {
            image.update(move |mut ictx| async move {
                let r = manage::resize(&mut ictx, size).await;
                (ictx, r)
            })
        })
    }

    /// Copies everything the parent still provides and detaches it.
    pub fn flatten(&self) -> Result<(), Errno> {
        self.maintain(ProxiedOp::Flatten, |image| {
            image.update(|mut ictx| async move {
                let r = manage::flatten(&mut ictx).await;
                (ictx, r)
            })
        })
    }

    /// librbd's invoke_async_request: when another client holds the
    /// exclusive lock, its owner runs `op` (it keeps the lock and its
    /// cache); otherwise, or when the owner does not run such requests,
    /// `here` runs it under this open's lock.
    pub(crate) fn maintain(&self, op: ProxiedOp, here: impl FnOnce(&Self) -> Result<(), Errno>) -> Result<(), Errno> {
        let ictx = self.ctx()?;
        match self.conn.run_admin(async move { proxy::to_owner(&ictx, &op).await })?? {
            Proxied::Done(result) => {
                if result.is_ok() {
                    // The header changed: have the answer ready for callbacks.
                    self.ctx()?;
                    self.updated();
                }
                result
            }
            Proxied::RunHere => here(self),
        }
    }

    // -- snapshots --

    pub fn snap_list(&self) -> Result<Vec<SnapInfo>, Errno> {
        let ictx = self.ctx()?;
        Ok(ictx.snaps.iter().map(|(&id, s)| SnapInfo { id, size: s.size, name: s.name.clone() }).collect())
    }

    /// Takes a snapshot; it holds every write acknowledged before.
    pub fn snap_create(&self, name: &str) -> Result<(), Errno> {
        self.flush_cache()?;
        self.maintain(ProxiedOp::SnapCreate(name.into()), |image| {
            image.snap_op(name, |mut ictx, n| async move {
                let r = snapshot::create(&mut ictx, &n).await.map(drop);
                (ictx, r)
            })
        })
    }

    pub fn snap_remove(&self, name: &str) -> Result<(), Errno> {
        self.maintain(ProxiedOp::SnapRemove(name.into()), |image| {
            image.snap_op(name, |mut ictx, n| async move {
                let r = snapshot::remove(&mut ictx, &n).await;
                (ictx, r)
            })
        })
    }

    /// Unlike the other snapshot calls, rollback rewrites the head: a
    /// handle reading a snapshot gets -EROFS, as in librbd.
    pub fn snap_rollback(&self, name: &str) -> Result<(), Errno> {
        // The data under the cache changes.
        self.invalidate_cache()?;
        let name = name.to_string();
        self.update(move |mut ictx| {
            let name = name.clone();
            async move {
                let r = snapshot::rollback(&mut ictx, &name).await;
                (ictx, r)
            }
        })
    }

    pub fn snap_protect(&self, name: &str) -> Result<(), Errno> {
        self.maintain(ProxiedOp::SnapProtect(name.into()), |image| {
            image.snap_op(name, |mut ictx, n| async move {
                let r = snapshot::protect(&mut ictx, &n).await;
                (ictx, r)
            })
        })
    }

    pub fn snap_unprotect(&self, name: &str) -> Result<(), Errno> {
        self.maintain(ProxiedOp::SnapUnprotect(name.into()), |image| {
            image.snap_op(name, |mut ictx, n| async move {
                let r = snapshot::unprotect(&mut ictx, &n).await;
                (ictx, r)
            })
        })
    }

    /// Snapshot management is not IO: an open that reads a snapshot (after
    /// snap_set) may still do it, as in librbd; a read-only open may not.
    pub(crate) fn snap_op<F, Fut>(&self, name: &str, op: F) -> Result<(), Errno>
    where
        F: Fn(ImageCtx, String) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = (ImageCtx, Result<(), Errno>)> + Send + 'static,
    {
        let name = name.to_string();
        self.update(move |mut ictx| {
            let shown = std::mem::replace(&mut ictx.snap_id, SnapId::HEAD);
            let flow = op(ictx, name.clone());
            async move {
                // Reads go on at the snapshot; one removed now reads -ENOENT.
                let (mut ictx, result) = flow.await;
                ictx.snap_id = shown;
                (ictx, result)
            }
        })
    }

    /// Whether snapshot `name` is protected (-ENOENT: no such snapshot).
    pub fn snap_is_protected(&self, name: &str) -> Result<bool, Errno> {
        let ictx = self.ctx()?;
        let snap = snap_by_name(&ictx, name)?;
        self.conn.run_admin(async move { snapshot::is_protected(&ictx, snap).await })?
    }

    pub fn snap_exists(&self, name: &str) -> Result<bool, Errno> {
        Ok(snap_by_name(&*self.ctx()?, name).is_ok())
    }

    /// Reads from snapshot `name` from now on (None: the head).
    pub fn snap_set(&self, name: Option<&str>) -> Result<(), Errno> {
        // What the cache holds belongs to what was shown until now.
        self.invalidate_cache()?;
        let mut ictx = self.ictx.write().map_err(|_| Errno::EIO)?;
        set_snap(Arc::make_mut(&mut ictx), name)
    }

    /// The image's `conf_*`-style metadata value for `key`.
    pub fn metadata_get(&self, key: &str) -> Result<String, Errno> {
        let ictx = self.ctx()?;
        let (io, header, key) = (ictx.io.clone(), ictx.header_object(), key.to_string());
        let value = self.conn.run_admin(async move {
            let mut op = ObjectOperation::new();
            cls::metadata_get(&mut op, &key);
            let reply = io.read_head(&header, op).await?;
            cls::metadata_get_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)
        })??;
        Ok(String::from_utf8_lossy(&value).into_owned())
    }
}

/// How often a flow is run again on a header peers keep changing.
pub(crate) const RESTARTS: usize = 5;

fn current(shared: &RwLock<Arc<ImageCtx>>) -> Result<Arc<ImageCtx>, Errno> {
    shared.read().map(|c| Arc::clone(&c)).map_err(|_| Errno::EIO)
}

/// Whether a peer changed the header since `ictx` was read.
fn is_stale(ictx: &ImageCtx) -> bool {
    ictx.header_seen != ictx.runtime.header_version()
}

/// The image's state, re-read first if it is stale (librbd's
/// refresh_if_required).
pub(crate) async fn fresh(shared: &RwLock<Arc<ImageCtx>>) -> Result<Arc<ImageCtx>, Errno> {
    let current = current(shared)?;
    if !is_stale(&current) {
        return Ok(current);
    }
    let mut next = ImageCtx::clone(&current);
    refresh(&mut next).await?;
    let next = Arc::new(next);
    let mut slot = shared.write().map_err(|_| Errno::EIO)?;
    if slot.header_seen <= next.header_seen {
        *slot = next.clone();
    }
    Ok(next)
}

/// Runs a write flow on fresh state, again while it finds the header
/// changed under it (-ERESTART from prepare_write).
pub(crate) async fn restarting<T, F, Fut>(shared: &RwLock<Arc<ImageCtx>>, mut flow: F) -> Result<T, Errno>
where
    F: FnMut(Arc<ImageCtx>) -> Fut,
    Fut: std::future::Future<Output = Result<T, Errno>>,
{
    let mut attempts = 0;
    loop {
        let result = flow(fresh(shared).await?).await;
        attempts += 1;
        match result {
            Err(Errno::ERESTART) if attempts < RESTARTS => continue,
            result => return result,
        }
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// The connection's cache options with the image's `conf_rbd_cache*`
/// metadata over them, as librbd applies them at open.
fn cache_config(conn: &Arc<Connection>, ictx: &ImageCtx) -> Result<CacheConfig, Errno> {
    let (io, header) = (ictx.io.clone(), ictx.header_object());
    // One short listing from just before the cache keys; a store without
    // metadata support simply has no overrides.
    let listed = conn.run_admin(async move {
        let mut op = ObjectOperation::new();
        cls::metadata_list(&mut op, "conf_rbd_cach", 16);
        let reply = io.read_head(&header, op).await?;
        cls::metadata_list_finish(reply.out(0)?).map_err(|_| Errno::EBADMSG)
    });
    let overrides: Vec<(String, String)> = match listed {
        Ok(Ok(map)) => map
            .into_iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("conf_")?.to_string(), String::from_utf8_lossy(&v).into_owned())))
            .filter(|(k, _)| k.starts_with("rbd_cache"))
            .collect(),
        _ => Vec::new(),
    };
    cache::config(&*conn.config()?, &overrides)
}
