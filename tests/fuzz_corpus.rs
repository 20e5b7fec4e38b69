//! Replays the corpora fuzz/run.sh grew (fuzz/corpus/TARGET) through the
//! same harnesses, so every input that once found new coverage, and every
//! crash turned into a corpus entry, runs on each `cargo test`.

use std::path::Path;

use rbdrs_core::fuzzing;

/// A harness: must return normally for any input.
type Harness = fn(&[u8]);

const TARGETS: &[(&str, Harness)] = &[
    ("cache", fuzzing::cache::run),
    ("cephx", fuzzing::cephx::run),
    ("cls_lock", fuzzing::cls_lock::run),
    ("cls_rbd", fuzzing::cls_rbd::run),
    ("encoding", fuzzing::encoding::run),
    ("mon", fuzzing::mon::run),
    ("msgr", fuzzing::msgr::run),
    ("naming", fuzzing::naming::run),
    ("object_map", fuzzing::object_map::run),
    ("objecter", fuzzing::objecter::run),
    ("osd_reply", fuzzing::osd_reply::run),
    ("osdmap", fuzzing::osdmap::run),
    ("striper", fuzzing::striper::run),
    ("watch_notify", fuzzing::watch_notify::run),
];

#[test]
fn every_fuzz_target_has_a_harness_here() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/fuzz_targets");
    let mut files: Vec<String> = std::fs::read_dir(&root)
        .expect("fuzz/fuzz_targets")
        .map(|e| e.expect("a directory entry").file_name().to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    files.sort();
    let mut names: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    names.sort();
    assert_eq!(files, names, "fuzz/fuzz_targets and this test's list differ");
}

#[test]
fn corpora_replay_without_panics() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut replayed = 0;
    for (name, harness) in TARGETS {
        let Ok(entries) = std::fs::read_dir(corpus.join(name)) else { continue };
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // A panic names the input through the test's output.
            eprintln!("{}", path.display());
            harness(&data);
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no corpus under fuzz/corpus: run fuzz/run.sh");
}
