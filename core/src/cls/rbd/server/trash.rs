//! `rbd_trash` (omap "id_<id>" -> TrashImageSpec) and `rbd_namespace`
//! (omap "name_<name>" -> empty), as cls_rbd's trash_* and namespace_*.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::directory::is_valid_id;
use super::{decode_stored, output, read_key, write_key, Args, Ctx, Result, RBD_MAX_KEYS_READ};
use crate::cls::rbd::types::TrashImageSpec;
use crate::Errno;

const TRASH_IMAGE_KEY_PREFIX: &str = "id_";
const NAMESPACE_NAME_KEY_PREFIX: &str = "name_";

fn trash_key(id: &str) -> String {
    [TRASH_IMAGE_KEY_PREFIX, id].concat()
}

fn namespace_key(name: &str) -> String {
    [NAMESPACE_NAME_KEY_PREFIX, name].concat()
}

/// Input: id string, TrashImageSpec. Creates the trash object; an id
/// already there is -EEXIST.
pub(super) fn trash_add(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    ctx.create(false)?;
    let mut args = Args::new(input);
    let id = args.string()?;
    let spec: TrashImageSpec = args.get()?;
    if !is_valid_id(&id) {
        return Err(Errno::EINVAL);
    }
    let key = trash_key(&id);
    match read_key::<TrashImageSpec>(ctx, &key) {
        Err(Errno::ENOENT) => {}
        Ok(_) => return Err(Errno::EEXIST),
        Err(e) => return Err(e),
    }
    write_key(ctx, &key, &spec)?;
    Ok(Vec::new())
}

/// Input: id string; -ENOENT if the id is not in the trash.
pub(super) fn trash_remove(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let id = Args::new(input).string()?;
    let key = trash_key(&id);
    ctx.map_get_val(&key)?;
    ctx.map_remove_key(&key)?;
    Ok(Vec::new())
}

/// Pages of at most RBD_MAX_KEYS_READ keys after `start`, within `prefix`,
/// until `max_return` entries or the end (trash_list / namespace_list).
fn list_keys(ctx: Ctx<'_, '_>, start: String, prefix: &str, max_return: u64) -> Result<BTreeMap<String, Bytes>> {
    let mut out = BTreeMap::new();
    let mut last_read = start;
    while (out.len() as u64) < max_return {
        // Upstream narrows to int32_t; a huge max_return reads nothing.
        let want = (max_return - out.len() as u64).min(RBD_MAX_KEYS_READ) as i32;
        let (vals, more) = ctx.map_get_vals(&last_read, prefix, want.max(0) as u64)?;
        let Some(last) = vals.keys().next_back().cloned() else { break };
        out.extend(vals);
        if !more {
            break;
        }
        last_read = last;
    }
    Ok(out)
}

/// Input: start_after string, max_return u64. Output: map<string,
/// TrashImageSpec> by image id.
pub(super) fn trash_list(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let start_after = args.string()?;
    let max_return = args.u64()?;
    let raw = list_keys(ctx, trash_key(&start_after), TRASH_IMAGE_KEY_PREFIX, max_return)?;
    let mut entries = BTreeMap::new();
    for (key, value) in raw {
        let spec: TrashImageSpec = decode_stored(&value)?;
        entries.insert(String::from(&key[TRASH_IMAGE_KEY_PREFIX.len()..]), spec);
    }
    output(&entries)
}

/// Input: id string. Output: the stored TrashImageSpec, as stored.
pub(super) fn trash_get(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let id = Args::new(input).string()?;
    Ok(ctx.map_get_val(&trash_key(&id))?.to_vec())
}

/// Input: id string, state u8, expected state u8. Sets the state when it
/// is the expected one; fine when it is the target already; -ESTALE else.
pub(super) fn trash_state_set(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let id = args.string()?;
    let state: u8 = args.get()?;
    let expect: u8 = args.get()?;
    let key = trash_key(&id);
    let mut spec: TrashImageSpec = read_key(ctx, &key)?;
    if spec.state == expect {
        spec.state = state;
        write_key(ctx, &key, &spec)?;
    } else if spec.state != state {
        return Err(Errno::ESTALE);
    }
    Ok(Vec::new())
}

/// Input: name string; -EEXIST if present. The value is empty.
pub(super) fn namespace_add(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let name = Args::new(input).string()?;
    let key = namespace_key(&name);
    match ctx.map_get_val(&key) {
        Err(Errno::ENOENT) => {}
        Ok(_) => return Err(Errno::EEXIST),
        Err(e) => return Err(e),
    }
    ctx.map_set_val(&key, Bytes::new())?;
    Ok(Vec::new())
}

/// Input: name string; -ENOENT if absent.
pub(super) fn namespace_remove(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let name = Args::new(input).string()?;
    let key = namespace_key(&name);
    ctx.map_get_val(&key)?;
    ctx.map_remove_key(&key)?;
    Ok(Vec::new())
}

/// Input: start_after string, max_return u64. Output: list<string>.
pub(super) fn namespace_list(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let mut args = Args::new(input);
    let start_after = args.string()?;
    let max_return = args.u64()?;
    let raw = list_keys(ctx, namespace_key(&start_after), NAMESPACE_NAME_KEY_PREFIX, max_return)?;
    let names: Vec<String> = raw.into_keys().map(|k| String::from(&k[NAMESPACE_NAME_KEY_PREFIX.len()..])).collect();
    output(&names)
}

const DIRECTORY_STATE_READY: u8 = 0;
const DIRECTORY_STATE_ADD_DISABLED: u8 = 1;

/// On rbd_directory. Input: DirectoryState u8. -ENOENT unless the stored
/// "state" is the one given.
pub(super) fn dir_state_assert(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let state: u8 = Args::new(input).get()?;
    if read_key::<u8>(ctx, "state")? != state {
        return Err(Errno::ENOENT);
    }
    Ok(Vec::new())
}

/// On rbd_directory. Input: DirectoryState u8. ADD_DISABLED needs an
/// existing directory without images (-EBUSY otherwise); READY creates it.
pub(super) fn dir_state_set(ctx: Ctx<'_, '_>, input: &[u8]) -> Result<Vec<u8>> {
    let state: u8 = Args::new(input).get()?;
    let exists = match ctx.stat() {
        Ok(_) => true,
        Err(Errno::ENOENT) => false,
        Err(e) => return Err(e),
    };
    match state {
        DIRECTORY_STATE_READY => {}
        DIRECTORY_STATE_ADD_DISABLED => {
            if !exists {
                return Err(Errno::ENOENT);
            }
            let (vals, _) = ctx.map_get_vals("name_", "name_", 1)?;
            if !vals.is_empty() {
                return Err(Errno::EBUSY);
            }
        }
        _ => return Err(Errno::EINVAL),
    }
    write_key(ctx, "state", &state)?;
    Ok(Vec::new())
}
