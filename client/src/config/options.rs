//! The option table and Ceph's value grammar for each option type.
//!
//! Types, defaults and checks follow Ceph's option schema
//! (`src/common/options/{global,rbd}.yaml.in`); the number parsers follow
//! `src/common/strtol.cc` and `ceph_time.cc`'s `parse_timespan`, checked
//! against librados 16.2 where this machine has it.

use std::collections::HashMap;
use std::sync::OnceLock;

use rbdrs_core::Errno;

/// How Ceph types an option; this decides parsing and printing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Str,
    Bool,
    /// Signed integer with SI suffixes (K = 1000).
    Int,
    /// Unsigned integer with SI suffixes (K = 1000).
    Uint,
    /// Byte count with IEC suffixes (K = Ki = KB = 1024).
    Size,
    Float,
    /// Whole seconds, written as a timespan ("30", "5m", "1h 30m").
    Secs,
}

/// Checks beyond the type, as the schema's validators, enums and bounds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rule {
    Plain,
    OneOf(&'static [&'static str]),
    /// Inclusive bounds for the integer kinds.
    Range(i128, i128),
    /// A number or a comma list of feature names, stored as the number.
    Features,
    /// Pool names may not hold '@' or '/'; a bad one becomes "rbd".
    DefaultPool,
    /// As above but may be empty; a bad one becomes "".
    DataPool,
    /// An SI number that must be a power of two, within bounds.
    PowerOfTwo(u64, u64),
    /// "N" or "N/M" log levels, 0..=99.
    Debug,
}

/// One option this library accepts.
#[derive(Debug)]
pub struct OptionDef {
    pub name: &'static str,
    pub kind: Kind,
    /// The default, written as a user would write it.
    pub default: &'static str,
    /// Whether librbdrs acts on the value (false: stored for rados_conf_get only).
    pub honoured: bool,
    pub(crate) rule: Rule,
}

/// A parsed value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Str(String),
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Secs(u64),
}

const fn opt(name: &'static str, kind: Kind, default: &'static str, honoured: bool, rule: Rule) -> OptionDef {
    OptionDef { name, kind, default, honoured, rule }
}

const fn on(name: &'static str, kind: Kind, default: &'static str) -> OptionDef {
    opt(name, kind, default, true, Rule::Plain)
}

const fn off(name: &'static str, kind: Kind, default: &'static str) -> OptionDef {
    opt(name, kind, default, false, Rule::Plain)
}

use Kind::{Bool, Float, Int, Secs, Size, Str, Uint};

const CACHE_POLICIES: &[&str] = &["writethrough", "writeback", "writearound"];
const CLONE_FORMATS: &[&str] = &["1", "2", "auto"];
const REPLICA_POLICIES: &[&str] = &["default", "balance", "localize"];
const COMPRESSION_HINTS: &[&str] = &["none", "compressible", "incompressible"];
const IO_SCHEDULERS: &[&str] = &["none", "simple"];
const PWL_MODES: &[&str] = &["disabled", "rwl", "ssd"];
const QUIESCE_MODES: &[&str] = &["required", "ignore-error", "skip"];
const AT_LEAST_1: Rule = Rule::Range(1, i128::MAX);

/// Librados's default keyring list; the trailing comma is upstream's too.
pub(crate) const DEFAULT_KEYRING: &str =
    "/etc/ceph/$cluster.$name.keyring,/etc/ceph/$cluster.keyring,/etc/ceph/keyring,/etc/ceph/keyring.bin,";

/// Every option except `debug_*` (see [`SUBSYSTEMS`]). Defaults are the ones
/// librados reports for a client, except `rados_osd_op_timeout`.
pub(crate) static TABLE: &[OptionDef] = &[
    // --- honoured: connection and identity ---
    on("mon_host", Str, ""),
    on("mon_dns_srv_name", Str, "ceph-mon"),
    on("keyring", Str, DEFAULT_KEYRING),
    on("key", Str, ""),
    on("keyfile", Str, ""),
    on("auth_client_required", Str, "cephx, none"),
    on("auth_supported", Str, ""),
    on("ms_client_mode", Str, "crc secure"),
    on("ms_mon_client_mode", Str, "secure crc"),
    on("client_mount_timeout", Secs, "300"),
    // Upstream defaults to 0 (wait forever); a stuck OSD then hangs the VM.
    opt("rados_osd_op_timeout", Secs, "30", true, Rule::Range(0, i128::MAX)),
    opt("rados_mon_op_timeout", Secs, "0", true, Rule::Range(0, i128::MAX)),
    on("log_file", Str, ""),
    on("log_to_stderr", Bool, "false"),
    on("admin_socket", Str, ""),
    // Only feeds $host expansion.
    on("host", Str, ""),
    // --- honoured: librbd ---
    on("rbd_cache", Bool, "true"),
    opt("rbd_cache_policy", Str, "writearound", true, Rule::OneOf(CACHE_POLICIES)),
    on("rbd_cache_size", Size, "33554432"),
    on("rbd_cache_max_dirty", Size, "25165824"),
    on("rbd_cache_target_dirty", Size, "16777216"),
    on("rbd_cache_max_dirty_age", Float, "1"),
    on("rbd_cache_writethrough_until_flush", Bool, "true"),
    on("rbd_cache_block_writes_upfront", Bool, "false"),
    opt("rbd_default_features", Str, "layering,exclusive-lock,object-map,fast-diff,deep-flatten", true, Rule::Features),
    on("rbd_default_order", Uint, "22"),
    on("rbd_default_stripe_unit", Size, "0"),
    on("rbd_default_stripe_count", Uint, "0"),
    opt("rbd_default_data_pool", Str, "", true, Rule::DataPool),
    on("rbd_skip_partial_discard", Bool, "true"),
    opt("rbd_discard_granularity_bytes", Uint, "65536", true, Rule::PowerOfTwo(4096, 32 << 20)),
    opt("rbd_concurrent_management_ops", Uint, "10", true, AT_LEAST_1),
    opt("rbd_default_clone_format", Str, "auto", true, Rule::OneOf(CLONE_FORMATS)),
    opt("rbd_read_from_replica_policy", Str, "default", true, Rule::OneOf(REPLICA_POLICIES)),
    // Ours: a directory for the local object store (empty: use the cluster).
    on("rbdrs_local_store", Str, ""),
    // --- accepted, no effect: librbd ---
    opt("rbd_default_pool", Str, "rbd", false, Rule::DefaultPool),
    off("rbd_op_threads", Uint, "1"),
    off("rbd_op_thread_timeout", Uint, "60"),
    off("rbd_disable_zero_copy_writes", Bool, "true"),
    off("rbd_non_blocking_aio", Bool, "true"),
    off("rbd_cache_max_dirty_object", Uint, "0"),
    off("rbd_parent_cache_enabled", Bool, "false"),
    off("rbd_balance_snap_reads", Bool, "false"),
    off("rbd_localize_snap_reads", Bool, "false"),
    off("rbd_balance_parent_reads", Bool, "false"),
    off("rbd_localize_parent_reads", Bool, "false"),
    off("rbd_sparse_read_threshold_bytes", Size, "65536"),
    off("rbd_readahead_trigger_requests", Uint, "10"),
    off("rbd_readahead_max_bytes", Size, "524288"),
    off("rbd_readahead_disable_after_bytes", Size, "52428800"),
    off("rbd_clone_copy_on_read", Bool, "false"),
    off("rbd_blocklist_on_break_lock", Bool, "true"),
    off("rbd_blocklist_expire_seconds", Uint, "0"),
    off("rbd_request_timed_out_seconds", Uint, "30"),
    off("rbd_enable_alloc_hint", Bool, "true"),
    opt("rbd_compression_hint", Str, "none", false, Rule::OneOf(COMPRESSION_HINTS)),
    off("rbd_tracing", Bool, "false"),
    off("rbd_blkin_trace_all", Bool, "false"),
    off("rbd_validate_pool", Bool, "true"),
    off("rbd_validate_names", Bool, "true"),
    off("rbd_invalidate_object_map_on_timeout", Bool, "true"),
    off("rbd_auto_exclusive_lock_until_manual_request", Bool, "true"),
    off("rbd_move_to_trash_on_remove", Bool, "false"),
    off("rbd_move_to_trash_on_remove_expire_seconds", Uint, "0"),
    off("rbd_move_parent_to_trash_on_remove", Bool, "false"),
    off("rbd_mirroring_resync_after_disconnect", Bool, "false"),
    off("rbd_mirroring_delete_delay", Uint, "0"),
    off("rbd_mirroring_replay_delay", Uint, "0"),
    opt("rbd_mirroring_max_mirroring_snapshots", Uint, "5", false, Rule::Range(3, i128::MAX)),
    off("rbd_default_format", Uint, "2"),
    off("rbd_default_map_options", Str, ""),
    opt("rbd_journal_order", Uint, "24", false, Rule::Range(12, 26)),
    off("rbd_journal_splay_width", Uint, "4"),
    off("rbd_journal_commit_age", Float, "5"),
    off("rbd_journal_object_writethrough_until_flush", Bool, "true"),
    off("rbd_journal_object_flush_interval", Uint, "0"),
    off("rbd_journal_object_flush_bytes", Size, "1048576"),
    off("rbd_journal_object_flush_age", Float, "0"),
    off("rbd_journal_object_max_in_flight_appends", Uint, "0"),
    off("rbd_journal_pool", Str, ""),
    off("rbd_journal_max_payload_bytes", Size, "16384"),
    off("rbd_journal_max_concurrent_object_sets", Uint, "0"),
    off("rbd_qos_iops_limit", Uint, "0"),
    off("rbd_qos_bps_limit", Uint, "0"),
    off("rbd_qos_read_iops_limit", Uint, "0"),
    off("rbd_qos_write_iops_limit", Uint, "0"),
    off("rbd_qos_read_bps_limit", Uint, "0"),
    off("rbd_qos_write_bps_limit", Uint, "0"),
    off("rbd_qos_iops_burst", Uint, "0"),
    off("rbd_qos_bps_burst", Uint, "0"),
    off("rbd_qos_read_iops_burst", Uint, "0"),
    off("rbd_qos_write_iops_burst", Uint, "0"),
    off("rbd_qos_read_bps_burst", Uint, "0"),
    off("rbd_qos_write_bps_burst", Uint, "0"),
    opt("rbd_qos_iops_burst_seconds", Uint, "1", false, AT_LEAST_1),
    opt("rbd_qos_bps_burst_seconds", Uint, "1", false, AT_LEAST_1),
    opt("rbd_qos_read_iops_burst_seconds", Uint, "1", false, AT_LEAST_1),
    opt("rbd_qos_write_iops_burst_seconds", Uint, "1", false, AT_LEAST_1),
    opt("rbd_qos_read_bps_burst_seconds", Uint, "1", false, AT_LEAST_1),
    opt("rbd_qos_write_bps_burst_seconds", Uint, "1", false, AT_LEAST_1),
    opt("rbd_qos_schedule_tick_min", Uint, "50", false, AT_LEAST_1),
    off("rbd_discard_on_zeroed_write_same", Bool, "true"),
    off("rbd_mtime_update_interval", Uint, "60"),
    off("rbd_atime_update_interval", Uint, "60"),
    opt("rbd_io_scheduler", Str, "simple", false, Rule::OneOf(IO_SCHEDULERS)),
    off("rbd_io_scheduler_simple_max_delay", Uint, "0"),
    opt("rbd_persistent_cache_mode", Str, "disabled", false, Rule::OneOf(PWL_MODES)),
    opt("rbd_persistent_cache_size", Uint, "1073741824", false, Rule::Range(1 << 30, i128::MAX)),
    off("rbd_persistent_cache_path", Str, "/tmp"),
    opt("rbd_quiesce_notification_attempts", Uint, "10", false, AT_LEAST_1),
    opt("rbd_default_snapshot_quiesce_mode", Str, "required", false, Rule::OneOf(QUIESCE_MODES)),
    off("rbd_plugins", Str, ""),
    off("rbd_config_pool_override_update_timestamp", Uint, "0"),
    // rbd-mirror's options: known (rbd_config_pool_list shows them), not used.
    off("rbd_mirror_journal_commit_age", Float, "5"),
    off("rbd_mirror_journal_poll_age", Float, "5"),
    off("rbd_mirror_sync_point_update_age", Float, "30"),
    off("rbd_mirror_concurrent_image_syncs", Uint, "5"),
    off("rbd_mirror_pool_replayers_refresh_interval", Uint, "30"),
    off("rbd_mirror_concurrent_image_deletions", Uint, "1"),
    off("rbd_mirror_delete_retry_interval", Float, "30"),
    off("rbd_mirror_image_state_check_interval", Uint, "30"),
    off("rbd_mirror_leader_heartbeat_interval", Uint, "5"),
    off("rbd_mirror_leader_max_missed_heartbeats", Uint, "2"),
    off("rbd_mirror_leader_max_acquire_attempts_before_break", Uint, "3"),
    off("rbd_mirror_image_policy_type", Str, "simple"),
    off("rbd_mirror_image_policy_migration_throttle", Uint, "300"),
    off("rbd_mirror_image_policy_update_throttle_interval", Float, "1"),
    off("rbd_mirror_image_policy_rebalance_timeout", Float, "0"),
    off("rbd_mirror_perf_stats_prio", Int, "5"),
    off("rbd_mirror_image_perf_stats_prio", Int, "5"),
    off("rbd_mirror_memory_autotune", Bool, "true"),
    off("rbd_mirror_memory_target", Size, "4294967296"),
    off("rbd_mirror_memory_base", Size, "805306368"),
    off("rbd_mirror_memory_expected_fragmentation", Float, "0.15"),
    off("rbd_mirror_memory_cache_min", Size, "134217728"),
    off("rbd_mirror_memory_cache_resize_interval", Float, "5"),
    off("rbd_mirror_memory_cache_autotune_interval", Float, "30"),
    // --- accepted, no effect: process, logging and auth ---
    off("monmap", Str, ""),
    off("mon_host_override", Str, ""),
    off("crush_location", Str, ""),
    off("log_to_file", Bool, "true"),
    off("err_to_stderr", Bool, "false"),
    off("log_to_syslog", Bool, "false"),
    off("err_to_syslog", Bool, "false"),
    off("log_max_new", Int, "1000"),
    opt("log_max_recent", Int, "500", false, AT_LEAST_1),
    off("log_flush_on_exit", Bool, "false"),
    off("log_stderr_prefix", Str, ""),
    off("log_to_journald", Bool, "false"),
    off("err_to_journald", Bool, "false"),
    off("log_coarse_timestamps", Bool, "true"),
    off("admin_socket_mode", Str, ""),
    off("run_dir", Str, "/var/run/ceph"),
    off("daemonize", Bool, "false"),
    off("fatal_signal_handlers", Bool, "true"),
    off("perf", Bool, "true"),
    off("throttler_perf_counter", Bool, "true"),
    off("auth_cluster_required", Str, "cephx"),
    off("auth_service_required", Str, "cephx"),
    off("max_rotating_auth_attempts", Int, "10"),
    off("rotating_keys_bootstrap_timeout", Int, "30"),
    off("rotating_keys_renewal_timeout", Int, "10"),
    off("cephx_require_signatures", Bool, "false"),
    off("cephx_require_version", Int, "2"),
    off("cephx_cluster_require_signatures", Bool, "false"),
    off("cephx_service_require_signatures", Bool, "false"),
    off("cephx_sign_messages", Bool, "true"),
    // --- accepted, no effect: messenger ---
    off("ms_type", Str, "async+posix"),
    off("ms_public_type", Str, ""),
    off("ms_cluster_type", Str, ""),
    off("ms_mon_cluster_mode", Str, "secure crc"),
    off("ms_mon_service_mode", Str, "secure crc"),
    off("ms_cluster_mode", Str, "crc secure"),
    off("ms_service_mode", Str, "crc secure"),
    off("ms_learn_addr_from_peer", Bool, "true"),
    off("ms_tcp_nodelay", Bool, "true"),
    off("ms_tcp_rcvbuf", Size, "0"),
    off("ms_tcp_prefetch_max_size", Size, "4096"),
    off("ms_initial_backoff", Float, "0.2"),
    off("ms_max_backoff", Float, "15"),
    off("ms_crc_data", Bool, "true"),
    off("ms_crc_header", Bool, "true"),
    off("ms_dispatch_throttle_bytes", Size, "104857600"),
    off("ms_bind_ipv4", Bool, "true"),
    off("ms_bind_ipv6", Bool, "false"),
    off("ms_bind_prefer_ipv4", Bool, "false"),
    off("ms_bind_msgr1", Bool, "true"),
    off("ms_bind_msgr2", Bool, "true"),
    off("ms_bind_before_connect", Bool, "false"),
    off("ms_connection_ready_timeout", Uint, "10"),
    off("ms_connection_idle_timeout", Uint, "900"),
    opt("ms_async_op_threads", Uint, "3", false, Rule::Range(1, 24)),
    opt("ms_async_reap_threshold", Uint, "5", false, AT_LEAST_1),
    off("ms_dump_on_send", Bool, "false"),
    // --- accepted, no effect: monitor client, objecter, librados ---
    off("mon_client_hunt_parallel", Uint, "3"),
    off("mon_client_hunt_interval", Float, "3"),
    off("mon_client_log_interval", Float, "1"),
    off("mon_client_ping_interval", Float, "10"),
    off("mon_client_ping_timeout", Float, "30"),
    off("mon_client_hunt_interval_backoff", Float, "1.5"),
    off("mon_client_hunt_interval_min_multiple", Float, "1"),
    off("mon_client_hunt_interval_max_multiple", Float, "10"),
    off("mon_client_max_log_entries_per_message", Int, "1000"),
    off("mon_client_directed_command_retry", Int, "2"),
    off("objecter_tick_interval", Float, "5"),
    off("objecter_timeout", Float, "10"),
    off("objecter_inflight_op_bytes", Size, "104857600"),
    off("objecter_inflight_ops", Uint, "1024"),
    off("objecter_completion_locks_per_session", Uint, "32"),
    off("objecter_inject_no_watch_ping", Bool, "false"),
    off("objecter_retry_writes_after_first_reply", Bool, "false"),
    off("objecter_debug_inject_relock_delay", Bool, "false"),
    off("rados_tracing", Bool, "false"),
    opt("librados_thread_count", Uint, "2", false, AT_LEAST_1),
];

/// Ceph's log subsystems (`src/common/subsys.h`) with default log/gather
/// levels; each is a `debug_<name>` string option. Only these names exist.
pub(crate) static SUBSYSTEMS: &[(&str, u8, u8)] = &[
    ("debug_none", 0, 5),
    ("debug_lockdep", 0, 1),
    ("debug_context", 0, 1),
    ("debug_crush", 1, 1),
    ("debug_mds", 1, 5),
    ("debug_mds_balancer", 1, 5),
    ("debug_mds_locker", 1, 5),
    ("debug_mds_log", 1, 5),
    ("debug_mds_log_expire", 1, 5),
    ("debug_mds_migrator", 1, 5),
    ("debug_buffer", 0, 1),
    ("debug_timer", 0, 1),
    ("debug_filer", 0, 1),
    ("debug_striper", 0, 1),
    ("debug_objecter", 0, 1),
    ("debug_rados", 0, 5),
    ("debug_rbd", 0, 5),
    ("debug_rbd_mirror", 0, 5),
    ("debug_rbd_replay", 0, 5),
    ("debug_rbd_pwl", 0, 5),
    ("debug_journaler", 0, 5),
    ("debug_objectcacher", 0, 5),
    ("debug_immutable_obj_cache", 0, 5),
    ("debug_client", 0, 5),
    ("debug_osd", 1, 5),
    ("debug_optracker", 0, 5),
    ("debug_objclass", 0, 5),
    ("debug_filestore", 1, 3),
    ("debug_journal", 1, 3),
    ("debug_ms", 0, 0),
    ("debug_mon", 1, 5),
    ("debug_monc", 0, 10),
    ("debug_paxos", 1, 5),
    ("debug_tp", 0, 5),
    ("debug_auth", 1, 5),
    ("debug_crypto", 1, 5),
    ("debug_finisher", 1, 1),
    ("debug_reserver", 1, 1),
    ("debug_heartbeatmap", 1, 5),
    ("debug_perfcounter", 1, 5),
    ("debug_rgw", 1, 5),
    ("debug_rgw_sync", 1, 5),
    ("debug_rgw_datacache", 1, 5),
    ("debug_civetweb", 1, 10),
    ("debug_javaclient", 1, 5),
    ("debug_asok", 1, 5),
    ("debug_throttle", 1, 1),
    ("debug_refs", 0, 0),
    ("debug_compressor", 1, 5),
    ("debug_bluestore", 1, 5),
    ("debug_bluefs", 1, 5),
    ("debug_bdev", 1, 3),
    ("debug_kstore", 1, 5),
    ("debug_rocksdb", 4, 5),
    ("debug_leveldb", 4, 5),
    ("debug_memdb", 4, 5),
    ("debug_fuse", 1, 5),
    ("debug_mgr", 2, 5),
    ("debug_mgrc", 1, 5),
    ("debug_dpdk", 1, 5),
    ("debug_eventtrace", 1, 5),
    ("debug_prioritycache", 1, 5),
    ("debug_test", 0, 5),
    ("debug_cephfs_mirror", 0, 5),
    ("debug_cephsqlite", 0, 5),
    ("debug_seastore", 0, 5),
    ("debug_seastore_onode", 0, 5),
    ("debug_seastore_odata", 0, 5),
    ("debug_seastore_omap", 0, 5),
    ("debug_seastore_tm", 0, 5),
    ("debug_seastore_t", 0, 5),
    ("debug_seastore_cleaner", 0, 5),
    ("debug_seastore_lba", 0, 5),
    ("debug_seastore_lba_details", 0, 5),
    ("debug_seastore_cache", 0, 5),
    ("debug_seastore_journal", 0, 5),
    ("debug_seastore_device", 0, 5),
    ("debug_alienstore", 0, 5),
    ("debug_mclock", 1, 5),
    ("debug_cyanstore", 0, 5),
];

struct Registry {
    defs: Vec<OptionDef>,
    by_name: HashMap<&'static str, usize>,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut defs: Vec<OptionDef> = Vec::with_capacity(TABLE.len() + SUBSYSTEMS.len());
        for d in TABLE {
            defs.push(OptionDef { ..*d });
        }
        for &(name, log, gather) in SUBSYSTEMS {
            // Built once per process; the leak is bounded by the table.
            let default: &'static str = Box::leak(format!("{log}/{gather}").into_boxed_str());
            defs.push(opt(name, Str, default, true, Rule::Debug));
        }
        let by_name = defs.iter().enumerate().map(|(i, d)| (d.name, i)).collect();
        Registry { defs, by_name }
    })
}

/// Looks up an option by its normalized name.
pub(crate) fn find(name: &str) -> Option<&'static OptionDef> {
    let r = registry();
    r.by_name.get(name).map(|&i| &r.defs[i])
}

/// Every accepted option, table order, `debug_*` last.
pub(crate) fn all() -> &'static [OptionDef] {
    &registry().defs
}

/// C's isspace in the "C" locale.
pub(crate) fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// strtoll(s, 10) where the whole string must be consumed (strict_strtoll).
pub(crate) fn strict_strtoll(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let neg = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = &b[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i128 = 0;
    for &d in digits {
        v = v * 10 + i128::from(d - b'0');
        if v > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// strict_strtob: "true"/"false" in any case, else any int (non-zero is true).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        return Some(true);
    }
    if s.eq_ignore_ascii_case("false") {
        return Some(false);
    }
    let v = strict_strtoll(s)?;
    i32::try_from(v).ok().map(|v| v != 0)
}

/// strict_si_cast: an optional trailing K/M/G/T/P/E multiplies by 10^3n.
fn si_parse(s: &str, signed: bool) -> Option<i128> {
    if s.is_empty() {
        return None;
    }
    let mut n = s;
    let mut exp = 0u32;
    if s.bytes().any(|c| !(c.is_ascii_digit() || c == b'+' || c == b'-')) {
        match s.as_bytes()[s.len() - 1] {
            b'K' => exp = 3,
            b'M' => exp = 6,
            b'G' => exp = 9,
            b'T' => exp = 12,
            b'P' => exp = 15,
            b'E' => exp = 18,
            // Upstream keeps the 'B' in the number, so "10B" fails below.
            b'B' => {}
            _ => return None,
        }
        if exp > 0 {
            n = &s[..s.len() - 1];
        }
    }
    let v = i128::from(strict_strtoll(n)?);
    if v < 0 && !signed {
        return None;
    }
    let coef = 10i128.pow(exp);
    let (min, max) = if signed { (i128::from(i64::MIN), i128::from(i64::MAX)) } else { (0, i128::from(u64::MAX)) };
    if v < min / coef || v > max / coef {
        return None;
    }
    Some(v * coef)
}

pub(crate) fn parse_si_u64(s: &str) -> Option<u64> {
    si_parse(s, false).and_then(|v| u64::try_from(v).ok())
}

pub(crate) fn parse_si_i64(s: &str) -> Option<i64> {
    si_parse(s, true).and_then(|v| i64::try_from(v).ok())
}

/// strict_iec_cast<uint64_t>: K/M/G/T/P/E, optionally with "i" and/or a
/// trailing "B" (1K = 1Ki = 1KB = 1KiB = 1024); a lone "B" means bytes.
pub(crate) fn parse_size(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n = s;
    let mut shift = 0u32;
    if let Some(u) = s.find(|c: char| !(c.is_ascii_digit() || c == '-' || c == '+')) {
        n = &s[..u];
        let mut unit = &s[u..];
        if unit.len() > 1 && unit.ends_with('B') {
            unit = &unit[..unit.len() - 1];
        }
        if unit.len() > 2 {
            return None;
        }
        if !(unit.ends_with('i') || unit.len() == 1) {
            return None;
        }
        if unit.ends_with('i') && unit.starts_with('B') {
            return None;
        }
        shift = match unit.as_bytes()[0] {
            b'K' => 10,
            b'M' => 20,
            b'G' => 30,
            b'T' => 40,
            b'P' => 50,
            b'E' => 60,
            b'B' => 0,
            _ => return None,
        };
    }
    let v = strict_strtoll(n)?;
    let v = u64::try_from(v).ok()?;
    if v > u64::MAX >> shift {
        return None;
    }
    Some(v << shift)
}

/// strict_strtod: strtod over the whole string, overflow and underflow refused.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim_start_matches(|c: char| c.is_ascii() && is_c_space(c as u8));
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    let v = if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex_float(hex)?
    } else if let Some(tail) = lower.strip_prefix("nan") {
        // "nan" or "nan(chars)".
        let chars = tail.strip_prefix('(').and_then(|t| t.strip_suffix(')'));
        if !tail.is_empty() && !chars.is_some_and(|c| c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')) {
            return None;
        }
        f64::NAN
    } else if lower == "inf" || lower == "infinity" {
        f64::INFINITY
    } else {
        // Rust's grammar is strtod's decimal grammar minus inf/nan (handled above).
        if !body.bytes().next().is_some_and(|c| c.is_ascii_digit() || c == b'.') {
            return None;
        }
        let v: f64 = body.parse().ok()?;
        let has_nonzero_digit =
            body.split(['e', 'E']).next().is_some_and(|m| m.bytes().any(|c| (b'1'..=b'9').contains(&c)));
        // ERANGE: overflow to infinity or underflow to zero/subnormal.
        if v.is_infinite() || (has_nonzero_digit && v.abs() < f64::MIN_POSITIVE) {
            return None;
        }
        v
    };
    Some(if neg { -v } else { v })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.find('p') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mant.find('.') {
        Some(d) => (&mant[..d], &mant[d + 1..]),
        None => (mant, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    if let Some(e) = exp {
        let e: i32 = e.parse().ok()?;
        v *= 2f64.powi(e);
    }
    if v.is_infinite() {
        return None;
    }
    Some(v)
}

/// parse_timespan: "<n>[unit]" terms, whitespace between; a bare number is
/// seconds but only as the last term; the empty string is 0.
pub(crate) fn parse_timespan(s: &str) -> Option<u64> {
    const UNITS: &[(&str, u64)] = &[
        ("s", 1),
        ("sec", 1),
        ("second", 1),
        ("seconds", 1),
        ("m", 60),
        ("min", 60),
        ("minute", 60),
        ("minutes", 60),
        ("h", 3600),
        ("hr", 3600),
        ("hour", 3600),
        ("hours", 3600),
        ("d", 86400),
        ("day", 86400),
        ("days", 86400),
        ("w", 604800),
        ("wk", 604800),
        ("week", 604800),
        ("weeks", 604800),
        ("mo", 2592000),
        ("month", 2592000),
        ("months", 2592000),
        ("y", 31536000),
        ("yr", 31536000),
        ("year", 31536000),
        ("years", 31536000),
    ];
    let b = s.as_bytes();
    let mut pos = 0;
    let mut total: u64 = 0;
    while pos < b.len() {
        while pos < b.len() && is_c_space(b[pos]) {
            pos += 1;
        }
        if pos >= b.len() {
            break;
        }
        let start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        if start == pos {
            return None;
        }
        let mut val = u64::try_from(strict_strtoll(&s[start..pos])?).ok()?;
        while pos < b.len() && is_c_space(b[pos]) {
            pos += 1;
        }
        let ustart = pos;
        while pos < b.len() && b[pos].is_ascii_alphabetic() {
            pos += 1;
        }
        if ustart != pos {
            let unit = &s[ustart..pos];
            let mult = UNITS.iter().find(|(u, _)| *u == unit)?.1;
            val = val.checked_mul(mult)?;
        } else if pos < b.len() {
            return None;
        }
        total = total.checked_add(val)?;
    }
    // std::chrono::seconds is signed.
    i64::try_from(total).ok()?;
    Some(total)
}

/// RBD feature names and bits (`include/rbd/features.h`).
pub(crate) const FEATURE_NAMES: &[(&str, u64)] = &[
    ("layering", 1),
    ("striping", 2),
    ("exclusive-lock", 4),
    ("object-map", 8),
    ("fast-diff", 16),
    ("deep-flatten", 32),
    ("journaling", 64),
    ("data-pool", 128),
    ("operations", 256),
    ("migrating", 512),
    ("non-primary", 1024),
    ("dirty-cache", 2048),
];

/// rbd_features_from_string. librbd 16.2 refuses the numeric bits above
/// data-pool (internal or unknown) but takes every name; names add, so a
/// repeated name counts twice, as upstream.
pub(crate) fn features_from_string(s: &str) -> Option<u64> {
    const NUMERIC_OK: u64 = 0xff;
    let v = s.trim_matches(|c: char| c.is_ascii() && is_c_space(c as u8));
    if v.is_empty() {
        return Some(61);
    }
    if let Some(n) = lexical_u64(v) {
        return (n & !NUMERIC_OK == 0).then_some(n);
    }
    let mut features = 0u64;
    for name in v.split(',') {
        let name = name.trim_matches(|c: char| c.is_ascii() && is_c_space(c as u8));
        let bit = FEATURE_NAMES.iter().find(|(n, _)| *n == name)?.1;
        features = features.wrapping_add(bit);
    }
    Some(features)
}

/// boost::lexical_cast<uint64_t>: optional sign, digits only; "-n" wraps.
fn lexical_u64(s: &str) -> Option<u64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: u64 = digits.parse().ok()?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// scanf("%d") from `pos`: whitespace, sign, digits; saturates on overflow.
fn scan_int(b: &[u8], mut pos: usize) -> Option<(i64, usize)> {
    while pos < b.len() && is_c_space(b[pos]) {
        pos += 1;
    }
    let neg = match b.get(pos) {
        Some(b'-') => {
            pos += 1;
            true
        }
        Some(b'+') => {
            pos += 1;
            false
        }
        _ => false,
    };
    let start = pos;
    let mut v: i64 = 0;
    while pos < b.len() && b[pos].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add(i64::from(b[pos] - b'0'));
        pos += 1;
    }
    if pos == start {
        return None;
    }
    Some((if neg { -v } else { v }, pos))
}

/// The debug_* validator: sscanf("%d/%d"). "N" becomes "N/N"; "N/M" is
/// stored as written. Out of 0..=99 is ERANGE, as upstream.
pub(crate) fn debug_levels(s: &str) -> Result<(i64, Option<i64>), Errno> {
    let b = s.as_bytes();
    let (m, pos) = scan_int(b, 0).ok_or(Errno::EINVAL)?;
    if !(0..=99).contains(&m) {
        return Err(Errno::ERANGE);
    }
    if b.get(pos) == Some(&b'/') {
        if let Some((n, _)) = scan_int(b, pos + 1) {
            if !(0..=99).contains(&n) {
                return Err(Errno::ERANGE);
            }
            return Ok((m, Some(n)));
        }
    }
    Ok((m, None))
}

fn pool_ok(s: &str, may_be_empty: bool) -> bool {
    (may_be_empty || !s.is_empty()) && !s.contains(['@', '/'])
}

/// Option::parse_value: validator, type parse, then bounds and enums.
pub(crate) fn parse_value(def: &OptionDef, raw: &str) -> Result<Value, Errno> {
    let text: String = match def.rule {
        Rule::Features => features_from_string(raw).ok_or(Errno::EINVAL)?.to_string(),
        Rule::DefaultPool if !pool_ok(raw, false) => "rbd".into(),
        Rule::DataPool if !pool_ok(raw, true) => String::new(),
        Rule::Debug => match debug_levels(raw)? {
            (m, None) => format!("{m}/{m}"),
            (_, Some(_)) => raw.into(),
        },
        Rule::PowerOfTwo(..) => {
            let v = parse_si_u64(raw).ok_or(Errno::EINVAL)?;
            if !v.is_power_of_two() {
                return Err(Errno::EINVAL);
            }
            raw.into()
        }
        _ => raw.into(),
    };
    let value = match def.kind {
        Kind::Str => Value::Str(text),
        Kind::Bool => Value::Bool(parse_bool(&text).ok_or(Errno::EINVAL)?),
        Kind::Int => Value::Int(parse_si_i64(&text).ok_or(Errno::EINVAL)?),
        Kind::Uint => Value::Uint(parse_si_u64(&text).ok_or(Errno::EINVAL)?),
        Kind::Size => Value::Uint(parse_size(&text).ok_or(Errno::EINVAL)?),
        Kind::Float => Value::Float(parse_float(&text).ok_or(Errno::EINVAL)?),
        Kind::Secs => Value::Secs(parse_timespan(&text).ok_or(Errno::EINVAL)?),
    };
    let bounds = match def.rule {
        Rule::Range(lo, hi) => Some((lo, hi)),
        Rule::PowerOfTwo(lo, hi) => Some((i128::from(lo), i128::from(hi))),
        _ => None,
    };
    if let Some((lo, hi)) = bounds {
        let v = match value {
            Value::Int(v) => i128::from(v),
            Value::Uint(v) | Value::Secs(v) => i128::from(v),
            // The table puts bounds on integer options only.
            Value::Str(_) | Value::Bool(_) | Value::Float(_) => return Ok(value),
        };
        if v < lo || v > hi {
            return Err(Errno::EINVAL);
        }
    }
    if let (Rule::OneOf(allowed), Value::Str(s)) = (def.rule, &value) {
        if !allowed.contains(&s.as_str()) {
            return Err(Errno::EINVAL);
        }
    }
    Ok(value)
}

/// The default, parsed; the table's own test proves every default parses.
pub(crate) fn default_value(def: &OptionDef) -> Value {
    parse_value(def, def.default).unwrap_or_else(|_| Value::Str(def.default.into()))
}

/// Prints a value as Ceph's Option::to_str does.
pub(crate) fn format_value(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Uint(u) | Value::Secs(u) => u.to_string(),
        Value::Float(f) if f.is_nan() => "nan".into(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { "inf" } else { "-inf" }.into(),
        // std::fixed: six decimals.
        Value::Float(f) => format!("{f:.6}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_parses_and_names_are_unique_and_normal() {
        let mut seen = std::collections::HashSet::new();
        for d in all() {
            assert!(parse_value(d, d.default).is_ok(), "default of {} does not parse", d.name);
            assert!(seen.insert(d.name), "duplicate {}", d.name);
            assert!(d.name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'), "{}", d.name);
        }
    }

    // Cross-checked against librados 16.2's rados_conf_set/get on this machine.
    #[test]
    fn bool_table() {
        for (s, v) in [
            ("true", Some(true)),
            ("TRUE", Some(true)),
            ("FaLsE", Some(false)),
            ("1", Some(true)),
            ("0", Some(false)),
            ("2", Some(true)),
            ("-1", Some(true)),
            (" 1", Some(true)),
            ("+1", Some(true)),
            ("010", Some(true)),
            ("yes", None),
            ("no", None),
            ("on", None),
            ("off", None),
            ("1 ", None),
            ("", None),
            ("0x1", None),
            ("99999999999", None),
        ] {
            assert_eq!(parse_bool(s), v, "{s:?}");
        }
    }

    #[test]
    fn size_table() {
        for (s, v) in [
            ("1024", Some(1024)),
            ("1K", Some(1024)),
            ("1KB", Some(1024)),
            ("1Ki", Some(1024)),
            ("1KiB", Some(1024)),
            ("1M", Some(1 << 20)),
            ("1MiB", Some(1 << 20)),
            ("1G", Some(1 << 30)),
            ("1T", Some(1 << 40)),
            ("1P", Some(1 << 50)),
            ("1E", Some(1 << 60)),
            ("15E", Some(15 << 60)),
            ("16E", None),
            ("1B", Some(1)),
            ("1BB", Some(1)),
            ("1Bi", None),
            ("1iB", None),
            ("1k", None),
            ("1KK", None),
            ("1.5M", None),
            ("", None),
            (" 1", None),
            ("1 ", None),
            ("-1", None),
            ("+1", Some(1)),
            ("K", None),
            ("0x10", None),
            ("8388608000000000000", Some(8388608000000000000)),
            ("18446744073709551615", None),
        ] {
            assert_eq!(parse_size(s), v, "{s:?}");
        }
    }

    #[test]
    fn si_table() {
        assert_eq!(parse_si_u64("10"), Some(10));
        assert_eq!(parse_si_u64("1K"), Some(1000));
        assert_eq!(parse_si_u64("1M"), Some(1_000_000));
        assert_eq!(parse_si_u64("1B"), None);
        assert_eq!(parse_si_u64("1k"), None);
        assert_eq!(parse_si_u64(" 1"), None);
        assert_eq!(parse_si_u64(" 5K"), Some(5000));
        assert_eq!(parse_si_u64("-1"), None);
        assert_eq!(parse_si_u64("+5"), Some(5));
        assert_eq!(parse_si_u64("1.5"), None);
        assert_eq!(parse_si_u64("0x10"), None);
        assert_eq!(parse_si_u64("19E"), None);
        assert_eq!(parse_si_i64("-5"), Some(-5));
        assert_eq!(parse_si_i64("-5K"), Some(-5000));
        assert_eq!(parse_si_i64("x"), None);
    }

    #[test]
    fn float_and_timespan_tables() {
        assert_eq!(parse_float("2"), Some(2.0));
        assert_eq!(parse_float("1e3"), Some(1000.0));
        assert_eq!(parse_float(" 2"), Some(2.0));
        assert_eq!(parse_float("2 "), None);
        assert_eq!(parse_float("0x10"), Some(16.0));
        assert_eq!(parse_float("0x1.8p1"), Some(3.0));
        assert_eq!(parse_float("inf"), Some(f64::INFINITY));
        assert!(parse_float("nan").unwrap().is_nan());
        assert!(parse_float("NaN(x_1)").unwrap().is_nan());
        assert_eq!(parse_float("nan("), None);
        assert_eq!(parse_float("nanx"), None);
        assert_eq!(parse_float("1e400"), None);
        assert_eq!(parse_float("1e-400"), None);
        assert_eq!(parse_float("0e-400"), Some(0.0));
        assert_eq!(parse_float(""), None);
        assert_eq!(parse_float("."), None);
        assert_eq!(parse_float("-.5"), Some(-0.5));
        assert_eq!(format_value(&Value::Float(2.0)), "2.000000");
        assert_eq!(format_value(&Value::Float(f64::INFINITY)), "inf");

        assert_eq!(parse_timespan("30"), Some(30));
        assert_eq!(parse_timespan("5m"), Some(300));
        assert_eq!(parse_timespan("1h30m"), Some(5400));
        assert_eq!(parse_timespan("1 h 2"), Some(3602));
        assert_eq!(parse_timespan(""), Some(0));
        assert_eq!(parse_timespan("1 2"), None);
        assert_eq!(parse_timespan("-1"), None);
        assert_eq!(parse_timespan("30x"), None);
        assert_eq!(parse_timespan("2.5"), None);
        assert_eq!(parse_timespan("1S"), None);
        assert_eq!(parse_timespan("99999999999999999y"), None);
    }

    #[test]
    fn features_and_debug_levels() {
        assert_eq!(features_from_string("61"), Some(61));
        assert_eq!(features_from_string("layering,exclusive-lock"), Some(5));
        assert_eq!(features_from_string(" layering , striping "), Some(3));
        assert_eq!(features_from_string("layering,layering"), Some(2));
        assert_eq!(features_from_string(""), Some(61));
        assert_eq!(features_from_string("non-primary"), Some(1024));
        assert_eq!(features_from_string("+3"), Some(3));
        for bad in ["foo", "layering,foo", "1024", "256", "4096", "-1", "0x3", "layering,"] {
            assert_eq!(features_from_string(bad), None, "{bad}");
        }

        assert_eq!(debug_levels("20"), Ok((20, None)));
        assert_eq!(debug_levels("1/5"), Ok((1, Some(5))));
        assert_eq!(debug_levels("5/x"), Ok((5, None)));
        assert_eq!(debug_levels(" 3 / 4"), Ok((3, None)));
        assert_eq!(debug_levels("7x"), Ok((7, None)));
        assert_eq!(debug_levels("100"), Err(Errno::ERANGE));
        assert_eq!(debug_levels("-1"), Err(Errno::ERANGE));
        assert_eq!(debug_levels("3/100"), Err(Errno::ERANGE));
        assert_eq!(debug_levels("99999999999"), Err(Errno::ERANGE));
        assert_eq!(debug_levels("x"), Err(Errno::EINVAL));
        assert_eq!(debug_levels(""), Err(Errno::EINVAL));
    }

    #[test]
    fn validators() {
        let gran = find("rbd_discard_granularity_bytes").unwrap();
        assert_eq!(parse_value(gran, "4096"), Ok(Value::Uint(4096)));
        assert_eq!(parse_value(gran, "33554432"), Ok(Value::Uint(32 << 20)));
        for bad in ["2048", "64K", "65536B", "67108864", "3000", "32M"] {
            assert_eq!(parse_value(gran, bad), Err(Errno::EINVAL), "{bad}");
        }
        let pool = find("rbd_default_data_pool").unwrap();
        assert_eq!(parse_value(pool, "a/b"), Ok(Value::Str(String::new())));
        let pool = find("rbd_default_pool").unwrap();
        assert_eq!(parse_value(pool, ""), Ok(Value::Str("rbd".into())));
        let policy = find("rbd_cache_policy").unwrap();
        assert_eq!(parse_value(policy, "WRITEBACK"), Err(Errno::EINVAL));
        let ops = find("rbd_concurrent_management_ops").unwrap();
        assert_eq!(parse_value(ops, "0"), Err(Errno::EINVAL));
        assert_eq!(parse_value(ops, "1K"), Ok(Value::Uint(1000)));
    }
}
