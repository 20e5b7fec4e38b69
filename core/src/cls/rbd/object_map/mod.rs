//! cls_rbd's methods on `rbd_object_map.<id>[.<snap>]` objects, whose data
//! is an encoded [`BitVector2`] with CRCs (src/cls/rbd/cls_rbd.cc), and
//! their client side (src/cls/rbd/cls_rbd_client.cc).
//!
//! Writes to the HEAD map go out behind the map's cls_lock guard; see
//! [`crate::object_map`] for the librbd side.

use alloc::vec::Vec;

use bytes::Bytes;

use crate::cls::lock::{self as cls_lock, ClsLockType, RBD_LOCK_NAME};
use crate::encoding::{encode_to_vec, DecodeError, Decoder, Encode, UtcTime};
use crate::memstore::{ClassRegistry, MethodContext, MethodFlags};
use crate::object_map::{
    block_crcs, data_crc_offset, data_len, decode_header, resize_states, snapshot_add_states, snapshot_remove_states,
    update_states, BitVector2, BLOCK_SIZE, HEADER_LEN, MAX_OBJECT_MAP_OBJECT_COUNT,
};
use crate::osd::ObjectOperation;
use crate::Errno;

const CLASS: &str = "rbd";

// -- client --

/// Reads the whole map; librbd's RefreshRequest and snapshot code use it.
pub fn object_map_load(op: &mut ObjectOperation) {
    op.call(CLASS, "object_map_load", Bytes::new());
}

/// The map, sent without CRCs. Bytes after it are ignored, as upstream.
pub fn object_map_load_finish(out: &[u8]) -> Result<BitVector2, DecodeError> {
    Decoder::new(out).decode()
}

/// Replaces the map; sent without CRCs, stored with them.
pub fn object_map_save(op: &mut ObjectOperation, map: &BitVector2) {
    op.call(CLASS, "object_map_save", without_crcs(map));
}

/// Sets the map's length; new entries take `default_state`. Shrinking
/// fails with -ESTALE while a dropped entry differs from `default_state`.
pub fn object_map_resize(op: &mut ObjectOperation, object_count: u64, default_state: u8) {
    let mut input = Vec::with_capacity(9);
    object_count.encode(&mut input);
    default_state.encode(&mut input);
    op.call(CLASS, "object_map_resize", input.into());
}

/// Sets `[start, end)` to `new_state`, only where the state is
/// `current_state` when one is given (EXISTS also matches EXISTS_CLEAN).
pub fn object_map_update(op: &mut ObjectOperation, start: u64, end: u64, new_state: u8, current_state: Option<u8>) {
    let mut input = Vec::with_capacity(19);
    start.encode(&mut input);
    end.encode(&mut input);
    new_state.encode(&mut input);
    current_state.encode(&mut input);
    op.call(CLASS, "object_map_update", input.into());
}

/// Marks every EXISTS entry EXISTS_CLEAN once a snapshot has copied the map.
pub fn object_map_snap_add(op: &mut ObjectOperation) {
    op.call(CLASS, "object_map_snap_add", Bytes::new());
}

/// Folds a removed snapshot's map (sent without CRCs) into the next one.
pub fn object_map_snap_remove(op: &mut ObjectOperation, removed: &BitVector2) {
    op.call(CLASS, "object_map_snap_remove", without_crcs(removed));
}

fn without_crcs(map: &BitVector2) -> Bytes {
    let mut out = Vec::with_capacity(map.data().len() + HEADER_LEN as usize + 4);
    map.encode_with_crcs(&mut out, false);
    out.into()
}

// -- server --

/// Registers the methods with cls_rbd's flags under class "rbd".
pub fn register(reg: &mut ClassRegistry) {
    reg.register(CLASS, "object_map_load", MethodFlags::RD, load);
    reg.register(CLASS, "object_map_save", MethodFlags::RDWR, save);
    reg.register(CLASS, "object_map_resize", MethodFlags::RDWR, resize);
    reg.register(CLASS, "object_map_update", MethodFlags::RDWR, update);
    reg.register(CLASS, "object_map_snap_add", MethodFlags::RDWR, snap_add);
    reg.register(CLASS, "object_map_snap_remove", MethodFlags::RDWR, snap_remove);
}

/// Inputs decode as upstream's: trailing bytes ignored, errors -EINVAL.
fn decode_input<'a, T>(
    input: &'a [u8],
    fields: impl FnOnce(&mut Decoder<'a>) -> Result<T, DecodeError>,
) -> Result<T, Errno> {
    fields(&mut Decoder::new(input)).map_err(|_| Errno::EINVAL)
}

/// object_map_read: -ENOENT for a missing or empty object, -EINVAL when
/// the stored map does not decode (CRC mismatch included).
fn read_map(ctx: &MethodContext<'_>) -> Result<BitVector2, Errno> {
    let size = ctx.stat()?.size;
    if size == 0 {
        return Err(Errno::ENOENT);
    }
    let raw = ctx.read(0, size)?;
    Decoder::new(&raw).decode().map_err(|_| Errno::EINVAL)
}

fn write_map(ctx: &mut MethodContext<'_>, map: &BitVector2) -> Result<Vec<u8>, Errno> {
    ctx.write_full(&encode_to_vec(map))?;
    Ok(Vec::new())
}

fn load(ctx: &mut MethodContext<'_>, _input: &[u8]) -> Result<Vec<u8>, Errno> {
    let map = read_map(ctx)?;
    let mut out = Vec::with_capacity(map.data().len() + HEADER_LEN as usize + 4);
    map.encode_with_crcs(&mut out, false);
    Ok(out)
}

fn save(ctx: &mut MethodContext<'_>, input: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut map: BitVector2 = decode_input(input, Decoder::decode)?;
    map.set_crc_enabled(true);
    write_map(ctx, &map)
}

fn resize(ctx: &mut MethodContext<'_>, input: &[u8]) -> Result<Vec<u8>, Errno> {
    let (object_count, default_state) = decode_input(input, |d| Ok((d.u64()?, d.u8()?)))?;
    // Bounds the memory a request can make the OSD allocate.
    if object_count > MAX_OBJECT_MAP_OBJECT_COUNT {
        return Err(Errno::EINVAL);
    }
    let mut map = match read_map(ctx) {
        Err(Errno::ENOENT) => BitVector2::new(),
        other => other?,
    };
    // Shrinking must not forget an object that may still exist.
    if (object_count..map.len()).any(|i| map.get(i) != Some(default_state)) {
        return Err(Errno::ESTALE);
    }
    resize_states(&mut map, object_count, default_state);
    write_map(ctx, &map)
}

/// object_map_update, touching only the blocks in range and their CRCs as
/// upstream does. Like upstream, the header CRC is not checked here, and
/// only the touched blocks' CRCs are.
fn update(ctx: &mut MethodContext<'_>, input: &[u8]) -> Result<Vec<u8>, Errno> {
    let (start, end, new_state, current_state) =
        decode_input(input, |d| Ok((d.u64()?, d.u64()?, d.u8()?, d.decode::<Option<u8>>()?)))?;
    ctx.stat()?;
    let header = ctx.read(0, HEADER_LEN)?;
    let (size, _header_crc) = decode_header(&mut Decoder::new(&header)).map_err(|_| Errno::EINVAL)?;
    if start >= end || end > size {
        return Err(Errno::ERANGE);
    }
    // Whole CRC blocks from the one holding `start` to the one holding `end - 1`.
    let first_block = start / 4 / BLOCK_SIZE;
    let last_block = (end - 1) / 4 / BLOCK_SIZE;
    let data_start = first_block * BLOCK_SIZE;
    let data_end = ((last_block + 1) * BLOCK_SIZE).min(data_len(size));
    let blocks = last_block - first_block + 1;
    let data = ctx.read(HEADER_LEN + data_start, data_end - data_start)?;
    let crcs = ctx.read(data_crc_offset(size, first_block), 4 * blocks)?;
    // A short read leaves upstream comparing against uninitialised CRCs
    // or data; either way the map is corrupt.
    if data.len() as u64 != data_end - data_start || crcs.len() as u64 != 4 * blocks {
        return Err(Errno::EINVAL);
    }
    let stored = crcs.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    if !stored.eq(block_crcs(&data)) {
        return Err(Errno::EINVAL);
    }
    // The blocks read, as a vector of their own starting at element `base`.
    let base = data_start * 4;
    let window_size = (size - base).min(data.len() as u64 * 4);
    let mut window = BitVector2::from_raw(window_size, data).ok_or(Errno::EINVAL)?;
    if !update_states(&mut window, start - base, end - base, new_state, current_state) {
        return Ok(Vec::new());
    }
    let data = window.into_data();
    let mut footer = Vec::with_capacity(4 * blocks as usize);
    block_crcs(&data).for_each(|crc| crc.encode(&mut footer));
    ctx.write(HEADER_LEN + data_start, &data)?;
    ctx.write(data_crc_offset(size, first_block), &footer)?;
    Ok(Vec::new())
}

fn snap_add(ctx: &mut MethodContext<'_>, _input: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut map = read_map(ctx)?;
    if !snapshot_add_states(&mut map) {
        return Ok(Vec::new());
    }
    write_map(ctx, &map)
}

fn snap_remove(ctx: &mut MethodContext<'_>, input: &[u8]) -> Result<Vec<u8>, Errno> {
    let removed: BitVector2 = decode_input(input, Decoder::decode)?;
    let mut map = read_map(ctx)?;
    if !snapshot_remove_states(&mut map, &removed) {
        return Ok(Vec::new());
    }
    write_map(ctx, &map)
}

// ---- the map object's lock, as librbd's object_map requests take it ----

/// Adds the HEAD map update as UpdateRequest sends it: guarded by the
/// map's lock, then cls_rbd's object_map_update.
pub fn update_head(op: &mut ObjectOperation, start: u64, end: u64, new: u8, current: Option<u8>) {
    assert_map_locked(op);
    object_map_update(op, start, end, new, current);
}

/// object_map::LockRequest: an exclusive cls_lock on the HEAD map object,
/// empty cookie and tag, no expiry. On -EBUSY librbd reads the holders
/// (get_info), breaks each, and tries once more.
pub fn lock_map(op: &mut ObjectOperation) {
    cls_lock::lock(op, RBD_LOCK_NAME, ClsLockType::EXCLUSIVE, "", "", "", UtcTime::default(), 0);
}

/// object_map::UnlockRequest; -ENOENT (not held) is fine.
pub fn unlock_map(op: &mut ObjectOperation) {
    cls_lock::unlock(op, RBD_LOCK_NAME, "");
}

/// The guard every write to the HEAD map carries.
pub fn assert_map_locked(op: &mut ObjectOperation) {
    cls_lock::assert_locked(op, RBD_LOCK_NAME, ClsLockType::EXCLUSIVE, "", "");
}

#[cfg(test)]
mod tests;
