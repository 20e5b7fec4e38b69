//! The monitor messages a client sends and receives (src/messages/M*.h),
//! as [`Message`] fronts. Requests encode; replies decode from untrusted
//! bytes. Older header versions than the ones named are refused.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::monmap::MonMap;
use crate::encoding::{decode_exact, encode_to_vec, Decode, DecodeError, Decoder, Encode};
use crate::msgr::Message;

/// `CEPH_MSG_*` (src/include/ceph_fs.h, msgr.h).
pub mod msg_type {
    pub const PING: u16 = 2;
    pub const MON_MAP: u16 = 4;
    pub const STATFS: u16 = 13;
    pub const STATFS_REPLY: u16 = 14;
    pub const MON_SUBSCRIBE: u16 = 15;
    pub const MON_SUBSCRIBE_ACK: u16 = 16;
    pub const AUTH: u16 = 17;
    pub const AUTH_REPLY: u16 = 18;
    pub const MON_GET_VERSION: u16 = 19;
    pub const MON_GET_VERSION_REPLY: u16 = 20;
    pub const OSD_MAP: u16 = 41;
    pub const POOLOP_REPLY: u16 = 48;
    pub const GET_POOL_STATS: u16 = 58;
    pub const GET_POOL_STATS_REPLY: u16 = 59;
    pub const POOLOP: u16 = 49;
    pub const MON_COMMAND: u16 = 50;
    pub const MON_COMMAND_ACK: u16 = 51;
    pub const COMMAND: u16 = 97;
    pub const COMMAND_REPLY: u16 = 98;
}

/// `POOL_OP_*` (src/include/rados.h).
pub mod pool_op {
    pub const CREATE: u32 = 0x01;
    pub const DELETE: u32 = 0x02;
    pub const CREATE_SNAP: u32 = 0x11;
    pub const DELETE_SNAP: u32 = 0x12;
    pub const CREATE_UNMANAGED_SNAP: u32 = 0x21;
    pub const DELETE_UNMANAGED_SNAP: u32 = 0x22;
}

/// `CEPH_SUBSCRIBE_ONETIME`: one map, then the subscription ends.
pub const SUBSCRIBE_ONETIME: u8 = 1;

/// PaxosServiceMessage's prefix: `u64 version, i16 session_mon (-1),
/// u64 session_mon_tid (0)`.
fn paxos_header(version: u64, out: &mut Vec<u8>) {
    version.encode(out);
    (-1i16).encode(out);
    0u64.encode(out);
}

fn skip_paxos_header(d: &mut Decoder<'_>) -> Result<(), DecodeError> {
    d.skip(8 + 2 + 8)
}

/// MMonSubscribe v3: `map<string, {u64 start, u8 flags}>`, hostname.
pub fn subscribe(what: &BTreeMap<String, (u64, u8)>, hostname: &str) -> Message {
    let mut front = Vec::new();
    (what.len() as u32).encode(&mut front);
    for (name, (start, flags)) in what {
        name.encode(&mut front);
        start.encode(&mut front);
        flags.encode(&mut front);
    }
    hostname.encode(&mut front);
    Message::new(msg_type::MON_SUBSCRIBE, 3, 1, front)
}

/// MMonGetVersion: `u64 handle, string what`; the handle is the tid.
pub fn get_version(tid: u64, what: &str) -> Message {
    let mut front = Vec::new();
    tid.encode(&mut front);
    what.encode(&mut front);
    Message { tid, ..Message::new(msg_type::MON_GET_VERSION, 1, 1, front) }
}

/// What an MPoolOp asks.
#[derive(Clone, Copy, Debug)]
pub struct PoolOpArgs<'a> {
    pub pool: u32,
    pub op: u32,
    pub snapid: u64,
    pub name: &'a str,
    /// -1: the monitor's default rule.
    pub crush_rule: i16,
}

/// MPoolOp v4: pools by name (create, delete) and self-managed snapshots.
pub fn pool_op(tid: u64, fsid: &[u8; 16], what: &PoolOpArgs<'_>, osdmap_epoch: u32) -> Message {
    let mut front = Vec::new();
    paxos_header(u64::from(osdmap_epoch), &mut front);
    front.extend_from_slice(fsid);
    what.pool.encode(&mut front);
    what.op.encode(&mut front);
    0u64.encode(&mut front); // auid
    what.snapid.encode(&mut front);
    what.name.encode(&mut front);
    0u8.encode(&mut front); // pad
    what.crush_rule.encode(&mut front);
    Message { tid, ..Message::new(msg_type::POOLOP, 4, 2, front) }
}

/// MStatfs v2: `fsid, optional<i64> data_pool` (none: the whole cluster).
pub fn statfs(tid: u64, fsid: &[u8; 16]) -> Message {
    let mut front = Vec::new();
    paxos_header(0, &mut front);
    front.extend_from_slice(fsid);
    0u8.encode(&mut front);
    Message { tid, ..Message::new(msg_type::STATFS, 2, 1, front) }
}

/// MStatfsReply: `fsid, u64 version, ceph_statfs {kb, kb_used, kb_avail,
/// num_objects}`, a raw struct.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statfs {
    pub kb: u64,
    pub kb_used: u64,
    pub kb_avail: u64,
    pub num_objects: u64,
}

impl Decode for Statfs {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        d.skip(16 + 8)?;
        Ok(Statfs { kb: d.u64()?, kb_used: d.u64()?, kb_avail: d.u64()?, num_objects: d.u64()? })
    }
}

impl Encode for Statfs {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[0; 24]);
        for v in [self.kb, self.kb_used, self.kb_avail, self.num_objects] {
            v.encode(out);
        }
    }
}

/// MMonCommand: `fsid, vector<string> cmd`; the input rides as data.
pub fn mon_command(tid: u64, fsid: &[u8; 16], cmd: &[String], input: Bytes) -> Message {
    let mut front = Vec::new();
    paxos_header(0, &mut front);
    front.extend_from_slice(fsid);
    command_parts(cmd, &mut front);
    Message { tid, data: input, ..Message::new(msg_type::MON_COMMAND, 1, 1, front) }
}

/// A command's JSON parts: `vector<string>`.
fn command_parts(cmd: &[String], out: &mut Vec<u8>) {
    (cmd.len() as u32).encode(out);
    for part in cmd {
        part.encode(out);
    }
}

/// MMonCommandAck: `i32 r, string rs, vector<string> cmd`; output as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandAck {
    pub result: i32,
    pub status: String,
}

impl Decode for CommandAck {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        skip_paxos_header(d)?;
        let result = d.i32()?;
        let status = d.string()?;
        // The echoed command is not needed.
        Ok(CommandAck { result, status })
    }
}

/// MCommand, a command to one daemon (OSD, or a monitor by name):
/// `fsid, vector<string> cmd`; the input rides as data.
pub fn command(tid: u64, fsid: &[u8; 16], cmd: &[String], input: Bytes) -> Message {
    let mut front = fsid.to_vec();
    command_parts(cmd, &mut front);
    Message { tid, data: input, ..Message::new(msg_type::COMMAND, 1, 1, front) }
}

/// MCommandReply: `i32 r, string rs`; the output rides as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandReply {
    pub result: i32,
    pub status: String,
}

impl Decode for CommandReply {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(CommandReply { result: d.i32()?, status: d.string()? })
    }
}

impl Encode for CommandReply {
    fn encode(&self, out: &mut Vec<u8>) {
        self.result.encode(out);
        self.status.encode(out);
    }
}

/// MCommandReply as a daemon sends it.
pub fn command_reply_message(tid: u64, reply: &CommandReply, output: Bytes) -> Message {
    Message { tid, data: output, ..Message::new(msg_type::COMMAND_REPLY, 1, 1, encode_to_vec(reply)) }
}

/// MAuth: `u32 protocol, bufferlist payload, u32 monmap_epoch`.
pub fn auth(protocol: u32, payload: &[u8], monmap_epoch: u32) -> Message {
    let mut front = Vec::new();
    paxos_header(0, &mut front);
    protocol.encode(&mut front);
    payload.encode(&mut front);
    monmap_epoch.encode(&mut front);
    Message::new(msg_type::AUTH, 1, 0, front)
}

/// MMonMap: the encoded map in a bufferlist.
pub fn decode_mon_map(front: &[u8]) -> Result<MonMap, DecodeError> {
    let mut d = Decoder::new(front);
    let map = decode_exact(d.bytes()?)?;
    d.finish()?;
    Ok(map)
}

/// MOSDMap: raw map blobs for the OSDMap decoder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OsdMapMessage {
    pub fsid: [u8; 16],
    pub incrementals: Vec<(u32, Bytes)>,
    pub maps: Vec<(u32, Bytes)>,
    pub oldest: u32,
    pub newest: u32,
}

impl OsdMapMessage {
    /// MOSDMap::decode_payload for header versions 2 to 4; fields a newer
    /// sender appends are ignored, as upstream does.
    pub fn decode(front: &[u8], version: u16) -> Result<Self, DecodeError> {
        if version < 2 {
            return Err(DecodeError::Invalid("MOSDMap before v2"));
        }
        let mut d = Decoder::new(front);
        let fsid = d.array()?;
        let mut blobs = || -> Result<Vec<(u32, Bytes)>, DecodeError> {
            let count = d.count(8)?;
            let mut out: Vec<(u32, Bytes)> = Vec::with_capacity(count);
            for _ in 0..count {
                let epoch = d.u32()?;
                let blob = Bytes::copy_from_slice(d.bytes()?);
                out.push((epoch, blob));
            }
            Ok(out)
        };
        let incrementals = blobs()?;
        let maps = blobs()?;
        Ok(OsdMapMessage { fsid, incrementals, maps, oldest: d.u32()?, newest: d.u32()? })
    }

    pub fn encode(&self) -> Message {
        let mut front = self.fsid.to_vec();
        for list in [&self.incrementals, &self.maps] {
            (list.len() as u32).encode(&mut front);
            for (epoch, blob) in list {
                epoch.encode(&mut front);
                blob.encode(&mut front);
            }
        }
        self.oldest.encode(&mut front);
        self.newest.encode(&mut front);
        0u32.encode(&mut front); // gap_removed_snaps
        Message::new(msg_type::OSD_MAP, 4, 1, front)
    }
}

/// MMonGetVersionReply: `u64 handle, u64 version, u64 oldest_version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionReply {
    pub tid: u64,
    pub newest: u64,
    pub oldest: u64,
}

impl Decode for VersionReply {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(VersionReply { tid: d.u64()?, newest: d.u64()?, oldest: d.u64()? })
    }
}

impl Encode for VersionReply {
    fn encode(&self, out: &mut Vec<u8>) {
        self.tid.encode(out);
        self.newest.encode(out);
        self.oldest.encode(out);
    }
}

/// MPoolOpReply: `fsid, u32 reply_code, u32 epoch, bool, [bufferlist]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolOpReply {
    pub fsid: [u8; 16],
    /// A negative errno or 0, sent as a u32.
    pub code: i32,
    pub epoch: u32,
    pub data: Option<Bytes>,
}

impl Decode for PoolOpReply {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        skip_paxos_header(d)?;
        let fsid = d.array()?;
        let code = d.u32()? as i32;
        let epoch = d.u32()?;
        let data = if d.bool()? { Some(Bytes::copy_from_slice(d.bytes()?)) } else { None };
        Ok(PoolOpReply { fsid, code, epoch, data })
    }
}

impl Encode for PoolOpReply {
    fn encode(&self, out: &mut Vec<u8>) {
        paxos_header(0, out);
        out.extend_from_slice(&self.fsid);
        (self.code as u32).encode(out);
        self.epoch.encode(out);
        self.data.is_some().encode(out);
        if let Some(data) = &self.data {
            data.encode(out);
        }
    }
}

/// MAuthReply: `u32 protocol, i32 result, u64 global_id, bufferlist,
/// string message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthReply {
    pub protocol: u32,
    pub result: i32,
    pub global_id: u64,
    pub payload: Bytes,
    pub message: String,
}

impl Decode for AuthReply {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(AuthReply {
            protocol: d.u32()?,
            result: d.i32()?,
            global_id: d.u64()?,
            payload: Bytes::copy_from_slice(d.bytes()?),
            message: d.string()?,
        })
    }
}

impl Encode for AuthReply {
    fn encode(&self, out: &mut Vec<u8>) {
        self.protocol.encode(out);
        self.result.encode(out);
        self.global_id.encode(out);
        self.payload.encode(out);
        self.message.encode(out);
    }
}

/// Test and fake-monitor helpers: replies as messages.
pub fn version_reply_message(r: VersionReply) -> Message {
    Message { tid: r.tid, ..Message::new(msg_type::MON_GET_VERSION_REPLY, 2, 1, encode_to_vec(&r)) }
}

pub fn pool_op_reply_message(tid: u64, r: &PoolOpReply) -> Message {
    Message { tid, ..Message::new(msg_type::POOLOP_REPLY, 1, 1, encode_to_vec(r)) }
}

/// MStatfsReply as a monitor sends it (fsid and version left zero).
pub fn statfs_reply_message(tid: u64, stats: &Statfs) -> Message {
    Message { tid, ..Message::new(msg_type::STATFS_REPLY, 1, 1, encode_to_vec(stats)) }
}

/// MMonCommandAck as a monitor sends it (the command echo left empty).
pub fn command_ack_message(tid: u64, ack: &CommandAck, output: Bytes) -> Message {
    let mut front = Vec::new();
    paxos_header(0, &mut front);
    ack.result.encode(&mut front);
    ack.status.encode(&mut front);
    0u32.encode(&mut front);
    Message { tid, data: output, ..Message::new(msg_type::MON_COMMAND_ACK, 1, 1, front) }
}

pub fn auth_reply_message(r: &AuthReply) -> Message {
    Message::new(msg_type::AUTH_REPLY, 1, 1, encode_to_vec(r))
}

pub fn mon_map_message(map: &MonMap) -> Message {
    let mut front = Vec::new();
    encode_to_vec(map).as_slice().encode(&mut front);
    Message::new(msg_type::MON_MAP, 1, 1, front)
}
