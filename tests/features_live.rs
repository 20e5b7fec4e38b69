//! Mirroring and groups another client turned on, as librbdrs reports
//! them: upstream's `rbd` enables snapshot mirroring on an image and puts
//! it in a group, then librbdrs's C calls must read that state back
//! (mode, uuid, record, group, mirror snapshot) and refuse what it cannot
//! do with -EOPNOTSUPP instead of pretending the features are unused.
//!
//! Needs the project's throwaway cluster, so it is ignored by default:
//!   tests/cluster/ceph-cluster.sh start 1 && eval "$(tests/cluster/ceph-cluster.sh env)"
//!   cargo test -p rbdrs-tests --test features_live -- --ignored

use std::ffi::{c_char, CStr, CString};
use std::process::Command;
use std::ptr::{null, null_mut};

use rbdrs::rados::{rados_conf_read_file, rados_connect, rados_create, rados_ioctx_create, rados_shutdown};
use rbdrs::rbd::group::*;
use rbdrs::rbd::image::{rbd_close, rbd_open};
use rbdrs::rbd::mirror::*;
use rbdrs::rbd::mirror_image::*;
use rbdrs::rbd::snap::{rbd_snap_list, rbd_snap_list_end};
use rbdrs::types::*;

const POOL: &str = "live-features";

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn run(tool: &str, args: &[&str]) {
    let out = Command::new("timeout").arg("120").arg(tool).args(args).output().unwrap();
    assert!(out.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// client.admin on the test cluster, in `pool`.
fn connect(pool: &str) -> (rados_t, rados_ioctx_t) {
    let conf = std::env::var("CEPH_CONF").expect("CEPH_CONF: eval \"$(tests/cluster/ceph-cluster.sh env)\" first");
    unsafe {
        let mut cluster: rados_t = null_mut();
        assert_eq!(rados_create(&mut cluster, null()), 0);
        assert_eq!(rados_conf_read_file(cluster, c(&conf).as_ptr()), 0);
        assert_eq!(rados_connect(cluster), 0);
        let mut io: rados_ioctx_t = null_mut();
        assert_eq!(rados_ioctx_create(cluster, c(pool).as_ptr(), &mut io), 0);
        (cluster, io)
    }
}

#[test]
#[ignore]
fn state_other_clients_recorded_is_reported() {
    // A fresh pool each run: the mirroring state below stays in it.
    let _ = Command::new("ceph").args(["osd", "pool", "rm", POOL, POOL, "--yes-i-really-really-mean-it"]).output();
    run("ceph", &["osd", "pool", "create", POOL, "8"]);
    run("rbd", &["pool", "init", POOL]);
    run("rbd", &["create", "-s", "4M", &format!("{POOL}/img")]);
    run("rbd", &["mirror", "pool", "enable", POOL, "image"]);
    run("rbd", &["mirror", "image", "enable", &format!("{POOL}/img"), "snapshot"]);
    run("rbd", &["mirror", "pool", "peer", "add", POOL, "client.peerx@remotec"]);
    run("rbd", &["group", "create", &format!("{POOL}/g1")]);
    run("rbd", &["group", "image", "add", &format!("{POOL}/g1"), &format!("{POOL}/img")]);
    unsafe {
        let (cluster, io) = connect(POOL);

        let mut mode = -1;
        assert_eq!(rbd_mirror_mode_get(io, &mut mode), 0);
        assert_eq!(mode, RBD_MIRROR_MODE_IMAGE);
        assert_eq!(rbd_mirror_mode_set(io, RBD_MIRROR_MODE_IMAGE), 0, "already that mode");
        assert_eq!(rbd_mirror_mode_set(io, RBD_MIRROR_MODE_DISABLED), -95, "librbdrs does not disable it");
        let mut uuid = [0 as c_char; 64];
        let mut len = uuid.len();
        assert_eq!(rbd_mirror_uuid_get(io, uuid.as_mut_ptr(), &mut len), 0);
        assert_eq!(len, 37);
        let mut sites = [std::mem::zeroed::<rbd_mirror_peer_site_t>(); 2];
        let mut max = 0;
        assert_eq!(rbd_mirror_peer_site_list(io, sites.as_mut_ptr(), &mut max), -34);
        assert_eq!(max, 1);
        assert_eq!(rbd_mirror_peer_site_list(io, sites.as_mut_ptr(), &mut max), 0);
        assert_eq!(CStr::from_ptr(sites[0].site_name).to_str(), Ok("remotec"));
        assert_eq!(CStr::from_ptr(sites[0].client_name).to_str(), Ok("client.peerx"));
        assert_eq!(sites[0].direction, RBD_MIRROR_PEER_DIRECTION_RX_TX);
        let uuid = CStr::from_ptr(sites[0].uuid).to_owned();
        rbd_mirror_peer_site_list_cleanup(sites.as_mut_ptr(), max);
        assert_eq!(rbd_mirror_peer_site_remove(io, uuid.as_ptr()), -95, "librbdrs removes no peer");
        assert_eq!(rbd_mirror_peer_site_remove(io, c("nouuid").as_ptr()), 0);
        assert_eq!(rbd_mirror_peer_site_set_name(io, c("nouuid").as_ptr(), c("x").as_ptr()), -2);
        assert_eq!(rbd_mirror_peer_site_set_name(io, uuid.as_ptr(), c("x").as_ptr()), -95);

        let mut names = [0 as c_char; 64];
        let mut size = names.len();
        assert_eq!(rbd_group_list(io, names.as_mut_ptr(), &mut size), 3);
        assert_eq!(CStr::from_ptr(names.as_ptr()).to_str(), Ok("g1"));
        assert_eq!(rbd_group_create(io, c("g1").as_ptr()), -17);
        assert_eq!(rbd_group_remove(io, c("g1").as_ptr()), -95);

        let mut image: rbd_image_t = null_mut();
        assert_eq!(rbd_open(io, c("img").as_ptr(), &mut image, null()), 0);
        let mut group = std::mem::zeroed::<rbd_group_info_t>();
        assert_eq!(rbd_get_group(image, &mut group, size_of::<rbd_group_info_t>()), 0);
        assert_eq!(CStr::from_ptr(group.name).to_str(), Ok("g1"));
        assert!(group.pool >= 0);
        assert_eq!(rbd_group_info_cleanup(&mut group, size_of::<rbd_group_info_t>()), 0);

        let mut info = std::mem::zeroed::<rbd_mirror_image_info_t>();
        assert_eq!(rbd_mirror_image_get_info(image, &mut info, size_of::<rbd_mirror_image_info_t>()), 0);
        assert_eq!(info.state, RBD_MIRROR_IMAGE_ENABLED);
        assert!(info.primary);
        assert_eq!(CStr::from_ptr(info.global_id).to_bytes().len(), 36);
        rbd_mirror_image_get_info_cleanup(&mut info);
        let mut image_mode = -1;
        assert_eq!(rbd_mirror_image_get_mode(image, &mut image_mode), 0);
        assert_eq!(image_mode, RBD_MIRROR_IMAGE_MODE_SNAPSHOT);
        assert_eq!(rbd_mirror_image_enable2(image, RBD_MIRROR_IMAGE_MODE_SNAPSHOT), -95);
        assert_eq!(rbd_mirror_image_disable(image, false), -95);
        let mut snap_id = 0;
        assert_eq!(rbd_mirror_image_create_snapshot(image, &mut snap_id), -95);

        // Enabling made a primary mirror snapshot: its record reads back.
        let mut snaps = [std::mem::zeroed::<rbd_snap_info_t>(); 4];
        let mut max_snaps = 4;
        assert_eq!(rbd_snap_list(image, snaps.as_mut_ptr(), &mut max_snaps), 1);
        let mut ns = std::mem::zeroed::<rbd_snap_mirror_namespace_t>();
        let ns_size = size_of::<rbd_snap_mirror_namespace_t>();
        assert_eq!(rbd_snap_get_mirror_namespace(image, snaps[0].id, &mut ns, ns_size), 0);
        assert_eq!(ns.state, RBD_SNAP_MIRROR_STATE_PRIMARY);
        assert!(ns.complete);
        assert_eq!(rbd_snap_mirror_namespace_cleanup(&mut ns, ns_size), 0);
        rbd_snap_list_end(snaps.as_mut_ptr());

        assert_eq!(rbd_close(image), 0);
        rbdrs::rados::rados_ioctx_destroy(io);
        rados_shutdown(cluster);
    }
}

mod quiesce {
    use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

    use super::*;
    use rbdrs::rbd::quiesce::*;

    static IMAGE: AtomicPtr<rbdrs::rbd::Image> = AtomicPtr::new(null_mut());
    static HANDLE: AtomicU64 = AtomicU64::new(0);
    static ANSWER: AtomicI32 = AtomicI32::new(0);
    static QUIESCED: AtomicUsize = AtomicUsize::new(0);
    static UNQUIESCED: AtomicUsize = AtomicUsize::new(0);

    unsafe extern "C" fn on_quiesce(_: *mut std::ffi::c_void) {
        QUIESCED.fetch_add(1, Ordering::SeqCst);
        // Answered from the callback itself, as applications may.
        unsafe {
            rbd_quiesce_complete(
                IMAGE.load(Ordering::SeqCst),
                HANDLE.load(Ordering::SeqCst),
                ANSWER.load(Ordering::SeqCst),
            )
        };
    }

    unsafe extern "C" fn on_unquiesce(_: *mut std::ffi::c_void) {
        UNQUIESCED.fetch_add(1, Ordering::SeqCst);
    }

    fn snap_create(spec: &str) -> bool {
        Command::new("timeout").args(["60", "rbd", "snap", "create", spec]).output().unwrap().status.success()
    }

    /// Upstream `rbd snap create` quiesces this process's open first; its
    /// answer decides whether the snapshot is taken, as with librbd.
    #[test]
    #[ignore]
    fn another_clients_snapshot_runs_the_callbacks() {
        let name = format!("quiesce-{}", std::process::id());
        run("rbd", &["create", "-s", "4M", &format!("rbd/{name}")]);
        unsafe {
            let (cluster, io) = connect("rbd");
            let mut image: rbd_image_t = null_mut();
            assert_eq!(rbd_open(io, c(&name).as_ptr(), &mut image, null()), 0);
            IMAGE.store(image, Ordering::SeqCst);
            let mut handle = 0;
            assert_eq!(rbd_quiesce_watch(image, Some(on_quiesce), Some(on_unquiesce), null_mut(), &mut handle), 0);
            HANDLE.store(handle, Ordering::SeqCst);

            assert!(snap_create(&format!("rbd/{name}@quiesced")));
            assert_eq!(QUIESCED.load(Ordering::SeqCst), 1);
            assert_eq!(UNQUIESCED.load(Ordering::SeqCst), 1);

            ANSWER.store(-5, Ordering::SeqCst);
            assert!(!snap_create(&format!("rbd/{name}@refused")), "a quiesce error fails the snapshot");
            assert_eq!(QUIESCED.load(Ordering::SeqCst), 2);
            assert_eq!(UNQUIESCED.load(Ordering::SeqCst), 2, "unquiesced after the failure too");

            // librbdrs's own snapshots quiesce too, this open included.
            ANSWER.store(0, Ordering::SeqCst);
            assert_eq!(rbdrs::rbd::snap::rbd_snap_create(image, c("own").as_ptr()), 0);
            assert_eq!(QUIESCED.load(Ordering::SeqCst), 3);
            ANSWER.store(-5, Ordering::SeqCst);
            assert_eq!(rbdrs::rbd::snap::rbd_snap_create(image, c("own-refused").as_ptr()), -5);
            assert_eq!(QUIESCED.load(Ordering::SeqCst), 4);

            assert_eq!(rbd_quiesce_unwatch(image, handle), 0);
            assert!(snap_create(&format!("rbd/{name}@unwatched")));
            assert_eq!(QUIESCED.load(Ordering::SeqCst), 4, "no callback once unwatched");
            assert_eq!(rbd_close(image), 0);
            rbdrs::rados::rados_ioctx_destroy(io);
            rados_shutdown(cluster);
        }
        let _ = Command::new("rbd").args(["snap", "purge", &format!("rbd/{name}")]).output();
        let _ = Command::new("rbd").args(["rm", &format!("rbd/{name}")]).output();
    }
}
