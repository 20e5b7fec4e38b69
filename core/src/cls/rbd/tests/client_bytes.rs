//! Every client method's request bytes, and every `_finish` on a reply
//! laid out by hand. Each literal follows the encode() calls of the named
//! upstream function (src/cls/rbd/cls_rbd_client.cc for requests,
//! cls_rbd.cc for replies): integers little-endian, strings and
//! bufferlists as u32 length + bytes, containers as u32 count + elements,
//! optionals as a presence byte + value, versioned structs inside
//! `u8 v, u8 compat, u32 len`.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec;

use bytes::Bytes;

use super::assert_request;
use crate::cls::rbd::client::{self, Features, ImageSize, LegacyParent, StripeUnitCount};
use crate::cls::rbd::types::{ChildImageSpec, ParentImageSpec, SnapshotInfo, SnapshotNamespace};
use crate::encoding::{DecodeError, UtcTime};
use crate::osd::{ObjectOperation, SnapContext, SnapId};

const NOSNAP: &[u8] = b"\xfe\xff\xff\xff\xff\xff\xff\xff"; // CEPH_NOSNAP = 2^64 - 2

fn spec(ns: &str) -> ParentImageSpec {
    ParentImageSpec { pool_id: 2, pool_namespace: ns.into(), image_id: "p1".into(), snap_id: SnapId(4) }
}

fn child() -> ChildImageSpec {
    ChildImageSpec { pool_id: 3, pool_namespace: String::new(), image_id: "c1".into() }
}

#[test]
fn id_object() {
    // get_id_start(): empty input. get_id_finish(): decode(string).
    assert_request(client::get_id, "get_id", b"");
    assert_eq!(client::get_id_finish(b"\x04\x00\x00\x0010ab").unwrap(), "10ab");
    // set_id(): encode(id).
    assert_request(|op| client::set_id(op, "10ab"), "set_id", b"\x04\x00\x00\x0010ab");
}

#[test]
fn directory() {
    // dir_add_image() and dir_remove_image(): encode(name), encode(id).
    let name_id = b"\x03\x00\x00\x00img\x04\x00\x00\x0010ab";
    assert_request(|op| client::dir_add_image(op, "img", "10ab"), "dir_add_image", name_id);
    assert_request(|op| client::dir_remove_image(op, "img", "10ab"), "dir_remove_image", name_id);
    // dir_rename_image(): encode(src), encode(dest), encode(id).
    assert_request(
        |op| client::dir_rename_image(op, "old", "new", "10ab"),
        "dir_rename_image",
        b"\x03\x00\x00\x00old\x03\x00\x00\x00new\x04\x00\x00\x0010ab",
    );
    // dir_get_id_start(): encode(image_name); finish: decode(string).
    assert_request(|op| client::dir_get_id(op, "img"), "dir_get_id", b"\x03\x00\x00\x00img");
    assert_eq!(client::dir_get_id_finish(b"\x04\x00\x00\x0010ab").unwrap(), "10ab");
    // dir_get_name_start(): encode(id); finish: decode(string).
    assert_request(|op| client::dir_get_name(op, "10ab"), "dir_get_name", b"\x04\x00\x00\x0010ab");
    assert_eq!(client::dir_get_name_finish(b"\x03\x00\x00\x00img").unwrap(), "img");
    // dir_list_start(): encode(start), encode(max_return u64).
    assert_request(|op| client::dir_list(op, "", 64), "dir_list", b"\x00\x00\x00\x00\x40\x00\x00\x00\x00\x00\x00\x00");
    // dir_list_finish(): decode(map<string, string>): count 2, "a" -> "x1", "b" -> "x2".
    let out = b"\x02\x00\x00\x00\x01\x00\x00\x00a\x02\x00\x00\x00x1\x01\x00\x00\x00b\x02\x00\x00\x00x2";
    let images = BTreeMap::from([("a".into(), "x1".into()), ("b".into(), "x2".into())]);
    assert_eq!(client::dir_list_finish(out).unwrap(), images);
    assert!(client::dir_list_finish(&out[..out.len() - 1]).is_err());
}

#[test]
fn create_and_features() {
    // create_image(): encode(size u64), encode(order u8), encode(features
    // u64), encode(object_prefix), encode(data_pool_id i64).
    assert_request(
        |op| client::create(op, 1 << 30, 22, 0x3d, "rbd_data.10ab", -1),
        "create",
        b"\x00\x00\x00\x40\x00\x00\x00\x00\x16\x3d\x00\x00\x00\x00\x00\x00\x00\
          \x0d\x00\x00\x00rbd_data.10ab\xff\xff\xff\xff\xff\xff\xff\xff",
    );
    // get_features_start(): encode(CEPH_NOSNAP as u64), encode(read_only bool).
    let mut expected = NOSNAP.to_vec();
    expected.push(1);
    assert_request(|op| client::get_features(op, true), "get_features", &expected);
    // get_features_finish(): decode(features u64), decode(incompatible u64).
    let out = b"\x3d\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00";
    assert_eq!(client::get_features_finish(out).unwrap(), Features { features: 0x3d, incompatible: 1 });
    // Pre-Luminous OSDs sent the features alone.
    assert_eq!(client::get_features_finish(&out[..8]).unwrap(), Features { features: 0x3d, incompatible: 0 });
    assert!(client::get_features_finish(&out[..12]).is_err());
    // set_features(): encode(features), encode(mask).
    assert_request(
        |op| client::set_features(op, 0x8, 0x18),
        "set_features",
        b"\x08\x00\x00\x00\x00\x00\x00\x00\x18\x00\x00\x00\x00\x00\x00\x00",
    );
    // get_all_features_start(): empty; finish: decode(u64).
    assert_request(client::get_all_features, "get_all_features", b"");
    assert_eq!(client::get_all_features_finish(b"\xff\x0f\x00\x00\x00\x00\x00\x00").unwrap(), 0xfff);
    // op_features_get_start(): empty; finish: decode(u64).
    assert_request(client::op_features_get, "op_features_get", b"");
    assert_eq!(client::op_features_get_finish(b"\x01\x00\x00\x00\x00\x00\x00\x00").unwrap(), 1);
    // op_features_set(): encode(op_features), encode(mask).
    assert_request(
        |op| client::op_features_set(op, 2, 2),
        "op_features_set",
        b"\x02\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00",
    );
}

#[test]
fn size_prefix_pool() {
    // get_size_start(): encode(snap_id); finish: decode(order u8), decode(size u64).
    assert_request(|op| client::get_size(op, SnapId(5)), "get_size", b"\x05\x00\x00\x00\x00\x00\x00\x00");
    assert_request(|op| client::get_size(op, SnapId::HEAD), "get_size", NOSNAP);
    let out = b"\x16\x00\x00\x00\x40\x00\x00\x00\x00";
    assert_eq!(client::get_size_finish(out).unwrap(), ImageSize { order: 22, size: 1 << 30 });
    assert!(client::get_size_finish(b"\x16\x00\x00\x00\x40\x00\x00\x00\x00\x00").is_err());
    // set_size(): encode(size).
    assert_request(|op| client::set_size(op, 1 << 31), "set_size", b"\x00\x00\x00\x80\x00\x00\x00\x00");
    // get_object_prefix_start(): empty; finish: decode(string).
    assert_request(client::get_object_prefix, "get_object_prefix", b"");
    assert_eq!(client::get_object_prefix_finish(b"\x0d\x00\x00\x00rbd_data.10ab").unwrap(), "rbd_data.10ab");
    // get_data_pool_start(): empty; finish: decode(int64_t).
    assert_request(client::get_data_pool, "get_data_pool", b"");
    assert_eq!(client::get_data_pool_finish(b"\xff\xff\xff\xff\xff\xff\xff\xff").unwrap(), -1);
    assert_eq!(client::get_data_pool_finish(b"\x03\x00\x00\x00\x00\x00\x00\x00").unwrap(), 3);
}

#[test]
fn striping_and_flags() {
    // get_stripe_unit_count_start(): empty; finish: decode(stripe_unit), decode(stripe_count).
    assert_request(client::get_stripe_unit_count, "get_stripe_unit_count", b"");
    let su_sc = b"\x00\x00\x01\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00";
    assert_eq!(
        client::get_stripe_unit_count_finish(su_sc).unwrap(),
        StripeUnitCount { stripe_unit: 65536, stripe_count: 16 }
    );
    // set_stripe_unit_count(): encode(stripe_unit), encode(stripe_count).
    assert_request(|op| client::set_stripe_unit_count(op, 65536, 16), "set_stripe_unit_count", su_sc);
    // get_flags_start(): encode(snap_id); finish: decode(flags u64).
    assert_request(|op| client::get_flags(op, SnapId::HEAD), "get_flags", NOSNAP);
    assert_eq!(client::get_flags_finish(b"\x03\x00\x00\x00\x00\x00\x00\x00").unwrap(), 3);
    // set_flags(): encode(flags), encode(mask), encode(snap_id).
    assert_request(
        |op| client::set_flags(op, SnapId(7), 1, 3),
        "set_flags",
        b"\x01\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00",
    );
}

#[test]
fn timestamps() {
    // get_{create,access,modify}_timestamp_start(): empty; finish:
    // decode(utime_t) = u32 sec, u32 nsec. 1700000000 = 0x6553f100.
    let out = b"\x00\xf1\x53\x65\xf4\x01\x00\x00";
    let t = UtcTime::new(1_700_000_000, 500);
    assert_request(client::get_create_timestamp, "get_create_timestamp", b"");
    assert_eq!(client::get_create_timestamp_finish(out).unwrap(), t);
    assert_request(client::get_access_timestamp, "get_access_timestamp", b"");
    assert_eq!(client::get_access_timestamp_finish(out).unwrap(), t);
    assert_request(client::get_modify_timestamp, "get_modify_timestamp", b"");
    assert_eq!(client::get_modify_timestamp_finish(out).unwrap(), t);
    assert!(client::get_modify_timestamp_finish(&out[..7]).is_err());
    // set_access_timestamp() / set_modify_timestamp(): empty.
    assert_request(client::set_access_timestamp, "set_access_timestamp", b"");
    assert_request(client::set_modify_timestamp, "set_modify_timestamp", b"");
}

#[test]
fn snapcontext() {
    // get_snapcontext_start(): empty; finish: decode(SnapContext) = seq
    // u64, vector<snapid_t>; refused unless valid.
    assert_request(client::get_snapcontext, "get_snapcontext", b"");
    let out = b"\x09\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\
                \x09\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00";
    assert_eq!(client::get_snapcontext_finish(out).unwrap(), SnapContext::new(9, vec![9, 4]));
    let ascending = b"\x09\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\
                      \x04\x00\x00\x00\x00\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00";
    assert_eq!(client::get_snapcontext_finish(ascending), Err(DecodeError::Invalid("snap context")));
}

#[test]
fn snapshot_add_remove_rename() {
    // snapshot_add(): encode(snap_name), encode(snap_id),
    // encode(snap_namespace). The namespace (SnapshotNamespace::encode):
    // ENCODE_START(1, 1), then u32 type 0 (user) and no body: len 4.
    assert_request(
        |op| client::snapshot_add(op, SnapId(4), "s1", &SnapshotNamespace::User),
        "snapshot_add",
        b"\x02\x00\x00\x00s1\x04\x00\x00\x00\x00\x00\x00\x00\x01\x01\x04\x00\x00\x00\x00\x00\x00\x00",
    );
    // With a group namespace: type 1, group_pool i64, group_id,
    // group_snapshot_id; body 4 + 8 + 6 + 6 = 24.
    let group = SnapshotNamespace::Group { group_pool: 2, group_id: "g1".into(), group_snapshot_id: "gs".into() };
    assert_request(
        |op| client::snapshot_add(op, SnapId(4), "s1", &group),
        "snapshot_add",
        b"\x02\x00\x00\x00s1\x04\x00\x00\x00\x00\x00\x00\x00\x01\x01\x18\x00\x00\x00\x01\x00\x00\x00\
          \x02\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00g1\x02\x00\x00\x00gs",
    );
    let id4 = b"\x04\x00\x00\x00\x00\x00\x00\x00";
    // snapshot_remove() and snapshot_trash_add(): encode(snap_id).
    assert_request(|op| client::snapshot_remove(op, SnapId(4)), "snapshot_remove", id4);
    assert_request(|op| client::snapshot_trash_add(op, SnapId(4)), "snapshot_trash_add", id4);
    // snapshot_rename(): encode(src_snap_id), encode(dst_name).
    assert_request(
        |op| client::snapshot_rename(op, SnapId(4), "s2"),
        "snapshot_rename",
        b"\x04\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00s2",
    );
}

#[test]
fn snapshot_queries() {
    let id4 = b"\x04\x00\x00\x00\x00\x00\x00\x00";
    // snapshot_get_start(): encode(snap_id); finish: decode(SnapshotInfo):
    // ENCODE_START(1, 1), id u64, namespace (10 bytes), name, image_size,
    // timestamp, child_count u32: body 8 + 10 + 6 + 8 + 8 + 4 = 44.
    assert_request(|op| client::snapshot_get(op, SnapId(4)), "snapshot_get", id4);
    let out = b"\x01\x01\x2c\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\
                \x01\x01\x04\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00s1\
                \x00\x00\x00\x40\x00\x00\x00\x00\x00\xf1\x53\x65\xf4\x01\x00\x00\x02\x00\x00\x00";
    let info = SnapshotInfo {
        id: SnapId(4),
        snapshot_namespace: SnapshotNamespace::User,
        name: "s1".into(),
        image_size: 1 << 30,
        timestamp: UtcTime::new(1_700_000_000, 500),
        child_count: 2,
    };
    assert_eq!(client::snapshot_get_finish(out).unwrap(), info);
    // get_snapshot_name_start(): encode(snap_id); finish: decode(string).
    assert_request(|op| client::get_snapshot_name(op, SnapId(4)), "get_snapshot_name", id4);
    assert_eq!(client::get_snapshot_name_finish(b"\x02\x00\x00\x00s1").unwrap(), "s1");
    // get_snapshot_timestamp_start(): encode(snap_id); finish: decode(utime_t).
    assert_request(|op| client::get_snapshot_timestamp(op, SnapId(4)), "get_snapshot_timestamp", id4);
    assert_eq!(
        client::get_snapshot_timestamp_finish(b"\x00\xf1\x53\x65\xf4\x01\x00\x00").unwrap(),
        UtcTime::new(1_700_000_000, 500)
    );
    // get_protection_status_start(): encode(snap_id); finish: decode(uint8_t).
    assert_request(|op| client::get_protection_status(op, SnapId(4)), "get_protection_status", id4);
    assert_eq!(client::get_protection_status_finish(b"\x02").unwrap(), 2);
    // set_protection_status(): encode(snap_id), encode(protection_status u8).
    assert_request(
        |op| client::set_protection_status(op, SnapId(4), 2),
        "set_protection_status",
        b"\x04\x00\x00\x00\x00\x00\x00\x00\x02",
    );
    // snapshot_get_limit_start(): empty; finish: decode(u64).
    assert_request(client::snapshot_get_limit, "snapshot_get_limit", b"");
    assert_eq!(client::snapshot_get_limit_finish(b"\xff\xff\xff\xff\xff\xff\xff\xff").unwrap(), u64::MAX);
    // snapshot_set_limit(): encode(limit).
    assert_request(|op| client::snapshot_set_limit(op, 10), "snapshot_set_limit", b"\x0a\x00\x00\x00\x00\x00\x00\x00");
}

#[test]
fn parent_v2() {
    // parent_get_start(): empty; finish: decode(ParentImageSpec):
    // ENCODE_START(1, 1), pool i64, namespace, image id, snap id: body
    // 8 + 4 + 6 + 8 = 26.
    assert_request(client::parent_get, "parent_get", b"");
    let out = b"\x01\x01\x1a\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
                \x02\x00\x00\x00p1\x04\x00\x00\x00\x00\x00\x00\x00";
    assert_eq!(client::parent_get_finish(out).unwrap(), spec(""));
    // parent_overlap_get_start(): encode(snap_id); finish: decode(optional<u64>).
    assert_request(|op| client::parent_overlap_get(op, SnapId::HEAD), "parent_overlap_get", NOSNAP);
    assert_eq!(client::parent_overlap_get_finish(b"\x01\x00\x00\x00\x40\x00\x00\x00\x00").unwrap(), Some(1 << 30));
    assert_eq!(client::parent_overlap_get_finish(b"\x00").unwrap(), None);
    assert!(client::parent_overlap_get_finish(b"\x00\x00").is_err());
    // parent_attach(): encode(ParentImageSpec), encode(overlap u64),
    // encode(reattach bool). Spec body with namespace "ns": 8 + 6 + 6 + 8 = 28.
    assert_request(
        |op| client::parent_attach(op, &spec("ns"), 1 << 30, false),
        "parent_attach",
        b"\x01\x01\x1c\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00ns\
          \x02\x00\x00\x00p1\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x40\x00\x00\x00\x00\x00",
    );
    // parent_detach(): empty.
    assert_request(client::parent_detach, "parent_detach", b"");
}

#[test]
fn parent_legacy() {
    // get_parent_start(): encode(snap_id); get_parent_finish():
    // decode(pool_id), decode(image_id), decode(snap_id), decode(overlap).
    assert_request(|op| client::get_parent(op, SnapId::HEAD), "get_parent", NOSNAP);
    let out = b"\x02\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00p1\
                \x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x40\x00\x00\x00\x00";
    assert_eq!(client::get_parent_finish(out).unwrap(), LegacyParent { spec: spec(""), overlap: 1 << 30 });
    // set_parent(): encode(pool_id), encode(image_id), encode(snap_id),
    // encode(parent_overlap): the same layout.
    assert_request(|op| client::set_parent(op, 2, "p1", SnapId(4), 1 << 30), "set_parent", out);
    // remove_parent(): empty.
    assert_request(client::remove_parent, "remove_parent", b"");
}

#[test]
fn children_v2() {
    // child_attach() / child_detach(): encode(snap_id),
    // encode(ChildImageSpec): ENCODE_START(2, 1), pool i64, image id,
    // namespace: body 8 + 6 + 4 = 18.
    let input = b"\x04\x00\x00\x00\x00\x00\x00\x00\x02\x01\x12\x00\x00\x00\
                  \x03\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00c1\x00\x00\x00\x00";
    assert_request(|op| client::child_attach(op, SnapId(4), &child()), "child_attach", input);
    assert_request(|op| client::child_detach(op, SnapId(4), &child()), "child_detach", input);
    // children_list_start(): encode(snap_id); finish: decode(set<ChildImageSpec>).
    assert_request(|op| client::children_list(op, SnapId(4)), "children_list", &input[..8]);
    let mut out = b"\x01\x00\x00\x00".to_vec();
    out.extend_from_slice(&input[8..]);
    assert_eq!(client::children_list_finish(&out).unwrap(), BTreeSet::from([child()]));
    // A v1 spec (before pool namespaces) has no namespace: body 14.
    let v1 = b"\x01\x00\x00\x00\x01\x01\x0e\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00c1";
    assert_eq!(client::children_list_finish(v1).unwrap(), BTreeSet::from([child()]));
}

#[test]
fn children_legacy() {
    // add_child() / remove_child(): encode(pool_id), encode(image_id),
    // encode(snap_id), encode(c_imageid).
    let input = b"\x02\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00p1\
                  \x04\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00c1";
    assert_request(|op| client::add_child(op, 2, "p1", SnapId(4), "c1"), "add_child", input);
    assert_request(|op| client::remove_child(op, 2, "p1", SnapId(4), "c1"), "remove_child", input);
    // get_children_start(): the parent alone; finish: decode(set<string>).
    assert_request(|op| client::get_children(op, 2, "p1", SnapId(4)), "get_children", &input[..22]);
    let out = b"\x02\x00\x00\x00\x02\x00\x00\x00c1\x02\x00\x00\x00c2";
    assert_eq!(client::get_children_finish(out).unwrap(), BTreeSet::from(["c1".into(), "c2".into()]));
}

#[test]
fn metadata() {
    // metadata_set(): encode(map<string, bufferlist>).
    let data = BTreeMap::from([(String::from("conf_rbd_cache"), Bytes::from_static(b"false"))]);
    assert_request(
        |op| client::metadata_set(op, &data),
        "metadata_set",
        b"\x01\x00\x00\x00\x0e\x00\x00\x00conf_rbd_cache\x05\x00\x00\x00false",
    );
    // metadata_remove() and metadata_get_start(): encode(key).
    let key = b"\x0e\x00\x00\x00conf_rbd_cache";
    assert_request(|op| client::metadata_remove(op, "conf_rbd_cache"), "metadata_remove", key);
    assert_request(|op| client::metadata_get(op, "conf_rbd_cache"), "metadata_get", key);
    // metadata_get_finish(): decode(string), the bufferlist's bytes.
    assert_eq!(client::metadata_get_finish(b"\x05\x00\x00\x00false").unwrap(), Bytes::from_static(b"false"));
    // metadata_list_start(): encode(start), encode(max_return).
    assert_request(
        |op| client::metadata_list(op, "conf_", 0),
        "metadata_list",
        b"\x05\x00\x00\x00conf_\x00\x00\x00\x00\x00\x00\x00\x00",
    );
    // metadata_list_finish(): decode(map<string, bufferlist>).
    let out = b"\x01\x00\x00\x00\x0e\x00\x00\x00conf_rbd_cache\x05\x00\x00\x00false";
    assert_eq!(client::metadata_list_finish(out).unwrap(), data);
}

#[test]
fn copyup() {
    // copyup(): the data bufferlist is the input itself.
    assert_request(|op| client::copyup(op, Bytes::from_static(b"data")), "copyup", b"data");
    // sparse_copyup(): encode(map<u64, u64> extent_map), encode(data).
    let extents = BTreeMap::from([(0, 2), (8, 2)]);
    assert_request(
        |op| client::sparse_copyup(op, &extents, b"abcd"),
        "sparse_copyup",
        b"\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\
          \x08\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00abcd",
    );
}

#[test]
fn calls_append_to_a_compound() {
    // librbd batches its open-time reads into one compound.
    let mut op = ObjectOperation::new();
    client::get_size(&mut op, SnapId::HEAD);
    client::get_object_prefix(&mut op);
    client::get_features(&mut op, false);
    assert_eq!(op.ops.len(), 3);
    assert!(!op.has_write(), "exec ops are reads unless the class says otherwise");
}
