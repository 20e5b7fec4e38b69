//! The C headers in include/ are generated from ffi/src by cbindgen, one
//! configuration per header (ffi/cbindgen-*.toml). This test generates them
//! again and fails when the committed ones differ; regenerate with
//!
//!     RBDRS_BLESS=1 cargo test -p rbdrs-tests --test headers
//!
//! (or `cargo test -p rbdrs-tests --test headers -- --ignored regenerate`).
//! It also compiles every header on its own as C and as C++, and, where
//! upstream's headers are installed (Debian's librbd-dev, librados-dev),
//! checks that struct layouts and constant values agree with them.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use cbindgen::ir::Item;

/// One generated header. cbindgen parses the whole crate for each; `owns`
/// picks the names this header declares.
struct Header {
    out: &'static str,
    config: &'static str,
    owns: fn(&str) -> bool,
}

fn rados_types_owns(name: &str) -> bool {
    matches!(name, "obj_watch_t" | "notify_ack_t" | "notify_timeout_t")
}

fn rados_owns(name: &str) -> bool {
    name.starts_with("rados_") || name.starts_with("LIBRADOS_")
}

fn features_owns(name: &str) -> bool {
    name.starts_with("RBD_FEATURE") || name.starts_with("RBD_OPERATION_FEATURE")
}

fn rbd_owns(name: &str) -> bool {
    !features_owns(name) && ["rbd_", "RBD_", "LIBRBD_", "librbd_", "EVENT_TYPE_"].iter().any(|p| name.starts_with(p))
}

const HEADERS: &[Header] = &[
    Header { out: "include/rados/rados_types.h", config: "ffi/cbindgen-rados-types.toml", owns: rados_types_owns },
    Header { out: "include/rados/librados.h", config: "ffi/cbindgen-rados.toml", owns: rados_owns },
    Header { out: "include/rbd/features.h", config: "ffi/cbindgen-rbd-features.toml", owns: features_owns },
    Header { out: "include/rbd/librbd.h", config: "ffi/cbindgen-rbd.toml", owns: rbd_owns },
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// The public items of ffi/src/types.rs, read with syn: every type there
/// goes into a header whether or not an export uses it yet, and the layout
/// check below walks the structs' fields.
struct TypesRs {
    type_names: Vec<String>,
    /// (name, field names) of each `#[repr(C)]` struct.
    structs: Vec<(String, Vec<String>)>,
    consts: Vec<String>,
}

fn read_types_rs(root: &Path) -> TypesRs {
    let path = root.join("ffi/src/types.rs");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let is_pub = |vis: &syn::Visibility| matches!(vis, syn::Visibility::Public(_));
    let mut types = TypesRs { type_names: Vec::new(), structs: Vec::new(), consts: Vec::new() };
    for item in file.items {
        match item {
            syn::Item::Type(t) if is_pub(&t.vis) => types.type_names.push(t.ident.to_string()),
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                let fields = s.fields.iter().filter_map(|f| f.ident.as_ref().map(|i| i.to_string())).collect();
                types.type_names.push(s.ident.to_string());
                types.structs.push((s.ident.to_string(), fields));
            }
            syn::Item::Const(c) if is_pub(&c.vis) => types.consts.push(c.ident.to_string()),
            _ => {}
        }
    }
    types
}

/// Runs cbindgen for `header`; also returns the exported functions no
/// header owns.
fn generate(root: &Path, types: &TypesRs, header: &Header) -> (String, Vec<String>) {
    let config_path = root.join(header.config);
    let mut config =
        cbindgen::Config::from_file(&config_path).unwrap_or_else(|e| panic!("{}: {e}", config_path.display()));
    config.export.include.extend(types.type_names.iter().cloned());
    let mut bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_crate(root.join("ffi"))
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen failed for {}: {e}", header.out));
    let unowned = bindings
        .functions
        .iter()
        .map(|f| f.path().name().to_string())
        .filter(|name| !HEADERS.iter().any(|h| (h.owns)(name)))
        .collect();
    let owns = header.owns;
    bindings.functions.retain(|f| owns(f.path().name()));
    bindings.constants.retain(|c| owns(c.path().name()));
    bindings.globals.retain(|g| owns(g.path().name()));
    bindings.items.retain(|i| owns(i.deref().path().name()));
    // cbindgen puts the types the exports use first; list them in types.rs's
    // order instead (which defines each type before its users), so adding an
    // export does not reshuffle the header. Others keep cbindgen's order, after.
    let position = |name: &str| types.type_names.iter().position(|t| t == name).unwrap_or(usize::MAX);
    bindings.items.sort_by_key(|i| position(i.deref().path().name()));
    let mut text = Vec::new();
    bindings.write(&mut text);
    (String::from_utf8(text).expect("cbindgen writes UTF-8"), unowned)
}

/// Where two texts first differ, for the failure message.
fn first_difference(committed: &str, generated: &str) -> String {
    let mut committed_lines = committed.lines();
    let mut generated_lines = generated.lines();
    for line in 1.. {
        match (committed_lines.next(), generated_lines.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => return "only in line endings".into(),
            (a, b) => {
                return format!(
                    "line {line}:\n    committed: {}\n    generated: {}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                )
            }
        }
    }
    unreachable!()
}

/// Generates every header; writes them when `bless`, else compares.
fn check_headers(bless: bool) {
    let root = workspace_root();
    let types = read_types_rs(&root);
    let mut stale = Vec::new();
    let mut unowned = BTreeSet::new();
    for header in HEADERS {
        let (generated, missed) = generate(&root, &types, header);
        unowned.extend(missed);
        let path = root.join(header.out);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed == generated {
            continue;
        }
        if bless {
            std::fs::create_dir_all(path.parent().expect("headers live in include/")).expect("create include/");
            std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            eprintln!("wrote {}", header.out);
        } else {
            stale.push(format!(
                "{} differs from what ffi/src generates, first at {}",
                header.out,
                first_difference(&committed, &generated)
            ));
        }
    }
    assert!(
        unowned.is_empty(),
        "exports that no header declares (name them rados_* or rbd_*, or route them in tests/headers.rs): {unowned:?}"
    );
    assert!(
        stale.is_empty(),
        "{}\n\nThe headers are generated: regenerate them with\n    RBDRS_BLESS=1 cargo test -p rbdrs-tests --test headers\nand commit include/.",
        stale.join("\n")
    );
}

#[test]
fn committed_headers_match_the_sources() {
    check_headers(std::env::var_os("RBDRS_BLESS").is_some_and(|v| v == "1"));
}

/// Rewrites include/ from ffi/src.
#[test]
#[ignore = "writes include/; run it to regenerate the headers"]
fn regenerate() {
    check_headers(true);
}

fn tool_output(command: &mut Command) -> std::process::Output {
    command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

fn must_succeed(command: &mut Command) -> String {
    let out = tool_output(command);
    assert!(
        out.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rbdrs-headers-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// Each committed header compiles on its own, warning-free, as C99 and C++.
#[test]
fn headers_compile_alone_as_c_and_cxx() {
    let root = workspace_root();
    let dir = scratch_dir("compile");
    for header in HEADERS {
        let include = header.out.strip_prefix("include/").expect("under include/");
        for (compiler, ext, std) in [("cc", "c", "-std=c99"), ("c++", "cc", "-std=c++11")] {
            let source = dir.join(format!("{}.{ext}", include.replace(['/', '.'], "_")));
            std::fs::write(&source, format!("#include <{include}>\nint rbdrs_header_test;\n"))
                .expect("write a test source");
            must_succeed(
                Command::new(compiler)
                    .args([std, "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
                    .arg(root.join("include"))
                    .arg(&source),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether `name` occurs in `text` as a whole identifier.
fn mentions(text: &str, name: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// Sizes, field offsets and constant values agree with upstream's headers,
/// for every struct and constant of types.rs that the installed upstream
/// headers also have (they may be older than Reef). Skipped without them.
#[test]
fn layouts_and_values_match_installed_upstream_headers() {
    let upstream_files = [
        "/usr/include/rbd/librbd.h",
        "/usr/include/rbd/features.h",
        "/usr/include/rados/librados.h",
        "/usr/include/rados/rados_types.h",
    ];
    let Ok(upstream) = upstream_files.iter().map(std::fs::read_to_string).collect::<Result<String, _>>() else {
        eprintln!("skipped: upstream headers not installed (apt-get install librbd-dev librados-dev)");
        return;
    };
    let root = workspace_root();
    let types = read_types_rs(&root);

    let mut program = String::from("#include <stddef.h>\n#include <stdio.h>\n#include <rbd/librbd.h>\n#include <rados/librados.h>\nint main(void) {\n");
    let mut compared = 0;
    for (name, fields) in &types.structs {
        if !mentions(&upstream, name) || name == "iovec" || name == "timespec" {
            continue;
        }
        // Upstream names some structs by tag only (struct rados_pool_stat_t).
        let c_type =
            if upstream.contains(&format!("struct {name} {{")) { format!("struct {name}") } else { name.clone() };
        writeln!(program, "  printf(\"sizeof {name} %zu\\n\", sizeof({c_type}));").unwrap();
        for field in fields {
            writeln!(program, "  printf(\"offsetof {name}.{field} %zu\\n\", offsetof({c_type}, {field}));").unwrap();
        }
        compared += 1;
    }
    for name in &types.consts {
        if mentions(&upstream, name) {
            writeln!(program, "  printf(\"{name} %llu\\n\", (unsigned long long)({name}));").unwrap();
            compared += 1;
        }
    }
    program.push_str("  return 0;\n}\n");
    assert!(compared > 50, "only {compared} names found in the upstream headers");
    eprintln!("comparing {compared} structs and constants with the installed upstream headers");

    let dir = scratch_dir("layouts");
    let source = dir.join("layouts.c");
    std::fs::write(&source, &program).expect("write the layout program");
    let run = |label: &str, include: Option<&Path>| {
        let exe = dir.join(label);
        let mut cc = Command::new("cc");
        if let Some(include) = include {
            cc.arg("-I").arg(include);
        }
        must_succeed(cc.arg("-w").arg(&source).arg("-o").arg(&exe));
        must_succeed(&mut Command::new(&exe))
    };
    let ours = run("ours", Some(&root.join("include")));
    let theirs = run("upstream", None);
    let _ = std::fs::remove_dir_all(&dir);
    let differences: Vec<String> = ours
        .lines()
        .zip(theirs.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("ours: {a}    upstream: {b}"))
        .collect();
    assert!(differences.is_empty(), "layouts or values differ from upstream's:\n{}", differences.join("\n"));
    assert_eq!(ours.lines().count(), theirs.lines().count());
}
