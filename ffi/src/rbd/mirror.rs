//! Pool-level mirroring: mode, uuid, site name, peers and the image
//! status lists. librbdrs reads the pool's real mirror mode (cls_rbd on
//! `rbd_mirroring`) and never enables mirroring: with mirroring disabled,
//! which is all the embedded store can be, every call answers what librbd
//! answers for such a pool (no peers, empty lists, -EINVAL to add a peer);
//! on a pool where another client enabled it, the peers are read too, and
//! what would need rbd-mirror's records or would change them is
//! -EOPNOTSUPP.

use crate::types::*;
use std::ffi::{c_char, c_int};

use rbdrs_client::proto::cls::rbd::feature_state::{
    MirrorPeer, MIRROR_MODE_DISABLED, MIRROR_MODE_IMAGE, MIRROR_MODE_POOL,
};
use rbdrs_client::proto::Errno;

use super::cstring::{dup, free_each, release};
use crate::boundary::{cstr, guard, put, put_cstr};
use crate::rados::{cluster, ioctx};

/// The mirror mode of the pool behind `p`.
pub(super) fn pool_mode(p: rados_ioctx_t) -> Result<u32, Errno> {
    // SAFETY: the exports' contract: NULL or a live rados_ioctx_t.
    unsafe { ioctx(p) }?.io.mirror_mode()
}

/// Peers, statuses and instances exist only while mirroring is enabled:
/// with it disabled the answer is "none"; otherwise librbdrs cannot read
/// rbd-mirror's records.
fn none_unless_enabled(p: rados_ioctx_t) -> Result<(), Errno> {
    match pool_mode(p)? {
        MIRROR_MODE_DISABLED => Ok(()),
        _ => Err(Errno::EOPNOTSUPP),
    }
}

/// The pool's peers, read from `rbd_mirroring`.
fn peers(p: rados_ioctx_t) -> Result<Vec<MirrorPeer>, Errno> {
    // SAFETY: the exports' contract: NULL or a live rados_ioctx_t.
    unsafe { ioctx(p) }?.io.mirror_peers()
}

/// A change to peer `uuid`: -ENOENT for no such peer; librbdrs changes
/// none (-EOPNOTSUPP).
///
/// # Safety
/// `uuid` NULL or a C string.
unsafe fn peer_change(p: rados_ioctx_t, uuid: *const c_char, args_ok: bool) -> Result<i32, Errno> {
    // SAFETY: forwarded contract.
    let uuid = unsafe { cstr(uuid) }?;
    if !args_ok {
        return Err(Errno::EINVAL);
    }
    match peers(p)?.iter().any(|peer| peer.uuid == uuid) {
        true => Err(Errno::EOPNOTSUPP),
        false => Err(Errno::ENOENT),
    }
}

/// Fills `out` (room for `*max` entries) with one entry per peer; -ERANGE
/// with `*max` set when short, as librbd.
///
/// # Safety
/// `max` NULL or writable; `out` valid for `*max` entries.
unsafe fn list_peers<T>(
    p: rados_ioctx_t,
    out: *mut T,
    max: *mut c_int,
    entry: impl Fn(&MirrorPeer) -> Result<T, Errno>,
) -> Result<i32, Errno> {
    if max.is_null() {
        return Err(Errno::EINVAL);
    }
    let list = peers(p)?;
    let count = c_int::try_from(list.len()).map_err(|_| Errno::ERANGE)?;
    // SAFETY: checked non-NULL.
    if unsafe { *max } < count || (count > 0 && out.is_null()) {
        // SAFETY: as above.
        unsafe { *max = count };
        return Err(Errno::ERANGE);
    }
    for (i, peer) in list.iter().enumerate() {
        // SAFETY: out holds *max >= count entries.
        unsafe { out.add(i).write(entry(peer)?) };
    }
    // SAFETY: as above.
    unsafe { *max = count };
    Ok(0)
}

/// Sets `*len` to 0 for an empty list.
///
/// # Safety
/// `len` NULL or writable.
unsafe fn empty_list<T: Default>(p: rados_ioctx_t, len: *mut T) -> Result<i32, Errno> {
    if len.is_null() {
        return Err(Errno::EINVAL);
    }
    none_unless_enabled(p)?;
    // SAFETY: checked non-NULL, writable by contract.
    unsafe { put(len, T::default()) }?;
    Ok(0)
}

/// # Safety
/// `io_ctx` from rados_ioctx_create; `mirror_mode` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_mode_get(io_ctx: rados_ioctx_t, mirror_mode: *mut rbd_mirror_mode_t) -> c_int {
    guard(|| {
        let mode = pool_mode(io_ctx)?;
        // SAFETY: checked out-pointer.
        unsafe { put(mirror_mode, mode as rbd_mirror_mode_t) }?;
        Ok(0)
    })
}

/// Disabling an already disabled pool (or setting the mode it has) is 0;
/// librbdrs does not change a pool's mirroring: -EOPNOTSUPP.
///
/// # Safety
/// `io_ctx` from rados_ioctx_create.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_mode_set(io_ctx: rados_ioctx_t, mirror_mode: rbd_mirror_mode_t) -> c_int {
    guard(|| {
        let want = match mirror_mode {
            RBD_MIRROR_MODE_DISABLED => MIRROR_MODE_DISABLED,
            RBD_MIRROR_MODE_IMAGE => MIRROR_MODE_IMAGE,
            RBD_MIRROR_MODE_POOL => MIRROR_MODE_POOL,
            _ => return Err(Errno::EINVAL),
        };
        match pool_mode(io_ctx)? == want {
            true => Ok(0),
            false => Err(Errno::EOPNOTSUPP),
        }
    })
}

/// The pool's mirror uuid; -ENOENT while mirroring never set one.
///
/// # Safety
/// `io_ctx` live; `max_len` writable; `uuid` valid for `*max_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_uuid_get(io_ctx: rados_ioctx_t, uuid: *mut c_char, max_len: *mut usize) -> c_int {
    guard(|| {
        // SAFETY: the export's contract.
        let text = unsafe { ioctx(io_ctx) }?.io.mirror_uuid()?;
        // SAFETY: as above.
        unsafe { copy_out(uuid, max_len, &text) }
    })
}

/// Copies `text` into a caller buffer whose size is `*max_len`, which is
/// set to what it needs (-ERANGE when short).
///
/// # Safety
/// `max_len` NULL or writable; `buf` valid for `*max_len` bytes.
unsafe fn copy_out(buf: *mut c_char, max_len: *mut usize, text: &str) -> Result<i32, Errno> {
    if max_len.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: checked non-NULL; buf valid for that many bytes.
    unsafe { put_cstr(buf, *max_len, text, max_len) }?;
    Ok(0)
}

/// A monitor command's negative result as an Errno.
fn mon_errno(r: i32) -> Errno {
    Errno::from_ret(r).err().unwrap_or(Errno::EIO)
}

const SITE_NAME_KEY: &str = "rbd/mirror/site_name";

/// The site name set with rbd_mirror_site_name_set (a monitor config-key),
/// else the cluster's fsid, as librbd; the embedded store has no
/// config-keys, so its fsid.
///
/// # Safety
/// `cluster` connected; `max_len` writable; `name` valid for `*max_len`.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_site_name_get(cluster: rados_t, name: *mut c_char, max_len: *mut usize) -> c_int {
    guard(|| {
        // SAFETY: the export's contract.
        let rados = &unsafe { self::cluster(cluster) }?.rados;
        let mut site = String::new();
        if rados.local_store().is_err() {
            let cmd = format!(r#"{{"prefix": "config-key get", "key": "{SITE_NAME_KEY}"}}"#);
            let out = rados.mon_command(&[cmd], &[])?;
            match out.result {
                0 => site = String::from_utf8_lossy(&out.output).into_owned(),
                -22 => return Err(Errno::EOPNOTSUPP),
                r if r == Errno::ENOENT.to_ret() => {}
                r => return Err(mon_errno(r)),
            }
        }
        if site.is_empty() {
            site = rados.cluster_fsid()?;
        }
        // SAFETY: as above.
        unsafe { copy_out(name, max_len, &site) }
    })
}

/// Stores the site name (trimmed; empty removes it) in the monitor's
/// config-keys, as librbd. The embedded store has none: -EOPNOTSUPP.
///
/// # Safety
/// `cluster` connected; `name` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_site_name_set(cluster: rados_t, name: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: the export's contract.
        let (rados, name) = unsafe { (&self::cluster(cluster)?.rados, cstr(name)?) };
        if rados.local_store().is_ok() {
            return Err(Errno::EOPNOTSUPP);
        }
        let name = name.trim();
        if name.contains(['"', '\\']) {
            return Err(Errno::EINVAL);
        }
        let cmd = match name {
            "" => format!(r#"{{"prefix": "config-key rm", "key": "{SITE_NAME_KEY}"}}"#),
            _ => format!(r#"{{"prefix": "config-key set", "key": "{SITE_NAME_KEY}", "val": "{name}"}}"#),
        };
        match rados.mon_command(&[cmd], &[])?.result {
            r if r >= 0 || r == Errno::ENOENT.to_ret() => Ok(0),
            -22 => Err(Errno::EOPNOTSUPP),
            r => Err(mon_errno(r)),
        }
    })
}

/// -EINVAL while mirroring is disabled, as librbd; librbdrs does not
/// create the bootstrap user otherwise (-EOPNOTSUPP).
///
/// # Safety
/// `io_ctx` live; `max_len` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_bootstrap_create(
    io_ctx: rados_ioctx_t,
    token: *mut c_char,
    max_len: *mut usize,
) -> c_int {
    let _ = token;
    guard(|| {
        if max_len.is_null() {
            return Err(Errno::EINVAL);
        }
        none_unless_enabled(io_ctx)?;
        Err(Errno::EINVAL)
    })
}

/// A token librbd would refuse is -EINVAL (bad direction, not base64, not
/// JSON with fsid, client_id, key and mon_host); a good one would connect
/// to the peer cluster and add it: -EOPNOTSUPP.
///
/// # Safety
/// `io_ctx` live; `token` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_bootstrap_import(
    io_ctx: rados_ioctx_t,
    direction: rbd_mirror_peer_direction_t,
    token: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: the export's contract.
        let (_, token) = unsafe { (ioctx(io_ctx)?, cstr(token)?) };
        if !matches!(direction, RBD_MIRROR_PEER_DIRECTION_RX | RBD_MIRROR_PEER_DIRECTION_RX_TX) {
            return Err(Errno::EINVAL);
        }
        let json = super::token::decode_base64(token).ok_or(Errno::EINVAL)?;
        let json = String::from_utf8(json).map_err(|_| Errno::EINVAL)?;
        let json = json.trim();
        let fields = ["\"fsid\"", "\"client_id\"", "\"key\"", "\"mon_host\""];
        if !(json.starts_with('{') && json.ends_with('}') && fields.iter().all(|f| json.contains(f))) {
            return Err(Errno::EINVAL);
        }
        Err(Errno::EOPNOTSUPP)
    })
}

/// -E2BIG for a uuid buffer under 37 bytes, -EINVAL while mirroring is
/// disabled (as librbd); librbdrs adds no peers (-EOPNOTSUPP).
///
/// # Safety
/// `io_ctx` live; `uuid` valid for `uuid_max_length`; names C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_site_add(
    io_ctx: rados_ioctx_t,
    uuid: *mut c_char,
    uuid_max_length: usize,
    direction: rbd_mirror_peer_direction_t,
    site_name: *const c_char,
    client_name: *const c_char,
) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe { peer_add(io_ctx, uuid, uuid_max_length, direction, site_name, client_name) })
}

/// # Safety
/// As [`rbd_mirror_peer_site_add`].
unsafe fn peer_add(
    io_ctx: rados_ioctx_t,
    uuid: *mut c_char,
    uuid_max_length: usize,
    direction: rbd_mirror_peer_direction_t,
    site_name: *const c_char,
    client_name: *const c_char,
) -> Result<i32, Errno> {
    // SAFETY: the exports' contract.
    unsafe { (ioctx(io_ctx)?, cstr(site_name)?, cstr(client_name)?) };
    if uuid.is_null() {
        return Err(Errno::EINVAL);
    }
    if uuid_max_length < 37 {
        return Err(Errno::E2BIG);
    }
    if !(RBD_MIRROR_PEER_DIRECTION_RX..=RBD_MIRROR_PEER_DIRECTION_RX_TX).contains(&direction) {
        return Err(Errno::EINVAL);
    }
    none_unless_enabled(io_ctx)?;
    Err(Errno::EINVAL)
}

/// Deprecated form of rbd_mirror_peer_site_add (direction rx-tx).
///
/// # Safety
/// As [`rbd_mirror_peer_site_add`].
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_add(
    io_ctx: rados_ioctx_t,
    uuid: *mut c_char,
    uuid_max_length: usize,
    cluster_name: *const c_char,
    client_name: *const c_char,
) -> c_int {
    // SAFETY: forwarded contract.
    guard(|| unsafe {
        peer_add(io_ctx, uuid, uuid_max_length, RBD_MIRROR_PEER_DIRECTION_RX_TX, cluster_name, client_name)
    })
}

/// Removing a peer that does not exist is 0, as librbd.
///
/// # Safety
/// `io_ctx` live; `uuid` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_site_remove(io_ctx: rados_ioctx_t, uuid: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked C string.
        let uuid = unsafe { cstr(uuid) }?;
        match peers(io_ctx)?.iter().any(|peer| peer.uuid == uuid) {
            true => Err(Errno::EOPNOTSUPP),
            false => Ok(0),
        }
    })
}

/// # Safety
/// As [`rbd_mirror_peer_site_remove`].
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_remove(io_ctx: rados_ioctx_t, uuid: *const c_char) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rbd_mirror_peer_site_remove(io_ctx, uuid) }
}

/// # Safety
/// `io_ctx` live; `peers` valid for `*max_peers` entries.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_site_list(
    io_ctx: rados_ioctx_t,
    peers: *mut rbd_mirror_peer_site_t,
    max_peers: *mut c_int,
) -> c_int {
    // SAFETY: checked out-pointers.
    guard(|| unsafe {
        list_peers(io_ctx, peers, max_peers, |p| {
            Ok(rbd_mirror_peer_site_t {
                uuid: dup(&p.uuid)?,
                direction: rbd_mirror_peer_direction_t::from(p.direction),
                site_name: dup(&p.site_name)?,
                mirror_uuid: dup(&p.mirror_uuid)?,
                client_name: dup(&p.client_name)?,
                last_seen: time_t::from(p.last_seen.sec),
            })
        })
    })
}

/// # Safety
/// As [`rbd_mirror_peer_site_list`].
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_list(
    io_ctx: rados_ioctx_t,
    peers: *mut rbd_mirror_peer_t,
    max_peers: *mut c_int,
) -> c_int {
    // SAFETY: checked out-pointers.
    guard(|| unsafe {
        list_peers(io_ctx, peers, max_peers, |p| {
            Ok(rbd_mirror_peer_t {
                uuid: dup(&p.uuid)?,
                cluster_name: dup(&p.site_name)?,
                client_name: dup(&p.client_name)?,
            })
        })
    })
}

/// Frees the strings of `max_peers` entries (none come from librbdrs).
///
/// # Safety
/// `peers` NULL or valid for `max_peers` entries filled by librbd(rs).
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_site_list_cleanup(peers: *mut rbd_mirror_peer_site_t, max_peers: c_int) {
    guard(|| {
        // SAFETY: per the contract.
        unsafe {
            free_each(peers, usize::try_from(max_peers).unwrap_or(0), |p| {
                [&mut p.uuid, &mut p.site_name, &mut p.mirror_uuid, &mut p.client_name].into_iter().for_each(release);
            })
        };
        Ok(())
    })
}

/// # Safety
/// `peers` NULL or valid for `max_peers` entries filled by librbd(rs).
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_list_cleanup(peers: *mut rbd_mirror_peer_t, max_peers: c_int) {
    guard(|| {
        // SAFETY: per the contract.
        unsafe {
            free_each(peers, usize::try_from(max_peers).unwrap_or(0), |p| {
                [&mut p.uuid, &mut p.cluster_name, &mut p.client_name].into_iter().for_each(release);
            })
        };
        Ok(())
    })
}

/// # Safety
/// `io_ctx` live; `uuid` and `name` C strings.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_site_set_name(
    io_ctx: rados_ioctx_t,
    uuid: *const c_char,
    site_name: *const c_char,
) -> c_int {
    // SAFETY: checked C strings.
    guard(|| unsafe { peer_change(io_ctx, uuid, cstr(site_name).is_ok()) })
}

/// # Safety
/// As [`rbd_mirror_peer_site_set_name`].
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_site_set_client_name(
    io_ctx: rados_ioctx_t,
    uuid: *const c_char,
    client_name: *const c_char,
) -> c_int {
    // SAFETY: checked C strings.
    guard(|| unsafe { peer_change(io_ctx, uuid, cstr(client_name).is_ok()) })
}

/// # Safety
/// `io_ctx` live; `uuid` a C string.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_site_set_direction(
    io_ctx: rados_ioctx_t,
    uuid: *const c_char,
    direction: rbd_mirror_peer_direction_t,
) -> c_int {
    let _ = direction;
    // SAFETY: checked C string.
    guard(|| unsafe { peer_change(io_ctx, uuid, true) })
}

/// # Safety
/// As [`rbd_mirror_peer_site_set_name`].
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_set_client(
    io_ctx: rados_ioctx_t,
    uuid: *const c_char,
    client_name: *const c_char,
) -> c_int {
    // SAFETY: checked C strings.
    guard(|| unsafe { peer_change(io_ctx, uuid, cstr(client_name).is_ok()) })
}

/// # Safety
/// As [`rbd_mirror_peer_site_set_name`].
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_set_cluster(
    io_ctx: rados_ioctx_t,
    uuid: *const c_char,
    cluster_name: *const c_char,
) -> c_int {
    // SAFETY: checked C strings.
    guard(|| unsafe { peer_change(io_ctx, uuid, cstr(cluster_name).is_ok()) })
}

/// # Safety
/// `p` live; `uuid` a C string; the lengths and count writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_site_get_attributes(
    p: rados_ioctx_t,
    uuid: *const c_char,
    keys: *mut c_char,
    max_key_len: *mut usize,
    values: *mut c_char,
    max_value_len: *mut usize,
    key_value_count: *mut usize,
) -> c_int {
    let _ = (keys, values);
    guard(|| {
        let lens_ok = !max_key_len.is_null() && !max_value_len.is_null() && !key_value_count.is_null();
        // SAFETY: checked C string.
        unsafe { peer_change(p, uuid, lens_ok) }
    })
}

/// # Safety
/// As [`rbd_mirror_peer_site_get_attributes`].
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_get_attributes(
    p: rados_ioctx_t,
    uuid: *const c_char,
    keys: *mut c_char,
    max_key_len: *mut usize,
    values: *mut c_char,
    max_value_len: *mut usize,
    key_value_count: *mut usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rbd_mirror_peer_site_get_attributes(p, uuid, keys, max_key_len, values, max_value_len, key_value_count) }
}

/// # Safety
/// `p` live; `uuid` a C string; `keys`/`values` hold `key_value_count`
/// NUL-terminated strings each.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_site_set_attributes(
    p: rados_ioctx_t,
    uuid: *const c_char,
    keys: *const c_char,
    values: *const c_char,
    key_value_count: usize,
) -> c_int {
    let _ = key_value_count;
    // SAFETY: checked C strings.
    guard(|| unsafe { peer_change(p, uuid, !keys.is_null() && !values.is_null()) })
}

/// # Safety
/// As [`rbd_mirror_peer_site_set_attributes`].
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_peer_set_attributes(
    p: rados_ioctx_t,
    uuid: *const c_char,
    keys: *const c_char,
    values: *const c_char,
    key_value_count: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { rbd_mirror_peer_site_set_attributes(p, uuid, keys, values, key_value_count) }
}

/// Counts of images per status state: none while mirroring is disabled.
///
/// # Safety
/// `io_ctx` live; `maxlen` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_status_summary(
    io_ctx: rados_ioctx_t,
    states: *mut rbd_mirror_image_status_state_t,
    counts: *mut c_int,
    maxlen: *mut usize,
) -> c_int {
    let _ = (states, counts);
    // SAFETY: checked out-pointer.
    guard(|| unsafe { empty_list(io_ctx, maxlen) })
}

/// # Safety
/// `io_ctx` live; `len` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_status_list(
    io_ctx: rados_ioctx_t,
    start_id: *const c_char,
    max: usize,
    image_ids: *mut *mut c_char,
    images: *mut rbd_mirror_image_status_t,
    len: *mut usize,
) -> c_int {
    let _ = (start_id, max, image_ids, images);
    // SAFETY: checked out-pointer.
    guard(|| unsafe { empty_list(io_ctx, len) })
}

/// # Safety
/// `image_ids` and `images` NULL or valid for `len` entries librbd(rs)
/// filled.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_status_list_cleanup(
    image_ids: *mut *mut c_char,
    images: *mut rbd_mirror_image_status_t,
    len: usize,
) {
    guard(|| {
        // SAFETY: per the contract.
        unsafe {
            free_each(image_ids, len, release);
            free_each(images, len, |s| {
                [&mut s.name, &mut s.info.global_id, &mut s.description].into_iter().for_each(release);
            });
        }
        Ok(())
    })
}

/// # Safety
/// `io_ctx` live; `len` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_global_status_list(
    io_ctx: rados_ioctx_t,
    start_id: *const c_char,
    max: usize,
    image_ids: *mut *mut c_char,
    images: *mut rbd_mirror_image_global_status_t,
    len: *mut usize,
) -> c_int {
    let _ = (start_id, max, image_ids, images);
    // SAFETY: checked out-pointer.
    guard(|| unsafe { empty_list(io_ctx, len) })
}

/// # Safety
/// As [`rbd_mirror_image_status_list_cleanup`].
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_global_status_list_cleanup(
    image_ids: *mut *mut c_char,
    images: *mut rbd_mirror_image_global_status_t,
    len: usize,
) {
    guard(|| {
        // SAFETY: per the contract.
        unsafe {
            free_each(image_ids, len, release);
            free_each(images, len, super::mirror_image::free_global_status);
        }
        Ok(())
    })
}

/// # Safety
/// `io_ctx` live; `len` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_instance_id_list(
    io_ctx: rados_ioctx_t,
    start_id: *const c_char,
    max: usize,
    image_ids: *mut *mut c_char,
    instance_ids: *mut *mut c_char,
    len: *mut usize,
) -> c_int {
    let _ = (start_id, max, image_ids, instance_ids);
    // SAFETY: checked out-pointer.
    guard(|| unsafe { empty_list(io_ctx, len) })
}

/// # Safety
/// Both arrays NULL or valid for `len` entries librbd(rs) filled.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_instance_id_list_cleanup(
    image_ids: *mut *mut c_char,
    instance_ids: *mut *mut c_char,
    len: usize,
) {
    guard(|| {
        // SAFETY: per the contract.
        unsafe {
            free_each(image_ids, len, release);
            free_each(instance_ids, len, release);
        }
        Ok(())
    })
}

/// # Safety
/// `io_ctx` live; `num_entries` writable.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_info_list(
    io_ctx: rados_ioctx_t,
    mode_filter: *mut rbd_mirror_image_mode_t,
    start_id: *const c_char,
    max: usize,
    image_ids: *mut *mut c_char,
    mode_entries: *mut rbd_mirror_image_mode_t,
    info_entries: *mut rbd_mirror_image_info_t,
    num_entries: *mut usize,
) -> c_int {
    let _ = (mode_filter, start_id, max, image_ids, mode_entries, info_entries);
    // SAFETY: checked out-pointer.
    guard(|| unsafe { empty_list(io_ctx, num_entries) })
}

/// # Safety
/// Both arrays NULL or valid for `num_entries` entries librbd(rs) filled.
#[no_mangle]
pub unsafe extern "C" fn rbd_mirror_image_info_list_cleanup(
    image_ids: *mut *mut c_char,
    info_entries: *mut rbd_mirror_image_info_t,
    num_entries: usize,
) {
    guard(|| {
        // SAFETY: per the contract.
        unsafe {
            free_each(image_ids, num_entries, release);
            free_each(info_entries, num_entries, |i| release(&mut i.global_id));
        }
        Ok(())
    })
}
