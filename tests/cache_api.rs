//! The writeback cache as librbd's users meet it, through the C calls QEMU
//! and fio make, on the embedded local store: a seeded random mix of aio
//! writes, reads, discards and flushes with a cache small enough that
//! write-back and blocked writers happen, every read checked against a
//! model, and everything acknowledged found again after close and reopen.

use std::ffi::{c_char, c_int, c_void, CString};
use std::ptr::null_mut;

use rbdrs::rados::{
    rados_conf_set, rados_connect, rados_create, rados_ioctx_create, rados_ioctx_destroy, rados_shutdown, Cluster,
    PoolCtx,
};
use rbdrs::rbd::admin::rbd_create;
use rbdrs::rbd::image::{rbd_close, rbd_invalidate_cache, rbd_open, rbd_open_read_only};
use rbdrs::rbd::io::{
    rbd_aio_create_completion, rbd_aio_discard, rbd_aio_flush, rbd_aio_get_return_value, rbd_aio_read, rbd_aio_release,
    rbd_aio_wait_for_complete, rbd_aio_write, rbd_flush, rbd_read, rbd_write,
};
use rbdrs::rbd::Image;

const SIZE: usize = 8 << 20;
const MAX_DIRTY: u64 = 128 << 10;
const SECTOR: usize = 512;

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn check(what: &str, r: c_int) {
    assert!(r >= 0, "{what} failed: {r}");
}

/// A fresh local store in a temporary directory, removed on drop.
struct Store(std::path::PathBuf);

impl Store {
    fn new(tag: &str) -> Store {
        let dir = std::env::temp_dir().join(format!("rbdrs-cache-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Store(dir)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Conn(*mut Cluster, *mut PoolCtx);

impl Conn {
    /// Connects with `options` set first (as QEMU sets rbd_cache).
    fn new(store: &Store, options: &[(&str, &str)]) -> Conn {
        let (mut cluster, mut io) = (null_mut(), null_mut());
        unsafe {
            check("rados_create", rados_create(&mut cluster, null_mut::<c_char>()));
            check("conf", rados_conf_set(cluster, c("rbdrs_local_store").as_ptr(), c(store.path()).as_ptr()));
            for (k, v) in options {
                check(k, rados_conf_set(cluster, c(k).as_ptr(), c(v).as_ptr()));
            }
            check("rados_connect", rados_connect(cluster));
            check("rados_ioctx_create", rados_ioctx_create(cluster, c("rbd").as_ptr(), &mut io));
        }
        Conn(cluster, io)
    }

    fn set(&self, key: &str, value: &str) {
        check(key, unsafe { rados_conf_set(self.0, c(key).as_ptr(), c(value).as_ptr()) });
    }

    fn create(&self, name: &str) {
        let mut order: c_int = 20;
        check("rbd_create", unsafe { rbd_create(self.1, c(name).as_ptr(), SIZE as u64, &mut order) });
    }

    fn open(&self, name: &str, read_only: bool) -> *mut Image {
        let mut image = null_mut();
        let r = unsafe {
            if read_only {
                rbd_open_read_only(self.1, c(name).as_ptr(), &mut image, std::ptr::null())
            } else {
                rbd_open(self.1, c(name).as_ptr(), &mut image, std::ptr::null())
            }
        };
        check("rbd_open", r);
        image
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        unsafe {
            rados_ioctx_destroy(self.1);
            rados_shutdown(self.0);
        }
    }
}

/// Writeback with room for a few writes only, and no grace period of
/// write-through before the first flush.
const WRITEBACK: &[(&str, &str)] = &[
    ("rbd_cache", "true"),
    ("rbd_cache_policy", "writeback"),
    ("rbd_cache_size", "262144"),
    ("rbd_cache_max_dirty", "131072"),
    ("rbd_cache_target_dirty", "65536"),
    ("rbd_cache_max_dirty_age", "0.05"),
    ("rbd_cache_writethrough_until_flush", "false"),
    // Discard zeroes exactly, so that the model knows what it leaves.
    ("rbd_skip_partial_discard", "false"),
];

/// xorshift64*: a small seeded generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

enum Kind {
    /// The buffer the read fills, what the model held when it was issued,
    /// and which bytes a concurrent mutation may have changed.
    Read {
        buf: Box<[u8]>,
        expected: Vec<u8>,
        unsure: Vec<bool>,
    },
    Mutation,
    Flush,
}

struct Op {
    c: *mut c_void,
    off: usize,
    len: usize,
    kind: Kind,
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.0 + b.1 && b.0 < a.0 + a.1
}

/// Marks in `read` the bytes a mutation of `m` may change.
fn mark(read: &mut Op, m: (usize, usize)) {
    if let Kind::Read { unsure, .. } = &mut read.kind {
        if overlaps((read.off, read.len), m) {
            let (s, e) = (m.0.max(read.off), (m.0 + m.1).min(read.off + read.len));
            unsure[s - read.off..e - read.off].iter_mut().for_each(|u| *u = true);
        }
    }
}

fn finish(op: Op, seed: u64) {
    unsafe {
        check("rbd_aio_wait_for_complete", rbd_aio_wait_for_complete(op.c));
        let r = rbd_aio_get_return_value(op.c);
        rbd_aio_release(op.c);
        match op.kind {
            Kind::Read { buf, expected, unsure } => {
                assert_eq!(r, op.len as isize, "seed {seed}: read at {} failed", op.off);
                for i in 0..op.len {
                    assert!(
                        unsure[i] || buf[i] == expected[i],
                        "seed {seed}: byte {} read {} but the model has {}",
                        op.off + i,
                        buf[i],
                        expected[i]
                    );
                }
            }
            // librbd completes aio writes and discards with 0 (tests/c/compat.c
            // checks it against upstream).
            Kind::Mutation => assert_eq!(r, 0, "seed {seed}: mutation at {} failed", op.off),
            Kind::Flush => assert_eq!(r, 0, "seed {seed}: flush failed"),
        }
    }
}

fn completion() -> *mut c_void {
    let mut c = null_mut();
    check("rbd_aio_create_completion", unsafe { rbd_aio_create_completion(null_mut(), None, &mut c) });
    c
}

#[test]
fn random_aio_mix_matches_the_model_and_survives_reopen() {
    let seed = std::env::var("RBDRS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_cafe_u64);
    let mut rng = Rng(seed | 1);
    let store = Store::new("mix");
    let conn = Conn::new(&store, WRITEBACK);
    conn.create("disk");
    let image = conn.open("disk", false);
    let cache = unsafe { &*image }.cache().cloned().expect("rbd_cache=true gives the image a cache");
    let mut model = vec![0u8; SIZE];
    let mut inflight: std::collections::VecDeque<Op> = Default::default();
    let (mut max_dirty_seen, mut writes) = (0u64, 0);
    for _ in 0..3000 {
        if inflight.len() >= 16 {
            finish(inflight.pop_front().unwrap(), seed);
        }
        let len = (1 + rng.below(128) as usize) * SECTOR;
        let off = rng.below(((SIZE - len) / SECTOR) as u64) as usize * SECTOR;
        let c = completion();
        let choice = rng.below(100);
        let op = if choice < 45 {
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            inflight.iter_mut().for_each(|r| mark(r, (off, len)));
            model[off..off + len].copy_from_slice(&data);
            check("rbd_aio_write", unsafe { rbd_aio_write(image, off as u64, len, data.as_ptr().cast(), c) });
            writes += 1;
            Op { c, off, len, kind: Kind::Mutation }
        } else if choice < 85 {
            let mut unsure = vec![false; len];
            for m in inflight.iter().filter(|o| matches!(o.kind, Kind::Mutation)) {
                if overlaps((off, len), (m.off, m.len)) {
                    let (s, e) = (m.off.max(off), (m.off + m.len).min(off + len));
                    unsure[s - off..e - off].iter_mut().for_each(|u| *u = true);
                }
            }
            let mut buf = vec![0u8; len].into_boxed_slice();
            check("rbd_aio_read", unsafe { rbd_aio_read(image, off as u64, len, buf.as_mut_ptr().cast(), c) });
            Op { c, off, len, kind: Kind::Read { buf, expected: model[off..off + len].to_vec(), unsure } }
        } else if choice < 95 {
            inflight.iter_mut().for_each(|r| mark(r, (off, len)));
            model[off..off + len].fill(0);
            check("rbd_aio_discard", unsafe { rbd_aio_discard(image, off as u64, len as u64, c) });
            Op { c, off, len, kind: Kind::Mutation }
        } else {
            check("rbd_aio_flush", unsafe { rbd_aio_flush(image, c) });
            Op { c, off: 0, len: 0, kind: Kind::Flush }
        };
        inflight.push_back(op);
        let dirty = cache.dirty_bytes();
        assert!(dirty <= MAX_DIRTY, "seed {seed}: {dirty} dirty bytes, above rbd_cache_max_dirty");
        max_dirty_seen = max_dirty_seen.max(dirty);
    }
    while let Some(op) = inflight.pop_front() {
        finish(op, seed);
    }
    assert!(writes > 1000);
    // Writeback really held acknowledged data back.
    assert!(max_dirty_seen > 0, "seed {seed}: the cache never held dirty data");

    check("rbd_flush", unsafe { rbd_flush(image) });
    assert_eq!(cache.dirty_bytes(), 0, "seed {seed}: dirty data left after rbd_flush");
    check("rbd_close", unsafe { rbd_close(image) });
    drop(conn);

    // Without a cache the store itself answers.
    let conn = Conn::new(&store, &[("rbd_cache", "false")]);
    let image = conn.open("disk", true);
    assert!(unsafe { &*image }.cache().is_none());
    let mut all = vec![0u8; SIZE];
    assert_eq!(unsafe { rbd_read(image, 0, SIZE, all.as_mut_ptr().cast()) }, SIZE as isize);
    if let Some(i) = (0..SIZE).find(|&i| all[i] != model[i]) {
        panic!("seed {seed}: after reopen byte {i} is {} but {} was acknowledged", all[i], model[i]);
    }
    check("rbd_close", unsafe { rbd_close(image) });
}

/// A writeback cache's dirty data reaches the store by itself once older
/// than rbd_cache_max_dirty_age (the executor's timer), and rbd_close
/// writes back the rest.
#[test]
fn dirty_data_is_written_back_by_age_and_on_close() {
    let store = Store::new("age");
    let conn = Conn::new(&store, WRITEBACK);
    conn.set("rbd_cache_max_dirty_age", "0.2");
    conn.create("disk");
    let image = conn.open("disk", false);
    let cache = unsafe { &*image }.cache().cloned().unwrap();
    let data = vec![0xa5u8; 4096];
    assert_eq!(unsafe { rbd_write(image, 0, data.len(), data.as_ptr().cast()) }, 4096);
    assert_eq!(cache.dirty_bytes(), 4096, "writeback acknowledges from the cache");
    let start = std::time::Instant::now();
    while cache.dirty_bytes() > 0 {
        assert!(start.elapsed() < std::time::Duration::from_secs(5), "dirty data never written back by age");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(start.elapsed() >= std::time::Duration::from_millis(150), "written back before it was due");

    // A second handle without a cache sees it in the store.
    conn.set("rbd_cache", "false");
    let reader = conn.open("disk", true);
    let mut buf = vec![0u8; 4096];
    assert_eq!(unsafe { rbd_read(reader, 0, 4096, buf.as_mut_ptr().cast()) }, 4096);
    assert_eq!(buf, data);
    check("rbd_close", unsafe { rbd_close(reader) });

    // Close without a flush writes back what is still dirty.
    conn.set("rbd_cache_max_dirty_age", "60");
    conn.set("rbd_cache", "true");
    check("rbd_close", unsafe { rbd_close(image) });
    let image = conn.open("disk", false);
    let cache = unsafe { &*image }.cache().cloned().unwrap();
    let data2 = vec![0x5au8; 8192];
    assert_eq!(unsafe { rbd_write(image, 4096, data2.len(), data2.as_ptr().cast()) }, 8192);
    assert_eq!(cache.dirty_bytes(), 8192);
    check("rbd_close", unsafe { rbd_close(image) });
    conn.set("rbd_cache", "false");
    let reader = conn.open("disk", true);
    let mut buf = vec![0u8; 8192];
    assert_eq!(unsafe { rbd_read(reader, 4096, 8192, buf.as_mut_ptr().cast()) }, 8192);
    assert_eq!(buf, data2, "rbd_close lost the cache's dirty data");
    check("rbd_close", unsafe { rbd_close(reader) });
}

/// rbd_invalidate_cache writes back and then drops what is cached; writes
/// to a read-only open are refused before any cache could take them.
#[test]
fn invalidate_writes_back_and_read_only_refuses_writes() {
    let store = Store::new("inval");
    let conn = Conn::new(&store, WRITEBACK);
    conn.set("rbd_cache_max_dirty_age", "60");
    conn.create("disk");
    let image = conn.open("disk", false);
    let cache = unsafe { &*image }.cache().cloned().unwrap();
    let data = vec![7u8; 4096];
    assert_eq!(unsafe { rbd_write(image, 8192, 4096, data.as_ptr().cast()) }, 4096);
    assert_eq!(cache.dirty_bytes(), 4096);
    check("rbd_invalidate_cache", unsafe { rbd_invalidate_cache(image) });
    assert_eq!(cache.dirty_bytes(), 0);
    let mut buf = vec![0u8; 4096];
    assert_eq!(unsafe { rbd_read(image, 8192, 4096, buf.as_mut_ptr().cast()) }, 4096);
    assert_eq!(buf, data);

    let reader = conn.open("disk", true);
    assert!(unsafe { &*reader }.cache().is_some(), "librbd caches reads of read-only opens too");
    assert_eq!(unsafe { rbd_write(reader, 0, 4096, data.as_ptr().cast()) }, -30); // EROFS
    assert_eq!(unsafe { rbd_read(reader, 8192, 4096, buf.as_mut_ptr().cast()) }, 4096);
    assert_eq!(buf, data);
    check("rbd_close", unsafe { rbd_close(reader) });
    check("rbd_close", unsafe { rbd_close(image) });
}

/// Image metadata `conf_rbd_cache*` overrides the connection's options at
/// open, as librbd's per-image configuration does.
#[test]
fn image_metadata_overrides_cache_options() {
    use rbdrs_core::cls::rbd::client as cls;
    use rbdrs_core::osd::ObjectOperation;

    let store = Store::new("meta");
    let conn = Conn::new(&store, WRITEBACK);
    conn.create("disk");
    let image = conn.open("disk", false);
    let img = unsafe { &*image };
    assert_eq!(img.cache().unwrap().config().size, 256 << 10);
    let ictx = img.ctx().unwrap();
    let set = img.connection().run_admin(async move {
        let mut op = ObjectOperation::new();
        let mut map = std::collections::BTreeMap::new();
        map.insert("conf_rbd_cache_size".to_string(), bytes::Bytes::from_static(b"1048576"));
        map.insert("conf_rbd_cache_policy".to_string(), bytes::Bytes::from_static(b"writethrough"));
        map.insert("conf_rbd_other".to_string(), bytes::Bytes::from_static(b"x"));
        cls::metadata_set(&mut op, &map);
        ictx.io.exec(&ictx.header_object(), op).await.map(drop)
    });
    set.unwrap().unwrap();
    check("rbd_close", unsafe { rbd_close(image) });

    let image = conn.open("disk", false);
    let config = unsafe { &*image }.cache().unwrap().config();
    assert_eq!(config.size, 1 << 20);
    assert_eq!(config.policy, rbdrs_core::cache::CachePolicy::WriteThrough);
    assert_eq!(config.max_dirty, MAX_DIRTY, "options without an override keep the connection's value");
    check("rbd_close", unsafe { rbd_close(image) });
}

/// With rbd_cache_block_writes_upfront the submitting thread waits (on a
/// condition variable, bounded) while a write waits for room; aio writes
/// far beyond rbd_cache_max_dirty still all complete, in order.
#[test]
fn writes_blocked_upfront_complete() {
    let store = Store::new("upfront");
    let conn = Conn::new(&store, WRITEBACK);
    conn.set("rbd_cache_block_writes_upfront", "true");
    conn.create("disk");
    let image = conn.open("disk", false);
    let cache = unsafe { &*image }.cache().cloned().unwrap();
    assert!(cache.config().block_writes_upfront);
    // 4 MiB through a 128 KiB dirty limit, overlapping so that order matters.
    let mut ops = Vec::new();
    for i in 0..1024usize {
        let data = vec![(i % 251) as u8; 8192];
        let c = completion();
        check("rbd_aio_write", unsafe {
            rbd_aio_write(image, ((i * 4096) % (1 << 20)) as u64, data.len(), data.as_ptr().cast(), c)
        });
        assert!(cache.dirty_bytes() <= MAX_DIRTY);
        ops.push(Op { c, off: 0, len: 8192, kind: Kind::Mutation });
    }
    ops.into_iter().for_each(|op| finish(op, 0));
    let mut buf = vec![0u8; 4096];
    for block in 0..256usize {
        assert_eq!(unsafe { rbd_read(image, (block * 4096) as u64, 4096, buf.as_mut_ptr().cast()) }, 4096);
        // The last write covering the block: i = block + 256k (or block - 1 + 256k).
        let last = (0..1024usize)
            .filter(|i| (i * 4096) % (1 << 20) / 4096 == block || ((i * 4096) % (1 << 20) / 4096 + 1) == block)
            .max()
            .unwrap();
        assert!(buf.iter().all(|&b| b == (last % 251) as u8), "block {block}");
    }
    check("rbd_close", unsafe { rbd_close(image) });
}
