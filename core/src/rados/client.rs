//! librados's RadosClient, sans IO: the monitor session, the OSDMap, the
//! objecter and one messenger connection per OSD, behind the same
//! [`Request`]/[`Reply`] interface the stores answer. A driver owns the
//! sockets and the clock; it feeds bytes and connection events in and
//! carries out the [`NetAction`]s that come out.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;

use bytes::Bytes;

use super::{PoolRequest, Reply, Request, Tid};
use crate::auth;
use crate::mon::messages::OsdMapMessage;
use crate::mon::monmap::socket_addr;
use crate::mon::{self, MonAction, MonClient, MonClientConfig, MonEvent, OsdMaps};
use crate::msgr::{
    features, AddrType, ConnAuth, ConnEvent, Connection, ConnectionConfig, EntityAddr, EntityType, Message,
};
use crate::objecter::messages::MSG_OSD_MAP;
use crate::objecter::{Objecter, ObjecterConfig, Placement, SpgId, Target};
use crate::osdmap::OsdMap;
use crate::random::XorShift;
use crate::time::Instant;
use crate::Errno;

/// The driver's name for a socket.
pub type NetConn = u64;

/// What the driver must do with its sockets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetAction {
    Connect { conn: NetConn, addr: SocketAddr },
    Send { conn: NetConn, bytes: Vec<u8> },
    Close { conn: NetConn },
}

/// What the owner of the client learns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// Authenticated and holding an OSDMap: requests can flow.
    Ready {
        global_id: u64,
        fsid: [u8; 16],
    },
    /// Connecting failed for good (bad key, no monitor answered in time).
    Failed(Errno),
    Reply(Tid, Reply),
    /// A notification on one of our watches (ack it: see
    /// [`Notification::ack`](crate::objecter::Notification::ack)), or its loss.
    Watch(crate::objecter::WatchEvent),
}

#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub mon: MonClientConfig,
    /// Connection modes for OSD sessions (ms_client_mode), in order.
    pub osd_modes: Vec<crate::msgr::ConMode>,
    /// rados_osd_op_timeout.
    pub op_timeout: Duration,
    /// How long an OSD connection may stay silent (ms_connection_idle_timeout is
    /// longer; keepalives keep a live one talking).
    pub osd_timeout: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PoolOpKind {
    CreateSnap,
    RemoveSnap,
    /// Pool create or delete: done once the map shows it.
    Pool,
}

/// Mon connections are even, OSD connections odd.
fn mon_conn(id: mon::ConnId) -> NetConn {
    id.0 << 1
}

struct OsdSession {
    conn: NetConn,
    connection: Connection,
    addr: EntityAddr,
}

/// Waiting to (re)connect to an OSD: after a failure, wait a little.
struct OsdBackoff {
    until: Instant,
    failures: u32,
}

/// See the module documentation.
pub struct RadosClient {
    mon: MonClient,
    map: Option<OsdMap>,
    objecter: Objecter,
    config: ClientConfig,
    rng: XorShift,
    nonce: u32,
    sessions: BTreeMap<i32, OsdSession>,
    /// Messages for an OSD we are not connected to yet.
    held: BTreeMap<i32, Vec<Message>>,
    backoff: BTreeMap<i32, OsdBackoff>,
    next_osd_conn: u64,
    global_seq: u64,
    /// Monitor pool ops by monitor tid: our tid and what was asked.
    pool_ops: BTreeMap<u64, (Tid, PoolOpKind)>,
    /// Monitor commands by monitor tid: our tid.
    commands: BTreeMap<u64, Tid>,
    /// Application changes sent as monitor commands, by monitor tid: our
    /// tid (done once our map is the monitor's newest).
    app_commands: BTreeMap<u64, Tid>,
    /// Commands to OSDs, on their sessions.
    osd_commands: super::osd_command::OsdCommands,
    /// Statfs requests by monitor tid: our tid.
    statfs: BTreeMap<u64, Tid>,
    /// Pool stats requests by monitor tid: our tid and the pool's name.
    pool_stats: BTreeMap<u64, (Tid, String)>,
    /// Pool lookups the map could not answer, by the MMonGetVersion asking
    /// for the newest epoch (librados's wait_for_latest_osdmap).
    stale_lookups: BTreeMap<u64, Vec<(Tid, PoolRequest)>>,
    /// Those lookups once the newest epoch is known, until the map has it.
    awaiting_epoch: Vec<(u32, Tid, PoolRequest)>,
    /// Object requests that came before the first map.
    early: Vec<(Tid, crate::osd::ObjectRequest)>,
    ready: bool,
    now: Instant,
    actions: VecDeque<NetAction>,
    events: VecDeque<ClientEvent>,
}

impl core::fmt::Debug for RadosClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RadosClient")
            .field("epoch", &self.map.as_ref().map(OsdMap::epoch))
            .field("sessions", &self.sessions.len())
            .field("ready", &self.ready)
            .finish_non_exhaustive()
    }
}

impl Placement for OsdMap {
    fn epoch(&self) -> u32 {
        OsdMap::epoch(self)
    }

    fn calc_target(&self, pool: i64, name: &str, nspace: &str) -> Result<Option<Target>, Errno> {
        let raw = self.object_locator_to_pg(pool, name, "", nspace)?;
        let pg = self.raw_pg_to_pg(raw);
        let mapping = self.pg_to_up_acting_osds(pg);
        if mapping.acting_primary < 0 {
            return Ok(None);
        }
        let erasure = self.pool(pool).is_some_and(|p| p.is_erasure());
        let shard = if erasure {
            mapping.acting.iter().position(|o| *o == mapping.acting_primary).map_or(-1, |i| i as i8)
        } else {
            SpgId::NO_SHARD
        };
        Ok(Some(Target { osd: mapping.acting_primary, pgid: SpgId { pool, seed: pg.seed, shard }, hash: raw.seed }))
    }

    fn paused(&self, pool: i64, write: bool, respects_full: bool) -> bool {
        use crate::osdmap::flags;
        if write {
            self.test_flag(flags::PAUSEWR)
                || (respects_full
                    && (self.test_flag(flags::FULL)
                        || self.pool(pool).is_some_and(|p| p.has_flag(crate::osdmap::PgPool::FLAG_FULL))))
        } else {
            self.test_flag(flags::PAUSERD)
        }
    }

    fn is_up(&self, osd: i32) -> bool {
        OsdMap::is_up(self, osd)
    }

    fn calc_pg_target(&self, pool: i64, hash: u32) -> Result<Option<Target>, Errno> {
        let p = self.pool(pool).ok_or(Errno::ENOENT)?;
        let pg = p.raw_pg_to_pg(crate::osdmap::PgId { pool, seed: hash });
        let mapping = self.pg_to_up_acting_osds(pg);
        if mapping.acting_primary < 0 {
            return Ok(None);
        }
        let shard = if p.is_erasure() {
            mapping.acting.iter().position(|o| *o == mapping.acting_primary).map_or(-1, |i| i as i8)
        } else {
            SpgId::NO_SHARD
        };
        Ok(Some(Target { osd: mapping.acting_primary, pgid: SpgId { pool, seed: pg.seed, shard }, hash: pg.seed }))
    }
}

impl RadosClient {
    pub fn new(config: ClientConfig, now: Instant, random: u64) -> Self {
        let mut rng = XorShift::new(random);
        let mon = MonClient::new(config.mon.clone(), now, rng.next_u64());
        let nonce = mon.nonce();
        let objecter = Objecter::new(ObjecterConfig {
            op_timeout: config.op_timeout,
            features: features::SUPPORTED_DEFAULT,
            watch_timeout: 30,
        });
        let mut client = RadosClient {
            mon,
            map: None,
            objecter,
            config,
            rng,
            nonce,
            sessions: BTreeMap::new(),
            held: BTreeMap::new(),
            backoff: BTreeMap::new(),
            next_osd_conn: 0,
            global_seq: 1 << 20,
            pool_ops: BTreeMap::new(),
            commands: BTreeMap::new(),
            app_commands: BTreeMap::new(),
            osd_commands: Default::default(),
            statfs: BTreeMap::new(),
            pool_stats: BTreeMap::new(),
            stale_lookups: BTreeMap::new(),
            awaiting_epoch: Vec::new(),
            early: Vec::new(),
            ready: false,
            now,
            actions: VecDeque::new(),
            events: VecDeque::new(),
        };
        client.pump();
        client
    }

    pub fn global_id(&self) -> u64 {
        self.mon.global_id()
    }

    /// Our messenger nonce: with the global id, how OSDs name this client.
    pub fn nonce(&self) -> u32 {
        self.nonce
    }

    /// Our messenger address as librados prints it (rados_getaddrs).
    pub fn my_addr(&self) -> Option<String> {
        self.mon.my_addr().map(|a| alloc::format!("{a}"))
    }

    pub fn osdmap(&self) -> Option<&OsdMap> {
        self.map.as_ref()
    }

    pub fn poll_action(&mut self) -> Option<NetAction> {
        self.actions.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    pub fn submit(&mut self, tid: Tid, request: Request, now: Instant) {
        self.now = self.now.max(now);
        match request {
            Request::Object(req) => match &self.map {
                Some(map) => self.objecter.submit(tid, req, map, now),
                None => self.early.push((tid, req)),
            },
            Request::Pool(PoolRequest::CreateSnap { pool }) => {
                let mon_tid = self.mon.create_selfmanaged_snap(pool);
                self.pool_ops.insert(mon_tid, (tid, PoolOpKind::CreateSnap));
            }
            Request::Pool(PoolRequest::RemoveSnap { pool, snap }) => {
                let mon_tid = self.mon.delete_selfmanaged_snap(pool, snap);
                self.pool_ops.insert(mon_tid, (tid, PoolOpKind::RemoveSnap));
            }
            Request::Pool(PoolRequest::PoolSnaps { pool }) => {
                let snaps = self.map.as_ref().and_then(|m| m.pool(pool)).ok_or(Errno::ENOENT);
                let snaps = snaps.map(|p| p.snaps.iter().map(|(id, s)| (*id, s.clone())).collect());
                self.events.push_back(ClientEvent::Reply(tid, Reply::PoolSnaps(snaps)));
            }
            // The Objecter checks its map first: -EINVAL for no such pool.
            Request::Pool(PoolRequest::CreatePoolSnap { pool, name }) => {
                match self.map.as_ref().and_then(|m| m.pool(pool)) {
                    None => self.events.push_back(ClientEvent::Reply(tid, Reply::Done(Err(Errno::EINVAL)))),
                    Some(p) if p.snap_by_name(&name).is_some() => {
                        self.events.push_back(ClientEvent::Reply(tid, Reply::Done(Err(Errno::EEXIST))));
                    }
                    Some(_) => {
                        let mon_tid = self.mon.create_pool_snap(pool, &name);
                        self.pool_ops.insert(mon_tid, (tid, PoolOpKind::Pool));
                    }
                }
            }
            Request::Pool(PoolRequest::RemovePoolSnap { pool, name }) => {
                let snap = self.map.as_ref().and_then(|m| m.pool(pool)).map(|p| p.snap_by_name(&name));
                match snap {
                    None => self.events.push_back(ClientEvent::Reply(tid, Reply::Done(Err(Errno::EINVAL)))),
                    Some(None) => self.events.push_back(ClientEvent::Reply(tid, Reply::Done(Err(Errno::ENOENT)))),
                    Some(Some(_)) => {
                        let mon_tid = self.mon.delete_pool_snap(pool, &name);
                        self.pool_ops.insert(mon_tid, (tid, PoolOpKind::Pool));
                    }
                }
            }
            // librados asks its map first: a monitor answers 0 for a pool
            // that exists already.
            Request::Pool(PoolRequest::CreatePool { name, .. })
                if self.map.as_ref().and_then(|m| m.pool_id(&name)).is_some() =>
            {
                self.events.push_back(ClientEvent::Reply(tid, Reply::Done(Err(Errno::EEXIST))));
            }
            Request::Pool(PoolRequest::CreatePool { name, crush_rule }) => {
                let mon_tid = self.mon.create_pool(&name, crush_rule);
                self.pool_ops.insert(mon_tid, (tid, PoolOpKind::Pool));
            }
            Request::Pool(PoolRequest::DeletePool { name }) => match self.map.as_ref().and_then(|m| m.pool_id(&name)) {
                Some(pool) => {
                    let mon_tid = self.mon.delete_pool(pool);
                    self.pool_ops.insert(mon_tid, (tid, PoolOpKind::Pool));
                }
                None => self.events.push_back(ClientEvent::Reply(tid, Reply::Done(Err(Errno::ENOENT)))),
            },
            Request::Pool(PoolRequest::WatchCheck { cookie }) => {
                let age = self.objecter.watch_check(cookie, self.now);
                self.events.push_back(ClientEvent::Reply(tid, Reply::Id(age)));
            }
            Request::Pool(PoolRequest::PoolList) => {
                let pools = match &self.map {
                    Some(map) => Ok(map.pools().map(|(id, name)| (id, String::from(name))).collect()),
                    None => Err(Errno::ENOTCONN),
                };
                self.events.push_back(ClientEvent::Reply(tid, Reply::Pools(pools)));
            }
            Request::Pool(PoolRequest::ClusterStat) => {
                let mon_tid = self.mon.statfs();
                self.statfs.insert(mon_tid, tid);
            }
            // librados names the pool by our map: gone from it, -ENOENT.
            Request::Pool(PoolRequest::PoolStat { pool }) => match self.map.as_ref().and_then(|m| m.pool_name(pool)) {
                Some(name) => {
                    let mon_tid = self.mon.get_pool_stats(alloc::vec![name.into()]);
                    self.pool_stats.insert(mon_tid, (tid, name.into()));
                }
                None => self.events.push_back(ClientEvent::Reply(tid, Reply::PoolStat(Err(Errno::ENOENT)))),
            },
            Request::Pool(PoolRequest::PgOf { pool, hash }) => {
                let pool = self.map.as_ref().and_then(|m| m.pool(pool)).ok_or(Errno::ENOENT);
                let seed = pool.map(|p| u64::from(p.raw_pg_to_pg(crate::osdmap::PgId { pool: 0, seed: hash }).seed));
                self.events.push_back(ClientEvent::Reply(tid, Reply::Id(seed)));
            }
            Request::Pool(PoolRequest::Applications { pool }) => {
                let apps = self.map.as_ref().and_then(|m| m.pool(pool)).ok_or(Errno::ENOENT);
                let reply = Reply::Applications(apps.map(|p| p.application_metadata.clone()));
                self.events.push_back(ClientEvent::Reply(tid, reply));
            }
            // Named as the map names the pool; the monitor answers -ENOENT
            // for one it no longer has.
            Request::Pool(PoolRequest::Application { pool, change }) => {
                let name = self.map.as_ref().and_then(|m| m.pool_name(pool)).unwrap_or_default();
                let cmd = alloc::vec![change.command(name)];
                let mon_tid = self.mon.command(cmd, Bytes::new());
                self.app_commands.insert(mon_tid, tid);
            }
            Request::Pool(PoolRequest::MonCommand { cmd, input }) => {
                let mon_tid = self.mon.command(cmd, input);
                self.commands.insert(mon_tid, tid);
            }
            Request::Pool(PoolRequest::MonTell { target, cmd, input }) => {
                let mon_tid = self.mon.tell(&target, &cmd, input, now);
                self.commands.insert(mon_tid, tid);
            }
            Request::Pool(PoolRequest::PingMonitor { name }) => {
                let mon_tid = self.mon.ping(&name, now);
                self.commands.insert(mon_tid, tid);
            }
            Request::Pool(PoolRequest::OsdCommand { target, cmd, input }) => {
                let (Some(map), Some(fsid)) = (&self.map, self.mon.fsid()) else {
                    let reply =
                        Request::Pool(PoolRequest::OsdCommand { target, cmd, input }).error_reply(Errno::ENOTCONN);
                    return self.events.push_back(ClientEvent::Reply(tid, reply));
                };
                match self.osd_commands.start(tid, target, &cmd, input, map, &fsid) {
                    Ok((osd, message)) => self.send_to_osd(osd, message),
                    Err(e) => self.events.push_back(ClientEvent::Reply(tid, super::osd_command::failed(e))),
                }
            }
            Request::Pool(
                req @ (PoolRequest::Lookup { .. }
                | PoolRequest::Name { .. }
                | PoolRequest::BaseTier { .. }
                | PoolRequest::Alignment { .. }
                | PoolRequest::LatestMap),
            ) => {
                match self.resolve_pool(&req) {
                    Some(reply) => self.events.push_back(ClientEvent::Reply(tid, reply)),
                    // A pool made since our map: ask how new the newest is.
                    None => {
                        let version = self.mon.get_version("osdmap");
                        self.stale_lookups.entry(version).or_default().push((tid, req));
                    }
                }
            }
        }
        self.pump();
    }

    /// Abandons a request: its reply, if one comes, is dropped.
    pub fn cancel(&mut self, tid: Tid) {
        self.objecter.cancel(tid);
        if let Some((&mon_tid, _)) = self.commands.iter().find(|(_, t)| **t == tid) {
            self.commands.remove(&mon_tid);
            self.mon.cancel(mon_tid);
        }
        if let Some((&mon_tid, _)) = self.app_commands.iter().find(|(_, t)| **t == tid) {
            self.app_commands.remove(&mon_tid);
            self.mon.cancel(mon_tid);
        }
        self.osd_commands.cancel(tid);
        self.statfs.retain(|_, t| *t != tid);
        self.pool_stats.retain(|_, (t, _)| *t != tid);
        self.early.retain(|(t, _)| *t != tid);
        self.awaiting_epoch.retain(|(_, t, _)| *t != tid);
        self.stale_lookups.values_mut().for_each(|l| l.retain(|(t, _)| *t != tid));
    }

    pub fn handle_connected(&mut self, conn: NetConn, now: Instant) {
        self.now = self.now.max(now);
        if conn & 1 == 0 {
            self.mon.handle_connected(mon::ConnId(conn >> 1), now);
        }
        self.pump();
    }

    pub fn handle_bytes(&mut self, conn: NetConn, bytes: &[u8], now: Instant) {
        self.now = self.now.max(now);
        if conn & 1 == 0 {
            self.mon.handle_bytes(mon::ConnId(conn >> 1), bytes, now);
        } else if let Some(osd) = self.osd_of(conn) {
            if let Some(s) = self.sessions.get_mut(&osd) {
                s.connection.handle_input(bytes, now, None);
            }
            self.osd_events(osd);
        }
        self.pump();
    }

    pub fn handle_closed(&mut self, conn: NetConn, now: Instant) {
        self.now = self.now.max(now);
        if conn & 1 == 0 {
            self.mon.handle_closed(mon::ConnId(conn >> 1), now);
        } else if let Some(osd) = self.osd_of(conn) {
            if let Some(s) = self.sessions.get_mut(&osd) {
                s.connection.handle_closed();
            }
            self.osd_events(osd);
        }
        self.pump();
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        let sessions = self.sessions.values().filter_map(|s| s.connection.poll_timeout());
        let backoffs = self.backoff.iter().filter(|(osd, _)| self.held.contains_key(osd)).map(|(_, b)| b.until);
        [self.mon.poll_timeout(), self.objecter.poll_timeout()]
            .into_iter()
            .flatten()
            .chain(sessions)
            .chain(backoffs)
            .min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.mon.handle_timeout(now);
        if let Some(map) = &self.map {
            self.objecter.handle_timeout(now, map);
        }
        let osds: Vec<i32> = self.sessions.keys().copied().collect();
        for osd in osds {
            if let Some(s) = self.sessions.get_mut(&osd) {
                s.connection.handle_timeout(now);
            }
            self.osd_events(osd);
        }
        let due: Vec<i32> =
            self.held.keys().copied().filter(|osd| self.backoff.get(osd).is_none_or(|b| b.until <= now)).collect();
        for osd in due {
            self.connect_osd(osd);
        }
        self.pump();
    }

    fn osd_of(&self, conn: NetConn) -> Option<i32> {
        self.sessions.iter().find(|(_, s)| s.conn == conn).map(|(osd, _)| *osd)
    }

    /// Moves everything the parts produced to where it goes, until quiet.
    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(action) = self.mon.poll_action() {
                progressed = true;
                self.actions.push_back(match action {
                    MonAction::Connect { conn, addr } => NetAction::Connect { conn: mon_conn(conn), addr },
                    MonAction::Send { conn, bytes } => NetAction::Send { conn: mon_conn(conn), bytes },
                    MonAction::Close { conn } => NetAction::Close { conn: mon_conn(conn) },
                });
            }
            while let Some(event) = self.mon.poll_event() {
                progressed = true;
                self.mon_event(event);
            }
            while let Some((osd, msg)) = self.objecter.poll_send() {
                progressed = true;
                self.send_to_osd(osd, msg);
            }
            while let Some(osd) = self.objecter.poll_close() {
                progressed = true;
                self.close_osd(osd);
            }
            while let Some((tid, reply)) = self.objecter.poll_reply() {
                progressed = true;
                self.events.push_back(ClientEvent::Reply(tid, Reply::Object(reply)));
            }
            while let Some(event) = self.objecter.poll_watch_event() {
                progressed = true;
                self.events.push_back(ClientEvent::Watch(event));
            }
            let osds: Vec<i32> = self.sessions.keys().copied().collect();
            for osd in osds {
                if let Some(s) = self.sessions.get_mut(&osd) {
                    while let Some(bytes) = s.connection.poll_transmit() {
                        progressed = true;
                        self.actions.push_back(NetAction::Send { conn: s.conn, bytes });
                    }
                }
            }
            if !progressed {
                return;
            }
        }
    }

    fn mon_event(&mut self, event: MonEvent) {
        match event {
            MonEvent::Ready { .. } => {
                self.mon.subscribe_osdmap(0);
            }
            MonEvent::OsdMaps(maps) => self.handle_maps(maps),
            MonEvent::PoolOpDone { tid, result, epoch } => {
                let Some((tid, kind)) = self.pool_ops.remove(&tid) else { return };
                match kind {
                    PoolOpKind::CreateSnap => self.events.push_back(ClientEvent::Reply(tid, Reply::Id(result))),
                    PoolOpKind::RemoveSnap => {
                        self.events.push_back(ClientEvent::Reply(tid, Reply::Done(result.map(drop))));
                    }
                    // Done once our map is as new as the change (librados
                    // waits so that a lookup right after finds the pool).
                    PoolOpKind::Pool if result.is_ok() => {
                        self.awaiting_epoch.push((epoch, tid, PoolRequest::LatestMap));
                        let have = self.map.as_ref().map_or(0, OsdMap::epoch);
                        if have < epoch {
                            self.mon.subscribe_osdmap(have + 1);
                        }
                        self.answer_awaiting();
                    }
                    PoolOpKind::Pool => self.events.push_back(ClientEvent::Reply(tid, Reply::Done(result.map(drop)))),
                }
            }
            MonEvent::Statfs { tid, stats } => {
                if let Some(tid) = self.statfs.remove(&tid) {
                    let reply = Reply::Stats(Ok([stats.kb, stats.kb_used, stats.kb_avail, stats.num_objects]));
                    self.events.push_back(ClientEvent::Reply(tid, reply));
                }
            }
            MonEvent::PoolStats { tid, reply } => {
                if let Some((tid, name)) = self.pool_stats.remove(&tid) {
                    // A pool the monitor has no stats for (no manager) is zeros.
                    let stat = reply.stats.iter().find(|(n, _)| *n == name).map(|(_, s)| *s).unwrap_or_default();
                    let stat = crate::mon::pool_stats::rados_pool_stat(&stat, reply.per_pool);
                    self.events.push_back(ClientEvent::Reply(tid, Reply::PoolStat(Ok(stat.into()))));
                }
            }
            MonEvent::CommandDone { tid: mon_tid, result, .. } if self.app_commands.contains_key(&mon_tid) => {
                let tid = self.app_commands.remove(&mon_tid).expect("checked");
                if result < 0 {
                    let reply = Reply::Done(Err(Errno(-result)));
                    return self.events.push_back(ClientEvent::Reply(tid, reply));
                }
                // librados then waits for the newest map (the change's).
                let version = self.mon.get_version("osdmap");
                self.stale_lookups.entry(version).or_default().push((tid, PoolRequest::LatestMap));
            }
            MonEvent::CommandDone { tid, result, status, output } => {
                if let Some(tid) = self.commands.remove(&tid) {
                    let reply = Reply::Command { result, status, output };
                    self.events.push_back(ClientEvent::Reply(tid, reply));
                }
            }
            MonEvent::Pong { tid, result } => {
                if let Some(tid) = self.commands.remove(&tid) {
                    let reply = match result {
                        Ok(json) => Reply::Command { result: 0, status: String::new(), output: json.into() },
                        Err(e) => Reply::Command { result: e.to_ret(), status: String::new(), output: Bytes::new() },
                    };
                    self.events.push_back(ClientEvent::Reply(tid, reply));
                }
            }
            MonEvent::Version { tid, newest, .. } => {
                let Some(lookups) = self.stale_lookups.remove(&tid) else { return };
                let newest = u32::try_from(newest).unwrap_or(u32::MAX);
                self.awaiting_epoch.extend(lookups.into_iter().map(|(t, req)| (newest, t, req)));
                let have = self.map.as_ref().map_or(0, OsdMap::epoch);
                if have < newest {
                    self.mon.subscribe_osdmap(have + 1);
                }
                self.answer_awaiting();
            }
            MonEvent::Failed(e) => {
                if !self.ready {
                    self.events.push_back(ClientEvent::Failed(e));
                }
            }
        }
    }

    /// Applies maps in epoch order: incrementals that follow ours, or the
    /// newest full map when we have none or fell behind.
    fn handle_maps(&mut self, maps: OsdMaps) {
        let mut changed = false;
        let mut epochs: Vec<u32> =
            maps.incrementals.iter().map(|(e, _)| *e).chain(maps.maps.iter().map(|(e, _)| *e)).collect();
        epochs.sort_unstable();
        epochs.dedup();
        for epoch in epochs {
            let have = self.map.as_ref().map_or(0, OsdMap::epoch);
            if epoch <= have {
                continue;
            }
            let inc = maps.incrementals.iter().find(|(e, _)| *e == epoch).map(|(_, b)| b);
            let full = maps.maps.iter().find(|(e, _)| *e == epoch).map(|(_, b)| b);
            match (&mut self.map, inc, full) {
                (Some(map), Some(inc), _) if epoch == have + 1 => {
                    if map.apply_incremental(inc).is_ok() {
                        changed = true;
                        continue;
                    }
                    if let Some(full) = full {
                        if let Ok(new) = OsdMap::decode(full) {
                            self.map = Some(new);
                            changed = true;
                        }
                    }
                }
                (_, _, Some(full)) => {
                    if let Ok(new) = OsdMap::decode(full) {
                        self.map = Some(new);
                        changed = true;
                    }
                }
                _ => {}
            }
        }
        let Some(map) = &self.map else {
            // Nothing usable: ask for a full map.
            self.mon.subscribe_osdmap(0);
            return;
        };
        let epoch = map.epoch();
        self.mon.set_osdmap_epoch(epoch);
        if epoch < maps.newest {
            self.mon.subscribe_osdmap(epoch + 1);
        }
        if !changed {
            return;
        }
        self.answer_awaiting();
        self.close_moved_sessions();
        let map = self.map.as_ref().expect("checked above");
        self.objecter.handle_map(map, self.now);
        if !self.ready {
            self.ready = true;
            let fsid = self.mon.fsid().unwrap_or_default();
            self.events.push_back(ClientEvent::Ready { global_id: self.mon.global_id(), fsid });
            for (tid, req) in core::mem::take(&mut self.early) {
                self.objecter.submit(tid, req, map, self.now);
            }
        }
    }

    /// A pool lookup by name or id as the map answers it; None for a miss
    /// (always, for LatestMap: it waits for the monitor's newest epoch).
    fn resolve_pool(&self, req: &PoolRequest) -> Option<Reply> {
        let map = self.map.as_ref()?;
        match req {
            PoolRequest::Lookup { name } => map.pool_id(name).map(|id| Reply::Id(Ok(id as u64))),
            PoolRequest::Name { pool } => map.pool_name(*pool).map(|n| Reply::Name(Ok(n.into()))),
            PoolRequest::BaseTier { pool } => {
                map.pool(*pool).map(|p| Reply::Id(Ok(if p.tier_of >= 0 { p.tier_of } else { *pool } as u64)))
            }
            PoolRequest::Alignment { pool } => {
                map.pool(*pool).map(|p| Reply::Alignment(Ok((p.requires_aligned_append(), p.stripe_width.into()))))
            }
            _ => None,
        }
    }

    /// Answers the lookups whose epoch the map has reached: found, or
    /// -ENOENT now that the map is as new as the monitor's.
    fn answer_awaiting(&mut self) {
        let have = self.map.as_ref().map_or(0, OsdMap::epoch);
        let (due, still): (Vec<_>, Vec<_>) =
            core::mem::take(&mut self.awaiting_epoch).into_iter().partition(|(epoch, _, _)| *epoch <= have);
        self.awaiting_epoch = still;
        for (_, tid, req) in due {
            let reply = self.resolve_pool(&req).unwrap_or(match req {
                PoolRequest::Name { .. } => Reply::Name(Err(Errno::ENOENT)),
                PoolRequest::BaseTier { .. } => Reply::Id(Err(Errno::ENOENT)),
                PoolRequest::Alignment { .. } => Reply::Alignment(Err(Errno::ENOENT)),
                PoolRequest::LatestMap => Reply::Done(Ok(())),
                _ => Reply::Id(Err(Errno::ENOENT)),
            });
            self.events.push_back(ClientEvent::Reply(tid, reply));
        }
    }

    /// Sessions to OSDs that went down or moved are dead.
    fn close_moved_sessions(&mut self) {
        let Some(map) = &self.map else { return };
        let moved: Vec<i32> = self
            .sessions
            .iter()
            .filter(|(osd, s)| !map.is_up(**osd) || osd_msgr2_addr(map, **osd).is_none_or(|a| a != s.addr))
            .map(|(osd, _)| *osd)
            .collect();
        for osd in moved {
            self.reset_osd(osd);
        }
    }

    fn send_to_osd(&mut self, osd: i32, message: Message) {
        if let Some(s) = self.sessions.get_mut(&osd) {
            s.connection.send(message);
            return;
        }
        self.held.entry(osd).or_default().push(message);
        if self.backoff.get(&osd).is_none_or(|b| b.until <= self.now) {
            self.connect_osd(osd);
        }
    }

    /// Opens a session to `osd` for the messages held for it.
    fn connect_osd(&mut self, osd: i32) {
        if self.sessions.contains_key(&osd) {
            return;
        }
        let Some(addr) = self.map.as_ref().and_then(|m| osd_msgr2_addr(m, osd)) else {
            // Not up: the next map will move its ops.
            self.held.remove(&osd);
            return;
        };
        let Some(sock) = socket_addr(&addr) else {
            self.held.remove(&osd);
            return;
        };
        let nonce = self.rng.next_u64();
        let authorizer = match self.mon.build_authorizer(auth::EntityType::OSD, nonce, self.now) {
            Ok(a) => a,
            // Tickets are being fetched; retry shortly.
            Err(_) => return self.back_off(osd),
        };
        self.next_osd_conn += 1;
        self.global_seq += 1;
        let conn = (self.next_osd_conn << 1) | 1;
        let mut config = ConnectionConfig::new(addr.clone(), EntityType::OSD);
        config.modes.clone_from(&self.config.osd_modes);
        config.nonce = self.nonce;
        config.gid = i64::try_from(self.mon.global_id()).unwrap_or(-1);
        config.global_seq = self.global_seq;
        config.timeout = self.config.osd_timeout;
        config.wall_base = self.config.mon.wall_base;
        let mut connection = Connection::new(config, ConnAuth::Service(authorizer), self.now, self.rng.next_u64());
        for message in self.held.remove(&osd).unwrap_or_default() {
            connection.send(message);
        }
        self.actions.push_back(NetAction::Connect { conn, addr: sock });
        self.sessions.insert(osd, OsdSession { conn, connection, addr });
    }

    fn back_off(&mut self, osd: i32) {
        let b = self.backoff.entry(osd).or_insert(OsdBackoff { until: self.now, failures: 0 });
        b.failures = (b.failures + 1).min(6);
        b.until = self.now + Duration::from_millis(50 << b.failures);
    }

    fn osd_events(&mut self, osd: i32) {
        loop {
            let Some(s) = self.sessions.get_mut(&osd) else {
                return;
            };
            let Some(event) = s.connection.poll_event() else {
                return;
            };
            match event {
                ConnEvent::Ready => {
                    self.backoff.remove(&osd);
                }
                ConnEvent::Message(m) => self.osd_message(osd, m),
                ConnEvent::Failed(_) => {
                    self.back_off(osd);
                    self.reset_osd(osd);
                    self.mon.subscribe_osdmap(self.map.as_ref().map_or(0, |m| m.epoch() + 1));
                    return;
                }
            }
        }
    }

    fn osd_message(&mut self, osd: i32, m: Message) {
        if m.msg_type == MSG_OSD_MAP {
            // OSDs share newer maps with clients whose ops carry old epochs.
            if let Ok(msg) = OsdMapMessage::decode(&m.front, m.version) {
                let first = msg.incrementals.iter().chain(msg.maps.iter()).map(|(e, _)| *e).min().unwrap_or(0);
                let last = msg.incrementals.iter().chain(msg.maps.iter()).map(|(e, _)| *e).max().unwrap_or(0);
                self.handle_maps(OsdMaps {
                    fsid: msg.fsid,
                    first,
                    last,
                    incrementals: msg.incrementals,
                    maps: msg.maps,
                    oldest: msg.oldest,
                    newest: msg.newest,
                });
            }
            return;
        }
        if m.msg_type == crate::mon::messages::msg_type::COMMAND_REPLY {
            if let Some((tid, reply)) = self.osd_commands.handle_reply(osd, &m) {
                self.events.push_back(ClientEvent::Reply(tid, reply));
            }
            return;
        }
        let Some(map) = &self.map else { return };
        // A reply we cannot decode leaves its op to time out.
        let _ = self.objecter.handle_message(osd, &m, map, self.now);
    }

    /// Drops the session; the objecter resends its ops on a new one.
    fn reset_osd(&mut self, osd: i32) {
        if let Some(s) = self.sessions.remove(&osd) {
            self.actions.push_back(NetAction::Close { conn: s.conn });
        }
        if let Some(map) = &self.map {
            self.objecter.handle_reset(osd, map, self.now);
        }
        self.retarget_commands(osd);
    }

    fn close_osd(&mut self, osd: i32) {
        self.held.remove(&osd);
        if let Some(s) = self.sessions.remove(&osd) {
            self.actions.push_back(NetAction::Close { conn: s.conn });
        }
        self.retarget_commands(osd);
    }

    /// Commands that were on `osd`'s session go again, or fail.
    fn retarget_commands(&mut self, osd: i32) {
        let Some(map) = &self.map else { return };
        let (sends, replies) = self.osd_commands.retarget(osd, map);
        for (tid, reply) in replies {
            self.events.push_back(ClientEvent::Reply(tid, reply));
        }
        for (to, message) in sends {
            self.send_to_osd(to, message);
        }
    }
}

/// The msgr2 address an OSD serves clients on.
fn osd_msgr2_addr(map: &OsdMap, osd: i32) -> Option<EntityAddr> {
    if !map.is_up(osd) {
        return None;
    }
    map.osd_addrs(osd)?.0.iter().find(|a| a.addr_type == AddrType::MSGR2).cloned()
}
