//! librados: cluster handles (rados_t), configuration, connect, and pool
//! contexts (rados_ioctx_t).
//!
//! Handles are boxes handed to C as pointers. Each carries a magic number
//! checked on every use, so a stale or foreign pointer is -EINVAL rather
//! than undefined behaviour in the common cases (a freed handle, a handle
//! of the other type).

use crate::types::*;
use std::ffi::{c_char, c_int};

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rbdrs_core::image::IoCtx;
use rbdrs_core::osd::ClientId;
use rbdrs_core::rados::{PoolRequest, Reply, Request};
use rbdrs_core::Errno;

use crate::boundary::{cstr, guard, guard_void, opt_cstr, put, put_cstr};
use crate::cluster::ClusterBackend;
use crate::config::Config;
use crate::local::LocalStore;
use crate::runtime::Runtime;

pub mod aio;
pub mod object;
pub mod write_op;

const CLUSTER_MAGIC: u64 = 0x7262_6472_7363_6c75; // "rbdrsclu"
const IOCTX_MAGIC: u64 = 0x7262_6472_7369_6f63; // "rbdrsioc"

/// What a connected cluster handle has: where requests go and who we are.
#[derive(Debug)]
pub struct Connection {
    pub runtime: Arc<Runtime>,
    pub client: ClientId,
    /// rados_osd_op_timeout: how long one IO may take.
    pub op_timeout: Duration,
    /// How long a management operation (open, snapshot, resize...) may take.
    pub admin_timeout: Duration,
    /// The handle's configuration, read again when images open.
    pub config: Arc<Mutex<Config>>,
}

impl Connection {
    /// Runs `flow` and waits for it with the IO timeout.
    pub fn run_io<T: Send + 'static>(
        &self,
        flow: impl std::future::Future<Output = T> + Send + 'static,
    ) -> Result<T, Errno> {
        self.runtime.block_on(flow, self.op_timeout)
    }

    /// Runs `flow` and waits for it with the management timeout.
    pub fn run_admin<T: Send + 'static>(
        &self,
        flow: impl std::future::Future<Output = T> + Send + 'static,
    ) -> Result<T, Errno> {
        self.runtime.block_on(flow, self.admin_timeout)
    }

    pub fn lookup_pool(&self, name: &str) -> Result<i64, Errno> {
        let dispatcher = self.runtime.dispatcher.clone();
        let request = Request::Pool(PoolRequest::Lookup { name: name.into() });
        match self.run_admin(async move { dispatcher.submit(request).await })? {
            Reply::Id(id) => id.map(|id| id as i64),
            _ => Err(Errno::EIO),
        }
    }

    pub fn pool_name(&self, pool: i64) -> Result<String, Errno> {
        let dispatcher = self.runtime.dispatcher.clone();
        match self.run_admin(async move { dispatcher.submit(Request::Pool(PoolRequest::Name { pool })).await })? {
            Reply::Name(name) => name,
            _ => Err(Errno::EIO),
        }
    }
}

/// rados_t.
#[derive(Debug)]
pub struct Cluster {
    magic: u64,
    pub config: Arc<Mutex<Config>>,
    pub connection: Mutex<Option<Arc<Connection>>>,
    /// The local store, when that is the backend (pool creation).
    pub store: Mutex<Option<Arc<LocalStore>>>,
}

/// rados_ioctx_t.
#[derive(Debug)]
pub struct PoolCtx {
    magic: u64,
    pub conn: Arc<Connection>,
    pub io: Mutex<IoCtx>,
    /// The handle it came from (rados_ioctx_get_cluster).
    pub cluster: rados_t,
}

// SAFETY: `cluster` is only handed back to C, never dereferenced here.
unsafe impl Send for PoolCtx {}
unsafe impl Sync for PoolCtx {}

/// Borrows a cluster handle.
///
/// # Safety
/// `ptr` is NULL or a pointer rados_create returned and rados_shutdown has
/// not yet freed.
pub(crate) unsafe fn cluster<'a>(ptr: rados_t) -> Result<&'a Cluster, Errno> {
    // SAFETY: caller's contract; the magic catches the common misuses.
    match unsafe { ptr.as_ref() } {
        Some(c) if c.magic == CLUSTER_MAGIC => Ok(c),
        _ => Err(Errno::EINVAL),
    }
}

/// Borrows a pool context.
///
/// # Safety
/// As [`cluster`], for rados_ioctx_create / rados_ioctx_destroy.
pub(crate) unsafe fn ioctx<'a>(ptr: rados_ioctx_t) -> Result<&'a PoolCtx, Errno> {
    // SAFETY: as above.
    match unsafe { ptr.as_ref() } {
        Some(p) if p.magic == IOCTX_MAGIC => Ok(p),
        _ => Err(Errno::EINVAL),
    }
}

impl Cluster {
    fn new(config: Config) -> Box<Cluster> {
        Box::new(Cluster {
            magic: CLUSTER_MAGIC,
            config: Arc::new(Mutex::new(config)),
            connection: Mutex::new(None),
            store: Mutex::new(None),
        })
    }

    pub fn connected(&self) -> Result<Arc<Connection>, Errno> {
        self.connection.lock().map_err(|_| Errno::EIO)?.clone().ok_or(Errno::ENOTCONN)
    }

    fn connect(&self) -> Result<(), Errno> {
        let mut connection = self.connection.lock().map_err(|_| Errno::EIO)?;
        if connection.is_some() {
            return Err(Errno(106)); // EISCONN, as librados answers a second connect
        }
        let config = self.config.lock().map_err(|_| Errno::EIO)?;
        let local = config.get_str("rbdrs_local_store")?;
        let monitors = config.get_str("mon_host")?;
        let op_timeout = config.get_timeout("rados_osd_op_timeout")?.unwrap_or(Duration::from_secs(30));
        let admin_timeout =
            config.get_timeout("client_mount_timeout")?.unwrap_or(Duration::from_secs(300)).max(op_timeout);
        let (runtime, client) = match (local.is_empty(), monitors.is_empty()) {
            (false, true) => {
                let store = LocalStore::open(Path::new(&local))?;
                let runtime = Runtime::start(store.clone())?;
                *self.store.lock().map_err(|_| Errno::EIO)? = Some(store);
                (runtime, ClientId { global_id: instance_id(), nonce: std::process::id() })
            }
            (false, false) => {
                eprintln!("librbdrs: both mon_host and rbdrs_local_store are set; set only one");
                return Err(Errno::EINVAL);
            }
            (true, false) => {
                let cluster = ClusterBackend::connect(&config, op_timeout)?;
                let id = cluster.identity;
                (Runtime::start(cluster)?, ClientId { global_id: id.global_id, nonce: id.nonce })
            }
            (true, true) => {
                eprintln!("librbdrs: no monitors (mon_host) and no rbdrs_local_store configured");
                return Err(Errno::ENOENT);
            }
        };
        *connection =
            Some(Arc::new(Connection { runtime, client, op_timeout, admin_timeout, config: self.config.clone() }));
        Ok(())
    }
}

/// A client id unlikely to repeat: locks and watches are keyed by it.
fn instance_id() -> u64 {
    crate::runtime::random_u64() & 0x7fff_ffff
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
        let mut config = Config::for_id(id);
        config.parse_env(None);
        // SAFETY: out-pointer checked by put.
        unsafe { put(cluster, Box::into_raw(Cluster::new(config))) }?;
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
        let mut config = Config::for_name(cluster_name, name)?;
        config.parse_env(None);
        // SAFETY: out-pointer checked by put.
        unsafe { put(cluster, Box::into_raw(Cluster::new(config))) }?;
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
        cluster.config.lock().map_err(|_| Errno::EIO)?.read_file(path)?;
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
        cluster.config.lock().map_err(|_| Errno::EIO)?.set(option, value)?;
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
        let value = cluster.config.lock().map_err(|_| Errno::EIO)?.get(option)?;
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
        cluster.config.lock().map_err(|_| Errno::EIO)?.parse_env(var);
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
        cluster.config.lock().map_err(|_| Errno::EIO)?.parse_argv(&args)?;
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
        unsafe { self::cluster(cluster) }?.connect()?;
        Ok(0)
    })
}

/// Disconnects and frees the handle. Destroy its pool contexts first.
///
/// # Safety
/// `cluster` from rados_create, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rados_shutdown(cluster: rados_t) {
    guard_void(|| {
        // SAFETY: checked handle; ownership returns to us here.
        if unsafe { self::cluster(cluster) }.is_ok() {
            let boxed = unsafe { Box::from_raw(cluster) };
            if let Ok(Some(connection)) = boxed.connection.lock().map(|mut c| c.take()) {
                connection.runtime.shutdown();
            }
            let mut boxed = boxed;
            boxed.magic = 0;
        }
    })
}

fn new_ioctx(cluster_ptr: rados_t, cluster: &Cluster, pool: i64) -> Result<rados_ioctx_t, Errno> {
    let conn = cluster.connected()?;
    let io = IoCtx::new(conn.runtime.dispatcher.clone(), pool, "", conn.client);
    Ok(Box::into_raw(Box::new(PoolCtx { magic: IOCTX_MAGIC, conn, io: Mutex::new(io), cluster: cluster_ptr })))
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
        let pool = c.connected()?.lookup_pool(name)?;
        // SAFETY: out-pointer checked by put.
        unsafe { put(ioctx, new_ioctx(cluster, c, pool)?) }?;
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
        c.connected()?.pool_name(pool_id)?;
        // SAFETY: out-pointer checked by put.
        unsafe { put(ioctx, new_ioctx(cluster, c, pool_id)?) }?;
        Ok(0)
    })
}

/// Frees a pool context.
///
/// # Safety
/// `io` from rados_ioctx_create, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_destroy(io: rados_ioctx_t) {
    guard_void(|| {
        // SAFETY: checked handle; ownership returns to us here.
        if unsafe { ioctx(io) }.is_ok() {
            let mut boxed = unsafe { Box::from_raw(io) };
            boxed.magic = 0;
        }
    })
}

/// Selects the namespace for later operations (NULL or "": the default).
///
/// # Safety
/// `io` from rados_ioctx_create; `nspace` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_set_namespace(io: rados_ioctx_t, nspace: *const c_char) {
    guard_void(|| {
        // SAFETY: checked handle and string.
        if let (Ok(io), Ok(ns)) = unsafe { (ioctx(io), opt_cstr(nspace)) } {
            if let Ok(mut ctx) = io.io.lock() {
                ctx.namespace = ns.unwrap_or("").to_string();
            }
        }
    })
}

/// The pool id, or a negative error.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_get_id(io: rados_ioctx_t) -> i64 {
    // SAFETY: checked handle.
    match unsafe { ioctx(io) }.and_then(|io| io.io.lock().map(|c| c.pool).map_err(|_| Errno::EIO)) {
        Ok(pool) => pool,
        Err(e) => e.to_ret() as i64,
    }
}

/// The cluster handle a pool context belongs to.
///
/// # Safety
/// `io` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_get_cluster(io: rados_ioctx_t) -> rados_t {
    // SAFETY: checked handle.
    unsafe { ioctx(io) }.map_or(std::ptr::null_mut(), |io| io.cluster)
}

/// A pool's id by name, or -ENOENT.
///
/// # Safety
/// `cluster` connected; `pool_name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_pool_lookup(cluster: rados_t, pool_name: *const c_char) -> i64 {
    let result = (|| {
        // SAFETY: checked handle and string.
        let (c, name) = unsafe { (self::cluster(cluster)?, cstr(pool_name)?) };
        c.connected()?.lookup_pool(name)
    })();
    result.unwrap_or_else(|e| e.to_ret() as i64)
}

/// Creates a pool (on the local store; a cluster's monitor does it there).
///
/// # Safety
/// `cluster` connected; `pool_name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_pool_create(cluster: rados_t, pool_name: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle and string.
        let (c, name) = unsafe { (self::cluster(cluster)?, cstr(pool_name)?) };
        c.connected()?;
        let store = c.store.lock().map_err(|_| Errno::EIO)?.clone().ok_or(Errno::ENOTCONN)?;
        store.create_pool(name)?;
        Ok(0)
    })
}
