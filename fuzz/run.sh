#!/usr/bin/env bash
# Coverage-guided fuzzing of every decoder harness (core/src/fuzzing) with
# libFuzzer, on this machine's toolchain: RUSTC_BOOTSTRAP=1 lets stable
# rustc build libfuzzer-sys, and the SanitizerCoverage flags are the ones
# cargo-fuzz would pass (no AddressSanitizer: the core has no unsafe code).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60, all)
#
# Each target grows its corpus in fuzz/corpus/TARGET, minimised after the
# run (libFuzzer -merge) and committed; tests/fuzz_corpus.rs replays it in
# `cargo test`. A crash leaves its input in fuzz/artifacts/TARGET and makes
# the script fail: turn it into a regression test. Every run adds a line
# per target to fuzz/executions.tsv; fuzz/README.md has the totals.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
triple=x86_64-unknown-linux-gnu
export RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions"
# --target keeps these flags off build scripts, which have no libFuzzer.
cargo build --release --target "$triple" --target-dir target >&2
bin=target/$triple/release

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || mapfile -t targets < <(ls fuzz_targets | sed 's/\.rs$//')
failed=0
printf '%-14s %12s %10s %8s %8s\n' target executions exec/s cov corpus
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    log="artifacts/$t/last-run.log"
    status=0
    "$bin/$t" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="artifacts/$t/" \
        "corpus/$t" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
    # Keep the corpus small: only inputs that add coverage.
    rm -rf "corpus/$t.min" && mkdir "corpus/$t.min"
    "$bin/$t" -merge=1 "corpus/$t.min" "corpus/$t" >/dev/null 2>&1 && rm -rf "corpus/$t" && mv "corpus/$t.min" "corpus/$t"
    rm -rf "corpus/$t.min"
    printf '%-14s %12s %10s %8s %8s\n' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$(ls "corpus/$t" | wc -l)"
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$t" "$seconds" "${runs:-0}" "${cov:-0}" >>executions.tsv
    if [[ $status -ne 0 ]]; then
        echo "$t: libFuzzer exited $status; input and log in fuzz/artifacts/$t" >&2
        grep -E 'panicked|ERROR|deadly' "$log" | head -n 5 >&2
        failed=1
    else
        rm -f "$log"
    fi
done
printf '\ntotal executions per target so far (fuzz/executions.tsv):\n'
awk -F'\t' '{n[$2]+=$4} END {for (t in n) printf "  %-14s %14d\n", t, n[t]}' executions.tsv | sort
exit $failed
