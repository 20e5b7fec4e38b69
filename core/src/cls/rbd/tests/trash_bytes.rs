//! rbd_trash and rbd_namespace: request bytes from cls_rbd_client.cc's
//! encode calls, TrashImageSpec as cls_rbd_types.cc encodes it, and the
//! methods through the in-memory store.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::assert_request;
use super::store::Cluster;
use crate::cls::rbd::client;
use crate::cls::rbd::types::*;
use crate::encoding::{decode_exact, encode_to_vec, UtcTime};
use crate::Errno;

fn spec() -> TrashImageSpec {
    TrashImageSpec {
        source: TRASH_IMAGE_SOURCE_USER_PARENT,
        name: "img".into(),
        deletion_time: UtcTime::new(0x0102_0304, 5),
        deferment_end_time: UtcTime::new(0x0102_0400, 6),
        state: TRASH_IMAGE_STATE_MOVING,
    }
}

/// ENCODE_START(2, 1): source u8, name, deletion_time, deferment_end_time
/// (utime_t: sec u32, nsec u32), state u8.
const SPEC: &[u8] = b"\x02\x01\x19\x00\x00\x00\
\x04\
\x03\x00\x00\x00img\
\x04\x03\x02\x01\x05\x00\x00\x00\
\x00\x04\x02\x01\x06\x00\x00\x00\
\x01";

#[test]
fn trash_image_spec_bytes() {
    assert_eq!(encode_to_vec(&spec()), SPEC);
    assert_eq!(decode_exact::<TrashImageSpec>(SPEC).unwrap(), spec());
    // A v1 encoding (no state) reads as NORMAL.
    let v1 = b"\x01\x01\x18\x00\x00\x00\x00\x03\x00\x00\x00img\x04\x03\x02\x01\x05\x00\x00\x00\x00\x04\x02\x01\x06\x00\x00\x00";
    let old = decode_exact::<TrashImageSpec>(v1).unwrap();
    assert_eq!((old.source, old.state), (TRASH_IMAGE_SOURCE_USER, TRASH_IMAGE_STATE_NORMAL));
}

#[test]
fn trash_requests() {
    let id = b"\x04\x00\x00\x0010ab";
    // trash_add(): encode(id), encode(trash_spec).
    assert_request(|op| client::trash_add(op, "10ab", &spec()), "trash_add", &[&id[..], SPEC].concat());
    // trash_remove() / trash_get(): encode(id).
    assert_request(|op| client::trash_remove(op, "10ab"), "trash_remove", id);
    assert_request(|op| client::trash_get(op, "10ab"), "trash_get", id);
    // trash_list(): encode(start), encode(max_return u64).
    assert_request(
        |op| client::trash_list(op, "a", 1024),
        "trash_list",
        b"\x01\x00\x00\x00a\x00\x04\x00\x00\x00\x00\x00\x00",
    );
    // trash_state_set(): encode(id), encode(state u8), encode(expect u8).
    assert_request(
        |op| client::trash_state_set(op, "10ab", TRASH_IMAGE_STATE_REMOVING, TRASH_IMAGE_STATE_NORMAL),
        "trash_state_set",
        b"\x04\x00\x00\x0010ab\x02\x00",
    );
    // trash_list_finish(): map<string, TrashImageSpec>.
    let reply = [&b"\x01\x00\x00\x00"[..], id, SPEC].concat();
    assert_eq!(client::trash_list_finish(&reply).unwrap(), BTreeMap::from([(String::from("10ab"), spec())]));
    assert_eq!(client::trash_get_finish(SPEC).unwrap(), spec());
}

#[test]
fn namespace_requests() {
    assert_request(|op| client::namespace_add(op, "ns"), "namespace_add", b"\x02\x00\x00\x00ns");
    assert_request(|op| client::namespace_remove(op, "ns"), "namespace_remove", b"\x02\x00\x00\x00ns");
    assert_request(
        |op| client::namespace_list(op, "", 7),
        "namespace_list",
        b"\x00\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00",
    );
    // std::list<string>: count, then each string.
    let names = client::namespace_list_finish(b"\x02\x00\x00\x00\x01\x00\x00\x00a\x01\x00\x00\x00b").unwrap();
    assert_eq!(names, vec![String::from("a"), String::from("b")]);
}

#[test]
fn trash_through_the_store() {
    let c = Cluster::new();
    let list =
        |start: &str, max| c.read("rbd_trash", |op| client::trash_list(op, start, max), client::trash_list_finish);
    assert_eq!(list("", 10), Err(Errno::ENOENT));
    c.write("rbd_trash", |op| client::trash_add(op, "10ab", &spec())).unwrap();
    assert_eq!(c.write("rbd_trash", |op| client::trash_add(op, "10ab", &spec())), Err(Errno::EEXIST));
    assert_eq!(c.write("rbd_trash", |op| client::trash_add(op, "a-b", &spec())), Err(Errno::EINVAL));
    let mut other = spec();
    other.name = "other".into();
    c.write("rbd_trash", |op| client::trash_add(op, "20cd", &other)).unwrap();
    // Stored under "id_<id>", exactly as encoded.
    assert_eq!(&c.omap("rbd_trash")["id_10ab"][..], SPEC);
    assert_eq!(list("", 10).unwrap().len(), 2);
    assert_eq!(list("10ab", 10).unwrap().into_keys().collect::<Vec<_>>(), vec![String::from("20cd")]);
    assert_eq!(list("", 1).unwrap().len(), 1);

    let get = |id: &str| c.read("rbd_trash", |op| client::trash_get(op, id), client::trash_get_finish);
    assert_eq!(get("10ab").unwrap(), spec());
    assert_eq!(get("ffff"), Err(Errno::ENOENT));

    // MOVING -> NORMAL; again is fine; from another state -ESTALE.
    let set = |state, expect| c.write("rbd_trash", |op| client::trash_state_set(op, "10ab", state, expect));
    set(TRASH_IMAGE_STATE_NORMAL, TRASH_IMAGE_STATE_MOVING).unwrap();
    set(TRASH_IMAGE_STATE_NORMAL, TRASH_IMAGE_STATE_MOVING).unwrap();
    assert_eq!(set(TRASH_IMAGE_STATE_RESTORING, TRASH_IMAGE_STATE_REMOVING), Err(Errno::ESTALE));
    assert_eq!(get("10ab").unwrap().state, TRASH_IMAGE_STATE_NORMAL);

    c.write("rbd_trash", |op| client::trash_remove(op, "10ab")).unwrap();
    assert_eq!(c.write("rbd_trash", |op| client::trash_remove(op, "10ab")), Err(Errno::ENOENT));
    assert_eq!(list("", 10).unwrap().len(), 1);
}

#[test]
fn namespaces_through_the_store() {
    let c = Cluster::new();
    let list = || c.read("rbd_namespace", |op| client::namespace_list(op, "", 100), client::namespace_list_finish);
    assert_eq!(list(), Err(Errno::ENOENT));
    c.write("rbd_namespace", |op| client::namespace_add(op, "b")).unwrap();
    c.write("rbd_namespace", |op| client::namespace_add(op, "a")).unwrap();
    assert_eq!(c.write("rbd_namespace", |op| client::namespace_add(op, "a")), Err(Errno::EEXIST));
    assert_eq!(list().unwrap(), vec![String::from("a"), String::from("b")]);
    assert!(c.omap("rbd_namespace")["name_a"].is_empty());
    c.write("rbd_namespace", |op| client::namespace_remove(op, "a")).unwrap();
    assert_eq!(c.write("rbd_namespace", |op| client::namespace_remove(op, "a")), Err(Errno::ENOENT));
    assert_eq!(list().unwrap(), vec![String::from("b")]);
}

#[test]
fn directory_state() {
    assert_request(|op| client::dir_state_set(op, 1), "dir_state_set", b"\x01");
    assert_request(|op| client::dir_state_assert(op, 0), "dir_state_assert", b"\x00");
    let c = Cluster::new();
    let dir = crate::naming::RBD_DIRECTORY;
    assert_eq!(c.write(dir, |op| client::dir_state_set(op, 1)), Err(Errno::ENOENT));
    assert_eq!(c.write(dir, |op| client::dir_state_assert(op, 0)), Err(Errno::ENOENT));
    c.write(dir, |op| client::dir_state_set(op, 0)).unwrap();
    assert_eq!(&c.omap(dir)["state"][..], b"\x00");
    c.write(dir, |op| client::dir_state_assert(op, 0)).unwrap();
    assert_eq!(c.write(dir, |op| client::dir_state_assert(op, 1)), Err(Errno::ENOENT));
    c.create_image("img", "10ab", 1 << 20, RBD_FEATURE_LAYERING).unwrap();
    assert_eq!(c.write(dir, |op| client::dir_state_set(op, 1)), Err(Errno::EBUSY));
    assert_eq!(c.write(dir, |op| client::dir_state_set(op, 7)), Err(Errno::EINVAL));
}
