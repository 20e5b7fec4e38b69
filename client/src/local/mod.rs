//! The embedded local store: the in-memory store, made persistent by an
//! append-only log of every request that changed it.
//!
//! A request is logged (written to the file, so in the kernel's hands)
//! before its reply goes back: once acknowledged, it survives the process
//! being killed. `sync` (rbd_flush) fsyncs the log, so a flushed write also
//! survives the machine going down. Opening replays the log; a record torn
//! by a crash mid-append fails its checksum and is cut off. One process
//! holds a store at a time (an flock); within it, every open shares it.

mod monitor;
mod record;

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use rbdrs_core::crc32c::crc32c;
use rbdrs_core::encoding::{decode_exact, encode_to_vec};
use rbdrs_core::memstore::{ClassRegistry, MemStore};
use rbdrs_core::osd::OpKind;
use rbdrs_core::rados::application::AppChange;
use rbdrs_core::rados::{Dispatcher, PoolRequest, Reply, Request, Tid};
use rbdrs_core::Errno;

use crate::runtime::Backend;
use record::Record;

const LOG: &str = "rbdrs.log";
const LOCK: &str = "rbdrs.lock";
/// The pool a new store starts with, as `rbd pool init` would leave one.
pub const DEFAULT_POOL: &str = "rbd";

pub struct LocalStore {
    dir: PathBuf,
    mem: MemStore,
    log: Mutex<File>,
    _lock: File,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore").finish_non_exhaustive()
    }
}

static OPEN: Mutex<BTreeMap<PathBuf, Weak<LocalStore>>> = Mutex::new(BTreeMap::new());

fn io_errno(e: std::io::Error) -> Errno {
    Errno(e.raw_os_error().unwrap_or(Errno::EIO.0))
}

impl LocalStore {
    /// Opens (creating if needed) the store in `dir`; the same store when
    /// this process has it open already. -EBUSY while another process has it.
    pub fn open(dir: &Path) -> Result<Arc<LocalStore>, Errno> {
        std::fs::create_dir_all(dir).map_err(io_errno)?;
        let key = dir.canonicalize().map_err(io_errno)?;
        let mut open = OPEN.lock().map_err(|_| Errno::EIO)?;
        if let Some(store) = open.get(&key).and_then(Weak::upgrade) {
            return Ok(store);
        }
        let store = Arc::new(Self::load(&key)?);
        open.insert(key, Arc::downgrade(&store));
        Ok(store)
    }

    fn load(dir: &Path) -> Result<LocalStore, Errno> {
        let lock =
            OpenOptions::new().create(true).truncate(false).write(true).open(dir.join(LOCK)).map_err(io_errno)?;
        lock.try_lock().map_err(|_| Errno::EBUSY)?;
        let mut log = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(dir.join(LOG))
            .map_err(io_errno)?;
        let mut classes = ClassRegistry::default();
        rbdrs_core::cls::register_all(&mut classes);
        let mem = MemStore::with_classes(classes);
        let good = replay(&mut log, &mem)?;
        log.set_len(good).map_err(io_errno)?;
        log.seek(SeekFrom::End(0)).map_err(io_errno)?;
        let store = LocalStore { dir: dir.to_path_buf(), mem, log: Mutex::new(log), _lock: lock };
        if store.mem.lookup_pool(DEFAULT_POOL).is_err() {
            let pool = store.create_pool(DEFAULT_POOL)?;
            // `rbd pool init` enables the rbd application.
            let enable = AppChange::Enable { app: "rbd".into(), force: false };
            store.execute(&Request::Pool(PoolRequest::Application { pool, change: enable }));
        }
        Ok(store)
    }

    pub fn create_pool(&self, name: &str) -> Result<i64, Errno> {
        let id = self.mem.create_pool(name)?;
        self.append(&Record::CreatePool(name.into()))?;
        Ok(id)
    }

    pub fn memstore(&self) -> &MemStore {
        &self.mem
    }

    fn append(&self, record: &Record) -> Result<(), Errno> {
        let payload = encode_to_vec(record);
        let mut frame = Vec::with_capacity(payload.len() + 8);
        frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        frame.extend_from_slice(&crc32c(&payload).to_le_bytes());
        frame.extend_from_slice(&payload);
        let mut log = self.log.lock().map_err(|_| Errno::EIO)?;
        log.write_all(&frame).map_err(io_errno)
    }
}

/// Replays every whole, intact record, streaming (a log can be large);
/// returns the length they span.
fn replay(log: &mut File, mem: &MemStore) -> Result<u64, Errno> {
    let file_len = log.metadata().map_err(io_errno)?.len();
    let mut reader = std::io::BufReader::with_capacity(1 << 20, &mut *log);
    let mut at = 0u64;
    let mut payload = Vec::new();
    loop {
        let mut header = [0u8; 8];
        if reader.read_exact(&mut header).is_err() {
            break;
        }
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        // A torn or corrupt length must not make us allocate past the file.
        if at + 8 + len as u64 > file_len {
            break;
        }
        payload.resize(len, 0);
        if reader.read_exact(&mut payload).is_err() || crc32c(&payload) != crc {
            break;
        }
        let Ok(record) = decode_exact::<Record>(&payload) else {
            break;
        };
        match record {
            Record::Object(req) => {
                mem.execute(&req);
            }
            Record::Pool(PoolRequest::CreateSnap { pool }) => {
                let _ = mem.create_snap(pool);
            }
            Record::Pool(PoolRequest::RemoveSnap { pool, snap }) => {
                let _ = mem.remove_snap(pool, snap);
            }
            Record::Pool(PoolRequest::Application { pool, change }) => {
                let _ = mem.change_applications(pool, |apps| change.apply(apps));
            }
            Record::Pool(_) => {}
            Record::CreatePool(name) => {
                let _ = mem.create_pool(&name);
            }
        }
        at += 8 + len as u64;
    }
    Ok(at)
}

/// Whether executing `request` may have changed the store (watches are
/// per process and never logged).
fn changes_store(request: &Request) -> bool {
    match request {
        Request::Object(req) => {
            (req.write || req.op.has_write()) && !req.op.ops.iter().any(|op| matches!(op.kind, OpKind::Watch { .. }))
        }
        Request::Pool(
            PoolRequest::CreateSnap { .. } | PoolRequest::RemoveSnap { .. } | PoolRequest::Application { .. },
        ) => true,
        Request::Pool(_) => false,
    }
}

impl LocalStore {
    /// Executes `request` and, if it changed the store, logs it first.
    pub fn execute(&self, request: &Request) -> Reply {
        match request {
            Request::Pool(PoolRequest::ClusterStat) => {
                return Reply::Stats(monitor::cluster_stat(&self.dir, self.used_bytes(), &self.mem));
            }
            Request::Pool(PoolRequest::MonCommand { cmd, .. }) => {
                return monitor::command(&self.dir, self.used_bytes(), &self.mem, cmd);
            }
            _ => {}
        }
        let reply = rbdrs_core::rados::execute_on(&self.mem, request);
        let succeeded = match &reply {
            Reply::Object(r) => r.result >= 0,
            Reply::Id(r) => r.is_ok(),
            Reply::Done(r) => r.is_ok(),
            Reply::Name(_)
            | Reply::Command { .. }
            | Reply::Stats(_)
            | Reply::PoolStat(_)
            | Reply::Alignment(_)
            | Reply::PoolSnaps(_)
            | Reply::Pools(_)
            | Reply::Applications(_) => false,
        };
        if succeeded && changes_store(request) {
            if let Err(e) = self.append(&Record::from_request(request)) {
                // Not logged means not durable: say so rather than ack.
                return match reply {
                    Reply::Object(_) => Reply::Object(rbdrs_core::osd::ObjectReply::error(e)),
                    Reply::Id(_) => Reply::Id(Err(e)),
                    _ => Reply::Done(Err(e)),
                };
            }
        }
        reply
    }
}

impl LocalStore {
    /// What the store takes on disk: its log.
    fn used_bytes(&self) -> u64 {
        self.log.lock().ok().and_then(|log| log.metadata().ok()).map_or(0, |m| m.len())
    }
}

impl Backend for LocalStore {
    fn submit(&self, tid: Tid, request: Request, dispatcher: &Dispatcher) {
        dispatcher.handle_reply(tid, self.execute(&request));
    }

    fn sync(&self) -> Result<(), Errno> {
        let log = self.log.lock().map_err(|_| Errno::EIO)?;
        log.sync_data().map_err(io_errno)
    }
}

#[cfg(test)]
mod tests;
