//! Listing a pool's objects (rados_nobjects_list_*, rados_object_list).

use rbdrs_core::image;
use rbdrs_core::osd::{HObject, ListEntry};
use rbdrs_core::rados::{PoolRequest, Reply, Request};
use rbdrs_core::Errno;

use crate::{Connection, IoCtx};

impl Connection {
    /// Up to `max` objects of `io`'s pool in namespace `nspace` from `pos`
    /// on, and the cursor after them (max once the pool is listed).
    pub fn list_page(
        &self,
        io: &image::IoCtx,
        nspace: &str,
        pos: HObject,
        max: usize,
    ) -> Result<(Vec<ListEntry>, HObject), Errno> {
        let (d, pool, client, nspace) = (io.dispatcher.clone(), io.pool, io.client, nspace.to_string());
        let flow = async move { rbdrs_core::rados::list::list_page(&d, pool, &nspace, client, pos, max).await };
        self.run_admin(flow)?
    }
}

impl Connection {
    /// The pg (its seed) objects of raw hash `hash` fall in, in `pool`.
    pub fn pg_of(&self, pool: i64, hash: u32) -> Result<u32, Errno> {
        let dispatcher = self.runtime.dispatcher.clone();
        let request = Request::Pool(PoolRequest::PgOf { pool, hash });
        match self.run_admin(async move { dispatcher.submit(request).await })? {
            Reply::Id(seed) => seed.map(|s| s as u32),
            _ => Err(Errno::EIO),
        }
    }
}

impl IoCtx {
    /// [`Connection::list_page`] in this context's pool.
    pub fn list_page(&self, nspace: &str, pos: HObject, max: usize) -> Result<(Vec<ListEntry>, HObject), Errno> {
        self.connection().list_page(&self.core(), nspace, pos, max)
    }
}
