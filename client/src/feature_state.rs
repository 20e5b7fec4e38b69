//! Whether mirroring, groups or live migration are in use, read from the
//! pool and the image the way librbd reads them (cls_rbd on
//! `rbd_mirroring`, `rbd_group_directory` and the header). librbdrs does
//! not turn these features on; it reports what other clients recorded.

use rbdrs_core::cls::rbd::client as cls;
use rbdrs_core::cls::rbd::feature_state::{
    GroupSpec, MirrorImage, MirrorPeer, MIRROR_MODE_DISABLED, RBD_GROUP_DIRECTORY,
};
use rbdrs_core::cls::rbd::types::SnapshotNamespace;
use rbdrs_core::image::IoCtx as CoreIoCtx;
use rbdrs_core::naming::RBD_MIRRORING;
use rbdrs_core::osd::{ObjectOperation, SnapId};
use rbdrs_core::Errno;

use crate::image::Image;
use crate::rados::IoCtx;

fn bad(_: rbdrs_core::encoding::DecodeError) -> Errno {
    Errno::EBADMSG
}

/// One read-only class call on `object`; its output decoded by `finish`.
async fn call<T>(
    io: &CoreIoCtx,
    object: &str,
    build: impl FnOnce(&mut ObjectOperation),
    finish: impl FnOnce(&[u8]) -> Result<T, rbdrs_core::encoding::DecodeError>,
) -> Result<T, Errno> {
    let mut op = ObjectOperation::new();
    build(&mut op);
    let reply = io.read_head(object, op).await?;
    finish(reply.out(0)?).map_err(bad)
}

/// librbd's list loops ask for this many entries a call.
const PAGE: u64 = 1024;

impl IoCtx {
    fn run_core<T: Send + 'static>(
        &self,
        flow: impl FnOnce(CoreIoCtx) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, Errno>> + Send>>,
    ) -> Result<T, Errno> {
        self.run(flow(self.core()))
    }

    /// The pool's mirror mode (MIRROR_MODE_*); never set is disabled.
    pub fn mirror_mode(&self) -> Result<u32, Errno> {
        self.run_core(|io| {
            Box::pin(async move {
                match call(&io, RBD_MIRRORING, cls::mirror_mode_get, cls::mirror_mode_get_finish).await {
                    Err(Errno::ENOENT) => Ok(MIRROR_MODE_DISABLED),
                    r => r,
                }
            })
        })
    }

    /// The pool's mirror uuid; -ENOENT when mirroring never set one.
    pub fn mirror_uuid(&self) -> Result<String, Errno> {
        self.run_core(|io| {
            Box::pin(async move { call(&io, RBD_MIRRORING, cls::mirror_uuid_get, cls::mirror_uuid_get_finish).await })
        })
    }

    /// The pool's mirroring peers; none when mirroring never ran.
    pub fn mirror_peers(&self) -> Result<Vec<MirrorPeer>, Errno> {
        self.run_core(|io| {
            Box::pin(async move {
                match call(&io, RBD_MIRRORING, cls::mirror_peer_list, cls::mirror_peer_list_finish).await {
                    Err(Errno::ENOENT) => Ok(Vec::new()),
                    r => r,
                }
            })
        })
    }

    /// Every group's name, sorted.
    pub fn group_names(&self) -> Result<Vec<String>, Errno> {
        self.run_core(|io| {
            Box::pin(async move {
                let mut names: Vec<String> = Vec::new();
                loop {
                    let start: String = names.last().cloned().unwrap_or_default();
                    let page = match call(
                        &io,
                        RBD_GROUP_DIRECTORY,
                        |op| cls::group_dir_list(op, &start, PAGE),
                        cls::group_dir_list_finish,
                    )
                    .await
                    {
                        Err(Errno::ENOENT) => break,
                        r => r?,
                    };
                    let full = page.len() as u64 == PAGE;
                    names.extend(page.into_keys());
                    if !full {
                        break;
                    }
                }
                Ok(names)
            })
        })
    }

    /// The id of group `name`; -ENOENT when there is none.
    pub fn group_id(&self, name: &str) -> Result<String, Errno> {
        let name = name.to_string();
        self.run_core(move |io| {
            Box::pin(async move {
                call(&io, RBD_GROUP_DIRECTORY, |op| cls::dir_get_id(op, &name), cls::dir_get_id_finish).await
            })
        })
    }

    /// Whether image `name` is being migrated: -ENOENT when there is no
    /// such image, as librbd's open says.
    pub fn image_migrating(&self, name: &str) -> Result<bool, Errno> {
        let name = name.to_string();
        self.run_core(move |io| {
            Box::pin(async move {
                let id_object = format!("{}{name}", rbdrs_core::naming::RBD_ID_PREFIX);
                let id = call(&io, &id_object, cls::get_id, cls::get_id_finish).await?;
                let header = format!("{}{id}", rbdrs_core::naming::RBD_HEADER_PREFIX);
                migrating(&io, &header).await
            })
        })
    }
}

async fn migrating(io: &CoreIoCtx, header: &str) -> Result<bool, Errno> {
    let mut op = ObjectOperation::new();
    cls::migration_get(&mut op);
    match io.read_head(header, op).await {
        Ok(_) => Ok(true),
        Err(Errno::EINVAL) => Ok(false),
        Err(e) => Err(e),
    }
}

impl Image {
    /// The mirror mode of the image's pool (MIRROR_MODE_*).
    pub fn pool_mirror_mode(&self) -> Result<u32, Errno> {
        let ictx = self.ctx()?;
        self.connection().run_admin(async move {
            match call(&ictx.io, RBD_MIRRORING, cls::mirror_mode_get, cls::mirror_mode_get_finish).await {
                Err(Errno::ENOENT) => Ok(MIRROR_MODE_DISABLED),
                r => r,
            }
        })?
    }

    /// The image's mirroring record in its pool; None when it has none.
    pub fn mirror_image(&self) -> Result<Option<MirrorImage>, Errno> {
        let ictx = self.ctx()?;
        self.connection().run_admin(async move {
            let id = ictx.id.clone();
            match call(&ictx.io, RBD_MIRRORING, |op| cls::mirror_image_get(op, &id), cls::mirror_image_get_finish).await
            {
                Ok(image) => Ok(Some(image)),
                Err(Errno::ENOENT) => Ok(None),
                Err(e) => Err(e),
            }
        })?
    }

    /// The group the image is in: its pool and name.
    pub fn group(&self) -> Result<Option<(i64, String)>, Errno> {
        let ictx = self.ctx()?;
        self.connection().run_admin(async move {
            let header = ictx.header_object();
            let spec: GroupSpec = call(&ictx.io, &header, cls::image_group_get, cls::image_group_get_finish).await?;
            if !spec.is_valid() {
                return Ok(None);
            }
            let group_io = ictx.io.with_pool(spec.pool_id, ictx.io.namespace.clone());
            let id = spec.group_id.clone();
            let name =
                call(&group_io, RBD_GROUP_DIRECTORY, |op| cls::dir_get_name(op, &id), cls::dir_get_name_finish).await?;
            Ok(Some((spec.pool_id, name)))
        })?
    }

    /// Whether the image is the destination of a live migration.
    pub fn migrating(&self) -> Result<bool, Errno> {
        let ictx = self.ctx()?;
        self.connection().run_admin(async move { migrating(&ictx.io, &ictx.header_object()).await })?
    }

    /// Snapshot `snap_id`'s namespace; -ENOENT when there is no such
    /// snapshot.
    pub fn snap_namespace(&self, snap_id: u64) -> Result<SnapshotNamespace, Errno> {
        let ictx = self.ctx()?;
        if !ictx.snaps.contains_key(&snap_id) {
            return Err(Errno::ENOENT);
        }
        self.connection().run_admin(async move {
            let header = ictx.header_object();
            let info =
                call(&ictx.io, &header, |op| cls::snapshot_get(op, SnapId(snap_id)), cls::snapshot_get_finish).await?;
            Ok(info.snapshot_namespace)
        })?
    }
}
