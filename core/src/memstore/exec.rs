//! Executes single ops against a [`MethodContext`] with an OSD's semantics
//! (PrimaryLogPG::do_osd_ops): absent objects, size limits, omap paging,
//! compare-extent results.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::class::ClassRegistry;
use super::context::{check_extent, MethodContext};
use crate::encoding::encode_to_vec;
use crate::osd::checksum;
use crate::osd::{OmapKeysOut, OmapValsOut, OpFlags, OpKind, OsdOp, SnapId, SparseReadOut};
use crate::Errno;

/// Runs one op; its output on success.
pub fn execute(ctx: &mut MethodContext<'_>, op: &OsdOp, classes: &ClassRegistry) -> Result<Bytes, Errno> {
    let none = || Ok(Bytes::new());
    match &op.kind {
        OpKind::Read { offset, length } => {
            let state = ctx.existing()?;
            let length = if *length == 0 { u64::MAX } else { *length };
            Ok(state.data.read(*offset, length).into())
        }
        OpKind::SparseRead { offset, length } => {
            let data = &ctx.existing()?.data;
            let length = if *length == 0 { u64::MAX } else { *length };
            let extents: BTreeMap<u64, u64> = data.extents(*offset, length).into_iter().collect();
            let mut bytes = Vec::with_capacity(extents.values().sum::<u64>() as usize);
            for (&off, &len) in &extents {
                bytes.extend_from_slice(&data.read(off, len));
            }
            Ok(encode_to_vec(&SparseReadOut { extents, data: bytes.into() }).into())
        }
        OpKind::Stat => Ok(encode_to_vec(&ctx.stat()?).into()),
        OpKind::AssertExists => ctx.existing().and_then(|_| none()),
        OpKind::AssertVersion { version } => {
            let current = ctx.version();
            match *version {
                0 => Err(Errno::EINVAL),
                v if v < current => Err(Errno::ERANGE),
                v if v > current => Err(Errno::EOVERFLOW),
                _ => none(),
            }
        }
        OpKind::CmpExt { offset, data } => {
            // An absent object compares as zeros (do_extent_cmp).
            let current = match ctx.state() {
                Some(state) => state.data.read(*offset, data.len() as u64),
                None => Vec::new(),
            };
            let mismatch = data.iter().enumerate().find(|&(i, &b)| current.get(i).copied().unwrap_or(0) != b);
            match mismatch {
                // -MAX_ERRNO - offset, as librados reports a mismatch.
                Some((i, _)) => Err(Errno(Errno::MAX_ERRNO.saturating_add(i32::try_from(i).unwrap_or(i32::MAX)))),
                None => none(),
            }
        }
        OpKind::Write { offset, data } => ctx.write(*offset, data).and_then(|_| none()),
        OpKind::WriteFull { data } => ctx.write_full(data).and_then(|_| none()),
        OpKind::WriteSame { offset, length, data } => {
            if data.is_empty() || length % data.len() as u64 != 0 {
                return Err(Errno::EINVAL);
            }
            check_extent(*offset, *length)?;
            let pattern: Vec<u8> = data.iter().copied().cycle().take(*length as usize).collect();
            ctx.write(*offset, &pattern).and_then(|_| none())
        }
        OpKind::Zero { offset, length } => {
            check_extent(*offset, *length)?;
            // Zeroing an absent object is a no-op, and never extends one.
            if ctx.exists() && *length > 0 {
                ctx.state_mut()?.data.zero(*offset, *length);
            }
            none()
        }
        OpKind::Truncate { size } => {
            check_extent(*size, 0)?;
            if ctx.exists() {
                ctx.state_mut()?.data.truncate(*size);
            }
            none()
        }
        OpKind::Remove => ctx.remove().and_then(|_| none()),
        OpKind::Create => ctx.create(op.flags.contains(OpFlags::EXCL)).and_then(|_| none()),
        // As on an OSD, a hint creates the object it names.
        OpKind::SetAllocHint { .. } => ctx.create(false).and_then(|_| none()),
        OpKind::Rollback { snap } => rollback(ctx, *snap).and_then(|_| none()),
        OpKind::GetXattr { name } => ctx.getxattr(name),
        OpKind::GetXattrs => Ok(encode_to_vec(&ctx.getxattrs()?).into()),
        OpKind::CmpXattr { name, op, mode, value } => {
            let stored = ctx.existing()?.xattrs.get(name).cloned().unwrap_or_default();
            checksum::cmpxattr(*op, *mode, value, &stored).and_then(|_| none())
        }
        OpKind::Checksum { kind, offset, length, chunk_size, init } => {
            let state = ctx.existing()?;
            let Some((off, len)) = checksum::checksum_range(state.data.len(), *offset, *length, *chunk_size)? else {
                return none();
            };
            let data = state.data.read(off, len);
            Ok(checksum::checksum(*kind, init, *chunk_size, &data)?.into())
        }
        // The store's pools are no cache tiers (the OSD's answer then).
        OpKind::CachePin { .. } => Err(Errno::EINVAL),
        OpKind::SetXattr { name, value } => ctx.setxattr(name, value.clone()).and_then(|_| none()),
        OpKind::RmXattr { name } => ctx.rmxattr(name).and_then(|_| none()),
        OpKind::OmapGetKeys { start_after, max_return } => {
            let (keys, more) = ctx.map_get_keys(start_after, *max_return)?;
            Ok(encode_to_vec(&OmapKeysOut { keys: keys.into_iter().collect(), more }).into())
        }
        OpKind::OmapGetVals { start_after, filter_prefix, max_return } => {
            let (vals, more) = ctx.map_get_vals(start_after, filter_prefix, *max_return)?;
            Ok(encode_to_vec(&OmapValsOut { vals, more }).into())
        }
        OpKind::OmapGetValsByKeys { keys } => {
            let omap = &ctx.existing()?.omap;
            let found: BTreeMap<_, _> =
                keys.iter().filter_map(|k| omap.get_key_value(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
            Ok(encode_to_vec(&found).into())
        }
        OpKind::OmapGetHeader => ctx.map_read_header(),
        OpKind::OmapSetVals { entries } => ctx.map_set_vals(entries).and_then(|_| none()),
        OpKind::OmapSetHeader { header } => ctx.map_write_header(header.clone()).and_then(|_| none()),
        OpKind::OmapRmKeys { keys } => {
            ctx.existing()?;
            let omap = &mut ctx.state_mut()?.omap;
            keys.iter().for_each(|k| {
                omap.remove(k);
            });
            none()
        }
        OpKind::OmapClear => ctx.map_clear().and_then(|_| none()),
        OpKind::OmapRmKeyRange { start, end } => {
            ctx.existing()?;
            let omap = &mut ctx.state_mut()?.omap;
            if start < end {
                omap.retain(|k, _| k < start || k >= end);
            }
            none()
        }
        OpKind::OmapCmp { assertions } => omap_cmp(&ctx.existing()?.omap, assertions).and_then(|_| none()),
        OpKind::Call { class, method, input } => {
            let (_, handler) = classes.get(class, method)?;
            handler(ctx, input).map(Bytes::from)
        }
        OpKind::Watch { .. }
        | OpKind::Notify { .. }
        | OpKind::NotifyAck { .. }
        | OpKind::ListWatchers
        | OpKind::PgNls { .. } => {
            // Watches live on the object, outside the head's versions, and
            // pg ops on no object: MemStore handles them before here.
            Err(Errno::EOPNOTSUPP)
        }
    }
}

/// CEPH_OSD_OP_OMAP_CMP: values compare as byte strings.
fn omap_cmp(omap: &BTreeMap<String, Bytes>, assertions: &BTreeMap<String, (Bytes, i32)>) -> Result<(), Errno> {
    const EQ: i32 = 1;
    const GT: i32 = 3;
    const LT: i32 = 5;
    for (key, (value, mode)) in assertions {
        let current: &[u8] = omap.get(key).map_or(&[], |v| v);
        let holds = match *mode {
            EQ => current == &value[..],
            GT => current > &value[..],
            LT => current < &value[..],
            _ => return Err(Errno::EINVAL),
        };
        if !holds {
            return Err(Errno::ECANCELED);
        }
    }
    Ok(())
}

/// Self-managed rollback (_rollback_to): the head becomes the version a
/// read at `snap` sees; if the object did not exist then, the head goes.
fn rollback(ctx: &mut MethodContext<'_>, snap: u64) -> Result<(), Errno> {
    let object = ctx.object();
    if snap > object.snap_seq {
        return Ok(()); // the head is still that version
    }
    let target = object.at_snap(SnapId(snap)).cloned();
    match target {
        Some(state) => ctx.set_head(Some(state)),
        None if ctx.exists() => ctx.set_head(None),
        None => Ok(()),
    }
}
