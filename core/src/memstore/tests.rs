use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::*;
use crate::encoding::{decode_exact, UtcTime};
use crate::osd::{
    ObjectId, ObjectOperation, OmapKeysOut, OmapValsOut, SnapContext, SnapId, SparseReadOut, StatOut, XattrsOut,
};

struct Fixture {
    store: MemStore,
    pool: i64,
    snapc: SnapContext,
}

fn fixture() -> Fixture {
    let mut classes = ClassRegistry::default();
    classes.register("test", "get", MethodFlags::RD, |ctx, _| ctx.map_get_val("k").map(|v| v.to_vec()));
    classes.register("test", "put", MethodFlags::WR, |ctx, input| {
        ctx.map_set_val("k", Bytes::copy_from_slice(input))?;
        Ok(b"done".to_vec())
    });
    classes.register("test", "fail_after_write", MethodFlags::WR, |ctx, _| {
        ctx.write(0, b"partial")?;
        Err(Errno::EBUSY)
    });
    classes.register("test", "whoami", MethodFlags::RD, |ctx, _| {
        Ok(alloc::format!("{}.{}@{}", ctx.origin().global_id, ctx.origin().nonce, ctx.now().sec).into_bytes())
    });
    let store = MemStore::with_classes(classes);
    let pool = store.create_pool("rbd").unwrap();
    Fixture { store, pool, snapc: SnapContext::default() }
}

fn b(s: &[u8]) -> Bytes {
    Bytes::copy_from_slice(s)
}

impl Fixture {
    fn oid(&self, name: &str) -> ObjectId {
        ObjectId::new(self.pool, "", name)
    }

    fn write(&self, name: &str, build: impl FnOnce(&mut ObjectOperation)) -> ObjectReply {
        let mut op = ObjectOperation::new();
        build(&mut op);
        self.store.execute(&ObjectRequest::write(self.oid(name), self.snapc.clone(), UtcTime::new(100, 0), op))
    }

    fn read_at(&self, name: &str, snap: SnapId, build: impl FnOnce(&mut ObjectOperation)) -> ObjectReply {
        let mut op = ObjectOperation::new();
        build(&mut op);
        self.store.execute(&ObjectRequest::read(self.oid(name), snap, op))
    }

    fn read(&self, name: &str, build: impl FnOnce(&mut ObjectOperation)) -> ObjectReply {
        self.read_at(name, SnapId::HEAD, build)
    }

    fn data_at(&self, name: &str, snap: SnapId) -> Result<Vec<u8>, Errno> {
        let reply = self.read_at(name, snap, |op| {
            op.read(0, 0);
        });
        reply.out(0).map(|b| b.to_vec())
    }

    fn snap(&mut self) -> u64 {
        let id = self.store.create_snap(self.pool).unwrap();
        self.snapc.seq = id;
        self.snapc.snaps.insert(0, id);
        id
    }
}

#[test]
fn write_then_read_back() {
    let f = fixture();
    assert_eq!(
        f.write("o", |op| {
            op.write(4, b(b"abcd"));
        })
        .result,
        0
    );
    assert_eq!(f.data_at("o", SnapId::HEAD).unwrap(), b"\0\0\0\0abcd");
    let reply = f.read("o", |op| {
        op.read(6, 100).read(50, 4).stat();
    });
    assert_eq!(reply.ops[0].out.as_ref(), b"cd");
    assert!(reply.ops[1].out.is_empty());
    let stat: StatOut = decode_exact(&reply.ops[2].out).unwrap();
    assert_eq!((stat.size, stat.mtime), (8, UtcTime::new(100, 0)));
}

#[test]
fn absent_objects() {
    let f = fixture();
    assert_eq!(
        f.read("none", |op| {
            op.stat();
        })
        .result,
        -2
    );
    assert_eq!(
        f.write("none", |op| {
            op.remove();
        })
        .result,
        -2
    );
    // Zero and truncate of an absent object are no-ops that create nothing.
    assert_eq!(
        f.write("none", |op| {
            op.zero(0, 10).truncate(5);
        })
        .result,
        0
    );
    assert_eq!(f.data_at("none", SnapId::HEAD), Err(Errno::ENOENT));
    assert_eq!(
        f.write("none", |op| {
            op.assert_exists();
        })
        .result,
        -2
    );
}

#[test]
fn unknown_pool_is_enoent() {
    let f = fixture();
    let reply = f.store.execute(&ObjectRequest::read(ObjectId::new(99, "", "o"), SnapId::HEAD, ObjectOperation::new()));
    assert_eq!(reply.errno(), Err(Errno::ENOENT));
}

#[test]
fn namespaces_are_separate() {
    let f = fixture();
    let mut op = ObjectOperation::new();
    op.write_full(b(b"ns"));
    f.store.execute(&ObjectRequest::write(
        ObjectId::new(f.pool, "tenant", "o"),
        SnapContext::default(),
        UtcTime::default(),
        op,
    ));
    assert_eq!(f.data_at("o", SnapId::HEAD), Err(Errno::ENOENT));
    assert_eq!(f.store.list_objects(f.pool, "tenant").unwrap(), ["o"]);
}

#[test]
fn failed_op_aborts_the_whole_compound() {
    let f = fixture();
    f.write("o", |op| {
        op.write_full(b(b"old"));
    });
    let reply = f.write("o", |op| {
        op.write(0, b(b"new")).create(true).set_xattr("a", b(b"1"));
    });
    assert_eq!(reply.result, Errno::EEXIST.to_ret());
    assert_eq!(reply.ops.iter().map(|o| o.rval).collect::<Vec<_>>(), [0, -17, 0]);
    assert_eq!(f.data_at("o", SnapId::HEAD).unwrap(), b"old");
    assert_eq!(
        f.read("o", |op| {
            op.get_xattr("a");
        })
        .result,
        Errno::ENODATA.to_ret()
    );
}

#[test]
fn failok_op_does_not_abort() {
    let f = fixture();
    f.write("o", |op| {
        op.write_full(b(b"old"));
    });
    let reply = f.write("o", |op| {
        op.create(true).with_flags(OpFlags::FAILOK).write(0, b(b"new"));
    });
    assert_eq!(reply.result, 0);
    assert_eq!(reply.ops[0].rval, -17);
    assert_eq!(f.data_at("o", SnapId::HEAD).unwrap(), b"new");
}

#[test]
fn version_counts_modifying_compounds() {
    let f = fixture();
    assert_eq!(
        f.write("o", |op| {
            op.write_full(b(b"1"));
        })
        .version,
        1
    );
    assert_eq!(
        f.write("o", |op| {
            op.write_full(b(b"2"));
        })
        .version,
        2
    );
    assert_eq!(
        f.read("o", |op| {
            op.stat();
        })
        .version,
        2
    );
    assert_eq!(
        f.write("o", |op| {
            op.create(true);
        })
        .version,
        2
    );
}

#[test]
fn assert_version_compares_with_the_user_version() {
    let f = fixture();
    f.write("o", |op| {
        op.write_full(b(b"1"));
    });
    f.write("o", |op| {
        op.write_full(b(b"2"));
    });
    let check = |v| {
        f.read("o", |op| {
            op.assert_version(v).read(0, 0);
        })
    };
    assert_eq!(check(2).result, 0);
    assert_eq!(check(1).result, Errno::ERANGE.to_ret());
    assert_eq!(check(3).result, Errno::EOVERFLOW.to_ret());
    assert_eq!(check(0).result, Errno::EINVAL.to_ret());
    // A failed assertion keeps the write after it from happening.
    let reply = f.write("o", |op| {
        op.assert_version(1).write_full(b(b"3"));
    });
    assert_eq!(reply.result, Errno::ERANGE.to_ret());
    assert_eq!(f.data_at("o", SnapId::HEAD).unwrap(), b"2");
}

#[test]
fn omap_cmp_and_key_range_removal() {
    let f = fixture();
    let entries: BTreeMap<String, Bytes> = ["a", "b", "c", "d"].iter().map(|k| (String::from(*k), b(b"m"))).collect();
    f.write("o", |op| {
        op.omap_set(entries);
    });
    let cmp = |key: &str, value: &'static [u8], mode: i32| {
        f.read("o", |op| {
            op.push(OpKind::OmapCmp { assertions: [(String::from(key), (b(value), mode))].into_iter().collect() });
        })
        .result
    };
    assert_eq!(cmp("a", b"m", 1), 0);
    assert_eq!(cmp("a", b"n", 1), Errno::ECANCELED.to_ret());
    assert_eq!(cmp("a", b"l", 3), 0);
    assert_eq!(cmp("a", b"n", 5), 0);
    assert_eq!(cmp("a", b"m", 5), Errno::ECANCELED.to_ret());
    // An absent key is an empty value; unsupported modes are -EINVAL.
    assert_eq!(cmp("zz", b"", 1), 0);
    assert_eq!(cmp("a", b"m", 2), Errno::EINVAL.to_ret());
    f.write("o", |op| {
        op.push(OpKind::OmapRmKeyRange { start: "b".into(), end: "d".into() });
    });
    let reply = f.read("o", |op| {
        op.omap_get_keys("", 10);
    });
    let keys = crate::encoding::decode_exact::<OmapKeysOut>(reply.out(0).unwrap()).unwrap().keys;
    assert_eq!(keys.into_iter().collect::<Vec<_>>(), ["a", "d"]);
    let absent = f.write("none", |op| {
        op.push(OpKind::OmapRmKeyRange { start: "a".into(), end: "b".into() });
    });
    assert_eq!(absent.result, Errno::ENOENT.to_ret());
}

#[test]
fn size_limits_and_zero_semantics() {
    let f = fixture();
    assert_eq!(
        f.write("o", |op| {
            op.write(crate::osd::MAX_OBJECT_SIZE, b(b"x"));
        })
        .result,
        Errno::EFBIG.to_ret()
    );
    assert_eq!(
        f.write("o", |op| {
            op.zero(u64::MAX, 2);
        })
        .result,
        Errno::EFBIG.to_ret()
    );
    f.write("o", |op| {
        op.write_full(b(b"abcdef"));
    });
    // Zero never extends; truncate grows with zeros.
    f.write("o", |op| {
        op.zero(4, 100);
    });
    assert_eq!(f.data_at("o", SnapId::HEAD).unwrap(), b"abcd\0\0");
    f.write("o", |op| {
        op.truncate(2).truncate(4);
    });
    assert_eq!(f.data_at("o", SnapId::HEAD).unwrap(), b"ab\0\0");
}

#[test]
fn write_same_repeats_and_validates() {
    let f = fixture();
    f.write("o", |op| {
        op.write_same(2, 6, b(b"xy"));
    });
    assert_eq!(f.data_at("o", SnapId::HEAD).unwrap(), b"\0\0xyxyxy");
    assert_eq!(
        f.write("o", |op| {
            op.write_same(0, 5, b(b"xy"));
        })
        .result,
        Errno::EINVAL.to_ret()
    );
    assert_eq!(
        f.write("o", |op| {
            op.write_same(0, 0, Bytes::new());
        })
        .result,
        Errno::EINVAL.to_ret()
    );
}

#[test]
fn cmpext_reports_the_first_mismatch() {
    let f = fixture();
    f.write("o", |op| {
        op.write_full(b(b"hello"));
    });
    assert_eq!(
        f.read("o", |op| {
            op.cmpext(1, b(b"ell"));
        })
        .result,
        0
    );
    assert_eq!(
        f.read("o", |op| {
            op.cmpext(1, b(b"elp"));
        })
        .result,
        -(Errno::MAX_ERRNO + 2)
    );
    // Past the end compares as zeros.
    assert_eq!(
        f.read("o", |op| {
            op.cmpext(4, b(b"o\0\0"));
        })
        .result,
        0
    );
    // Compare-and-write: the write happens only when the compare matches.
    let reply = f.write("o", |op| {
        op.cmpext(0, b(b"jello")).write(0, b(b"J"));
    });
    assert_eq!(reply.result, -Errno::MAX_ERRNO);
    assert_eq!(f.data_at("o", SnapId::HEAD).unwrap(), b"hello");
    // An absent object compares as zeros inside a write.
    assert_eq!(
        f.write("new", |op| {
            op.cmpext(0, b(b"\0\0")).write(0, b(b"ok"));
        })
        .result,
        0
    );
}

#[test]
fn sparse_read_reports_allocated_extents() {
    let f = fixture();
    f.write("o", |op| {
        op.write(0, b(b"a")).write(1 << 20, b(b"b"));
    });
    let reply = f.read("o", |op| {
        op.sparse_read(0, 0);
    });
    let out: SparseReadOut = decode_exact(&reply.ops[0].out).unwrap();
    assert_eq!(out.extents.len(), 2);
    assert_eq!(out.extents.values().sum::<u64>(), out.data.len() as u64);
    let (&last, &len) = out.extents.iter().last().unwrap();
    assert_eq!(last + len, (1 << 20) + 1);
    assert_eq!(out.data.last(), Some(&b'b'));
}

#[test]
fn xattrs() {
    let f = fixture();
    f.write("o", |op| {
        op.set_xattr("a", b(b"1")).set_xattr("b", b(b"2"));
    });
    assert_eq!(
        f.read("o", |op| {
            op.get_xattr("a");
        })
        .ops[0]
            .out
            .as_ref(),
        b"1"
    );
    assert_eq!(
        f.read("o", |op| {
            op.get_xattr("zz");
        })
        .result,
        Errno::ENODATA.to_ret()
    );
    f.write("o", |op| {
        op.push(OpKind::RmXattr { name: "a".into() });
    });
    let all: XattrsOut = decode_exact(
        &f.read("o", |op| {
            op.push(OpKind::GetXattrs);
        })
        .ops[0]
            .out,
    )
    .unwrap();
    assert_eq!(all.keys().collect::<Vec<_>>(), ["b"]);
}

#[test]
fn omap_listing_pages_and_filters() {
    let f = fixture();
    let entries: BTreeMap<String, Bytes> =
        ["id_a", "id_b", "id_c", "name_x", "name_y"].iter().map(|k| (String::from(*k), b(k.as_bytes()))).collect();
    f.write("dir", |op| {
        op.omap_set(entries);
    });
    let page = |start: &str, prefix: &str, max| -> OmapValsOut {
        decode_exact(
            &f.read("dir", |op| {
                op.omap_get_vals(start, prefix, max);
            })
            .ops[0]
                .out,
        )
        .unwrap()
    };
    let first = page("", "id_", 2);
    assert_eq!(first.vals.keys().collect::<Vec<_>>(), ["id_a", "id_b"]);
    assert!(first.more);
    let rest = page("id_b", "id_", 2);
    assert_eq!(rest.vals.keys().collect::<Vec<_>>(), ["id_c"]);
    assert!(!rest.more);
    assert_eq!(page("", "name_", 10).vals.len(), 2);
    let keys: OmapKeysOut = decode_exact(
        &f.read("dir", |op| {
            op.omap_get_keys("id_c", 10);
        })
        .ops[0]
            .out,
    )
    .unwrap();
    assert_eq!(keys.keys.iter().collect::<Vec<_>>(), ["name_x", "name_y"]);
    let wanted: BTreeSet<String> = ["id_b".into(), "missing".into()].into();
    let by_keys: XattrsOut = decode_exact(
        &f.read("dir", |op| {
            op.omap_get_vals_by_keys(wanted);
        })
        .ops[0]
            .out,
    )
    .unwrap();
    assert_eq!(by_keys.keys().collect::<Vec<_>>(), ["id_b"]);
    f.write("dir", |op| {
        op.omap_rm_keys(["id_a".into(), "never".into()].into());
    });
    assert_eq!(page("", "", 100).vals.len(), 4);
    assert_eq!(
        f.write("nothing", |op| {
            op.omap_rm_keys(BTreeSet::new());
        })
        .result,
        -2
    );
}

#[test]
fn class_methods() {
    let f = fixture();
    f.write("o", |op| {
        op.create(false);
    });
    let reply = f.write("o", |op| {
        op.call("test", "put", b(b"v1"));
    });
    assert_eq!(reply.ops[0].out.as_ref(), b"done");
    assert_eq!(
        f.read("o", |op| {
            op.call("test", "get", Bytes::new());
        })
        .ops[0]
            .out
            .as_ref(),
        b"v1"
    );
    // A WR method inside a read request still takes the write path.
    assert_eq!(
        f.read("o", |op| {
            op.call("test", "put", b(b"v2"));
        })
        .result,
        0
    );
    assert_eq!(
        f.read("o", |op| {
            op.call("test", "get", Bytes::new());
        })
        .ops[0]
            .out
            .as_ref(),
        b"v2"
    );
    assert_eq!(
        f.read("o", |op| {
            op.call("test", "nope", Bytes::new());
        })
        .result,
        Errno::EOPNOTSUPP.to_ret()
    );
    assert_eq!(
        f.read("o", |op| {
            op.call("nope", "get", Bytes::new());
        })
        .result,
        Errno::EOPNOTSUPP.to_ret()
    );
    // A method that fails after writing leaves nothing behind.
    assert_eq!(
        f.write("o", |op| {
            op.call("test", "fail_after_write", Bytes::new());
        })
        .result,
        Errno::EBUSY.to_ret()
    );
    assert_eq!(f.data_at("o", SnapId::HEAD).unwrap(), b"");
}

#[test]
fn snapshots_keep_old_versions() {
    let mut f = fixture();
    f.write("o", |op| {
        op.write_full(b(b"v1"));
    });
    let s1 = f.snap();
    f.write("o", |op| {
        op.write_full(b(b"v2"));
    });
    f.write("o", |op| {
        op.write(2, b(b"+"));
    });
    let s2 = f.snap();
    f.write("late", |op| {
        op.write_full(b(b"new"));
    });
    f.write("o", |op| {
        op.remove();
    });
    assert_eq!(f.data_at("o", SnapId(s1)).unwrap(), b"v1");
    assert_eq!(f.data_at("o", SnapId(s2)).unwrap(), b"v2+");
    assert_eq!(f.data_at("o", SnapId::HEAD), Err(Errno::ENOENT));
    // Created after both snapshots: absent in them.
    assert_eq!(f.data_at("late", SnapId(s2)), Err(Errno::ENOENT));
    assert_eq!(f.data_at("late", SnapId::HEAD).unwrap(), b"new");
    // Removing a snapshot trims only what it alone kept.
    f.store.remove_snap(f.pool, s2).unwrap();
    assert_eq!(f.data_at("o", SnapId(s1)).unwrap(), b"v1");
    f.store.remove_snap(f.pool, s1).unwrap();
    assert_eq!(f.store.remove_snap(f.pool, s1), Err(Errno::ENOENT));
    assert!(f.store.list_objects(f.pool, "").unwrap() == ["late"]);
}

#[test]
fn a_write_with_an_old_snapc_does_not_clone() {
    let mut f = fixture();
    f.write("o", |op| {
        op.write_full(b(b"v1"));
    });
    let stale = f.snapc.clone();
    let s1 = f.snap();
    f.snapc = stale;
    f.write("o", |op| {
        op.write_full(b(b"v2"));
    });
    // The writer did not know s1, so the OSD could not keep v1 for it.
    assert_eq!(f.data_at("o", SnapId(s1)).unwrap(), b"v2");
}

#[test]
fn rollback_restores_a_snapshot() {
    let mut f = fixture();
    f.write("o", |op| {
        op.write_full(b(b"v1"));
    });
    let s1 = f.snap();
    f.write("o", |op| {
        op.write_full(b(b"v2"));
    });
    f.write("o", |op| {
        op.rollback(s1);
    });
    assert_eq!(f.data_at("o", SnapId::HEAD).unwrap(), b"v1");
    assert_eq!(f.data_at("o", SnapId(s1)).unwrap(), b"v1");
    // Rolling back to a snapshot older than the object removes the head.
    f.write("young", |op| {
        op.write_full(b(b"x"));
    });
    f.write("young", |op| {
        op.rollback(s1);
    });
    assert_eq!(f.data_at("young", SnapId::HEAD), Err(Errno::ENOENT));
}

#[test]
fn writes_to_snapshots_and_bad_snap_contexts_are_refused() {
    let f = fixture();
    let mut req = ObjectRequest::write(f.oid("o"), SnapContext::default(), UtcTime::default(), ObjectOperation::new());
    req.snap_id = SnapId(3);
    assert_eq!(f.store.execute(&req).errno(), Err(Errno::EROFS));
    let bad =
        ObjectRequest::write(f.oid("o"), SnapContext::new(1, vec![2]), UtcTime::default(), ObjectOperation::new());
    assert_eq!(f.store.execute(&bad).errno(), Err(Errno::EINVAL));
}

#[test]
fn watches() {
    let f = fixture();
    let watch = |op: WatchOp| {
        move |o: &mut ObjectOperation| {
            o.push(OpKind::Watch { cookie: 7, op, gen: 1, timeout: 30 });
        }
    };
    assert_eq!(f.write("hdr", watch(WatchOp::Watch)).result, -2);
    f.write("hdr", |op| {
        op.create(false);
    });
    assert_eq!(f.write("hdr", watch(WatchOp::Watch)).result, 0);
    assert_eq!(f.write("hdr", watch(WatchOp::Ping)).result, 0);
    assert_eq!(f.write("hdr", watch(WatchOp::Unwatch)).result, 0);
    assert_eq!(f.write("hdr", watch(WatchOp::Ping)).result, Errno::ENOTCONN.to_ret());
}

#[test]
fn pools() {
    let f = fixture();
    assert_eq!(f.store.create_pool("rbd"), Err(Errno::EEXIST));
    let other = f.store.create_pool("other").unwrap();
    assert_eq!(f.store.lookup_pool("other"), Ok(other));
    assert_eq!(f.store.lookup_pool("nope"), Err(Errno::ENOENT));
    assert_eq!(f.store.pool_name(f.pool).unwrap(), "rbd");
    assert_eq!(f.store.list_pools().len(), 2);
}

#[test]
fn submit_calls_back_with_the_reply() {
    use alloc::sync::Arc;
    let f = fixture();
    let got = Arc::new(spin::Mutex::new(None));
    let sink = got.clone();
    let mut op = ObjectOperation::new();
    op.write_full(b(b"cb"));
    let store: &dyn ObjectStore = &f.store;
    store.submit(
        ObjectRequest::write(f.oid("o"), SnapContext::default(), UtcTime::default(), op),
        alloc::boxed::Box::new(move |reply| *sink.lock() = Some(reply.result)),
    );
    assert_eq!(*got.lock(), Some(0));
}

#[test]
fn class_methods_see_the_origin_and_the_request_time() {
    let f = fixture();
    f.write("o", |op| {
        op.create(false);
    });
    let mut op = ObjectOperation::new();
    op.call("test", "whoami", Bytes::new());
    let client = crate::osd::ClientId { global_id: 4150, nonce: 77 };
    let req = ObjectRequest::write(f.oid("o"), SnapContext::default(), UtcTime::new(1_700_000_000, 0), op)
        .from_client(client);
    assert_eq!(f.store.execute(&req).ops[0].out.as_ref(), b"4150.77@1700000000");
}
