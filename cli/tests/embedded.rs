//! `rbdrs` as a user drives it, on a fresh embedded store: what it prints
//! (JSON keys as upstream rbd's), what it refuses with which exit code, and
//! that what it imports comes back out byte for byte.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

struct Store(PathBuf);

impl Store {
    fn new() -> Store {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("rbdrs-cli-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Store(dir)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rbdrs"))
            .args(args)
            .env("CEPH_ARGS", format!("--rbdrs_local_store {}", self.0.display()))
            .env_remove("CEPH_CONF")
            .output()
            .expect("rbdrs runs")
    }

    /// Runs and expects success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "rbdrs {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects exit code `code`; returns stderr.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(code), "rbdrs {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stderr).unwrap()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A file with data, zeros and a tail, `len` bytes.
fn sample(path: &Path, len: usize) -> Vec<u8> {
    let mut data = vec![0u8; len];
    for (i, b) in data.iter_mut().enumerate().take(len / 3) {
        *b = (i * 7 + 1) as u8;
    }
    for (i, b) in data.iter_mut().enumerate().skip(len - 5000) {
        *b = (i % 251) as u8;
    }
    std::fs::write(path, &data).unwrap();
    data
}

#[test]
fn create_list_info_resize_rename_remove() {
    let s = Store::new();
    s.ok(&["create", "--size", "100M", "a"]);
    s.ok(&["create", "--size", "1G", "--object-size", "1M", "--stripe-unit", "64K", "--stripe-count", "4", "rbd/b"]);
    assert_eq!(s.ok(&["ls"]), "a\nb\n");
    assert_eq!(s.ok(&["ls", "--format", "json"]), "[\"a\",\"b\"]\n");
    let info = s.ok(&["info", "b", "--format", "json"]);
    for want in [
        r#""name":"b""#,
        r#""size":1073741824"#,
        r#""objects":1024"#,
        r#""order":20"#,
        r#""object_size":1048576"#,
        r#""snapshot_count":0"#,
        r#""format":2"#,
        r#""features":["layering","striping","exclusive-lock","object-map","fast-diff","deep-flatten"]"#,
        r#""stripe_unit":65536,"stripe_count":4}"#,
    ] {
        assert!(info.contains(want), "{want} missing from {info}");
    }
    let plain = s.ok(&["info", "a"]);
    assert!(plain.starts_with("rbd image 'a':\n\tsize 100 MiB in 25 objects\n\torder 22 (4 MiB objects)\n"), "{plain}");

    // Shrinking needs the flag; growing does not.
    let err = s.fails(&["resize", "--size", "50M", "a"], 22);
    assert!(err.contains("--allow-shrink"), "{err}");
    s.ok(&["resize", "--size", "50M", "--allow-shrink", "--no-progress", "a"]);
    s.ok(&["resize", "--size", "2G", "--no-progress", "a"]);
    assert!(s.ok(&["info", "a", "--format", "json"]).contains(r#""size":2147483648"#));

    s.ok(&["mv", "a", "c"]);
    assert_eq!(s.ok(&["ls"]), "b\nc\n");
    s.ok(&["rm", "--no-progress", "c"]);
    let err = s.fails(&["info", "c"], 2);
    assert_eq!(err, "rbd: error opening image c: (2) No such file or directory\n");
    s.fails(&["rm", "--no-progress", "c"], 2);
    s.fails(&["create", "--size", "1M", "b"], 17);
    s.fails(&["create", "nosize"], 22);
    s.fails(&["frobnicate"], 22);
}

#[test]
fn snapshots_clones_and_flatten() {
    let s = Store::new();
    s.ok(&["create", "--size", "8M", "p"]);
    let dir = s.0.with_extension("files");
    std::fs::create_dir_all(&dir).unwrap();
    let original = sample(&dir.join("in"), 8 << 20);
    s.ok(&["import", "--no-progress", dir.join("in").to_str().unwrap(), "src"]);
    s.ok(&["snap", "create", "--no-progress", "src@one"]);
    s.ok(&["snap", "add", "--no-progress", "src@two"]);
    let snaps = s.ok(&["snap", "ls", "src", "--format", "json"]);
    assert!(
        snaps.starts_with(r#"[{"id":"#)
            && snaps.contains(r#""name":"one","size":8388608,"protected":"false","timestamp":""#),
        "{snaps}"
    );
    assert!(s.ok(&["snap", "ls", "src"]).starts_with("SNAPID  NAME"));

    // An image with snapshots is not removed; purge leaves protected ones.
    let err = s.fails(&["rm", "--no-progress", "src"], 39);
    assert!(err.contains("snap purge"), "{err}");
    s.ok(&["snap", "protect", "src@one"]);
    s.fails(&["snap", "rm", "--no-progress", "src@one"], 16);
    s.fails(&["snap", "purge", "--no-progress", "src"], 16);
    assert!(!s.ok(&["snap", "ls", "src", "--format", "json"]).contains("\"two\""));

    s.ok(&["clone", "src@one", "child"]);
    assert_eq!(
        s.ok(&["children", "src@one", "--format", "json"]),
        concat!(r#"[{"pool":"rbd","pool_namespace":"","image":"child"}]"#, "\n")
    );
    assert_eq!(s.ok(&["children", "src@one"]), "rbd/child\n");
    let info = s.ok(&["info", "child", "--format", "json"]);
    assert!(info.contains(r#""parent":{"pool":"rbd","pool_namespace":"","image":"src","id":""#), "{info}");
    assert!(info.contains(r#""snapshot":"one","trash":false,"overlap":8388608}"#), "{info}");
    let long = s.ok(&["ls", "-l", "--format", "json"]);
    assert!(long.contains(r#"{"image":"src","id":""#) && long.contains(r#""snapshot":"one","snapshot_id":"#), "{long}");
    assert!(
        long.contains(r#""parent":{"pool":"rbd","pool_namespace":"","image":"src","snapshot":"one"},"format":2}"#),
        "{long}"
    );

    // The clone reads its parent's data; after flatten it keeps it alone.
    s.fails(&["snap", "unprotect", "src@one"], 16);
    s.ok(&["flatten", "--no-progress", "child"]);
    assert!(!s.ok(&["info", "child", "--format", "json"]).contains("parent"));
    s.ok(&["snap", "unprotect", "src@one"]);
    s.ok(&["snap", "rm", "--no-progress", "src@one"]);
    s.ok(&["rm", "--no-progress", "src"]);
    s.ok(&["export", "--no-progress", "child", dir.join("out").to_str().unwrap()]);
    assert!(std::fs::read(dir.join("out")).unwrap() == original, "the flattened clone differs from its parent");

    // Rollback brings back what the snapshot saw.
    s.ok(&["snap", "create", "--no-progress", "child@before"]);
    let bench = s.ok(&["bench", "--io-type", "write", "--io-size", "64K", "--io-total", "2M", "child"]);
    assert!(bench.contains("elapsed:") && bench.contains("ops: 32"), "{bench}");
    assert!(s.run(&["export", "--no-progress", "child", "-"]).stdout != original);
    s.ok(&["snap", "rollback", "--no-progress", "child@before"]);
    assert!(s.run(&["export", "--no-progress", "child", "-"]).stdout == original, "rollback lost data");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn import_export_du_and_diff() {
    let s = Store::new();
    let dir = s.0.with_extension("io");
    std::fs::create_dir_all(&dir).unwrap();
    let len = (12 << 20) + 4096;
    let data = sample(&dir.join("disk.raw"), len);
    s.ok(&["import", "--no-progress", "--object-size", "1M", dir.join("disk.raw").to_str().unwrap()]);
    assert!(s.ok(&["info", "disk.raw", "--format", "json"]).contains(&format!(r#""size":{len}"#)));
    s.ok(&["export", "--no-progress", "disk.raw", dir.join("back").to_str().unwrap()]);
    assert!(std::fs::read(dir.join("back")).unwrap() == data, "export differs from what was imported");

    // Streams both ways: stdout, and stdin of unknown length.
    let streamed = s.run(&["export", "--no-progress", "disk.raw", "-"]);
    assert!(streamed.status.success() && streamed.stdout == data);
    let piped = Command::new(env!("CARGO_BIN_EXE_rbdrs"))
        .args(["import", "--no-progress", "-", "fromstdin"])
        .env("CEPH_ARGS", format!("--rbdrs_local_store {}", s.0.display()))
        .stdin(std::fs::File::open(dir.join("disk.raw")).unwrap())
        .output()
        .unwrap();
    assert!(piped.status.success(), "{}", String::from_utf8_lossy(&piped.stderr));
    assert_eq!(s.run(&["export", "--no-progress", "fromstdin", "-"]).stdout, data);

    // Zeros stay holes: the middle third of the image was never written.
    let du = s.ok(&["du", "disk.raw", "--format", "json"]);
    let used: u64 = du.split(r#""used_size":"#).nth(1).unwrap().split([',', '}']).next().unwrap().parse().unwrap();
    assert!(used < len as u64 && used >= (4 << 20), "used {used} of {len}: {du}");
    let diff = s.ok(&["diff", "disk.raw", "--format", "json"]);
    assert!(diff.starts_with(r#"[{"offset":0,"length":"#) && diff.contains(r#""exists":"true""#), "{diff}");
    assert_eq!(s.ok(&["status", "disk.raw"]), "Watchers: none\n");
    assert_eq!(s.ok(&["lock", "ls", "disk.raw", "--format", "json"]), "[]\n");
    let _ = std::fs::remove_dir_all(&dir);
}
