//! What `rbd info`, `rbd snap ls`, `rbd status` and `rbd children` show
//! beyond the open image's state: timestamps, operation features,
//! protection, watchers, clones.

use rbdrs_core::cls::lock;
use rbdrs_core::cls::rbd::client as cls;
use rbdrs_core::encoding::UtcTime;
use rbdrs_core::image::open::snap_by_name;
use rbdrs_core::image::{snapshot, watchers};
use rbdrs_core::osd::{ObjectOperation, SnapId};
use rbdrs_core::Errno;

use super::Image;

/// A client watching the image's header (an open of it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watcher {
    pub address: String,
    /// client.<n>
    pub client: i64,
    pub cookie: u64,
}

/// The image's advisory and exclusive locks (`rbd lock ls`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Locks {
    pub exclusive: bool,
    pub tag: String,
    pub lockers: Vec<Locker>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locker {
    /// "client.<n>"
    pub locker: String,
    /// The lock's id (librbd's own: "auto <handle>").
    pub cookie: String,
    pub address: String,
}

/// The lock librbd's exclusive lock and `rbd lock add` use.
const RBD_LOCK_NAME: &str = "rbd_lock";

/// The header's timestamps and operation features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderDetails {
    pub op_features: u64,
    pub create_timestamp: UtcTime,
    pub access_timestamp: UtcTime,
    pub modify_timestamp: UtcTime,
}

/// One snapshot with what `rbd snap ls` shows of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapDetails {
    pub id: u64,
    pub name: String,
    pub size: u64,
    pub protected: bool,
    pub timestamp: UtcTime,
}

/// A clone of one of the image's snapshots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildSpec {
    pub pool_id: i64,
    pub pool_namespace: String,
    pub image_id: String,
}

fn bad(_: rbdrs_core::encoding::DecodeError) -> Errno {
    Errno::EBADMSG
}

impl Image {
    pub fn header_details(&self) -> Result<HeaderDetails, Errno> {
        let ictx = self.ctx()?;
        self.connection().run_admin(async move {
            let mut op = ObjectOperation::new();
            cls::op_features_get(&mut op);
            cls::get_create_timestamp(&mut op);
            cls::get_access_timestamp(&mut op);
            cls::get_modify_timestamp(&mut op);
            let reply = ictx.io.read_head(&ictx.header_object(), op).await?;
            Ok(HeaderDetails {
                op_features: cls::op_features_get_finish(reply.out(0)?).map_err(bad)?,
                create_timestamp: cls::get_create_timestamp_finish(reply.out(1)?).map_err(bad)?,
                access_timestamp: cls::get_access_timestamp_finish(reply.out(2)?).map_err(bad)?,
                modify_timestamp: cls::get_modify_timestamp_finish(reply.out(3)?).map_err(bad)?,
            })
        })?
    }

    /// Every snapshot, in id order, with its protection and timestamp.
    pub fn snap_details(&self) -> Result<Vec<SnapDetails>, Errno> {
        let ictx = self.ctx()?;
        self.connection().run_admin(async move {
            let mut out = Vec::with_capacity(ictx.snaps.len());
            for (&id, snap) in &ictx.snaps {
                let mut op = ObjectOperation::new();
                cls::get_snapshot_timestamp(&mut op, SnapId(id));
                let reply = ictx.io.read_head(&ictx.header_object(), op).await?;
                let timestamp = cls::get_snapshot_timestamp_finish(reply.out(0)?).map_err(bad)?;
                let protected = snapshot::is_protected(&ictx, SnapId(id)).await?;
                out.push(SnapDetails { id, name: snap.name.clone(), size: snap.size, protected, timestamp });
            }
            Ok(out)
        })?
    }

    /// The clients watching the image's header: every open of it.
    pub fn watchers(&self) -> Result<Vec<Watcher>, Errno> {
        let ictx = self.ctx()?;
        let list = self.connection().run_admin(async move { watchers::list(&ictx).await })??;
        Ok(list
            .into_iter()
            .map(|w| Watcher { address: w.addr.legacy().to_string(), client: w.client, cookie: w.cookie })
            .collect())
    }

    /// Who holds `rbd_lock` on the header (none: empty).
    pub fn lockers(&self) -> Result<Locks, Errno> {
        let ictx = self.ctx()?;
        let info = self.connection().run_admin(async move {
            let mut op = ObjectOperation::new();
            lock::get_info(&mut op, RBD_LOCK_NAME);
            match ictx.io.read_head(&ictx.header_object(), op).await {
                Ok(reply) => lock::get_info_finish(reply.out(0)?).map(Some).map_err(bad),
                Err(Errno::ENOENT | Errno::ENODATA) => Ok(None),
                Err(e) => Err(e),
            }
        })??;
        let Some(info) = info else { return Ok(Locks::default()) };
        Ok(Locks {
            exclusive: info.lock_type.is_exclusive(),
            tag: info.tag,
            lockers: info
                .lockers
                .into_iter()
                .map(|(id, who)| Locker {
                    locker: id.locker.to_string(),
                    cookie: id.cookie,
                    address: who.addr.legacy().to_string(),
                })
                .collect(),
        })
    }

    /// The clones of snapshot `snap`.
    pub fn children(&self, snap: &str) -> Result<Vec<ChildSpec>, Errno> {
        let ictx = self.ctx()?;
        let snap = snap_by_name(&ictx, snap)?;
        let children = self.connection().run_admin(async move { snapshot::children(&ictx, snap).await })??;
        Ok(children
            .into_iter()
            .map(|c| ChildSpec { pool_id: c.pool_id, pool_namespace: c.pool_namespace, image_id: c.image_id })
            .collect())
    }
}
