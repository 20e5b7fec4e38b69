//! A real Ceph cluster as the backend: the network thread driving the core's
//! sans-IO RadosClient (monitor session, OSDMap, objecter, OSD connections).
//!
//! A rados_t on a cluster runs two threads, however many pools, images and
//! OSDs it uses: the executor (the flows) and the network thread.

pub mod net;
mod ping;

pub use ping::ping_unconnected;

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc::{self, SyncSender};
use std::sync::Arc;
use std::time::Duration;

use rbdrs_core::auth::{AuthClient, CryptoKey, EntityName, EntityType};
use rbdrs_core::mon::{msgr2_addrs, parse_mon_host, MonClientConfig, MonTarget};
use rbdrs_core::msgr::ConMode;
use rbdrs_core::rados::client::{ClientConfig, ClientEvent, NetAction, RadosClient};
use rbdrs_core::rados::{Dispatcher, Request, Tid};
use rbdrs_core::time::Instant;
use rbdrs_core::Errno;

use crate::config::Config;
use crate::runtime::Backend;
use net::{ConnId, Driven, Io, NetThread};

/// Who we are to the cluster once connected.
#[derive(Clone, Debug)]
pub struct Identity {
    pub global_id: u64,
    pub nonce: u32,
    pub fsid: [u8; 16],
    /// Our messenger address, as rados_getaddrs prints it.
    pub addr: String,
}

enum Command {
    Submit(Tid, Request, Dispatcher),
    WhenReady(SyncSender<Result<Identity, Errno>>),
}

struct Driver {
    client: RadosClient,
    dispatcher: Option<Dispatcher>,
    ready: Option<Result<Identity, Errno>>,
    waiting: Vec<SyncSender<Result<Identity, Errno>>>,
}

impl Driver {
    fn events(&mut self) {
        while let Some(event) = self.client.poll_event() {
            match event {
                ClientEvent::Ready { global_id, fsid } => {
                    let addr = self.client.my_addr().unwrap_or_else(|| "-".into());
                    self.settle(Ok(Identity { global_id, nonce: self.client.nonce(), fsid, addr }));
                }
                ClientEvent::Failed(e) => self.settle(Err(e)),
                ClientEvent::Reply(tid, reply) => {
                    if let Some(d) = &self.dispatcher {
                        d.handle_reply(tid, reply);
                    }
                }
                // A watch exists only after a submit brought the dispatcher.
                ClientEvent::Watch(event) => {
                    if let Some(d) = &self.dispatcher {
                        d.handle_watch_event(event);
                    }
                }
            }
        }
    }

    fn settle(&mut self, result: Result<Identity, Errno>) {
        if self.ready.is_none() {
            self.ready = Some(result.clone());
        }
        for w in self.waiting.drain(..) {
            let _ = w.send(result.clone());
        }
    }
}

impl Driven for Driver {
    type Command = Command;

    fn handle_command(&mut self, command: Command, now: Instant) {
        match command {
            Command::Submit(tid, request, dispatcher) => {
                self.dispatcher.get_or_insert(dispatcher);
                self.client.submit(tid, request, now);
            }
            Command::WhenReady(tx) => match &self.ready {
                Some(result) => {
                    let _ = tx.send(result.clone());
                }
                None => self.waiting.push(tx),
            },
        }
        self.events();
    }

    fn handle_connected(&mut self, conn: ConnId, now: Instant) {
        self.client.handle_connected(conn, now);
        self.events();
    }

    fn handle_bytes(&mut self, conn: ConnId, bytes: &[u8], now: Instant) {
        self.client.handle_bytes(conn, bytes, now);
        self.events();
    }

    fn handle_closed(&mut self, conn: ConnId, now: Instant) {
        self.client.handle_closed(conn, now);
        self.events();
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.client.handle_timeout(now);
        self.events();
    }

    fn poll_io(&mut self) -> Option<Io> {
        Some(match self.client.poll_action()? {
            NetAction::Connect { conn, addr } => Io::Connect { conn, addr },
            NetAction::Send { conn, bytes } => Io::Send { conn, bytes },
            NetAction::Close { conn } => Io::Close { conn },
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.client.poll_timeout()
    }
}

/// The cluster backend of one rados_t.
pub struct ClusterBackend {
    net: Arc<NetThread<Command>>,
    pub identity: Identity,
}

impl std::fmt::Debug for ClusterBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterBackend").field("identity", &self.identity).finish_non_exhaustive()
    }
}

impl Backend for ClusterBackend {
    fn submit(&self, tid: Tid, request: Request, dispatcher: &Dispatcher) {
        let fallback = request.error_reply(Errno::ESHUTDOWN);
        if self.net.send(Command::Submit(tid, request, dispatcher.clone())).is_err() {
            dispatcher.handle_reply(tid, fallback);
        }
    }
}

impl Drop for ClusterBackend {
    fn drop(&mut self) {
        self.net.shutdown();
    }
}

/// The connection modes an `ms_*_mode` option lists, in order.
fn modes(config: &Config, option: &str) -> Result<Vec<ConMode>, Errno> {
    let modes: Vec<ConMode> =
        config.con_modes(option)?.iter().map(|m| if m == "secure" { ConMode::SECURE } else { ConMode::CRC }).collect();
    Ok(if modes.is_empty() { vec![ConMode::CRC, ConMode::SECURE] } else { modes })
}

/// Monitors' msgr2 addresses, DNS names resolved here (the core cannot).
fn monitors(mon_host: &str) -> Result<Vec<SocketAddr>, Errno> {
    let targets = parse_mon_host(mon_host)?;
    let mut addrs = msgr2_addrs(&targets)?;
    for target in &targets {
        if let MonTarget::Unresolved { host, port } = target {
            if let Ok(found) = (host.as_str(), *port).to_socket_addrs() {
                addrs.extend(found);
            }
        }
    }
    if addrs.is_empty() {
        eprintln!("librbdrs: no monitor in mon_host '{mon_host}' could be resolved");
        return Err(Errno::ENOENT);
    }
    Ok(addrs)
}

fn auth_client(config: &Config) -> Result<AuthClient, Errno> {
    let name = config.name();
    let entity = EntityName::new(EntityType::CLIENT, name.id());
    match config.secret()? {
        Some(key) => {
            let key = CryptoKey::from_base64(&key).map_err(|e| e.errno())?;
            AuthClient::cephx(entity, key, EntityType::MON.union(EntityType::OSD)).map_err(|e| e.errno())
        }
        None => Ok(AuthClient::none(entity)),
    }
}

/// The monitor client's settings from the configuration.
fn mon_config(config: &Config) -> Result<MonClientConfig, Errno> {
    let mut mon = MonClientConfig::new(monitors(&config.get_str("mon_host")?)?, auth_client(config)?);
    mon.modes = modes(config, "ms_mon_client_mode")?;
    mon.mount_timeout = config.get_timeout("client_mount_timeout")?.unwrap_or(Duration::from_secs(300));
    mon.wall_base = crate::runtime::now();
    mon.hostname = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
    Ok(mon)
}

impl ClusterBackend {
    /// Connects as rados_connect does: bounded by client_mount_timeout.
    pub fn connect(config: &Config, op_timeout: Duration) -> Result<Arc<ClusterBackend>, Errno> {
        let mon = mon_config(config)?;
        let mount_timeout = mon.mount_timeout;
        let osd_modes = modes(config, "ms_client_mode")?;
        let client = RadosClient::new(
            ClientConfig { mon, osd_modes, op_timeout, osd_timeout: Duration::from_secs(30) },
            Instant::ZERO,
            crate::runtime::random_u64(),
        );
        let driver = Driver { client, dispatcher: None, ready: None, waiting: Vec::new() };
        let net = NetThread::start(driver)?;
        let (tx, rx) = mpsc::sync_channel(1);
        net.send(Command::WhenReady(tx))?;
        let identity = match rx.recv_timeout(mount_timeout + Duration::from_secs(1)) {
            Ok(Ok(identity)) => identity,
            Ok(Err(e)) => {
                net.shutdown();
                return Err(e);
            }
            Err(_) => {
                net.shutdown();
                return Err(Errno::ETIMEDOUT);
            }
        };
        Ok(Arc::new(ClusterBackend { net, identity }))
    }
}
