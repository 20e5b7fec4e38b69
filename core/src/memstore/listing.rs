//! PGNLS on the store: the pool is one pg covering every hash, listed in
//! the order OSDs list (hobject_t's bitwise order), so cursors move as on
//! a cluster.

use alloc::vec::Vec;

use super::Pool;
use crate::encoding::encode_to_vec;
use crate::osd::hobject::ALL_NSPACES;
use crate::osd::{HObject, ListEntry, NlsResponse, ObjectReply, ObjectRequest, OpKind, OpResult};
use crate::Errno;

/// osd_max_pgls: the most entries one PGNLS returns.
const MAX_PGLS: u64 = 1024;

/// Answers a compound holding a pg op; None for any other.
pub(super) fn pg_op(pool_id: i64, pool: &Pool, req: &ObjectRequest) -> Option<ObjectReply> {
    let OpKind::PgNls { count, cursor, .. } = &req.op.ops.first()?.kind else {
        return None;
    };
    if req.op.ops.len() != 1 {
        return Some(ObjectReply::error(Errno::EINVAL));
    }
    let nspace = req.oid.namespace.as_str();
    let mut heads: Vec<HObject> = pool
        .objects
        .iter()
        .filter(|((ns, _, _), o)| o.head.is_some() && (nspace == ALL_NSPACES || ns == nspace))
        .map(|((ns, name, key), _)| HObject::head(pool_id, ns, name, key))
        .filter(|h| h >= cursor)
        .collect();
    heads.sort();
    let take = (*count).min(MAX_PGLS) as usize;
    let handle = heads.get(take).cloned().unwrap_or_else(HObject::max);
    // An OSD answers 1 once the pg is listed to its end.
    let rval = i32::from(handle.max);
    let entries =
        heads.into_iter().take(take).map(|h| ListEntry { nspace: h.nspace, oid: h.oid, locator: h.key }).collect();
    let out = encode_to_vec(&NlsResponse { handle, entries }).into();
    Some(ObjectReply { result: rval, version: 0, ops: alloc::vec![OpResult { rval, out }] })
}
