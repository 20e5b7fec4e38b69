//! The image's locks as an application drives them (librbd's lock_* and
//! the advisory locks of `rbd lock add`): the exclusive lock taken and
//! kept, its owner, breaking it, and cls_lock's `rbd_lock` by cookie.

use rbdrs_core::cls::lock::{self, ClsLockType, EntityName, RBD_LOCK_NAME, WATCHER_LOCK_TAG};
use rbdrs_core::cls::rbd::types::RBD_FEATURE_EXCLUSIVE_LOCK;
use rbdrs_core::encoding::UtcTime;
use rbdrs_core::image::exclusive_lock;
use rbdrs_core::image::watcher::announce_header_update;
use rbdrs_core::osd::ObjectOperation;
use rbdrs_core::Errno;

use super::Image;

impl Image {
    fn exclusive_lock_feature(&self) -> Result<std::sync::Arc<rbdrs_core::image::ImageCtx>, Errno> {
        let ictx = self.ctx()?;
        if ictx.features & RBD_FEATURE_EXCLUSIVE_LOCK == 0 {
            return Err(Errno::EINVAL);
        }
        Ok(ictx)
    }

    /// rbd_lock_acquire: takes the exclusive lock (asking its owner, as a
    /// write would) and keeps it: peers that ask are refused with -EROFS
    /// from now on, and writes no longer take it on their own (librbd
    /// switches the image to its StandardPolicy).
    pub fn lock_acquire(&self) -> Result<(), Errno> {
        let ictx = self.exclusive_lock_feature()?;
        if ictx.read_only {
            return Err(Errno::EROFS);
        }
        ictx.runtime.keep_lock(true);
        let result =
            self.connection().run_admin(async move { exclusive_lock::acquire(&ictx, true).await.map(drop) })?;
        // A peer that would not let go: what librbd reports.
        result.map_err(|e| if e == Errno::EBUSY { Errno::EROFS } else { e })
    }

    /// rbd_lock_release: writes the cache back and lets the lock go.
    pub fn lock_release(&self) -> Result<(), Errno> {
        let ictx = self.exclusive_lock_feature()?;
        if !ictx.runtime.lock_owned() {
            return Err(Errno::EINVAL);
        }
        self.flush_cache()?;
        self.connection().run_admin(async move { exclusive_lock::release_on_request(&ictx).await })?
    }

    /// rbd_lock_get_owners: the address of the exclusive lock's owner
    /// (-ENOENT: nobody holds it; -EBUSY: a lock librbd did not take).
    pub fn lock_owners(&self) -> Result<Vec<String>, Errno> {
        self.exclusive_lock_feature()?;
        let locks = self.lockers()?;
        if locks.lockers.is_empty() {
            return Err(Errno::ENOENT);
        }
        if !locks.exclusive || locks.tag != WATCHER_LOCK_TAG {
            return Err(Errno::EBUSY);
        }
        Ok(locks.lockers.into_iter().map(|l| l.address).collect())
    }

    /// rbd_lock_break: breaks the exclusive lock `owner` (an address from
    /// lock_owners) holds, blocklisting the owner first (unless
    /// rbd_blocklist_on_break_lock is off). -EBUSY if someone else holds
    /// it by now.
    pub fn lock_break(&self, owner: &str) -> Result<(), Errno> {
        let ictx = self.exclusive_lock_feature()?;
        if ictx.read_only {
            return Err(Errno::EROFS);
        }
        let locks = self.lockers()?;
        let Some(holder) = locks.lockers.iter().find(|l| l.address == owner) else {
            return Err(if locks.lockers.is_empty() { Errno::ENOENT } else { Errno::EBUSY });
        };
        self.break_advisory(&holder.locker, &holder.cookie)
    }

    /// rbd_lock_exclusive / rbd_lock_shared: an advisory lock on the
    /// header, by cookie (and tag, for shared ones).
    pub fn lock_advisory(&self, exclusive: bool, cookie: &str, tag: &str) -> Result<(), Errno> {
        let kind = if exclusive { ClsLockType::EXCLUSIVE } else { ClsLockType::SHARED };
        let (cookie, tag) = (cookie.to_string(), tag.to_string());
        self.lock_op(move |op| lock::lock(op, RBD_LOCK_NAME, kind, &cookie, &tag, "", UtcTime::default(), 0))
    }

    /// rbd_unlock: drops this client's advisory lock `cookie`.
    pub fn unlock_advisory(&self, cookie: &str) -> Result<(), Errno> {
        let cookie = cookie.to_string();
        self.lock_op(move |op| lock::unlock(op, RBD_LOCK_NAME, &cookie))
    }

    /// rbd_break_lock: drops `client`'s (`client.<n>`) lock `cookie`,
    /// blocklisting its holder first unless rbd_blocklist_on_break_lock is
    /// off (as librbd).
    pub fn break_advisory(&self, client: &str, cookie: &str) -> Result<(), Errno> {
        let locker = EntityName::parse(client).ok_or(Errno::EINVAL)?;
        let holder = self.lockers()?.lockers.into_iter().find(|l| l.locker == client && l.cookie == cookie);
        if let Some(holder) = holder {
            let ictx = self.ctx()?;
            self.connection().run_admin(async move { exclusive_lock::blocklist(&ictx, &holder.address).await })??;
        }
        let cookie = cookie.to_string();
        self.lock_op(move |op| lock::break_lock(op, RBD_LOCK_NAME, &cookie, locker))
    }

    /// One cls_lock call on the header; peers hear of it, as from librbd.
    fn lock_op(&self, build: impl FnOnce(&mut ObjectOperation) + Send + 'static) -> Result<(), Errno> {
        let ictx = self.ctx()?;
        self.connection().run_admin(async move {
            let mut op = ObjectOperation::new();
            build(&mut op);
            ictx.io.exec(&ictx.header_object(), op).await?;
            announce_header_update(&ictx);
            Ok::<_, Errno>(())
        })??;
        self.updated();
        Ok(())
    }
}
