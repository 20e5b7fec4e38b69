//! Mirroring, group and migration reads: request bytes from the encode
//! calls of cls_rbd_client.cc, replies as a Pacific OSD gave them (captured
//! with rados_exec on a test cluster, after `rbd mirror pool enable`,
//! `rbd mirror image enable ... snapshot` and `rbd group image add`), and
//! the embedded store's answers for an unused pool and image, which must be
//! the bytes and errors an OSD gives there.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::assert_request;
use super::store::Cluster;
use crate::cls::rbd::client;
use crate::cls::rbd::feature_state::*;
use crate::encoding::encode_to_vec;
use crate::naming::RBD_MIRRORING;
use crate::Errno;

const UUID: &str = "31d02eac-e119-448c-a8c4-bb0efa29d9c4";

#[test]
fn requests() {
    assert_request(client::mirror_mode_get, "mirror_mode_get", b"");
    assert_request(client::mirror_uuid_get, "mirror_uuid_get", b"");
    assert_request(|op| client::mirror_image_get(op, "abc"), "mirror_image_get", b"\x03\x00\x00\x00abc");
    // group_dir_list_start(): encode(start), encode(max_return u64).
    assert_request(
        |op| client::group_dir_list(op, "g", 64),
        "group_dir_list",
        b"\x01\x00\x00\x00g\x40\x00\x00\x00\x00\x00\x00\x00",
    );
    assert_request(client::image_group_get, "image_group_get", b"");
    assert_request(client::migration_get, "migration_get", b"");
    assert_request(client::mirror_peer_list, "mirror_peer_list", b"");
}

#[test]
fn replies_from_an_osd() {
    assert_eq!(client::mirror_mode_get_finish(b"\x01\x00\x00\x00").unwrap(), MIRROR_MODE_IMAGE);
    let uuid = b"\x24\x00\x00\x00defde4eb-b4ea-4dc5-8514-2b8844da3989";
    assert_eq!(client::mirror_uuid_get_finish(uuid).unwrap(), "defde4eb-b4ea-4dc5-8514-2b8844da3989");
    // MirrorImage v2: global id, state ENABLED, mode SNAPSHOT.
    let mut image = b"\x02\x01\x2a\x00\x00\x00\x24\x00\x00\x00".to_vec();
    image.extend_from_slice(UUID.as_bytes());
    image.extend_from_slice(b"\x01\x01");
    let decoded = client::mirror_image_get_finish(&image).unwrap();
    let want = MirrorImage {
        mode: MIRROR_IMAGE_MODE_SNAPSHOT,
        global_image_id: UUID.into(),
        state: MIRROR_IMAGE_STATE_ENABLED,
    };
    assert_eq!(decoded, want);
    assert_eq!(encode_to_vec(&want), image);
    // v1 had no mode: journal.
    let mut v1 = b"\x01\x01\x29\x00\x00\x00\x24\x00\x00\x00".to_vec();
    v1.extend_from_slice(UUID.as_bytes());
    v1.push(MIRROR_IMAGE_STATE_ENABLED);
    assert_eq!(client::mirror_image_get_finish(&v1).unwrap().mode, MIRROR_IMAGE_MODE_JOURNAL);
    // map<string, string>: "g1" -> "10606b8b4567".
    let groups = b"\x01\x00\x00\x00\x02\x00\x00\x00g1\x0c\x00\x00\x0010606b8b4567";
    let want = BTreeMap::from([(String::from("g1"), String::from("10606b8b4567"))]);
    assert_eq!(client::group_dir_list_finish(groups).unwrap(), want);
    // GroupSpec: pool id first, then the group id.
    let in_group = b"\x01\x01\x18\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x0c\x00\x00\x0010606b8b4567";
    let spec = client::image_group_get_finish(in_group).unwrap();
    assert_eq!(spec, GroupSpec { pool_id: 1, group_id: "10606b8b4567".into() });
    assert!(spec.is_valid());
    assert_eq!(encode_to_vec(&spec), in_group);
}

/// What an OSD answered after `rbd mirror pool peer add ... client.peerx@remotec`.
const ONE_PEER: &[u8] = b"\x01\x00\x00\x00\x02\x01\x58\x00\x00\x00\x24\x00\x00\x0035a7b8e2-1946-46ce-9acf-36d72185566a\x07\x00\x00\x00remotec\x0c\x00\x00\x00client.peerx\xff\xff\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

fn peer() -> MirrorPeer {
    MirrorPeer {
        uuid: "35a7b8e2-1946-46ce-9acf-36d72185566a".into(),
        site_name: "remotec".into(),
        client_name: "client.peerx".into(),
        direction: MIRROR_PEER_DIRECTION_RX_TX,
        mirror_uuid: String::new(),
        last_seen: Default::default(),
    }
}

#[test]
fn peers() {
    assert_eq!(client::mirror_peer_list_finish(ONE_PEER).unwrap(), vec![peer()]);
    assert_eq!(encode_peers(&[peer()]), ONE_PEER);
    assert_eq!(client::mirror_peer_list_finish(b"\x00\x00\x00\x00").unwrap(), vec![]);
}

/// An image in no group: what an OSD answered for a fresh image.
const NO_GROUP: &[u8] = b"\x01\x01\x0c\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00";

#[test]
fn unused_state_in_the_store() {
    let c = Cluster::new();
    c.create_image("img", "10ab", 1 << 22, 1).unwrap();
    let header = "rbd_header.10ab";
    // Nothing on rbd_mirroring or rbd_group_directory: -ENOENT, as on an OSD.
    let mode = c.read(RBD_MIRRORING, client::mirror_mode_get, client::mirror_mode_get_finish);
    assert_eq!(mode, Err(Errno::ENOENT));
    let peers = c.read(RBD_MIRRORING, client::mirror_peer_list, client::mirror_peer_list_finish);
    assert_eq!(peers, Err(Errno::ENOENT));
    let uuid = c.read(RBD_MIRRORING, client::mirror_uuid_get, client::mirror_uuid_get_finish);
    assert_eq!(uuid, Err(Errno::ENOENT));
    let image = c.read(RBD_MIRRORING, |op| client::mirror_image_get(op, "10ab"), client::mirror_image_get_finish);
    assert_eq!(image, Err(Errno::ENOENT));
    let groups = c.read(RBD_GROUP_DIRECTORY, |op| client::group_dir_list(op, "", 64), client::group_dir_list_finish);
    assert_eq!(groups, Err(Errno::ENOENT));
    // The header: no group (the OSD's exact bytes), not migrating.
    let reply = c.read_reply(header, client::image_group_get);
    assert_eq!(reply.out(0).unwrap(), NO_GROUP);
    assert!(!client::image_group_get_finish(NO_GROUP).unwrap().is_valid());
    assert_eq!(c.read_reply(header, client::migration_get).errno(), Err(Errno::EINVAL));
    // A missing header: -ENOENT for both.
    assert_eq!(c.read_reply("rbd_header.none", client::image_group_get).errno(), Err(Errno::ENOENT));
    assert_eq!(c.read_reply("rbd_header.none", client::migration_get).errno(), Err(Errno::ENOENT));
}

fn seed(c: &Cluster, object: &str, entries: &[(&str, Vec<u8>)]) {
    let map = entries.iter().map(|(k, v)| (String::from(*k), Bytes::from(v.clone()))).collect();
    c.write(object, |op| {
        op.create(false).omap_set(map);
    })
    .unwrap();
}

#[test]
fn the_store_reads_what_is_recorded() {
    // Keys as upstream writes them (nothing in librbdrs does): the methods
    // read them back as an OSD would.
    let c = Cluster::new();
    c.create_image("img", "10ab", 1 << 22, 1).unwrap();
    let image = MirrorImage { mode: 1, global_image_id: UUID.into(), state: MIRROR_IMAGE_STATE_ENABLED };
    seed(
        &c,
        RBD_MIRRORING,
        &[
            (MIRROR_MODE_KEY, encode_to_vec(&MIRROR_MODE_IMAGE)),
            (MIRROR_UUID_KEY, b"defde4eb-b4ea-4dc5-8514-2b8844da3989".to_vec()),
            ("image_10ab", encode_to_vec(&image)),
        ],
    );
    let mode = c.read(RBD_MIRRORING, client::mirror_mode_get, client::mirror_mode_get_finish);
    assert_eq!(mode, Ok(MIRROR_MODE_IMAGE));
    let uuid = c.read(RBD_MIRRORING, client::mirror_uuid_get, client::mirror_uuid_get_finish);
    assert_eq!(uuid.as_deref(), Ok("defde4eb-b4ea-4dc5-8514-2b8844da3989"));
    let got = c.read(RBD_MIRRORING, |op| client::mirror_image_get(op, "10ab"), client::mirror_image_get_finish);
    assert_eq!(got, Ok(image));
    seed(&c, RBD_GROUP_DIRECTORY, &[("name_g1", encode_to_vec("77aa")), ("id_77aa", encode_to_vec("g1"))]);
    let groups = c.read(RBD_GROUP_DIRECTORY, |op| client::group_dir_list(op, "", 64), client::group_dir_list_finish);
    assert_eq!(groups, Ok(BTreeMap::from([(String::from("g1"), String::from("77aa"))])));
}
