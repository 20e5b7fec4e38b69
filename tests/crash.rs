//! A write that rbd_flush acknowledged survives the writer being killed
//! with SIGKILL (the embedded store's promise), tested through the same C
//! calls QEMU makes, with the cache off and in writeback mode (where only
//! the flush moves acknowledged data out of the process). The test re-runs
//! itself as the writer.

use std::ffi::{c_char, c_int, CString};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::ptr::null_mut;

use rbdrs::rados::{
    rados_conf_set, rados_connect, rados_create, rados_ioctx_create, rados_ioctx_destroy, rados_shutdown, Cluster,
    PoolCtx,
};
use rbdrs::rbd::admin::rbd_create;
use rbdrs::rbd::image::{rbd_close, rbd_open};
use rbdrs::rbd::io::{rbd_aio_create_completion, rbd_aio_write, rbd_flush, rbd_read, rbd_write};
use rbdrs::rbd::Image;

const BLOCK: usize = 4096;
const CHILD: &str = "RBDRS_CRASH_WRITER_STORE";

/// Writeback where nothing but a flush (or close) writes data back: the
/// age and dirty limits are far away.
const WRITEBACK: &[(&str, &str)] = &[
    ("rbd_cache", "true"),
    ("rbd_cache_policy", "writeback"),
    ("rbd_cache_writethrough_until_flush", "false"),
    ("rbd_cache_max_dirty_age", "600"),
];

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn check(what: &str, r: c_int) {
    assert!(r >= 0, "{what} failed: {r}");
}

/// Connects to the store in `dir` and opens (creating if asked) "disk".
unsafe fn open_disk(dir: &str, create: bool, options: &[(&str, &str)]) -> (*mut Cluster, *mut PoolCtx, *mut Image) {
    let (mut cluster, mut io, mut image) = (null_mut(), null_mut(), null_mut());
    unsafe {
        check("rados_create", rados_create(&mut cluster, null_mut::<c_char>()));
        check("rados_conf_set", rados_conf_set(cluster, c("rbdrs_local_store").as_ptr(), c(dir).as_ptr()));
        for (k, v) in options {
            check(k, rados_conf_set(cluster, c(k).as_ptr(), c(v).as_ptr()));
        }
        check("rados_connect", rados_connect(cluster));
        check("rados_ioctx_create", rados_ioctx_create(cluster, c("rbd").as_ptr(), &mut io));
        if create {
            let mut order = 0;
            check("rbd_create", rbd_create(io, c("disk").as_ptr(), 64 << 20, &mut order));
        }
        check("rbd_open", rbd_open(io, c("disk").as_ptr(), &mut image, std::ptr::null()));
    }
    (cluster, io, image)
}

fn pattern(block: usize) -> Vec<u8> {
    (0..BLOCK).map(|i| (block * 31 + i) as u8).collect()
}

/// The writer: writes blocks forever, flushing every eighth and saying so.
/// With the cache it writes with aio and never waits, so acknowledged but
/// unflushed writes are always in the cache when it is killed.
fn writer(dir: &str, cached: bool) -> ! {
    let options = if cached { WRITEBACK } else { &[] };
    let (_, _, image) = unsafe { open_disk(dir, true, options) };
    for block in 0.. {
        let data = pattern(block);
        if cached {
            let mut c = null_mut();
            check("rbd_aio_create_completion", unsafe { rbd_aio_create_completion(null_mut(), None, &mut c) });
            // The completion is left to the kill: nothing waits for it.
            check("rbd_aio_write", unsafe {
                rbd_aio_write(image, (block * BLOCK) as u64, BLOCK, data.as_ptr().cast(), c)
            });
        } else {
            let written = unsafe { rbd_write(image, (block * BLOCK) as u64, BLOCK, data.as_ptr().cast()) };
            assert_eq!(written, BLOCK as isize);
        }
        if block % 8 == 7 {
            check("rbd_flush", unsafe { rbd_flush(image) });
            println!("flushed {block}");
        }
    }
    unreachable!()
}

#[test]
fn flushed_writes_survive_kill_9() {
    survive_kill_9("flushed_writes_survive_kill_9", false);
}

#[test]
fn flushed_writes_survive_kill_9_with_writeback_cache() {
    survive_kill_9("flushed_writes_survive_kill_9_with_writeback_cache", true);
}

fn survive_kill_9(test: &str, cached: bool) {
    if let Ok(dir) = std::env::var(CHILD) {
        writer(&dir, cached);
    }
    let dir = std::env::temp_dir().join(format!("rbdrs-crash-{}-{cached}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir = dir.to_str().unwrap().to_string();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture"])
        .env(CHILD, &dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut flushed = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("flushed ") {
            flushed = Some(n.parse::<usize>().unwrap());
            if flushed >= Some(200) {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no close, the lock held
    child.wait().unwrap();
    let flushed = flushed.expect("the writer never flushed");

    // Reopening breaks the dead writer's lock and finds every flushed block.
    let (cluster, io, image) = unsafe { open_disk(&dir, false, &[("rbd_cache", "false")]) };
    let mut buf = vec![0u8; BLOCK];
    for block in 0..=flushed {
        let read = unsafe { rbd_read(image, (block * BLOCK) as u64, BLOCK, buf.as_mut_ptr().cast()) };
        assert_eq!(read, BLOCK as isize);
        assert!(buf == pattern(block), "block {block} (flushed through {flushed}) was lost");
    }
    unsafe {
        check("rbd_close", rbd_close(image));
        rados_ioctx_destroy(io);
        rados_shutdown(cluster);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
