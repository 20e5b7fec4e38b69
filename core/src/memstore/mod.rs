//! An in-memory object store with an OSD's semantics.
//!
//! Compounds run atomically per object: ops work on a copy of the head
//! (cheap: data chunks are shared) and the copy replaces the head only if
//! every op succeeded. Writes honour the snapshot context by keeping the
//! previous head as a clone, reads at a snapshot id see that clone, and
//! removing a snapshot trims the clones. Pools and self-managed snapshot ids
//! are kept here too, standing in for the monitor.
//!
//! Object classes (cls_rbd, cls_lock, ...) are answered by functions
//! registered in a [`ClassRegistry`], so the layers above cannot tell this
//! store from a cluster.

mod class;
mod context;
mod data;
mod exec;
mod listing;
mod object;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use spin::Mutex;

pub use class::{ClassMethod, ClassRegistry, MethodFlags};
pub use context::{MethodContext, MAX_OMAP_ENTRIES};

use crate::cls::lock::{EntityAddr, EntityName};
use crate::encoding::encode_to_vec;
use crate::osd::{
    Completion, ListWatchersOut, ObjectReply, ObjectRequest, ObjectStore, OpFlags, OpKind, OpResult, WatchItem, WatchOp,
};
use crate::Errno;
use context::MethodContext as Ctx;
use object::Object;

type ObjectKey = (String, String, String); // (namespace, name, locator key)

#[derive(Debug, Default)]
struct Pool {
    name: String,
    /// Highest self-managed snapshot id handed out.
    snap_seq: u64,
    removed_snaps: BTreeSet<u64>,
    objects: BTreeMap<ObjectKey, Object>,
    /// Enabled applications and their metadata, as the OSDMap keeps them.
    applications: crate::osdmap::Applications,
}

#[derive(Debug, Default)]
struct State {
    pools: BTreeMap<i64, Pool>,
    next_pool: i64,
}

/// The in-memory store. Cheap to share behind an `Arc`; all methods lock.
#[derive(Debug, Default)]
pub struct MemStore {
    state: Mutex<State>,
    classes: ClassRegistry,
}

impl MemStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that answers the given object classes.
    pub fn with_classes(classes: ClassRegistry) -> Self {
        MemStore { state: Mutex::new(State::default()), classes }
    }

    /// Creates a pool; -EEXIST if the name is taken.
    pub fn create_pool(&self, name: &str) -> Result<i64, Errno> {
        let mut state = self.state.lock();
        if state.pools.values().any(|p| p.name == name) {
            return Err(Errno::EEXIST);
        }
        let id = state.next_pool + 1;
        state.next_pool = id;
        state.pools.insert(id, Pool { name: name.into(), ..Pool::default() });
        Ok(id)
    }

    pub fn lookup_pool(&self, name: &str) -> Result<i64, Errno> {
        let state = self.state.lock();
        state.pools.iter().find(|(_, p)| p.name == name).map(|(&id, _)| id).ok_or(Errno::ENOENT)
    }

    pub fn pool_name(&self, id: i64) -> Result<String, Errno> {
        self.state.lock().pools.get(&id).map(|p| p.name.clone()).ok_or(Errno::ENOENT)
    }

    pub fn list_pools(&self) -> Vec<(i64, String)> {
        self.state.lock().pools.iter().map(|(&id, p)| (id, p.name.clone())).collect()
    }

    /// The pool's applications and their metadata.
    pub fn applications(&self, pool: i64) -> Result<crate::osdmap::Applications, Errno> {
        self.state.lock().pools.get(&pool).map(|p| p.applications.clone()).ok_or(Errno::ENOENT)
    }

    /// Changes the pool's applications with `change`, kept only if it succeeds.
    pub fn change_applications(
        &self,
        pool: i64,
        change: impl FnOnce(&mut crate::osdmap::Applications) -> Result<(), Errno>,
    ) -> Result<(), Errno> {
        let mut state = self.state.lock();
        let pool = state.pools.get_mut(&pool).ok_or(Errno::ENOENT)?;
        let mut apps = pool.applications.clone();
        change(&mut apps)?;
        pool.applications = apps;
        Ok(())
    }

    /// Allocates a self-managed snapshot id (selfmanaged_snap_create).
    pub fn create_snap(&self, pool: i64) -> Result<u64, Errno> {
        let mut state = self.state.lock();
        let pool = state.pools.get_mut(&pool).ok_or(Errno::ENOENT)?;
        pool.snap_seq += 1;
        Ok(pool.snap_seq)
    }

    /// Removes a self-managed snapshot and trims the clones that served only
    /// it, as the OSDs' snap trimmer does.
    pub fn remove_snap(&self, pool: i64, snap: u64) -> Result<(), Errno> {
        let mut state = self.state.lock();
        let pool = state.pools.get_mut(&pool).ok_or(Errno::ENOENT)?;
        if snap == 0 || snap > pool.snap_seq || !pool.removed_snaps.insert(snap) {
            return Err(Errno::ENOENT);
        }
        for object in pool.objects.values_mut() {
            object.trim_snap(snap);
        }
        pool.objects.retain(|_, object| !object.is_empty());
        Ok(())
    }

    /// Names of the objects in a namespace whose head exists, sorted.
    pub fn list_objects(&self, pool: i64, namespace: &str) -> Result<Vec<String>, Errno> {
        let state = self.state.lock();
        let pool = state.pools.get(&pool).ok_or(Errno::ENOENT)?;
        Ok(pool
            .objects
            .iter()
            .filter(|((ns, _, _), o)| ns == namespace && o.head.is_some())
            .map(|((_, name, _), _)| name.clone())
            .collect())
    }

    /// A pool's usage as an OSD would count it with one replica: every
    /// head and clone an object, their data and omap bytes.
    pub fn pool_stat(&self, pool: i64) -> Result<crate::mon::pool_stats::PoolStat, Errno> {
        use crate::mon::pool_stats::PoolStat;
        let state = self.state.lock();
        let pool = state.pools.get(&pool).ok_or(Errno::ENOENT)?;
        let mut stat = PoolStat::default();
        let states = pool.objects.values().flat_map(|o| o.head.iter().chain(o.clones.values().map(|c| &c.state)));
        for s in states {
            stat.sum[1] += 1;
            stat.sum[0] += s.data.len() as i64;
            stat.num_omap_bytes += s.omap.iter().map(|(k, v)| (k.len() + v.len()) as i64).sum::<i64>();
        }
        stat.sum[2] = pool.objects.values().map(|o| o.clones.len() as i64).sum();
        stat.sum[3] = stat.sum[1];
        Ok(stat)
    }

    /// Executes one compound and returns its reply.
    pub fn execute(&self, req: &ObjectRequest) -> ObjectReply {
        let mut state = self.state.lock();
        let Some(pool) = state.pools.get_mut(&req.oid.pool) else {
            return ObjectReply::error(Errno::ENOENT);
        };
        if let Some(reply) = listing::pg_op(req.oid.pool, pool, req) {
            return reply;
        }
        let key = (req.oid.namespace.clone(), req.oid.name.clone(), req.oid.key.clone());
        if let Some(reply) = Self::watch_ops(pool, &key, req) {
            return reply;
        }
        if self.is_write(req) {
            self.execute_write(pool, key, req)
        } else {
            self.execute_read(pool, &key, req)
        }
    }

    /// The write path applies when the client sent a write, or when any op
    /// (including a class method flagged WR) may modify.
    fn is_write(&self, req: &ObjectRequest) -> bool {
        req.write
            || req.op.ops.iter().any(|op| match &op.kind {
                OpKind::Call { class, method, .. } => {
                    self.classes.get(class, method).is_ok_and(|(flags, _)| flags.writes())
                }
                kind => kind.is_write(),
            })
    }

    fn execute_read(&self, pool: &Pool, key: &ObjectKey, req: &ObjectRequest) -> ObjectReply {
        let Some(object) = pool.objects.get(key) else {
            return ObjectReply::error(Errno::ENOENT);
        };
        let Some(state) = object.at_snap(req.snap_id) else {
            return ObjectReply::error(Errno::ENOENT);
        };
        let mut ctx = Ctx::for_read(object, Some(state), req);
        let (result, ops) = self.run_ops(&mut ctx, req);
        ObjectReply { result, version: object.version, ops }
    }

    fn execute_write(&self, pool: &mut Pool, key: ObjectKey, req: &ObjectRequest) -> ObjectReply {
        if !req.snap_id.is_head() {
            return ObjectReply::error(Errno::EROFS);
        }
        if !req.snapc.is_valid() {
            return ObjectReply::error(Errno::EINVAL);
        }
        let absent = Object::default();
        let object = pool.objects.get(&key).unwrap_or(&absent);
        let mut work = object.head.clone();
        let mut ctx = Ctx::for_write(object, &mut work, req);
        let (result, ops) = self.run_ops(&mut ctx, req);
        let modified = ctx.modified();
        let version = object.version;
        if result < 0 || !modified {
            return ObjectReply { result, version, ops };
        }
        let object = pool.objects.entry(key.clone()).or_default();
        let before = object.head.take();
        object.commit(before, work, &req.snapc);
        let version = object.version;
        if object.is_empty() {
            pool.objects.remove(&key);
        }
        ObjectReply { result, version, ops }
    }

    /// Runs ops in order; the first failure without FAILOK stops the compound.
    fn run_ops(&self, ctx: &mut Ctx<'_>, req: &ObjectRequest) -> (i32, Vec<OpResult>) {
        let mut results = Vec::with_capacity(req.op.ops.len());
        let mut result = 0;
        for op in &req.op.ops {
            match exec::execute(ctx, op, &self.classes) {
                // The OSD answers a comparison that holds with 1, and a
                // compound with its last op's result.
                Ok(out) => {
                    let rval = i32::from(matches!(op.kind, OpKind::CmpXattr { .. }));
                    results.push(OpResult { rval, out });
                    result = rval;
                }
                Err(errno) => {
                    results.push(OpResult { rval: errno.to_ret(), out: Default::default() });
                    if !op.flags.contains(OpFlags::FAILOK) {
                        result = errno.to_ret();
                        break;
                    }
                }
            }
        }
        results.resize(req.op.ops.len(), OpResult::default());
        (result, results)
    }

    /// Watch bookkeeping, per (client, cookie). A compound holding a watch
    /// op must hold only that op, as librados sends it.
    fn watch_ops(pool: &mut Pool, key: &ObjectKey, req: &ObjectRequest) -> Option<ObjectReply> {
        let is_watch = |op: &crate::osd::OsdOp| {
            matches!(
                op.kind,
                OpKind::Watch { .. } | OpKind::Notify { .. } | OpKind::NotifyAck { .. } | OpKind::ListWatchers
            )
        };
        if !req.op.ops.iter().any(is_watch) {
            return None;
        }
        let [op] = &req.op.ops[..] else {
            return Some(ObjectReply::error(Errno::EINVAL));
        };
        let object = match pool.objects.get_mut(key) {
            Some(object) if object.head.is_some() => object,
            _ => return Some(ObjectReply::error(Errno::ENOENT)),
        };
        let client = req.client;
        let mut out = bytes::Bytes::new();
        let rval = match op.kind {
            OpKind::Watch { cookie, op: WatchOp::Watch | WatchOp::Legacy | WatchOp::Reconnect, timeout, .. } => {
                object.watchers.insert((client.global_id, cookie), (client.nonce, timeout));
                0
            }
            OpKind::Watch { cookie, op: WatchOp::Ping, .. } => {
                if object.watchers.contains_key(&(client.global_id, cookie)) {
                    0
                } else {
                    Errno::ENOTCONN.to_ret()
                }
            }
            OpKind::Watch { cookie, op: WatchOp::Unwatch, .. } => {
                object.watchers.remove(&(client.global_id, cookie));
                0
            }
            OpKind::ListWatchers => {
                let entries = object
                    .watchers
                    .iter()
                    .map(|(&(global_id, cookie), &(nonce, timeout_seconds))| WatchItem {
                        name: EntityName::client(global_id),
                        cookie,
                        timeout_seconds,
                        addr: EntityAddr::blank_ipv4(EntityAddr::TYPE_LEGACY, nonce),
                    })
                    .collect();
                out = encode_to_vec(&ListWatchersOut { entries }).into();
                0
            }
            // Nothing here delivers notifications: every watcher misses it,
            // and the notifier hears that at once instead of timing out.
            OpKind::Notify { .. } => {
                let missed = object.watchers.keys().copied().collect();
                let response = crate::osd::NotifyResponse { acks: Default::default(), missed };
                let mut bytes = alloc::vec::Vec::new();
                response.encode(&mut bytes);
                out = bytes.into();
                0
            }
            // An ack of a notification this store never sent.
            OpKind::NotifyAck { .. } => 0,
            _ => Errno::EOPNOTSUPP.to_ret(),
        };
        let ops = alloc::vec![OpResult { rval, out }];
        Some(ObjectReply { result: rval.min(0), version: object.version, ops })
    }
}

impl ObjectStore for MemStore {
    fn submit(&self, req: ObjectRequest, done: Completion) {
        let reply = self.execute(&req);
        done(reply);
    }
}

#[cfg(test)]
mod tests;
