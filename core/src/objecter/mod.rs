//! The objecter (src/osdc/Objecter.cc): sends compound object operations to
//! the OSD that is primary for them and follows them until they complete,
//! across map changes, connection resets, redirects and backoffs. Sans IO:
//! the placement comes in as a [`Placement`] (the OSDMap), replies and
//! connection events as method calls, and messages for each OSD go out
//! through [`Objecter::poll_send`].
//!
//! What it guarantees the layers above:
//! - every op completes exactly once, with the OSD's reply or an error;
//! - no op waits longer than `op_timeout` (rados_osd_op_timeout, finite
//!   here even where librados defaults to "forever"): then -ETIMEDOUT;
//! - an op is resent (same tid, next attempt) when its target OSD or PG
//!   changes, when the connection to its OSD resets, after -EAGAIN, after a
//!   redirect, and after a backoff is lifted; a reply to an older attempt is
//!   ignored, as OSDs may answer both;
//! - watches are re-registered (CEPH_OSD_WATCH_OP_RECONNECT) when their OSD
//!   changes or its connection resets, and pinged every [`PING_INTERVAL`];
//!   their notifications come out of [`Objecter::poll_watch_event`] for the
//!   owner to ack, and so does the loss of a watch (the OSD disconnected
//!   it, or a ping or reconnect failed), as librados reports it: the owner
//!   registers it anew or ends it;
//! - a notify completes when the OSD reports every watcher acked (or its
//!   timeout passed), with their acks as its reply, not at the op's reply.

pub mod messages;

#[cfg(test)]
mod tests;

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use core::time::Duration;

use bytes::Bytes;

pub use messages::SpgId;
use messages::{
    backoff_op, decode_backoff, decode_osd_op_reply, decode_watch_notify, encode_backoff_ack, encode_osd_op, flags,
    watch_event, OpHeader, MSG_OSD_BACKOFF, MSG_OSD_OPREPLY, MSG_WATCH_NOTIFY,
};

use crate::msgr::Message;
use crate::osd::{ObjectId, ObjectOperation, ObjectReply, ObjectRequest, OpKind, SnapId, WatchOp};
use crate::time::Instant;
use crate::Errno;

/// The caller's name for an op.
pub type OpId = u64;

/// Where an op should go now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// The acting primary.
    pub osd: i32,
    pub pgid: SpgId,
    /// The object's raw hash (the raw pg's seed).
    pub hash: u32,
}

/// What the objecter asks of the current OSDMap.
pub trait Placement {
    fn epoch(&self) -> u32;

    /// The target of `name` (an object's locator: its key, else its name)
    /// in `pool`: -ENOENT when the pool does not exist, `None` when no OSD
    /// serves its PG.
    fn calc_target(&self, pool: i64, name: &str, nspace: &str) -> Result<Option<Target>, Errno>;

    /// Whether ops of this kind must wait (pauserd, pausewr, and full
    /// unless `respects_full` is false: a FULL_TRY write).
    fn paused(&self, pool: i64, write: bool, respects_full: bool) -> bool;

    fn is_up(&self, osd: i32) -> bool;

    /// The target of a pg op: the pg raw hash `hash` folds to, its seed as
    /// the op's hash. -EOPNOTSUPP where placement has no pgs.
    fn calc_pg_target(&self, pool: i64, hash: u32) -> Result<Option<Target>, Errno> {
        let _ = (pool, hash);
        Err(Errno::EOPNOTSUPP)
    }
}

/// Where `req` goes in `pool`: by its pg for a pg op, else by its locator.
fn target_of<P: Placement + ?Sized>(map: &P, pool: i64, req: &ObjectRequest) -> Result<Option<Target>, Errno> {
    match req.op.pg_hash() {
        Some(hash) => map.calc_pg_target(pool, hash),
        None => map.calc_target(pool, req.oid.locator(), &req.oid.namespace),
    }
}

#[derive(Clone, Copy, Debug)]
pub struct ObjecterConfig {
    pub op_timeout: Duration,
    /// Our feature bits, as MOSDOp carries them.
    pub features: u64,
    /// How long a watch lives on an OSD after this client goes quiet.
    pub watch_timeout: u32,
}

impl Default for ObjecterConfig {
    fn default() -> Self {
        ObjecterConfig { op_timeout: Duration::from_secs(30), features: 0, watch_timeout: 30 }
    }
}

#[derive(Debug)]
struct Op {
    /// None for the objecter's own ops (notify acks, watch reconnects).
    id: Option<OpId>,
    req: ObjectRequest,
    started: Instant,
    /// The request's pool, or where a redirect sent it.
    pool: i64,
    extra_flags: u32,
    target: Option<Target>,
    /// The OSD the current attempt went to; None while held.
    sent_to: Option<i32>,
    attempts: i32,
    deadline: Instant,
}

/// How often a watch is pinged (librados's objecter_tick_interval): the OSD
/// keeps it while pings come, and watch_check reports their age.
pub const PING_INTERVAL: Duration = Duration::from_secs(5);

/// What happened to a watch this client holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchEvent {
    Notify(Notification),
    /// The watch is gone (-ENOTCONN) or could not be confirmed: until it is
    /// registered again its notifications are lost.
    Error {
        cookie: u64,
        error: Errno,
    },
}

impl WatchEvent {
    pub fn cookie(&self) -> u64 {
        match self {
            WatchEvent::Notify(n) => n.cookie,
            WatchEvent::Error { cookie, .. } => *cookie,
        }
    }
}

/// A notification on a watch this client holds. Its taker acks it with
/// [`ack`](Self::ack); the notifier waits for every watcher's ack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub oid: ObjectId,
    pub cookie: u64,
    pub notify_id: u64,
    pub notifier_gid: u64,
    pub payload: Bytes,
}

impl Notification {
    /// The ack, with a reply the notifier sees among the acks.
    pub fn ack(&self, reply: Bytes) -> ObjectRequest {
        let mut op = ObjectOperation::new();
        op.push(OpKind::NotifyAck { notify_id: self.notify_id, cookie: self.cookie, payload: reply });
        ObjectRequest::read(self.oid.clone(), SnapId::HEAD, op)
    }
}

#[derive(Debug)]
struct Linger {
    oid: ObjectId,
    gen: u32,
    osd: Option<i32>,
    /// When the OSD last confirmed the watch (the confirming op's start).
    valid_thru: Instant,
    next_ping: Instant,
    /// Set once the watch is lost; it is then neither pinged nor relinked.
    error: Option<Errno>,
}

/// A finished notify: the OSD's result, and the acks as its one op's output.
fn notify_reply(result: i32, acks: Bytes) -> ObjectReply {
    let rval = result.min(0);
    ObjectReply { result: rval, version: 0, ops: alloc::vec![crate::osd::OpResult { rval, out: acks }] }
}

/// See the module documentation.
#[derive(Debug)]
pub struct Objecter {
    config: ObjecterConfig,
    next_tid: u64,
    ops: BTreeMap<u64, Op>,
    /// (deadline, tid) of every op: the next timeout without a scan.
    deadlines: BTreeSet<(Instant, u64)>,
    lingers: BTreeMap<u64, Linger>,
    /// Active backoffs: (osd, pg) -> backoff ids.
    backoffs: BTreeMap<(i32, SpgId), BTreeSet<u64>>,
    /// OSDs we have sent to, so their sessions can be closed when they go down.
    sessions: BTreeSet<i32>,
    /// The latest time an input brought: the objecter's own ops start then.
    now: Instant,
    outgoing: VecDeque<(i32, Message)>,
    closing: VecDeque<i32>,
    replies: VecDeque<(OpId, ObjectReply)>,
    events: VecDeque<WatchEvent>,
    /// Notifies by cookie: their op's tid.
    notifies: BTreeMap<u64, u64>,
    /// Notifies the OSD accepted, by tid: they finish at NOTIFY_COMPLETE.
    accepted: BTreeSet<u64>,
    /// A NOTIFY_COMPLETE that overtook its op's reply, by cookie.
    early_complete: BTreeMap<u64, (i32, Bytes)>,
}

impl Objecter {
    pub fn new(config: ObjecterConfig) -> Self {
        Objecter {
            config,
            next_tid: 0,
            ops: BTreeMap::new(),
            deadlines: BTreeSet::new(),
            lingers: BTreeMap::new(),
            backoffs: BTreeMap::new(),
            sessions: BTreeSet::new(),
            now: Instant::ZERO,
            outgoing: VecDeque::new(),
            closing: VecDeque::new(),
            replies: VecDeque::new(),
            events: VecDeque::new(),
            notifies: BTreeMap::new(),
            accepted: BTreeSet::new(),
            early_complete: BTreeMap::new(),
        }
    }

    /// Starts `req`; its reply comes out of [`poll_reply`](Self::poll_reply) as `id`.
    pub fn submit(&mut self, id: OpId, req: ObjectRequest, map: &impl Placement, now: Instant) {
        self.now = self.now.max(now);
        self.start(Some(id), req, map);
    }

    fn start(&mut self, id: Option<OpId>, req: ObjectRequest, map: &impl Placement) {
        self.next_tid += 1;
        let tid = self.next_tid;
        let pool = req.oid.pool;
        let deadline = self.now + self.config.op_timeout;
        if let [op] = &req.op.ops[..] {
            if let OpKind::Notify { cookie, .. } = op.kind {
                self.notifies.insert(cookie, tid);
            }
        }
        let started = self.now;
        self.ops.insert(
            tid,
            Op { id, req, pool, started, extra_flags: 0, target: None, sent_to: None, attempts: 0, deadline },
        );
        self.deadlines.insert((deadline, tid));
        self.try_send(tid, map);
    }

    /// Abandons an op: its reply, if one comes, is dropped.
    pub fn cancel(&mut self, id: OpId) {
        let deadlines = &mut self.deadlines;
        self.ops.retain(|tid, op| {
            let keep = op.id != Some(id);
            if !keep {
                deadlines.remove(&(op.deadline, *tid));
            }
            keep
        });
    }

    /// Ops not yet completed.
    pub fn in_flight(&self) -> usize {
        self.ops.values().filter(|op| op.id.is_some()).count()
    }

    /// Messages to send: connect to the OSD first if need be.
    pub fn poll_send(&mut self) -> Option<(i32, Message)> {
        self.outgoing.pop_front()
    }

    /// OSDs whose sessions should be closed (they went down).
    pub fn poll_close(&mut self) -> Option<i32> {
        self.closing.pop_front()
    }

    pub fn poll_reply(&mut self) -> Option<(OpId, ObjectReply)> {
        self.replies.pop_front()
    }

    /// Notifications on our watches, to be acked by whoever takes them.
    pub fn poll_watch_event(&mut self) -> Option<WatchEvent> {
        self.events.pop_front()
    }

    /// The earliest op deadline or watch ping.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let ping = self.lingers.values().filter(|l| l.error.is_none()).map(|l| l.next_ping).min();
        let deadline = self.deadlines.first().map(|(deadline, _)| *deadline);
        [ping, deadline].into_iter().flatten().min()
    }

    /// Fails every op whose deadline has passed with -ETIMEDOUT, and pings
    /// the watches that are due.
    pub fn handle_timeout(&mut self, now: Instant, map: &impl Placement) {
        self.now = self.now.max(now);
        let expired: alloc::vec::Vec<u64> =
            self.deadlines.iter().take_while(|(deadline, _)| *deadline <= now).map(|(_, tid)| *tid).collect();
        for tid in expired {
            self.finish(tid, ObjectReply::error(Errno::ETIMEDOUT));
        }
        let due: alloc::vec::Vec<u64> = self
            .lingers
            .iter()
            .filter(|(_, l)| l.error.is_none() && l.next_ping <= now)
            .map(|(cookie, _)| *cookie)
            .collect();
        for cookie in due {
            let Some(linger) = self.lingers.get_mut(&cookie) else { continue };
            linger.next_ping = now + PING_INTERVAL;
            let mut op = ObjectOperation::new();
            op.push(OpKind::Watch { cookie, op: WatchOp::Ping, gen: linger.gen, timeout: 0 });
            let req = ObjectRequest::read(linger.oid.clone(), SnapId::HEAD, op);
            self.start(None, req, map);
        }
    }

    /// librados's watch_check: 1 + the milliseconds since the OSD last
    /// confirmed watch `cookie`, or why it is lost.
    pub fn watch_check(&self, cookie: u64, now: Instant) -> Result<u64, Errno> {
        let linger = self.lingers.get(&cookie).ok_or(Errno::ENOTCONN)?;
        if let Some(e) = linger.error {
            return Err(e);
        }
        let age = now.saturating_duration_since(linger.valid_thru);
        Ok(1 + u64::try_from(age.as_millis()).unwrap_or(u64::MAX - 1))
    }

    /// A new OSDMap: resend whatever now maps elsewhere, send what was held.
    pub fn handle_map(&mut self, map: &impl Placement, now: Instant) {
        self.now = self.now.max(now);
        let down: alloc::vec::Vec<i32> = self.sessions.iter().copied().filter(|osd| !map.is_up(*osd)).collect();
        for osd in down {
            self.sessions.remove(&osd);
            self.backoffs.retain(|(o, _), _| *o != osd);
            self.closing.push_back(osd);
        }
        let tids: alloc::vec::Vec<u64> = self.ops.keys().copied().filter(|t| !self.accepted.contains(t)).collect();
        for tid in tids {
            let Some(op) = self.ops.get(&tid) else {
                continue;
            };
            let target = target_of(map, op.pool, &op.req);
            let moved = match (&target, op.target) {
                (Ok(new), old) => *new != old || op.sent_to.is_none(),
                (Err(_), _) => true,
            };
            if moved {
                self.try_send(tid, map);
            }
        }
        self.relink_lingers(map, None);
    }

    /// The connection to `osd` failed or was reset: its ops go again.
    pub fn handle_reset(&mut self, osd: i32, map: &impl Placement, now: Instant) {
        self.now = self.now.max(now);
        self.sessions.remove(&osd);
        self.backoffs.retain(|(o, _), _| *o != osd);
        let tids: alloc::vec::Vec<u64> =
            self.ops.iter().filter(|(_, op)| op.sent_to == Some(osd)).map(|(tid, _)| *tid).collect();
        for tid in tids {
            if self.accepted.contains(&tid) {
                // Its completion would have come on the lost session.
                self.finish(tid, ObjectReply::error(Errno::ENOTCONN));
            } else {
                self.try_send(tid, map);
            }
        }
        self.relink_lingers(map, Some(osd));
    }

    /// A message from `osd`. Undecodable messages are dropped: the op they
    /// answer times out rather than completing with garbage.
    pub fn handle_message(&mut self, osd: i32, msg: &Message, map: &impl Placement, now: Instant) -> Result<(), Errno> {
        self.now = self.now.max(now);
        match msg.msg_type {
            MSG_OSD_OPREPLY => self.handle_reply(osd, msg, map),
            MSG_WATCH_NOTIFY => self.handle_watch_notify(msg),
            MSG_OSD_BACKOFF => self.handle_backoff(osd, msg, map),
            _ => Err(Errno::EOPNOTSUPP),
        }
    }

    fn handle_reply(&mut self, osd: i32, msg: &Message, map: &impl Placement) -> Result<(), Errno> {
        let reply = decode_osd_op_reply(msg.tid, msg.version, &msg.front, &msg.data).map_err(|e| e.errno())?;
        let Some(op) = self.ops.get_mut(&reply.tid) else {
            return Ok(());
        };
        if op.sent_to != Some(osd) || reply.retry_attempt != op.attempts - 1 {
            return Ok(()); // an older attempt's answer
        }
        if let Some(redirect) = &reply.redirect {
            op.pool = redirect.pool;
            if let Some(object) = &redirect.object {
                op.req.oid.name.clone_from(object);
            }
            op.extra_flags |= flags::REDIRECTED | flags::IGNORE_CACHE | flags::IGNORE_OVERLAY;
            self.try_send(reply.tid, map);
            return Ok(());
        }
        if reply.result == Errno::EAGAIN.to_ret() {
            self.try_send(reply.tid, map);
            return Ok(());
        }
        if reply.ops.len() != op.req.op.ops.len() && reply.result >= 0 {
            self.finish(reply.tid, ObjectReply::error(Errno::EIO));
            return Ok(());
        }
        let tid = reply.tid;
        let cookie = self.notifies.iter().find(|(_, t)| **t == tid).map(|(c, _)| *c);
        if let (Some(cookie), true) = (cookie, reply.result >= 0) {
            match self.early_complete.remove(&cookie) {
                Some((result, data)) => self.finish(tid, notify_reply(result, data)),
                None => {
                    self.accepted.insert(tid);
                }
            }
            return Ok(());
        }
        self.finish(tid, reply.into_object_reply());
        Ok(())
    }

    fn handle_watch_notify(&mut self, msg: &Message) -> Result<(), Errno> {
        let event = decode_watch_notify(msg.version, &msg.front).map_err(|e| e.errno())?;
        if event.opcode == watch_event::NOTIFY_COMPLETE {
            // The watchers' acks ride in the data segment.
            let data = msg.data.clone();
            match self.notifies.get(&event.cookie).copied() {
                Some(tid) if self.accepted.contains(&tid) => self.finish(tid, notify_reply(event.return_code, data)),
                Some(_) => {
                    self.early_complete.insert(event.cookie, (event.return_code, data));
                }
                None => {}
            }
            return Ok(());
        }
        let Some(linger) = self.lingers.get(&event.cookie) else {
            return Ok(());
        };
        match event.opcode {
            watch_event::NOTIFY => self.events.push_back(WatchEvent::Notify(Notification {
                oid: linger.oid.clone(),
                cookie: event.cookie,
                notify_id: event.notify_id,
                notifier_gid: event.notifier_gid,
                payload: event.payload,
            })),
            watch_event::DISCONNECT => self.lose_watch(event.cookie, Errno::ENOTCONN),
            _ => {}
        }
        Ok(())
    }

    fn handle_backoff(&mut self, osd: i32, msg: &Message, map: &impl Placement) -> Result<(), Errno> {
        let backoff = decode_backoff(&msg.front).map_err(|e| e.errno())?;
        match backoff.op {
            backoff_op::BLOCK => {
                self.backoffs.entry((osd, backoff.pgid)).or_default().insert(backoff.id);
                self.outgoing.push_back((osd, encode_backoff_ack(&backoff)));
            }
            backoff_op::UNBLOCK => {
                let key = (osd, backoff.pgid);
                if let Some(ids) = self.backoffs.get_mut(&key) {
                    ids.remove(&backoff.id);
                    if ids.is_empty() {
                        self.backoffs.remove(&key);
                    }
                }
                let tids: alloc::vec::Vec<u64> = self
                    .ops
                    .iter()
                    .filter(|(_, op)| op.target.is_some_and(|t| t.osd == osd && t.pgid == backoff.pgid))
                    .map(|(tid, _)| *tid)
                    .collect();
                for tid in tids {
                    self.try_send(tid, map);
                }
            }
            _ => return Err(Errno::EINVAL),
        }
        Ok(())
    }

    /// (Re)computes `tid`'s target and sends its next attempt, or holds it
    /// until a map or an unblock lets it go.
    fn try_send(&mut self, tid: u64, map: &impl Placement) {
        let Some(op) = self.ops.get_mut(&tid) else {
            return;
        };
        op.sent_to = None;
        let target = match target_of(map, op.pool, &op.req) {
            Ok(target) => target,
            Err(e) => {
                self.finish(tid, ObjectReply::error(e));
                return;
            }
        };
        op.target = target;
        let Some(target) = target else { return };
        if map.paused(op.pool, op.req.write, !op.req.full_try) || self.backoffs.contains_key(&(target.osd, target.pgid))
        {
            return;
        }
        let header = OpHeader {
            tid,
            pgid: target.pgid,
            hash: target.hash,
            epoch: map.epoch(),
            pool: op.pool,
            attempt: op.attempts,
            extra_flags: op.extra_flags,
            features: self.config.features,
        };
        let message = encode_osd_op(&op.req, &header);
        op.attempts += 1;
        op.sent_to = Some(target.osd);
        self.sessions.insert(target.osd);
        self.outgoing.push_back((target.osd, message));
    }

    fn finish(&mut self, tid: u64, reply: ObjectReply) {
        self.note_watch_result(tid, reply.result);
        if self.accepted.remove(&tid) || self.notifies.values().any(|t| *t == tid) {
            self.notifies.retain(|_, t| *t != tid);
        }
        if let Some(op) = self.ops.remove(&tid) {
            self.deadlines.remove(&(op.deadline, tid));
            if let Some(id) = op.id {
                self.replies.push_back((id, reply));
            }
        }
    }

    /// Remembers a watch that succeeded, forgets one that was removed, and
    /// notes what a ping or reconnect of ours found.
    fn note_watch_result(&mut self, tid: u64, result: i32) {
        let Some(op) = self.ops.get(&tid) else { return };
        let own = op.id.is_none();
        let (started, osd, oid) = (op.started, op.sent_to, op.req.oid.clone());
        let watches: alloc::vec::Vec<_> = op
            .req
            .op
            .ops
            .iter()
            .filter_map(|o| match o.kind {
                OpKind::Watch { cookie, op, gen, .. } => Some((cookie, op, gen)),
                _ => None,
            })
            .collect();
        for (cookie, wop, gen) in watches {
            let current = self.lingers.get(&cookie).is_some_and(|l| l.gen == gen && l.error.is_none());
            match wop {
                WatchOp::Watch | WatchOp::Legacy if result >= 0 => {
                    let next_ping = self.now + PING_INTERVAL;
                    let linger = Linger { oid: oid.clone(), gen, osd, valid_thru: started, next_ping, error: None };
                    self.lingers.insert(cookie, linger);
                }
                WatchOp::Reconnect | WatchOp::Ping if own && current => {
                    if result >= 0 {
                        if let Some(linger) = self.lingers.get_mut(&cookie) {
                            linger.valid_thru = linger.valid_thru.max(started);
                        }
                    } else {
                        // A deleted object and a lost watch look the same to the owner.
                        let e = match Errno::from_ret(result) {
                            Err(e) if e != Errno::ENOENT => e,
                            _ => Errno::ENOTCONN,
                        };
                        self.lose_watch(cookie, e);
                    }
                }
                WatchOp::Unwatch => {
                    self.lingers.remove(&cookie);
                }
                _ => {}
            }
        }
    }

    /// Marks a watch lost and tells its owner, once.
    fn lose_watch(&mut self, cookie: u64, error: Errno) {
        if let Some(linger) = self.lingers.get_mut(&cookie) {
            if linger.error.is_none() {
                linger.error = Some(error);
                self.events.push_back(WatchEvent::Error { cookie, error });
            }
        }
    }

    /// Re-registers watches whose OSD changed (or, with `reset`, whose
    /// connection to that OSD was lost).
    fn relink_lingers(&mut self, map: &impl Placement, reset: Option<i32>) {
        let mut again = alloc::vec::Vec::new();
        for (cookie, linger) in self.lingers.iter().filter(|(_, l)| l.error.is_none()) {
            let now_at = map
                .calc_target(linger.oid.pool, linger.oid.locator(), &linger.oid.namespace)
                .ok()
                .flatten()
                .map(|t| t.osd);
            if now_at != linger.osd || (reset.is_some() && reset == linger.osd) {
                again.push(*cookie);
            }
        }
        for cookie in again {
            self.send_watch(cookie, WatchOp::Reconnect, map);
        }
    }

    fn send_watch(&mut self, cookie: u64, wop: WatchOp, map: &impl Placement) {
        let Some(linger) = self.lingers.get_mut(&cookie) else {
            return;
        };
        linger.gen = linger.gen.wrapping_add(1);
        // Where it is going, so the next map does not send it again.
        linger.osd =
            map.calc_target(linger.oid.pool, linger.oid.locator(), &linger.oid.namespace).ok().flatten().map(|t| t.osd);
        let mut op = ObjectOperation::new();
        op.push(OpKind::Watch { cookie, op: wop, gen: linger.gen, timeout: self.config.watch_timeout });
        let req = ObjectRequest::write(linger.oid.clone(), Default::default(), Default::default(), op);
        self.start(None, req, map);
    }
}
