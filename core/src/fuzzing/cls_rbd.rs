//! Fuzzes cls_rbd from both ends: arbitrary bytes as the reply every
//! client `_finish` decodes (a hostile OSD), and as the input of every
//! server method run on a populated image header and on a missing object
//! (a hostile client). Neither may panic; whatever the server answers must
//! decode with the client's matching `_finish`, and the image's snap
//! context must stay one the client accepts.

use alloc::collections::BTreeMap;
use alloc::string::String;

use bytes::Bytes;

use crate::cls::rbd::client;
use crate::cls::rbd::server::{self, METHODS};
use crate::cls::rbd::types::*;
use crate::encoding::{decode_exact, encode_to_vec, Decode, Encode, UtcTime};
use crate::memstore::{ClassRegistry, MemStore, MethodFlags};
use crate::osd::{ObjectId, ObjectOperation, ObjectRequest, SnapContext, SnapId};

const HEADER: &str = "rbd_header.c1";

/// Feeds `data` to every decoder and every server method.
pub fn run(data: &[u8]) {
    finishers(data);
    let fx = Fixture::new();
    for &(method, flags, _) in METHODS {
        for name in [HEADER, "rbd_header.missing"] {
            fx.call(name, method, flags, data);
        }
    }
    let snapc = fx.call(HEADER, "get_snapcontext", MethodFlags::RD, b"");
    assert!(snapc.is_some(), "the header keeps a valid snap context");
}

/// A value that decodes must survive its own encoding.
fn round_trip<T: Decode + Encode + PartialEq + core::fmt::Debug>(value: &T) {
    assert_eq!(decode_exact::<T>(&encode_to_vec(value)).as_ref(), Ok(value));
}

fn finishers(data: &[u8]) {
    let _ = client::get_features_finish(data);
    let _ = client::get_size_finish(data);
    let _ = client::get_stripe_unit_count_finish(data);
    let _ = client::get_data_pool_finish(data);
    let _ = client::get_flags_finish(data);
    let _ = client::op_features_get_finish(data);
    let _ = client::get_all_features_finish(data);
    let _ = client::get_create_timestamp_finish(data);
    let _ = client::get_access_timestamp_finish(data);
    let _ = client::get_modify_timestamp_finish(data);
    let _ = client::get_snapshot_timestamp_finish(data);
    let _ = client::get_protection_status_finish(data);
    let _ = client::snapshot_get_limit_finish(data);
    let _ = client::parent_overlap_get_finish(data);
    let _ = client::get_parent_finish(data);
    let _ = client::metadata_get_finish(data);
    if let Ok(snapc) = client::get_snapcontext_finish(data) {
        assert!(snapc.is_valid());
    }
    for finish in [
        client::get_id_finish,
        client::dir_get_id_finish,
        client::dir_get_name_finish,
        client::get_object_prefix_finish,
        client::get_snapshot_name_finish,
    ] {
        if let Ok(s) = finish(data) {
            round_trip(&s);
        }
    }
    if let Ok(v) = client::dir_list_finish(data) {
        round_trip(&v);
    }
    if let Ok(v) = client::metadata_list_finish(data) {
        round_trip(&v);
    }
    if let Ok(v) = client::snapshot_get_finish(data) {
        round_trip(&v);
    }
    if let Ok(v) = client::parent_get_finish(data) {
        round_trip(&v);
    }
    if let Ok(v) = client::children_list_finish(data) {
        round_trip(&v);
    }
    if let Ok(v) = client::get_children_finish(data) {
        round_trip(&v);
    }
    // The stored records the server reads.
    if let Ok(v) = decode_exact::<ClsRbdSnap>(data) {
        round_trip(&ClsRbdSnap { parent: ClsRbdParent::default(), ..v });
    }
    if let Ok(v) = decode_exact::<ClsRbdParent>(data) {
        round_trip(&v);
    }
    if let Ok(v) = decode_exact::<SnapshotNamespace>(data) {
        round_trip(&v);
    }
}

/// Whether `out`, a successful answer of `method`, decodes as the client
/// expects (write methods answer nothing).
fn answer_decodes(method: &str, out: &[u8]) -> bool {
    match method {
        "get_id" => client::get_id_finish(out).is_ok(),
        "dir_get_id" => client::dir_get_id_finish(out).is_ok(),
        "dir_get_name" => client::dir_get_name_finish(out).is_ok(),
        "dir_list" => client::dir_list_finish(out).is_ok(),
        "get_features" => client::get_features_finish(out).is_ok(),
        "get_size" => client::get_size_finish(out).is_ok(),
        "get_object_prefix" => client::get_object_prefix_finish(out).is_ok(),
        "get_data_pool" => client::get_data_pool_finish(out).is_ok(),
        "get_stripe_unit_count" => client::get_stripe_unit_count_finish(out).is_ok(),
        "get_flags" => client::get_flags_finish(out).is_ok(),
        "get_create_timestamp" => client::get_create_timestamp_finish(out).is_ok(),
        "get_access_timestamp" => client::get_access_timestamp_finish(out).is_ok(),
        "get_modify_timestamp" => client::get_modify_timestamp_finish(out).is_ok(),
        "op_features_get" => client::op_features_get_finish(out).is_ok(),
        "get_all_features" => client::get_all_features_finish(out).is_ok(),
        "metadata_list" => client::metadata_list_finish(out).is_ok(),
        "metadata_get" => client::metadata_get_finish(out).is_ok(),
        "get_snapcontext" => client::get_snapcontext_finish(out).is_ok(),
        "snapshot_get" => client::snapshot_get_finish(out).is_ok(),
        "get_snapshot_name" => client::get_snapshot_name_finish(out).is_ok(),
        "get_snapshot_timestamp" => client::get_snapshot_timestamp_finish(out).is_ok(),
        "get_protection_status" => client::get_protection_status_finish(out).is_ok(),
        "snapshot_get_limit" => client::snapshot_get_limit_finish(out).is_ok(),
        "parent_get" => client::parent_get_finish(out).is_ok(),
        "parent_overlap_get" => client::parent_overlap_get_finish(out).is_ok(),
        "get_parent" => client::get_parent_finish(out).is_ok(),
        "children_list" => client::children_list_finish(out).is_ok(),
        "get_children" => client::get_children_finish(out).is_ok(),
        "trash_list" => client::trash_list_finish(out).is_ok(),
        "trash_get" => client::trash_get_finish(out).is_ok(),
        "namespace_list" => client::namespace_list_finish(out).is_ok(),
        "mirror_mode_get" => client::mirror_mode_get_finish(out).is_ok(),
        "mirror_uuid_get" => client::mirror_uuid_get_finish(out).is_ok(),
        "mirror_image_get" => client::mirror_image_get_finish(out).is_ok(),
        "mirror_peer_list" => client::mirror_peer_list_finish(out).is_ok(),
        "group_dir_list" => client::group_dir_list_finish(out).is_ok(),
        "image_group_get" => client::image_group_get_finish(out).is_ok(),
        // The stored MigrationSpec, passed through; librbdrs only asks
        // whether the call succeeds.
        "migration_get" => true,
        _ => out.is_empty(),
    }
}

/// A store holding a clone with a snapshot, attached to a parent snapshot
/// in the same header (so child and parent records both exist), metadata
/// and a legacy children entry.
struct Fixture {
    store: MemStore,
    pool: i64,
}

impl Fixture {
    fn new() -> Self {
        let mut classes = ClassRegistry::default();
        server::register(&mut classes);
        let store = MemStore::with_classes(classes);
        let pool = store.create_pool("rbd").unwrap_or_default();
        let fx = Fixture { store, pool };
        let spec =
            ParentImageSpec { pool_id: pool, pool_namespace: String::new(), image_id: "p1".into(), snap_id: SnapId(1) };
        let child = ChildImageSpec { pool_id: pool, pool_namespace: String::new(), image_id: "c2".into() };
        let metadata = BTreeMap::from([(String::from("conf_rbd_cache"), Bytes::from_static(b"false"))]);
        fx.setup(|op| {
            op.create(true);
            client::create(op, 1 << 30, 22, RBD_FEATURES_DEFAULT | RBD_FEATURE_STRIPINGV2, "rbd_data.c1", -1);
            client::parent_attach(op, &spec, 1 << 29, false);
            client::metadata_set(op, &metadata);
            client::set_stripe_unit_count(op, 1 << 16, 4);
        });
        fx.setup(|op| client::snapshot_add(op, SnapId(2), "s2", &SnapshotNamespace::User));
        fx.setup(|op| {
            client::child_attach(op, SnapId(2), &child);
            client::set_protection_status(op, SnapId(2), RBD_PROTECTION_STATUS_PROTECTED);
            client::add_child(op, pool, "p1", SnapId(1), "c1");
            client::dir_add_image(op, "img", "c1");
        });
        fx
    }

    fn request(&self, name: &str, write: bool, op: ObjectOperation) -> ObjectRequest {
        let oid = ObjectId::new(self.pool, "", name);
        if write {
            ObjectRequest::write(oid, SnapContext::default(), UtcTime::new(1_700_000_000, 0), op)
        } else {
            ObjectRequest::read(oid, SnapId::HEAD, op)
        }
    }

    fn setup(&self, build: impl FnOnce(&mut ObjectOperation)) {
        let mut op = ObjectOperation::new();
        build(&mut op);
        let reply = self.store.execute(&self.request(HEADER, true, op));
        assert_eq!(reply.result, 0, "fixture setup");
    }

    /// Runs one method (reads as reads, so a reader that writes fails);
    /// returns its output when it succeeded, after checking it decodes.
    fn call(&self, name: &str, method: &str, flags: MethodFlags, input: &[u8]) -> Option<Bytes> {
        let mut op = ObjectOperation::new();
        op.call("rbd", method, Bytes::copy_from_slice(input));
        let reply = self.store.execute(&self.request(name, flags.writes(), op));
        let out = reply.out(0).ok()?.clone();
        assert!(answer_decodes(method, &out), "{method} answered {out:02x?}");
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    /// Valid inputs of the methods, so fuzzing starts from accepted paths.
    fn seeds() -> Vec<Vec<u8>> {
        let spec =
            ParentImageSpec { pool_id: 1, pool_namespace: "ns".into(), image_id: "p1".into(), snap_id: SnapId(1) };
        let child = ChildImageSpec { pool_id: 1, pool_namespace: String::new(), image_id: "c3".into() };
        let trash = SnapshotNamespace::Trash { original_name: "s".into(), original_snapshot_namespace_type: 0 };
        let mut op = ObjectOperation::new();
        client::set_id(&mut op, "10ab");
        client::dir_add_image(&mut op, "img2", "c9");
        client::dir_rename_image(&mut op, "img", "img3", "c1");
        client::dir_list(&mut op, "", 10);
        client::create(&mut op, 1 << 20, 20, 1, "x", -1);
        client::get_features(&mut op, true);
        client::set_features(&mut op, 0, RBD_FEATURE_OBJECT_MAP);
        client::get_size(&mut op, SnapId(2));
        client::set_size(&mut op, 1 << 28);
        client::set_stripe_unit_count(&mut op, 1 << 20, 2);
        client::set_flags(&mut op, SnapId(2), 1, 1);
        client::op_features_set(&mut op, 4, 4);
        client::snapshot_add(&mut op, SnapId(3), "s3", &SnapshotNamespace::User);
        client::snapshot_add(&mut op, SnapId(4), "s4", &trash);
        client::snapshot_rename(&mut op, SnapId(2), "s9");
        client::set_protection_status(&mut op, SnapId(2), 0);
        client::snapshot_set_limit(&mut op, 3);
        client::parent_attach(&mut op, &spec, 1 << 20, true);
        client::set_parent(&mut op, 1, "p1", SnapId(1), 1 << 20);
        client::child_attach(&mut op, SnapId(2), &child);
        client::add_child(&mut op, 1, "p1", SnapId(1), "c1");
        client::metadata_set(&mut op, &BTreeMap::from([(String::from("a"), Bytes::from_static(b"b"))]));
        client::metadata_list(&mut op, "", 0);
        client::sparse_copyup(&mut op, &BTreeMap::from([(0, 1)]), b"z");
        let mut seeds: Vec<Vec<u8>> = op
            .ops
            .iter()
            .filter_map(|o| match &o.kind {
                crate::osd::OpKind::Call { input, .. } => Some(input.to_vec()),
                _ => None,
            })
            .collect();
        // Replies and records, for the decoders.
        seeds.push(encode_to_vec(&SnapContext::new(3, alloc::vec![3, 1])));
        seeds.push(encode_to_vec(&ClsRbdSnap { parent_overlap: Some(5), ..ClsRbdSnap::default() }));
        seeds.push(encode_to_vec(&ClsRbdParent::new(spec, Some(9))));
        seeds.push(encode_to_vec(&alloc::collections::BTreeSet::from([child])));
        seeds.push(Vec::new());
        seeds
    }

    #[test]
    fn seed_corpus() {
        for seed in seeds() {
            run(&seed);
            // Every prefix, so each decoder meets every truncation.
            for cut in (0..seed.len()).step_by(3) {
                run(&seed[..cut]);
            }
        }
    }

    #[test]
    fn random_inputs() {
        crate::fuzzing::run_seeded(0x5eed_c15b, 3000, 48, run);
    }
}
