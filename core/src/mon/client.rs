//! The monitor session (MonClient, src/mon/MonClient.cc; the kernel's
//! mon_client.c), sans IO: hunting, subscriptions, version queries, pool
//! ops and ticket renewal over one [`Connection`] at a time.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;

use bytes::Bytes;

use super::messages::{self, msg_type, pool_op, AuthReply, OsdMapMessage, PoolOpReply, VersionReply};
use super::monmap::{mon_entity_addr, socket_addr, MonMap};
use super::tell::{MonRef, OneShot, Outcome};
use crate::auth::{self, AuthClient, Authorizer};
use crate::encoding::{decode_exact, UtcTime};
use crate::msgr::{ConMode, ConnAuth, ConnEvent, Connection, ConnectionConfig, EntityAddr, EntityType, Message};
use crate::random::XorShift;
use crate::time::Instant;
use crate::Errno;

/// The driver's name for one socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

#[derive(Clone, Debug)]
pub struct MonClientConfig {
    /// Monitors' msgr2 addresses (from [`super::parse_mon_host`], resolved).
    pub mon_addrs: Vec<SocketAddr>,
    pub auth: AuthClient,
    pub modes: Vec<ConMode>,
    /// `client_mount_timeout`: how long the first session may take.
    pub mount_timeout: Duration,
    /// `mon_client_hunt_interval`: how long one attempt may take.
    pub hunt_interval: Duration,
    /// `mon_client_hunt_parallel`: attempts at a time.
    pub hunt_parallel: usize,
    /// `mon_client_ping_interval` and `mon_client_ping_timeout`.
    pub keepalive_interval: Duration,
    pub timeout: Duration,
    /// Wall-clock time at `Instant::ZERO` (ticket times are wall-clock).
    pub wall_base: UtcTime,
    /// Sent in MMonSubscribe.
    pub hostname: String,
}

impl MonClientConfig {
    /// librados' defaults.
    pub fn new(mon_addrs: Vec<SocketAddr>, auth: AuthClient) -> Self {
        MonClientConfig {
            mon_addrs,
            auth,
            modes: alloc::vec![ConMode::SECURE, ConMode::CRC],
            mount_timeout: Duration::from_secs(300),
            hunt_interval: Duration::from_secs(3),
            hunt_parallel: 3,
            keepalive_interval: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            wall_base: UtcTime::default(),
            hostname: String::new(),
        }
    }
}

/// What the driver must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MonAction {
    /// Open a TCP connection; report [`MonClient::handle_connected`] or
    /// [`MonClient::handle_closed`].
    Connect {
        conn: ConnId,
        addr: SocketAddr,
    },
    Send {
        conn: ConnId,
        bytes: Vec<u8>,
    },
    Close {
        conn: ConnId,
    },
}

/// An MOSDMap's content, maps undecoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsdMaps {
    pub fsid: [u8; 16],
    /// Lowest and highest epoch carried.
    pub first: u32,
    pub last: u32,
    pub incrementals: Vec<(u32, Bytes)>,
    pub maps: Vec<(u32, Bytes)>,
    /// The monitor's oldest and newest osdmap epochs.
    pub oldest: u32,
    pub newest: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MonEvent {
    /// Authenticated and the monmap is in (first time only).
    Ready {
        global_id: u64,
        fsid: [u8; 16],
    },
    OsdMaps(OsdMaps),
    /// A pool op finished: the new snap id, or 0; maps from `epoch` on
    /// show its effect.
    PoolOpDone {
        tid: u64,
        result: Result<u64, Errno>,
        epoch: u32,
    },
    /// The cluster's space and object count (rados_cluster_stat).
    Statfs {
        tid: u64,
        stats: messages::Statfs,
    },
    /// A monitor command's answer: its result, status line and output.
    CommandDone {
        tid: u64,
        result: i32,
        status: String,
        output: Bytes,
    },
    /// Usage of the pools asked for (rados_ioctx_pool_stat).
    PoolStats {
        tid: u64,
        reply: super::pool_stats::PoolStatsReply,
    },
    Version {
        tid: u64,
        newest: u64,
        oldest: u64,
    },
    /// A monitor's answer to MPing (its health and status as JSON).
    Pong {
        tid: u64,
        result: Result<String, Errno>,
    },
    /// Terminal: could not connect (-ETIMEDOUT) or authenticate.
    Failed(Errno),
}

struct Attempt {
    id: ConnId,
    conn: Connection,
    auth: AuthClient,
    connected: bool,
    started: Instant,
}

struct Session {
    id: ConnId,
    conn: Connection,
    /// Outstanding requests went out on this session.
    primed: bool,
}

enum PoolOp {
    Create { pool: u32 },
    Delete { pool: u32, snap: u64 },
    CreatePool { name: String, crush_rule: i16 },
    DeletePool { pool: u32 },
    CreatePoolSnap { pool: u32, name: String },
    DeletePoolSnap { pool: u32, name: String },
}

/// The client's session with the monitors.
pub struct MonClient {
    config: MonClientConfig,
    auth: AuthClient,
    rng: XorShift,
    nonce: u32,
    targets: Vec<EntityAddr>,
    order: Vec<usize>,
    cursor: usize,
    attempts: Vec<Attempt>,
    reopen_at: Vec<Instant>,
    session: Option<Session>,
    next_conn: u64,
    global_seq: u64,
    mount_deadline: Option<Instant>,
    failed: bool,
    monmap: Option<MonMap>,
    subs: BTreeMap<String, (u64, u8)>,
    osdmap_epoch: u32,
    last_tid: u64,
    versions: BTreeMap<u64, String>,
    pool_ops: BTreeMap<u64, PoolOp>,
    /// Monitor commands awaiting their ack: parts and input.
    commands: BTreeMap<u64, (Vec<String>, Bytes)>,
    /// Statfs requests awaiting their reply.
    statfs: alloc::collections::BTreeSet<u64>,
    /// MGetPoolStats awaiting their reply: the pools asked for.
    pool_stats: BTreeMap<u64, Vec<String>>,
    /// Commands to one monitor and pings, each on its own connection:
    /// tid, connection, whether a ping.
    one_shots: Vec<(u64, OneShot, bool)>,
    auth_pending: bool,
    renew_not_before: Instant,
    actions: VecDeque<MonAction>,
    events: VecDeque<MonEvent>,
}

impl core::fmt::Debug for MonClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MonClient")
            .field("global_id", &self.auth.global_id())
            .field("attempts", &self.attempts.len())
            .field("session", &self.session.as_ref().map(|s| s.id))
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// `mon_client_hunt_parallel` never exceeds this.
const MAX_PARALLEL: usize = 16;

impl MonClient {
    pub fn new(config: MonClientConfig, now: Instant, random: u64) -> Self {
        let mut rng = XorShift::new(random | 1);
        let targets: Vec<EntityAddr> = config.mon_addrs.iter().map(|a| mon_entity_addr(*a)).collect();
        let nonce = rng.next_u64() as u32;
        let mut subs = BTreeMap::new();
        subs.insert("monmap".to_string(), (0, 0));
        let mut mc = MonClient {
            auth: config.auth.clone(),
            rng,
            nonce,
            order: Vec::new(),
            targets,
            cursor: 0,
            attempts: Vec::new(),
            reopen_at: Vec::new(),
            session: None,
            next_conn: 0,
            global_seq: 0,
            mount_deadline: Some(now + config.mount_timeout),
            failed: false,
            monmap: None,
            subs,
            osdmap_epoch: 0,
            last_tid: 0,
            versions: BTreeMap::new(),
            pool_ops: BTreeMap::new(),
            commands: BTreeMap::new(),
            statfs: alloc::collections::BTreeSet::new(),
            pool_stats: BTreeMap::new(),
            one_shots: Vec::new(),
            auth_pending: false,
            renew_not_before: now,
            actions: VecDeque::new(),
            events: VecDeque::new(),
            config,
        };
        if mc.targets.is_empty() {
            mc.fail(Errno::EINVAL);
        } else {
            mc.shuffle();
            mc.hunt(now);
        }
        mc
    }

    pub fn global_id(&self) -> u64 {
        self.auth.global_id()
    }

    /// This messenger's nonce: every connection of the client shares it.
    /// Our address as the monitor session learned it (None before one).
    pub fn my_addr(&self) -> Option<&EntityAddr> {
        self.session.as_ref().map(|s| s.conn.my_addr())
    }

    pub fn nonce(&self) -> u32 {
        self.nonce
    }

    pub fn auth(&self) -> &AuthClient {
        &self.auth
    }

    pub fn monmap(&self) -> Option<&MonMap> {
        self.monmap.as_ref()
    }

    pub fn fsid(&self) -> Option<[u8; 16]> {
        self.monmap.as_ref().map(|m| m.fsid)
    }

    /// The session's connection mode, when one is up.
    pub fn con_mode(&self) -> Option<ConMode> {
        self.session.as_ref().map(|s| s.conn.con_mode())
    }

    /// Whether a monitor session is up.
    pub fn is_connected(&self) -> bool {
        self.session.is_some()
    }

    pub fn poll_action(&mut self) -> Option<MonAction> {
        self.actions.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<MonEvent> {
        self.events.pop_front()
    }

    pub fn handle_connected(&mut self, conn: ConnId, _now: Instant) {
        if let Some(a) = self.attempts.iter_mut().find(|a| a.id == conn) {
            a.connected = true;
        }
        if let Some((_, shot, _)) = self.one_shots.iter_mut().find(|(_, s, _)| s.id == conn) {
            shot.handle_connected();
        }
        self.flush();
    }

    pub fn handle_bytes(&mut self, conn: ConnId, bytes: &[u8], now: Instant) {
        if let Some(i) = self.attempts.iter().position(|a| a.id == conn) {
            let a = &mut self.attempts[i];
            a.connected = true;
            a.conn.handle_input(bytes, now, Some(&mut a.auth));
            self.attempt_events(i, now);
        } else if let Some(s) = self.session.as_mut().filter(|s| s.id == conn) {
            s.conn.handle_input(bytes, now, None);
            self.session_events(now);
        } else {
            self.one_shot(conn, |shot| shot.handle_bytes(bytes, now));
        }
        self.flush();
    }

    pub fn handle_closed(&mut self, conn: ConnId, now: Instant) {
        if let Some(i) = self.attempts.iter().position(|a| a.id == conn) {
            self.attempts[i].conn.handle_closed();
            self.attempt_events(i, now);
        } else if let Some(s) = self.session.as_mut().filter(|s| s.id == conn) {
            s.conn.handle_closed();
            self.session_events(now);
        } else {
            self.one_shot(conn, OneShot::handle_closed);
        }
        self.flush();
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.failed {
            return None;
        }
        let mut t = self.mount_deadline;
        let mut min = |x: Option<Instant>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t| t.min(x)));
            }
        };
        for a in &self.attempts {
            min(a.conn.poll_timeout());
        }
        for r in &self.reopen_at {
            min(Some(*r));
        }
        for (_, shot, _) in &self.one_shots {
            min(Some(shot.poll_timeout()));
        }
        if let Some(s) = &self.session {
            min(s.conn.poll_timeout());
            if !self.auth_pending {
                min(self.renewal_instant().map(|r| r.max(self.renew_not_before)));
            }
        }
        t
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.failed {
            return;
        }
        if self.mount_deadline.is_some_and(|d| now >= d) {
            self.fail(Errno::ETIMEDOUT);
            self.flush();
            return;
        }
        let mut i = 0;
        while i < self.attempts.len() {
            self.attempts[i].conn.handle_timeout(now);
            if !self.attempt_events(i, now) {
                i += 1;
            }
        }
        if let Some(s) = &mut self.session {
            s.conn.handle_timeout(now);
            self.session_events(now);
        }
        let before = self.reopen_at.len();
        self.reopen_at.retain(|r| *r > now);
        if self.reopen_at.len() != before {
            self.hunt(now);
        }
        self.check_renewal(now);
        let ids: Vec<ConnId> = self.one_shots.iter().map(|(_, s, _)| s.id).collect();
        for id in ids {
            self.one_shot(id, |shot| shot.handle_timeout(now));
        }
        self.flush();
    }

    /// rados_mon_command_target: a command to one monitor, on a connection
    /// of its own; answered by [`MonEvent::CommandDone`].
    pub fn tell(&mut self, target: &MonRef, cmd: &[String], input: Bytes, now: Instant) -> u64 {
        let tid = self.next_tid();
        let (Some(map), Some(fsid)) = (&self.monmap, self.fsid()) else {
            self.command_failed(tid, Errno::ENOTCONN, "");
            return tid;
        };
        let addr = match target.resolve(map) {
            Ok(addr) => addr.clone(),
            Err((e, status)) => {
                self.command_failed(tid, e, status);
                return tid;
            }
        };
        let message = messages::command(tid, &fsid, cmd, input);
        let deadline = now + self.config.mount_timeout;
        if self.open_one_shot(tid, &addr, message, msg_type::COMMAND_REPLY, deadline, now, false).is_err() {
            self.command_failed(tid, Errno::ENXIO, "mon unavailable");
        }
        tid
    }

    /// rados_ping_monitor: MPing to monitor `mon_id` (also found as
    /// "noname-<mon_id>", the name mon_host entries get); answered by
    /// [`MonEvent::Pong`] within the ping timeout.
    pub fn ping(&mut self, mon_id: &str, now: Instant) -> u64 {
        let tid = self.next_tid();
        let found = match (mon_id.is_empty(), &self.monmap) {
            (true, _) => Err(Errno::EINVAL),
            (false, Some(map)) => {
                let noname = alloc::format!("noname-{mon_id}");
                let name = if map.mons.iter().any(|m| m.name == noname) { noname } else { mon_id.into() };
                MonRef::Name(name).resolve(map).cloned().map_err(|(e, _)| e)
            }
            (false, None) => Err(Errno::ENOTCONN),
        };
        let deadline = now + self.config.timeout;
        let message = Message::new(msg_type::PING, 1, 1, Vec::new());
        let opened =
            found.and_then(|addr| self.open_one_shot(tid, &addr, message, msg_type::PING, deadline, now, true));
        if let Err(e) = opened {
            self.events.push_back(MonEvent::Pong { tid, result: Err(e) });
        }
        tid
    }

    /// Abandons a tell or ping: its connection closes.
    pub fn cancel(&mut self, tid: u64) {
        self.commands.remove(&tid);
        if let Some(i) = self.one_shots.iter().position(|(t, _, _)| *t == tid) {
            let (_, shot, _) = self.one_shots.remove(i);
            self.actions.push_back(MonAction::Close { conn: shot.id });
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn open_one_shot(
        &mut self,
        tid: u64,
        addr: &EntityAddr,
        message: Message,
        reply_type: u16,
        deadline: Instant,
        now: Instant,
        ping: bool,
    ) -> Result<(), Errno> {
        self.next_conn += 1;
        let id = ConnId(self.next_conn);
        let random = self.rng.next_u64();
        let (shot, connect) =
            OneShot::open(id, addr, &self.config, self.nonce, message, reply_type, deadline, now, random)?;
        self.actions.push_back(connect);
        self.one_shots.push((tid, shot, ping));
        Ok(())
    }

    /// Feeds one one-shot connection; once it is done, closes it and
    /// reports its answer.
    fn one_shot(&mut self, conn: ConnId, feed: impl FnOnce(&mut OneShot) -> Outcome) {
        let Some(i) = self.one_shots.iter().position(|(_, s, _)| s.id == conn) else { return };
        let Some(outcome) = feed(&mut self.one_shots[i].1) else { return };
        let (tid, shot, ping) = self.one_shots.remove(i);
        self.actions.push_back(MonAction::Close { conn: shot.id });
        match (ping, outcome) {
            (true, outcome) => {
                let result = outcome.and_then(|m| super::tell::decode_pong(&m.front));
                self.events.push_back(MonEvent::Pong { tid, result });
            }
            (false, Ok(m)) => match crate::encoding::decode_exact::<messages::CommandReply>(&m.front) {
                Ok(r) => self.events.push_back(MonEvent::CommandDone {
                    tid,
                    result: r.result,
                    status: r.status,
                    output: m.data.clone(),
                }),
                Err(_) => self.command_failed(tid, Errno::EBADMSG, ""),
            },
            // Upstream gives up on an unreachable monitor with these words.
            (false, Err(e)) => self.command_failed(tid, e, "mon unavailable"),
        }
    }

    fn command_failed(&mut self, tid: u64, e: Errno, status: &str) {
        let status = status.into();
        self.events.push_back(MonEvent::CommandDone { tid, result: e.to_ret(), status, output: Bytes::new() });
    }

    /// Asks for osdmaps from `start` (0: the latest), once.
    pub fn subscribe_osdmap(&mut self, start: u32) {
        self.subs.insert("osdmap".to_string(), (u64::from(start), messages::SUBSCRIBE_ONETIME));
        self.send_subscribe();
        self.flush();
    }

    /// The osdmap epoch the owner has; pool ops carry it.
    pub fn set_osdmap_epoch(&mut self, epoch: u32) {
        self.osdmap_epoch = self.osdmap_epoch.max(epoch);
    }

    /// MMonGetVersion for `what` ("osdmap"); answered by [`MonEvent::Version`].
    pub fn get_version(&mut self, what: &str) -> u64 {
        let tid = self.next_tid();
        self.versions.insert(tid, what.to_string());
        if self.is_primed() {
            self.send(messages::get_version(tid, what));
        }
        self.flush();
        tid
    }

    /// librados' selfmanaged_snap_create; answered by [`MonEvent::PoolOpDone`].
    pub fn create_selfmanaged_snap(&mut self, pool: i64) -> u64 {
        self.pool_op(PoolOp::Create { pool: pool as u32 })
    }

    /// librados' selfmanaged_snap_remove.
    pub fn delete_selfmanaged_snap(&mut self, pool: i64, snap: u64) -> u64 {
        self.pool_op(PoolOp::Delete { pool: pool as u32, snap })
    }

    /// librados' snap_create: pool snapshot `name` of pool `pool`.
    pub fn create_pool_snap(&mut self, pool: i64, name: &str) -> u64 {
        self.pool_op(PoolOp::CreatePoolSnap { pool: pool as u32, name: name.into() })
    }

    /// librados' snap_remove: pool snapshot `name` of pool `pool`.
    pub fn delete_pool_snap(&mut self, pool: i64, name: &str) -> u64 {
        self.pool_op(PoolOp::DeletePoolSnap { pool: pool as u32, name: name.into() })
    }

    /// librados' pool_create (the default CRUSH rule without one);
    /// answered by [`MonEvent::PoolOpDone`].
    pub fn create_pool(&mut self, name: &str, crush_rule: Option<u8>) -> u64 {
        let crush_rule = crush_rule.map_or(-1, i16::from);
        self.pool_op(PoolOp::CreatePool { name: name.into(), crush_rule })
    }

    /// librados' pool_delete of pool `pool`.
    pub fn delete_pool(&mut self, pool: i64) -> u64 {
        self.pool_op(PoolOp::DeletePool { pool: pool as u32 })
    }

    /// rados_mon_command: JSON command parts and input; answered by
    /// [`MonEvent::CommandDone`].
    pub fn command(&mut self, cmd: Vec<String>, input: Bytes) -> u64 {
        let tid = self.next_tid();
        self.commands.insert(tid, (cmd, input));
        if self.is_primed() {
            self.send_command(tid);
        }
        self.flush();
        tid
    }

    /// rados_cluster_stat; answered by [`MonEvent::Statfs`].
    pub fn statfs(&mut self) -> u64 {
        let tid = self.next_tid();
        self.statfs.insert(tid);
        if self.is_primed() {
            if let Some(fsid) = self.fsid() {
                self.send(messages::statfs(tid, &fsid));
            }
        }
        self.flush();
        tid
    }

    /// rados_ioctx_pool_stat; answered by [`MonEvent::PoolStats`].
    pub fn get_pool_stats(&mut self, pools: Vec<String>) -> u64 {
        let tid = self.next_tid();
        self.pool_stats.insert(tid, pools);
        if self.is_primed() {
            self.send_pool_stats(tid);
        }
        self.flush();
        tid
    }

    fn send_pool_stats(&mut self, tid: u64) {
        if let (Some(fsid), Some(pools)) = (self.fsid(), self.pool_stats.get(&tid)) {
            let msg = super::pool_stats::get_pool_stats(tid, &fsid, pools);
            self.send(msg);
        }
    }

    /// An authorizer for a service, when its ticket is held. Otherwise
    /// -EAGAIN, and the ticket is asked for (the service is added to the
    /// wanted ones): try again once the monitor answered.
    pub fn build_authorizer(
        &mut self,
        service: auth::EntityType,
        nonce: u64,
        now: Instant,
    ) -> Result<Authorizer, Errno> {
        let wall = self.wall(now);
        if self.auth.have_ticket(service, wall) {
            return self.auth.build_authorizer(service, nonce).map_err(|e| e.errno());
        }
        let want = self.auth.want_keys();
        if !want.contains(service) {
            self.auth.set_want_keys(want.union(service));
        }
        self.renew_not_before = now;
        self.check_renewal(now);
        self.flush();
        Err(Errno::EAGAIN)
    }

    fn wall(&self, now: Instant) -> UtcTime {
        let nanos = self.config.wall_base.as_nanos().saturating_add(now.as_nanos());
        UtcTime::new(u32::try_from(nanos / 1_000_000_000).unwrap_or(u32::MAX), (nanos % 1_000_000_000) as u32)
    }

    fn renewal_instant(&self) -> Option<Instant> {
        let at = self.auth.next_renewal()?;
        Some(Instant::from_nanos(at.as_nanos().saturating_sub(self.config.wall_base.as_nanos())))
    }

    fn next_tid(&mut self) -> u64 {
        self.last_tid += 1;
        self.last_tid
    }

    fn pool_op(&mut self, op: PoolOp) -> u64 {
        let tid = self.next_tid();
        self.pool_ops.insert(tid, op);
        if self.is_primed() {
            self.send_pool_op(tid);
        }
        self.flush();
        tid
    }

    fn send_pool_op(&mut self, tid: u64) {
        let (Some(fsid), Some(op)) = (self.fsid(), self.pool_ops.get(&tid)) else {
            return;
        };
        let (pool, code, snap, name, rule) = match op {
            PoolOp::Create { pool } => (*pool, pool_op::CREATE_UNMANAGED_SNAP, 0, "", 0),
            PoolOp::Delete { pool, snap } => (*pool, pool_op::DELETE_UNMANAGED_SNAP, *snap, "", 0),
            PoolOp::CreatePool { name, crush_rule } => (0, pool_op::CREATE, 0, name.as_str(), *crush_rule),
            // librados sends "delete" as the name: a monitor that finds a
            // pool by the name given answers 0 at once and deletes nothing.
            PoolOp::DeletePool { pool, .. } => (*pool, pool_op::DELETE, 0, "delete", 0),
            PoolOp::CreatePoolSnap { pool, name } => (*pool, pool_op::CREATE_SNAP, 0, name.as_str(), 0),
            PoolOp::DeletePoolSnap { pool, name } => (*pool, pool_op::DELETE_SNAP, 0, name.as_str(), 0),
        };
        let what = messages::PoolOpArgs { pool, op: code, snapid: snap, name, crush_rule: rule };
        let msg = messages::pool_op(tid, &fsid, &what, self.osdmap_epoch);
        self.send(msg);
    }

    fn send_command(&mut self, tid: u64) {
        let (Some(fsid), Some((cmd, input))) = (self.fsid(), self.commands.get(&tid)) else {
            return;
        };
        let msg = messages::mon_command(tid, &fsid, cmd, input.clone());
        self.send(msg);
    }

    fn is_primed(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.primed)
    }

    fn send(&mut self, msg: Message) {
        if let Some(s) = &mut self.session {
            s.conn.send(msg);
        }
    }

    fn send_subscribe(&mut self) {
        if self.session.is_some() {
            let msg = messages::subscribe(&self.subs, &self.config.hostname);
            self.send(msg);
        }
    }

    fn fail(&mut self, errno: Errno) {
        if self.failed {
            return;
        }
        self.failed = true;
        for a in core::mem::take(&mut self.attempts) {
            self.actions.push_back(MonAction::Close { conn: a.id });
        }
        if let Some(s) = self.session.take() {
            self.actions.push_back(MonAction::Close { conn: s.id });
        }
        self.reopen_at.clear();
        self.events.push_back(MonEvent::Failed(errno));
    }

    fn shuffle(&mut self) {
        let n = self.targets.len();
        self.order = (0..n).collect();
        for i in (1..n).rev() {
            let j = (self.rng.next_u64() % (i as u64 + 1)) as usize;
            self.order.swap(i, j);
        }
        self.cursor = 0;
    }

    /// Opens attempts until `hunt_parallel` are under way.
    fn hunt(&mut self, now: Instant) {
        let parallel = self.config.hunt_parallel.clamp(1, MAX_PARALLEL).min(self.targets.len());
        while !self.failed && self.session.is_none() && self.attempts.len() + self.reopen_at.len() < parallel {
            let Some(&index) = self.order.get(self.cursor % self.order.len().max(1)) else {
                return;
            };
            self.cursor += 1;
            let addr = self.targets[index].clone();
            self.open(addr, now);
        }
    }

    fn open(&mut self, addr: EntityAddr, now: Instant) {
        let Some(socket) = socket_addr(&addr) else {
            return;
        };
        self.next_conn += 1;
        self.global_seq += 1;
        let id = ConnId(self.next_conn);
        let mut config = ConnectionConfig::new(addr, EntityType::MON);
        config.modes = self.config.modes.clone();
        config.keepalive_interval = self.config.keepalive_interval;
        config.timeout = self.config.timeout;
        config.connect_timeout = self.config.hunt_interval;
        config.nonce = self.nonce;
        config.gid = match self.auth.global_id() {
            0 => -1,
            id => id as i64,
        };
        config.global_seq = self.global_seq;
        config.wall_base = self.config.wall_base;
        let conn = Connection::new(config, ConnAuth::Mon, now, self.rng.next_u64());
        self.actions.push_back(MonAction::Connect { conn: id, addr: socket });
        self.attempts.push(Attempt { id, conn, auth: self.auth.clone(), connected: false, started: now });
    }

    /// Handles attempt `i`'s events; returns whether it was removed.
    fn attempt_events(&mut self, i: usize, now: Instant) -> bool {
        while let Some(ev) = self.attempts[i].conn.poll_event() {
            match ev {
                ConnEvent::Ready => {
                    self.promote(i, now);
                    return true;
                }
                ConnEvent::Failed(errno) => {
                    let a = self.attempts.remove(i);
                    self.global_seq = self.global_seq.max(a.conn.global_seq());
                    self.actions.push_back(MonAction::Close { conn: a.id });
                    if errno == Errno::EACCES || errno == Errno::EPERM {
                        self.fail(errno);
                        return true;
                    }
                    // One attempt per slot per hunt interval.
                    let again = a.started + self.config.hunt_interval;
                    if again > now {
                        self.reopen_at.push(again);
                    }
                    self.hunt(now);
                    return true;
                }
                ConnEvent::Message(_) => {}
            }
        }
        false
    }

    fn promote(&mut self, i: usize, now: Instant) {
        let a = self.attempts.remove(i);
        for other in core::mem::take(&mut self.attempts) {
            self.actions.push_back(MonAction::Close { conn: other.id });
        }
        self.reopen_at.clear();
        self.auth = a.auth;
        self.global_seq = self.global_seq.max(a.conn.global_seq());
        self.session = Some(Session { id: a.id, conn: a.conn, primed: false });
        self.auth_pending = false;
        self.renew_not_before = now;
        self.send_subscribe();
        if self.monmap.is_some() {
            self.prime();
        }
        self.check_renewal(now);
    }

    /// Resends what is outstanding on a new session.
    fn prime(&mut self) {
        let Some(s) = &mut self.session else { return };
        if s.primed {
            return;
        }
        s.primed = true;
        let versions: Vec<(u64, String)> = self.versions.iter().map(|(t, w)| (*t, w.clone())).collect();
        for (tid, what) in versions {
            self.send(messages::get_version(tid, &what));
        }
        let tids: Vec<u64> = self.pool_ops.keys().copied().collect();
        for tid in tids {
            self.send_pool_op(tid);
        }
        let tids: Vec<u64> = self.commands.keys().copied().collect();
        for tid in tids {
            self.send_command(tid);
        }
        let tids: Vec<u64> = self.pool_stats.keys().copied().collect();
        for tid in tids {
            self.send_pool_stats(tid);
        }
        if let Some(fsid) = self.fsid() {
            let tids: Vec<u64> = self.statfs.iter().copied().collect();
            for tid in tids {
                self.send(messages::statfs(tid, &fsid));
            }
        }
    }

    fn session_events(&mut self, now: Instant) {
        loop {
            let Some(s) = &mut self.session else { return };
            let Some(ev) = s.conn.poll_event() else {
                return;
            };
            match ev {
                ConnEvent::Ready => {}
                ConnEvent::Message(m) => self.handle_message(m, now),
                ConnEvent::Failed(_) => {
                    let id = s.id;
                    self.global_seq = self.global_seq.max(s.conn.global_seq());
                    self.session = None;
                    self.auth_pending = false;
                    self.actions.push_back(MonAction::Close { conn: id });
                    self.hunt(now);
                    return;
                }
            }
        }
    }

    fn handle_message(&mut self, m: Message, now: Instant) {
        // Malformed replies are dropped, as MonClient does with what it
        // cannot decode; the session itself stays up.
        match m.msg_type {
            msg_type::MON_MAP => {
                let Ok(map) = messages::decode_mon_map(&m.front) else {
                    return;
                };
                if self.monmap.as_ref().is_some_and(|old| old.fsid != map.fsid) {
                    return;
                }
                let targets: Vec<EntityAddr> = map.mons.iter().filter_map(|m| m.msgr2_addr().cloned()).collect();
                if !targets.is_empty() && targets != self.targets {
                    self.targets = targets;
                    self.shuffle();
                }
                self.subs.insert("monmap".to_string(), (u64::from(map.epoch) + 1, 0));
                let fsid = map.fsid;
                let first = self.monmap.is_none();
                self.monmap = Some(map);
                if first {
                    self.mount_deadline = None;
                    self.events.push_back(MonEvent::Ready { global_id: self.auth.global_id(), fsid });
                }
                self.prime();
            }
            msg_type::OSD_MAP => {
                let Ok(maps) = OsdMapMessage::decode(&m.front, m.version) else {
                    return;
                };
                if self.fsid().is_some_and(|f| f != maps.fsid) {
                    return;
                }
                let epochs = maps.incrementals.iter().chain(&maps.maps).map(|(e, _)| *e);
                let (first, last) = epochs.fold((u32::MAX, 0), |(lo, hi), e| (lo.min(e), hi.max(e)));
                if last > 0 {
                    self.osdmap_epoch = self.osdmap_epoch.max(last);
                    if let Some((start, flags)) = self.subs.get("osdmap") {
                        if flags & messages::SUBSCRIBE_ONETIME != 0 && u64::from(last) >= *start {
                            self.subs.remove("osdmap");
                        }
                    }
                }
                self.events.push_back(MonEvent::OsdMaps(OsdMaps {
                    fsid: maps.fsid,
                    first: if last == 0 { 0 } else { first },
                    last,
                    incrementals: maps.incrementals,
                    maps: maps.maps,
                    oldest: maps.oldest,
                    newest: maps.newest,
                }));
            }
            msg_type::MON_GET_VERSION_REPLY => {
                let Ok(r) = decode_prefix::<VersionReply>(&m.front) else {
                    return;
                };
                if self.versions.remove(&r.tid).is_some() {
                    self.events.push_back(MonEvent::Version { tid: r.tid, newest: r.newest, oldest: r.oldest });
                }
            }
            msg_type::POOLOP_REPLY => {
                let Ok(r) = decode_exact::<PoolOpReply>(&m.front) else {
                    return;
                };
                if self.pool_ops.remove(&m.tid).is_none() {
                    return;
                }
                let result = if r.code < 0 {
                    Err(Errno(r.code.saturating_neg()))
                } else {
                    match r.data {
                        Some(data) => decode_exact::<u64>(&data).map_err(|_| Errno::EBADMSG),
                        None => Ok(0),
                    }
                };
                self.events.push_back(MonEvent::PoolOpDone { tid: m.tid, result, epoch: r.epoch });
            }
            msg_type::STATFS_REPLY => {
                let Ok(stats) = decode_prefix::<messages::Statfs>(&m.front) else {
                    return;
                };
                if self.statfs.remove(&m.tid) {
                    self.events.push_back(MonEvent::Statfs { tid: m.tid, stats });
                }
            }
            msg_type::GET_POOL_STATS_REPLY => {
                let Ok(reply) = super::pool_stats::PoolStatsReply::decode(&m.front, m.version) else {
                    return;
                };
                if self.pool_stats.remove(&m.tid).is_some() {
                    self.events.push_back(MonEvent::PoolStats { tid: m.tid, reply });
                }
            }
            msg_type::MON_COMMAND_ACK => {
                let Ok(ack) = decode_prefix::<messages::CommandAck>(&m.front) else {
                    return;
                };
                if self.commands.remove(&m.tid).is_some() {
                    self.events.push_back(MonEvent::CommandDone {
                        tid: m.tid,
                        result: ack.result,
                        status: ack.status,
                        output: m.data.clone(),
                    });
                }
            }
            msg_type::AUTH_REPLY => {
                let Ok(r) = decode_exact::<AuthReply>(&m.front) else {
                    return;
                };
                let wall = self.wall(now);
                let random = self.rng.next_u64();
                match self.auth.handle_auth_reply(r.result, r.global_id, &r.payload, wall, random) {
                    Ok(Some(next)) => {
                        let epoch = self.monmap.as_ref().map_or(0, |m| m.epoch);
                        let msg = messages::auth(self.auth.method().0, &next, epoch);
                        self.send(msg);
                    }
                    Ok(None) | Err(_) => {
                        self.auth_pending = false;
                        self.renew_not_before = now + Duration::from_secs(1);
                    }
                }
            }
            _ => {}
        }
    }

    /// Sends an MAuth renewing tickets that are due (_check_auth_tickets).
    fn check_renewal(&mut self, now: Instant) {
        if self.session.is_none() || self.auth_pending || now < self.renew_not_before {
            return;
        }
        let wall = self.wall(now);
        if !self.auth.need_tickets(wall) {
            return;
        }
        let random = self.rng.next_u64();
        match self.auth.renewal_request(wall, random) {
            Ok(Some(payload)) => {
                let epoch = self.monmap.as_ref().map_or(0, |m| m.epoch);
                let msg = messages::auth(self.auth.method().0, &payload, epoch);
                self.send(msg);
                self.auth_pending = true;
            }
            // Nothing to send yet: look again in a second, not in a loop.
            Ok(None) | Err(_) => self.renew_not_before = now + Duration::from_secs(1),
        }
    }

    /// Moves connection output into Send actions.
    fn flush(&mut self) {
        for a in self.attempts.iter_mut().filter(|a| a.connected) {
            while let Some(bytes) = a.conn.poll_transmit() {
                self.actions.push_back(MonAction::Send { conn: a.id, bytes });
            }
        }
        if let Some(s) = &mut self.session {
            while let Some(bytes) = s.conn.poll_transmit() {
                self.actions.push_back(MonAction::Send { conn: s.id, bytes });
            }
        }
        for (_, shot, _) in &mut self.one_shots {
            while let Some(bytes) = shot.poll_transmit() {
                self.actions.push_back(MonAction::Send { conn: shot.id, bytes });
            }
        }
    }
}

/// Decodes a value and ignores what a newer sender appended.
fn decode_prefix<T: crate::encoding::Decode>(bytes: &[u8]) -> Result<T, crate::encoding::DecodeError> {
    crate::encoding::Decoder::new(bytes).decode()
}
