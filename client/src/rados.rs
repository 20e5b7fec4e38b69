//! librados's handles in Rust: [`Rados`] (a cluster handle: configuration,
//! connect) and [`IoCtx`] (a pool and namespace to work in).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rbdrs_core::image;
use rbdrs_core::osd::{ClientId, SnapContext, SnapId};
use rbdrs_core::osdmap::PoolSnap;
use rbdrs_core::rados::osd_command::CommandTarget;
use rbdrs_core::rados::{PoolRequest, Reply, Request};
use rbdrs_core::Errno;

use crate::cluster::ClusterBackend;
use crate::config::Config;
use crate::local::LocalStore;
use crate::runtime::Runtime;

/// What a connected handle has: where requests go and who we are.
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
    /// Watches the application registered (rados_watch*).
    pub(crate) watches: crate::watch::Watches,
    /// The cluster's id; None on the embedded store.
    pub fsid: Option<[u8; 16]>,
    /// Our messenger address as librados prints it (rados_getaddrs); on
    /// the embedded store, the blank address its lockers show.
    pub addrs: String,
}

/// What a monitor command answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandOutput {
    /// 0 or a negative errno.
    pub result: i32,
    /// The status line (`ceph`'s stderr).
    pub status: String,
    /// The output (`ceph`'s stdout), JSON when asked for.
    pub output: Vec<u8>,
}

impl Connection {
    /// A pool request answered with `Reply::Done`.
    fn pool_request(&self, request: PoolRequest) -> Result<(), Errno> {
        let dispatcher = self.runtime.dispatcher.clone();
        match self.run_admin(async move { dispatcher.submit(Request::Pool(request)).await })? {
            Reply::Done(done) => done,
            _ => Err(Errno::EIO),
        }
    }

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

    pub fn config(&self) -> Result<MutexGuard<'_, Config>, Errno> {
        self.config.lock().map_err(|_| Errno::EIO)
    }

    pub fn lookup_pool(&self, name: &str) -> Result<i64, Errno> {
        let dispatcher = self.runtime.dispatcher.clone();
        let request = Request::Pool(PoolRequest::Lookup { name: name.into() });
        match self.run_admin(async move { dispatcher.submit(request).await })? {
            Reply::Id(id) => id.map(|id| id as i64),
            _ => Err(Errno::EIO),
        }
    }

    /// Waits until this client has the monitor's newest OSDMap.
    pub fn wait_for_latest_osdmap(&self) -> Result<(), Errno> {
        self.pool_request(PoolRequest::LatestMap)
    }

    pub fn pool_name(&self, pool: i64) -> Result<String, Errno> {
        let dispatcher = self.runtime.dispatcher.clone();
        match self.run_admin(async move { dispatcher.submit(Request::Pool(PoolRequest::Name { pool })).await })? {
            Reply::Name(name) => name,
            _ => Err(Errno::EIO),
        }
    }
}

/// A cluster handle (librados's `rados_t`): configuration first, then
/// [`connect`](Rados::connect) to the embedded store or a cluster.
#[derive(Debug)]
pub struct Rados {
    config: Arc<Mutex<Config>>,
    connection: Mutex<Option<Arc<Connection>>>,
    /// The local store, when that is the backend (pool creation).
    store: Mutex<Option<Arc<LocalStore>>>,
}

impl Rados {
    /// A handle for `client.<id>` (None: admin), with `CEPH_ARGS` applied
    /// as librados does at creation.
    pub fn new(id: Option<&str>) -> Rados {
        let mut config = Config::for_id(id);
        config.parse_env(None);
        Rados::with_config(config)
    }

    /// A handle for a full entity name (e.g. "client.admin").
    pub fn with_name(cluster: Option<&str>, name: &str) -> Result<Rados, Errno> {
        let mut config = Config::for_name(cluster, name)?;
        config.parse_env(None);
        Ok(Rados::with_config(config))
    }

    pub fn with_config(config: Config) -> Rados {
        Rados::with_shared_config(Arc::new(Mutex::new(config)))
    }

    /// A handle on another handle's configuration, shared as librados
    /// shares a CephContext (rados_create_with_context).
    pub fn with_shared_config(config: Arc<Mutex<Config>>) -> Rados {
        Rados { config, connection: Mutex::new(None), store: Mutex::new(None) }
    }

    /// The configuration itself, to share (rados_cct).
    pub fn shared_config(&self) -> Arc<Mutex<Config>> {
        self.config.clone()
    }

    /// The configuration: read files, set options, parse arguments.
    pub fn config(&self) -> Result<MutexGuard<'_, Config>, Errno> {
        self.config.lock().map_err(|_| Errno::EIO)
    }

    /// Connects: to the embedded local store when `rbdrs_local_store` is
    /// set, to the cluster `mon_host` names otherwise. With neither it fails
    /// with -ENOENT and says why; with both, -EINVAL.
    pub fn connect(&self) -> Result<(), Errno> {
        let mut connection = self.connection.lock().map_err(|_| Errno::EIO)?;
        if connection.is_some() {
            // librados's answer to a second connect.
            return Err(Errno::EISCONN);
        }
        let config = self.config()?;
        let local = config.get_str("rbdrs_local_store")?;
        let monitors = config.get_str("mon_host")?;
        let op_timeout = config.get_timeout("rados_osd_op_timeout")?.unwrap_or(Duration::from_secs(30));
        let admin_timeout =
            config.get_timeout("client_mount_timeout")?.unwrap_or(Duration::from_secs(300)).max(op_timeout);
        let mut fsid = None;
        let mut addrs = String::new();
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
                let id = cluster.identity.clone();
                fsid = Some(id.fsid);
                addrs = id.addr;
                (Runtime::start(cluster)?, ClientId { global_id: id.global_id, nonce: id.nonce })
            }
            (true, true) => {
                eprintln!("librbdrs: no monitors (mon_host) and no rbdrs_local_store configured");
                return Err(Errno::ENOENT);
            }
        };
        *connection = Some(Arc::new(Connection {
            runtime,
            client,
            op_timeout,
            admin_timeout,
            config: self.config.clone(),
            watches: Default::default(),
            fsid,
            addrs: if addrs.is_empty() { format!("0.0.0.0:0/{}", client.nonce) } else { addrs },
        }));
        Ok(())
    }

    /// The connection; -ENOTCONN before [`connect`](Rados::connect).
    pub fn connection(&self) -> Result<Arc<Connection>, Errno> {
        self.connection.lock().map_err(|_| Errno::EIO)?.clone().ok_or(Errno::ENOTCONN)
    }

    /// The embedded store, when connected to one.
    pub fn local_store(&self) -> Result<Arc<LocalStore>, Errno> {
        self.connection()?;
        self.store.lock().map_err(|_| Errno::EIO)?.clone().ok_or(Errno::ENOTCONN)
    }

    /// A pool context by pool name; -ENOENT if there is no such pool.
    pub fn ioctx(&self, pool: &str) -> Result<IoCtx, Errno> {
        let conn = self.connection()?;
        let id = conn.lookup_pool(pool)?;
        Ok(IoCtx::new(conn, id))
    }

    /// A pool context by pool id.
    pub fn ioctx_by_id(&self, pool: i64) -> Result<IoCtx, Errno> {
        let conn = self.connection()?;
        conn.pool_name(pool)?;
        Ok(IoCtx::new(conn, pool))
    }

    pub fn pool_lookup(&self, name: &str) -> Result<i64, Errno> {
        self.connection()?.lookup_pool(name)
    }

    /// Creates a pool and returns its id: on the embedded store, or by the
    /// monitor (with CRUSH rule `crush_rule`, else its default), once this
    /// client's map has it.
    pub fn pool_create(&self, name: &str, crush_rule: Option<u8>) -> Result<i64, Errno> {
        if let Ok(store) = self.local_store() {
            return store.create_pool(name);
        }
        let conn = self.connection()?;
        conn.pool_request(PoolRequest::CreatePool { name: name.into(), crush_rule })?;
        conn.lookup_pool(name)
    }

    /// Deletes a pool through the monitor (which refuses with -EPERM
    /// unless mon_allow_pool_delete). The embedded store cannot.
    pub fn pool_delete(&self, name: &str) -> Result<(), Errno> {
        if self.local_store().is_ok() {
            return Err(Errno::EOPNOTSUPP);
        }
        self.connection()?.pool_request(PoolRequest::DeletePool { name: name.into() })
    }

    /// rados_cluster_fsid: the cluster's id as Ceph prints it; -EOPNOTSUPP
    /// on the embedded store, which is no cluster.
    pub fn cluster_fsid(&self) -> Result<String, Errno> {
        let f = self.connection()?.fsid.ok_or(Errno::EOPNOTSUPP)?;
        let hex = |r: std::ops::Range<usize>| f[r].iter().map(|b| format!("{b:02x}")).collect::<String>();
        Ok(format!("{}-{}-{}-{}-{}", hex(0..4), hex(4..6), hex(6..8), hex(8..10), hex(10..16)))
    }

    /// rados_pool_get_base_tier: the pool `pool` caches, or `pool` itself.
    pub fn pool_base_tier(&self, pool: i64) -> Result<i64, Errno> {
        let conn = self.connection()?;
        let dispatcher = conn.runtime.dispatcher.clone();
        let request = Request::Pool(PoolRequest::BaseTier { pool });
        match conn.run_admin(async move { dispatcher.submit(request).await })? {
            Reply::Id(id) => id.map(|id| id as i64),
            _ => Err(Errno::EIO),
        }
    }

    /// rados_cluster_stat: kb, kb_used, kb_avail and num_objects as the
    /// monitor reports them (zeros without a manager daemon).
    pub fn cluster_stat(&self) -> Result<[u64; 4], Errno> {
        let conn = self.connection()?;
        let dispatcher = conn.runtime.dispatcher.clone();
        match conn.run_admin(async move { dispatcher.submit(Request::Pool(PoolRequest::ClusterStat)).await })? {
            Reply::Stats(stats) => stats,
            _ => Err(Errno::EIO),
        }
    }

    /// rados_blocklist_add: the OSDs refuse client `addr` (`ip:port/nonce`)
    /// for `expire_seconds` (0: the monitor's default).
    pub fn blocklist_add(&self, addr: &str, expire_seconds: u32) -> Result<(), Errno> {
        let conn = self.connection()?;
        let (dispatcher, addr) = (conn.runtime.dispatcher.clone(), addr.to_string());
        conn.run_admin(async move { rbdrs_core::rados::blocklist_add(&dispatcher, &addr, expire_seconds).await })?
    }

    /// rados_mon_command: JSON command parts as `ceph` sends them, and
    /// input. The monitor's result, status line and output; -EOPNOTSUPP
    /// on the embedded store, which has no monitor.
    pub fn mon_command(&self, cmd: &[String], input: &[u8]) -> Result<CommandOutput, Errno> {
        self.command(PoolRequest::MonCommand { cmd: cmd.to_vec(), input: input.to_vec().into() })
    }

    /// rados_mon_command_target: to the monitor `name` names (a rank when
    /// all digits), on a connection of its own; an empty name is any
    /// monitor, as rados_mon_command. -ENOENT ("mon dne", "mon rank dne")
    /// for no such monitor.
    pub fn mon_command_target(&self, name: &str, cmd: &[String], input: &[u8]) -> Result<CommandOutput, Errno> {
        if name.is_empty() {
            return self.mon_command(cmd, input);
        }
        let target = rbdrs_core::mon::tell::MonRef::parse(name);
        self.command(PoolRequest::MonTell { target, cmd: cmd.to_vec(), input: input.to_vec().into() })
    }

    /// rados_ping_monitor: monitor `mon_id`'s health and status as JSON.
    /// Before connect, from mon_host alone, as librados allows.
    /// -EOPNOTSUPP on the embedded store.
    pub fn ping_monitor(&self, mon_id: &str) -> Result<String, Errno> {
        let conn = match self.connection() {
            Ok(conn) => conn,
            Err(Errno::ENOTCONN) => return crate::cluster::ping_unconnected(&*self.config()?, mon_id),
            Err(e) => return Err(e),
        };
        if conn.fsid.is_none() {
            return Err(Errno::EOPNOTSUPP);
        }
        let answer = self.command(PoolRequest::PingMonitor { name: mon_id.into() })?;
        Errno::from_ret(answer.result)?;
        String::from_utf8(answer.output).map_err(|_| Errno::EBADMSG)
    }

    /// rados_osd_command, rados_pg_command: JSON command parts to an OSD
    /// or a pg's primary, on its session. -EOPNOTSUPP on the embedded store.
    pub fn osd_command(&self, target: CommandTarget, cmd: &[String], input: &[u8]) -> Result<CommandOutput, Errno> {
        self.command(PoolRequest::OsdCommand { target, cmd: cmd.to_vec(), input: input.to_vec().into() })
    }

    fn command(&self, request: PoolRequest) -> Result<CommandOutput, Errno> {
        let conn = self.connection()?;
        let dispatcher = conn.runtime.dispatcher.clone();
        match conn.run_admin(async move { dispatcher.submit(Request::Pool(request)).await })? {
            Reply::Command { result, status, output } => Ok(CommandOutput { result, status, output: output.to_vec() }),
            _ => Err(Errno::EIO),
        }
    }

    /// rados_mgr_command(_target): librbdrs has no manager client, and
    /// says so at once (-EOPNOTSUPP, on a cluster with a manager or
    /// without), where librados would talk to the manager, or with none
    /// running wait rados_mon_op_timeout (for ever when 0).
    pub fn mgr_command(&self) -> Result<CommandOutput, Errno> {
        self.connection()?;
        Err(Errno::EOPNOTSUPP)
    }

    /// Disconnects: stops the threads once the flows they run finish.
    pub fn shutdown(&self) {
        if let Ok(Some(connection)) = self.connection.lock().map(|mut c| c.take()) {
            connection.runtime.shutdown();
        }
    }
}

impl Drop for Rados {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A client id unlikely to repeat: locks and watches are keyed by it.
fn instance_id() -> u64 {
    crate::runtime::random_u64() & 0x7fff_ffff
}

/// A pool (and namespace) to work in: librados's `rados_ioctx_t`.
#[derive(Debug)]
pub struct IoCtx {
    conn: Arc<Connection>,
    io: Mutex<image::IoCtx>,
}

impl IoCtx {
    fn new(conn: Arc<Connection>, pool: i64) -> IoCtx {
        let io = image::IoCtx::new(conn.runtime.dispatcher.clone(), pool, "", conn.client);
        IoCtx { conn, io: Mutex::new(io) }
    }

    pub fn connection(&self) -> &Arc<Connection> {
        &self.conn
    }

    /// The core's context as it is now, for flows to take along.
    pub fn core(&self) -> image::IoCtx {
        self.io.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn pool_id(&self) -> i64 {
        self.io.lock().unwrap_or_else(|e| e.into_inner()).pool
    }

    pub fn pool_name(&self) -> Result<String, Errno> {
        self.conn.pool_name(self.pool_id())
    }

    pub fn namespace(&self) -> String {
        self.io.lock().unwrap_or_else(|e| e.into_inner()).namespace.clone()
    }

    /// rados_ioctx_pool_stat: the pool's usage as the monitor (or the
    /// embedded store) counts it.
    pub fn pool_stat(&self) -> Result<rbdrs_core::mon::pool_stats::RadosPoolStat, Errno> {
        let dispatcher = self.conn.runtime.dispatcher.clone();
        let request = Request::Pool(PoolRequest::PoolStat { pool: self.pool_id() });
        match self.conn.run_admin(async move { dispatcher.submit(request).await })? {
            Reply::PoolStat(stat) => stat.map(|s| *s),
            _ => Err(Errno::EIO),
        }
    }

    /// Whether writes to the pool must be aligned, and the pool's stripe
    /// width (rados_ioctx_pool_requires_alignment2 / _required_alignment2).
    pub fn alignment(&self) -> Result<(bool, u64), Errno> {
        let dispatcher = self.conn.runtime.dispatcher.clone();
        let request = Request::Pool(PoolRequest::Alignment { pool: self.pool_id() });
        match self.conn.run_admin(async move { dispatcher.submit(request).await })? {
            Reply::Alignment(alignment) => alignment,
            _ => Err(Errno::EIO),
        }
    }

    /// rados_ioctx_selfmanaged_snap_create: a new snapshot id, from the
    /// monitor (which refuses with -EINVAL in a pool with pool snapshots)
    /// or the embedded store.
    pub fn selfmanaged_snap_create(&self) -> Result<u64, Errno> {
        let dispatcher = self.conn.runtime.dispatcher.clone();
        let request = Request::Pool(PoolRequest::CreateSnap { pool: self.pool_id() });
        match self.conn.run_admin(async move { dispatcher.submit(request).await })? {
            Reply::Id(id) => id,
            _ => Err(Errno::EIO),
        }
    }

    /// Sends later writes with FULL_TRY (rados_set_pool_full_try): they
    /// reach the OSD even while the pool is full.
    pub fn set_full_try(&self, full_try: bool) {
        self.io.lock().unwrap_or_else(|e| e.into_inner()).full_try = full_try;
    }

    /// rados_ioctx_selfmanaged_snap_remove: releases a snapshot id; the
    /// OSDs trim its clones.
    pub fn selfmanaged_snap_remove(&self, snap: u64) -> Result<(), Errno> {
        self.conn.pool_request(PoolRequest::RemoveSnap { pool: self.pool_id(), snap })
    }

    /// rados_ioctx_snap_create: pool snapshot `name`, by the monitor;
    /// -EEXIST if taken, -EINVAL in a pool with self-managed snapshots,
    /// -EOPNOTSUPP on the embedded store.
    pub fn snap_create(&self, name: &str) -> Result<(), Errno> {
        self.conn.pool_request(PoolRequest::CreatePoolSnap { pool: self.pool_id(), name: name.into() })
    }

    /// rados_ioctx_snap_remove: -ENOENT if there is no such snapshot.
    pub fn snap_remove(&self, name: &str) -> Result<(), Errno> {
        self.conn.pool_request(PoolRequest::RemovePoolSnap { pool: self.pool_id(), name: name.into() })
    }

    /// The pool's snapshots by id, from this client's OSDMap.
    pub fn snap_list(&self) -> Result<Vec<(u64, PoolSnap)>, Errno> {
        let dispatcher = self.conn.runtime.dispatcher.clone();
        let request = Request::Pool(PoolRequest::PoolSnaps { pool: self.pool_id() });
        match self.conn.run_admin(async move { dispatcher.submit(request).await })? {
            Reply::PoolSnaps(snaps) => snaps,
            _ => Err(Errno::EIO),
        }
    }

    /// rados_ioctx_snap_lookup: a pool snapshot's id; -ENOENT if none.
    pub fn snap_lookup(&self, name: &str) -> Result<u64, Errno> {
        self.snap_list()?.into_iter().find(|(_, s)| s.name == name).map(|(id, _)| id).ok_or(Errno::ENOENT)
    }

    /// A pool snapshot by id; -ENOENT if none.
    pub fn snap_info(&self, id: u64) -> Result<PoolSnap, Errno> {
        self.snap_list()?.into_iter().find(|(i, _)| *i == id).map(|(_, s)| s).ok_or(Errno::ENOENT)
    }

    /// rados_ioctx_snap_set_read: later reads see snapshot `snap` (0 or
    /// head: the live objects), and writes fail with -EROFS.
    pub fn set_snap_read(&self, snap: SnapId) {
        let snap = if snap.0 == 0 { SnapId::HEAD } else { snap };
        self.io.lock().unwrap_or_else(|e| e.into_inner()).snap_read = snap;
    }

    /// rados_ioctx_selfmanaged_snap_set_write_ctx: the snap context later
    /// writes carry; -EINVAL unless valid as Ceph defines it.
    pub fn set_write_ctx(&self, snapc: SnapContext) -> Result<(), Errno> {
        if !snapc.is_valid() {
            return Err(Errno::EINVAL);
        }
        self.io.lock().unwrap_or_else(|e| e.into_inner()).snapc = snapc;
        Ok(())
    }

    /// The same connection working in `io`'s pool and namespace.
    pub fn with_core(&self, io: image::IoCtx) -> IoCtx {
        IoCtx { conn: self.conn.clone(), io: Mutex::new(io) }
    }

    /// Places later operations' objects by `key` instead of their names
    /// (rados_ioctx_locator_set_key; "" is by name again).
    pub fn set_locator_key(&self, key: &str) {
        self.io.lock().unwrap_or_else(|e| e.into_inner()).locator_key = key.to_string();
    }

    /// Selects the namespace for later operations ("" is the default).
    pub fn set_namespace(&self, namespace: &str) {
        self.io.lock().unwrap_or_else(|e| e.into_inner()).namespace = namespace.to_string();
    }
}
