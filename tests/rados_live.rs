//! librados on a real cluster: objects written through librbdrs are what
//! upstream's `rados get` reads, objects `rados put` wrote read back the
//! same through librbdrs, class methods run, in crc and in secure mode, and
//! a wrong key fails fast.
//!
//! Needs the project's throwaway cluster, so it is ignored by default:
//!   tests/cluster/ceph-cluster.sh start 3 && eval "$(tests/cluster/ceph-cluster.sh env)"
//!   cargo test -p rbdrs-tests --test rados_live -- --ignored --test-threads 1
//! (tests/run-all.sh does this.)

use std::ffi::{c_char, CString};
use std::process::Command;
use std::ptr::{null, null_mut};
use std::time::{Duration, Instant};

use rbdrs::rados::object::{rados_exec, rados_read, rados_remove, rados_write_full};
use rbdrs::rados::{
    rados_conf_read_file, rados_conf_set, rados_connect, rados_create, rados_ioctx_create, rados_ioctx_destroy,
    rados_pool_lookup, rados_shutdown,
};
use rbdrs::types::{rados_ioctx_t, rados_t};

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn conf() -> String {
    std::env::var("CEPH_CONF").expect("CEPH_CONF: eval \"$(tests/cluster/ceph-cluster.sh env)\" first")
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map(|d| d.count()).unwrap_or(0)
}

/// Connects with `settings` on top of the cluster's ceph.conf.
fn connect(settings: &[(&str, &str)]) -> Result<(rados_t, Duration), i32> {
    unsafe {
        let mut cluster: rados_t = null_mut();
        assert_eq!(rados_create(&mut cluster, null()), 0);
        assert_eq!(rados_conf_read_file(cluster, c(&conf()).as_ptr()), 0);
        for (k, v) in settings {
            assert_eq!(rados_conf_set(cluster, c(k).as_ptr(), c(v).as_ptr()), 0, "{k}");
        }
        let start = Instant::now();
        let r = rados_connect(cluster);
        let took = start.elapsed();
        if r < 0 {
            rados_shutdown(cluster);
            return Err(r);
        }
        Ok((cluster, took))
    }
}

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn rados_cli(args: &[&str]) -> std::process::Output {
    let out = Command::new("rados").arg("--conf").arg(conf()).args(args).output().expect("rados CLI");
    assert!(out.status.success(), "rados {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn read_all(io: rados_ioctx_t, oid: &str, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len + 1];
    let n = unsafe { rados_read(io, c(oid).as_ptr(), buf.as_mut_ptr() as *mut c_char, buf.len(), 0) };
    assert!(n >= 0, "rados_read {oid}: {n}");
    buf.truncate(n as usize);
    buf
}

fn interop(mode: &str) {
    let before = threads();
    let (cluster, took) = connect(&[("ms_client_mode", mode), ("ms_mon_client_mode", mode)]).expect("connect");
    eprintln!("{mode}: rados_connect took {took:?}; threads {before} -> {}", threads());
    unsafe {
        assert!(rados_pool_lookup(cluster, c("rbd").as_ptr()) >= 0);
        assert_eq!(rados_pool_lookup(cluster, c("no-such-pool").as_ptr()), -2);
        let mut io: rados_ioctx_t = null_mut();
        assert_eq!(rados_ioctx_create(cluster, c("rbd").as_ptr(), &mut io), 0);

        // librbdrs writes, upstream reads.
        let ours = format!("rbdrs-live-{mode}-ours");
        let data = random_bytes(3 << 20, 7);
        assert_eq!(rados_write_full(io, c(&ours).as_ptr(), data.as_ptr() as *const c_char, data.len()), 0);
        let file = std::env::temp_dir().join(format!("rbdrs-live-{mode}-{}", std::process::id()));
        rados_cli(&["-p", "rbd", "get", &ours, file.to_str().unwrap()]);
        assert!(std::fs::read(&file).unwrap() == data, "rados get saw other bytes");

        // Upstream writes, librbdrs reads.
        let theirs = format!("rbdrs-live-{mode}-theirs");
        let data = random_bytes((1 << 20) + 123, 11);
        std::fs::write(&file, &data).unwrap();
        rados_cli(&["-p", "rbd", "put", &theirs, file.to_str().unwrap()]);
        assert!(read_all(io, &theirs, data.len()) == data, "librbdrs read other bytes");
        std::fs::remove_file(&file).unwrap();

        // An object class: cls_lock's get_info on an unlocked object.
        let mut input = Vec::new();
        input.extend_from_slice(&[1, 1, 10, 0, 0, 0]);
        input.extend_from_slice(&6u32.to_le_bytes());
        input.extend_from_slice(b"mylock");
        let mut out = vec![0u8; 4096];
        let r = rados_exec(
            io,
            c(&theirs).as_ptr(),
            c("lock").as_ptr(),
            c("get_info").as_ptr(),
            input.as_ptr() as *const c_char,
            input.len(),
            out.as_mut_ptr() as *mut c_char,
            out.len(),
        );
        assert!(r > 0, "cls lock.get_info: {r}");

        for oid in [&ours, &theirs] {
            assert_eq!(rados_remove(io, c(oid).as_ptr()), 0);
        }
        let mut buf = [0u8; 8];
        let gone = rados_read(io, c(&ours).as_ptr(), buf.as_mut_ptr() as *mut c_char, buf.len(), 0);
        assert_eq!(gone, -2, "a removed object is ENOENT");
        rados_ioctx_destroy(io);
        rados_shutdown(cluster);
    }
}

#[test]
#[ignore = "needs a cluster: see the module docs"]
fn crc_mode_interop() {
    interop("crc");
}

#[test]
#[ignore = "needs a cluster: see the module docs"]
fn secure_mode_interop() {
    interop("secure");
}

#[test]
#[ignore = "needs a cluster: see the module docs"]
fn a_wrong_key_fails_fast() {
    let start = Instant::now();
    let r = connect(&[("key", "AQBzDnVnAAAAABAAmCaYkxqmvmKGYLwAuYNBCA=="), ("keyring", "/nonexistent")]);
    let took = start.elapsed();
    assert_eq!(r.err(), Some(-13), "expected -EACCES");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    eprintln!("wrong key refused in {took:?}");
}
