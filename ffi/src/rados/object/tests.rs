//! The librados object, aio and compound-op exports, driven as C drives
//! them, against a local store in a fresh directory per test.

use crate::types::*;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::PathBuf;
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::*;
use crate::rados::aio::*;
use crate::rados::read_op::*;
use crate::rados::write_op::*;
use crate::rados::{
    rados_conf_set, rados_connect, rados_create, rados_ioctx_create, rados_ioctx_destroy, rados_pool_create,
    rados_shutdown,
};

const ENOENT: c_int = -2;
const EINVAL: c_int = -22;
const EEXIST: c_int = -17;
const ERANGE: c_int = -34;
const ENODATA: c_int = -61;
const EDEADLK: c_int = -35;
const ENOTCONN: c_int = -107;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A connected cluster handle and a context on pool "rbd".
struct Env {
    cluster: rados_t,
    io: rados_ioctx_t,
    dir: PathBuf,
}

impl Env {
    fn new() -> Env {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("rbdrs-rados-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cluster = unconnected(&dir);
        let mut io = null_mut();
        unsafe {
            assert_eq!(rados_connect(cluster), 0);
            assert_eq!(rados_ioctx_create(cluster, c"rbd".as_ptr(), &mut io), 0);
        }
        Env { cluster, io, dir }
    }
}

fn unconnected(dir: &std::path::Path) -> rados_t {
    let mut cluster = null_mut();
    let path = CString::new(dir.to_str().unwrap()).unwrap();
    unsafe {
        assert_eq!(rados_create(&mut cluster, null()), 0);
        assert_eq!(rados_conf_set(cluster, c"rbdrs_local_store".as_ptr(), path.as_ptr()), 0);
    }
    cluster
}

impl Drop for Env {
    fn drop(&mut self) {
        unsafe {
            rados_ioctx_destroy(self.io);
            rados_shutdown(self.cluster);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn put(env: &Env, oid: &CStr, data: &[u8], off: u64) -> c_int {
    unsafe { rados_write(env.io, oid.as_ptr(), data.as_ptr().cast(), data.len(), off) }
}

fn get(env: &Env, oid: &CStr, len: usize, off: u64) -> Result<Vec<u8>, c_int> {
    let mut buf = vec![0xee_u8; len];
    let n = unsafe { rados_read(env.io, oid.as_ptr(), buf.as_mut_ptr().cast(), len, off) };
    if n < 0 {
        return Err(n);
    }
    buf.truncate(n as usize);
    Ok(buf)
}

fn size(env: &Env, oid: &CStr) -> Result<u64, c_int> {
    let mut size = u64::MAX;
    match unsafe { rados_stat(env.io, oid.as_ptr(), &mut size, null_mut()) } {
        0 => Ok(size),
        e => Err(e),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn write_read_stat_remove_round_trip() {
    let env = Env::new();
    let oid = c"obj";
    assert_eq!(get(&env, oid, 8, 0), Err(ENOENT));
    assert_eq!(size(&env, oid), Err(ENOENT));
    assert_eq!(put(&env, oid, b"hello", 0), 0);
    assert_eq!(put(&env, oid, b"world", 10), 0);
    assert_eq!(get(&env, oid, 64, 0).unwrap(), b"hello\0\0\0\0\0world");
    assert_eq!(get(&env, oid, 4, 3).unwrap(), b"lo\0\0");
    assert_eq!(get(&env, oid, 4, 100).unwrap(), b"");

    let (mut sz, mut mtime) = (0u64, 0i64);
    assert_eq!(unsafe { rados_stat(env.io, oid.as_ptr(), &mut sz, &mut mtime) }, 0);
    assert_eq!(sz, 15);
    assert!((now() - mtime).abs() < 60, "mtime {mtime} is not now");
    let mut ts = crate::types::timespec::default();
    assert_eq!(unsafe { rados_stat2(env.io, oid.as_ptr(), null_mut(), &mut ts) }, 0);
    assert_eq!(ts.tv_sec, mtime);

    assert_eq!(unsafe { rados_write_full(env.io, oid.as_ptr(), b"abc".as_ptr().cast(), 3) }, 0);
    assert_eq!(unsafe { rados_append(env.io, oid.as_ptr(), b"def".as_ptr().cast(), 3) }, 0);
    assert_eq!(get(&env, oid, 64, 0).unwrap(), b"abcdef");
    assert_eq!(unsafe { rados_trunc(env.io, oid.as_ptr(), 2) }, 0);
    assert_eq!(size(&env, oid), Ok(2));
    assert_eq!(unsafe { rados_writesame(env.io, oid.as_ptr(), b"xy".as_ptr().cast(), 2, 6, 2) }, 0);
    assert_eq!(get(&env, oid, 64, 0).unwrap(), b"abxyxyxy");

    assert_eq!(unsafe { rados_remove(env.io, oid.as_ptr()) }, 0);
    assert_eq!(unsafe { rados_remove(env.io, oid.as_ptr()) }, ENOENT);
    assert_eq!(get(&env, oid, 8, 0), Err(ENOENT));

    // fio creates its objects with an empty write.
    assert_eq!(unsafe { rados_write(env.io, c"empty".as_ptr(), c"".as_ptr(), 0, 0) }, 0);
    assert_eq!(size(&env, c"empty"), Ok(0));
    // An append to a missing object creates it.
    assert_eq!(unsafe { rados_append(env.io, c"log".as_ptr(), b"1".as_ptr().cast(), 1) }, 0);
    assert_eq!(unsafe { rados_append(env.io, c"log".as_ptr(), b"2".as_ptr().cast(), 1) }, 0);
    assert_eq!(get(&env, c"log", 8, 0).unwrap(), b"12");
}

#[test]
fn namespaces_separate_objects() {
    let env = Env::new();
    assert_eq!(put(&env, c"o", b"default", 0), 0);
    unsafe { crate::rados::rados_ioctx_set_namespace(env.io, c"ns1".as_ptr()) };
    assert_eq!(get(&env, c"o", 8, 0), Err(ENOENT));
    assert_eq!(put(&env, c"o", b"ns", 0), 0);
    unsafe { crate::rados::rados_ioctx_set_namespace(env.io, null()) };
    assert_eq!(get(&env, c"o", 16, 0).unwrap(), b"default");
}

#[test]
fn bad_arguments_are_einval_not_crashes() {
    let env = Env::new();
    let oid = c"o".as_ptr();
    let data = b"data".as_ptr().cast::<c_char>();
    let mut buf = [0 as c_char; 8];
    unsafe {
        assert_eq!(rados_write(null_mut(), oid, data, 4, 0), EINVAL);
        assert_eq!(rados_write(env.io, null(), data, 4, 0), EINVAL);
        assert_eq!(rados_write(env.io, oid, null(), 4, 0), EINVAL);
        assert_eq!(rados_write(env.io, oid, null(), 0, 0), 0);
        assert_eq!(rados_write_full(env.io, oid, null(), 1), EINVAL);
        assert_eq!(rados_append(null_mut(), oid, data, 4), EINVAL);
        assert_eq!(rados_read(env.io, oid, null_mut(), 8, 0), EINVAL);
        assert_eq!(rados_read(env.io, null(), buf.as_mut_ptr(), 8, 0), EINVAL);
        assert_eq!(rados_remove(env.io, null()), EINVAL);
        assert_eq!(rados_trunc(null_mut(), oid, 0), EINVAL);
        assert_eq!(rados_stat(env.io, oid, null_mut(), null_mut()), 0);
        assert_eq!(rados_stat(null_mut(), oid, null_mut(), null_mut()), EINVAL);
        assert_eq!(rados_getxattr(env.io, oid, null(), buf.as_mut_ptr(), 8), EINVAL);
        assert_eq!(rados_setxattr(env.io, oid, c"a".as_ptr(), null(), 3), EINVAL);
        assert_eq!(rados_exec(env.io, oid, null(), c"m".as_ptr(), null(), 0, null_mut(), 0), EINVAL);
        // A pool context handle is not a cluster handle.
        assert_eq!(rados_pool_list(env.io.cast(), null_mut(), 0), EINVAL);
        assert_eq!(rados_pool_list(null_mut(), null_mut(), 0), EINVAL);
        assert_eq!(rados_get_instance_id(null_mut()), 0);

        let mut c = null_mut();
        assert_eq!(rados_aio_create_completion(null_mut(), None, None, null_mut()), EINVAL);
        assert_eq!(rados_aio_write(env.io, oid, null_mut(), data, 4, 0), EINVAL);
        assert_eq!(rados_aio_create_completion2(null_mut(), None, &mut c), 0);
        assert_eq!(rados_aio_write(null_mut(), oid, c, data, 4, 0), EINVAL);
        assert_eq!(rados_aio_read(env.io, oid, c, null_mut(), 4, 0), EINVAL);
        // A refused submission leaves the completion unused.
        assert_eq!(rados_aio_is_complete(c), 0);
        rados_aio_release(c);
        assert_eq!(rados_aio_is_complete(null_mut()), EINVAL);
        assert_eq!(rados_aio_wait_for_complete(null_mut()), EINVAL);
        assert_eq!(rados_aio_get_return_value(null_mut()), EINVAL);
        rados_aio_release(null_mut());
        assert_eq!(rados_aio_flush(null_mut()), EINVAL);

        rados_write_op_zero(null_mut(), 0, 1);
        rados_write_op_write(null_mut(), data, 4, 0);
        rados_release_write_op(null_mut());
        assert_eq!(rados_write_op_operate(null_mut(), env.io, oid, null_mut(), 0), EINVAL);
        let op = rados_create_write_op();
        rados_write_op_write(op, null(), 4, 0);
        assert_eq!(rados_write_op_operate(op, env.io, oid, null_mut(), 0), EINVAL);
        rados_release_write_op(op);
        let op = rados_create_write_op();
        assert_eq!(rados_write_op_operate(op, null_mut(), oid, null_mut(), 0), EINVAL);
        assert_eq!(rados_write_op_operate(op, env.io, null(), null_mut(), 0), EINVAL);
        // A write op handle is not a read op handle.
        assert_eq!(rados_read_op_operate(op.cast(), env.io, oid, 0), EINVAL);
        rados_release_write_op(op);
    }
}

#[test]
fn xattrs_and_class_calls() {
    let env = Env::new();
    let oid = c"o".as_ptr();
    let mut buf = [0u8; 16];
    unsafe {
        assert_eq!(rados_getxattr(env.io, oid, c"k".as_ptr(), buf.as_mut_ptr().cast(), 16), ENOENT);
        assert_eq!(rados_setxattr(env.io, oid, c"k".as_ptr(), b"v1".as_ptr().cast(), 2), 0);
        assert_eq!(rados_getxattr(env.io, oid, c"k".as_ptr(), buf.as_mut_ptr().cast(), 16), 2);
        assert_eq!(&buf[..2], b"v1");
        assert_eq!(rados_getxattr(env.io, oid, c"k".as_ptr(), buf.as_mut_ptr().cast(), 1), ERANGE);
        assert_eq!(rados_getxattr(env.io, oid, c"other".as_ptr(), buf.as_mut_ptr().cast(), 16), ENODATA);
        assert_eq!(rados_rmxattr(env.io, oid, c"k".as_ptr()), 0);
        assert_eq!(rados_getxattr(env.io, oid, c"k".as_ptr(), buf.as_mut_ptr().cast(), 16), ENODATA);

        let features = |out: &mut [u8]| {
            rados_exec(
                env.io,
                oid,
                c"rbd".as_ptr(),
                c"get_all_features".as_ptr(),
                null(),
                0,
                out.as_mut_ptr().cast(),
                out.len(),
            )
        };
        assert_eq!(features(&mut buf), 8);
        assert_ne!(u64::from_le_bytes(buf[..8].try_into().unwrap()), 0);
        assert_eq!(features(&mut buf[..4]), ERANGE);
        assert!(rados_exec(env.io, oid, c"nosuch".as_ptr(), c"m".as_ptr(), null(), 0, null_mut(), 0) < 0);
    }
}

/// What a callback saw: calls, whether the value was set by then, the
/// thread, and what a synchronous call from inside it returned.
#[derive(Default)]
struct Seen {
    calls: AtomicUsize,
    values: Mutex<Vec<c_int>>,
    threads: Mutex<Vec<String>>,
    nested: AtomicI32,
    io: AtomicUsize,
}

unsafe extern "C" fn record(c: *mut AioCompletion, arg: *mut c_void) {
    let seen = unsafe { &*arg.cast::<Seen>() };
    seen.values.lock().unwrap().push(unsafe { rados_aio_get_return_value(c) });
    seen.threads.lock().unwrap().push(std::thread::current().name().unwrap_or("").to_string());
    let io = seen.io.load(Ordering::SeqCst) as rados_ioctx_t;
    if !io.is_null() {
        let mut byte = 0u8;
        let r = unsafe { rados_read(io, c"a".as_ptr(), (&raw mut byte).cast(), 1, 0) };
        seen.nested.store(r, Ordering::SeqCst);
    }
    seen.calls.fetch_add(1, Ordering::SeqCst);
}

fn completion(seen: &Seen) -> *mut AioCompletion {
    let mut c = null_mut();
    let arg = std::ptr::from_ref(seen).cast_mut().cast::<c_void>();
    assert_eq!(unsafe { rados_aio_create_completion(arg, Some(record), Some(record), &mut c) }, 0);
    c
}

#[test]
fn aio_write_then_read_with_callbacks() {
    let env = Env::new();
    let seen = Seen::default();
    let data = b"0123456789";
    unsafe {
        let c = completion(&seen);
        assert_eq!(rados_aio_write(env.io, c"a".as_ptr(), c, data.as_ptr().cast(), data.len(), 4), 0);
        // A completion serves one operation.
        assert_eq!(rados_aio_write(env.io, c"a".as_ptr(), c, data.as_ptr().cast(), data.len(), 4), EINVAL);
        assert_eq!(rados_aio_wait_for_complete_and_cb(c), 0);
        assert_eq!(rados_aio_is_complete(c), 1);
        assert_eq!(rados_aio_is_safe_and_cb(c), 1);
        assert_eq!(rados_aio_get_return_value(c), 0);
        assert!(rados_aio_get_version(c) > 0);
        rados_aio_release(c);
        assert_eq!(seen.calls.load(Ordering::SeqCst), 2);
        assert_eq!(*seen.values.lock().unwrap(), [0, 0]);
        assert!(seen.threads.lock().unwrap().iter().all(|t| t == "rbdrs-exec"));

        let seen = Seen::default();
        let c = completion(&seen);
        let mut buf = [0u8; 32];
        assert_eq!(rados_aio_read(env.io, c"a".as_ptr(), c, buf.as_mut_ptr().cast(), buf.len(), 2), 0);
        assert_eq!(rados_aio_wait_for_safe_and_cb(c), 0);
        assert_eq!(rados_aio_get_return_value(c), 12);
        assert_eq!(&buf[..12], b"\0\x000123456789");
        assert_eq!(*seen.values.lock().unwrap(), [12, 12]);
        rados_aio_release(c);

        let (mut sz, mut mtime) = (0u64, 0i64);
        let mut c = null_mut();
        assert_eq!(rados_aio_create_completion2(null_mut(), None, &mut c), 0);
        assert_eq!(rados_aio_stat(env.io, c"a".as_ptr(), c, &mut sz, &mut mtime), 0);
        assert_eq!(rados_aio_wait_for_complete(c), 0);
        assert_eq!((rados_aio_get_return_value(c), sz), (0, 14));
        assert!((now() - mtime).abs() < 60);
        rados_aio_release(c);

        let mut c = null_mut();
        assert_eq!(rados_aio_create_completion2(null_mut(), None, &mut c), 0);
        assert_eq!(rados_aio_read(env.io, c"missing".as_ptr(), c, buf.as_mut_ptr().cast(), 4, 0), 0);
        assert_eq!(rados_aio_wait_for_complete(c), 0);
        assert_eq!(rados_aio_get_return_value(c), ENOENT);
        rados_aio_release(c);

        for (i, f) in
            [rados_aio_write_full as unsafe extern "C" fn(_, _, _, _, _) -> _, rados_aio_append].into_iter().enumerate()
        {
            let mut c = null_mut();
            assert_eq!(rados_aio_create_completion2(null_mut(), None, &mut c), 0);
            assert_eq!(f(env.io, c"b".as_ptr(), c, b"xy".as_ptr().cast(), 2), 0, "call {i}");
            assert_eq!(rados_aio_wait_for_complete(c), 0);
            assert_eq!(rados_aio_get_return_value(c), 0);
            rados_aio_release(c);
        }
        assert_eq!(get(&env, c"b", 8, 0).unwrap(), b"xyxy");

        let mut c = null_mut();
        assert_eq!(rados_aio_create_completion2(null_mut(), None, &mut c), 0);
        assert_eq!(rados_aio_remove(env.io, c"b".as_ptr(), c), 0);
        assert_eq!(rados_aio_wait_for_complete(c), 0);
        assert_eq!(rados_aio_get_return_value(c), 0);
        rados_aio_release(c);
        assert_eq!(size(&env, c"b"), Err(ENOENT));
    }
}

#[test]
fn callbacks_cannot_block_the_executor() {
    let env = Env::new();
    assert_eq!(put(&env, c"a", b"x", 0), 0);
    let seen = Seen::default();
    seen.io.store(env.io as usize, Ordering::SeqCst);
    unsafe {
        let mut c = null_mut();
        let arg = std::ptr::from_ref(&seen).cast_mut().cast::<c_void>();
        assert_eq!(rados_aio_create_completion2(arg, Some(record), &mut c), 0);
        assert_eq!(rados_aio_write(env.io, c"a".as_ptr(), c, b"y".as_ptr().cast(), 1, 0), 0);
        assert_eq!(rados_aio_wait_for_complete_and_cb(c), 0);
        rados_aio_release(c);
    }
    assert_eq!(seen.calls.load(Ordering::SeqCst), 1);
    assert_eq!(seen.nested.load(Ordering::SeqCst), EDEADLK);
    // The connection still works afterwards.
    assert_eq!(get(&env, c"a", 1, 0).unwrap(), b"y");
}

#[test]
fn release_before_completion_then_flush() {
    let env = Env::new();
    let seen = Seen::default();
    const N: usize = 64;
    let block = [7u8; 4096];
    unsafe {
        for i in 0..N {
            let c = completion(&seen);
            assert_eq!(
                rados_aio_write(env.io, c"blk".as_ptr(), c, block.as_ptr().cast(), block.len(), (i * 4096) as u64),
                0
            );
            rados_aio_release(c);
        }
        assert_eq!(rados_aio_flush(env.io), 0);
    }
    // Every write finished, and called back, before the flush returned.
    assert_eq!(seen.calls.load(Ordering::SeqCst), 2 * N);
    assert!(seen.values.lock().unwrap().iter().all(|&v| v == 0));
    assert_eq!(size(&env, c"blk"), Ok((N * 4096) as u64));

    unsafe {
        let mut c = null_mut();
        assert_eq!(rados_aio_create_completion2(null_mut(), None, &mut c), 0);
        assert_eq!(rados_aio_flush_async(env.io, c), 0);
        assert_eq!(rados_aio_wait_for_complete(c), 0);
        assert_eq!(rados_aio_get_return_value(c), 0);
        rados_aio_release(c);
    }
}

#[test]
fn write_ops_are_atomic_compounds() {
    let env = Env::new();
    let oid = c"w".as_ptr();
    unsafe {
        let op = rados_create_write_op();
        assert!(!op.is_null());
        rados_write_op_create(op, 1, null());
        rados_write_op_write(op, b"abcdefgh".as_ptr().cast(), 8, 0);
        rados_write_op_setxattr(op, c"k".as_ptr(), b"v".as_ptr().cast(), 1);
        assert_eq!(rados_write_op_operate(op, env.io, oid, null_mut(), 0), 0);
        // The same compound again: the exclusive create fails, and nothing
        // of the compound applies.
        rados_write_op_write(op, b"Z".as_ptr().cast(), 1, 0);
        assert_eq!(rados_write_op_operate(op, env.io, oid, null_mut(), 0), EEXIST);
        rados_release_write_op(op);
        assert_eq!(get(&env, c"w", 16, 0).unwrap(), b"abcdefgh");

        let op = rados_create_write_op();
        rados_write_op_zero(op, 1, 2);
        rados_write_op_truncate(op, 6);
        rados_write_op_append(op, b"XY".as_ptr().cast(), 2);
        rados_write_op_append(op, b"Z".as_ptr().cast(), 1);
        let mut mtime: crate::types::time_t = 1_000_000;
        assert_eq!(rados_write_op_operate(op, env.io, oid, &mut mtime, 0), 0);
        rados_release_write_op(op);
        assert_eq!(get(&env, c"w", 16, 0).unwrap(), b"a\0\0defXYZ");
        let mut got: crate::types::time_t = 0;
        assert_eq!(rados_stat(env.io, oid, null_mut(), &mut got), 0);
        assert_eq!(got, 1_000_000);
        let op = rados_create_write_op();
        rados_write_op_setxattr(op, c"t".as_ptr(), null(), 0);
        let mut ts = crate::types::timespec { tv_sec: 2_000_000, tv_nsec: 5 };
        assert_eq!(rados_write_op_operate2(op, env.io, oid, &mut ts, 0), 0);
        ts.tv_nsec = 2_000_000_000;
        assert_eq!(rados_write_op_operate2(op, env.io, oid, &mut ts, 0), EINVAL);
        rados_release_write_op(op);
        let mut got = crate::types::timespec::default();
        assert_eq!(rados_stat2(env.io, oid, null_mut(), &mut got), 0);
        assert_eq!((got.tv_sec, got.tv_nsec), (2_000_000, 5));

        // An op with a failing assertion changes nothing.
        let op = rados_create_write_op();
        rados_write_op_assert_exists(op);
        rados_write_op_write_full(op, b"new".as_ptr().cast(), 3);
        assert_eq!(rados_write_op_operate(op, env.io, c"absent".as_ptr(), null_mut(), 0), ENOENT);
        assert_eq!(rados_write_op_operate(op, env.io, oid, null_mut(), 0), 0);
        rados_release_write_op(op);
        assert_eq!(size(&env, c"absent"), Err(ENOENT));
        assert_eq!(get(&env, c"w", 16, 0).unwrap(), b"new");

        let op = rados_create_write_op();
        let keys = [c"k1".as_ptr(), c"k2".as_ptr()];
        let vals = [b"1".as_ptr().cast::<c_char>(), b"22".as_ptr().cast()];
        let lens = [1usize, 2];
        rados_write_op_omap_set(op, keys.as_ptr(), vals.as_ptr(), lens.as_ptr(), 2);
        rados_write_op_omap_rm_keys(op, keys.as_ptr(), 1);
        rados_write_op_rmxattr(op, c"k".as_ptr());
        rados_write_op_set_alloc_hint(op, 4 << 20, 4096);
        assert_eq!(rados_write_op_operate(op, env.io, oid, null_mut(), 0), 0);
        rados_release_write_op(op);
        let mut buf = [0u8; 4];
        assert_eq!(rados_getxattr(env.io, oid, c"k".as_ptr(), buf.as_mut_ptr().cast(), 4), ENODATA);

        // FAILOK lets the compound go on past a failing action.
        let op = rados_create_write_op();
        rados_write_op_create(op, 1, null());
        rados_write_op_set_flags(op, 0x2);
        rados_write_op_write(op, b"N".as_ptr().cast(), 1, 0);
        assert_eq!(rados_write_op_operate(op, env.io, oid, null_mut(), 0), 0);
        rados_release_write_op(op);
        assert_eq!(get(&env, c"w", 16, 0).unwrap(), b"New");

        let op = rados_create_write_op();
        rados_write_op_remove(op);
        assert_eq!(rados_write_op_operate(op, env.io, oid, null_mut(), 0), 0);
        assert_eq!(rados_write_op_operate(op, env.io, oid, null_mut(), 0), ENOENT);
        rados_release_write_op(op);
    }
}

#[test]
fn aio_write_op_zero_as_fio_trims() {
    let env = Env::new();
    assert_eq!(put(&env, c"f", &[9u8; 8192], 0), 0);
    let seen = Seen::default();
    unsafe {
        let c = completion(&seen);
        let op = rados_create_write_op();
        rados_write_op_zero(op, 4096, 4096);
        assert_eq!(rados_aio_write_op_operate(op, env.io, c, c"f".as_ptr(), null_mut(), 0), 0);
        // The op was copied: releasing it now is fine.
        rados_release_write_op(op);
        while rados_aio_is_complete(c) == 0 {
            assert_eq!(rados_aio_wait_for_complete(c), 0);
        }
        assert_eq!(rados_aio_get_return_value(c), 0);
        rados_aio_release(c);

        let c = completion(&seen);
        let op = rados_create_write_op();
        rados_write_op_create(op, 1, null());
        assert_eq!(rados_aio_write_op_operate(op, env.io, c, c"f".as_ptr(), null_mut(), 0), 0);
        assert_eq!(rados_aio_wait_for_complete(c), 0);
        assert_eq!(rados_aio_get_return_value(c), EEXIST);
        rados_aio_release(c);
        rados_release_write_op(op);
    }
    let data = get(&env, c"f", 8192, 0).unwrap();
    assert!(data[..4096].iter().all(|&b| b == 9) && data[4096..].iter().all(|&b| b == 0));
}

#[test]
fn read_ops_fill_every_output() {
    let env = Env::new();
    assert_eq!(put(&env, c"r", b"abcdef", 0), 0);
    unsafe {
        let op = rados_create_read_op();
        let mut buf = [0u8; 4];
        let (mut n, mut rval_read) = (usize::MAX, 1);
        let (mut sz, mut mtime, mut rval_stat) = (0u64, 0i64, 1);
        rados_read_op_assert_exists(op);
        rados_read_op_read(op, 1, 4, buf.as_mut_ptr().cast(), &mut n, &mut rval_read);
        rados_read_op_stat(op, &mut sz, &mut mtime, &mut rval_stat);
        assert_eq!(rados_read_op_operate(op, env.io, c"r".as_ptr(), 0), 0);
        assert_eq!((&buf, n, rval_read), (b"bcde", 4, 0));
        assert_eq!((sz, rval_stat), (6, 0));
        assert!((now() - mtime).abs() < 60);

        buf = [0; 4];
        let mut c = null_mut();
        assert_eq!(rados_aio_create_completion2(null_mut(), None, &mut c), 0);
        assert_eq!(rados_aio_read_op_operate(op, env.io, c, c"r".as_ptr(), 0), 0);
        assert_eq!(rados_aio_wait_for_complete(c), 0);
        assert_eq!(rados_aio_get_return_value(c), 0);
        assert_eq!(&buf, b"bcde");
        rados_aio_release(c);

        assert_eq!(rados_read_op_operate(op, env.io, c"nothing".as_ptr(), 0), ENOENT);
        rados_release_read_op(op);
    }
}

#[test]
fn pool_list_follows_the_buffer_size_protocol() {
    let env = Env::new();
    unsafe {
        // "rbd\0" and the closing NUL.
        assert_eq!(rados_pool_list(env.cluster, null_mut(), 0), 5);
        assert_eq!(rados_pool_list(env.cluster, null_mut(), 4), EINVAL);
        let mut small = [1 as c_char; 2];
        assert_eq!(rados_pool_list(env.cluster, small.as_mut_ptr(), 2), 5);
        assert_eq!(small, [0, 0]);
        let mut buf = [1u8; 16];
        assert_eq!(rados_pool_list(env.cluster, buf.as_mut_ptr().cast(), 5), 5);
        assert_eq!(&buf[..6], b"rbd\0\0\x01");

        assert_eq!(rados_pool_create(env.cluster, c"data".as_ptr()), 0);
        assert_eq!(rados_pool_list(env.cluster, buf.as_mut_ptr().cast(), 16), 10);
        assert_eq!(&buf[..10], b"rbd\0data\0\0");
        // What fits is listed, up to the first name that does not.
        assert_eq!(rados_pool_list(env.cluster, buf.as_mut_ptr().cast(), 6), 10);
        assert_eq!(&buf[..6], b"rbd\0\0\0");
    }
}

#[test]
fn instance_id_is_the_client_id() {
    let dir = std::env::temp_dir().join(format!("rbdrs-rados-id-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cluster = unconnected(&dir);
    unsafe {
        assert_eq!(rados_get_instance_id(cluster), 0);
        assert_eq!(rados_pool_list(cluster, null_mut(), 0), ENOTCONN);
        assert_eq!(rados_connect(cluster), 0);
        let id = rados_get_instance_id(cluster);
        assert_ne!(id, 0);
        assert_eq!(Some(id), (*cluster).connected().ok().map(|c| c.client.global_id));
        rados_shutdown(cluster);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
