//! Cluster-handle calls beyond configuration and pools: the configuration
//! handle (rados_cct, rados_create_with_context), the client's address,
//! service-daemon registration, the cluster log, inconsistent pgs.

use crate::types::*;
use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::{Arc, Mutex};

use rbdrs_client::config::Config;
use rbdrs_client::proto::Errno;
use rbdrs_client::Rados;

use super::{cluster, ioctx, Cluster};
use crate::boundary::{cstr, guard, malloc_copy, put};
use crate::handle::{self, c_handle, Magic};

/// rados_config_t: the configuration a cluster handle reads, shared with
/// handles made from it (librados shares its CephContext likewise).
#[derive(Debug)]
pub struct ConfigCtx {
    magic: Magic,
    config: Arc<Mutex<Config>>,
}
c_handle!(ConfigCtx, 0x7262_6472_7363_6374); // "rbdrscct"

/// A registered service daemon: service, daemon name, metadata.
type Service = (String, String, BTreeMap<String, String>);

/// What a cluster handle keeps beside its Rados.
#[derive(Debug)]
pub struct Extras {
    cct: Box<ConfigCtx>,
    /// The service daemon registered (service, name, metadata) and its
    /// last status. librbdrs has no manager session to send them on.
    service: Mutex<Option<Service>>,
    status: Mutex<BTreeMap<String, String>>,
}

impl Extras {
    pub fn new(rados: &Rados) -> Extras {
        let cct = Box::new(ConfigCtx { magic: Magic::of::<ConfigCtx>(), config: rados.shared_config() });
        Extras { cct, service: Mutex::default(), status: Mutex::default() }
    }

    fn cct(&self) -> rados_config_t {
        std::ptr::from_ref::<ConfigCtx>(&self.cct).cast_mut().cast()
    }
}

/// The handle's configuration, for rados_create_with_context; it lives as
/// long as the handle (NULL for a bad handle).
///
/// # Safety
/// `cluster` from rados_create.
#[no_mangle]
pub unsafe extern "C" fn rados_cct(cluster: rados_t) -> rados_config_t {
    // SAFETY: checked handle.
    guard(|| Ok(unsafe { self::cluster(cluster) }?.extras.cct()))
}

/// The configuration of the handle a pool context belongs to.
///
/// # Safety
/// `io` from rados_ioctx_create, its cluster handle alive.
#[no_mangle]
pub unsafe extern "C" fn rados_ioctx_cct(io: rados_ioctx_t) -> rados_config_t {
    guard(|| {
        // SAFETY: checked handles; the cluster outlives its contexts.
        let cluster = unsafe { self::cluster(ioctx(io)?.cluster) }?;
        Ok(cluster.extras.cct())
    })
}

/// A new cluster handle on `cct`'s configuration (shared: a change by
/// either handle is seen by both, as with librados's CephContext).
///
/// # Safety
/// `pcluster` writable; `cct` from rados_cct of a live handle.
#[no_mangle]
pub unsafe extern "C" fn rados_create_with_context(pcluster: *mut rados_t, cct: rados_config_t) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let config = unsafe { handle::borrow(cct.cast::<ConfigCtx>()) }?.config.clone();
        let rados = Rados::with_shared_config(config);
        // SAFETY: out-pointer checked by put.
        unsafe { put(pcluster, Cluster::give(rados)) }?;
        Ok(0)
    })
}

/// This client's messenger address as librados prints it
/// ("ip:0/nonce"), malloc'ed into `*addrs` for the caller to free.
/// -ENOTCONN before connect.
///
/// # Safety
/// `cluster` from rados_create; `addrs` writable.
#[no_mangle]
pub unsafe extern "C" fn rados_getaddrs(cluster: rados_t, addrs: *mut *mut c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let conn = unsafe { self::cluster(cluster) }?.connected()?;
        if addrs.is_null() {
            return Err(Errno::EINVAL);
        }
        let mut text = conn.addrs.clone().into_bytes();
        text.push(0);
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { addrs.write(malloc_copy(&text)?) };
        Ok(0)
    })
}

/// librados's dict_to_map: "key\0value\0...\0", ended by an empty key.
///
/// # Safety
/// `dict` NULL or such a list.
unsafe fn dict_to_map(mut dict: *const c_char) -> Result<BTreeMap<String, String>, Errno> {
    if dict.is_null() {
        return Err(Errno::EINVAL);
    }
    let mut map = BTreeMap::new();
    let mut next = || {
        // SAFETY: dict points into the caller's list, NUL-terminated parts.
        let s = unsafe { CStr::from_ptr(dict) };
        dict = unsafe { dict.add(s.to_bytes().len() + 1) };
        s.to_str().map(str::to_string).map_err(|_| Errno::EINVAL)
    };
    loop {
        let key = next()?;
        if key.is_empty() {
            return Ok(map);
        }
        let value = next()?;
        map.insert(key, value);
    }
}

/// Registers this client as daemon `daemon` of service `service` (not one
/// of Ceph's own daemon types) with `metadata_dict`; -EEXIST the second
/// time. librados hands it to the manager when it has a session with one;
/// librbdrs has no manager client, so it only keeps it (as librados does
/// on a cluster without a manager).
///
/// # Safety
/// `cluster` from rados_create; `service`, `daemon` C strings;
/// `metadata_dict` a dict as described.
#[no_mangle]
pub unsafe extern "C" fn rados_service_register(
    cluster: rados_t,
    service: *const c_char,
    daemon: *const c_char,
    metadata_dict: *const c_char,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle, strings and list.
        let (c, service, daemon, metadata) =
            unsafe { (self::cluster(cluster)?, cstr(service)?, cstr(daemon)?, dict_to_map(metadata_dict)?) };
        let mut registered = c.extras.service.lock().map_err(|_| Errno::EIO)?;
        if registered.is_some() {
            return Err(Errno::EEXIST);
        }
        if ["osd", "mds", "client", "mon", "mgr"].contains(&service) || service.is_empty() || daemon.is_empty() {
            return Err(Errno::EINVAL);
        }
        *registered = Some((service.into(), daemon.into(), metadata));
        Ok(0)
    })
}

/// Replaces the registered daemon's status (kept, as librados keeps it
/// until a manager session takes it). -ENOTCONN before connect.
///
/// # Safety
/// `cluster` from rados_create; `status_dict` a dict as in
/// rados_service_register.
#[no_mangle]
pub unsafe extern "C" fn rados_service_update_status(cluster: rados_t, status_dict: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let c = unsafe { self::cluster(cluster) }?;
        c.connected()?;
        // SAFETY: checked list.
        let status = unsafe { dict_to_map(status_dict) }?;
        *c.extras.status.lock().map_err(|_| Errno::EIO)? = status;
        Ok(0)
    })
}

/// The inconsistent pgs of a pool, NUL-separated, into `buf`; returns the
/// size they need plus one. librados asks the manager (`pg ls`); librbdrs
/// has no manager client and says so with -EOPNOTSUPP on a cluster (as its
/// rados_mgr_command does). The embedded store keeps one copy of each
/// object, so it has none: an empty list (1).
///
/// # Safety
/// `cluster` connected; `buf` NULL or valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rados_inconsistent_pg_list(
    cluster: rados_t,
    pool: i64,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    guard(|| {
        // SAFETY: checked handle.
        let c = unsafe { self::cluster(cluster) }?;
        c.connected()?;
        if c.rados.local_store().is_err() {
            return Err(Errno::EOPNOTSUPP);
        }
        c.connected()?.pool_name(pool)?;
        if len > 0 && buf.is_null() {
            return Err(Errno::EINVAL);
        }
        if !buf.is_null() {
            // SAFETY: buf valid for len bytes by contract.
            unsafe { std::ptr::write_bytes(buf, 0, len) };
        }
        Ok(1)
    })
}

/// The cluster-log levels librados takes, as monitor subscriptions.
fn log_subscription(level: &str) -> Option<&'static str> {
    Some(match level {
        "debug" => "log-debug",
        "info" => "log-info",
        "warn" | "warning" => "log-warn",
        "err" | "error" => "log-error",
        "sec" => "log-sec",
        _ => return None,
    })
}

/// Shared checks of rados_monitor_log(2): -ENOTCONN before connect; no
/// callback stops watching (0); a bad level is -EINVAL. Watching the
/// cluster log is not implemented: -EOPNOTSUPP.
fn monitor_log(c: &Cluster, level: *const c_char, has_cb: bool) -> Result<c_int, Errno> {
    c.connected()?;
    if !has_cb {
        return Ok(0);
    }
    // SAFETY: the exports' contract: NULL or a C string.
    let level = unsafe { cstr(level) }?;
    log_subscription(level).ok_or(Errno::EINVAL)?;
    Err(Errno::EOPNOTSUPP)
}

/// Watches the cluster log at `level` and above through `cb`.
///
/// # Safety
/// `cluster` from rados_create; `level` a C string.
#[no_mangle]
pub unsafe extern "C" fn rados_monitor_log(
    cluster: rados_t,
    level: *const c_char,
    cb: rados_log_callback_t,
    arg: *mut c_void,
) -> c_int {
    let _ = arg;
    // SAFETY: checked handle.
    guard(|| monitor_log(unsafe { self::cluster(cluster) }?, level, cb.is_some()))
}

/// [`rados_monitor_log`] with the channel and entity name in the callback.
///
/// # Safety
/// As [`rados_monitor_log`].
#[no_mangle]
pub unsafe extern "C" fn rados_monitor_log2(
    cluster: rados_t,
    level: *const c_char,
    cb: rados_log_callback2_t,
    arg: *mut c_void,
) -> c_int {
    let _ = arg;
    // SAFETY: checked handle.
    guard(|| monitor_log(unsafe { self::cluster(cluster) }?, level, cb.is_some()))
}
