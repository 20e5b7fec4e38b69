//! Behaviour tests. Literal expectations marked "librados 16.2" or
//! "ceph-conf" were produced by those tools on this machine (Debian's
//! ceph-common 16.2.15) from the same inputs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::*;

const KEY: &str = "AQBVzNlmAAAAABAAd9oYJ5ML2Bm0uqBJsoWeMQ==";

#[derive(Default)]
struct FakeEnv(HashMap<String, String>);

impl FakeEnv {
    fn with(pairs: &[(&str, &str)]) -> FakeEnv {
        FakeEnv(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }
}

impl Env for FakeEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// A scratch directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("rbdrs-config-{}-{tag}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }

    fn write(&self, name: &str, contents: &[u8]) -> String {
        let path = self.path(name);
        if let Some(parent) = std::path::Path::new(&path).parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn admin() -> Config {
    Config::new("ceph", EntityName::client("admin"))
}

fn no_env() -> FakeEnv {
    FakeEnv::default()
}

#[test]
fn entity_names() {
    let n: EntityName = "client.admin".parse().unwrap();
    assert_eq!((n.kind(), n.id()), (EntityType::CLIENT, "admin"));
    assert_eq!("client.a.b".parse::<EntityName>().unwrap().id(), "a.b");
    assert_eq!("client.".parse::<EntityName>().unwrap().id(), "");
    assert_eq!("osd.0".parse::<EntityName>().unwrap().to_string(), "osd.0");
    // librados 16.2: rados_create2 returns -EINVAL for these.
    for bad in ["admin", "foo.bar", "Client.x", ".x", "client", ""] {
        assert_eq!(bad.parse::<EntityName>(), Err(Errno::EINVAL), "{bad}");
        assert_eq!(Config::for_name(None, bad).err(), Some(Errno::EINVAL));
    }
    assert_eq!(Config::for_id(None).name().to_string(), "client.admin");
    assert_eq!(Config::for_id(Some("a.b")).name().to_string(), "client.a.b");
    assert_eq!(Config::for_id(None).cluster(), "");
    let c = Config::for_name(Some("mycl"), "mgr.x").unwrap();
    assert_eq!((c.cluster(), c.name().kind()), ("mycl", EntityType::MGR));
}

#[test]
fn honoured_options_are_the_documented_ones() {
    let honoured: Vec<&str> =
        accepted_options().filter(|(n, _, h)| *h && !n.starts_with("debug_")).map(|(n, _, _)| n).collect();
    assert_eq!(
        honoured,
        [
            "mon_host",
            "mon_dns_srv_name",
            "keyring",
            "key",
            "keyfile",
            "auth_client_required",
            "auth_supported",
            "ms_client_mode",
            "ms_mon_client_mode",
            "client_mount_timeout",
            "rados_osd_op_timeout",
            "rados_mon_op_timeout",
            "log_file",
            "log_to_stderr",
            "admin_socket",
            "host",
            "rbd_cache",
            "rbd_cache_policy",
            "rbd_cache_size",
            "rbd_cache_max_dirty",
            "rbd_cache_target_dirty",
            "rbd_cache_max_dirty_age",
            "rbd_cache_writethrough_until_flush",
            "rbd_cache_block_writes_upfront",
            "rbd_default_features",
            "rbd_default_order",
            "rbd_default_stripe_unit",
            "rbd_default_stripe_count",
            "rbd_default_data_pool",
            "rbd_skip_partial_discard",
            "rbd_discard_granularity_bytes",
            "rbd_concurrent_management_ops",
            "rbd_default_clone_format",
            "rbd_read_from_replica_policy",
            "rbdrs_local_store",
        ]
    );
    assert_eq!(accepted_options().filter(|(n, _, h)| *h && n.starts_with("debug_")).count(), 80);
    assert_eq!(accepted_options().filter(|(_, _, h)| !*h).count(), 179);
}

#[test]
fn spellings() {
    let mut c = admin();
    c.set("rbd cache", "false").unwrap();
    assert_eq!(c.get("rbd_cache").unwrap(), "false");
    c.set(" rbd \t cache ", "true").unwrap();
    assert_eq!(c.get("rbd  cache").unwrap(), "true");
    assert!(c.get_bool("rbd_cache").unwrap());
    // librados 16.2: names are case-sensitive, and dashes only work as arguments.
    assert_eq!(c.set("RBD_CACHE", "true"), Err(Errno::ENOENT));
    assert_eq!(c.set("rbd-cache", "true"), Err(Errno::ENOENT));
    assert_eq!(c.get("rbd-cache"), Err(Errno::ENOENT));
    c.parse_argv(&["--rbd-cache=false"]).unwrap();
    assert_eq!(c.get("rbd_cache").unwrap(), "true", "set() overrides the command line");
    let mut c = admin();
    c.parse_argv(&["--rbd-cache=false", "--rbd_cache_size", "1M"]).unwrap();
    assert_eq!(c.get("rbd_cache").unwrap(), "false");
    assert_eq!(c.get_u64("rbd_cache_size").unwrap(), 1 << 20);
}

#[test]
fn unknown_and_empty_names() {
    let mut c = admin();
    for name in ["nope", "ms_mode", "cluster", "name", "debug_foo", "rbd_qos_exclude_ops"] {
        assert_eq!(c.set(name, "1"), Err(Errno::ENOENT), "{name}");
        assert_eq!(c.get(name), Err(Errno::ENOENT), "{name}");
    }
    // librados 16.2: "" is EINVAL for both; all-blank is ENOENT to set, EINVAL to get.
    assert_eq!(c.set("", "1"), Err(Errno::EINVAL));
    assert_eq!(c.get(""), Err(Errno::EINVAL));
    assert_eq!(c.set("  ", "1"), Err(Errno::ENOENT));
    assert_eq!(c.get("  "), Err(Errno::EINVAL));
}

#[test]
fn bad_values_are_refused_and_leave_the_value() {
    let mut c = admin();
    for (name, value) in [
        ("rbd_cache", "yes"),
        ("rbd_cache", ""),
        ("rbd_cache_size", "1k"),
        ("rbd_cache_size", "-1"),
        ("rbd_concurrent_management_ops", "0"),
        ("rbd_concurrent_management_ops", "1.5"),
        ("rbd_cache_max_dirty_age", "2 "),
        ("rados_osd_op_timeout", "-1"),
        ("rados_osd_op_timeout", "30x"),
        ("client_mount_timeout", "2.5"),
        ("rbd_cache_policy", "WRITEBACK"),
        ("rbd_default_clone_format", "3"),
        ("rbd_read_from_replica_policy", "x"),
        ("rbd_default_features", "layering,foo"),
        ("rbd_discard_granularity_bytes", "64K"),
        ("debug_rbd", "x"),
        ("log_max_new", "x"),
    ] {
        let before = c.get(name).unwrap();
        assert_eq!(c.set(name, value), Err(Errno::EINVAL), "{name}={value:?}");
        assert_eq!(c.get(name).unwrap(), before);
    }
    assert_eq!(c.set("debug_rbd", "100"), Err(Errno::ERANGE));
    assert_eq!(c.set("debug_rbd", "3/100"), Err(Errno::ERANGE));
}

#[test]
fn defaults_and_formatting() {
    let c = admin();
    for (name, want) in [
        // Ours: finite, where upstream has 0 (forever).
        ("rados_osd_op_timeout", "30"),
        ("rados_mon_op_timeout", "0"),
        ("client_mount_timeout", "300"),
        ("rbd_skip_partial_discard", "true"),
        ("rbd_discard_granularity_bytes", "65536"),
        ("rbd_concurrent_management_ops", "10"),
        ("rbd_default_features", "61"),
        ("rbd_cache_size", "33554432"),
        ("rbd_cache_max_dirty_age", "1.000000"),
        ("rbd_default_clone_format", "auto"),
        ("rbdrs_local_store", ""),
        ("debug_rbd", "0/5"),
        ("debug_ms", "0/0"),
        ("debug_objecter", "0/1"),
        ("auth_client_required", "cephx, none"),
        ("ms_mon_client_mode", "secure crc"),
        ("mon_dns_srv_name", "ceph-mon"),
        (
            "keyring",
            "/etc/ceph/ceph.client.admin.keyring,/etc/ceph/ceph.keyring,/etc/ceph/keyring,/etc/ceph/keyring.bin,",
        ),
        ("ms_initial_backoff", "0.200000"),
    ] {
        assert_eq!(c.get(name).unwrap(), want, "{name}");
    }
    // librados 16.2 before any file read: the cluster name is still empty.
    assert!(Config::for_id(None).get("keyring").unwrap().starts_with("/etc/ceph/.client.admin.keyring,"));
    assert_eq!(c.get_timeout("rados_osd_op_timeout").unwrap(), Some(Duration::from_secs(30)));
    assert_eq!(c.get_timeout("rados_mon_op_timeout").unwrap(), None);
    assert_eq!(c.get_duration("rbd_cache_max_dirty_age").unwrap(), Duration::from_secs(1));
    assert_eq!(c.get_u64("rbd_default_features").unwrap(), 61);
    assert_eq!(c.get_debug_levels("debug_rbd").unwrap(), (0, 5));
    assert_eq!(c.get_bool("rbd_cache_size"), Err(Errno::EINVAL));
    assert_eq!(c.get_str("rbd_cache"), Err(Errno::EINVAL));
    assert_eq!(c.get_i64("log_max_new").unwrap(), 1000);
    assert_eq!(c.get_f64("rbd_cache_max_dirty_age").unwrap(), 1.0);
    assert_eq!(c.con_modes("ms_client_mode").unwrap(), ["crc", "secure"]);
    assert_eq!(c.auth_client_methods(), ["cephx", "none"]);
    assert!(accepted_options().any(|(n, k, honoured)| n == "rbd_op_threads" && k == Kind::Uint && !honoured));
}

#[test]
fn values_print_as_librados_does() {
    let mut c = admin();
    for (name, value, want) in [
        ("rbd_cache", "TRUE", "true"),
        ("rbd_cache", "0", "false"),
        ("rbd_cache_size", "1KiB", "1024"),
        ("rbd_concurrent_management_ops", "1K", "1000"),
        ("rbd_cache_max_dirty_age", "1e3", "1000.000000"),
        ("rbd_cache_max_dirty_age", "inf", "inf"),
        ("client_mount_timeout", "7m", "420"),
        ("rados_osd_op_timeout", "1h30m", "5400"),
        ("rados_osd_op_timeout", "", "0"),
        ("rbd_default_features", "layering,exclusive-lock", "5"),
        ("rbd_default_features", " layering , striping ", "3"),
        ("rbd_default_features", "", "61"),
        ("rbd_default_data_pool", "a/b", ""),
        ("rbd_default_data_pool", "pool1", "pool1"),
        ("debug_rbd", "20", "20/20"),
        ("debug_rbd", "1/5", "1/5"),
        ("debug_rbd", "1/5junk", "1/5junk"),
        ("debug_rbd", "5/x", "5/5"),
        ("debug rbd", " 3 / 4", "3/3"),
        ("log_max_new", "-5", "-5"),
    ] {
        c.set(name, value).unwrap();
        assert_eq!(c.get(name).unwrap(), want, "{name}={value:?}");
    }
}

#[test]
fn metavariables() {
    // librados 16.2, rados_create2(cluster "mycl", "client.x"), same strings.
    let mut c = Config::for_name(Some("mycl"), "client.x").unwrap();
    let tricky = "$cluster/$type/$id/$name/$num/${cluster}x/$clusterx/$$/$/$1/$unknown/${unknown}/${cluster";
    c.set("log_file", tricky).unwrap();
    assert_eq!(c.get("log_file").unwrap(), "mycl/client/x/client.x/x/myclx/$clusterx/$$/$/$1/$unknown/${unknown}/$");
    c.set("log_file", "$rbd_default_pool/$rbd_cache_size/$rbd_cache").unwrap();
    assert_eq!(c.get("log_file").unwrap(), "rbd/33554432/true");
    c.set("admin_socket", "$log_file").unwrap();
    c.set("log_file", "$admin_socket").unwrap();
    assert_eq!(c.get("log_file").unwrap(), "$log_file");
    assert_eq!(c.get("admin_socket").unwrap(), "$admin_socket");
    c.set("log_file", "$Cluster").unwrap();
    assert_eq!(c.get("log_file").unwrap(), "$Cluster");
    c.set("log_file", "${clu-ster}").unwrap();
    assert_eq!(c.get("log_file").unwrap(), "$-ster}");
    c.set("log_file", "$pid").unwrap();
    assert_eq!(c.get("log_file").unwrap(), std::process::id().to_string());
    c.set("host", "myhost").unwrap();
    c.set("log_file", "$host").unwrap();
    assert_eq!(c.get("log_file").unwrap(), "myhost");
    c.set("rbd_default_pool", "$cluster").unwrap();
    assert_eq!(c.get("rbd_default_pool").unwrap(), "mycl");
    // Upstream's $home drops what came before it.
    let home = FakeEnv::with(&[("HOME", "/home/u")]);
    let def = options::find("log_file").unwrap();
    c.set("log_file", "pre/$home/post").unwrap();
    assert_eq!(c.render(def, &home), "/home/u/post");
    // $cctid differs between configs.
    c.set("log_file", "$cctid").unwrap();
    let mut d = admin();
    d.set("log_file", "$cctid").unwrap();
    assert_ne!(c.get("log_file").unwrap(), d.get("log_file").unwrap());
}

#[test]
fn section_precedence_matches_ceph_conf() {
    let dir = TempDir::new("prec");
    let path = dir.write(
        "p.conf",
        b"[client.admin]\nlog_file = a\n[client]\nlog_file = b\nadmin_socket = c\n[global]\nadmin_socket = d\nrbd_op_threads = 4\n[osd]\nrbd_op_threads = 9\n",
    );
    // ceph-conf -c p.conf --name N --lookup OPT, and librados 16.2 alike.
    for (name, log_file, admin_socket, threads) in
        [("client.admin", "a", "c", "4"), ("client.b", "b", "c", "4"), ("osd.1", "", "d", "9")]
    {
        let mut c = Config::for_name(Some("ceph"), name).unwrap();
        c.read_file_in(Some(&path), &no_env()).unwrap();
        assert_eq!(c.get("log_file").unwrap(), log_file, "{name}");
        assert_eq!(c.get("admin_socket").unwrap(), admin_socket, "{name}");
        assert_eq!(c.get("rbd_op_threads").unwrap(), threads, "{name}");
    }
}

#[test]
fn file_contents_match_librados() {
    let dir = TempDir::new("t1");
    let text = "[global]\nrbd cache = false\nrbd_cache_size = 1M # comment\nrbd_cache_max_dirty = 2M ; semi\n\
                log_file = /tmp/$cluster-$name-$type-$id.log\nadmin_socket = \"/tmp/a b\\#c.asok\"\n\
                rbd_default_pool = x\\#y\nmon_host = 1.2.3.4, \\\n  5.6.7.8\n[client]\nrbd_cache_policy = writeback\n\
                rbd_default_data_pool = clientpool\n[client.admin]\nrbd_default_data_pool = adminpool\n\
                rbd-cache-max-dirty-object = 5\n  rbd_op_threads   =   3   \n";
    let path = dir.write("t1.conf", text.as_bytes());
    let mut c = Config::for_id(None);
    c.read_file_in(Some(&path), &no_env()).unwrap();
    assert_eq!(c.cluster(), "t1");
    for (name, want) in [
        ("rbd_cache", "false"),
        ("rbd_cache_size", "1048576"),
        ("rbd_cache_max_dirty", "2097152"),
        ("log_file", "/tmp/t1-client.admin-client-admin.log"),
        ("admin_socket", "/tmp/a b#c.asok"),
        ("rbd_default_pool", "x#y"),
        ("mon_host", "1.2.3.4,   5.6.7.8"),
        ("rbd_cache_policy", "writeback"),
        ("rbd_default_data_pool", "adminpool"),
        ("rbd_cache_max_dirty_object", "0"),
        ("rbd_op_threads", "3"),
        ("keyring", "/etc/ceph/t1.client.admin.keyring,/etc/ceph/t1.keyring,/etc/ceph/keyring,/etc/ceph/keyring.bin,"),
    ] {
        assert_eq!(c.get(name).unwrap(), want, "{name}");
    }
    let mut foo = Config::for_id(Some("foo"));
    foo.read_file_in(Some(&path), &no_env()).unwrap();
    assert_eq!(foo.get("rbd_default_data_pool").unwrap(), "clientpool");
    assert_eq!(foo.get("log_file").unwrap(), "/tmp/t1-client.foo-client-foo.log");
}

#[test]
fn bad_values_in_files_are_skipped_and_bad_files_refused() {
    let dir = TempDir::new("bad");
    let ok = dir.write("d.conf", b"[global]\nrbd-cache = false\nrbd_cache_size = maybe\nrbd_default_pool = ok\n");
    let mut c = admin();
    c.read_file_in(Some(&ok), &no_env()).unwrap();
    assert_eq!(c.get("rbd_cache").unwrap(), "true");
    assert_eq!(c.get("rbd_cache_size").unwrap(), "33554432");
    assert_eq!(c.get("rbd_default_pool").unwrap(), "ok");
    // A parse error in the first existing file ends the search with EINVAL.
    let broken = dir.write("broken.conf", b"[global]\nrbd_default_pool = \"a#b\"\n");
    let mut c = admin();
    assert_eq!(c.read_file_in(Some(&format!("{broken},{ok}")), &no_env()), Err(Errno::EINVAL));
    assert_eq!(c.get("rbd_default_pool").unwrap(), "rbd");
}

#[test]
fn explicit_lists_and_cluster_names() {
    let dir = TempDir::new("list");
    let a = dir.write("mycl.conf", b"[global]\nrbd_default_pool = a\n");
    let missing = dir.path("missing.conf");
    let mut c = Config::for_id(None);
    c.read_file_in(Some(&format!("{missing};{a}")), &no_env()).unwrap();
    assert_eq!((c.cluster(), c.get("rbd_default_pool").unwrap().as_str()), ("mycl", "a"));
    // Space separated too; a directory is skipped (librados 16.2); /dev/null is empty.
    let sub = dir.path("sub.conf");
    std::fs::create_dir_all(&sub).unwrap();
    let mut c = Config::for_id(None);
    c.read_file_in(Some(&format!("{missing} {sub} {a}")), &no_env()).unwrap();
    assert_eq!(c.get("rbd_default_pool").unwrap(), "a");
    let mut c = Config::for_id(None);
    c.read_file_in(Some("/dev/null"), &no_env()).unwrap();
    assert_eq!(c.cluster(), "ceph");
    // A given cluster name is kept.
    let mut c = Config::for_name(Some("given"), "client.a").unwrap();
    c.read_file_in(Some(&a), &no_env()).unwrap();
    assert_eq!(c.cluster(), "given");
    let mut c = admin();
    assert_eq!(c.read_file_in(Some(&missing), &no_env()), Err(Errno::ENOENT));
    assert_eq!(c.read_file_in(Some(""), &no_env()), Err(Errno::ENOENT));
    assert_eq!(cluster_from_path("/etc/ceph/x.conf"), "x");
    assert_eq!(cluster_from_path("noext"), "ceph");
}

#[test]
fn search_path_order() {
    static N: AtomicU64 = AtomicU64::new(0);
    let cluster = format!("rbdrs-test-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let home = TempDir::new("home");
    let env = FakeEnv::with(&[("HOME", home.0.to_str().unwrap())]);
    let c = Config::new(&cluster, EntityName::client("admin"));
    assert_eq!(
        c.conf_search_list(DEFAULT_CONF_FILES, &env),
        [
            format!("/etc/ceph/{cluster}.conf"),
            format!("{}/.ceph/{cluster}.conf", home.0.display()),
            format!("{cluster}.conf")
        ]
    );
    // Nothing there yet: ENOENT (rados_conf_read_file(NULL) does the same).
    let mut c = Config::new(&cluster, EntityName::client("admin"));
    assert_eq!(c.read_file_in(None, &env), Err(Errno::ENOENT));
    home.write(&format!(".ceph/{cluster}.conf"), b"[global]\nrbd_default_pool = fromhome\n");
    c.read_file_in(None, &env).unwrap();
    assert_eq!(c.get("rbd_default_pool").unwrap(), "fromhome");
    // $CEPH_CONF replaces the whole list; the cluster defaults to "ceph".
    let other = home.write("other.conf", b"[global]\nrbd_default_pool = fromenv\n");
    let env = FakeEnv::with(&[("HOME", home.0.to_str().unwrap()), ("CEPH_CONF", &format!("/nonexistent {other}"))]);
    let mut c = Config::for_id(None);
    c.read_file_in(None, &env).unwrap();
    assert_eq!((c.cluster(), c.get("rbd_default_pool").unwrap().as_str()), ("ceph", "fromenv"));
    let env = FakeEnv::with(&[("CEPH_CONF", "")]);
    assert_eq!(Config::for_id(None).read_file_in(None, &env), Err(Errno::ENOENT));
}

#[test]
fn ceph_args_and_levels() {
    // librados 16.2 with CEPH_ARGS set to the same words. --id is not a
    // config option, so librados ignores it.
    let env = FakeEnv::with(&[(
        "T1",
        "--id foo --keyring /x --mon-host 1.2.3.4 --rbd-cache=false --debug-rbd 20 --log_file=/l --rbd-cache-size 2M",
    )]);
    let mut c = admin();
    c.parse_env_in(Some("T1"), &env);
    for (name, want) in [
        ("keyring", "/x"),
        ("mon_host", "1.2.3.4"),
        ("rbd_cache", "false"),
        ("debug_rbd", "20/20"),
        ("log_file", "/l"),
        ("rbd_cache_size", "2097152"),
    ] {
        assert_eq!(c.get(name).unwrap(), want, "{name}");
    }
    assert_eq!(c.name().to_string(), "client.admin");

    let env = FakeEnv::with(&[(
        "T2",
        "-m 5.6.7.8 -k /k --no-rbd-cache  --rbd-default-pool  p2 --foo bar --rbd_cache_size=3M",
    )]);
    let mut c = admin();
    c.parse_env_in(Some("T2"), &env);
    assert_eq!(c.get("mon_host").unwrap(), "5.6.7.8");
    assert_eq!(c.get("keyring").unwrap(), "/k");
    assert_eq!(c.get("rbd_cache").unwrap(), "false");
    assert_eq!(c.get("rbd_default_pool").unwrap(), "p2");
    assert_eq!(c.get("rbd_cache_size").unwrap(), "3145728");

    // The first bad value stops the parse; parse_env still "succeeds".
    let env = FakeEnv::with(&[("T3", "--rbd-cache-size=xx --rbd-default-pool=ok"), ("CEPH_KEYRING", "/from/env")]);
    let mut c = admin();
    c.parse_env_in(Some("T3"), &env);
    assert_eq!(c.get("rbd_default_pool").unwrap(), "rbd");
    assert_eq!(c.get("keyring").unwrap(), "/from/env");

    // Environment beats the file (read_file applies CEPH_ARGS after it);
    // set() beats a later file read (librados 16.2).
    let dir = TempDir::new("levels");
    let conf = dir.write("lv.conf", b"[global]\nrbd_default_pool = filep\nrbd_cache_size = 1M\nrbd_op_threads = 2\n");
    let env = FakeEnv::with(&[("CEPH_ARGS", "--rbd-default-pool envp")]);
    let mut c = admin();
    c.set("rbd_cache_size", "5M").unwrap();
    c.parse_argv(&["--rbd-op-threads", "6"]).unwrap();
    c.read_file_in(Some(&conf), &env).unwrap();
    assert_eq!(c.get("rbd_default_pool").unwrap(), "envp");
    assert_eq!(c.get("rbd_cache_size").unwrap(), "5242880");
    assert_eq!(c.get("rbd_op_threads").unwrap(), "6");
}

#[test]
fn parse_env_reads_the_real_environment() {
    let var = format!("RBDRS_CONFIG_TEST_ARGS_{}", std::process::id());
    std::env::set_var(&var, "--rbd-cache-max-dirty-age 2.5 --rbd_default_order=20");
    let mut c = admin();
    c.parse_env(Some(&var));
    std::env::remove_var(&var);
    assert_eq!(c.get("rbd_cache_max_dirty_age").unwrap(), "2.500000");
    assert_eq!(c.get_u64("rbd_default_order").unwrap(), 20);
    // Names std would panic on are treated as unset.
    c.parse_env(Some(""));
    c.parse_env(Some("A=B"));
}

#[test]
fn argv_forms_and_remainder() {
    let mut c = admin();
    let rest = c
        .parse_argv(&[
            "prog-arg",
            "--rbd-cache",
            "false",
            "--id",
            "x",
            "--no-rbd-skip-partial-discard",
            "--",
            "--rbd-default-pool=after",
        ])
        .unwrap();
    assert_eq!(rest, ["prog-arg", "--id", "x", "--", "--rbd-default-pool=after"]);
    assert_eq!(c.get("rbd_cache").unwrap(), "false");
    assert_eq!(c.get("rbd_skip_partial_discard").unwrap(), "false");
    assert_eq!(c.get("rbd_default_pool").unwrap(), "rbd");

    let mut c = admin();
    c.parse_argv(&["--rbd-cache", "--rbd-cache-writethrough-until-flush=0"]).unwrap();
    assert_eq!(c.get("rbd_cache").unwrap(), "true");
    assert_eq!(c.get("rbd_cache_writethrough_until_flush").unwrap(), "false");

    // librados 16.2 rados_conf_parse_argv: -22, earlier arguments applied.
    let mut c = admin();
    let r =
        c.parse_argv(&["--rbd-cache=false", "--mon-host", "9.9.9.9", "--rbd-cache-size=xx", "--rbd-default-pool=zz"]);
    assert_eq!(r, Err(Errno::EINVAL));
    assert_eq!(c.get("rbd_cache").unwrap(), "false");
    assert_eq!(c.get("mon_host").unwrap(), "9.9.9.9");
    assert_eq!(c.get("rbd_default_pool").unwrap(), "rbd");
    assert_eq!(admin().parse_argv(&["--rbd-cache=maybe"]), Err(Errno::EINVAL));
    assert_eq!(admin().parse_argv(&["--rbd-default-pool"]), Err(Errno::EINVAL));
    assert_eq!(admin().parse_argv(&["-m"]), Err(Errno::EINVAL));
    assert_eq!(admin().parse_argv(&["--debug-rbd=100"]), Err(Errno::ERANGE));

    // --default-X sets the default level: anything else beats it.
    let mut c = admin();
    c.parse_argv(&["--default-rbd-default-pool=dd"]).unwrap();
    assert_eq!(c.get("rbd_default_pool").unwrap(), "dd");
    c.set("rbd_default_pool", "ov").unwrap();
    assert_eq!(c.get("rbd_default_pool").unwrap(), "ov");

    // -d and -K.
    let dir = TempDir::new("argv");
    let kf = dir.write("kf", format!("{KEY}\n").as_bytes());
    let mut c = admin();
    c.parse_argv(&["-d", "-K", &kf]).unwrap();
    assert_eq!(c.get("log_to_stderr").unwrap(), "true");
    assert_eq!(c.get("key").unwrap(), format!("{KEY}\n"));
    assert_eq!(c.secret().unwrap().as_deref(), Some(KEY));
}

#[test]
fn keyring_lookup() {
    let dir = TempDir::new("keys");
    let other = "AQAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAA==";
    let ring = dir.write(
        "ceph.keyring",
        format!("[client.admin]\n\tkey = {KEY}\n\tcaps mon = \"allow *\"\n[client.other]\nkey = {other}\n").as_bytes(),
    );
    let missing = dir.path("missing.keyring");

    let mut c = admin();
    c.set("keyring", &format!("{missing},{ring}")).unwrap();
    assert_eq!(c.secret().unwrap().as_deref(), Some(KEY));
    let mut o = Config::new("ceph", EntityName::client("other"));
    o.set("keyring", &ring).unwrap();
    assert_eq!(o.secret().unwrap().as_deref(), Some(other));
    let mut nobody = Config::new("ceph", EntityName::client("nobody"));
    nobody.set("keyring", &ring).unwrap();
    assert_eq!(nobody.secret(), Err(Errno::ENOENT));

    // Only the first keyring that opens counts, as upstream.
    let empty = dir.write("empty.keyring", b"[client.other]\nkey = AQAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAA==\n");
    c.set("keyring", &format!("{empty},{ring}")).unwrap();
    assert_eq!(c.secret(), Err(Errno::ENOENT));
    c.set("keyring", &missing).unwrap();
    assert_eq!(c.secret(), Err(Errno::ENOENT));
    // A malformed keyring is EIO, unless key/keyfile make it moot.
    let bad = dir.write("bad.keyring", b"[client.admin]\nkey = AQ==\n");
    c.set("keyring", &bad).unwrap();
    assert_eq!(c.secret(), Err(Errno::EIO));
    c.set("key", other).unwrap();
    assert_eq!(c.secret().unwrap().as_deref(), Some(other));
    c.set("key", "garbage").unwrap();
    assert_eq!(c.secret(), Err(Errno::EINVAL));
    c.set("key", "").unwrap();
    c.set("keyfile", &missing).unwrap();
    assert_eq!(c.secret(), Err(Errno::ENOENT));
    let kf = dir.write("admin.key", format!("{KEY}\n").as_bytes());
    c.set("keyfile", &kf).unwrap();
    assert_eq!(c.secret().unwrap().as_deref(), Some(KEY));

    // No cephx among the client's methods: no key needed.
    c.set("auth_client_required", "none").unwrap();
    c.set("keyfile", &missing).unwrap();
    assert_eq!(c.secret(), Ok(None));
    c.set("auth_supported", "cephx").unwrap();
    assert_eq!(c.secret(), Err(Errno::ENOENT));
}

#[test]
fn malformed_inputs_never_panic() {
    let mut rng = rbdrs_core::random::XorShift::new(0x00c0_ffee_cafe_f00d);
    let dir = TempDir::new("fuzz");
    let words: Vec<&str> = options::all().iter().map(|d| d.name).take(40).collect();
    let alphabet = b"[]=#;\\\"' \t\r\n$-_{}./0123456789KMGTibB,xyz";
    let mut buf = vec![0u8; 300];
    for round in 0..300u64 {
        let len = (rng.next_u64() % 301) as usize;
        rng.fill(&mut buf[..len]);
        if round % 3 != 0 {
            for b in &mut buf[..len] {
                *b = alphabet[usize::from(*b) % alphabet.len()];
            }
        }
        // As a config file and as a keyring.
        let path = dir.write("f.conf", &buf[..len]);
        let mut c = admin();
        let _ = c.read_file_in(Some(&path), &no_env());
        let _ = c.set("keyring", &path);
        let _ = c.secret();
        // As option values and argument lists.
        let text = String::from_utf8_lossy(&buf[..len]).into_owned();
        for name in &words {
            let _ = c.set(name, &text);
            let _ = c.get(name);
        }
        let args: Vec<&str> = text.split(' ').collect();
        let _ = c.parse_argv(&args);
        let _ = c.set(&text, "1");
        let _ = c.get(&text);
        let _ = c.get_debug_levels("debug_rbd");
    }
}
