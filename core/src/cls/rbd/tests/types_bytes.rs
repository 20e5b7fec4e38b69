//! The on-disk and on-wire forms of the shared types, derived by hand from
//! their encode()/decode() in cls_rbd.h and cls_rbd_types.cc, including
//! records older releases wrote.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;

use crate::cls::rbd::types::*;
use crate::encoding::{decode_exact, encode_to_vec, DecodeError, UtcTime};
use crate::osd::SnapId;

fn parent(overlap: Option<u64>) -> ClsRbdParent {
    ClsRbdParent {
        pool_id: 2,
        pool_namespace: String::new(),
        image_id: "p1".into(),
        snap_id: SnapId(4),
        head_overlap: overlap,
    }
}

#[test]
fn cls_rbd_parent_forms() {
    // Nautilus+ (encode with SERVER_NAUTILUS): ENCODE_START(2, 2), pool
    // i64, namespace, image id, snap id, optional<u64> head_overlap: body
    // 8 + 4 + 6 + 8 + 9 = 35.
    let v2 = b"\x02\x02\x23\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
               \x02\x00\x00\x00p1\x04\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x40\x00\x00\x00\x00";
    assert_eq!(encode_to_vec(&parent(Some(1 << 30))), v2);
    assert_eq!(decode_exact::<ClsRbdParent>(v2).unwrap(), parent(Some(1 << 30)));
    // Without an overlap (only snapshots use the parent): body 27.
    let detached = b"\x02\x02\x1b\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
                     \x02\x00\x00\x00p1\x04\x00\x00\x00\x00\x00\x00\x00\x00";
    assert_eq!(encode_to_vec(&parent(None)), detached);
    // Pre-Nautilus v1: pool, image id, snap id, u64 overlap: body 30. Its
    // overlap is always present, even 0.
    let v1 = b"\x01\x01\x1e\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00p1\
               \x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";
    assert_eq!(decode_exact::<ClsRbdParent>(v1).unwrap(), parent(Some(0)));
}

#[test]
fn cls_rbd_snap_v8() {
    // Nautilus+: ENCODE_START(8, 8), id, name, image_size,
    // protection_status u8, flags, namespace, timestamp, child_count u32,
    // optional parent_overlap: body 8 + 6 + 8 + 1 + 8 + 10 + 8 + 4 + 1 = 54.
    let snap = ClsRbdSnap {
        id: SnapId(4),
        name: "s1".into(),
        image_size: 1 << 30,
        protection_status: RBD_PROTECTION_STATUS_PROTECTED,
        flags: 1,
        timestamp: UtcTime::new(1_700_000_000, 500),
        child_count: 1,
        ..ClsRbdSnap::default()
    };
    let bytes = b"\x08\x08\x36\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00s1\
                  \x00\x00\x00\x40\x00\x00\x00\x00\x02\x01\x00\x00\x00\x00\x00\x00\x00\
                  \x01\x01\x04\x00\x00\x00\x00\x00\x00\x00\x00\xf1\x53\x65\xf4\x01\x00\x00\
                  \x01\x00\x00\x00\x00";
    assert_eq!(encode_to_vec(&snap), bytes);
    assert_eq!(decode_exact::<ClsRbdSnap>(bytes).unwrap(), snap);
    // A newer compat is refused, as DECODE_START(8) does.
    let mut newer = bytes.to_vec();
    newer[1] = 9;
    assert!(matches!(decode_exact::<ClsRbdSnap>(&newer), Err(DecodeError::IncompatibleVersion { .. })));
}

#[test]
fn cls_rbd_snap_written_by_older_releases() {
    // Mimic (v6, compat 1): id, name, image_size, features (unused),
    // parent (v1, 36 bytes), protection_status, flags, namespace,
    // timestamp: body 8 + 6 + 8 + 8 + 36 + 1 + 8 + 10 + 8 = 93.
    let v6 = b"\x06\x01\x5d\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00s1\
               \x00\x00\x00\x40\x00\x00\x00\x00\x3d\x00\x00\x00\x00\x00\x00\x00\
               \x01\x01\x1e\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00p1\
               \x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x20\x00\x00\x00\x00\
               \x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x01\x04\x00\x00\x00\x00\x00\x00\x00\
               \x00\xf1\x53\x65\xf4\x01\x00\x00";
    let snap = decode_exact::<ClsRbdSnap>(v6).unwrap();
    assert_eq!(snap.parent, parent(Some(1 << 29)));
    assert_eq!((snap.child_count, snap.parent_overlap), (0, None));
    assert_eq!(snap.timestamp, UtcTime::new(1_700_000_000, 500));
    // v3 (Firefly): up to protection_status, with an empty v1 parent (28
    // bytes): body 8 + 6 + 8 + 8 + 34 + 1 = 65. User namespace implied.
    let v3 = b"\x03\x01\x41\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00s1\
               \x00\x00\x00\x40\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\
               \x01\x01\x1c\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\
               \xfe\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x02";
    let snap = decode_exact::<ClsRbdSnap>(v3).unwrap();
    assert_eq!(snap.protection_status, RBD_PROTECTION_STATUS_PROTECTED);
    assert!(!snap.parent.exists());
    assert_eq!(snap.snapshot_namespace, SnapshotNamespace::User);
}

#[test]
fn snapshot_namespaces() {
    // Trash: type 2, original_name, original type u32: body 4 + 6 + 4 = 14.
    let trash = SnapshotNamespace::Trash { original_name: "s1".into(), original_snapshot_namespace_type: 0 };
    let bytes = b"\x01\x01\x0e\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00s1\x00\x00\x00\x00";
    assert_eq!(encode_to_vec(&trash), bytes);
    assert_eq!(decode_exact::<SnapshotNamespace>(bytes).unwrap(), trash);
    // Mirror: type 3, state u8, complete bool, set<string> peers,
    // primary_mirror_uuid, primary_snap_id, last_copied_object_number,
    // map snap_seqs: body 4 + 1 + 1 + 9 + 4 + 8 + 8 + 4 = 39.
    let mirror = SnapshotNamespace::Mirror(MirrorSnapshotNamespace {
        state: 0,
        complete: true,
        mirror_peer_uuids: BTreeSet::from(["p".into()]),
        primary_mirror_uuid: String::new(),
        primary_snap_id: SnapId::HEAD.0,
        last_copied_object_number: 0,
        snap_seqs: BTreeMap::new(),
    });
    let bytes = b"\x01\x01\x27\x00\x00\x00\x03\x00\x00\x00\x00\x01\x01\x00\x00\x00\x01\x00\x00\x00p\
                  \x00\x00\x00\x00\xfe\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\
                  \x00\x00\x00\x00";
    assert_eq!(encode_to_vec(&mirror), bytes);
    assert_eq!(decode_exact::<SnapshotNamespace>(bytes).unwrap(), mirror);
    // Tentacle's v2 appends group fields to mirror's body: skipped.
    let mut v2 = bytes.to_vec();
    v2[0] = 2;
    v2[2] += 3;
    v2.extend_from_slice(b"xyz");
    assert_eq!(decode_exact::<SnapshotNamespace>(&v2).unwrap(), mirror);
    // An unknown type decodes (its body skipped) and encodes as type -1.
    let unknown = b"\x01\x01\x06\x00\x00\x00\x07\x00\x00\x00\xab\xcd";
    assert_eq!(decode_exact::<SnapshotNamespace>(unknown).unwrap(), SnapshotNamespace::Unknown);
    assert_eq!(encode_to_vec(&SnapshotNamespace::Unknown), b"\x01\x01\x04\x00\x00\x00\xff\xff\xff\xff");
}

#[test]
fn namespace_equality_follows_upstream() {
    let trash =
        |name: &str| SnapshotNamespace::Trash { original_name: name.into(), original_snapshot_namespace_type: 0 };
    assert!(trash("a").same_as(&trash("b")));
    assert!(!trash("a").same_as(&SnapshotNamespace::User));
    let group =
        |id: &str| SnapshotNamespace::Group { group_pool: 1, group_id: id.into(), group_snapshot_id: "x".into() };
    assert!(!group("a").same_as(&group("b")));
    assert!(group("a").same_as(&group("a")));
}
