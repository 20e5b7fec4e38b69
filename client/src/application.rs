//! Pool applications (rados_application_*) on a pool context.

use rbdrs_core::osdmap::Applications;
use rbdrs_core::rados::application::AppChange;
use rbdrs_core::rados::{PoolRequest, Reply, Request};
use rbdrs_core::Errno;

use crate::IoCtx;

impl IoCtx {
    /// The pool's applications and their metadata, as this client's map
    /// has them; -ENOENT once the pool is gone.
    pub fn applications(&self) -> Result<Applications, Errno> {
        let conn = self.connection();
        let dispatcher = conn.runtime.dispatcher.clone();
        let request = Request::Pool(PoolRequest::Applications { pool: self.pool_id() });
        match conn.run_admin(async move { dispatcher.submit(request).await })? {
            Reply::Applications(apps) => apps,
            _ => Err(Errno::EIO),
        }
    }

    /// Enables an application or changes its metadata: by the monitor,
    /// returning once this client's map has the change, or on the embedded
    /// store by the monitor's rules.
    pub fn change_application(&self, change: AppChange) -> Result<(), Errno> {
        let conn = self.connection();
        let dispatcher = conn.runtime.dispatcher.clone();
        let request = Request::Pool(PoolRequest::Application { pool: self.pool_id(), change });
        match conn.run_admin(async move { dispatcher.submit(request).await })? {
            Reply::Done(done) => done,
            _ => Err(Errno::EIO),
        }
    }

    /// rbd_pool_init (`rbd pool init`): what librbd's Pool::init does in
    /// Pacific, enabling the `rbd` application (-EPERM when the pool has
    /// another and `force` is false).
    pub fn rbd_pool_init(&self, force: bool) -> Result<(), Errno> {
        self.change_application(AppChange::Enable { app: "rbd".into(), force })
    }
}
