//! The throwaway cluster of tests/cluster/ceph-cluster.sh, started on first
//! use (RBDRS_CEPH_DIR, RBDRS_CEPH_PORT and RBDRS_CEPH_PORT_V1 choose where),
//! and a few `ceph` CLI look-ups the tests compare with.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub struct Cluster {
    pub conf: PathBuf,
    pub keyring: PathBuf,
    pub mon_host: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cluster/ceph-cluster.sh")
}

/// Starts the cluster unless one is already in RBDRS_CEPH_DIR.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let dir = PathBuf::from(std::env::var("RBDRS_CEPH_DIR").unwrap_or_else(|_| "/tmp/rbdrs-ceph".into()));
        if !dir.join("ceph.conf").exists() {
            let status = Command::new("bash").arg(script()).args(["start", "3"]).status().expect("run ceph-cluster.sh");
            assert!(status.success(), "ceph-cluster.sh start failed");
        }
        let out = Command::new("bash").arg(script()).arg("env").output().expect("ceph-cluster.sh env");
        let env = String::from_utf8(out.stdout).unwrap();
        let mon_host = env
            .lines()
            .find_map(|l| l.strip_prefix("export RBDRS_CEPH_MON_HOST="))
            .expect("mon host in env")
            .trim_matches('\'')
            .to_string();
        Cluster { conf: dir.join("ceph.conf"), keyring: dir.join("ceph.client.admin.keyring"), mon_host }
    })
}

impl Cluster {
    /// `ceph <args> --format json`, as text.
    pub fn ceph_json(&self, args: &[&str]) -> String {
        let out = Command::new("timeout")
            .arg("30")
            .arg("ceph")
            .arg("--conf")
            .arg(&self.conf)
            .args(args)
            .args(["--format", "json"])
            .output()
            .expect("run ceph");
        assert!(out.status.success(), "ceph {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// The cluster's fsid from ceph.conf.
    pub fn fsid(&self) -> [u8; 16] {
        let conf = std::fs::read_to_string(&self.conf).unwrap();
        let text = conf.lines().find_map(|l| l.trim().strip_prefix("fsid = ")).expect("fsid in ceph.conf");
        let hex: String = text.chars().filter(|c| *c != '-').collect();
        let mut out = [0u8; 16];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    pub fn admin_key(&self) -> String {
        std::fs::read_to_string(&self.keyring).unwrap()
    }
}

/// The number after `"key":` at or after `from` in a JSON text.
pub fn json_number(json: &str, key: &str, from: usize) -> Option<(i64, usize)> {
    let pat = format!("\"{key}\":");
    let at = json[from..].find(&pat)? + from + pat.len();
    let digits: String = json[at..].chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
    Some((digits.parse().ok()?, at))
}
