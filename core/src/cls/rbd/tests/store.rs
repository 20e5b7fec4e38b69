//! Realistic sequences through the in-memory store: each request is built
//! by the client functions, executed by `MemStore::execute` with the server
//! registered, and decoded by the matching `_finish`.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::Cell;

use bytes::Bytes;

use crate::cls::rbd::client::{self, Features, ImageSize, LegacyParent, StripeUnitCount};
use crate::cls::rbd::server;
use crate::cls::rbd::types::*;
use crate::encoding::{decode_exact, encode_to_vec, DecodeError, UtcTime};
use crate::memstore::{ClassRegistry, MemStore};
use crate::naming::RBD_DIRECTORY;
use crate::osd::{ObjectId, ObjectOperation, ObjectReply, ObjectRequest, OmapValsOut, SnapContext, SnapId};
use crate::Errno;

const GIB: u64 = 1 << 30;

pub(super) struct Cluster {
    pub store: MemStore,
    pub pool: i64,
    clock: Cell<u32>,
}

impl Cluster {
    pub fn new() -> Self {
        let mut classes = ClassRegistry::default();
        server::register(&mut classes);
        let store = MemStore::with_classes(classes);
        let pool = store.create_pool("rbd").unwrap();
        Cluster { store, pool, clock: Cell::new(1_700_000_000) }
    }

    fn oid(&self, name: &str) -> ObjectId {
        ObjectId::new(self.pool, "", name)
    }

    /// The time of the last write.
    pub fn now(&self) -> UtcTime {
        UtcTime::new(self.clock.get(), 0)
    }

    /// A write compound; each one happens a second after the last.
    pub fn write_reply(&self, name: &str, build: impl FnOnce(&mut ObjectOperation)) -> ObjectReply {
        self.clock.set(self.clock.get() + 1);
        let mut op = ObjectOperation::new();
        build(&mut op);
        self.store.execute(&ObjectRequest::write(self.oid(name), SnapContext::default(), self.now(), op))
    }

    pub fn write(&self, name: &str, build: impl FnOnce(&mut ObjectOperation)) -> Result<(), Errno> {
        self.write_reply(name, build).errno()
    }

    pub fn read_reply(&self, name: &str, build: impl FnOnce(&mut ObjectOperation)) -> ObjectReply {
        let mut op = ObjectOperation::new();
        build(&mut op);
        self.store.execute(&ObjectRequest::read(self.oid(name), SnapId::HEAD, op))
    }

    /// One read op, its output decoded by `finish` (which must accept it).
    pub fn read<T>(
        &self,
        name: &str,
        build: impl FnOnce(&mut ObjectOperation),
        finish: impl FnOnce(&[u8]) -> Result<T, DecodeError>,
    ) -> Result<T, Errno> {
        let reply = self.read_reply(name, build);
        let out = reply.out(0)?;
        Ok(finish(out).expect("the server's output decodes"))
    }

    /// The object's whole omap, as stored.
    pub fn omap(&self, name: &str) -> BTreeMap<String, Bytes> {
        let reply = self.read_reply(name, |op| {
            op.omap_get_vals("", "", 10_000);
        });
        decode_exact::<OmapValsOut>(reply.out(0).unwrap()).unwrap().vals
    }

    /// What librbd's create does for a format 2 image.
    pub fn create_image(&self, name: &str, id: &str, size: u64, features: u64) -> Result<(), Errno> {
        self.write(&format!("rbd_id.{name}"), |op| {
            op.create(true);
            client::set_id(op, id);
        })?;
        self.write(RBD_DIRECTORY, |op| client::dir_add_image(op, name, id))?;
        self.write(&header(id), |op| client::create(op, size, 22, features, &format!("rbd_data.{id}"), -1))
    }

    pub fn snapshot(&self, id: &str, name: &str) -> SnapId {
        let snap = SnapId(self.store.create_snap(self.pool).unwrap());
        self.write(&header(id), |op| client::snapshot_add(op, snap, name, &SnapshotNamespace::User)).unwrap();
        snap
    }

    pub fn snapc(&self, id: &str) -> SnapContext {
        self.read(&header(id), client::get_snapcontext, client::get_snapcontext_finish).unwrap()
    }

    pub fn op_features(&self, id: &str) -> u64 {
        self.read(&header(id), client::op_features_get, client::op_features_get_finish).unwrap()
    }

    pub fn features(&self, id: &str) -> u64 {
        self.read(&header(id), |op| client::get_features(op, false), client::get_features_finish).unwrap().features
    }
}

fn header(id: &str) -> String {
    format!("rbd_header.{id}")
}

#[test]
fn create_an_image_and_open_it() {
    let c = Cluster::new();
    c.create_image("img", "10ab", GIB, RBD_FEATURES_DEFAULT).unwrap();
    let created = c.now();

    // Open: name -> id, then the header reads librbd batches.
    assert_eq!(c.read("rbd_id.img", client::get_id, client::get_id_finish).unwrap(), "10ab");
    assert_eq!(c.read(RBD_DIRECTORY, |op| client::dir_get_id(op, "img"), client::dir_get_id_finish).unwrap(), "10ab");
    assert_eq!(
        c.read(RBD_DIRECTORY, |op| client::dir_get_name(op, "10ab"), client::dir_get_name_finish).unwrap(),
        "img"
    );
    let reply = c.read_reply("rbd_header.10ab", |op| {
        client::get_size(op, SnapId::HEAD);
        client::get_object_prefix(op);
        client::get_features(op, false);
        client::get_data_pool(op);
        client::get_create_timestamp(op);
        client::get_access_timestamp(op);
        client::get_modify_timestamp(op);
        client::get_flags(op, SnapId::HEAD);
        client::get_snapcontext(op);
        client::op_features_get(op);
        client::parent_get(op);
        client::parent_overlap_get(op, SnapId::HEAD);
        client::metadata_list(op, "conf_", 0);
        client::snapshot_get_limit(op);
        client::get_all_features(op);
    });
    let out = |i| reply.out(i).unwrap();
    assert_eq!(client::get_size_finish(out(0)).unwrap(), ImageSize { order: 22, size: GIB });
    assert_eq!(client::get_object_prefix_finish(out(1)).unwrap(), "rbd_data.10ab");
    // Every default feature is one an old client must not write past.
    assert_eq!(client::get_features_finish(out(2)).unwrap(), Features { features: 0x3d, incompatible: 0x3d });
    assert_eq!(client::get_data_pool_finish(out(3)).unwrap(), -1);
    assert_eq!(client::get_create_timestamp_finish(out(4)).unwrap(), created);
    assert_eq!(client::get_access_timestamp_finish(out(5)).unwrap(), created);
    assert_eq!(client::get_modify_timestamp_finish(out(6)).unwrap(), created);
    assert_eq!(client::get_flags_finish(out(7)).unwrap(), 0);
    assert_eq!(client::get_snapcontext_finish(out(8)).unwrap(), SnapContext::default());
    assert_eq!(client::op_features_get_finish(out(9)).unwrap(), 0);
    assert!(!client::parent_get_finish(out(10)).unwrap().exists());
    assert_eq!(client::parent_overlap_get_finish(out(11)).unwrap(), None);
    assert!(client::metadata_list_finish(out(12)).unwrap().is_empty());
    assert_eq!(client::snapshot_get_limit_finish(out(13)).unwrap(), u64::MAX);
    assert_eq!(client::get_all_features_finish(out(14)).unwrap(), RBD_FEATURES_ALL);
    // Read-only opens need only the features that change the data layout.
    let ro = c.read("rbd_header.10ab", |op| client::get_features(op, true), client::get_features_finish).unwrap();
    assert_eq!(ro.incompatible, RBD_FEATURE_LAYERING);
    // Without striping v2 there is no stripe setting to read.
    assert_eq!(
        c.read("rbd_header.10ab", client::get_stripe_unit_count, client::get_stripe_unit_count_finish),
        Err(Errno::ENOEXEC)
    );
}

#[test]
fn header_keys_as_cls_rbd_writes_them() {
    let c = Cluster::new();
    c.create_image("img", "10ab", GIB, RBD_FEATURES_DEFAULT).unwrap();
    let now = encode_to_vec(&c.now());
    let omap = c.omap("rbd_header.10ab");
    let expect: BTreeMap<String, Bytes> = [
        ("access_timestamp", now.clone()),
        ("create_timestamp", now.clone()),
        ("features", b"\x3d\x00\x00\x00\x00\x00\x00\x00".to_vec()),
        ("modify_timestamp", now),
        ("object_prefix", b"\x0d\x00\x00\x00rbd_data.10ab".to_vec()),
        ("order", b"\x16".to_vec()),
        ("size", b"\x00\x00\x00\x40\x00\x00\x00\x00".to_vec()),
        ("snap_seq", b"\x00\x00\x00\x00\x00\x00\x00\x00".to_vec()),
    ]
    .into_iter()
    .map(|(k, v)| (k.into(), Bytes::from(v)))
    .collect();
    assert_eq!(omap, expect);
    // The directory maps both ways; the id object holds the encoded id.
    let dir = c.omap(RBD_DIRECTORY);
    assert_eq!(dir["name_img"].as_ref(), b"\x04\x00\x00\x0010ab");
    assert_eq!(dir["id_10ab"].as_ref(), b"\x03\x00\x00\x00img");
    let data = c.read_reply("rbd_id.img", |op| {
        op.read(0, 0);
    });
    assert_eq!(data.out(0).unwrap().as_ref(), b"\x04\x00\x00\x0010ab");
}

#[test]
fn create_refusals() {
    let c = Cluster::new();
    c.create_image("img", "10ab", GIB, RBD_FEATURES_DEFAULT).unwrap();
    let h = "rbd_header.10ab";
    assert_eq!(c.write(h, |op| client::create(op, GIB, 22, 1, "rbd_data.10ab", -1)), Err(Errno::EEXIST));
    let create = |features, prefix: &str, pool| {
        c.write("rbd_header.new", |op| client::create(op, GIB, 22, features, prefix, pool))
    };
    assert_eq!(create(1 << 20, "p", -1), Err(Errno::ENOSYS));
    assert_eq!(create(1, "", -1), Err(Errno::EINVAL));
    assert_eq!(create(RBD_FEATURE_OPERATIONS, "p", -1), Err(Errno::EINVAL));
    assert_eq!(create(RBD_FEATURE_DATA_POOL, "p", -1), Err(Errno::EINVAL));
    assert_eq!(create(1, "p", 3), Err(Errno::EINVAL));
    assert!(c.store.list_objects(c.pool, "").unwrap().iter().all(|o| o != "rbd_header.new"));
    create(RBD_FEATURE_DATA_POOL | 1, "p", 3).unwrap();
    assert_eq!(c.read("rbd_header.new", client::get_data_pool, client::get_data_pool_finish).unwrap(), 3);
    // A Jewel-era create without the data pool argument.
    let old = b"\x00\x10\x00\x00\x00\x00\x00\x00\x0c\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00q";
    c.write("rbd_header.old", |op| {
        op.call("rbd", "create", Bytes::from_static(old));
    })
    .unwrap();
    assert_eq!(c.read("rbd_header.old", client::get_data_pool, client::get_data_pool_finish).unwrap(), -1);
    // Malformed input is -EINVAL.
    assert_eq!(
        c.write("rbd_header.bad", |op| {
            op.call("rbd", "create", Bytes::from_static(&old[..5]));
        }),
        Err(Errno::EINVAL)
    );

    // The id object: created with set_id in one compound, once.
    assert_eq!(c.write("rbd_id.img", |op| client::set_id(op, "10ab")), Err(Errno::EEXIST));
    assert_eq!(c.write("rbd_id.x", |op| client::set_id(op, "10ab")), Err(Errno::ENOENT));
    let with_create = |id: &'static str| {
        move |op: &mut ObjectOperation| {
            op.create(true);
            client::set_id(op, id);
        }
    };
    assert_eq!(c.write("rbd_id.x", with_create("ab-c")), Err(Errno::EINVAL));
    assert_eq!(c.write("rbd_id.x", with_create("")), Err(Errno::EINVAL));
    assert_eq!(c.read("rbd_id.x", client::get_id, client::get_id_finish), Err(Errno::ENOENT));
    c.write("rbd_id.empty", |op| {
        op.create(true);
    })
    .unwrap();
    assert_eq!(c.read("rbd_id.empty", client::get_id, client::get_id_finish), Err(Errno::ENOENT));

    // The directory: names and ids are unique.
    assert_eq!(c.write(RBD_DIRECTORY, |op| client::dir_add_image(op, "img", "20cd")), Err(Errno::EEXIST));
    assert_eq!(c.write(RBD_DIRECTORY, |op| client::dir_add_image(op, "other", "10ab")), Err(Errno::EBADF));
    assert_eq!(c.write(RBD_DIRECTORY, |op| client::dir_add_image(op, "", "20cd")), Err(Errno::EINVAL));
    assert_eq!(c.write(RBD_DIRECTORY, |op| client::dir_add_image(op, "x", "a.b")), Err(Errno::EINVAL));
}

#[test]
fn a_failing_method_leaves_no_trace() {
    let c = Cluster::new();
    c.create_image("img", "10ab", GIB, RBD_FEATURES_DEFAULT).unwrap();
    let before = c.omap("rbd_header.10ab");
    let reply = c.write_reply("rbd_header.10ab", |op| {
        client::set_size(op, 2 * GIB);
        client::metadata_set(op, &BTreeMap::from([(String::from("k"), Bytes::from_static(b"v"))]));
        client::set_protection_status(op, SnapId(99), RBD_PROTECTION_STATUS_PROTECTED);
    });
    assert_eq!(reply.errno(), Err(Errno::ENOENT));
    assert_eq!(c.omap("rbd_header.10ab"), before);
}

#[test]
fn resize_features_flags_striping() {
    let c = Cluster::new();
    c.create_image("img", "10ab", GIB, RBD_FEATURES_DEFAULT).unwrap();
    let h = "rbd_header.10ab";
    let size = || c.read(h, |op| client::get_size(op, SnapId::HEAD), client::get_size_finish).unwrap().size;
    c.write(h, |op| client::set_size(op, 3 * GIB)).unwrap();
    assert_eq!(size(), 3 * GIB);
    c.write(h, |op| client::set_size(op, GIB / 2)).unwrap();
    assert_eq!(size(), GIB / 2);
    assert_eq!(c.write("rbd_header.none", |op| client::set_size(op, 1)), Err(Errno::ENOENT));

    // Only mutable features change, and deep-flatten only goes away.
    c.write(h, |op| client::set_features(op, RBD_FEATURE_JOURNALING, RBD_FEATURE_JOURNALING)).unwrap();
    assert_eq!(c.features("10ab"), 0x3d | RBD_FEATURE_JOURNALING);
    c.write(h, |op| client::set_features(op, 0, RBD_FEATURE_FAST_DIFF | RBD_FEATURE_OBJECT_MAP)).unwrap();
    assert_eq!(c.features("10ab"), 0x25 | RBD_FEATURE_JOURNALING);
    c.write(h, |op| client::set_features(op, 0, RBD_FEATURE_DEEP_FLATTEN)).unwrap();
    assert_eq!(
        c.write(h, |op| client::set_features(op, RBD_FEATURE_DEEP_FLATTEN, RBD_FEATURE_DEEP_FLATTEN)),
        Err(Errno::EINVAL)
    );
    assert_eq!(c.write(h, |op| client::set_features(op, 0, RBD_FEATURE_LAYERING)), Err(Errno::EINVAL));
    assert_eq!(c.write(h, |op| client::set_features(op, 0, RBD_FEATURE_OPERATIONS)), Err(Errno::EINVAL));
    // Bits past what the class knows are masked off, not refused.
    c.write(h, |op| client::set_features(op, 0, 1 << 40)).unwrap();

    // Flags of the head and of a snapshot.
    let snap = c.snapshot("10ab", "s1");
    c.write(h, |op| client::set_flags(op, SnapId::HEAD, RBD_FLAG_OBJECT_MAP_INVALID | RBD_FLAG_FAST_DIFF_INVALID, 3))
        .unwrap();
    c.write(h, |op| client::set_flags(op, SnapId::HEAD, 0, RBD_FLAG_FAST_DIFF_INVALID)).unwrap();
    c.write(h, |op| client::set_flags(op, snap, RBD_FLAG_FAST_DIFF_INVALID, RBD_FLAG_FAST_DIFF_INVALID)).unwrap();
    let flags = |s| c.read(h, |op| client::get_flags(op, s), client::get_flags_finish);
    assert_eq!(flags(SnapId::HEAD), Ok(RBD_FLAG_OBJECT_MAP_INVALID));
    assert_eq!(flags(snap), Ok(RBD_FLAG_FAST_DIFF_INVALID));
    assert_eq!(flags(SnapId(77)), Err(Errno::ENOENT));
    assert_eq!(c.write(h, |op| client::set_flags(op, SnapId(77), 1, 1)), Err(Errno::ENOENT));

    // Striping needs the feature; the unit must divide the 4 MiB object.
    c.create_image("striped", "20cd", GIB, RBD_FEATURE_LAYERING | RBD_FEATURE_STRIPINGV2).unwrap();
    let s = "rbd_header.20cd";
    let get = || c.read(s, client::get_stripe_unit_count, client::get_stripe_unit_count_finish);
    assert_eq!(get(), Ok(StripeUnitCount { stripe_unit: 4 << 20, stripe_count: 1 }));
    c.write(s, |op| client::set_stripe_unit_count(op, 64 << 10, 16)).unwrap();
    assert_eq!(get(), Ok(StripeUnitCount { stripe_unit: 64 << 10, stripe_count: 16 }));
    assert_eq!(c.write(s, |op| client::set_stripe_unit_count(op, 3 << 10, 16)), Err(Errno::EINVAL));
    assert_eq!(c.write(s, |op| client::set_stripe_unit_count(op, 8 << 20, 1)), Err(Errno::EINVAL));
    assert_eq!(c.write(s, |op| client::set_stripe_unit_count(op, 0, 1)), Err(Errno::EINVAL));
    assert_eq!(c.write(h, |op| client::set_stripe_unit_count(op, 64 << 10, 16)), Err(Errno::ENOEXEC));

    // Timestamps move with the clock.
    c.write(s, client::set_access_timestamp).unwrap();
    let accessed = c.now();
    c.write(s, client::set_modify_timestamp).unwrap();
    assert_eq!(c.read(s, client::get_access_timestamp, client::get_access_timestamp_finish), Ok(accessed));
    assert_eq!(c.read(s, client::get_modify_timestamp, client::get_modify_timestamp_finish), Ok(c.now()));
    assert!(c.read(s, client::get_create_timestamp, client::get_create_timestamp_finish).unwrap() < accessed);
    assert_eq!(c.write("rbd_header.none", client::set_access_timestamp), Err(Errno::ENOENT));
}

#[test]
fn op_features_track_the_operations_feature() {
    let c = Cluster::new();
    c.create_image("img", "10ab", GIB, RBD_FEATURES_DEFAULT).unwrap();
    let h = "rbd_header.10ab";
    c.write(h, |op| client::op_features_set(op, RBD_OPERATION_FEATURE_GROUP, RBD_OPERATION_FEATURE_GROUP)).unwrap();
    assert_eq!(c.op_features("10ab"), RBD_OPERATION_FEATURE_GROUP);
    assert_eq!(c.features("10ab"), 0x3d | RBD_FEATURE_OPERATIONS);
    c.write(h, |op| client::op_features_set(op, 0, RBD_OPERATION_FEATURE_GROUP)).unwrap();
    assert_eq!(c.op_features("10ab"), 0);
    assert_eq!(c.features("10ab"), 0x3d);
    assert!(!c.omap(h).contains_key("op_features"));
    assert_eq!(c.write(h, |op| client::op_features_set(op, 1 << 4, 1 << 4)), Err(Errno::EINVAL));
}

#[test]
fn snapshots() {
    let c = Cluster::new();
    c.create_image("img", "10ab", GIB, RBD_FEATURES_DEFAULT).unwrap();
    let h = "rbd_header.10ab";
    let s1 = c.snapshot("10ab", "s1");
    let s1_time = c.now();
    c.write(h, |op| client::set_size(op, 2 * GIB)).unwrap();
    let s2 = c.snapshot("10ab", "s2");
    assert_eq!(c.snapc("10ab"), SnapContext::new(s2.0, vec![s2.0, s1.0]));

    // Each snapshot keeps the size it was taken at.
    let size = |s| c.read(h, |op| client::get_size(op, s), client::get_size_finish).map(|s| s.size);
    assert_eq!((size(s1), size(s2), size(SnapId::HEAD)), (Ok(GIB), Ok(2 * GIB), Ok(2 * GIB)));
    let info = c.read(h, |op| client::snapshot_get(op, s1), client::snapshot_get_finish).unwrap();
    let expect = SnapshotInfo {
        id: s1,
        snapshot_namespace: SnapshotNamespace::User,
        name: "s1".into(),
        image_size: GIB,
        timestamp: s1_time,
        child_count: 0,
    };
    assert_eq!(info, expect);
    assert_eq!(c.read(h, |op| client::get_snapshot_name(op, s2), client::get_snapshot_name_finish).unwrap(), "s2");
    assert_eq!(
        c.read(h, |op| client::get_snapshot_timestamp(op, s1), client::get_snapshot_timestamp_finish),
        Ok(s1_time)
    );
    assert_eq!(c.read(h, |op| client::snapshot_get(op, SnapId::HEAD), client::snapshot_get_finish), Err(Errno::EINVAL));
    assert_eq!(c.read(h, |op| client::snapshot_get(op, SnapId(50)), client::snapshot_get_finish), Err(Errno::ENOENT));

    // Refusals: a taken name or id, an id below snap_seq.
    let add = |id, name: &str| c.write(h, |op| client::snapshot_add(op, id, name, &SnapshotNamespace::User));
    assert_eq!(add(SnapId(s2.0 + 1), "s1"), Err(Errno::EEXIST));
    assert_eq!(add(s2, "s3"), Err(Errno::EEXIST));
    assert_eq!(add(s1, "s3"), Err(Errno::ESTALE));
    assert_eq!(add(SnapId::HEAD, "s3"), Err(Errno::EINVAL));
    // The same name in another namespace is a different snapshot.
    let group = SnapshotNamespace::Group { group_pool: 1, group_id: "g".into(), group_snapshot_id: "gs".into() };
    let s3 = SnapId(c.store.create_snap(c.pool).unwrap());
    c.write(h, |op| client::snapshot_add(op, s3, "s1", &group)).unwrap();
    let info = c.read(h, |op| client::snapshot_get(op, s3), client::snapshot_get_finish).unwrap();
    assert_eq!(info.snapshot_namespace, group);

    // Rename: user snapshots only, not onto a user snapshot's name.
    assert_eq!(c.write(h, |op| client::snapshot_rename(op, s1, "s2")), Err(Errno::EEXIST));
    assert_eq!(c.write(h, |op| client::snapshot_rename(op, s3, "x")), Err(Errno::EINVAL));
    assert_eq!(c.write(h, |op| client::snapshot_rename(op, SnapId(50), "x")), Err(Errno::ENOENT));
    c.write(h, |op| client::snapshot_rename(op, s1, "first")).unwrap();
    assert_eq!(c.read(h, |op| client::get_snapshot_name(op, s1), client::get_snapshot_name_finish).unwrap(), "first");

    // Protection: a protected snapshot cannot go.
    let status = |s| c.read(h, |op| client::get_protection_status(op, s), client::get_protection_status_finish);
    assert_eq!(status(s1), Ok(RBD_PROTECTION_STATUS_UNPROTECTED));
    c.write(h, |op| client::set_protection_status(op, s1, RBD_PROTECTION_STATUS_PROTECTED)).unwrap();
    assert_eq!(status(s1), Ok(RBD_PROTECTION_STATUS_PROTECTED));
    assert_eq!(c.write(h, |op| client::snapshot_remove(op, s1)), Err(Errno::EBUSY));
    assert_eq!(c.write(h, |op| client::snapshot_trash_add(op, s1)), Err(Errno::EBUSY));
    assert_eq!(c.write(h, |op| client::set_protection_status(op, s1, RBD_PROTECTION_STATUS_LAST)), Err(Errno::EINVAL));
    assert_eq!(c.write(h, |op| client::set_protection_status(op, SnapId::HEAD, 0)), Err(Errno::EINVAL));
    assert_eq!(status(SnapId::HEAD), Err(Errno::EINVAL));
    c.write(h, |op| client::set_protection_status(op, s1, RBD_PROTECTION_STATUS_UNPROTECTING)).unwrap();
    assert_eq!(c.write(h, |op| client::snapshot_remove(op, s1)), Err(Errno::EBUSY));
    c.write(h, |op| client::set_protection_status(op, s1, RBD_PROTECTION_STATUS_UNPROTECTED)).unwrap();
    c.write(h, |op| client::snapshot_remove(op, s1)).unwrap();
    assert_eq!(c.write(h, |op| client::snapshot_remove(op, s1)), Err(Errno::ENOENT));
    assert_eq!(c.snapc("10ab"), SnapContext::new(s3.0, vec![s3.0, s2.0]));
    assert!(!c.omap(h).contains_key(&format!("snapshot_{:016x}", s1.0)));

    // Protection needs layering.
    c.create_image("flat", "20cd", GIB, RBD_FEATURE_EXCLUSIVE_LOCK).unwrap();
    let f1 = c.snapshot("20cd", "f1");
    assert_eq!(
        c.write("rbd_header.20cd", |op| client::set_protection_status(op, f1, RBD_PROTECTION_STATUS_PROTECTED)),
        Err(Errno::ENOEXEC)
    );
}

#[test]
fn snapshot_record_on_disk() {
    let c = Cluster::new();
    c.create_image("img", "10ab", GIB, RBD_FEATURES_DEFAULT).unwrap();
    let s1 = c.snapshot("10ab", "s1");
    assert_eq!(s1, SnapId(1));
    let omap = c.omap("rbd_header.10ab");
    assert_eq!(omap["snap_seq"].as_ref(), b"\x01\x00\x00\x00\x00\x00\x00\x00");
    // cls_rbd_snap v8 (compat 8): id, name, size, unprotected, flags,
    // user namespace, timestamp, no children, no parent overlap.
    let mut expect = b"\x08\x08\x36\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00s1\
                       \x00\x00\x00\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
                       \x01\x01\x04\x00\x00\x00\x00\x00\x00\x00"
        .to_vec();
    expect.extend_from_slice(&encode_to_vec(&c.now()));
    expect.extend_from_slice(b"\x00\x00\x00\x00\x00");
    assert_eq!(omap["snapshot_0000000000000001"].as_ref(), &expect[..]);
}

#[test]
fn snapshot_limit_and_trash() {
    let c = Cluster::new();
    c.create_image("img", "10ab", GIB, RBD_FEATURES_DEFAULT).unwrap();
    let h = "rbd_header.10ab";
    let s1 = c.snapshot("10ab", "s1");
    c.snapshot("10ab", "s2");
    assert_eq!(c.write(h, |op| client::snapshot_set_limit(op, 1)), Err(Errno::ERANGE));
    c.write(h, |op| client::snapshot_set_limit(op, 2)).unwrap();
    assert_eq!(c.read(h, client::snapshot_get_limit, client::snapshot_get_limit_finish), Ok(2));
    let s3 = SnapId(c.store.create_snap(c.pool).unwrap());
    assert_eq!(c.write(h, |op| client::snapshot_add(op, s3, "s3", &SnapshotNamespace::User)), Err(Errno::EDQUOT));
    c.write(h, |op| client::snapshot_set_limit(op, u64::MAX)).unwrap();
    assert_eq!(c.read(h, client::snapshot_get_limit, client::snapshot_get_limit_finish), Ok(u64::MAX));
    c.write(h, |op| client::snapshot_add(op, s3, "s3", &SnapshotNamespace::User)).unwrap();

    // The trash keeps the snapshot under a new name and remembers the old.
    c.write(h, |op| client::snapshot_trash_add(op, s1)).unwrap();
    let info = c.read(h, |op| client::snapshot_get(op, s1), client::snapshot_get_finish).unwrap();
    let trash = SnapshotNamespace::Trash { original_name: "s1".into(), original_snapshot_namespace_type: 0 };
    assert_eq!(info.snapshot_namespace, trash);
    assert_ne!(info.name, "s1");
    assert_eq!(info.name.len(), 36, "shaped like a uuid: {}", info.name);
    assert_eq!(c.op_features("10ab"), RBD_OPERATION_FEATURE_SNAP_TRASH);
    assert_eq!(c.write(h, |op| client::snapshot_trash_add(op, s1)), Err(Errno::EEXIST));
    assert_eq!(c.write(h, |op| client::snapshot_rename(op, s1, "back")), Err(Errno::EINVAL));
    // "s1" is free again for a user snapshot.
    let s4 = c.snapshot("10ab", "s1");
    assert_eq!(c.snapc("10ab").snaps, vec![s4.0, s3.0, 2, s1.0]);
    // Removing the last trashed snapshot drops the op feature.
    c.write(h, |op| client::snapshot_remove(op, s1)).unwrap();
    assert_eq!(c.op_features("10ab"), 0);
    assert_eq!(c.features("10ab"), 0x3d);
}

/// A v2 clone: parent "parent" (id p1) snapshot, child "child" (id c1).
fn clone_setup(c: &Cluster, child_features: u64, child_size: u64) -> SnapId {
    c.create_image("parent", "p1", GIB, RBD_FEATURES_DEFAULT).unwrap();
    let snap = c.snapshot("p1", "base");
    c.create_image("child", "c1", child_size, child_features).unwrap();
    let spec = ParentImageSpec { pool_id: c.pool, pool_namespace: String::new(), image_id: "p1".into(), snap_id: snap };
    // As librbd's clone: parent link and op feature on the child, then the
    // child recorded on the parent snapshot.
    c.write("rbd_header.c1", |op| {
        client::parent_attach(op, &spec, GIB, false);
        client::op_features_set(op, RBD_OPERATION_FEATURE_CLONE_CHILD, RBD_OPERATION_FEATURE_CLONE_CHILD);
    })
    .unwrap();
    c.write("rbd_header.p1", |op| client::child_attach(op, snap, &child_spec(c))).unwrap();
    snap
}

fn child_spec(c: &Cluster) -> ChildImageSpec {
    ChildImageSpec { pool_id: c.pool, pool_namespace: String::new(), image_id: "c1".into() }
}

#[test]
fn clone_v2_attach_list_detach() {
    let c = Cluster::new();
    let snap = clone_setup(&c, RBD_FEATURES_DEFAULT, 2 * GIB);
    let (p, ch) = ("rbd_header.p1", "rbd_header.c1");

    // The child sees its parent; the overlap is the parent's size.
    let spec = c.read(ch, client::parent_get, client::parent_get_finish).unwrap();
    assert_eq!((spec.pool_id, spec.image_id.as_str(), spec.snap_id), (c.pool, "p1", snap));
    let overlap = |s| c.read(ch, |op| client::parent_overlap_get(op, s), client::parent_overlap_get_finish);
    assert_eq!(overlap(SnapId::HEAD), Ok(Some(GIB)));
    let legacy = c.read(ch, |op| client::get_parent(op, SnapId::HEAD), client::get_parent_finish).unwrap();
    assert_eq!(legacy, LegacyParent { spec: spec.clone(), overlap: GIB });
    assert_eq!(c.op_features("c1"), RBD_OPERATION_FEATURE_CLONE_CHILD);

    // The parent snapshot lists it and may not go.
    let children = c.read(p, |op| client::children_list(op, snap), client::children_list_finish).unwrap();
    assert_eq!(children, BTreeSet::from([child_spec(&c)]));
    let info = c.read(p, |op| client::snapshot_get(op, snap), client::snapshot_get_finish).unwrap();
    assert_eq!(info.child_count, 1);
    assert_eq!(c.op_features("p1"), RBD_OPERATION_FEATURE_CLONE_PARENT);
    assert_eq!(c.write(p, |op| client::snapshot_remove(op, snap)), Err(Errno::EBUSY));
    assert_eq!(c.write(p, |op| client::child_attach(op, snap, &child_spec(&c))), Err(Errno::EEXIST));
    assert_eq!(c.write(p, |op| client::child_attach(op, SnapId(40), &child_spec(&c))), Err(Errno::ENOENT));
    assert_eq!(
        c.read(p, |op| client::children_list(op, SnapId::HEAD), client::children_list_finish),
        Err(Errno::ENOENT)
    );

    // A second parent is refused, unless reattaching.
    let spec2 = ParentImageSpec { image_id: "p2".into(), ..spec.clone() };
    assert_eq!(c.write(ch, |op| client::parent_attach(op, &spec2, GIB, false)), Err(Errno::EEXIST));
    assert_eq!(c.write(ch, |op| client::parent_attach(op, &spec, GIB, false)), Err(Errno::EEXIST));
    c.write(ch, |op| client::parent_attach(op, &spec, GIB / 2, true)).unwrap();
    assert_eq!(overlap(SnapId::HEAD), Ok(Some(GIB / 2)));

    // Shrinking the child below the overlap shrinks the overlap.
    c.write(ch, |op| client::set_size(op, GIB / 4)).unwrap();
    assert_eq!(overlap(SnapId::HEAD), Ok(Some(GIB / 4)));
    c.write(ch, |op| client::set_size(op, GIB)).unwrap();
    assert_eq!(overlap(SnapId::HEAD), Ok(Some(GIB / 4)));

    // A child snapshot keeps the overlap of its time (normalized: the spec
    // stays in the header's "parent" key).
    let cs = c.snapshot("c1", "cs");
    assert_eq!(overlap(cs), Ok(Some(GIB / 4)));
    let record: ClsRbdSnap = decode_exact(&c.omap(ch)[&format!("snapshot_{:016x}", cs.0)]).unwrap();
    assert_eq!((record.parent_overlap, record.parent.exists()), (Some(GIB / 4), false));

    // Detach with deep-flatten unlinks the snapshots too.
    c.write(ch, client::parent_detach).unwrap();
    assert!(!c.read(ch, client::parent_get, client::parent_get_finish).unwrap().exists());
    assert_eq!(overlap(SnapId::HEAD), Ok(None));
    assert_eq!(overlap(cs), Ok(None));
    assert_eq!(c.op_features("c1"), 0);
    assert_eq!(c.write(ch, client::parent_detach), Err(Errno::ENOENT));

    // The parent lets the child go, then the snapshot.
    c.write(p, |op| client::child_detach(op, snap, &child_spec(&c))).unwrap();
    assert_eq!(c.read(p, |op| client::children_list(op, snap), client::children_list_finish), Err(Errno::ENOENT));
    assert_eq!(c.op_features("p1"), 0);
    assert_eq!(c.features("p1"), 0x3d);
    assert_eq!(c.write(p, |op| client::child_detach(op, snap, &child_spec(&c))), Err(Errno::ENOENT));
    c.write(p, |op| client::snapshot_remove(op, snap)).unwrap();
}

#[test]
fn clone_without_deep_flatten_keeps_the_parent_for_snapshots() {
    let c = Cluster::new();
    let snap = clone_setup(&c, RBD_FEATURE_LAYERING, GIB / 2);
    let ch = "rbd_header.c1";
    let overlap = |s| c.read(ch, |op| client::parent_overlap_get(op, s), client::parent_overlap_get_finish);
    // Capped at the child's size.
    assert_eq!(overlap(SnapId::HEAD), Ok(Some(GIB / 2)));
    let cs = c.snapshot("c1", "cs");

    c.write(ch, client::remove_parent).unwrap();
    assert_eq!(overlap(SnapId::HEAD), Ok(None));
    assert_eq!(overlap(cs), Ok(Some(GIB / 2)));
    let spec = c.read(ch, client::parent_get, client::parent_get_finish).unwrap();
    assert_eq!(spec.snap_id, snap, "the spec stays for the snapshot");
    assert_eq!(c.op_features("c1"), RBD_OPERATION_FEATURE_CLONE_CHILD);
    let legacy = c.read(ch, |op| client::get_parent(op, cs), client::get_parent_finish).unwrap();
    assert_eq!(legacy.overlap, GIB / 2);
    assert_eq!(c.read(ch, |op| client::get_parent(op, SnapId::HEAD), client::get_parent_finish).unwrap().overlap, 0);

    // Removing that snapshot drops the now unused link and op feature.
    c.write(ch, |op| client::snapshot_remove(op, cs)).unwrap();
    assert!(!c.read(ch, client::parent_get, client::parent_get_finish).unwrap().exists());
    assert!(!c.omap(ch).contains_key("parent"));
    assert_eq!(c.op_features("c1"), 0);
}

#[test]
fn legacy_clone() {
    let c = Cluster::new();
    c.create_image("parent", "p1", GIB, RBD_FEATURES_DEFAULT).unwrap();
    let snap = c.snapshot("p1", "base");
    let (p, ch) = ("rbd_header.p1", "rbd_header.c1");
    c.write(p, |op| client::set_protection_status(op, snap, RBD_PROTECTION_STATUS_PROTECTED)).unwrap();
    c.create_image("child", "c1", GIB, RBD_FEATURE_LAYERING).unwrap();
    c.write(ch, |op| client::set_parent(op, c.pool, "p1", snap, 2 * GIB)).unwrap();
    c.write("rbd_children", |op| client::add_child(op, c.pool, "p1", snap, "c1")).unwrap();

    let parent = c.read(ch, |op| client::get_parent(op, SnapId::HEAD), client::get_parent_finish).unwrap();
    let spec = ParentImageSpec { pool_id: c.pool, pool_namespace: String::new(), image_id: "p1".into(), snap_id: snap };
    assert_eq!(parent, LegacyParent { spec, overlap: GIB });
    assert_eq!(c.write(ch, |op| client::set_parent(op, c.pool, "p1", snap, GIB)), Err(Errno::EEXIST));
    assert_eq!(c.write(ch, |op| client::set_parent(op, c.pool, "p1", snap, 0)), Err(Errno::EINVAL));
    assert_eq!(c.write(ch, |op| client::set_parent(op, -1, "p1", snap, GIB)), Err(Errno::EINVAL));

    let get_children =
        || c.read("rbd_children", |op| client::get_children(op, c.pool, "p1", snap), client::get_children_finish);
    assert_eq!(get_children(), Ok(BTreeSet::from(["c1".into()])));
    assert_eq!(c.write("rbd_children", |op| client::add_child(op, c.pool, "p1", snap, "c1")), Err(Errno::EEXIST));
    c.write("rbd_children", |op| client::add_child(op, c.pool, "p1", snap, "c2")).unwrap();
    assert_eq!(get_children(), Ok(BTreeSet::from(["c1".into(), "c2".into()])));
    // The key is the parent's raw encoding (all ASCII here, as upstream).
    let key: String = b"\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00p1\x01\x00\x00\x00\x00\x00\x00\x00"
        .iter()
        .map(|&b| char::from(b))
        .collect();
    assert_eq!(c.omap("rbd_children").keys().collect::<Vec<_>>(), vec![&key]);

    // A protected snapshot with a child: librbd lists the children before
    // unprotecting; the class itself refuses only removal.
    assert_eq!(c.write(p, |op| client::snapshot_remove(op, snap)), Err(Errno::EBUSY));
    c.write(ch, client::remove_parent).unwrap();
    c.write("rbd_children", |op| client::remove_child(op, c.pool, "p1", snap, "c1")).unwrap();
    c.write("rbd_children", |op| client::remove_child(op, c.pool, "p1", snap, "c2")).unwrap();
    assert_eq!(get_children(), Err(Errno::ENOENT));
    assert_eq!(c.write("rbd_children", |op| client::remove_child(op, c.pool, "p1", snap, "c1")), Err(Errno::ENOENT));
    c.write(p, |op| client::set_protection_status(op, snap, RBD_PROTECTION_STATUS_UNPROTECTED)).unwrap();
    c.write(p, |op| client::snapshot_remove(op, snap)).unwrap();

    // A parent in a pool namespace has no legacy form.
    let ns_spec =
        ParentImageSpec { pool_id: c.pool, pool_namespace: "ns".into(), image_id: "p1".into(), snap_id: SnapId(9) };
    c.write(ch, |op| client::parent_attach(op, &ns_spec, GIB, false)).unwrap();
    assert_eq!(c.read(ch, |op| client::get_parent(op, SnapId::HEAD), client::get_parent_finish), Err(Errno::EXDEV));
    assert_eq!(c.write(ch, client::remove_parent), Err(Errno::EXDEV));
    c.write(ch, client::parent_detach).unwrap();

    // Layering off: no parent link at all.
    c.create_image("flat", "f1", GIB, RBD_FEATURE_EXCLUSIVE_LOCK).unwrap();
    assert_eq!(c.write("rbd_header.f1", |op| client::set_parent(op, c.pool, "p1", snap, GIB)), Err(Errno::ENOEXEC));
    assert_eq!(c.write("rbd_header.f1", client::parent_detach), Err(Errno::ENOEXEC));
    let none = c.read("rbd_header.f1", |op| client::get_parent(op, SnapId::HEAD), client::get_parent_finish).unwrap();
    assert_eq!(none, LegacyParent::default());
}

#[test]
fn pre_nautilus_records_are_read_and_migrated() {
    let c = Cluster::new();
    c.create_image("child", "c1", GIB, RBD_FEATURE_LAYERING).unwrap();
    let h = "rbd_header.c1";
    // A Mimic-era snapshot record carrying its own parent copy, and no
    // "parent" key on the header (the head was flattened).
    let legacy = ClsRbdSnap {
        id: SnapId(3),
        name: "old".into(),
        image_size: GIB,
        parent: ClsRbdParent {
            pool_id: 1,
            pool_namespace: String::new(),
            image_id: "p1".into(),
            snap_id: SnapId(2),
            head_overlap: Some(GIB / 2),
        },
        ..ClsRbdSnap::default()
    };
    // v6/compat 1 as Mimic wrote it: features u64 and a v1 parent inside.
    let mut record = vec![6, 1, 0, 0, 0, 0];
    record.extend_from_slice(&3u64.to_le_bytes());
    record.extend_from_slice(&encode_to_vec("old"));
    record.extend_from_slice(&GIB.to_le_bytes());
    record.extend_from_slice(&0u64.to_le_bytes());
    record.extend_from_slice(b"\x01\x01\x1e\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00p1");
    record.extend_from_slice(&2u64.to_le_bytes());
    record.extend_from_slice(&(GIB / 2).to_le_bytes());
    record.extend_from_slice(&[0; 9]);
    record.extend_from_slice(&encode_to_vec(&SnapshotNamespace::User));
    record.extend_from_slice(&[0; 8]);
    let len = (record.len() - 6) as u32;
    record[2..6].copy_from_slice(&len.to_le_bytes());
    assert_eq!(decode_exact::<ClsRbdSnap>(&record).unwrap(), legacy);
    c.write(h, |op| {
        op.omap_set(BTreeMap::from([
            ("snapshot_0000000000000003".into(), Bytes::from(record)),
            ("snap_seq".into(), Bytes::from(encode_to_vec(&3u64))),
        ]));
    })
    .unwrap();

    let spec = c.read(h, client::parent_get, client::parent_get_finish).unwrap();
    assert_eq!((spec.pool_id, spec.image_id.as_str(), spec.snap_id), (1, "p1", SnapId(2)));
    let overlap = c.read(h, |op| client::parent_overlap_get(op, SnapId(3)), client::parent_overlap_get_finish);
    assert_eq!(overlap, Ok(Some(GIB / 2)));
    assert_eq!(c.read(h, |op| client::get_parent(op, SnapId(3)), client::get_parent_finish).unwrap().overlap, GIB / 2);

    // Any rewrite moves the spec to the header and keeps only the overlap.
    c.write(h, |op| client::set_protection_status(op, SnapId(3), RBD_PROTECTION_STATUS_PROTECTED)).unwrap();
    let omap = c.omap(h);
    let parent: ClsRbdParent = decode_exact(&omap["parent"]).unwrap();
    assert_eq!(parent, ClsRbdParent { head_overlap: None, ..legacy.parent.clone() });
    let snap: ClsRbdSnap = decode_exact(&omap["snapshot_0000000000000003"]).unwrap();
    assert_eq!((snap.parent_overlap, snap.parent.exists()), (Some(GIB / 2), false));
    assert_eq!(c.read(h, |op| client::get_parent(op, SnapId(3)), client::get_parent_finish).unwrap().overlap, GIB / 2);
}

#[test]
fn metadata_paging() {
    let c = Cluster::new();
    c.create_image("img", "10ab", GIB, RBD_FEATURES_DEFAULT).unwrap();
    let h = "rbd_header.10ab";
    let data: BTreeMap<String, Bytes> = (0..100).map(|i| (format!("k{i:03}"), Bytes::from(format!("v{i}")))).collect();
    c.write(h, |op| client::metadata_set(op, &data)).unwrap();
    c.write(h, |op| {
        client::metadata_set(op, &BTreeMap::from([("conf_rbd_cache".into(), Bytes::from_static(b"false"))]))
    })
    .unwrap();
    assert_eq!(c.omap(h)["metadata_k007"].as_ref(), b"v7");

    let list =
        |start: &str, max| c.read(h, |op| client::metadata_list(op, start, max), client::metadata_list_finish).unwrap();
    // 0 asks for the default page of 64.
    let first = list("", 0);
    assert_eq!(first.len(), 64);
    assert_eq!(first.keys().next().unwrap(), "conf_rbd_cache");
    let page = list("k063", 10);
    assert_eq!(page.keys().cloned().collect::<Vec<_>>(), (64..74).map(|i| format!("k{i:03}")).collect::<Vec<_>>());
    assert_eq!(list("k098", 10).keys().collect::<Vec<_>>(), vec!["k099"]);
    // Walking pages of 30 sees every key once.
    let mut seen = BTreeMap::new();
    let mut start = String::new();
    loop {
        let page = list(&start, 30);
        let Some(last) = page.keys().next_back().cloned() else {
            break;
        };
        seen.extend(page);
        start = last;
    }
    assert_eq!(seen.len(), 101);

    let get = |k: &str| c.read(h, |op| client::metadata_get(op, k), client::metadata_get_finish);
    assert_eq!(get("conf_rbd_cache"), Ok(Bytes::from_static(b"false")));
    c.write(h, |op| client::metadata_remove(op, "conf_rbd_cache")).unwrap();
    assert_eq!(get("conf_rbd_cache"), Err(Errno::ENOENT));
    c.write(h, |op| client::metadata_remove(op, "never_set")).unwrap();
    assert_eq!(list("conf_", 5).len(), 5);
}

#[test]
fn directory_paging_and_rename() {
    let c = Cluster::new();
    let names: Vec<String> = (0..150).map(|i| format!("img{i:03}")).collect();
    for (i, name) in names.iter().enumerate() {
        c.write(RBD_DIRECTORY, |op| client::dir_add_image(op, name, &format!("id{i}"))).unwrap();
    }
    let list = |start: &str, max| {
        c.read(RBD_DIRECTORY, |op| client::dir_list(op, start, max), client::dir_list_finish).unwrap()
    };
    assert_eq!(list("", 1000).len(), 150);
    assert_eq!(list("", 0).len(), 0);
    let mut seen = Vec::new();
    let mut start = String::new();
    loop {
        let page = list(&start, 64);
        let Some(last) = page.keys().next_back().cloned() else {
            break;
        };
        assert!(page.len() <= 64);
        seen.extend(page);
        start = last;
    }
    assert_eq!(seen.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(), names);
    assert_eq!(seen[7], ("img007".into(), "id7".into()));

    let id_of = |name: &str| c.read(RBD_DIRECTORY, |op| client::dir_get_id(op, name), client::dir_get_id_finish);
    let rename =
        |src: &str, dest: &str, id: &str| c.write(RBD_DIRECTORY, |op| client::dir_rename_image(op, src, dest, id));
    rename("img005", "zzz", "id5").unwrap();
    assert_eq!(id_of("zzz"), Ok("id5".into()));
    assert_eq!(id_of("img005"), Err(Errno::ENOENT));
    assert_eq!(
        c.read(RBD_DIRECTORY, |op| client::dir_get_name(op, "id5"), client::dir_get_name_finish),
        Ok("zzz".into())
    );
    assert_eq!(list("img149", 10).keys().collect::<Vec<_>>(), vec!["zzz"]);
    assert_eq!(rename("zzz", "img006", "id5"), Err(Errno::EEXIST));
    assert_eq!(rename("zzz", "zzz", "id5"), Err(Errno::EEXIST));
    assert_eq!(rename("zzz", "yyy", "id6"), Err(Errno::ESTALE));
    assert_eq!(rename("nope", "yyy", "id6"), Err(Errno::ENOENT));

    c.write(RBD_DIRECTORY, |op| client::dir_remove_image(op, "zzz", "id5")).unwrap();
    assert_eq!(c.write(RBD_DIRECTORY, |op| client::dir_remove_image(op, "zzz", "id5")), Err(Errno::ENOENT));
    assert_eq!(c.write(RBD_DIRECTORY, |op| client::dir_remove_image(op, "img006", "id7")), Err(Errno::ESTALE));
    assert_eq!(list("", 1000).len(), 149);
    // The removed id is free again.
    c.write(RBD_DIRECTORY, |op| client::dir_add_image(op, "again", "id5")).unwrap();
}

#[test]
fn copyup_writes_only_into_absent_objects() {
    let c = Cluster::new();
    let data = |name: &str| {
        c.read_reply(name, |op| {
            op.read(0, 0);
        })
    };
    c.write("rbd_data.c1.0000000000000000", |op| client::copyup(op, Bytes::from_static(b"parent"))).unwrap();
    assert_eq!(data("rbd_data.c1.0000000000000000").out(0).unwrap().as_ref(), b"parent");
    // With the child's own write in the same compound, as librbd sends it.
    c.write("rbd_data.c1.0000000000000000", |op| {
        client::copyup(op, Bytes::from_static(b"PARENT"));
        op.write(0, Bytes::from_static(b"c"));
    })
    .unwrap();
    assert_eq!(data("rbd_data.c1.0000000000000000").out(0).unwrap().as_ref(), b"carent");

    let extents = BTreeMap::from([(0, 2), (8, 2)]);
    c.write("rbd_data.c1.0000000000000001", |op| client::sparse_copyup(op, &extents, b"abcd")).unwrap();
    assert_eq!(data("rbd_data.c1.0000000000000001").out(0).unwrap().as_ref(), b"ab\0\0\0\0\0\0cd");
    c.write("rbd_data.c1.0000000000000002", |op| client::sparse_copyup(op, &BTreeMap::new(), b"")).unwrap();
    assert_eq!(data("rbd_data.c1.0000000000000002").out(0).unwrap().len(), 0);
    let short = BTreeMap::from([(0, 8)]);
    assert_eq!(
        c.write("rbd_data.c1.0000000000000003", |op| client::sparse_copyup(op, &short, b"abcd")),
        Err(Errno::EINVAL)
    );
}

#[test]
fn every_method_is_registered_with_upstream_flags() {
    use crate::memstore::MethodFlags;
    let reads = [
        "get_id",
        "dir_get_id",
        "dir_get_name",
        "dir_list",
        "get_features",
        "get_size",
        "get_object_prefix",
        "get_data_pool",
        "get_stripe_unit_count",
        "get_flags",
        "get_create_timestamp",
        "get_access_timestamp",
        "get_modify_timestamp",
        "op_features_get",
        "get_all_features",
        "metadata_list",
        "metadata_get",
        "get_snapcontext",
        "snapshot_get",
        "get_snapshot_name",
        "get_snapshot_timestamp",
        "get_protection_status",
        "snapshot_get_limit",
        "parent_get",
        "parent_overlap_get",
        "get_parent",
        "children_list",
        "get_children",
        "trash_list",
        "trash_get",
        "namespace_list",
        "dir_state_assert",
        "mirror_mode_get",
        "mirror_uuid_get",
        "mirror_image_get",
        "mirror_peer_list",
        "group_dir_list",
        "image_group_get",
        "migration_get",
    ];
    for &(method, flags, _) in server::METHODS {
        let expect = if reads.contains(&method) { MethodFlags::RD } else { MethodFlags::RDWR };
        assert_eq!(flags, expect, "{method}");
    }
    assert_eq!(server::METHODS.len(), 75);
    let unique: BTreeSet<_> = server::METHODS.iter().map(|m| m.0).collect();
    assert_eq!(unique.len(), server::METHODS.len());
}
