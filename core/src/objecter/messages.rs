//! The OSD messages a client sends and receives: MOSDOp (v8), MOSDOpReply,
//! MWatchNotify and MOSDBackoff (src/messages/*.h; the kernel's
//! net/ceph/osd_client.c encodes the same v8 layout).
//!
//! An op's fixed part is a packed 38-byte `ceph_osd_op` in the front
//! segment; its variable input (write data, class name and input, omap
//! keys...) goes to the data segment, every op's bytes one after another.
//! Replies mirror that: each op's `payload_len` says how much of the reply's
//! data segment is its output.

use alloc::vec::Vec;

use bytes::{Bytes, BytesMut};

use crate::encoding::{encode_to_vec, encode_versioned, Decode, DecodeError, Decoder, Encode, UtcTime};
use crate::msgr::Message;
use crate::osd::{ObjectReply, ObjectRequest, OpKind, OpResult, OsdOp, WatchOp};

pub const MSG_OSD_MAP: u16 = 41;
pub const MSG_OSD_OP: u16 = 42;
pub const MSG_OSD_OPREPLY: u16 = 43;
pub const MSG_WATCH_NOTIFY: u16 = 44;
pub const MSG_OSD_BACKOFF: u16 = 61;

/// MOSDOp's HEAD_VERSION and COMPAT_VERSION.
pub const OSD_OP_VERSION: u16 = 8;
pub const OSD_OP_COMPAT: u16 = 3;

/// `osd_client_op_priority`'s default: what librados sends client ops at.
pub const CLIENT_OP_PRIORITY: u16 = 63;

/// CEPH_OSD_FLAG_*: how a compound asks to be handled.
pub mod flags {
    pub const ONDISK: u32 = 0x0004;
    pub const RETRY: u32 = 0x0008;
    pub const READ: u32 = 0x0010;
    pub const WRITE: u32 = 0x0020;
    pub const REDIRECTED: u32 = 0x20_0000;
    pub const KNOWN_REDIR: u32 = 0x40_0000;
    pub const FULL_TRY: u32 = 0x80_0000;
    pub const IGNORE_CACHE: u32 = 0x8000;
    pub const IGNORE_OVERLAY: u32 = 0x2_0000;
    pub const PGOP: u32 = 0x0400;
}

/// The packed size of `struct ceph_osd_op`.
pub const OSD_OP_LEN: usize = 38;
const OSD_OP_UNION_LEN: usize = 28;

/// Where an op goes: the placement group it maps to (the *actual* pg, after
/// `pg_num` folding), its EC shard (-1 for replicated pools), and the raw
/// 32-bit object hash the OSD uses to order objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpgId {
    pub pool: i64,
    pub seed: u32,
    pub shard: i8,
}

impl SpgId {
    pub const NO_SHARD: i8 = -1;
}

fn encode_pg(pool: i64, seed: u32, out: &mut Vec<u8>) {
    1u8.encode(out);
    pool.encode(out);
    seed.encode(out);
    (-1i32).encode(out); // preferred, long unused
}

impl Encode for SpgId {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_versioned(out, 1, 1, |out| {
            encode_pg(self.pool, self.seed, out);
            out.push(self.shard as u8);
        });
    }
}

impl Decode for SpgId {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.versioned(1, |d, _| {
            let (pool, seed) = decode_pg(d)?;
            let shard = d.u8()? as i8;
            Ok(SpgId { pool, seed, shard })
        })
    }
}

fn decode_pg(d: &mut Decoder<'_>) -> Result<(i64, u32), DecodeError> {
    if d.u8()? != 1 {
        return Err(DecodeError::Invalid("pg_t version"));
    }
    let pool = d.i64()?;
    let seed = d.u32()?;
    d.i32()?;
    Ok((pool, seed))
}

/// Everything about one send of a compound that is not the compound itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpHeader {
    pub tid: u64,
    pub pgid: SpgId,
    pub hash: u32,
    pub epoch: u32,
    /// Target pool: differs from the request's after a redirect.
    pub pool: i64,
    /// 0 on the first send, counting resends.
    pub attempt: i32,
    pub extra_flags: u32,
    pub features: u64,
}

/// The CEPH_OSD_FLAG_* a compound is sent with.
pub fn op_flags(req: &ObjectRequest, attempt: i32, extra: u32) -> u32 {
    let mut f = flags::KNOWN_REDIR | extra;
    f |= if req.write { flags::WRITE | flags::ONDISK } else { flags::READ };
    if req.full_try {
        f |= flags::FULL_TRY;
    }
    // librados's pg_read: a pg op, never redirected to a cache tier.
    if req.op.pg_hash().is_some() {
        f |= flags::PGOP | flags::IGNORE_OVERLAY;
    }
    if attempt > 0 {
        f |= flags::RETRY;
    }
    f
}

/// Encodes MOSDOp v8 for `req`.
pub fn encode_osd_op(req: &ObjectRequest, h: &OpHeader) -> Message {
    let mut front = Vec::with_capacity(160 + req.oid.name.len() + req.op.ops.len() * OSD_OP_LEN);
    let mut data = DataSegment::default();
    h.pgid.encode(&mut front);
    h.hash.encode(&mut front);
    h.epoch.encode(&mut front);
    op_flags(req, h.attempt, h.extra_flags).encode(&mut front);
    // osd_reqid_t: left empty so the OSD takes it from the connection.
    encode_versioned(&mut front, 2, 2, |out| {
        out.push(0);
        0i64.encode(out);
        0u64.encode(out);
        0i32.encode(out);
    });
    front.extend_from_slice(&[0; 24]); // blkin trace: none
    0u32.encode(&mut front); // client_inc
    let mtime = if req.write { req.mtime } else { UtcTime::default() };
    mtime.encode(&mut front);
    encode_versioned(&mut front, 6, 3, |out| {
        h.pool.encode(out);
        (-1i32).encode(out);
        req.oid.key.encode(out);
        req.oid.namespace.encode(out);
        (-1i64).encode(out); // hash: from the name
    });
    req.oid.name.encode(&mut front);
    (req.op.ops.len() as u16).encode(&mut front);
    for op in &req.op.ops {
        encode_op(op, &mut front, &mut data);
    }
    req.snap_id.0.encode(&mut front);
    if req.write {
        req.snapc.seq.encode(&mut front);
        req.snapc.snaps.encode(&mut front);
    } else {
        0u64.encode(&mut front);
        0u32.encode(&mut front);
    }
    h.attempt.encode(&mut front);
    h.features.encode(&mut front);
    Message {
        msg_type: MSG_OSD_OP,
        version: OSD_OP_VERSION,
        compat_version: OSD_OP_COMPAT,
        priority: CLIENT_OP_PRIORITY,
        tid: h.tid,
        front: front.into(),
        middle: Bytes::new(),
        data: data.freeze(),
    }
}

/// The data segment: every op's input back to back. A lone input that is
/// already shared (a write's data) goes out as it is, not copied.
#[derive(Default)]
struct DataSegment {
    shared: Option<Bytes>,
    owned: BytesMut,
}

impl DataSegment {
    fn len(&self) -> usize {
        self.shared.as_ref().map_or(0, Bytes::len) + self.owned.len()
    }

    fn push(&mut self, bytes: &Bytes) {
        if self.len() == 0 {
            self.shared = Some(bytes.clone());
        } else {
            self.extend_from_slice(bytes);
        }
    }

    fn extend_from_slice(&mut self, bytes: &[u8]) {
        if let Some(shared) = self.shared.take() {
            self.owned.extend_from_slice(&shared);
        }
        self.owned.extend_from_slice(bytes);
    }

    fn freeze(self) -> Bytes {
        match self.shared {
            Some(shared) => shared,
            None => self.owned.freeze(),
        }
    }
}

/// The wire value of a watch sub-op (CEPH_OSD_WATCH_OP_*).
pub const fn watch_op_code(op: WatchOp) -> u8 {
    op as u8
}

/// Appends one packed `ceph_osd_op` to `front` and its input to `data`.
fn encode_op(op: &OsdOp, front: &mut Vec<u8>, data: &mut DataSegment) {
    let before = data.len();
    let mut u = [0u8; OSD_OP_UNION_LEN];
    let mut put = |at: usize, bytes: &[u8]| u[at..at + bytes.len()].copy_from_slice(bytes);
    let str_len = |s: &str| (s.len() as u32).to_le_bytes();
    match &op.kind {
        OpKind::Read { offset, length } | OpKind::SparseRead { offset, length } | OpKind::Zero { offset, length } => {
            put(0, &offset.to_le_bytes());
            put(8, &length.to_le_bytes());
        }
        OpKind::Write { offset, data: bytes } => {
            put(0, &offset.to_le_bytes());
            put(8, &(bytes.len() as u64).to_le_bytes());
            data.push(bytes);
        }
        OpKind::WriteFull { data: bytes } => {
            put(8, &(bytes.len() as u64).to_le_bytes());
            data.push(bytes);
        }
        OpKind::CmpExt { offset, data: bytes } => {
            put(0, &offset.to_le_bytes());
            put(8, &(bytes.len() as u64).to_le_bytes());
            data.push(bytes);
        }
        OpKind::WriteSame { offset, length, data: bytes } => {
            put(0, &offset.to_le_bytes());
            put(8, &length.to_le_bytes());
            put(16, &(bytes.len() as u64).to_le_bytes());
            data.push(bytes);
        }
        OpKind::Truncate { size } => put(0, &size.to_le_bytes()),
        // assert_ver: an unused u64, then the version.
        OpKind::AssertVersion { version } => put(8, &version.to_le_bytes()),
        OpKind::Stat
        | OpKind::AssertExists
        | OpKind::Remove
        | OpKind::Create
        | OpKind::GetXattrs
        | OpKind::OmapGetHeader
        | OpKind::OmapClear
        | OpKind::ListWatchers => {}
        OpKind::SetAllocHint { expected_object_size, expected_write_size, flags } => {
            put(0, &expected_object_size.to_le_bytes());
            put(8, &expected_write_size.to_le_bytes());
            put(16, &flags.to_le_bytes());
        }
        OpKind::Rollback { snap } => put(0, &snap.to_le_bytes()),
        OpKind::GetXattr { name } | OpKind::RmXattr { name } => {
            put(0, &str_len(name));
            data.extend_from_slice(name.as_bytes());
        }
        OpKind::SetXattr { name, value } => {
            put(0, &str_len(name));
            put(4, &(value.len() as u32).to_le_bytes());
            data.extend_from_slice(name.as_bytes());
            data.extend_from_slice(value);
        }
        OpKind::OmapGetKeys { start_after, max_return } => {
            data.extend_from_slice(&encode_to_vec(&(start_after, max_return)));
        }
        OpKind::OmapGetVals { start_after, filter_prefix, max_return } => {
            let mut bl = encode_to_vec(&(start_after, max_return));
            filter_prefix.encode(&mut bl);
            data.extend_from_slice(&bl);
        }
        OpKind::OmapGetValsByKeys { keys } | OpKind::OmapRmKeys { keys } => {
            data.extend_from_slice(&encode_to_vec(keys));
        }
        OpKind::OmapSetVals { entries } => data.extend_from_slice(&encode_to_vec(entries)),
        OpKind::OmapRmKeyRange { start, end } => data.extend_from_slice(&encode_to_vec(&(start, end))),
        // map<string, pair<bufferlist, int>>
        OpKind::OmapCmp { assertions } => data.extend_from_slice(&encode_to_vec(assertions)),
        OpKind::OmapSetHeader { header } => data.push(header),
        OpKind::Call { class, method, input } => {
            // Class and method names are at most 255 bytes on the wire.
            put(0, &[class.len().min(255) as u8, method.len().min(255) as u8, 0]);
            put(3, &(input.len() as u32).to_le_bytes());
            data.extend_from_slice(&class.as_bytes()[..class.len().min(255)]);
            data.extend_from_slice(&method.as_bytes()[..method.len().min(255)]);
            data.extend_from_slice(input);
        }
        OpKind::Watch { cookie, op: wop, gen, timeout } => {
            put(0, &cookie.to_le_bytes());
            put(16, &[watch_op_code(*wop)]);
            put(17, &gen.to_le_bytes());
            put(21, &timeout.to_le_bytes());
        }
        OpKind::Notify { cookie, timeout, payload } => {
            put(0, &cookie.to_le_bytes());
            let mut bl = Vec::new();
            1u32.encode(&mut bl); // notify protocol version
            timeout.encode(&mut bl);
            payload.encode(&mut bl);
            data.extend_from_slice(&bl);
        }
        OpKind::CmpXattr { name, op: cmp, mode, value } => {
            put(0, &str_len(name));
            put(4, &(value.len() as u32).to_le_bytes());
            put(8, &[*cmp, *mode]);
            data.extend_from_slice(name.as_bytes());
            data.extend_from_slice(value);
        }
        OpKind::Checksum { kind, offset, length, chunk_size, init } => {
            put(0, &offset.to_le_bytes());
            put(8, &length.to_le_bytes());
            put(16, &chunk_size.to_le_bytes());
            put(20, &[*kind]);
            data.extend_from_slice(init);
        }
        OpKind::CachePin { .. } => {}
        OpKind::PgNls { count, start_epoch, cursor } => {
            put(0, &count.to_le_bytes());
            put(8, &start_epoch.to_le_bytes());
            data.extend_from_slice(&encode_to_vec(cursor));
        }
        OpKind::NotifyAck { notify_id, cookie, payload } => {
            let mut bl = Vec::new();
            notify_id.encode(&mut bl);
            cookie.encode(&mut bl);
            payload.encode(&mut bl);
            data.extend_from_slice(&bl);
        }
    }
    op.kind.code().encode(front);
    op.flags.0.encode(front);
    front.extend_from_slice(&u);
    ((data.len() - before) as u32).encode(front);
}

/// A request redirect (request_redirect_t): resend to another pool.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redirect {
    pub pool: i64,
    pub object: Option<alloc::string::String>,
}

/// What the objecter needs from MOSDOpReply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsdOpReply {
    pub tid: u64,
    pub flags: u64,
    pub result: i32,
    pub epoch: u32,
    pub retry_attempt: i32,
    pub user_version: u64,
    pub redirect: Option<Redirect>,
    pub ops: Vec<OpResult>,
}

impl OsdOpReply {
    pub fn into_object_reply(self) -> ObjectReply {
        ObjectReply { result: self.result, version: self.user_version, ops: self.ops }
    }
}

fn skip_eversion(d: &mut Decoder<'_>) -> Result<(), DecodeError> {
    d.skip(12)
}

fn decode_redirect(d: &mut Decoder<'_>) -> Result<Redirect, DecodeError> {
    d.versioned(1, |d, _| {
        let pool = d.versioned(6, |d, _| {
            let pool = d.i64()?;
            // preferred, key, nspace and hash follow; a redirect keeps ours.
            Ok(pool)
        })?;
        let object = d.string()?;
        Ok(Redirect { pool, object: if object.is_empty() { None } else { Some(object) } })
    })
}

/// Decodes MOSDOpReply (header versions 7 through 10, what Luminous and
/// newer OSDs send to a client with our features).
pub fn decode_osd_op_reply(tid: u64, version: u16, front: &[u8], data: &Bytes) -> Result<OsdOpReply, DecodeError> {
    if version < 7 {
        return Err(DecodeError::VersionTooOld { version: version.min(255) as u8, oldest: 7 });
    }
    let mut d = Decoder::new(front);
    d.bytes()?; // oid
    decode_pg(&mut d)?;
    let flags = d.u64()?;
    let result = d.i32()?;
    skip_eversion(&mut d)?;
    let epoch = d.u32()?;
    let num_ops = d.count(OSD_OP_LEN)?;
    let mut lens = Vec::with_capacity(num_ops);
    for _ in 0..num_ops {
        let op = d.take(OSD_OP_LEN)?;
        let len = u32::from_le_bytes([op[34], op[35], op[36], op[37]]);
        lens.push(len as usize);
    }
    let retry_attempt = d.i32()?;
    let mut ops = Vec::with_capacity(num_ops);
    let mut at = 0usize;
    for len in lens {
        let rval = d.i32()?;
        let end = at
            .checked_add(len)
            .filter(|&end| end <= data.len())
            .ok_or(DecodeError::Invalid("op output past the data segment"))?;
        ops.push(OpResult { rval, out: data.slice(at..end) });
        at = end;
    }
    if at != data.len() {
        return Err(DecodeError::Invalid("op outputs do not cover the data segment"));
    }
    skip_eversion(&mut d)?; // replay_version
    let user_version = d.u64()?;
    let redirect = if d.bool()? { Some(decode_redirect(&mut d)?) } else { None };
    // Then trace, QoS phase and temperature: nothing a client acts on.
    Ok(OsdOpReply { tid, flags, result, epoch, retry_attempt, user_version, redirect, ops })
}

/// CEPH_WATCH_EVENT_*.
pub mod watch_event {
    pub const NOTIFY: u8 = 1;
    pub const NOTIFY_COMPLETE: u8 = 2;
    pub const DISCONNECT: u8 = 3;
}

/// MWatchNotify: an event on a watch we hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchNotify {
    pub opcode: u8,
    pub cookie: u64,
    pub notify_id: u64,
    pub payload: Bytes,
    pub return_code: i32,
    pub notifier_gid: u64,
}

pub fn decode_watch_notify(version: u16, front: &[u8]) -> Result<WatchNotify, DecodeError> {
    let mut d = Decoder::new(front);
    let _proto = d.u8()?;
    let opcode = d.u8()?;
    let cookie = d.u64()?;
    d.u64()?; // ver, unused
    let notify_id = d.u64()?;
    let payload = Bytes::copy_from_slice(d.bytes()?);
    let return_code = if version >= 2 { d.i32()? } else { 0 };
    let notifier_gid = if version >= 3 { d.u64()? } else { 0 };
    Ok(WatchNotify { opcode, cookie, notify_id, payload, return_code, notifier_gid })
}

/// CEPH_OSD_BACKOFF_OP_*.
pub mod backoff_op {
    pub const BLOCK: u8 = 1;
    pub const ACK_BLOCK: u8 = 2;
    pub const UNBLOCK: u8 = 3;
}

/// MOSDBackoff. The object range is kept as encoded: this client blocks the
/// whole placement group, which is conservative, and echoes the range back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub pgid: SpgId,
    pub epoch: u32,
    pub op: u8,
    pub id: u64,
    pub range: Bytes,
}

pub fn decode_backoff(front: &[u8]) -> Result<Backoff, DecodeError> {
    let mut d = Decoder::new(front);
    let pgid = SpgId::decode(&mut d)?;
    let epoch = d.u32()?;
    let op = d.u8()?;
    let id = d.u64()?;
    let range = Bytes::copy_from_slice(d.rest());
    // begin and end are two hobject_t envelopes; check they are there.
    for _ in 0..2 {
        d.versioned(4, |d, _| {
            d.skip(d.remaining())?;
            Ok(())
        })?;
    }
    Ok(Backoff { pgid, epoch, op, id, range })
}

/// The ACK_BLOCK a client owes an OSD for a BLOCK.
pub fn encode_backoff_ack(block: &Backoff) -> Message {
    let mut front = Vec::new();
    block.pgid.encode(&mut front);
    block.epoch.encode(&mut front);
    front.push(backoff_op::ACK_BLOCK);
    block.id.encode(&mut front);
    front.extend_from_slice(&block.range);
    Message {
        msg_type: MSG_OSD_BACKOFF,
        version: 1,
        compat_version: 1,
        priority: CLIENT_OP_PRIORITY,
        tid: 0,
        front: front.into(),
        middle: Bytes::new(),
        data: Bytes::new(),
    }
}
