//! Listing a pool's objects (librados's nlist): PGNLS ops pg by pg, each
//! to the pg holding the cursor's hash, until enough entries came or the
//! cursor passed the last pg (the OSD moves it to the next pg's start).

use alloc::vec::Vec;

use super::{Dispatcher, Reply, Request};
use crate::osd::{ClientId, HObject, ListEntry, NlsResponse, ObjectId, ObjectOperation, ObjectRequest, OpKind, SnapId};
use crate::Errno;

/// The most entries librados asks one listing step for.
pub const LIST_MAX_ENTRIES: usize = 1024;

/// Up to `max` objects of `pool` in namespace `nspace` (ALL_NSPACES: every
/// one) from `pos` on, and the cursor after them (max at the end).
pub async fn list_page(
    d: &Dispatcher,
    pool: i64,
    nspace: &str,
    client: ClientId,
    mut pos: HObject,
    max: usize,
) -> Result<(Vec<ListEntry>, HObject), Errno> {
    let mut entries = Vec::new();
    while entries.len() < max && !pos.max {
        let mut op = ObjectOperation::new();
        let count = (max - entries.len()) as u64;
        op.push(OpKind::PgNls { count, start_epoch: 0, cursor: pos.clone() });
        let req = ObjectRequest::read(ObjectId::new(pool, nspace, ""), SnapId::HEAD, op).from_client(client);
        let reply = match d.submit(Request::Object(req)).await {
            Reply::Object(reply) => reply,
            _ => return Err(Errno::EIO),
        };
        reply.errno()?;
        let out = reply.ops.first().map(|o| &o.out[..]).unwrap_or_default();
        let response = NlsResponse::from_out(out)?;
        // A cursor that does not move would list for ever.
        if response.handle <= pos && !response.handle.max {
            return Err(Errno::EIO);
        }
        pos = response.handle;
        entries.extend(response.entries);
    }
    Ok((entries, pos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memstore::MemStore;
    use crate::osd::hobject::ALL_NSPACES;
    use crate::rados::LocalDriver;
    use alloc::format;
    use alloc::string::String;
    use bytes::Bytes;

    fn store_with(names: &[(&str, &str)]) -> (MemStore, i64) {
        let store = MemStore::new();
        let pool = store.create_pool("p").unwrap();
        for (ns, name) in names {
            let mut op = ObjectOperation::new();
            op.write_full(Bytes::from_static(b"x"));
            let oid = ObjectId::new(pool, *ns, *name);
            let req = ObjectRequest::write(oid, Default::default(), Default::default(), op);
            assert_eq!(store.execute(&req).result, 0);
        }
        (store, pool)
    }

    #[test]
    fn pages_cover_the_pool_once_in_hash_order() {
        let names: Vec<String> = (0..50).map(|i| format!("obj{i}")).collect();
        let pairs: Vec<(&str, &str)> = names.iter().map(|n| ("", n.as_str())).collect();
        let (store, pool) = store_with(&pairs);
        let mut driver = LocalDriver::new(&store, Dispatcher::new());
        let d = driver.dispatcher().clone();
        let mut pos = HObject::min();
        let mut seen = Vec::new();
        while !pos.max {
            let (page, next) =
                driver.run(list_page(&d, pool, "", ClientId::default(), pos.clone(), 7)).unwrap().unwrap();
            assert!(page.len() <= 7);
            seen.extend(page.into_iter().map(|e| e.oid));
            pos = next;
        }
        let mut sorted = seen.clone();
        sorted.sort();
        let mut expected = names.clone();
        expected.sort();
        assert_eq!(sorted, expected, "each object once");
        let hashes: Vec<u32> = seen.iter().map(|n| HObject::head(pool, "", n, "").hash.reverse_bits()).collect();
        assert!(hashes.windows(2).all(|w| w[0] <= w[1]), "bitwise hash order");
    }

    #[test]
    fn namespaces_filter_or_all() {
        let (store, pool) = store_with(&[("", "a"), ("ns", "b"), ("ns", "c")]);
        let mut driver = LocalDriver::new(&store, Dispatcher::new());
        let d = driver.dispatcher().clone();
        let mut list = |ns: &str| {
            let (page, next) =
                driver.run(list_page(&d, pool, ns, ClientId::default(), HObject::min(), 100)).unwrap().unwrap();
            assert!(next.max);
            let mut names: Vec<String> = page.into_iter().map(|e| e.oid).collect();
            names.sort();
            names
        };
        assert_eq!(list(""), ["a"]);
        assert_eq!(list("ns"), ["b", "c"]);
        assert_eq!(list(ALL_NSPACES), ["a", "b", "c"]);
    }
}
