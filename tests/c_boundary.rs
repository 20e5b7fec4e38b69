//! Bad arguments at the C boundary get librbd's error codes, never a crash:
//! NULL handles, NULL buffers, wrong handle types, out-of-range extents.

use std::ffi::{c_char, CString};
use std::ptr::{null, null_mut};

use rbdrs::rados::watch::{
    rados_aio_unwatch, rados_aio_watch2, rados_aio_watch_flush, rados_unwatch2, rados_watch3, rados_watch_check,
};
use rbdrs::rados::{
    rados_conf_set, rados_connect, rados_create, rados_ioctx_create, rados_ioctx_destroy, rados_shutdown,
};
use rbdrs::rbd::admin::{rbd_create, rbd_list, rbd_remove};
use rbdrs::rbd::image::{rbd_close, rbd_get_size, rbd_open, rbd_stat};
use rbdrs::rbd::io::{
    rbd_aio_create_completion, rbd_aio_release, rbd_aio_write, rbd_discard, rbd_flush, rbd_read, rbd_write,
};
use rbdrs::rbd::snap::{rbd_snap_create, rbd_snap_list};
use rbdrs::types::{rados_ioctx_t, rados_t, rados_write_op_t, rbd_completion_t, rbd_image_t};

const EINVAL: i32 = -22;

unsafe extern "C" fn on_notify(_: *mut std::ffi::c_void, _: u64, _: u64, _: u64, _: *mut std::ffi::c_void, _: usize) {}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

#[test]
fn null_and_stale_arguments_are_einval() {
    unsafe {
        // Nothing to connect with: NULL handles everywhere.
        assert_eq!(rbd_open(null_mut(), c("x").as_ptr(), null_mut(), null()), EINVAL);
        assert_eq!(rbd_read(null_mut(), 0, 10, null_mut()), EINVAL as isize);
        assert_eq!(rbd_write(null_mut(), 0, 10, null()), EINVAL as isize);
        assert_eq!(rbd_close(null_mut()), EINVAL);
        assert_eq!(rbd_flush(null_mut()), EINVAL);
        assert_eq!(rbd_create(null_mut(), c("x").as_ptr(), 1 << 20, null_mut()), EINVAL);
        assert_eq!(rados_connect(null_mut()), EINVAL);

        let dir = std::env::temp_dir().join(format!("rbdrs-boundary-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut cluster: rados_t = null_mut();
        assert_eq!(rados_create(&mut cluster, null::<c_char>()), 0);
        assert_eq!(rados_conf_set(cluster, c("rbdrs_local_store").as_ptr(), c(dir.to_str().unwrap()).as_ptr()), 0);
        assert_eq!(rados_conf_set(cluster, c("no_such_option").as_ptr(), c("1").as_ptr()), -2);
        assert_eq!(rados_connect(cluster), 0);
        let mut io: rados_ioctx_t = null_mut();
        assert_eq!(rados_ioctx_create(cluster, c("nopool").as_ptr(), &mut io), -2);
        assert_eq!(rados_ioctx_create(cluster, c("rbd").as_ptr(), &mut io), 0);

        // A cluster handle where an ioctx belongs is caught, not trusted.
        assert_eq!(rbd_create(cluster.cast(), c("x").as_ptr(), 1 << 20, null_mut()), EINVAL);
        assert_eq!(rbd_create(io, null(), 1 << 20, null_mut()), EINVAL);
        assert_eq!(rbd_open(io, c("missing").as_ptr(), &mut null_mut(), null()), -2);
        let mut order = 0;
        assert_eq!(rbd_create(io, c("disk").as_ptr(), 1 << 20, &mut order), 0);
        assert_eq!(order, 22);
        assert_eq!(rbd_create(io, c("disk").as_ptr(), 1 << 20, &mut order), -17);

        let mut image: rbd_image_t = null_mut();
        assert_eq!(rbd_open(io, c("disk").as_ptr(), &mut image, null()), 0);
        assert_eq!(rbd_read(image, 0, 16, null_mut()), EINVAL as isize);
        assert_eq!(rbd_write(image, 0, 16, null()), EINVAL as isize);
        assert_eq!(rbd_get_size(image, null_mut()), EINVAL);
        assert_eq!(rbd_stat(image, null_mut(), 0), -34); // ERANGE: too small
        assert_eq!(rbd_snap_create(image, null()), EINVAL);
        assert_eq!(rbd_snap_list(image, null_mut(), null_mut()), EINVAL);
        // Past the end: librbd's clip_io refuses a start beyond the image.
        let mut buf = [0u8; 16];
        assert_eq!(rbd_read(image, 2 << 20, 16, buf.as_mut_ptr().cast()), EINVAL as isize);
        assert_eq!(rbd_discard(image, 2 << 20, 16), EINVAL);
        // aio with a NULL completion is refused before anything is sent.
        assert_eq!(rbd_aio_write(image, 0, 16, buf.as_ptr().cast(), null_mut()), EINVAL);
        let mut comp: rbd_completion_t = null_mut();
        assert_eq!(rbd_aio_create_completion(null_mut(), None, &mut comp), 0);
        rbd_aio_release(comp);
        // Removing an image that is open here is refused, as librbd does.
        assert_eq!(rbd_remove(io, c("disk").as_ptr()), -16);
        assert_eq!(rbd_close(image), 0);
        let mut size = 0usize;
        assert_eq!(rbd_list(io, null_mut(), &mut size), -34);
        assert_eq!(size, 5); // "disk\0"
        assert_eq!(rbd_remove(io, c("disk").as_ptr()), 0);
        // A watch needs a callback, a cookie to write and, as aio, a
        // completion; an unknown cookie is -ENOENT.
        let mut cookie = 0u64;
        assert_eq!(rados_watch3(io, c("o").as_ptr(), &mut cookie, None, None, 0, null_mut()), EINVAL);
        assert_eq!(rados_watch3(io, c("o").as_ptr(), null_mut(), Some(on_notify), None, 0, null_mut()), EINVAL);
        let aio_watch =
            rados_aio_watch2(io, c("o").as_ptr(), null_mut(), &mut cookie, Some(on_notify), None, 0, null_mut());
        assert_eq!(aio_watch, EINVAL);
        assert_eq!(rados_aio_unwatch(io, 12345, null_mut()), EINVAL);
        assert_eq!(rados_unwatch2(io, 12345), -2);
        assert_eq!(rados_watch_check(io, 12345), -107);
        assert_eq!(rados_aio_watch_flush(null_mut(), null_mut()), EINVAL);
        assert_eq!(rados_aio_watch_flush(cluster, null_mut()), EINVAL);
        rados_ioctx_destroy(io);
        rados_shutdown(cluster);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The exports of ffi/src: (name, body), found by their `#[no_mangle]`.
fn exports() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ffi/src"), &mut files);
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("#[no_mangle]") {
            let Some(fn_at) = rest[at..].find(" fn ") else { break };
            let after = &rest[at + fn_at + " fn ".len()..];
            let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            // The body: from the first '{' after the signature to its match.
            let open = after.find(") ").and_then(|p| after[p..].find('{').map(|q| p + q)).unwrap();
            let mut depth = 0;
            let mut end = open;
            for (i, c) in after[open..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            found.push((name, after[open..=end].to_string()));
            rest = &after[end..];
        }
    }
    found
}

/// Every export runs its body inside the one panic boundary (`guard`), or
/// only forwards to another export that does: no panic unwinds into C.
#[test]
fn every_export_goes_through_the_panic_boundary() {
    let exports = exports();
    assert!(exports.len() > 150, "found only {} exports: the scan is broken", exports.len());
    let names: std::collections::BTreeSet<&str> = exports.iter().map(|(n, _)| n.as_str()).collect();
    let unguarded: Vec<&str> = exports
        .iter()
        .filter(|(_, body)| {
            // A forwarder's whole body is `unsafe { other_export(...) }`
            // (after `let _ = ...;` of unused arguments).
            let code: Vec<&str> =
                body.lines().map(str::trim).filter(|l| !l.starts_with("//") && !l.starts_with("let _ =")).collect();
            let code = code.join(" ");
            let forwards = names.iter().any(|n| {
                code.starts_with(&format!("{{ unsafe {{ {n}("))
                    && code.ends_with(") } }")
                    && code.matches(" {").count() == 1
            });
            !body.contains("guard(") && !forwards
        })
        .map(|(n, _)| n.as_str())
        .collect();
    assert!(unguarded.is_empty(), "exports outside the panic boundary: {unguarded:?}");
}

/// What the six command calls answer for `cmd` (`cmdlen` parts) on
/// `cluster`: mon, mon target "a", osd.0, pg 1.0, mgr, mgr target "a".
unsafe fn all_commands(cluster: rados_t, cmd: *mut *const c_char, cmdlen: usize) -> [i32; 6] {
    use rbdrs::rados::command::*;
    let (a, pg) = (c("a"), c("1.0"));
    let (mut out, mut outlen, mut outs, mut outslen) = (null_mut(), 0usize, null_mut(), 0usize);
    let mut one = |call: &dyn Fn(*mut *mut c_char, *mut usize, *mut *mut c_char, *mut usize) -> i32| {
        call(&mut out, &mut outlen, &mut outs, &mut outslen)
    };
    unsafe {
        [
            one(&|o, ol, s, sl| rados_mon_command(cluster, cmd, cmdlen, null(), 0, o, ol, s, sl)),
            one(&|o, ol, s, sl| rados_mon_command_target(cluster, a.as_ptr(), cmd, cmdlen, null(), 0, o, ol, s, sl)),
            one(&|o, ol, s, sl| rados_osd_command(cluster, 0, cmd, cmdlen, null(), 0, o, ol, s, sl)),
            one(&|o, ol, s, sl| rados_pg_command(cluster, pg.as_ptr(), cmd, cmdlen, null(), 0, o, ol, s, sl)),
            one(&|o, ol, s, sl| rados_mgr_command(cluster, cmd, cmdlen, null(), 0, o, ol, s, sl)),
            one(&|o, ol, s, sl| rados_mgr_command_target(cluster, a.as_ptr(), cmd, cmdlen, null(), 0, o, ol, s, sl)),
        ]
    }
}

/// The command and stats calls refuse bad arguments with librados's codes,
/// and say -EOPNOTSUPP on the embedded store, which has no daemons.
#[test]
fn command_calls_check_their_arguments() {
    use rbdrs::rados::command::{rados_osd_command, rados_pg_command, rados_ping_monitor};
    use rbdrs::rados::rados_ioctx_pool_stat;
    use rbdrs::types::rados_pool_stat_t;
    const ENOTCONN: i32 = -107;
    const EOPNOTSUPP: i32 = -95;
    unsafe {
        let json = c(r#"{"prefix": "version"}"#);
        let mut cmd = [json.as_ptr()];
        let cmd_p = cmd.as_mut_ptr();
        let (mut out, mut outlen, mut outs, mut outslen) = (null_mut(), 0usize, null_mut(), 0usize);
        let mut stat = rados_pool_stat_t::default();
        let (mut pong, mut pong_len): (*mut c_char, usize) = (null_mut(), 0);
        let a = c("a");
        // NULL handles; NULL command arrays with a length; not connected.
        assert_eq!(all_commands(null_mut(), cmd_p, 1), [EINVAL; 6]);
        assert_eq!(rados_ping_monitor(null_mut(), a.as_ptr(), &mut pong, &mut pong_len), EINVAL);
        assert_eq!(rados_ioctx_pool_stat(null_mut(), &mut stat), EINVAL);
        let mut cluster: rados_t = null_mut();
        assert_eq!(rados_create(&mut cluster, null::<c_char>()), 0);
        assert_eq!(all_commands(cluster, null_mut(), 1), [EINVAL; 6]);
        assert_eq!(all_commands(cluster, cmd_p, 1), [ENOTCONN; 6]);
        assert_eq!(rados_ping_monitor(cluster, null(), &mut pong, &mut pong_len), EINVAL);
        let (short, letters) = (c("1"), c("x.0"));
        for bad in [null(), short.as_ptr(), letters.as_ptr()] {
            let r = rados_pg_command(cluster, bad, cmd_p, 1, null(), 0, &mut out, &mut outlen, &mut outs, &mut outslen);
            assert_eq!(r, EINVAL, "librados's pg_t::parse refuses it");
        }

        let dir = std::env::temp_dir().join(format!("rbdrs-boundary-cmd-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(rados_conf_set(cluster, c("rbdrs_local_store").as_ptr(), c(dir.to_str().unwrap()).as_ptr()), 0);
        assert_eq!(rados_connect(cluster), 0);
        assert_eq!(all_commands(cluster, cmd_p, 1), [EOPNOTSUPP; 6]);
        assert_eq!(rados_ping_monitor(cluster, a.as_ptr(), &mut pong, &mut pong_len), EOPNOTSUPP);
        let r = rados_osd_command(cluster, -1, cmd_p, 1, null(), 0, &mut out, &mut outlen, &mut outs, &mut outslen);
        assert_eq!(r, EINVAL);
        let mut io: rados_ioctx_t = null_mut();
        assert_eq!(rados_ioctx_create(cluster, c("rbd").as_ptr(), &mut io), 0);
        assert_eq!(rados_ioctx_pool_stat(io, null_mut()), EINVAL);
        assert_eq!(rados_ioctx_pool_stat(cluster.cast(), &mut stat), EINVAL, "a cluster is no ioctx");
        assert_eq!(rados_ioctx_pool_stat(io, &mut stat), 0);
        assert_eq!((stat.num_objects, stat.num_bytes), (0, 0));
        rados_ioctx_destroy(io);
        rados_shutdown(cluster);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The object calls added for python3-rados refuse NULL handles, names and
/// buffers with -EINVAL; a compound with a bad action fails at operate.
#[test]
fn object_calls_check_their_arguments() {
    use rbdrs::rados::ioctx_info::*;
    use rbdrs::rados::object_aio::*;
    use rbdrs::rados::write_op::{rados_create_write_op, rados_release_write_op, rados_write_op_operate};
    use rbdrs::rados::write_op_guard::*;
    unsafe {
        let (o, cls, m) = (c("o"), c("lock"), c("get_info"));
        assert_eq!(rados_cmpext(null_mut(), o.as_ptr(), c("x").as_ptr(), 1, 0), EINVAL);
        assert_eq!(rados_get_last_version(null_mut()), 0);
        rados_set_pool_full_try(null_mut());
        rados_unset_pool_full_try(null_mut());
        let mut req = 0;
        let mut align = 0u64;
        assert_eq!(rados_ioctx_pool_requires_alignment2(null_mut(), &mut req), EINVAL);
        assert_eq!(rados_ioctx_pool_required_alignment2(null_mut(), &mut align), EINVAL);

        let dir = std::env::temp_dir().join(format!("rbdrs-boundary-obj-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut cluster: rados_t = null_mut();
        assert_eq!(rados_create(&mut cluster, null::<c_char>()), 0);
        assert_eq!(rados_conf_set(cluster, c("rbdrs_local_store").as_ptr(), c(dir.to_str().unwrap()).as_ptr()), 0);
        assert_eq!(rados_connect(cluster), 0);
        let mut io: rados_ioctx_t = null_mut();
        assert_eq!(rados_ioctx_create(cluster, c("rbd").as_ptr(), &mut io), 0);
        // NULL buffers with a length, NULL names, NULL completions.
        assert_eq!(rados_cmpext(io, o.as_ptr(), null(), 4, 0), EINVAL);
        assert_eq!(rados_cmpext(io, null(), c("x").as_ptr(), 1, 0), EINVAL);
        assert_eq!(rados_aio_cmpext(io, o.as_ptr(), null_mut(), c("x").as_ptr(), 1, 0), EINVAL);
        assert_eq!(rados_aio_setxattr(io, o.as_ptr(), null_mut(), c("k").as_ptr(), c("v").as_ptr(), 1), EINVAL);
        assert_eq!(rados_aio_rmxattr(io, o.as_ptr(), null_mut(), null()), EINVAL);
        assert_eq!(rados_aio_writesame(io, o.as_ptr(), null_mut(), null(), 4, 8, 0), EINVAL);
        let exec = rados_aio_exec(io, o.as_ptr(), null_mut(), cls.as_ptr(), m.as_ptr(), null(), 0, null_mut(), 0);
        assert_eq!(exec, EINVAL);
        assert_eq!(rados_ioctx_pool_requires_alignment2(io, null_mut()), EINVAL);
        assert_eq!(rados_ioctx_pool_required_alignment2(io, null_mut()), EINVAL);
        // The embedded store's pools are replicated: no alignment.
        assert_eq!(rados_ioctx_pool_requires_alignment2(io, &mut req), 0);
        assert_eq!(rados_ioctx_pool_required_alignment2(io, &mut align), 0);
        assert_eq!((req, align), (0, 0));
        // A bad action is remembered: operate fails with -EINVAL.
        let mut prval = 1;
        let adds: [fn(rados_write_op_t, *mut i32); 5] = [
            |op, p| rados_write_op_cmpext(op, null(), 3, 0, p),
            |op, p| rados_write_op_omap_cmp(op, null(), 1, c("v").as_ptr(), 1, p),
            |op, p| rados_write_op_exec(op, null(), c("m").as_ptr(), null(), 0, p),
            |op, _| rados_write_op_omap_rm_range2(op, null(), 1, c("b").as_ptr(), 1),
            |op, _| rados_write_op_omap_rm_range2(op, c("\u{ff}").as_ptr(), 1, c("b").as_ptr(), 1),
        ];
        for add in adds {
            let op = rados_create_write_op();
            add(op, &mut prval);
            assert_eq!(rados_write_op_operate(op, io, o.as_ptr(), null_mut(), 0), EINVAL);
            rados_release_write_op(op);
        }
        assert_eq!(prval, 1, "nothing was sent");
        // Iterators: NULL handles and out-pointers.
        use rbdrs::rados::iter::*;
        use rbdrs::rados::read_op::*;
        let mut xit = null_mut();
        assert_eq!(rados_getxattrs(io, o.as_ptr(), null_mut()), EINVAL);
        assert_eq!(rados_getxattrs(null_mut(), o.as_ptr(), &mut xit), EINVAL);
        assert_eq!(rados_getxattrs(io, o.as_ptr(), &mut xit), -2, "no such object");
        let (mut name, mut val, mut len) = (null(), null(), 0usize);
        assert_eq!(rados_getxattrs_next(null_mut(), &mut name, &mut val, &mut len), EINVAL);
        assert_eq!(rados_omap_get_next(null_mut(), null_mut(), null_mut(), null_mut()), EINVAL);
        assert_eq!(rados_omap_iter_size(null_mut()), 0);
        rados_omap_get_end(null_mut());
        rados_getxattrs_end(null_mut());
        let rop = rados_create_read_op();
        rados_read_op_omap_get_keys2(rop, null(), 1, null_mut(), null_mut(), null_mut());
        assert_eq!(rados_read_op_operate(rop, io, o.as_ptr(), 0), EINVAL, "NULL iterator pointer");
        rados_release_read_op(rop);
        let rop = rados_create_read_op();
        let mut it = null_mut();
        rados_read_op_omap_get_vals_by_keys(rop, null(), 2, &mut it, null_mut());
        assert_eq!(rados_read_op_operate(rop, io, o.as_ptr(), 0), EINVAL, "NULL keys");
        assert_eq!(rados_omap_iter_size(it), 0);
        rados_omap_get_end(it);
        rados_release_read_op(rop);
        rados_write_op_assert_version(null_mut(), 1);
        rados_write_op_omap_rm_range2(null_mut(), null(), 0, null(), 0);
        rados_ioctx_destroy(io);
        rados_shutdown(cluster);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The snapshot calls refuse NULL handles, out-pointers and snap arrays,
/// and invalid snap contexts, with librados's -EINVAL.
#[test]
fn snapshot_calls_check_their_arguments() {
    use rbdrs::rados::snap::{
        rados_ioctx_selfmanaged_snap_create, rados_ioctx_selfmanaged_snap_remove,
        rados_ioctx_selfmanaged_snap_rollback, rados_ioctx_selfmanaged_snap_set_write_ctx, rados_ioctx_snap_create,
        rados_ioctx_snap_get_name, rados_ioctx_snap_get_stamp, rados_ioctx_snap_list, rados_ioctx_snap_lookup,
        rados_ioctx_snap_remove, rados_ioctx_snap_rollback, rados_ioctx_snap_set_read,
    };
    unsafe {
        let mut snap = 0u64;
        let mut snaps = [3u64, 5];
        assert_eq!(rados_ioctx_selfmanaged_snap_create(null_mut(), &mut snap), EINVAL);
        assert_eq!(rados_ioctx_selfmanaged_snap_remove(null_mut(), 1), EINVAL);
        assert_eq!(rados_ioctx_selfmanaged_snap_rollback(null_mut(), c("o").as_ptr(), 1), EINVAL);
        assert_eq!(rados_ioctx_selfmanaged_snap_set_write_ctx(null_mut(), 0, null_mut(), 0), EINVAL);
        rados_ioctx_snap_set_read(null_mut(), 1);

        let dir = std::env::temp_dir().join(format!("rbdrs-boundary-snap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut cluster: rados_t = null_mut();
        assert_eq!(rados_create(&mut cluster, null::<c_char>()), 0);
        assert_eq!(rados_conf_set(cluster, c("rbdrs_local_store").as_ptr(), c(dir.to_str().unwrap()).as_ptr()), 0);
        assert_eq!(rados_connect(cluster), 0);
        let mut io: rados_ioctx_t = null_mut();
        assert_eq!(rados_ioctx_create(cluster, c("rbd").as_ptr(), &mut io), 0);
        assert_eq!(rados_ioctx_selfmanaged_snap_create(cluster.cast(), &mut snap), EINVAL, "a cluster is no ioctx");
        assert_eq!(rados_ioctx_selfmanaged_snap_create(io, null_mut()), EINVAL);
        assert_eq!(rados_ioctx_selfmanaged_snap_rollback(io, null(), 1), EINVAL);
        assert_eq!(rados_ioctx_selfmanaged_snap_set_write_ctx(io, 5, null_mut(), 1), EINVAL);
        assert_eq!(rados_ioctx_selfmanaged_snap_set_write_ctx(io, 5, snaps.as_mut_ptr(), -1), EINVAL);
        assert_eq!(rados_ioctx_selfmanaged_snap_set_write_ctx(io, 5, snaps.as_mut_ptr(), 2), EINVAL, "ascending");
        assert_eq!(rados_ioctx_selfmanaged_snap_set_write_ctx(io, u64::MAX - 1, null_mut(), 0), EINVAL, "seq no id");
        snaps.reverse();
        assert_eq!(rados_ioctx_selfmanaged_snap_set_write_ctx(io, 5, snaps.as_mut_ptr(), 2), 0);
        assert_eq!(rados_ioctx_selfmanaged_snap_create(io, &mut snap), 0);
        assert_eq!(rados_ioctx_selfmanaged_snap_remove(io, snap), 0);
        rados_ioctx_snap_set_read(cluster.cast(), 1);

        // Pool snapshots: NULL names and out-pointers; none on this store.
        let (mut id, mut t, mut name) = (0u64, 0 as rbdrs::types::time_t, [0 as c_char; 8]);
        assert_eq!(rados_ioctx_snap_create(null_mut(), c("s").as_ptr()), EINVAL);
        assert_eq!(rados_ioctx_snap_create(io, null()), EINVAL);
        assert_eq!(rados_ioctx_snap_create(io, c("s").as_ptr()), -95);
        assert_eq!(rados_ioctx_snap_remove(io, null()), EINVAL);
        assert_eq!(rados_ioctx_snap_lookup(io, null(), &mut id), EINVAL);
        assert_eq!(rados_ioctx_snap_lookup(io, c("s").as_ptr(), null_mut()), EINVAL);
        assert_eq!(rados_ioctx_snap_lookup(io, c("s").as_ptr(), &mut id), -2);
        assert_eq!(rados_ioctx_snap_rollback(io, null(), c("s").as_ptr()), EINVAL);
        assert_eq!(rados_ioctx_snap_rollback(io, c("o").as_ptr(), null()), EINVAL);
        assert_eq!(rados_ioctx_snap_rollback(io, c("o").as_ptr(), c("s").as_ptr()), -2);
        assert_eq!(rados_ioctx_snap_list(null_mut(), null_mut(), 0), EINVAL);
        assert_eq!(rados_ioctx_snap_list(io, null_mut(), -1), 0);
        assert_eq!(rados_ioctx_snap_get_name(io, 1, name.as_mut_ptr(), 8), -2);
        assert_eq!(rados_ioctx_snap_get_stamp(io, 1, &mut t), -2);
        assert_eq!(rados_ioctx_snap_get_stamp(io, 1, null_mut()), EINVAL);
        rados_ioctx_destroy(io);
        rados_shutdown(cluster);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// rados_conf_parse_argv_remainder refuses NULL handles and arrays.
#[test]
fn parse_argv_remainder_checks_its_arguments() {
    use rbdrs::rados::conf::rados_conf_parse_argv_remainder;
    unsafe {
        let prog = c("prog");
        let argv = [prog.as_ptr()];
        let mut rest = [null::<c_char>(); 1];
        assert_eq!(rados_conf_parse_argv_remainder(null_mut(), 1, argv.as_ptr(), rest.as_mut_ptr()), EINVAL);
        let mut cluster: rados_t = null_mut();
        assert_eq!(rados_create(&mut cluster, null::<c_char>()), 0);
        assert_eq!(rados_conf_parse_argv_remainder(cluster, 1, null(), rest.as_mut_ptr()), EINVAL);
        assert_eq!(rados_conf_parse_argv_remainder(cluster, 1, argv.as_ptr(), null_mut()), EINVAL);
        assert_eq!(rados_conf_parse_argv_remainder(cluster, 0, null(), null_mut()), 0);
        assert_eq!(rados_conf_parse_argv_remainder(cluster, 1, argv.as_ptr(), rest.as_mut_ptr()), 0);
        assert_eq!(rest[0], argv[0]);
        rados_shutdown(cluster);
    }
}

/// The pool-level calls (trash, namespaces, pool metadata, config, stats,
/// copies, children) refuse NULL handles, names and out-pointers.
#[test]
fn pool_calls_check_their_arguments() {
    use rbdrs::rbd::children::{rbd_list_children, rbd_list_children2, rbd_list_children3, rbd_list_descendants};
    use rbdrs::rbd::copy::{rbd_copy, rbd_copy2, rbd_copy3, rbd_deep_copy};
    use rbdrs::rbd::pool::{
        rbd_config_pool_list, rbd_namespace_create, rbd_namespace_list, rbd_namespace_remove, rbd_pool_init,
        rbd_pool_metadata_get, rbd_pool_metadata_list, rbd_pool_metadata_remove, rbd_pool_metadata_set,
        rbd_pool_stats_create, rbd_pool_stats_destroy, rbd_pool_stats_get, rbd_pool_stats_option_add_uint64,
    };
    use rbdrs::rbd::trash::{
        rbd_remove_with_progress, rbd_trash_get, rbd_trash_list, rbd_trash_move, rbd_trash_purge, rbd_trash_remove,
        rbd_trash_restore,
    };
    use rbdrs::types::{rbd_pool_stats_t, rbd_trash_image_info_t};
    unsafe {
        let mut n = 0usize;
        let mut count = 0;
        assert_eq!(rbd_trash_move(null_mut(), c("x").as_ptr(), 0), EINVAL);
        assert_eq!(rbd_trash_list(null_mut(), null_mut(), &mut n), EINVAL);
        assert_eq!(rbd_trash_purge(null_mut(), 0, -1.0), EINVAL);
        assert_eq!(rbd_namespace_create(null_mut(), c("ns").as_ptr()), EINVAL);
        assert_eq!(rbd_pool_init(null_mut(), false), EINVAL);
        assert_eq!(rbd_pool_metadata_set(null_mut(), c("k").as_ptr(), c("v").as_ptr()), EINVAL);
        assert_eq!(rbd_config_pool_list(null_mut(), null_mut(), &mut count), EINVAL);
        assert_eq!(rbd_copy(null_mut(), null_mut(), c("x").as_ptr()), EINVAL);
        assert_eq!(rbd_copy2(null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_list_children3(null_mut(), null_mut(), &mut n), EINVAL);
        assert_eq!(rbd_pool_stats_option_add_uint64(null_mut(), 0, &mut 0), EINVAL);
        rbd_pool_stats_destroy(null_mut());

        let dir = std::env::temp_dir().join(format!("rbdrs-boundary-pool-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut cluster: rados_t = null_mut();
        assert_eq!(rados_create(&mut cluster, null::<c_char>()), 0);
        assert_eq!(rados_conf_set(cluster, c("rbdrs_local_store").as_ptr(), c(dir.to_str().unwrap()).as_ptr()), 0);
        assert_eq!(rados_connect(cluster), 0);
        let mut io: rados_ioctx_t = null_mut();
        assert_eq!(rados_ioctx_create(cluster, c("rbd").as_ptr(), &mut io), 0);

        // The trash: NULL names and ids, NULL out-pointers.
        let mut info: rbd_trash_image_info_t = std::mem::zeroed();
        assert_eq!(rbd_trash_move(io, null(), 0), EINVAL);
        assert_eq!(rbd_trash_move(io, c("missing").as_ptr(), 0), -2);
        assert_eq!(rbd_trash_get(io, null(), &mut info), EINVAL);
        assert_eq!(rbd_trash_get(io, c("abc").as_ptr(), null_mut()), EINVAL);
        assert_eq!(rbd_trash_list(io, null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_trash_list(io, null_mut(), &mut n), 0);
        assert_eq!(rbd_trash_restore(io, null(), c("").as_ptr()), EINVAL);
        assert_eq!(rbd_trash_restore(io, c("abc").as_ptr(), null()), EINVAL);
        assert_eq!(rbd_trash_remove(io, null(), true), EINVAL);
        assert_eq!(rbd_trash_remove(io, c("abc").as_ptr(), true), -2);
        assert_eq!(rbd_trash_purge(io, 0, 1.5), EINVAL);
        assert_eq!(rbd_remove_with_progress(io, null(), None, null_mut()), EINVAL);

        // Namespaces and pool metadata.
        assert_eq!(rbd_namespace_create(io, null()), EINVAL);
        assert_eq!(rbd_namespace_create(io, c("").as_ptr()), EINVAL);
        assert_eq!(rbd_namespace_remove(io, null()), EINVAL);
        assert_eq!(rbd_namespace_list(io, null_mut(), &mut n), EINVAL);
        let mut buf = [0 as c_char; 8];
        assert_eq!(rbd_namespace_list(io, buf.as_mut_ptr(), null_mut()), EINVAL);
        assert_eq!(rbd_pool_metadata_get(io, null(), buf.as_mut_ptr(), &mut n), EINVAL);
        assert_eq!(rbd_pool_metadata_get(io, c("k").as_ptr(), buf.as_mut_ptr(), null_mut()), EINVAL);
        assert_eq!(rbd_pool_metadata_set(io, c("k").as_ptr(), null()), EINVAL);
        assert_eq!(rbd_pool_metadata_set(io, c("conf_no_such").as_ptr(), c("1").as_ptr()), EINVAL);
        assert_eq!(rbd_pool_metadata_remove(io, null()), EINVAL);
        assert_eq!(rbd_pool_metadata_remove(io, c("k").as_ptr()), -2);
        assert_eq!(rbd_pool_metadata_list(io, null(), 0, null_mut(), &mut n, null_mut(), &mut n), EINVAL);
        assert_eq!(rbd_pool_metadata_list(io, c("").as_ptr(), 0, null_mut(), null_mut(), null_mut(), &mut n), EINVAL);
        assert_eq!(rbd_config_pool_list(io, null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_config_pool_list(io, null_mut(), &mut count), -34);
        assert!(count > 100);

        // Stats: unknown statistics and NULL value pointers.
        let mut stats: rbd_pool_stats_t = null_mut();
        rbd_pool_stats_create(null_mut());
        rbd_pool_stats_create(&mut stats);
        let mut v = 0u64;
        assert_eq!(rbd_pool_stats_option_add_uint64(stats, 99, &mut v), -2);
        assert_eq!(rbd_pool_stats_option_add_uint64(stats, 0, null_mut()), EINVAL);
        assert_eq!(rbd_pool_stats_option_add_uint64(stats, 0, &mut v), 0);
        assert_eq!(rbd_pool_stats_get(io, null_mut()), EINVAL);
        assert_eq!(rbd_pool_stats_get(io, stats), 0);
        assert_eq!(v, 0);
        rbd_pool_stats_destroy(stats);

        // Copies and children need a live image and out-pointers.
        let mut order = 0;
        assert_eq!(rbd_create(io, c("src").as_ptr(), 1 << 20, &mut order), 0);
        let mut image: rbd_image_t = null_mut();
        assert_eq!(rbd_open(io, c("src").as_ptr(), &mut image, null()), 0);
        assert_eq!(rbd_copy(image, io, null()), EINVAL);
        assert_eq!(rbd_copy(image, null_mut(), c("dst").as_ptr()), EINVAL);
        assert_eq!(rbd_copy3(image, io, c("dst").as_ptr(), null_mut()), EINVAL);
        assert_eq!(rbd_deep_copy(image, io, c("dst").as_ptr(), null_mut()), EINVAL);
        assert_eq!(rbd_copy2(image, null_mut()), EINVAL);
        assert_eq!(rbd_list_children(image, null_mut(), null_mut(), null_mut(), &mut n), EINVAL as isize);
        assert_eq!(rbd_list_children2(image, null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_list_children3(image, null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_list_descendants(image, null_mut(), null_mut()), EINVAL);
        n = 0;
        assert_eq!(rbd_list_children3(image, null_mut(), &mut n), 0);
        assert_eq!(rbd_close(image), 0);
        assert_eq!(rbd_remove(io, c("src").as_ptr()), 0);
        rados_ioctx_destroy(io);
        rados_shutdown(cluster);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Mirroring, groups, migration and quiesce: NULL handles and pointers,
/// wrong struct sizes and stale quiesce handles are errors, never crashes.
#[test]
fn unused_feature_calls_check_their_arguments() {
    use rbdrs::rbd::group::*;
    use rbdrs::rbd::migration::*;
    use rbdrs::rbd::mirror::*;
    use rbdrs::rbd::mirror_image::*;
    use rbdrs::rbd::quiesce::*;
    use rbdrs::types::*;
    const ENOENT: i32 = -2;
    const ERANGE: i32 = -34;
    unsafe {
        let mut mode = 0;
        let mut len = 0usize;
        let mut max = 0;
        assert_eq!(rbd_mirror_mode_get(null_mut(), &mut mode), EINVAL);
        assert_eq!(rbd_mirror_mode_set(null_mut(), 0), EINVAL);
        assert_eq!(rbd_mirror_uuid_get(null_mut(), null_mut(), &mut len), EINVAL);
        assert_eq!(rbd_mirror_site_name_get(null_mut(), null_mut(), &mut len), EINVAL);
        assert_eq!(rbd_mirror_site_name_set(null_mut(), c("s").as_ptr()), EINVAL);
        assert_eq!(rbd_mirror_peer_site_list(null_mut(), null_mut(), &mut max), EINVAL);
        assert_eq!(rbd_group_list(null_mut(), null_mut(), &mut len), EINVAL);
        assert_eq!(rbd_group_create(null_mut(), c("g").as_ptr()), EINVAL);
        assert_eq!(rbd_migration_execute(null_mut(), c("x").as_ptr()), EINVAL);
        assert_eq!(rbd_get_group(null_mut(), null_mut(), 16), EINVAL);
        assert_eq!(rbd_mirror_image_promote(null_mut(), false), EINVAL);
        assert_eq!(rbd_quiesce_watch(null_mut(), None, None, null_mut(), null_mut()), EINVAL);
        rbd_quiesce_complete(null_mut(), 1, 0);
        rbd_mirror_image_get_info_cleanup(null_mut());
        rbd_mirror_image_global_status_cleanup(null_mut());
        rbd_migration_status_cleanup(null_mut());
        rbd_mirror_peer_site_list_cleanup(null_mut(), 3);

        let dir = std::env::temp_dir().join(format!("rbdrs-boundary-features-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut cluster: rados_t = null_mut();
        assert_eq!(rados_create(&mut cluster, null::<c_char>()), 0);
        assert_eq!(rados_conf_set(cluster, c("rbdrs_local_store").as_ptr(), c(dir.to_str().unwrap()).as_ptr()), 0);
        assert_eq!(rados_connect(cluster), 0);
        let mut io: rados_ioctx_t = null_mut();
        assert_eq!(rados_ioctx_create(cluster, c("rbd").as_ptr(), &mut io), 0);
        let mut order = 0;
        assert_eq!(rbd_create(io, c("disk").as_ptr(), 1 << 20, &mut order), 0);
        let mut image: rbd_image_t = null_mut();
        assert_eq!(rbd_open(io, c("disk").as_ptr(), &mut image, null()), 0);

        // Pool level: NULL out-pointers and strings, a cluster as ioctx.
        assert_eq!(rbd_mirror_mode_get(io, null_mut()), EINVAL);
        assert_eq!(rbd_mirror_mode_get(cluster.cast(), &mut mode), EINVAL);
        assert_eq!(rbd_mirror_mode_set(io, 7), EINVAL);
        assert_eq!(rbd_mirror_uuid_get(io, null_mut(), &mut len), ENOENT);
        assert_eq!(rbd_mirror_peer_bootstrap_create(io, null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_mirror_peer_bootstrap_import(io, 0, null()), EINVAL);
        assert_eq!(rbd_mirror_peer_site_add(io, null_mut(), 64, 2, c("s").as_ptr(), c("c").as_ptr()), EINVAL);
        let mut uuid = [0 as c_char; 64];
        assert_eq!(rbd_mirror_peer_site_add(io, uuid.as_mut_ptr(), 64, 2, null(), c("c").as_ptr()), EINVAL);
        assert_eq!(rbd_mirror_peer_site_add(io, uuid.as_mut_ptr(), 8, 2, c("s").as_ptr(), c("c").as_ptr()), -7);
        assert_eq!(rbd_mirror_peer_site_remove(io, null()), EINVAL);
        assert_eq!(rbd_mirror_peer_site_set_name(io, null(), c("n").as_ptr()), EINVAL);
        assert_eq!(rbd_mirror_peer_site_set_attributes(io, c("u").as_ptr(), null(), null(), 1), EINVAL);
        assert_eq!(
            rbd_mirror_peer_site_get_attributes(
                io,
                c("u").as_ptr(),
                null_mut(),
                null_mut(),
                null_mut(),
                null_mut(),
                null_mut()
            ),
            EINVAL
        );
        assert_eq!(rbd_mirror_peer_site_list(io, null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_mirror_image_status_summary(io, null_mut(), null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_mirror_image_global_status_list(io, null(), 0, null_mut(), null_mut(), null_mut()), EINVAL);
        assert_eq!(
            rbd_mirror_image_info_list(io, null_mut(), null(), 0, null_mut(), null_mut(), null_mut(), null_mut()),
            EINVAL
        );
        assert_eq!(rbd_mirror_image_instance_id_list(io, null(), 0, null_mut(), null_mut(), null_mut()), EINVAL);

        // Image level: sizes librbd checks, NULL out-pointers.
        let mut info = std::mem::zeroed::<rbd_mirror_image_info_t>();
        assert_eq!(rbd_mirror_image_get_info(image, &mut info, 4), ERANGE);
        assert_eq!(rbd_mirror_image_get_info(image, null_mut(), size_of::<rbd_mirror_image_info_t>()), EINVAL);
        assert_eq!(rbd_mirror_image_get_mode(image, null_mut()), EINVAL);
        assert_eq!(rbd_mirror_image_get_global_status(image, null_mut(), 4), ERANGE);
        assert_eq!(rbd_mirror_image_get_status(image, null_mut(), size_of::<rbd_mirror_image_status_t>()), EINVAL);
        assert_eq!(rbd_mirror_image_get_instance_id(image, null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_mirror_image_create_snapshot(image, null_mut()), EINVAL);
        assert_eq!(rbd_aio_mirror_image_get_info(image, &mut info, 4, null_mut()), ERANGE);
        assert_eq!(rbd_aio_mirror_image_get_mode(image, &mut mode, null_mut()), EINVAL, "NULL completion");
        assert_eq!(rbd_aio_mirror_image_promote(image, false, null_mut()), EINVAL);

        // Groups.
        assert_eq!(rbd_group_create(io, null()), EINVAL);
        assert_eq!(rbd_group_list(io, null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_group_image_add(io, c("g").as_ptr(), null_mut(), c("disk").as_ptr()), EINVAL);
        assert_eq!(rbd_group_image_remove_by_id(io, c("g").as_ptr(), io, null()), EINVAL);
        assert_eq!(rbd_group_image_list(io, c("g").as_ptr(), null_mut(), 16, null_mut()), EINVAL);
        assert_eq!(rbd_group_snap_list(io, c("g").as_ptr(), null_mut(), 3, &mut len), ERANGE);
        assert_eq!(rbd_group_snap_rename(io, c("g").as_ptr(), c("a").as_ptr(), null()), EINVAL);
        assert_eq!(rbd_group_image_list_cleanup(null_mut(), 3, 0), ERANGE);
        assert_eq!(rbd_group_info_cleanup(null_mut(), size_of::<rbd_group_info_t>()), 0);
        assert_eq!(rbd_get_group(image, null_mut(), size_of::<rbd_group_info_t>()), EINVAL);
        assert_eq!(rbd_get_group(image, null_mut(), 3), ERANGE);
        assert_eq!(rbd_snap_get_group_namespace(image, 1, null_mut(), size_of::<rbd_snap_group_namespace_t>()), EINVAL);
        assert_eq!(rbd_snap_get_mirror_namespace(image, 1, null_mut(), 3), ERANGE);
        assert_eq!(rbd_snap_mirror_namespace_cleanup(null_mut(), size_of::<rbd_snap_mirror_namespace_t>()), 0);

        // Migration.
        assert_eq!(rbd_migration_prepare(io, c("disk").as_ptr(), null_mut(), c("d").as_ptr(), null_mut()), EINVAL);
        assert_eq!(rbd_migration_prepare_import(null(), io, c("d").as_ptr(), null_mut()), EINVAL);
        assert_eq!(rbd_migration_abort(io, null()), EINVAL);
        assert_eq!(
            rbd_migration_status(io, c("disk").as_ptr(), null_mut(), size_of::<rbd_image_migration_status_t>()),
            EINVAL
        );
        assert_eq!(rbd_get_migration_source_spec(image, null_mut(), null_mut()), EINVAL);

        // Quiesce handles: only this image's own, each once.
        let mut handle = 0u64;
        assert_eq!(rbd_quiesce_watch(image, None, None, null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_quiesce_watch(image, None, None, null_mut(), &mut handle), 0);
        assert_eq!(rbd_quiesce_unwatch(image, handle + 1000), ENOENT);
        assert_eq!(rbd_quiesce_unwatch(null_mut(), handle), EINVAL);
        rbd_quiesce_complete(image, handle + 1000, 0);
        assert_eq!(rbd_quiesce_unwatch(image, handle), 0);
        assert_eq!(rbd_quiesce_unwatch(image, handle), ENOENT);

        assert_eq!(rbd_close(image), 0);
        rados_ioctx_destroy(io);
        rados_shutdown(cluster);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A client of a fresh embedded store in a temporary `dir`, and its pool `rbd`.
unsafe fn local_pool(tag: &str) -> (rados_t, rados_ioctx_t, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("rbdrs-boundary-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cluster: rados_t = null_mut();
    let mut io: rados_ioctx_t = null_mut();
    // SAFETY: out-pointers and C strings valid for the calls.
    unsafe {
        assert_eq!(rados_create(&mut cluster, null::<c_char>()), 0);
        assert_eq!(rados_conf_set(cluster, c("rbdrs_local_store").as_ptr(), c(dir.to_str().unwrap()).as_ptr()), 0);
        assert_eq!(rados_connect(cluster), 0);
        assert_eq!(rados_ioctx_create(cluster, c("rbd").as_ptr(), &mut io), 0);
    }
    (cluster, io, dir)
}

/// The image-handle calls (names, specs, snapshots by id, metadata,
/// progress, features, iterate) refuse NULL handles and out-pointers.
#[test]
fn image_handle_calls_check_their_arguments() {
    use rbdrs::rbd::features::{rbd_features_from_string, rbd_features_to_string, rbd_update_features};
    use rbdrs::rbd::image_info::{
        rbd_get_create_timestamp, rbd_get_name, rbd_get_op_features, rbd_get_parent, rbd_get_parent_info2,
        rbd_linked_image_spec_cleanup, rbd_snap_spec_cleanup,
    };
    use rbdrs::rbd::iterate::{rbd_diff_iterate, rbd_read_iterate2};
    use rbdrs::rbd::metadata::{rbd_config_image_list, rbd_metadata_list, rbd_metadata_remove, rbd_metadata_set};
    use rbdrs::rbd::open_ext::{rbd_aio_close, rbd_aio_open, rbd_open_by_id};
    use rbdrs::rbd::progress::{rbd_rebuild_object_map, rbd_resize2, rbd_sparsify};
    use rbdrs::rbd::snap_ext::{
        rbd_snap_get_id, rbd_snap_get_limit, rbd_snap_get_name, rbd_snap_get_namespace_type, rbd_snap_get_timestamp,
        rbd_snap_remove_by_id, rbd_snap_rename, rbd_snap_set_by_id,
    };
    unsafe {
        let mut len = 0usize;
        let mut value = 0u64;
        assert_eq!(rbd_get_name(null_mut(), null_mut(), &mut len), EINVAL);
        assert_eq!(rbd_get_op_features(null_mut(), &mut value), EINVAL);
        assert_eq!(rbd_get_parent(null_mut(), null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_snap_get_limit(null_mut(), &mut value), EINVAL);
        assert_eq!(rbd_resize2(null_mut(), 0, true, None, null_mut()), EINVAL);
        assert_eq!(rbd_open_by_id(null_mut(), c("x").as_ptr(), &mut null_mut(), null()), EINVAL);
        assert_eq!(rbd_aio_close(null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_features_to_string(61, null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_features_to_string(61, null_mut(), &mut len), -34);
        assert_eq!(len, 58);
        assert_eq!(rbd_features_from_string(null(), &mut value), EINVAL);
        assert_eq!(rbd_features_from_string(c("layering").as_ptr(), null_mut()), EINVAL);
        rbd_linked_image_spec_cleanup(null_mut());
        rbd_snap_spec_cleanup(null_mut());

        let (cluster, io, dir) = local_pool("image");
        let mut order = 0;
        assert_eq!(rbd_create(io, c("img").as_ptr(), 1 << 20, &mut order), 0);
        assert_eq!(rbd_open_by_id(io, c("nosuchid").as_ptr(), &mut null_mut(), null()), -2);
        assert_eq!(rbd_open_by_id(io, null(), &mut null_mut(), null()), EINVAL);
        assert_eq!(rbd_aio_open(io, c("img").as_ptr(), null_mut(), null(), null_mut()), EINVAL);
        let mut image: rbd_image_t = null_mut();
        assert_eq!(rbd_open(io, c("img").as_ptr(), &mut image, null()), 0);
        assert_eq!(rbd_get_name(image, null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_get_name(image, null_mut(), &mut len), -34);
        assert_eq!(len, 4);
        assert_eq!(rbd_get_op_features(image, null_mut()), EINVAL);
        assert_eq!(rbd_get_create_timestamp(image, null_mut()), EINVAL);
        assert_eq!(rbd_get_parent(image, null_mut(), null_mut()), EINVAL);
        let p = null_mut();
        assert_eq!(rbd_get_parent_info2(image, p, 0, p, 0, p, 0, p, 0), -2);
        assert_eq!(rbd_snap_get_id(image, null(), &mut value), EINVAL);
        assert_eq!(rbd_snap_get_id(image, c("s").as_ptr(), &mut value), -2);
        assert_eq!(value, u64::MAX - 1, "CEPH_NOSNAP, as librbd writes");
        assert_eq!(rbd_snap_get_name(image, 1, null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_snap_get_timestamp(image, 1, null_mut()), -2);
        assert_eq!(rbd_snap_get_namespace_type(image, 1, null_mut()), -2);
        assert_eq!(rbd_snap_get_limit(image, null_mut()), EINVAL);
        assert_eq!(rbd_snap_rename(image, null(), c("b").as_ptr()), EINVAL);
        assert_eq!(rbd_snap_rename(image, c("a").as_ptr(), c("b").as_ptr()), -2);
        assert_eq!(rbd_snap_remove_by_id(image, 7), -2);
        assert_eq!(rbd_snap_set_by_id(image, 7), -2);
        assert_eq!(rbd_metadata_set(image, null(), c("v").as_ptr()), EINVAL);
        assert_eq!(rbd_metadata_set(image, c("conf_nope").as_ptr(), c("v").as_ptr()), EINVAL);
        assert_eq!(rbd_metadata_remove(image, c("nokey").as_ptr()), -2);
        assert_eq!(rbd_metadata_list(image, c("").as_ptr(), 0, null_mut(), null_mut(), null_mut(), null_mut()), EINVAL);
        assert_eq!(rbd_config_image_list(image, null_mut(), null_mut()), EINVAL);
        let mut count = 0;
        assert_eq!(rbd_config_image_list(image, null_mut(), &mut count), -34);
        assert!(count > 50, "{count} options");
        assert_eq!(rbd_resize2(image, 1 << 19, false, None, null_mut()), EINVAL);
        assert_eq!(rbd_update_features(image, 1, 1), EINVAL);
        let mut features = 0u64;
        assert_eq!(rbdrs::rbd::image::rbd_get_features(image, &mut features), 0);
        let rebuilt = if features & 8 != 0 { 0 } else { EINVAL };
        assert_eq!(rbd_rebuild_object_map(image, None, null_mut()), rebuilt);
        assert_eq!(rbd_sparsify(image, 1000), EINVAL);
        assert_eq!(rbd_read_iterate2(image, 0, 16, None, null_mut()), EINVAL);
        assert_eq!(rbd_read_iterate2(image, 2 << 20, 16, None, null_mut()), EINVAL);
        assert_eq!(rbd_diff_iterate(image, c("nosnap").as_ptr(), 0, 16, None, null_mut()), -2);
        assert_eq!(rbd_close(image), 0);
        assert_eq!(rbd_remove(io, c("img").as_ptr()), 0);
        rados_ioctx_destroy(io);
        rados_shutdown(cluster);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn application_listing_and_cluster_extras_check_their_arguments() {
    use rbdrs::rados::application::*;
    use rbdrs::rados::cluster_extras::*;
    use rbdrs::rados::ioctx_more::rados_ioctx_locator_set_key;
    use rbdrs::rados::list::*;
    use rbdrs::rados::object::{rados_read, rados_write_full};
    use rbdrs::rados::watch::rados_buffer_free;
    unsafe {
        let (app, key, val) = (c("app"), c("k"), c("v"));
        let mut len = 0usize;
        let mut len2 = 0usize;
        assert_eq!(rados_application_enable(null_mut(), app.as_ptr(), 0), EINVAL);
        assert_eq!(rados_application_list(null_mut(), null_mut(), &mut len), EINVAL);
        assert_eq!(rados_application_metadata_set(null_mut(), app.as_ptr(), key.as_ptr(), val.as_ptr()), EINVAL);
        assert!(rados_cct(null_mut()).is_null());
        assert!(rados_ioctx_cct(null_mut()).is_null());
        let mut other: rados_t = null_mut();
        assert_eq!(rados_create_with_context(&mut other, null_mut()), EINVAL);
        let mut addrs: *mut c_char = null_mut();
        assert_eq!(rados_getaddrs(null_mut(), &mut addrs), EINVAL);
        assert_eq!(rados_service_register(null_mut(), c("s").as_ptr(), c("d").as_ptr(), c("").as_ptr()), EINVAL);
        assert_eq!(rados_inconsistent_pg_list(null_mut(), 1, null_mut(), 0), EINVAL);
        assert_eq!(rados_monitor_log(null_mut(), c("info").as_ptr(), None, null_mut()), EINVAL);
        let mut lc = null_mut();
        assert_eq!(rados_nobjects_list_open(null_mut(), &mut lc), EINVAL);
        assert_eq!(rados_nobjects_list_next(null_mut(), &mut null(), null_mut(), null_mut()), EINVAL);
        rados_nobjects_list_close(null_mut());
        rados_ioctx_locator_set_key(null_mut(), key.as_ptr());

        let dir = std::env::temp_dir().join(format!("rbdrs-boundary-app-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut cluster: rados_t = null_mut();
        assert_eq!(rados_create(&mut cluster, null::<c_char>()), 0);
        assert_eq!(rados_conf_set(cluster, c("rbdrs_local_store").as_ptr(), c(dir.to_str().unwrap()).as_ptr()), 0);
        // Before connect: librados's answers.
        assert_eq!(rados_getaddrs(cluster, &mut addrs), -107);
        assert_eq!(rados_service_update_status(cluster, c("").as_ptr()), -107);
        assert_eq!(rados_monitor_log(cluster, c("info").as_ptr(), None, null_mut()), -107);
        // A handle on the same configuration sees its settings.
        let cct = rados_cct(cluster);
        assert!(!cct.is_null());
        assert_eq!(rados_create_with_context(&mut other, cct), 0);
        assert_eq!(rados_create_with_context(&mut other, cluster.cast()), EINVAL, "a rados_t is no rados_config_t");
        assert_eq!(rados_connect(cluster), 0);
        assert_eq!(rados_getaddrs(cluster, null_mut()), EINVAL);
        assert_eq!(rados_getaddrs(cluster, &mut addrs), 0);
        rados_buffer_free(addrs);
        let mut io: rados_ioctx_t = null_mut();
        assert_eq!(rados_ioctx_create(cluster, c("rbd").as_ptr(), &mut io), 0);
        assert_eq!(rados_ioctx_cct(io), cct);

        // Applications: NULL names and lengths, -ERANGE with the size.
        assert_eq!(rados_application_enable(io, null(), 0), EINVAL);
        assert_eq!(rados_application_list(io, null_mut(), null_mut()), EINVAL);
        assert_eq!(rados_application_list(io, null_mut(), &mut len), -34);
        assert_eq!(len, 4, "the store's rbd pool has the rbd application");
        assert_eq!(rados_application_enable(io, app.as_ptr(), 0), -1);
        assert_eq!(rados_application_enable(io, app.as_ptr(), 1), 0);
        assert_eq!(rados_application_metadata_set(io, app.as_ptr(), null(), val.as_ptr()), EINVAL);
        assert_eq!(rados_application_metadata_set(io, app.as_ptr(), key.as_ptr(), val.as_ptr()), 0);
        len = 0;
        assert_eq!(rados_application_metadata_get(io, app.as_ptr(), key.as_ptr(), null_mut(), null_mut()), EINVAL);
        assert_eq!(rados_application_metadata_get(io, app.as_ptr(), key.as_ptr(), null_mut(), &mut len), -34);
        assert_eq!(len, 2);
        len = 0;
        let list = rados_application_metadata_list(io, app.as_ptr(), null_mut(), &mut len, null_mut(), &mut len2);
        assert_eq!((list, len, len2), (-34, 2, 2));
        let list = rados_application_metadata_list(io, app.as_ptr(), null_mut(), null_mut(), null_mut(), &mut len2);
        assert_eq!(list, EINVAL);
        assert_eq!(rados_application_metadata_remove(io, c("none").as_ptr(), key.as_ptr()), -2);
        assert_eq!(rados_application_metadata_remove(io, app.as_ptr(), null()), EINVAL);

        // Service registration: the dict, the reserved names, once only.
        assert_eq!(rados_service_register(cluster, c("s").as_ptr(), c("d").as_ptr(), null()), EINVAL);
        assert_eq!(rados_service_register(cluster, c("osd").as_ptr(), c("d").as_ptr(), c("").as_ptr()), EINVAL);
        let meta = b"k\0v\0\0";
        assert_eq!(rados_service_register(cluster, c("s").as_ptr(), c("d").as_ptr(), meta.as_ptr().cast()), 0);
        assert_eq!(rados_service_register(cluster, c("s").as_ptr(), c("d").as_ptr(), meta.as_ptr().cast()), -17);
        assert_eq!(rados_service_update_status(cluster, null()), EINVAL);
        assert_eq!(rados_service_update_status(cluster, meta.as_ptr().cast()), 0);
        // No inconsistent pgs on the store; a length with no buffer.
        let mut buf = [1 as c_char; 8];
        assert_eq!(rados_inconsistent_pg_list(cluster, rbdrs::rados::rados_ioctx_get_id(io), buf.as_mut_ptr(), 8), 1);
        assert_eq!(buf, [0; 8]);
        assert_eq!(rados_inconsistent_pg_list(cluster, 1, null_mut(), 8), EINVAL);
        assert_eq!(rados_inconsistent_pg_list(cluster, 999, null_mut(), 0), -2);
        assert_eq!(rados_monitor_log(cluster, c("loud").as_ptr(), Some(on_log), null_mut()), EINVAL);
        assert_eq!(rados_monitor_log(cluster, null(), Some(on_log), null_mut()), EINVAL);

        // Listing and locator keys.
        assert_eq!(rados_nobjects_list_open(io, null_mut()), EINVAL);
        assert_eq!(rados_write_full(io, c("plain").as_ptr(), c("x").as_ptr(), 1), 0);
        rados_ioctx_locator_set_key(io, key.as_ptr());
        assert_eq!(rados_write_full(io, c("keyed").as_ptr(), c("y").as_ptr(), 1), 0);
        rados_ioctx_locator_set_key(io, null());
        let mut b = [0 as c_char; 4];
        assert_eq!(rados_read(io, c("keyed").as_ptr(), b.as_mut_ptr(), 4, 0), -2, "keyed objects need their key");
        assert_eq!(rados_nobjects_list_open(io, &mut lc), 0);
        assert_eq!(rados_nobjects_list_next(lc, null_mut(), null_mut(), null_mut()), EINVAL);
        let mut seen = Vec::new();
        loop {
            let (mut entry, mut k) = (null(), null());
            match rados_nobjects_list_next(lc, &mut entry, &mut k, null_mut()) {
                0 => {}
                -2 => break,
                r => panic!("list next {r}"),
            }
            let name = std::ffi::CStr::from_ptr(entry).to_str().unwrap().to_string();
            let key = (!k.is_null()).then(|| std::ffi::CStr::from_ptr(k).to_str().unwrap().to_string());
            seen.push((name, key));
        }
        seen.sort();
        assert_eq!(seen, [("keyed".to_string(), Some("k".to_string())), ("plain".to_string(), None)]);
        rados_nobjects_list_close(lc);

        rados_ioctx_destroy(io);
        rados_shutdown(cluster);
        rados_shutdown(other);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

unsafe extern "C" fn on_log(
    _: *mut std::ffi::c_void,
    _: *const c_char,
    _: *const c_char,
    _: u64,
    _: u64,
    _: u64,
    _: *const c_char,
    _: *const c_char,
) {
}

#[test]
fn cursor_osd_op_and_wrapper_calls_check_their_arguments() {
    use rbdrs::rados::ioctx_more::*;
    use rbdrs::rados::list_cursor::*;
    use rbdrs::rados::osd_ops::*;
    use rbdrs::rados::read_op::{rados_create_read_op, rados_read_op_operate, rados_release_read_op};
    use rbdrs::rados::read_op_more::*;
    use rbdrs::rados::write_op::{rados_create_write_op, rados_release_write_op, rados_write_op_operate};
    use rbdrs::rados::write_op_more::*;
    unsafe {
        let o = c("o");
        let mut out = [0 as c_char; 16];
        let init = [0xffu8; 8];
        assert_eq!(
            rados_checksum(null_mut(), o.as_ptr(), 2, init.as_ptr().cast(), 4, 0, 0, 0, out.as_mut_ptr(), 16),
            EINVAL
        );
        assert_eq!(rados_cache_pin(null_mut(), o.as_ptr()), EINVAL);
        assert_eq!(rados_set_alloc_hint(null_mut(), o.as_ptr(), 1, 1), EINVAL);
        assert!(rados_object_list_begin(null_mut()).is_null());
        assert_eq!(rados_object_list_is_end(null_mut(), null_mut()), EINVAL);
        assert_eq!(rados_object_list_cursor_cmp(null_mut(), null_mut(), null_mut()), EINVAL);
        rados_object_list_cursor_free(null_mut(), null_mut());
        rados_object_list_free(1, null_mut());
        assert_eq!(rados_nobjects_list_get_cursor(null_mut(), null_mut()), EINVAL);
        assert_eq!(rados_ioctx_get_namespace(null_mut(), out.as_mut_ptr(), 16), EINVAL);
        assert_eq!(rados_ioctx_pool_requires_alignment(null_mut()), EINVAL);
        assert_eq!(rados_ioctx_pool_required_alignment(null_mut()), 0);
        assert_eq!(rados_objects_list_next(null_mut(), null_mut(), null_mut()), -95);
        // Read and write op actions with NULL arguments make operate fail.
        let r = rados_create_read_op();
        rados_read_op_cmpxattr(r, null(), 1, null(), 0);
        rados_read_op_exec(r, null(), null(), null(), 0, null_mut(), null_mut(), null_mut());
        rados_read_op_omap_get_vals_by_keys2(r, null(), 1, null(), null_mut(), null_mut());
        rados_read_op_checksum(r, 2, null(), 4, 0, 0, 0, null_mut(), 0, null_mut());
        rados_read_op_omap_cmp2(r, null(), 1, null(), 1, 0, null_mut());
        rados_read_op_getxattrs(r, null_mut(), null_mut());
        rados_release_read_op(r);
        let w = rados_create_write_op();
        rados_write_op_omap_set2(w, null(), null(), null(), null(), 1);
        rados_write_op_omap_rm_keys2(w, null(), null(), 1);
        rados_write_op_cmpxattr(w, null(), 1, null(), 0);
        rados_write_op_set_alloc_hint2(null_mut(), 1, 1, 0);
        rados_release_write_op(w);

        let dir = std::env::temp_dir().join(format!("rbdrs-boundary-cur-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut cluster: rados_t = null_mut();
        assert_eq!(rados_create(&mut cluster, null::<c_char>()), 0);
        assert_eq!(rados_conf_set(cluster, c("rbdrs_local_store").as_ptr(), c(dir.to_str().unwrap()).as_ptr()), 0);
        assert_eq!(rados_connect(cluster), 0);
        let mut io: rados_ioctx_t = null_mut();
        assert_eq!(rados_ioctx_create(cluster, c("rbd").as_ptr(), &mut io), 0);
        let r = rados_create_read_op();
        rados_read_op_cmpxattr(r, null(), 1, null(), 0);
        assert_eq!(rados_read_op_operate(r, io, o.as_ptr(), 0), EINVAL);
        rados_release_read_op(r);
        let w = rados_create_write_op();
        rados_write_op_omap_set2(w, null(), null(), null(), null(), 1);
        assert_eq!(rados_write_op_operate(w, io, o.as_ptr(), null_mut(), 0), EINVAL);
        rados_release_write_op(w);
        let sum = rados_checksum(io, o.as_ptr(), 2, null(), 4, 0, 0, 0, out.as_mut_ptr(), 16);
        assert_eq!(sum, EINVAL, "no initial value");
        assert_eq!(rados_checksum(io, o.as_ptr(), 2, init.as_ptr().cast(), 4, 0, 0, 0, null_mut(), 16), EINVAL);
        let (begin, end) = (rados_object_list_begin(io), rados_object_list_end(io));
        let mut items = [rbdrs::types::rados_object_list_item {
            oid_length: 0,
            oid: null_mut(),
            nspace_length: 0,
            nspace: null_mut(),
            locator_length: 0,
            locator: null_mut(),
        }; 2];
        assert_eq!(rados_object_list(io, begin, end, 2, null(), 0, items.as_mut_ptr(), null_mut()), EINVAL);
        let mut next = rados_object_list_begin(io);
        assert_eq!(rados_object_list(io, end, begin, 2, null(), 0, items.as_mut_ptr(), &mut next), EINVAL);
        assert_eq!(rados_object_list(io, begin, end, 0, null(), 0, items.as_mut_ptr(), &mut next), EINVAL);
        assert_eq!(rados_object_list(io, begin, end, 2, c("f").as_ptr(), 1, items.as_mut_ptr(), &mut next), -95);
        assert_eq!(rados_object_list(io, begin, end, 2, null(), 0, items.as_mut_ptr(), &mut next), 0);
        assert_eq!(rados_object_list_is_end(io, next), 1, "an empty pool is listed at once");
        rados_object_list_slice(io, begin, end, 3, 2, null_mut(), null_mut());
        for cur in [begin, end, next] {
            rados_object_list_cursor_free(io, cur);
        }
        rados_ioctx_destroy(io);
        rados_shutdown(cluster);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn more_aio_calls_check_their_arguments() {
    use rbdrs::rados::aio_more::*;
    unsafe {
        let (o, n) = (c("o"), c("n"));
        let mut buf = [0 as c_char; 4];
        let aio = rados_aio_getxattr(null_mut(), o.as_ptr(), null_mut(), n.as_ptr(), buf.as_mut_ptr(), 4);
        assert_eq!(aio, EINVAL);
        assert_eq!(rados_aio_getxattr(null_mut(), o.as_ptr(), null_mut(), null(), buf.as_mut_ptr(), 4), EINVAL);
        assert_eq!(rados_aio_getxattrs(null_mut(), o.as_ptr(), null_mut(), null_mut()), EINVAL);
        assert_eq!(rados_aio_unlock(null_mut(), o.as_ptr(), null(), n.as_ptr(), null_mut()), EINVAL);
        rados_aio_ioctx_selfmanaged_snap_create(null_mut(), null_mut(), null_mut());
        rados_aio_ioctx_selfmanaged_snap_remove(null_mut(), 1, null_mut());
        assert_eq!(rados_notify(null_mut(), o.as_ptr(), 0, null(), 0), EINVAL);
        let mut handle = 0u64;
        let watch = rbdrs::rados::watch_v1::rados_watch(null_mut(), o.as_ptr(), 0, &mut handle, None, null_mut());
        assert_eq!(watch, EINVAL);
        assert_eq!(rbdrs::rados::watch_v1::rados_unwatch(null_mut(), o.as_ptr(), 1), EINVAL);
    }
}

/// rados_aio_cancel and the release floors refuse NULL handles and
/// pointers; the floors are -EOPNOTSUPP on the embedded store.
#[test]
fn cancel_and_release_floors_check_their_arguments() {
    use rbdrs::rados::aio::{rados_aio_cancel, rados_aio_create_completion2, rados_aio_release};
    use rbdrs::rados::release::{rados_get_min_compatible_client, rados_get_min_compatible_osd};
    use rbdrs::types::rados_completion_t;
    unsafe {
        let (mut a, mut b) = (0i8, 0i8);
        assert_eq!(rados_aio_cancel(null_mut(), null_mut()), EINVAL);
        assert_eq!(rados_get_min_compatible_client(null_mut(), &mut a, &mut b), EINVAL);
        assert_eq!(rados_get_min_compatible_osd(null_mut(), &mut a), EINVAL);
        let (cluster, io, dir) = local_pool("floors");
        assert_eq!(rados_get_min_compatible_client(cluster, null_mut(), &mut b), EINVAL);
        assert_eq!(rados_get_min_compatible_osd(cluster, null_mut()), EINVAL);
        assert_eq!(rados_get_min_compatible_osd(cluster, &mut a), -95);
        let mut c: rados_completion_t = null_mut();
        assert_eq!(rados_aio_create_completion2(null_mut(), None, &mut c), 0);
        assert_eq!(rados_aio_cancel(io, null_mut()), EINVAL);
        assert_eq!(rados_aio_cancel(cluster.cast(), c), EINVAL, "a cluster is no ioctx");
        assert_eq!(rados_aio_cancel(io, c), 0, "nothing in flight: nothing to do");
        rados_aio_release(c);
        rados_ioctx_destroy(io);
        rados_shutdown(cluster);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Reef's timespec variants: a write stamped with an mtime to the
/// nanosecond reads back the same through rados_aio_stat2.
#[test]
fn reef_timespec_variants_keep_nanoseconds() {
    use rbdrs::rados::aio::{
        rados_aio_create_completion2, rados_aio_get_return_value, rados_aio_release, rados_aio_stat2,
        rados_aio_wait_for_complete,
    };
    use rbdrs::rados::write_op::{
        rados_aio_write_op_operate2, rados_create_write_op, rados_release_write_op, rados_write_op_write_full,
    };
    use rbdrs::types::{rados_completion_t, timespec};
    unsafe {
        let (cluster, io, dir) = local_pool("reef");
        let op = rados_create_write_op();
        rados_write_op_write_full(op, c("abc").as_ptr(), 3);
        let mut stamp = timespec { tv_sec: 1_457_129_052, tv_nsec: 123_456_789 };
        let mut comp: rados_completion_t = null_mut();
        assert_eq!(rados_aio_create_completion2(null_mut(), None, &mut comp), 0);
        assert_eq!(rados_aio_write_op_operate2(op, io, comp, c("o").as_ptr(), &mut stamp, 0), 0);
        assert_eq!(rados_aio_wait_for_complete(comp), 0);
        assert_eq!(rados_aio_get_return_value(comp), 0);
        rados_aio_release(comp);
        rados_release_write_op(op);
        let (mut size, mut mtime) = (0u64, timespec { tv_sec: 0, tv_nsec: 0 });
        assert_eq!(rados_aio_create_completion2(null_mut(), None, &mut comp), 0);
        assert_eq!(rados_aio_stat2(io, c("o").as_ptr(), comp, &mut size, &mut mtime), 0);
        assert_eq!(rados_aio_wait_for_complete(comp), 0);
        assert_eq!(rados_aio_get_return_value(comp), 0);
        rados_aio_release(comp);
        assert_eq!((size, mtime.tv_sec, mtime.tv_nsec), (3, 1_457_129_052, 123_456_789));
        assert_eq!(rados_aio_stat2(null_mut(), c("o").as_ptr(), null_mut(), &mut size, &mut mtime), EINVAL);
        rados_ioctx_destroy(io);
        rados_shutdown(cluster);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
