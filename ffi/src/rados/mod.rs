//! librados: cluster handles (rados_t), configuration, connect, and pool
//! contexts (rados_ioctx_t).
//!
//! Handles are boxes handed to C as pointers. Each carries a magic number
//! checked on every use, so a stale or foreign pointer is -EINVAL rather
//! than undefined behaviour in the common cases (a freed handle, a handle
//! of the other type).

use crate::types::*;
use std::ffi::{c_char, c_int};

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use rbdrs_client::proto::Errno;
use rbdrs_client::{Connection, IoCtx, Rados};

use crate::boundary::{cstr, guard, opt_cstr, put, put_cstr};
use crate::handle::{self, c_handle, Magic};

pub mod aio;
pub mod aio_more;
pub mod application;
pub mod cluster_extras;
pub mod command;
pub mod conf;
pub mod ioctx_info;
pub mod ioctx_more;
pub mod iter;
pub mod list;
pub mod list_cursor;
pub mod lock;
pub mod object;
pub mod object_aio;
pub mod osd_ops;
pub mod read_op;
pub mod read_op_more;
pub mod release;
pub mod snap;
pub mod watch;
pub mod watch_v1;
pub mod write_op;
pub mod write_op_guard;
pub mod write_op_more;

/// rados_t.
#[derive(Debug)]
pub struct Cluster {
    magic: Magic,
    pub rados: Rados,
    /// rados_cct's handle and the service-daemon registration.
    pub extras: cluster_extras::Extras,
}
c_handle!(Cluster, 0x7262_6472_7363_6c75); // "rbdrsclu"

/// rados_ioctx_t.
#[derive(Debug)]
pub struct PoolCtx {
    magic: Magic,
    pub io: IoCtx,
    /// The handle it came from (rados_ioctx_get_cluster).
    pub cluster: rados_t,
    /// The object version the last synchronous op saw
    /// (rados_get_last_version).
    pub last_version: Arc<AtomicU64>,
}

// SAFETY: `cluster` is only handed back to C, never dereferenced here.
unsafe impl Send for PoolCtx {}
unsafe impl Sync for PoolCtx {}
c_handle!(PoolCtx, 0x7262_6472_7369_6f63); // "rbdrsioc"

impl PoolCtx {
    pub fn conn(&self) -> &Arc<Connection> {
        self.io.connection()
    }
}

/// Borrows a cluster handle.
///
/// # Safety
/// `ptr` is NULL or a pointer rados_create returned and rados_shutdown has
/// not yet freed.
pub(crate) unsafe fn cluster<'a>(ptr: rados_t) -> Result<&'a Cluster, Errno> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow(ptr) }
}

/// Borrows a pool context.
///
/// # Safety
/// As [`cluster`], for rados_ioctx_create / rados_ioctx_destroy.
pub(crate) unsafe fn ioctx<'a>(ptr: rados_ioctx_t) -> Result<&'a PoolCtx, Errno> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow(ptr) }
}

impl Cluster {
    fn give(rados: Rados) -> rados_t {
        let extras = cluster_extras::Extras::new(&rados);
        handle::give(Cluster { magic: Magic::of::<Cluster>(), rados, extras })
    }

    pub fn connected(&self) -> Result<Arc<Connection>, Errno> {
        self.rados.connection()
    }
}

/// Creates a cluster handle for `client.<id>` (id NULL: admin). CEPH_ARGS
/// applies at once, as in librados.
///
/// # Safety
/// `cluster` is writable; `id` is NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_create(cluster: *mut rados_t, id: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked C string.
        let id = unsafe { opt_cstr(id) }?;
        // SAFETY: out-pointer checked by put.
        unsafe { put(cluster, Cluster::give(Rados::new(id))) }?;
        Ok(0)
    })
}

/// Creates a cluster handle for a full entity name (e.g. "client.admin").
///
/// # Safety
/// `cluster` is writable; `cluster_name` NULL or a C string; `name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_create2(
    cluster: *mut rados_t,
    cluster_name: *const c_char,
    name: *const c_char,
    flags: u64,
) -> c_int {
    let _ = flags;
    guard(|| {
        // SAFETY: checked C strings.
        let (cluster_name, name) = unsafe { (opt_cstr(cluster_name)?, cstr(name)?) };
        let rados = Rados::with_name(cluster_name, name)?;
        // SAFETY: out-pointer checked by put.
        unsafe { put(cluster, Cluster::give(rados)) }?;
        Ok(0)
    })
}

/// Reads ceph.conf: `path` NULL searches $CEPH_CONF and the usual places.
///
/// # Safety
/// `cluster` from rados_create; `path` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_conf_read_file(cluster: rados_t, path: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (cluster, path) = unsafe { (self::cluster(cluster)?, opt_cstr(path)?) };
        cluster.rados.config()?.read_file(path)?;
        Ok(0)
    })
}

/// Sets an option; unknown options are -ENOENT, bad values -EINVAL.
///
/// # Safety
/// `cluster` from rados_create; `option` and `value` C strings.
#[no_mangle]
pub unsafe extern "C" fn rados_conf_set(cluster: rados_t, option: *const c_char, value: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and strings.
        let (cluster, option, value) = unsafe { (self::cluster(cluster)?, cstr(option)?, cstr(value)?) };
        cluster.rados.config()?.set(option, value)?;
        Ok(0)
    })
}

/// Reads an option into `buf`; -ENAMETOOLONG if it does not fit.
///
/// # Safety
/// `cluster` from rados_create; `option` a C string; `buf` valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_conf_get(
    cluster: rados_t,
    option: *const c_char,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (cluster, option) = unsafe { (self::cluster(cluster)?, cstr(option)?) };
        let value = cluster.rados.config()?.get(option)?;
        // SAFETY: buf valid for len bytes by contract.
        unsafe { put_cstr(buf, len, &value, std::ptr::null_mut()) }.map_err(|_| Errno::ENAMETOOLONG)?;
        Ok(0)
    })
}

/// Applies command-line style options from an environment variable
/// (NULL: CEPH_ARGS).
///
/// # Safety
/// `cluster` from rados_create; `var` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_conf_parse_env(cluster: rados_t, var: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (cluster, var) = unsafe { (self::cluster(cluster)?, opt_cstr(var)?) };
        cluster.rados.config()?.parse_env(var);
        Ok(0)
    })
}

/// Applies command-line options (argv[0] is the program and skipped).
///
/// # Safety
/// `cluster` from rados_create; `argv` holds `argc` C strings.
#[no_mangle]
pub unsafe extern "C" fn rados_conf_parse_argv(cluster: rados_t, argc: c_int, argv: *const *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let cluster = unsafe { self::cluster(cluster) }?;
        if argc < 0 || (argc > 0 && argv.is_null()) {
            return Err(Errno::EINVAL);
        }
        let mut args = Vec::new();
        for i in 1..argc as usize {
            // SAFETY: argv holds argc pointers by contract.
            args.push(unsafe { cstr(*argv.add(i)) }?.to_string());
        }
        cluster.rados.config()?.parse_argv(&args)?;
        Ok(0)
    })
}

/// Connects: to the embedded local store when rbdrs_local_store is set.
/// With neither that nor mon_host it fails with -ENOENT and says why.
///
/// # Safety
/// `cluster` from rados_create.
#[no_mangle]
pub unsafe extern "C" fn rados_connect(cluster: rados_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        unsafe { self::cluster(cluster) }?.rados.connect()?;
        Ok(0)
    })
}

/// Disconnects and frees the handle. Destroy its pool contexts first.
///
/// # Safety
/// `cluster` from rados_create, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rados_shutdown(cluster: rados_t) {
    guard(|| {
        // SAFETY: the export's contract; ownership returns to us here.
        if let Some(cluster) = unsafe { handle::free(cluster) } {
            cluster.rados.shutdown();
        }
        Ok(())
    })
}

fn new_ioctx(cluster: rados_t, io: IoCtx) -> rados_ioctx_t {
    handle::give(PoolCtx { magic: Magic::of::<PoolCtx>(), io, cluster, last_version: Arc::default() })
}

/// Opens a pool by name; -ENOENT if it does not exist.
///
/// # Safety
/// `cluster` connected; `pool_name` a C string; `ioctx` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_create(
    cluster: rados_t,
    pool_name: *const c_char,
    ioctx: *mut rados_ioctx_t,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (c, name) = unsafe { (self::cluster(cluster)?, cstr(pool_name)?) };
        let io = c.rados.ioctx(name)?;
        // SAFETY: out-pointer checked by put.
        unsafe { put(ioctx, new_ioctx(cluster, io)) }?;
        Ok(0)
    })
}

/// Opens a pool by id.
///
/// # Safety
/// `cluster` connected; `ioctx` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_create2(cluster: rados_t, pool_id: i64, ioctx: *mut rados_ioctx_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let c = unsafe { self::cluster(cluster) }?;
        let io = c.rados.ioctx_by_id(pool_id)?;
        // SAFETY: out-pointer checked by put.
        unsafe { put(ioctx, new_ioctx(cluster, io)) }?;
        Ok(0)
    })
}

/// Frees a pool context.
///
/// # Safety
/// `io` from rados_ioctx_create, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_destroy(io: rados_ioctx_t) {
    guard(|| {
        // SAFETY: the export's contract; ownership returns to us here.
        drop(unsafe { handle::free(io) });
        Ok(())
    })
}

/// Selects the namespace for later operations (NULL or "": the default).
///
/// # Safety
/// `io` from rados_ioctx_create; `nspace` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_set_namespace(io: rados_ioctx_t, nspace: *const c_char) {
    guard(|| {
        // SAFETY: checked handle and string.
        if let (Ok(io), Ok(ns)) = unsafe { (ioctx(io), opt_cstr(nspace)) } {
            io.io.set_namespace(ns.unwrap_or(""));
        }
        Ok(())
    })
}

/// The pool id, or a negative error.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_get_id(io: rados_ioctx_t) -> i64 {
    // SAFETY: checked handle.
    guard(|| unsafe { ioctx(io) }.map(|io| io.io.pool_id()))
}

/// The pool's name into `buf`: its length, or -ERANGE when it does not
/// fit with its NUL.
///
/// # Safety
/// `io` from rados_ioctx_create; `buf` valid for `maxlen` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_get_pool_name(io: rados_ioctx_t, buf: *mut c_char, maxlen: u32) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let name = unsafe { ioctx(io) }?.io.pool_name()?;
        // SAFETY: forwarded contract.
        unsafe { put_text(buf, maxlen as usize, &name) }
    })
}

/// The cluster handle a pool context belongs to.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_get_cluster(io: rados_ioctx_t) -> rados_t {
    // SAFETY: checked handle.
    guard(|| unsafe { ioctx(io) }.map(|io| io.cluster))
}

/// Waits until the client has the cluster's newest OSDMap (on the embedded
/// store: at once).
///
/// # Safety
/// `cluster` from rados_create.
#[no_mangle]
pub unsafe extern "C" fn rados_wait_for_latest_osdmap(cluster: rados_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        unsafe { self::cluster(cluster) }?.connected()?.wait_for_latest_osdmap()?;
        Ok(0)
    })
}

/// A pool's id by name, or -ENOENT.
///
/// # Safety
/// `cluster` connected; `pool_name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_pool_lookup(cluster: rados_t, pool_name: *const c_char) -> i64 {
    guard(|| {
        // SAFETY: checked handle and string.
        let (c, name) = unsafe { (self::cluster(cluster)?, cstr(pool_name)?) };
        c.rados.pool_lookup(name)
    })
}

/// Creates a pool: on the embedded store, or by the monitor, returning
/// once this client's map has it.
///
/// # Safety
/// `cluster` connected; `pool_name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_pool_create(cluster: rados_t, pool_name: *const c_char) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rados_pool_create_with_all(cluster, pool_name, AUTH_UID_DEFAULT, u8::MAX) }
}

/// librados's CEPH_AUTH_UID_DEFAULT: pool owners are gone, only this passes.
const AUTH_UID_DEFAULT: u64 = u64::MAX;

/// rados_pool_create; `auid` must be the default (pools have no owner since
/// Nautilus: -EINVAL otherwise).
///
/// # Safety
/// As [`rados_pool_create`].
#[no_mangle]
pub unsafe extern "C" fn rados_pool_create_with_auid(cluster: rados_t, pool_name: *const c_char, auid: u64) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rados_pool_create_with_all(cluster, pool_name, auid, u8::MAX) }
}

/// rados_pool_create with CRUSH rule `crush_rule_num`.
///
/// # Safety
/// As [`rados_pool_create`].
#[no_mangle]
pub unsafe extern "C" fn rados_pool_create_with_crush_rule(
    cluster: rados_t,
    pool_name: *const c_char,
    crush_rule_num: u8,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rados_pool_create_with_all(cluster, pool_name, AUTH_UID_DEFAULT, crush_rule_num) }
}

/// rados_pool_create with an owner (must be the default) and CRUSH rule
/// (255, as C passes -1, for the monitor's default).
///
/// # Safety
/// As [`rados_pool_create`].
#[no_mangle]
pub unsafe extern "C" fn rados_pool_create_with_all(
    cluster: rados_t,
    pool_name: *const c_char,
    auid: u64,
    crush_rule_num: u8,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (c, name) = unsafe { (self::cluster(cluster)?, cstr(pool_name)?) };
        if auid != AUTH_UID_DEFAULT {
            return Err(Errno::EINVAL);
        }
        let rule = (crush_rule_num != u8::MAX).then_some(crush_rule_num);
        c.rados.pool_create(name, rule).map(|_| 0)
    })
}

/// Deletes a pool (the monitor refuses with -EPERM unless
/// mon_allow_pool_delete; -ENOENT if there is none of that name).
///
/// # Safety
/// `cluster` connected; `pool_name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_pool_delete(cluster: rados_t, pool_name: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (c, name) = unsafe { (self::cluster(cluster)?, cstr(pool_name)?) };
        c.rados.pool_delete(name).map(|_| 0)
    })
}

/// Makes the OSDs refuse client `client_address` (`ip:port/nonce`) for
/// `expire_seconds` (0: the monitor's default, an hour).
///
/// # Safety
/// `cluster` connected; `client_address` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_blocklist_add(
    cluster: rados_t,
    client_address: *mut c_char,
    expire_seconds: u32,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (c, addr) = unsafe { (self::cluster(cluster)?, cstr(client_address)?) };
        c.rados.blocklist_add(addr, expire_seconds).map(|_| 0)
    })
}

/// Copies `text` and a NUL into `buf` (`maxlen` bytes) as librados's
/// string getters do: its length, or -ERANGE when it does not fit.
///
/// # Safety
/// `buf` NULL or valid for `maxlen` bytes.
unsafe fn put_text(buf: *mut c_char, maxlen: usize, text: &str) -> Result<c_int, Errno> {
    // SAFETY: forwarded contract.
    unsafe { crate::boundary::put_cstr(buf, maxlen, text, std::ptr::null_mut()) }?;
    c_int::try_from(text.len()).map_err(|_| Errno::ERANGE)
}

/// The cluster's fsid as text (36 bytes and a NUL); its length, or
/// -ERANGE. -EOPNOTSUPP on the embedded store, which is no cluster.
///
/// # Safety
/// `cluster` connected; `buf` valid for `maxlen` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_cluster_fsid(cluster: rados_t, buf: *mut c_char, maxlen: usize) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let fsid = unsafe { self::cluster(cluster) }?.rados.cluster_fsid()?;
        // SAFETY: forwarded contract.
        unsafe { put_text(buf, maxlen, &fsid) }
    })
}

/// The name of pool `id` into `buf`; its length, -ERANGE when short,
/// -ENOENT for no such pool.
///
/// # Safety
/// `cluster` connected; `buf` valid for `maxlen` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_pool_reverse_lookup(
    cluster: rados_t,
    id: i64,
    buf: *mut c_char,
    maxlen: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let name = unsafe { self::cluster(cluster) }?.connected()?.pool_name(id)?;
        // SAFETY: forwarded contract.
        unsafe { put_text(buf, maxlen, &name) }
    })
}

/// The pool `pool` is a cache tier of, or `pool` itself.
///
/// # Safety
/// `cluster` connected; `base_tier` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_pool_get_base_tier(cluster: rados_t, pool: i64, base_tier: *mut i64) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let tier = unsafe { self::cluster(cluster) }?.rados.pool_base_tier(pool)?;
        // SAFETY: checked by put.
        unsafe { crate::boundary::put(base_tier, tier) }.map(|_| 0)
    })
}

/// The cluster's space (KiB) and object count, as the monitor reports them
/// (zeros on a cluster without a manager daemon).
///
/// # Safety
/// `cluster` connected; `result` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_cluster_stat(cluster: rados_t, result: *mut rados_cluster_stat_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let [kb, kb_used, kb_avail, num_objects] = unsafe { self::cluster(cluster) }?.rados.cluster_stat()?;
        let stat = rados_cluster_stat_t { kb, kb_used, kb_avail, num_objects };
        // SAFETY: checked by put.
        unsafe { crate::boundary::put(result, stat) }.map(|_| 0)
    })
}

/// The pool's usage as the monitor reports it (all zeros on a cluster
/// without a manager daemon, as librados gives); on the embedded store,
/// its objects and bytes. -ENOENT once the pool is gone.
///
/// # Safety
/// `io` from rados_ioctx_create; `stats` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_pool_stat(io: rados_ioctx_t, stats: *mut rados_pool_stat_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let stat = unsafe { ioctx(io) }?.io.pool_stat()?;
        #[rustfmt::skip]
        let [num_bytes, num_kb, num_objects, num_object_clones, num_object_copies, num_objects_missing_on_primary, num_objects_unfound, num_objects_degraded, num_rd, num_rd_kb, num_wr, num_wr_kb, num_user_bytes, compressed_bytes_orig, compressed_bytes, compressed_bytes_alloc] = stat;
        #[rustfmt::skip]
        let out = rados_pool_stat_t { num_bytes, num_kb, num_objects, num_object_clones, num_object_copies, num_objects_missing_on_primary, num_objects_unfound, num_objects_degraded, num_rd, num_rd_kb, num_wr, num_wr_kb, num_user_bytes, compressed_bytes_orig, compressed_bytes, compressed_bytes_alloc };
        // SAFETY: checked by put.
        unsafe { crate::boundary::put(stats, out) }.map(|_| 0)
    })
}
