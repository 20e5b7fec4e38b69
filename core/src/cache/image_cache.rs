//! [`ImageCache`]: the state machine itself. See the module docs of
//! [`crate::cache`] for the contract.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::config::{CacheConfig, CachePolicy, ConfigError};
use super::extents::{Extent, ExtentMap, State};
use super::{BackendOp, Completion, Instant, IoId};
use crate::rados::Tid;
use crate::Errno;

/// Largest write-back made by joining adjacent dirty extents.
const MAX_WRITEBACK_LEN: u64 = 4 << 20;

#[derive(Debug)]
enum Mutation {
    /// Acknowledged once admitted into the cache, written back later.
    Cached(Bytes),
    /// Acknowledged when the backend has it.
    Through(Bytes),
    /// Discard or write-zeroes: always acknowledged by the backend.
    Discard { len: u64, zero: bool },
}

/// A write, discard or write-zeroes not yet admitted.
#[derive(Debug)]
struct Queued {
    id: IoId,
    /// Issue order; flushes cover every mutation issued before them.
    seq: u64,
    offset: u64,
    mutation: Mutation,
}

impl Queued {
    fn end(&self) -> u64 {
        let len = match &self.mutation {
            Mutation::Cached(data) | Mutation::Through(data) => data.len() as u64,
            Mutation::Discard { len, .. } => *len,
        };
        self.offset + len
    }
}

#[derive(Debug)]
struct ReadOp {
    /// Key of the [`PendingRead`] it serves.
    read: u64,
    offset: u64,
    length: u64,
    /// Whether the result may be kept as clean data: only when nothing was
    /// written over the range since the read was sent.
    cacheable: bool,
}

#[derive(Debug)]
enum WriteKind {
    Writeback,
    Through(IoId),
    Discard(IoId),
}

#[derive(Debug)]
struct WriteOp {
    offset: u64,
    length: u64,
    /// Oldest mutation whose bytes it carries.
    min_seq: u64,
    kind: WriteKind,
}

#[derive(Debug)]
struct PendingRead {
    id: IoId,
    offset: u64,
    buf: Vec<u8>,
    outstanding: usize,
    error: Option<Errno>,
}

#[derive(Debug)]
struct PendingFlush {
    id: IoId,
    /// Last mutation issued before the flush.
    barrier: u64,
    invalidate: bool,
}

/// librbd's client cache (ObjectCacher behind ObjectCacherObjectDispatch,
/// or WriteAroundObjectDispatch) over one image's byte extents.
#[derive(Debug)]
pub struct ImageCache {
    config: CacheConfig,
    /// Latest time seen; inputs never move it backwards.
    now: Instant,
    user_flushed: bool,
    extents: ExtentMap,
    next_seq: u64,
    next_tid: Tid,
    next_stamp: u64,
    next_read: u64,
    queue: VecDeque<Queued>,
    /// Bytes of cached writes waiting for room.
    waiting_bytes: u64,
    reads: BTreeMap<u64, PendingRead>,
    read_ops: BTreeMap<Tid, ReadOp>,
    write_ops: BTreeMap<Tid, WriteOp>,
    /// Ranges of backend writes and discards in flight: start -> (end,
    /// tid). Disjoint: overlapping ones are never sent together, since the
    /// backend may apply concurrent requests in any order.
    busy: BTreeMap<u64, (u64, Tid)>,
    /// (min_seq, tid) of those requests.
    busy_seqs: BTreeSet<(u64, Tid)>,
    flushes: Vec<PendingFlush>,
    /// A write-back error no flush has reported yet.
    flush_error: Option<Errno>,
    /// After a failed write-back, background write-back pauses until then.
    backoff_until: Option<Instant>,
    outgoing: VecDeque<BackendOp>,
    completions: VecDeque<Completion>,
}

impl ImageCache {
    /// A cache for one open image. Refuses configurations that
    /// [`CacheConfig::validate`] refuses.
    pub fn new(config: CacheConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(ImageCache {
            config,
            now: Instant::ZERO,
            user_flushed: false,
            extents: ExtentMap::default(),
            next_seq: 1,
            next_tid: 1,
            next_stamp: 0,
            next_read: 0,
            queue: VecDeque::new(),
            waiting_bytes: 0,
            reads: BTreeMap::new(),
            read_ops: BTreeMap::new(),
            write_ops: BTreeMap::new(),
            busy: BTreeMap::new(),
            busy_seqs: BTreeSet::new(),
            flushes: Vec::new(),
            flush_error: None,
            backoff_until: None,
            outgoing: VecDeque::new(),
            completions: VecDeque::new(),
        })
    }

    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    // ---- inputs ----

    /// Reads `length` bytes at image offset `offset`. Completes with the
    /// bytes, at once when all are cached.
    pub fn read(&mut self, id: IoId, offset: u64, length: u64, now: Instant) {
        self.tick(now);
        if let Some(end) = self.check_range(id, offset, length) {
            self.start_read(id, offset, end);
        }
        self.drive();
    }

    /// Writes `data` at `offset`. In writeback mode the write completes once
    /// cached; otherwise once the backend has it.
    pub fn write(&mut self, id: IoId, offset: u64, data: Bytes, now: Instant) {
        self.tick(now);
        let len = data.len() as u64;
        if self.check_range(id, offset, len).is_some() {
            // A write the dirty limit could never hold goes through.
            let mutation = if len <= self.max_dirty() { Mutation::Cached(data) } else { Mutation::Through(data) };
            if matches!(mutation, Mutation::Cached(_)) {
                self.waiting_bytes += len;
            }
            self.enqueue(id, offset, mutation);
        }
        self.drive();
    }

    /// Discards `length` bytes at `offset` (the backend may zero all, some
    /// or none of them, as librbd's discard may). Completes when the
    /// backend has done it.
    pub fn discard(&mut self, id: IoId, offset: u64, length: u64, now: Instant) {
        self.zero(id, offset, length, false, now);
    }

    /// Zeroes exactly `length` bytes at `offset`. Completes when the backend
    /// has done it.
    pub fn write_zeroes(&mut self, id: IoId, offset: u64, length: u64, now: Instant) {
        self.zero(id, offset, length, true, now);
    }

    fn zero(&mut self, id: IoId, offset: u64, length: u64, zero: bool, now: Instant) {
        self.tick(now);
        if self.check_range(id, offset, length).is_some() {
            self.enqueue(id, offset, Mutation::Discard { len: length, zero });
        }
        self.drive();
    }

    /// Completes once every write, discard and write-zeroes issued before it
    /// is in the backend, or with the first write-back error since the last
    /// flush. The first flush ends rbd_cache_writethrough_until_flush.
    pub fn flush(&mut self, id: IoId, now: Instant) {
        self.tick(now);
        self.user_flushed = true;
        self.flushes.push(PendingFlush { id, barrier: self.next_seq - 1, invalidate: false });
        self.drive();
    }

    /// librbd's invalidate_cache: drops clean data, writes back dirty data,
    /// then drops clean data again. Completes with the flush's error, or
    /// EBUSY if data other than clean remains (IO issued meanwhile).
    pub fn invalidate(&mut self, id: IoId, now: Instant) {
        self.tick(now);
        self.drop_clean();
        self.flushes.push(PendingFlush { id, barrier: self.next_seq - 1, invalidate: true });
        self.drive();
    }

    /// Time has reached `now`: writes back data older than
    /// rbd_cache_max_dirty_age. Calling it early is harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tick(now);
        self.drive();
    }

    /// The reply to a [`BackendOp::Read`]. Short data reads as zeros past its
    /// end (as ObjectCacher pads); unknown tids are ignored.
    pub fn backend_read_done(&mut self, tid: Tid, result: Result<Vec<u8>, Errno>) {
        let Some(op) = self.read_ops.remove(&tid) else {
            return;
        };
        let end = op.offset + op.length;
        if let Some(pending) = self.reads.get_mut(&op.read) {
            match result {
                Ok(mut data) => {
                    data.resize(op.length as usize, 0);
                    let at = (op.offset - pending.offset) as usize;
                    pending.buf[at..at + data.len()].copy_from_slice(&data);
                    // Data cached since the read was sent is newer: it wins.
                    for (start, e) in self.extents.overlapping(op.offset, end) {
                        if e.has_data() {
                            let (s, t) = (start.max(op.offset), (start + e.len).min(end));
                            let dst = (s - pending.offset) as usize;
                            let src = (s - start) as usize;
                            pending.buf[dst..dst + (t - s) as usize]
                                .copy_from_slice(&e.data[src..src + (t - s) as usize]);
                        }
                    }
                    if op.cacheable {
                        self.fill_clean(op.offset, Bytes::from(data));
                    }
                }
                Err(e) => {
                    pending.error.get_or_insert(e);
                }
            }
        }
        self.finish_read(op.read);
        self.drive();
    }

    /// The reply to a [`BackendOp::Write`], [`BackendOp::Discard`] or
    /// [`BackendOp::WriteZeroes`]. Unknown tids are ignored.
    pub fn backend_write_done(&mut self, tid: Tid, result: Result<(), Errno>) {
        let Some(op) = self.write_ops.remove(&tid) else {
            return;
        };
        self.busy.remove(&op.offset);
        self.busy_seqs.remove(&(op.min_seq, tid));
        let end = op.offset + op.length;
        // Only bytes nothing newer has replaced since the request was sent.
        let owned: Vec<(u64, State)> = self
            .extents
            .overlapping(op.offset, end)
            .filter(|(_, e)| match e.state {
                State::Writeback { tid: t, .. } | State::Through { tid: t } | State::Discard { tid: t } => t == tid,
                _ => false,
            })
            .map(|(start, e)| (start, e.state))
            .collect();
        let keep = self.caches_reads();
        for (start, state) in owned {
            match (state, result) {
                (State::Writeback { seq, since, .. }, Err(_)) => {
                    self.extents.set_state(start, State::Dirty { seq, since })
                }
                (State::Writeback { .. } | State::Through { .. }, Ok(())) if keep => {
                    let stamp = self.stamp();
                    self.extents.set_state(start, State::Clean { stamp });
                }
                _ => {
                    self.extents.remove(start);
                }
            }
        }
        match op.kind {
            WriteKind::Writeback => {
                if let Err(e) = result {
                    self.writeback_failed(e);
                }
            }
            WriteKind::Through(id) | WriteKind::Discard(id) => self.complete(id, result.map(|()| Vec::new())),
        }
        self.drive();
    }

    // ---- outputs ----

    /// The next request for the backend. Requests in flight together never
    /// overlap unless one is a read, so the backend may run them in any order.
    #[must_use]
    pub fn poll_backend(&mut self) -> Option<BackendOp> {
        self.outgoing.pop_front()
    }

    /// The next finished IO.
    #[must_use]
    pub fn poll_completion(&mut self) -> Option<Completion> {
        self.completions.pop_front()
    }

    /// When [`ImageCache::handle_timeout`] is next needed; always later than
    /// every `now` given so far.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.extents.oldest_dirty_seq()?;
        if self.backing_off() {
            return self.backoff_until;
        }
        if self.writes_around() {
            return None;
        }
        // Dirty data already due is waiting on a request in flight; its
        // reply, not the clock, will let it go.
        self.extents.dirty().find_map(|(_, start)| {
            let due = self.since(start)? + self.config.max_dirty_age;
            (due > self.now).then_some(due)
        })
    }

    /// Whether librbd would now block the thread submitting writes: with
    /// rbd_cache_block_writes_upfront, while a write waits for room under
    /// rbd_cache_max_dirty. A driver honouring the option stops taking new
    /// writes until this is false; either way the write's completion waits.
    pub fn blocks_submitter(&self) -> bool {
        self.config.block_writes_upfront && self.waiting_bytes > 0
    }

    /// Acknowledged bytes the backend may not have (never above
    /// rbd_cache_max_dirty).
    pub fn dirty_bytes(&self) -> u64 {
        self.extents.dirty_bytes()
    }

    pub fn clean_bytes(&self) -> u64 {
        self.extents.clean_bytes()
    }

    /// Nothing queued, in flight or dirty.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
            && self.read_ops.is_empty()
            && self.write_ops.is_empty()
            && self.flushes.is_empty()
            && self.extents.unclean_bytes() == 0
    }

    // ---- internals ----

    fn tick(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.backoff_until.is_some_and(|t| t <= self.now) {
            self.backoff_until = None;
        }
    }

    /// librbd's effective max_dirty: 0 (writethrough) when the cache is off,
    /// writes through, or waits for the first flush.
    fn max_dirty(&self) -> u64 {
        let through = !self.config.enabled
            || self.config.policy == CachePolicy::WriteThrough
            || (self.config.writethrough_until_flush && !self.user_flushed);
        if through {
            0
        } else {
            self.config.max_dirty
        }
    }

    fn caches_reads(&self) -> bool {
        self.config.enabled && self.config.policy != CachePolicy::WriteAround
    }

    /// Write-around sends writes at once; the limit only bounds what is in flight.
    fn writes_around(&self) -> bool {
        self.config.policy == CachePolicy::WriteAround
    }

    fn backing_off(&self) -> bool {
        self.backoff_until.is_some_and(|t| t > self.now)
    }

    fn stamp(&mut self) -> u64 {
        self.next_stamp += 1;
        self.next_stamp
    }

    fn tid(&mut self) -> Tid {
        let tid = self.next_tid;
        self.next_tid += 1;
        tid
    }

    fn complete(&mut self, id: IoId, result: Result<Vec<u8>, Errno>) {
        self.completions.push_back(Completion { id, result });
    }

    /// The end of a request's range; empty or overflowing requests complete here.
    fn check_range(&mut self, id: IoId, offset: u64, length: u64) -> Option<u64> {
        match offset.checked_add(length) {
            None => self.complete(id, Err(Errno::EINVAL)),
            Some(_) if length == 0 => self.complete(id, Ok(Vec::new())),
            Some(end) => return Some(end),
        }
        None
    }

    fn enqueue(&mut self, id: IoId, offset: u64, mutation: Mutation) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push_back(Queued { id, seq, offset, mutation });
    }

    fn since(&self, start: u64) -> Option<Instant> {
        match self.extents.get(start)?.state {
            State::Dirty { since, .. } => Some(since),
            _ => None,
        }
    }

    fn is_busy(&self, off: u64, end: u64) -> bool {
        // Busy ranges are disjoint: only the last one starting before `end`
        // can reach past `off`.
        self.busy.range(..end).next_back().is_some_and(|(_, &(e, _))| e > off)
    }

    fn start_read(&mut self, id: IoId, offset: u64, end: u64) {
        let mut buf = vec![0u8; (end - offset) as usize];
        // (start, end, cacheable) of what must come from the backend.
        let mut holes: Vec<(u64, u64, bool)> = Vec::new();
        let mut hole = |s: u64, t: u64, cacheable: bool| match holes.last_mut() {
            Some(last) if last.1 == s && last.2 == cacheable => last.1 = t,
            _ => holes.push((s, t, cacheable)),
        };
        let mut touched = Vec::new();
        let mut cursor = offset;
        for (start, e) in self.extents.overlapping(offset, end) {
            let (s, t) = (start.max(offset), (start + e.len).min(end));
            if s > cursor {
                hole(cursor, s, true);
            }
            if e.has_data() {
                let src = (s - start) as usize;
                let dst = (s - offset) as usize;
                buf[dst..dst + (t - s) as usize].copy_from_slice(&e.data[src..src + (t - s) as usize]);
                if matches!(e.state, State::Clean { .. }) {
                    touched.push(start);
                }
            } else {
                // A discard in flight: the backend decides what it reads as.
                hole(s, t, false);
            }
            cursor = t;
        }
        if cursor < end {
            hole(cursor, end, true);
        }
        for start in touched {
            let stamp = self.stamp();
            self.extents.set_state(start, State::Clean { stamp });
        }
        if holes.is_empty() {
            self.complete(id, Ok(buf));
            return;
        }
        let key = self.next_read;
        self.next_read += 1;
        self.reads.insert(key, PendingRead { id, offset, buf, outstanding: holes.len(), error: None });
        let caches = self.caches_reads();
        for (s, t, gap) in holes {
            let tid = self.tid();
            let cacheable = caches && gap && t - s <= self.config.size;
            self.read_ops.insert(tid, ReadOp { read: key, offset: s, length: t - s, cacheable });
            self.outgoing.push_back(BackendOp::Read { tid, offset: s, length: t - s });
        }
    }

    fn finish_read(&mut self, key: u64) {
        let Some(pending) = self.reads.get_mut(&key) else {
            return;
        };
        pending.outstanding -= 1;
        if pending.outstanding == 0 {
            if let Some(pending) = self.reads.remove(&key) {
                let result = match pending.error {
                    Some(e) => Err(e),
                    None => Ok(pending.buf),
                };
                self.complete(pending.id, result);
            }
        }
    }

    /// Keeps backend data as clean where the map still has nothing.
    fn fill_clean(&mut self, offset: u64, data: Bytes) {
        let end = offset + data.len() as u64;
        let mut gaps = Vec::new();
        let mut cursor = offset;
        for (start, e) in self.extents.overlapping(offset, end) {
            if start > cursor {
                gaps.push((cursor, start));
            }
            cursor = start + e.len;
        }
        if cursor < end {
            gaps.push((cursor, end));
        }
        for (s, t) in gaps {
            let stamp = self.stamp();
            let data = data.slice((s - offset) as usize..(t - offset) as usize);
            self.extents.insert(s, Extent { len: t - s, data, state: State::Clean { stamp } });
        }
    }

    /// Reads in flight over a range about to change must not be cached.
    fn forget_reads(&mut self, off: u64, end: u64) {
        for op in self.read_ops.values_mut() {
            if op.offset < end && off < op.offset + op.length {
                op.cacheable = false;
            }
        }
    }

    fn drop_clean(&mut self) {
        for start in self.extents.clean() {
            self.extents.remove(start);
        }
        for op in self.read_ops.values_mut() {
            op.cacheable = false;
        }
    }

    /// Makes all the progress the current state allows.
    fn drive(&mut self) {
        self.admit();
        self.write_back();
        self.finish_flushes();
        self.trim();
    }

    /// Admits queued mutations in issue order; one may pass an earlier one
    /// only if they do not overlap, and none passes a write waiting for room.
    fn admit(&mut self) {
        let mut blocked: Vec<(u64, u64)> = Vec::new();
        let mut i = 0;
        while let Some(q) = self.queue.get(i) {
            let (off, end) = (q.offset, q.end());
            let ready = if blocked.iter().any(|&(s, t)| s < end && off < t) {
                false
            } else if matches!(q.mutation, Mutation::Cached(_)) {
                if !self.has_room(off, end) {
                    break;
                }
                true
            } else if self.unsettled(off, end) {
                // Pass-through requests go after cached data there is in the
                // backend, so a failure leaves the backend as acknowledged.
                if !self.backing_off() {
                    self.write_back_range(off, end);
                }
                false
            } else {
                true
            };
            if !ready {
                blocked.push((off, end));
                i += 1;
            } else if let Some(q) = self.queue.remove(i) {
                self.apply(q);
            }
        }
    }

    fn has_room(&self, off: u64, end: u64) -> bool {
        let already: u64 = self
            .extents
            .overlapping(off, end)
            .filter(|(_, e)| matches!(e.state, State::Dirty { .. } | State::Writeback { .. }))
            .map(|(start, e)| (start + e.len).min(end) - start.max(off))
            .sum();
        self.extents.dirty_bytes() + (end - off) - already <= self.max_dirty()
    }

    fn unsettled(&self, off: u64, end: u64) -> bool {
        self.is_busy(off, end)
            || self.extents.overlapping(off, end).any(|(_, e)| !matches!(e.state, State::Clean { .. }))
    }

    fn apply(&mut self, q: Queued) {
        let (off, end) = (q.offset, q.end());
        // Data replacing dirty data takes over its place in write order and
        // its age: a flush waiting for the old data must now wait for the
        // new, or it could finish with neither in the backend.
        let (mut seq, mut since) = (q.seq, self.now);
        for (_, e) in self.extents.overlapping(off, end) {
            if let State::Dirty { seq: s, since: t } = e.state {
                seq = seq.min(s);
                since = since.min(t);
            }
        }
        self.forget_reads(off, end);
        self.extents.carve(off, end);
        match q.mutation {
            Mutation::Cached(data) => {
                self.waiting_bytes -= end - off;
                let state = State::Dirty { seq, since };
                self.extents.insert(off, Extent { len: end - off, data, state });
                self.complete(q.id, Ok(Vec::new()));
            }
            Mutation::Through(data) => {
                let tid = self.tid();
                self.extents.insert(off, Extent { len: end - off, data: data.clone(), state: State::Through { tid } });
                self.send_write(tid, off, end, q.seq, WriteKind::Through(q.id));
                self.outgoing.push_back(BackendOp::Write { tid, offset: off, data });
            }
            Mutation::Discard { len, zero } => {
                let tid = self.tid();
                self.extents.insert(off, Extent { len, data: Bytes::new(), state: State::Discard { tid } });
                self.send_write(tid, off, end, q.seq, WriteKind::Discard(q.id));
                self.outgoing.push_back(if zero {
                    BackendOp::WriteZeroes { tid, offset: off, length: len }
                } else {
                    BackendOp::Discard { tid, offset: off, length: len }
                });
            }
        }
    }

    fn send_write(&mut self, tid: Tid, off: u64, end: u64, min_seq: u64, kind: WriteKind) {
        self.busy.insert(off, (end, tid));
        self.busy_seqs.insert((min_seq, tid));
        self.write_ops.insert(tid, WriteOp { offset: off, length: end - off, min_seq, kind });
    }

    /// Starts write-back where flushes, the dirty target, age or
    /// write-around call for it.
    fn write_back(&mut self) {
        if self.extents.oldest_dirty_seq().is_none() {
            return;
        }
        // Flushes go at once, even while backing off: the caller asked.
        if let Some(barrier) = self.flushes.iter().map(|f| f.barrier).max() {
            let starts: Vec<u64> =
                self.extents.dirty().take_while(|&(seq, _)| seq <= barrier).map(|(_, s)| s).collect();
            for start in starts {
                self.start_writeback(start);
            }
        }
        if self.backing_off() {
            return;
        }
        if self.writes_around() {
            let starts: Vec<u64> = self.extents.dirty().map(|(_, s)| s).collect();
            for start in starts {
                self.start_writeback(start);
            }
            return;
        }
        // ObjectCacher's flusher: above target_dirty (counting writes that
        // wait for room), write back the oldest data.
        let wanted = self.extents.dirty_bytes() + self.waiting_bytes;
        let mut need = wanted.saturating_sub(self.config.target_dirty).saturating_sub(self.extents.writeback_bytes());
        // Walk the index lazily: it may hold thousands of extents.
        let mut next = self.extents.dirty().next();
        while let Some(key) = next.filter(|_| need > 0) {
            need = need.saturating_sub(self.start_writeback(key.1));
            next = self.extents.dirty_after(key);
        }
        // Then whatever has been dirty for max_dirty_age.
        let mut due = Vec::new();
        for (_, start) in self.extents.dirty() {
            match self.since(start) {
                Some(since) if since + self.config.max_dirty_age <= self.now => due.push(start),
                _ => break,
            }
        }
        for start in due {
            self.start_writeback(start);
        }
    }

    fn write_back_range(&mut self, off: u64, end: u64) {
        let starts: Vec<u64> = self
            .extents
            .overlapping(off, end)
            .filter(|(_, e)| matches!(e.state, State::Dirty { .. }))
            .map(|(s, _)| s)
            .collect();
        for start in starts {
            self.start_writeback(start);
        }
    }

    /// Sends the dirty extent at `start`, joined with dirty extents right
    /// after it, unless a request in flight overlaps. Returns bytes sent.
    fn start_writeback(&mut self, start: u64) -> u64 {
        let mut run: Vec<(u64, u64, Instant, Bytes)> = Vec::new();
        let mut end = start;
        let mut total = 0;
        while let Some(e) = self.extents.get(end) {
            let State::Dirty { seq, since } = e.state else {
                break;
            };
            if (total + e.len > MAX_WRITEBACK_LEN && !run.is_empty()) || self.is_busy(end, end + e.len) {
                break;
            }
            run.push((end, seq, since, e.data.clone()));
            total += e.len;
            end += e.len;
        }
        if run.is_empty() {
            return 0;
        }
        let tid = self.tid();
        let data = if let [(_, _, _, data)] = &run[..] {
            data.clone()
        } else {
            let mut joined = Vec::with_capacity(total as usize);
            for (_, _, _, data) in &run {
                joined.extend_from_slice(data);
            }
            Bytes::from(joined)
        };
        let mut min_seq = u64::MAX;
        for &(s, seq, since, _) in &run {
            min_seq = min_seq.min(seq);
            self.extents.set_state(s, State::Writeback { seq, since, tid });
        }
        self.send_write(tid, start, end, min_seq, WriteKind::Writeback);
        self.outgoing.push_back(BackendOp::Write { tid, offset: start, data });
        total
    }

    /// ObjectCacher fails the flushes waiting on a write-back with its error
    /// and keeps the data dirty; an error with no flush waiting is kept for
    /// the next one, as WriteAroundObjectDispatch does.
    ///
    /// Unlike ObjectCacher, IO still queued fails too: none of it was
    /// acknowledged, and it could only enter once the dirty data leaves,
    /// which the backend just refused. Waiting would be unbounded (a full
    /// cluster refuses for as long as it stays full).
    fn writeback_failed(&mut self, error: Errno) {
        self.backoff_until = Some(self.now + self.config.max_dirty_age);
        for q in core::mem::take(&mut self.queue) {
            if let Mutation::Cached(data) = &q.mutation {
                self.waiting_bytes -= data.len() as u64;
            }
            self.complete(q.id, Err(error));
        }
        if self.flushes.is_empty() {
            self.flush_error.get_or_insert(error);
            return;
        }
        for flush in core::mem::take(&mut self.flushes) {
            self.finish_flush(flush, Err(error));
        }
    }

    fn finish_flushes(&mut self) {
        let mut i = 0;
        while i < self.flushes.len() {
            if self.settled(self.flushes[i].barrier) {
                let flush = self.flushes.remove(i);
                let result = self.flush_error.take().map_or(Ok(()), Err);
                self.finish_flush(flush, result);
            } else {
                i += 1;
            }
        }
    }

    /// Every mutation up to `barrier` is in the backend (or failed back to
    /// its caller).
    fn settled(&self, barrier: u64) -> bool {
        self.queue.iter().all(|q| q.seq > barrier)
            && self.extents.oldest_dirty_seq().is_none_or(|seq| seq > barrier)
            && self.busy_seqs.first().is_none_or(|&(seq, _)| seq > barrier)
    }

    fn finish_flush(&mut self, flush: PendingFlush, result: Result<(), Errno>) {
        let result = if flush.invalidate {
            self.drop_clean();
            match result {
                Ok(()) if self.extents.unclean_bytes() > 0 => Err(Errno::EBUSY),
                other => other,
            }
        } else {
            result
        };
        self.complete(flush.id, result.map(|()| Vec::new()));
    }

    /// Evicts the least recently used clean data beyond rbd_cache_size.
    fn trim(&mut self) {
        while self.extents.data_bytes() > self.config.size {
            let Some(start) = self.extents.least_recently_used() else {
                break;
            };
            self.extents.remove(start);
        }
    }
}
