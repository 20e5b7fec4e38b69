//! C programs against the C library: examples/rbd_example.c and
//! tests/c/rados_connect.c are compiled with `cc` against include/ and
//! linked with librbdrs twice, dynamically (librbdrs.so) and statically
//! (librbdrs.a), and both binaries run against a fresh local store. Before
//! linking, `nm` tells which of the functions a program calls the library
//! does not export. The programs use only upstream's API; where Debian's
//! librbd-dev/librados-dev are installed they are also compiled against
//! upstream's headers to keep it that way.

use std::path::{Path, PathBuf};
use std::process::Command;

const EXAMPLE: &str = "examples/rbd_example.c";

/// What Rust's std needs from the system when librbdrs.a is linked into a
/// C program (`cargo rustc -p librbdrs --crate-type staticlib -- --print
/// native-static-libs` on x86_64-unknown-linux-gnu).
const NATIVE_STATIC_LIBS: &[&str] = &["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

fn run(command: &mut Command) -> std::process::Output {
    command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

fn must_succeed(command: &mut Command) -> String {
    let out = run(command);
    assert!(
        out.status.success(),
        "{command:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rbdrs-c-api-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// The librados/librbd functions the example calls, read from its source.
fn called_functions(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in source.match_indices('(') {
        let ident: String = source[..at].chars().rev().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let ident: String = ident.chars().rev().collect();
        if (ident.starts_with("rbd_") || ident.starts_with("rados_")) && !names.contains(&ident) {
            names.push(ident);
        }
    }
    names.sort();
    names
}

fn example_source(root: &Path) -> String {
    std::fs::read_to_string(root.join(EXAMPLE)).unwrap_or_else(|e| panic!("{EXAMPLE}: {e}"))
}

/// Whether a header declares function `name`: a line outside comments
/// that holds ` name(` or `*name(`.
fn declares(header: &str, name: &str) -> bool {
    header
        .lines()
        .filter(|line| !line.trim_start().starts_with('*') && !line.trim_start().starts_with('/'))
        .any(|line| line.contains(&format!(" {name}(")) || line.contains(&format!("*{name}(")))
}

/// Builds the C library in the profile this test was built with and returns
/// the directory holding librbdrs.so and librbdrs.a. `cargo test` builds the
/// library only as a Rust dependency (target/<profile>/deps), so ask cargo
/// for the C artifacts; when they are fresh this is quick.
fn build_library(root: &Path) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/c_api-<hash>
    let profile_dir =
        exe.parent().and_then(Path::parent).expect("test binaries live in target/<profile>/deps").to_path_buf();
    let target_dir = profile_dir.parent().expect("target/<profile> has a parent");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut build = Command::new(cargo);
    build.current_dir(root).args(["build", "--locked", "-p", "librbdrs", "--target-dir"]).arg(target_dir);
    if profile_dir.ends_with("release") {
        build.arg("--release");
    } else {
        // The test profile, as `cargo test` used for the library already.
        build.args(["--profile", "test"]);
    }
    must_succeed(&mut build);
    // What ldconfig would do on install: programs linked with -lrbdrs
    // record the SONAME, librbdrs.so.1.
    let soname = profile_dir.join("librbdrs.so.1");
    if std::fs::read_link(&soname).is_err() {
        let _ = std::fs::remove_file(&soname);
        std::os::unix::fs::symlink("librbdrs.so", &soname).expect("link librbdrs.so.1 to librbdrs.so");
    }
    profile_dir
}

/// Exported symbols of the shared library that the example needs but
/// that are not there.
fn missing_exports(library: &Path, needed: &[String]) -> Vec<String> {
    let nm = must_succeed(Command::new("nm").args(["-D", "--defined-only"]).arg(library));
    let exported: Vec<&str> = nm.lines().filter_map(|line| line.split_whitespace().nth(2)).collect();
    needed.iter().filter(|name| !exported.contains(&name.as_str())).cloned().collect()
}

/// The example compiles warning-free against our headers: they declare
/// every call it makes, with upstream's types.
#[test]
fn example_compiles_against_our_headers() {
    let root = workspace_root();
    let source = example_source(&root);
    let headers: String = ["include/rados/librados.h", "include/rbd/librbd.h"]
        .iter()
        .map(|h| std::fs::read_to_string(root.join(h)).unwrap_or_else(|e| panic!("{h}: {e}")))
        .collect();
    let undeclared: Vec<String> = called_functions(&source).into_iter().filter(|f| !declares(&headers, f)).collect();
    assert!(undeclared.is_empty(), "{EXAMPLE} calls functions include/ does not declare: {undeclared:?}");
    must_succeed(
        Command::new("cc")
            .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only", "-I"])
            .arg(root.join("include"))
            .arg(root.join(EXAMPLE)),
    );
}

/// The C programs compile against upstream's installed headers too, so
/// they show nothing but the real librbd/librados API. Skipped without them.
#[test]
fn programs_compile_against_upstream_headers() {
    if !Path::new("/usr/include/rbd/librbd.h").exists() {
        eprintln!("skipped: upstream headers not installed (apt-get install librbd-dev librados-dev)");
        return;
    }
    let root = workspace_root();
    for program in [EXAMPLE, "tests/c/rados_connect.c"] {
        must_succeed(
            Command::new("cc")
                .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-fsyntax-only"])
                .arg(root.join(program)),
        );
    }
}

/// Compiles `source` against include/ and links it twice: with
/// librbdrs.so (found through an rpath) and with librbdrs.a. Returns the
/// two binaries. Fails, naming them, when the library lacks a function the
/// program calls.
fn link_both_ways(root: &Path, lib_dir: &Path, source: &str, dir: &Path) -> [PathBuf; 2] {
    let text = std::fs::read_to_string(root.join(source)).unwrap_or_else(|e| panic!("{source}: {e}"));
    let missing = missing_exports(&lib_dir.join("librbdrs.so"), &called_functions(&text));
    assert!(missing.is_empty(), "librbdrs.so does not export what {source} calls: {missing:?}");

    let stem = Path::new(source).file_stem().and_then(|s| s.to_str()).expect("a C file name");
    let compile = || {
        let mut cc = Command::new("cc");
        cc.args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-I"]).arg(root.join("include")).arg(root.join(source));
        cc
    };
    let shared = dir.join(format!("{stem}-shared"));
    let mut link = compile();
    link.arg("-L").arg(lib_dir).arg("-lrbdrs").arg(format!("-Wl,-rpath,{}", lib_dir.display()));
    must_succeed(link.arg("-o").arg(&shared));

    let fully_static = dir.join(format!("{stem}-static"));
    let mut link = compile();
    link.arg(lib_dir.join("librbdrs.a")).args(NATIVE_STATIC_LIBS);
    must_succeed(link.arg("-o").arg(&fully_static));
    // The static binary must not load librbdrs.so at run time.
    let dynamic = must_succeed(Command::new("readelf").arg("-d").arg(&fully_static));
    assert!(!dynamic.contains("librbdrs"), "{} still needs librbdrs.so:\n{dynamic}", fully_static.display());
    [shared, fully_static]
}

/// Runs `binary` with a fresh local store directory; returns its output
/// after checking it exited 0 and printed "ok" last.
fn run_with_fresh_store(binary: &Path, dir: &Path) -> String {
    // An empty ceph.conf: whatever /etc/ceph holds must not point the
    // program at a cluster.
    let conf = dir.join("ceph.conf");
    std::fs::write(&conf, "").expect("write an empty ceph.conf");
    let store = dir.join(format!("store-{}", binary.file_name().and_then(|n| n.to_str()).expect("a binary name")));
    let out = run(Command::new(binary).arg(&store).env("CEPH_CONF", &conf).env_remove("CEPH_ARGS"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{} failed ({}):\n{stdout}{stderr}", binary.display(), out.status);
    assert_eq!(stdout.lines().last(), Some("ok"), "{} did not finish:\n{stdout}", binary.display());
    stdout
}

/// A small librados program, linked both ways, runs against a local store.
#[test]
fn rados_program_runs_linked_dynamically_and_statically() {
    let root = workspace_root();
    let lib_dir = build_library(&root);
    let dir = scratch_dir("rados");
    for binary in link_both_ways(&root, &lib_dir, "tests/c/rados_connect.c", &dir) {
        let stdout = run_with_fresh_store(&binary, &dir);
        assert!(stdout.starts_with("librados 3.0.0; pool rbd has id "), "{}: {stdout}", binary.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The example, linked both ways, runs to the end against a fresh local
/// store and reports each step.
#[test]
fn example_runs_linked_dynamically_and_statically() {
    let root = workspace_root();
    let lib_dir = build_library(&root);
    let dir = scratch_dir("example");
    for binary in link_both_ways(&root, &lib_dir, EXAMPLE, &dir) {
        let stdout = run_with_fresh_store(&binary, &dir);
        for step in [
            "connected; pool rbd",
            "created example: 67108864 bytes",
            "wrote and read back 65536 bytes",
            "snapshot base still holds the first data",
            "cloned example@base to example-clone",
            "the parent and its snapshot are unchanged",
        ] {
            assert!(stdout.contains(step), "{} did not report {step:?}:\n{stdout}", binary.display());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_call_scan_finds_the_examples_calls() {
    // The parser above finds the calls; if it found none, the run test
    // would check nothing.
    let calls = called_functions(&example_source(&workspace_root()));
    for name in ["rados_create", "rados_connect", "rbd_create", "rbd_open", "rbd_clone", "rbd_close"] {
        assert!(calls.iter().any(|c| c == name), "{name} not found among {calls:?}");
    }
}

/// The functions a C header declares: identifiers named rbd_* or rados_*
/// followed by `(`, in the preprocessed header (so comments, macros and
/// function-pointer typedefs, written `(*name)(`, drop out).
fn declared_functions(header: &Path) -> Vec<String> {
    let text = must_succeed(Command::new("cc").args(["-E", "-P", "-x", "c"]).arg(header));
    let mut names = called_functions(&text);
    names.retain(|name| {
        text.match_indices(name.as_str()).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + name.len()..].trim_start();
            !matches!(before, Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '*') && after.starts_with('(')
        })
    });
    names
}

/// The dynamic symbols of `library`, with `@VERSION` where one is given.
fn dynamic_symbols(library: &Path) -> Vec<String> {
    let out = must_succeed(Command::new("readelf").args(["--dyn-syms", "-W"]).arg(library));
    out.lines()
        .filter(|line| line.contains(" FUNC "))
        .filter_map(|line| line.split_whitespace().nth(7))
        .map(String::from)
        .collect()
}

/// Every function upstream's librbd.h and librados.h declare (Debian's
/// librbd-dev and librados-dev) is exported, so any program written
/// against them links and loads.
#[test]
fn exports_every_function_upstream_headers_declare() {
    let headers = [Path::new("/usr/include/rbd/librbd.h"), Path::new("/usr/include/rados/librados.h")];
    for header in headers {
        assert!(header.exists(), "{} is missing: apt-get install librbd-dev librados-dev", header.display());
    }
    let lib_dir = build_library(&workspace_root());
    let exported = dynamic_symbols(&lib_dir.join("librbdrs.so"));
    // librbd.h includes librados.h: a set, so each name counts once.
    let mut missing = std::collections::BTreeSet::new();
    for header in headers {
        let declared = declared_functions(header);
        assert!(declared.len() > 200, "{} declares only {} functions?", header.display(), declared.len());
        missing.extend(declared.into_iter().filter(|name| !exported.contains(name)));
    }
    assert!(
        missing.is_empty(),
        "librbdrs.so does not export {} functions upstream declares: {missing:?}",
        missing.len()
    );
}

/// librbdrs.so carries a SONAME, and the symbol version programs linked
/// against Debian's librados bind (`rados_ioctx_pool_stat@LIBRADOS_14.2.0`
/// in python3-rados and libvirt), beside the unversioned name.
#[test]
fn shared_library_has_soname_and_librados_symbol_versions() {
    let lib = build_library(&workspace_root()).join("librbdrs.so");
    let dynamic = must_succeed(Command::new("readelf").arg("-d").arg(&lib));
    assert!(dynamic.contains("Library soname: [librbdrs.so.1]"), "no SONAME:\n{dynamic}");
    let symbols = dynamic_symbols(&lib);
    for name in ["rados_ioctx_pool_stat", "rados_ioctx_pool_stat@LIBRADOS_14.2.0"] {
        assert!(symbols.iter().any(|s| s == name), "{name} is not exported");
    }
}
