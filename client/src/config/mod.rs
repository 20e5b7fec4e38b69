//! The configuration librados and librbd expose: `rados_conf_set/get`,
//! `rados_conf_read_file`, `rados_conf_parse_env/argv`, and the keyring.
//!
//! Behaviour follows Ceph's `common/config.cc`, `ConfUtils.cc`,
//! `ceph_argparse.cc`, `librados_c.cc` and `auth/KeyRing.cc`, checked case by
//! case against librados 16.2 and `ceph-conf` on this machine.
//!
//! # Names and values
//! - Option names are case-sensitive. Leading/trailing whitespace is dropped
//!   and each inner run of whitespace reads as `_` ("rbd cache" is
//!   `rbd_cache`). Dashes are *not* underscores here, as in librados: only
//!   command-line style arguments (`parse_env`, `parse_argv`) turn
//!   `--rbd-cache` into `rbd_cache`.
//! - An unknown name is ENOENT; a value bad for the type is EINVAL (debug
//!   levels out of 0..=99 are ERANGE, as upstream). See [`Kind`] for the
//!   grammars: bools take true/false (any case) or an integer, never yes/no;
//!   sizes take K/M/G/T/P/E with optional `i` and `B` (all powers of 1024);
//!   integers take SI suffixes (powers of 1000); seconds take timespans.
//! - String values expand metavariables when read: `$cluster`, `$type`,
//!   `$id`, `$num`, `$name`, `$host`, `$pid`, `$cctid`, `$home`, `${var}`,
//!   and `$<option>` (loops stop at `$<option>`); anything else stays.
//!
//! # Sources, lowest priority first
//! built-in default, `--default-<opt>` args, config file, environment
//! (`CEPH_ARGS`, `CEPH_KEYRING`), command line (`parse_argv`), and
//! `set` (also `-m`, `-k`, `-K`, `--keyring`, `--mon-host` from args, which
//! librados applies as overrides). A later file read does not beat `set`.
//!
//! # Options
//! Honoured (librbdrs acts on them): `mon_host`, `mon_dns_srv_name`,
//! `keyring`, `key`, `keyfile`, `auth_client_required`, `auth_supported`,
//! `ms_client_mode`, `ms_mon_client_mode`, `client_mount_timeout` (300 s),
//! `rados_osd_op_timeout` (**30 s here**; upstream's 0 waits forever),
//! `rados_mon_op_timeout` (0 = none), `log_file`, `log_to_stderr`,
//! `admin_socket`, `host` (for `$host`), the 80 `debug_<subsystem>` levels,
//! `rbd_cache`, `rbd_cache_policy`, `rbd_cache_size`, `rbd_cache_max_dirty`,
//! `rbd_cache_target_dirty`, `rbd_cache_max_dirty_age`,
//! `rbd_cache_writethrough_until_flush`, `rbd_cache_block_writes_upfront`,
//! `rbd_default_features`, `rbd_default_order`, `rbd_default_stripe_unit`,
//! `rbd_default_stripe_count`, `rbd_default_data_pool`,
//! `rbd_skip_partial_discard`, `rbd_discard_granularity_bytes`,
//! `rbd_concurrent_management_ops`, `rbd_default_clone_format`,
//! `rbd_read_from_replica_policy`, and our `rbdrs_local_store`.
//!
//! Accepted, validated and stored, with no effect (so QEMU, fio and tuned
//! ceph.conf files keep working): every other `rbd_*` option of upstream's
//! rbd.yaml.in except `rbd_qos_exclude_ops` (`rbd_default_pool`,
//! `rbd_op_threads`, `rbd_readahead_*`, `rbd_qos_*`, `rbd_journal_*`,
//! `rbd_persistent_cache_*`, `rbd_mirroring_*`, ...); `monmap`,
//! `mon_host_override`, `crush_location`; the `log_*`/`err_to_*` switches;
//! `admin_socket_mode`, `run_dir`, `daemonize`, `fatal_signal_handlers`,
//! `perf`, `throttler_perf_counter`; `auth_cluster_required`,
//! `auth_service_required`, `cephx_*`, the rotating-key knobs; the common
//! `ms_*` (modes, type, tcp, backoff, crc, bind, async threads);
//! `mon_client_*`; `objecter_*`; `rados_tracing`; `librados_thread_count`.
//! [`accepted_options`] lists them all (155 of these, 35 honoured plus 80
//! `debug_*`). Anything else is ENOENT, e.g. `ms_mode`, which is a krbd map
//! option that librados does not know either.

mod args;
mod keyring;
mod options;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rbdrs_core::Errno;

pub use keyring::{decode_key, CryptoKey};
pub use options::Kind;

use options::{OptionDef, Value};
use parse::{normalize_key_name, ConfFile};

pub use rbdrs_core::entity::EntityType;

/// Who we are, e.g. `client.admin`: a type and an id (which may hold dots
/// or be empty, as Ceph allows).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EntityName {
    kind: EntityType,
    id: String,
}

impl EntityName {
    pub fn new(kind: EntityType, id: &str) -> EntityName {
        EntityName { kind, id: id.to_owned() }
    }

    pub fn client(id: &str) -> EntityName {
        EntityName::new(EntityType::CLIENT, id)
    }

    pub fn kind(&self) -> EntityType {
        self.kind
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

impl FromStr for EntityName {
    type Err = Errno;

    /// EntityName::from_str: "type.id" with a known type; else EINVAL.
    fn from_str(s: &str) -> Result<EntityName, Errno> {
        let (kind, id) = s.split_once('.').ok_or(Errno::EINVAL)?;
        let kind = EntityType::from_name(kind).ok_or(Errno::EINVAL)?;
        Ok(EntityName::new(kind, id))
    }
}

impl fmt::Display for EntityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind.as_str(), self.id)
    }
}

/// Where a value came from; a higher level wins (Ceph's CONF_* levels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Default = 0,
    File = 1,
    Env = 2,
    Cmdline = 3,
    Override = 4,
}

const LEVELS: usize = 5;

/// The process environment, replaceable in tests (which run in parallel
/// and must not touch the real one).
pub(crate) trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        // std::env::var_os panics on these names.
        if name.is_empty() || name.contains(['=', '\0']) {
            return None;
        }
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }
}

/// librados's default search list; `$data_dir` entries are for daemons.
pub(crate) const DEFAULT_CONF_FILES: &str =
    "$data_dir/config, /etc/ceph/$cluster.conf, $home/.ceph/$cluster.conf, $cluster.conf";

/// ConfUtils refuses files above 1 GiB.
const MAX_CONF_FILE: u64 = 0x4000_0000;

/// get_str_list: split on any of ";,= \t", empty items dropped.
pub(crate) fn split_str_list(s: &str) -> impl Iterator<Item = &str> {
    s.split([';', ',', '=', ' ', '\t']).filter(|t| !t.is_empty())
}

pub(crate) fn errno_of(e: &std::io::Error) -> Errno {
    match (e.raw_os_error(), e.kind()) {
        (Some(n), _) if n > 0 => Errno(n),
        (_, std::io::ErrorKind::NotFound) => Errno::ENOENT,
        (_, std::io::ErrorKind::PermissionDenied) => Errno::EACCES,
        _ => Errno::EIO,
    }
}

/// gethostname up to the first dot, as ceph_get_short_hostname.
fn short_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name = name.trim();
    name.split('.').next().unwrap_or("").to_owned()
}

/// Every option `set`/`get` accept: name, type, and whether librbdrs acts on it.
pub fn accepted_options() -> impl Iterator<Item = (&'static str, Kind, bool)> {
    options::all().iter().map(|d| (d.name, d.kind, d.honoured))
}

/// One client's configuration (one `rados_t`).
#[derive(Debug)]
pub struct Config {
    /// Empty until known, as in librados (see [`Config::read_file`]).
    cluster: String,
    name: EntityName,
    values: HashMap<&'static str, [Option<Value>; LEVELS]>,
    /// `$cctid`: distinct per Config in this process.
    instance: u64,
}

fn lookup(name: &str) -> Result<&'static OptionDef, Errno> {
    options::find(&normalize_key_name(name)).ok_or(Errno::ENOENT)
}

impl Config {
    pub fn new(cluster: &str, entity: EntityName) -> Config {
        static INSTANCES: AtomicU64 = AtomicU64::new(1);
        Config {
            cluster: cluster.to_owned(),
            name: entity,
            values: HashMap::new(),
            instance: INSTANCES.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// As rados_create(id): `client.<id>`, `client.admin` without one; the
    /// cluster name stays empty until a config file is read. Like librados,
    /// the caller then applies `parse_env(None)`.
    pub fn for_id(id: Option<&str>) -> Config {
        Config::new("", EntityName::client(id.unwrap_or("admin")))
    }

    /// As rados_create2(cluster, name, 0): `name` is "type.id"; EINVAL if
    /// malformed. The caller then applies `parse_env(None)`.
    pub fn for_name(cluster: Option<&str>, name: &str) -> Result<Config, Errno> {
        Ok(Config::new(cluster.unwrap_or(""), name.parse()?))
    }

    /// The cluster name; empty until set or learnt from a config file.
    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    pub fn name(&self) -> &EntityName {
        &self.name
    }

    /// rados_conf_set: EINVAL for an empty name, ENOENT if unknown, EINVAL
    /// (or ERANGE for debug levels) if the value is bad for the option.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), Errno> {
        if name.is_empty() {
            return Err(Errno::EINVAL);
        }
        self.set_at(lookup(name)?, value, Level::Override)
    }

    /// rados_conf_get: the value as Ceph prints it, metavariables expanded.
    /// EINVAL for an empty name, ENOENT if unknown. (The C wrapper reports
    /// ENAMETOOLONG when its buffer is too small.)
    pub fn get(&self, name: &str) -> Result<String, Errno> {
        let key = normalize_key_name(name);
        if key.is_empty() {
            return Err(Errno::EINVAL);
        }
        let def = options::find(&key).ok_or(Errno::ENOENT)?;
        Ok(self.render(def, &ProcessEnv))
    }

    pub fn get_bool(&self, name: &str) -> Result<bool, Errno> {
        match self.value_of(lookup(name)?) {
            Value::Bool(b) => Ok(b),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Unsigned, size and seconds options; also numeric strings such as
    /// `rbd_default_features` after validation.
    pub fn get_u64(&self, name: &str) -> Result<u64, Errno> {
        match self.value_of(lookup(name)?) {
            Value::Uint(v) | Value::Secs(v) => Ok(v),
            Value::Int(v) => u64::try_from(v).map_err(|_| Errno::EINVAL),
            Value::Str(s) => s.trim().parse().map_err(|_| Errno::EINVAL),
            _ => Err(Errno::EINVAL),
        }
    }

    pub fn get_i64(&self, name: &str) -> Result<i64, Errno> {
        match self.value_of(lookup(name)?) {
            Value::Int(v) => Ok(v),
            Value::Uint(v) | Value::Secs(v) => i64::try_from(v).map_err(|_| Errno::EINVAL),
            _ => Err(Errno::EINVAL),
        }
    }

    pub fn get_f64(&self, name: &str) -> Result<f64, Errno> {
        match self.value_of(lookup(name)?) {
            Value::Float(v) => Ok(v),
            Value::Int(v) => Ok(v as f64),
            Value::Uint(v) | Value::Secs(v) => Ok(v as f64),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Seconds options, and float or integer options counting seconds.
    pub fn get_duration(&self, name: &str) -> Result<Duration, Errno> {
        match self.value_of(lookup(name)?) {
            Value::Secs(v) | Value::Uint(v) => Ok(Duration::from_secs(v)),
            Value::Int(v) => u64::try_from(v).map(Duration::from_secs).map_err(|_| Errno::EINVAL),
            Value::Float(v) => Duration::try_from_secs_f64(v).map_err(|_| Errno::EINVAL),
            _ => Err(Errno::EINVAL),
        }
    }

    /// A timeout where 0 means none (the `rados_*_op_timeout` convention).
    pub fn get_timeout(&self, name: &str) -> Result<Option<Duration>, Errno> {
        self.get_duration(name).map(|d| (!d.is_zero()).then_some(d))
    }

    /// String options, metavariables expanded; EINVAL for other types.
    pub fn get_str(&self, name: &str) -> Result<String, Errno> {
        let def = lookup(name)?;
        match def.kind {
            Kind::Str => Ok(self.render(def, &ProcessEnv)),
            _ => Err(Errno::EINVAL),
        }
    }

    /// A `debug_<subsystem>` option as (log level, gather level).
    pub fn get_debug_levels(&self, name: &str) -> Result<(u8, u8), Errno> {
        let def = lookup(name)?;
        if !def.name.starts_with("debug_") {
            return Err(Errno::EINVAL);
        }
        let (m, n) = options::debug_levels(&self.render(def, &ProcessEnv))?;
        let m = u8::try_from(m).map_err(|_| Errno::ERANGE)?;
        Ok((m, n.map_or(Ok(m), u8::try_from).map_err(|_| Errno::ERANGE)?))
    }

    /// The client's auth methods in order ("cephx", "none", "gss"):
    /// `auth_supported` when set, else `auth_client_required`.
    pub fn auth_client_methods(&self) -> Vec<String> {
        let supported = self.get_str("auth_supported").unwrap_or_default();
        let list =
            if supported.is_empty() { self.get_str("auth_client_required").unwrap_or_default() } else { supported };
        split_str_list(&list).filter(|m| matches!(*m, "cephx" | "none" | "gss")).map(str::to_owned).collect()
    }

    /// A connection-mode option (`ms_client_mode`, `ms_mon_client_mode`) as
    /// its known modes in order: "crc", "secure".
    pub fn con_modes(&self, name: &str) -> Result<Vec<String>, Errno> {
        let list = self.get_str(name)?;
        Ok(split_str_list(&list).filter(|m| matches!(*m, "crc" | "secure")).map(str::to_owned).collect())
    }

    /// As rados_conf_read_file. `paths`: a list split on `;,= \t`, or None
    /// for `$CEPH_CONF` if set, else `/etc/ceph/$cluster.conf`,
    /// `$home/.ceph/$cluster.conf`, `$cluster.conf` (the cluster name
    /// defaults to "ceph" first). The first file that exists is the one
    /// read: a parse error there is EINVAL, no file at all is ENOENT. An
    /// unset cluster name is then taken from that file's name ("x.conf" is
    /// cluster "x"). Sections apply in order `[type.id]`, `[type]`,
    /// `[global]`; bad values in the file are skipped. Finally `$CEPH_ARGS`
    /// applies, as librados does.
    pub fn read_file(&mut self, paths: Option<&str>) -> Result<(), Errno> {
        self.read_file_in(paths, &ProcessEnv)
    }

    /// As rados_conf_parse_env: `CEPH_KEYRING` sets `keyring`, then the
    /// variable (default `CEPH_ARGS`) is split on spaces and parsed as
    /// arguments. Errors are ignored and stop the parse, as upstream.
    pub fn parse_env(&mut self, var: Option<&str>) {
        self.parse_env_in(var, &ProcessEnv);
    }

    /// As rados_conf_parse_argv_remainder, for arguments *without* argv[0]:
    /// `--opt value`, `--opt=value`, dashes or underscores, `--no-<bool>`,
    /// `--<bool> [true|false|1|0]`, `--default-<opt>`, `-m`, `-k`, `-K`.
    /// Stops at `--`. Returns the arguments it did not use; the first bad
    /// value is an error (earlier ones stay applied).
    pub fn parse_argv<S: AsRef<str>>(&mut self, args: &[S]) -> Result<Vec<String>, Errno> {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        self.parse_args(&args, Level::Cmdline)
    }

    /// The base64 CephX key for this entity, or None when the auth methods
    /// do not include cephx. As KeyRing::from_ceph_context: `key` wins, then
    /// `keyfile` (whose read error is returned), then the first keyring file
    /// of the `keyring` list that opens. ENOENT when no keyring opens or it
    /// lacks this entity; EIO for a malformed keyring; EINVAL for a bad key.
    pub fn secret(&self) -> Result<Option<String>, Errno> {
        if !self.auth_client_methods().iter().any(|m| m == "cephx") {
            return Ok(None);
        }
        let ring = keyring::resolve_file_search(&self.get_str("keyring")?)
            .and_then(|path| keyring::read_all(&path))
            .and_then(|bytes| keyring::Keyring::parse(&bytes));
        let key = self.get_str("key")?;
        if !key.is_empty() {
            return Ok(Some(decode_key(&key)?.to_base64()));
        }
        let keyfile = self.get_str("keyfile")?;
        if !keyfile.is_empty() {
            let bytes = keyring::read_all(&keyfile)?;
            let text = std::str::from_utf8(&bytes).map_err(|_| Errno::EINVAL)?;
            return Ok(Some(decode_key(text)?.to_base64()));
        }
        let key = ring?.key_for(&self.name).ok_or(Errno::ENOENT).and_then(decode_key)?;
        Ok(Some(key.to_base64()))
    }

    pub(crate) fn set_at(&mut self, def: &'static OptionDef, raw: &str, level: Level) -> Result<(), Errno> {
        let value = options::parse_value(def, raw)?;
        self.values.entry(def.name).or_default()[level as usize] = Some(value);
        Ok(())
    }

    pub(crate) fn set_named(&mut self, name: &str, raw: &str, level: Level) -> Result<(), Errno> {
        self.set_at(lookup(name)?, raw, level)
    }

    fn value_of(&self, def: &'static OptionDef) -> Value {
        self.values
            .get(def.name)
            .and_then(|levels| levels.iter().rev().flatten().next().cloned())
            .unwrap_or_else(|| options::default_value(def))
    }

    fn render(&self, def: &'static OptionDef, env: &dyn Env) -> String {
        match self.value_of(def) {
            Value::Str(s) => self.expand(&s, Some(def.name), &mut Vec::new(), env),
            other => options::format_value(&other),
        }
    }

    /// md_config_t::_expand_meta, quirks included: `$home` replaces what
    /// was expanded before it, and an unclosed `${...` drops the rest.
    fn expand(&self, s: &str, owner: Option<&'static str>, stack: &mut Vec<&'static str>, env: &dyn Env) -> String {
        let Some(mut pos) = s.find('$') else {
            return s.to_owned();
        };
        if let Some(o) = owner {
            stack.push(o);
        }
        let b = s.as_bytes();
        let valid = |c: u8| c.is_ascii_lowercase() || c == b'_';
        let mut out = String::new();
        let mut last = Some(0);
        while let Some(lp) = last {
            out.push_str(&s[lp..pos]);
            let (var, end) = if b.get(pos + 1) == Some(&b'{') {
                match (pos + 2..b.len()).find(|&i| !valid(b[i])) {
                    Some(e) if b[e] == b'}' => (&s[pos + 2..e], Some(e + 1)),
                    e => ("", e),
                }
            } else {
                match (pos + 1..b.len()).find(|&i| !valid(b[i])) {
                    Some(e) => (&s[pos + 1..e], Some(e)),
                    None => (&s[pos + 1..], None),
                }
            };
            last = end;
            match var {
                "" => out.push('$'),
                "type" => out.push_str(self.name.kind.as_str()),
                "cluster" => out.push_str(&self.cluster),
                "name" => out.push_str(&self.name.to_string()),
                "host" => match options::find("host").map(|d| self.value_of(d)) {
                    Some(Value::Str(h)) if !h.is_empty() => out.push_str(&h),
                    _ => out.push_str(&short_hostname()),
                },
                "num" | "id" => out.push_str(&self.name.id),
                "pid" => out.push_str(&std::process::id().to_string()),
                "cctid" => out.push_str(&self.instance.to_string()),
                "home" => out = env.var("HOME").unwrap_or_default(),
                // data_dir names a daemon option; clients have none.
                _ => match options::find(if var == "data_dir" { "" } else { var }) {
                    None => out.push_str(&s[pos..end.unwrap_or(s.len())]),
                    Some(o) if stack.contains(&o.name) => return format!("${}", o.name),
                    Some(o) => {
                        let text = match self.value_of(o) {
                            Value::Str(v) => self.expand(&v, Some(o.name), stack, env),
                            v => options::format_value(&v),
                        };
                        out.push_str(&text);
                    }
                },
            }
            match last.and_then(|l| s[l..].find('$').map(|i| l + i)) {
                Some(p) => pos = p,
                None => break,
            }
        }
        if let Some(l) = last {
            out.push_str(&s[l..]);
        }
        if owner.is_some() {
            stack.pop();
        }
        out
    }

    /// The files `read_file` would try, expanded, in order.
    pub(crate) fn conf_search_list(&self, list: &str, env: &dyn Env) -> Vec<String> {
        split_str_list(list)
            .filter(|f| !f.contains("$data_dir"))
            .map(|f| self.expand(f, None, &mut Vec::new(), env))
            .collect()
    }

    pub(crate) fn read_file_in(&mut self, paths: Option<&str>, env: &dyn Env) -> Result<(), Errno> {
        if self.cluster.is_empty() && paths.is_none() {
            self.cluster = "ceph".into();
        }
        let list = match paths {
            Some(p) => p.to_owned(),
            None => env.var("CEPH_CONF").unwrap_or_else(|| DEFAULT_CONF_FILES.to_owned()),
        };
        let mut found = None;
        for file in self.conf_search_list(&list, env) {
            match load_conf_file(&file) {
                Ok(conf) => {
                    found = Some((file, conf));
                    break;
                }
                Err(Errno::ENOENT) => {}
                Err(e) => return Err(e),
            }
        }
        let (path, conf) = found.ok_or(Errno::ENOENT)?;
        if self.cluster.is_empty() {
            self.cluster = cluster_from_path(&path);
        }
        self.apply_conf(&conf);
        self.parse_env_in(None, env);
        Ok(())
    }

    /// Takes each option from the first of our sections that has it.
    fn apply_conf(&mut self, conf: &ConfFile) {
        let sections = [self.name.to_string(), self.name.kind.as_str().to_owned(), "global".to_owned()];
        for def in options::all() {
            if let Some(raw) = sections.iter().find_map(|s| conf.get(s, def.name)) {
                // A bad value is only a warning upstream; the option keeps its value.
                let _ = self.set_at(def, raw, Level::File);
            }
        }
    }

    pub(crate) fn parse_env_in(&mut self, var: Option<&str>, env: &dyn Env) {
        if let Some(keyring) = env.var("CEPH_KEYRING") {
            let _ = self.set_named("keyring", &keyring, Level::Env);
        }
        if let Some(line) = env.var(var.unwrap_or("CEPH_ARGS")) {
            let args: Vec<&str> = line.split(' ').filter(|a| !a.is_empty()).collect();
            let _ = self.parse_args(&args, Level::Env);
        }
    }
}

/// The cluster is the file name up to ".conf"; "ceph" without one.
fn cluster_from_path(path: &str) -> String {
    let start = path.rfind('/').map_or(0, |i| i + 1);
    match path[start..].find(".conf") {
        Some(end) => path[start..start + end].to_owned(),
        None => "ceph".to_owned(),
    }
}

/// ConfFile::parse_file. Missing (and, as librados 16.2 has it, a
/// directory) is ENOENT so the search goes on; a device such as /dev/null
/// is an empty file; an unreadable file reads as empty, as upstream's
/// ifstream does; a parse error or a file over 1 GiB is EINVAL.
fn load_conf_file(path: &str) -> Result<ConfFile, Errno> {
    let meta = std::fs::metadata(path).map_err(|e| errno_of(&e))?;
    if meta.is_dir() {
        return Err(Errno::ENOENT);
    }
    if !meta.is_file() {
        return Ok(ConfFile::default());
    }
    if meta.len() > MAX_CONF_FILE {
        return Err(Errno::EINVAL);
    }
    let bytes = keyring::read_all(path).unwrap_or_default();
    ConfFile::parse_bytes(&bytes).map_err(|_| Errno::EINVAL)
}
