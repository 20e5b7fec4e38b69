//! cls_rbd `copyup`: writes a clone's object with its parent's data, but
//! only if the object does not exist yet, so a racing writer's data wins.

use alloc::vec::Vec;

use bytes::Bytes;

use crate::memstore::{ClassRegistry, MethodContext, MethodFlags};
use crate::osd::ObjectOperation;
use crate::Errno;

/// The input is the raw data, not an encoded bufferlist (cls_client::copyup).
pub fn copyup(op: &mut ObjectOperation, data: Bytes) {
    op.call("rbd", "copyup", data);
}

fn serve_copyup(ctx: &mut MethodContext<'_>, input: &[u8]) -> Result<Vec<u8>, Errno> {
    if input.is_empty() || ctx.exists() {
        return Ok(Vec::new());
    }
    ctx.write(0, input)?;
    Ok(Vec::new())
}

pub fn register(reg: &mut ClassRegistry) {
    reg.register("rbd", "copyup", MethodFlags::RDWR, serve_copyup);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::UtcTime;
    use crate::memstore::MemStore;
    use crate::osd::{ObjectId, ObjectRequest, SnapContext, SnapId};

    #[test]
    fn copyup_writes_only_an_absent_object() {
        let mut reg = ClassRegistry::default();
        register(&mut reg);
        let store = MemStore::with_classes(reg);
        let pool = store.create_pool("rbd").unwrap();
        let oid = ObjectId::new(pool, "", "rbd_data.1.0000000000000000");
        let send = |data: &'static [u8]| {
            let mut op = ObjectOperation::new();
            copyup(&mut op, Bytes::from_static(data));
            store.execute(&ObjectRequest::write(oid.clone(), SnapContext::default(), UtcTime::default(), op)).result
        };
        assert_eq!(send(b""), 0);
        let mut read = ObjectOperation::new();
        read.read(0, 0);
        assert_eq!(store.execute(&ObjectRequest::read(oid.clone(), SnapId::HEAD, read.clone())).result, -2);
        assert_eq!(send(b"parent"), 0);
        assert_eq!(send(b"other!"), 0);
        let reply = store.execute(&ObjectRequest::read(oid, SnapId::HEAD, read));
        assert_eq!(reply.ops[0].out.as_ref(), b"parent");
    }
}
