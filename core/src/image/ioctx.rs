//! librados's IoCtx for the image layer: a pool and namespace, and async
//! calls that go through the dispatcher.

use alloc::string::String;

use crate::osd::{ClientId, ObjectId, ObjectOperation, ObjectReply, ObjectRequest, SnapContext, SnapId};
use crate::rados::{Dispatcher, PoolRequest, Reply, Request};
use crate::Errno;

#[derive(Clone, Debug)]
pub struct IoCtx {
    pub dispatcher: Dispatcher,
    pub pool: i64,
    pub namespace: String,
    pub client: ClientId,
    /// Writes are sent with FULL_TRY (rados_set_pool_full_try).
    pub full_try: bool,
    /// librados's per-context settings (rados_ioctx_snap_set_read,
    /// rados_ioctx_selfmanaged_snap_set_write_ctx) for the C API's object
    /// calls; librbd's flows pass their own snapshot and snap context.
    pub snap_read: SnapId,
    pub snapc: SnapContext,
    /// The locator key objects are placed by (rados_ioctx_locator_set_key;
    /// "" places by name).
    pub locator_key: String,
}

fn object_reply(reply: Reply) -> ObjectReply {
    match reply {
        Reply::Object(reply) => reply,
        // A driver answering an object request with anything else is broken.
        _ => ObjectReply::error(Errno::EIO),
    }
}

impl IoCtx {
    pub fn new(dispatcher: Dispatcher, pool: i64, namespace: impl Into<String>, client: ClientId) -> Self {
        IoCtx {
            dispatcher,
            pool,
            namespace: namespace.into(),
            client,
            full_try: false,
            snap_read: SnapId::HEAD,
            snapc: SnapContext::default(),
            locator_key: String::new(),
        }
    }

    /// The same client in another pool (parents and data pools).
    pub fn with_pool(&self, pool: i64, namespace: impl Into<String>) -> Self {
        IoCtx {
            pool,
            namespace: namespace.into(),
            snap_read: SnapId::HEAD,
            snapc: SnapContext::default(),
            ..self.clone()
        }
    }

    pub fn oid(&self, name: impl Into<String>) -> ObjectId {
        ObjectId::new(self.pool, self.namespace.clone(), name).with_key(self.locator_key.clone())
    }

    pub async fn read(&self, name: &str, snap: SnapId, op: ObjectOperation) -> ObjectReply {
        let mut req = ObjectRequest::read(self.oid(name), snap, op).from_client(self.client);
        // Classes take the request time as now (lock expiry), reads included.
        req.mtime = self.dispatcher.now();
        object_reply(self.dispatcher.submit(Request::Object(req)).await)
    }

    pub async fn write(&self, name: &str, snapc: &SnapContext, op: ObjectOperation) -> ObjectReply {
        let req = ObjectRequest::write(self.oid(name), snapc.clone(), self.dispatcher.now(), op)
            .from_client(self.client)
            .with_full_try(self.full_try);
        object_reply(self.dispatcher.submit(Request::Object(req)).await)
    }

    /// A class call in a write compound with no snapshot context, as
    /// librbd's metadata updates are sent.
    pub async fn exec(&self, name: &str, op: ObjectOperation) -> Result<ObjectReply, Errno> {
        let reply = self.write(name, &SnapContext::default(), op).await;
        reply.errno()?;
        Ok(reply)
    }

    /// A read-only compound on the head; the reply's error as Err.
    pub async fn read_head(&self, name: &str, op: ObjectOperation) -> Result<ObjectReply, Errno> {
        let reply = self.read(name, SnapId::HEAD, op).await;
        reply.errno()?;
        Ok(reply)
    }

    fn notify_request(&self, name: &str, payload: bytes::Bytes, timeout: u32) -> Request {
        let mut op = ObjectOperation::new();
        op.push(crate::osd::OpKind::Notify { cookie: self.dispatcher.allocate_handle(), timeout, payload });
        Request::Object(ObjectRequest::read(self.oid(name), SnapId::HEAD, op).from_client(self.client))
    }

    /// rados_notify2: Ok with the notify's own result (-ETIMEDOUT when some
    /// watcher did not ack in `timeout` seconds) and the acks.
    pub async fn notify(
        &self,
        name: &str,
        payload: bytes::Bytes,
        timeout: u32,
    ) -> Result<(Result<(), Errno>, crate::osd::NotifyResponse), Errno> {
        let (result, out) = self.notify_raw(name, payload, timeout).await?;
        let response = crate::osd::NotifyResponse::decode(&out).map_err(|_| Errno::EBADMSG)?;
        Ok((result, response))
    }

    /// rados_notify2 as librados returns it: the notify's result and the
    /// acks still encoded.
    pub async fn notify_raw(
        &self,
        name: &str,
        payload: bytes::Bytes,
        timeout: u32,
    ) -> Result<(Result<(), Errno>, bytes::Bytes), Errno> {
        let reply = object_reply(self.dispatcher.submit(self.notify_request(name, payload, timeout)).await);
        let result = reply.errno();
        match reply.ops.first().map(|op| op.out.clone()) {
            Some(out) if !out.is_empty() => Ok((result, out)),
            _ => Err(result.err().unwrap_or(Errno::EBADMSG)),
        }
    }

    /// A notify nobody waits for.
    pub fn notify_detached(&self, name: &str, payload: bytes::Bytes, timeout: u32) {
        self.dispatcher.submit_detached(self.notify_request(name, payload, timeout));
    }

    pub async fn create_snap(&self) -> Result<u64, Errno> {
        match self.dispatcher.submit(Request::Pool(PoolRequest::CreateSnap { pool: self.pool })).await {
            Reply::Id(id) => id,
            _ => Err(Errno::EIO),
        }
    }

    pub async fn remove_snap(&self, snap: u64) -> Result<(), Errno> {
        match self.dispatcher.submit(Request::Pool(PoolRequest::RemoveSnap { pool: self.pool, snap })).await {
            Reply::Done(result) => result,
            _ => Err(Errno::EIO),
        }
    }
}
