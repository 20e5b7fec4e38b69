//! The local store's log records: every request that changed the store,
//! encoded with Ceph's primitives. Replaying them in order on an empty
//! in-memory store rebuilds it exactly (execution is deterministic).

use bytes::Bytes;
use rbdrs_core::encoding::{Decode, DecodeError, Decoder, Encode, UtcTime};
use rbdrs_core::osd::{
    ClientId, ObjectId, ObjectOperation, ObjectRequest, OpFlags, OpKind, OsdOp, SnapContext, SnapId, WatchOp,
};
use rbdrs_core::rados::application::AppChange;
use rbdrs_core::rados::{PoolRequest, Request};

/// What the log holds: object compounds and pool changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    Object(ObjectRequest),
    Pool(PoolRequest),
    CreatePool(String),
}

impl Record {
    pub fn from_request(request: &Request) -> Record {
        match request {
            Request::Object(req) => Record::Object(req.clone()),
            Request::Pool(req) => Record::Pool(req.clone()),
        }
    }
}

fn put_op(op: &OsdOp, out: &mut Vec<u8>) {
    op.flags.0.encode(out);
    op.kind.code().encode(out);
    match &op.kind {
        OpKind::Read { offset, length } | OpKind::SparseRead { offset, length } | OpKind::Zero { offset, length } => {
            offset.encode(out);
            length.encode(out);
        }
        OpKind::Stat
        | OpKind::Remove
        | OpKind::Create
        | OpKind::GetXattrs
        | OpKind::OmapGetHeader
        | OpKind::OmapClear
        | OpKind::ListWatchers
        // Pg ops read: never logged.
        | OpKind::PgNls { .. } => {}
        OpKind::AssertExists => 1u8.encode(out),
        OpKind::CmpExt { offset, data } | OpKind::Write { offset, data } => {
            offset.encode(out);
            data.encode(out);
        }
        OpKind::WriteFull { data } => data.encode(out),
        OpKind::WriteSame { offset, length, data } => {
            offset.encode(out);
            length.encode(out);
            data.encode(out);
        }
        OpKind::Truncate { size } => size.encode(out),
        OpKind::AssertVersion { version } => version.encode(out),
        OpKind::SetAllocHint { expected_object_size, expected_write_size, .. } => {
            expected_object_size.encode(out);
            expected_write_size.encode(out);
        }
        OpKind::Rollback { snap } => snap.encode(out),
        OpKind::GetXattr { name } | OpKind::RmXattr { name } => name.encode(out),
        OpKind::SetXattr { name, value } => {
            name.encode(out);
            value.encode(out);
        }
        OpKind::CmpXattr { name, op, mode, value } => {
            name.encode(out);
            op.encode(out);
            mode.encode(out);
            value.encode(out);
        }
        OpKind::Checksum { kind, offset, length, chunk_size, init } => {
            kind.encode(out);
            offset.encode(out);
            length.encode(out);
            chunk_size.encode(out);
            init.encode(out);
        }
        OpKind::CachePin { .. } => {}
        OpKind::OmapGetKeys { start_after, max_return } => {
            start_after.encode(out);
            max_return.encode(out);
        }
        OpKind::OmapGetVals { start_after, filter_prefix, max_return } => {
            start_after.encode(out);
            filter_prefix.encode(out);
            max_return.encode(out);
        }
        OpKind::OmapGetValsByKeys { keys } | OpKind::OmapRmKeys { keys } => keys.encode(out),
        OpKind::OmapSetVals { entries } => entries.encode(out),
        OpKind::OmapRmKeyRange { start, end } => {
            start.encode(out);
            end.encode(out);
        }
        OpKind::OmapCmp { assertions } => assertions.encode(out),
        OpKind::OmapSetHeader { header } => header.encode(out),
        OpKind::Call { class, method, input } => {
            class.encode(out);
            method.encode(out);
            input.encode(out);
        }
        OpKind::Watch { cookie, op, gen, timeout } => {
            cookie.encode(out);
            (*op as u8).encode(out);
            gen.encode(out);
            timeout.encode(out);
        }
        OpKind::Notify { cookie, timeout, payload } => {
            cookie.encode(out);
            timeout.encode(out);
            payload.encode(out);
        }
        OpKind::NotifyAck { notify_id, cookie, payload } => {
            notify_id.encode(out);
            cookie.encode(out);
            payload.encode(out);
        }
    }
}

fn get_op(d: &mut Decoder<'_>) -> Result<OsdOp, DecodeError> {
    let flags = OpFlags(d.u32()?);
    let code = d.u16()?;
    let kind = match code {
        0x1201 => OpKind::Read { offset: d.u64()?, length: d.u64()? },
        0x1205 => OpKind::SparseRead { offset: d.u64()?, length: d.u64()? },
        0x2204 => OpKind::Zero { offset: d.u64()?, length: d.u64()? },
        0x1202 => match d.rest().first() {
            // Stat and AssertExists share a code; a marker byte tells them apart.
            Some(1) => {
                d.u8()?;
                OpKind::AssertExists
            }
            _ => OpKind::Stat,
        },
        0x2205 => OpKind::Remove,
        0x220d => OpKind::Create,
        0x1302 => OpKind::GetXattrs,
        0x1213 => OpKind::OmapGetHeader,
        0x2217 => OpKind::OmapClear,
        0x1209 => OpKind::ListWatchers,
        0x1220 => OpKind::CmpExt { offset: d.u64()?, data: d.decode()? },
        0x2201 => OpKind::Write { offset: d.u64()?, data: d.decode()? },
        0x2202 => OpKind::WriteFull { data: d.decode()? },
        0x2226 => OpKind::WriteSame { offset: d.u64()?, length: d.u64()?, data: d.decode()? },
        0x2203 => OpKind::Truncate { size: d.u64()? },
        0x1208 => OpKind::AssertVersion { version: d.u64()? },
        // A hint changes nothing here: its flags are not kept.
        0x2223 => OpKind::SetAllocHint { expected_object_size: d.u64()?, expected_write_size: d.u64()?, flags: 0 },
        0x220e => OpKind::Rollback { snap: d.u64()? },
        0x1301 => OpKind::GetXattr { name: d.string()? },
        0x2304 => OpKind::RmXattr { name: d.string()? },
        0x2301 => OpKind::SetXattr { name: d.string()?, value: d.decode()? },
        0x1211 => OpKind::OmapGetKeys { start_after: d.string()?, max_return: d.u64()? },
        0x1212 => OpKind::OmapGetVals { start_after: d.string()?, filter_prefix: d.string()?, max_return: d.u64()? },
        0x1214 => OpKind::OmapGetValsByKeys { keys: d.decode()? },
        0x2218 => OpKind::OmapRmKeys { keys: d.decode()? },
        0x2215 => OpKind::OmapSetVals { entries: d.decode()? },
        0x222c => OpKind::OmapRmKeyRange { start: d.string()?, end: d.string()? },
        0x1219 => OpKind::OmapCmp { assertions: d.decode()? },
        0x2216 => OpKind::OmapSetHeader { header: d.decode()? },
        0x1401 => OpKind::Call { class: d.string()?, method: d.string()?, input: d.decode()? },
        0x220f => {
            let cookie = d.u64()?;
            let op = match d.u8()? {
                0 => WatchOp::Unwatch,
                1 => WatchOp::Legacy,
                2 => WatchOp::Watch,
                3 => WatchOp::Reconnect,
                7 => WatchOp::Ping,
                _ => return Err(DecodeError::Invalid("watch op")),
            };
            OpKind::Watch { cookie, op, gen: d.u32()?, timeout: d.u32()? }
        }
        0x1303 => OpKind::CmpXattr { name: d.string()?, op: d.u8()?, mode: d.u8()?, value: d.decode()? },
        0x121f => OpKind::Checksum {
            kind: d.u8()?,
            offset: d.u64()?,
            length: d.u64()?,
            chunk_size: d.u32()?,
            init: d.decode()?,
        },
        0x2224 => OpKind::CachePin { pin: true },
        0x2225 => OpKind::CachePin { pin: false },
        0x1206 => OpKind::Notify { cookie: d.u64()?, timeout: d.u32()?, payload: d.decode::<Bytes>()? },
        0x1207 => OpKind::NotifyAck { notify_id: d.u64()?, cookie: d.u64()?, payload: d.decode::<Bytes>()? },
        _ => return Err(DecodeError::Invalid("op code")),
    };
    Ok(OsdOp { kind, flags })
}

impl Encode for Record {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Record::Object(req) => {
                // Tag 9: one with a locator key, which tag 1 predates.
                (if req.oid.key.is_empty() { 1u8 } else { 9u8 }).encode(out);
                req.oid.pool.encode(out);
                req.oid.namespace.encode(out);
                req.oid.name.encode(out);
                req.snap_id.0.encode(out);
                req.snapc.encode(out);
                req.mtime.encode(out);
                req.write.encode(out);
                req.client.global_id.encode(out);
                req.client.nonce.encode(out);
                (req.op.ops.len() as u32).encode(out);
                req.op.ops.iter().for_each(|op| put_op(op, out));
                if !req.oid.key.is_empty() {
                    req.oid.key.encode(out);
                }
            }
            Record::Pool(PoolRequest::CreateSnap { pool }) => {
                2u8.encode(out);
                pool.encode(out);
            }
            Record::Pool(PoolRequest::RemoveSnap { pool, snap }) => {
                3u8.encode(out);
                pool.encode(out);
                snap.encode(out);
            }
            Record::Pool(PoolRequest::Lookup { name }) => {
                4u8.encode(out);
                name.encode(out);
            }
            Record::Pool(PoolRequest::Name { pool }) => {
                5u8.encode(out);
                pool.encode(out);
            }
            Record::CreatePool(name) => {
                6u8.encode(out);
                name.encode(out);
            }
            Record::Pool(PoolRequest::LatestMap) => 7u8.encode(out),
            Record::Pool(PoolRequest::Application { pool, change }) => {
                8u8.encode(out);
                pool.encode(out);
                put_app_change(change, out);
            }
            // Never logged: the store refuses them (it has no monitor), and
            // an unknown tag fails to replay rather than replaying wrong.
            Record::Pool(
                PoolRequest::CreatePool { .. }
                | PoolRequest::DeletePool { .. }
                | PoolRequest::MonCommand { .. }
                | PoolRequest::OsdCommand { .. }
                | PoolRequest::MonTell { .. }
                | PoolRequest::PingMonitor { .. }
                | PoolRequest::CreatePoolSnap { .. }
                | PoolRequest::RemovePoolSnap { .. }
                | PoolRequest::PoolSnaps { .. }
                | PoolRequest::ClusterStat
                | PoolRequest::PoolList
                | PoolRequest::WatchCheck { .. }
                | PoolRequest::PoolStat { .. }
                | PoolRequest::BaseTier { .. }
                | PoolRequest::Alignment { .. }
                | PoolRequest::Applications { .. }
                | PoolRequest::PgOf { .. },
            ) => 0xffu8.encode(out),
        }
    }
}

impl Decode for Record {
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Ok(match d.u8()? {
            tag @ (1 | 9) => {
                let mut oid = ObjectId::new(d.i64()?, d.string()?, d.string()?);
                let snap_id = SnapId(d.u64()?);
                let snapc: SnapContext = d.decode()?;
                let mtime: UtcTime = d.decode()?;
                let write = d.bool()?;
                let client = ClientId { global_id: d.u64()?, nonce: d.u32()? };
                let count = d.count(6)?;
                let mut op = ObjectOperation::new();
                for _ in 0..count {
                    op.ops.push(get_op(d)?);
                }
                if tag == 9 {
                    oid.key = d.string()?;
                }
                // The embedded store is never full: FULL_TRY is not kept.
                Record::Object(ObjectRequest { oid, op, snap_id, snapc, mtime, write, client, full_try: false })
            }
            2 => Record::Pool(PoolRequest::CreateSnap { pool: d.i64()? }),
            3 => Record::Pool(PoolRequest::RemoveSnap { pool: d.i64()?, snap: d.u64()? }),
            4 => Record::Pool(PoolRequest::Lookup { name: d.string()? }),
            5 => Record::Pool(PoolRequest::Name { pool: d.i64()? }),
            6 => Record::CreatePool(d.string()?),
            7 => Record::Pool(PoolRequest::LatestMap),
            8 => Record::Pool(PoolRequest::Application { pool: d.i64()?, change: get_app_change(d)? }),
            _ => return Err(DecodeError::Invalid("record type")),
        })
    }
}

fn put_app_change(change: &AppChange, out: &mut Vec<u8>) {
    match change {
        AppChange::Enable { app, force } => {
            0u8.encode(out);
            app.encode(out);
            force.encode(out);
        }
        AppChange::Set { app, key, value } => {
            1u8.encode(out);
            app.encode(out);
            key.encode(out);
            value.encode(out);
        }
        AppChange::Remove { app, key } => {
            2u8.encode(out);
            app.encode(out);
            key.encode(out);
        }
    }
}

fn get_app_change(d: &mut Decoder<'_>) -> Result<AppChange, DecodeError> {
    Ok(match d.u8()? {
        0 => AppChange::Enable { app: d.string()?, force: d.bool()? },
        1 => AppChange::Set { app: d.string()?, key: d.string()?, value: d.string()? },
        2 => AppChange::Remove { app: d.string()?, key: d.string()? },
        _ => return Err(DecodeError::Invalid("application change")),
    })
}
