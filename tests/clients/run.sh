#!/usr/bin/env bash
# Drives real, unmodified clients (qemu-img, qemu-io, fio from Debian) against
# a folder holding librbd.so.1 + librados.so.2, using the embedded local store.
#
#   tests/clients/run.sh LIBDIR STORE_DIR
#
# LIBDIR    folder with librbd.so.1 and librados.so.2 (e.g. symlinks to
#           target/release/librbdrs.so); it is put first in LD_LIBRARY_PATH.
# STORE_DIR empty (or absent) directory for the embedded store
#           (`rbdrs_local_store`).
#
# Stops with a clear message at the first problem. Runs inside a fresh network
# namespace (unshare -n) when it can, so nothing can leave the machine.
#
# Environment:
#   RBDRS_CLIENTS_STEPS="1 5"   run only these steps (default "1 2 3 4 5 6 7")
#   RBDRS_CLIENTS_QEMU_TIMEOUT / RBDRS_CLIENTS_FIO_TIMEOUT  seconds allowed per
#                               qemu-img/qemu-io command (120) / fio run (300)
#   RBDRS_CLIENTS_NO_UNSHARE=1  do not enter a new network namespace
#   RBDRS_CLIENTS_SELFTEST=file checks this script itself: the same commands
#                               run on local image files in STORE_DIR (qcow2
#                               where raw has no snapshots, fio with libaio);
#                               LIBDIR is not used.
#   RBDRS_CLIENTS_SELFTEST=cluster  the rbd checks without the local-store
#                               option, against the cluster named by the
#                               caller's CEPH_CONF (see selftest-cluster.sh);
#                               STORE_DIR is not used.
# Install the clients with tests/clients/install.sh first.
set -euo pipefail

usage() { echo "usage: $0 LIBDIR STORE_DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage

SELFTEST="${RBDRS_CLIENTS_SELFTEST:-}"
case "$SELFTEST" in
'' | file) ;;
cluster) [[ -n "${CEPH_CONF:-}" ]] || { echo "RBDRS_CLIENTS_SELFTEST=cluster needs CEPH_CONF" >&2; exit 2; } ;;
*) echo "RBDRS_CLIENTS_SELFTEST must be 'file', 'cluster' or unset" >&2; exit 2 ;;
esac

# --- a network namespace with nothing in it ---------------------------------
if [[ -z "${RBDRS_CLIENTS_IN_NETNS:-}" && -z "${RBDRS_CLIENTS_NO_UNSHARE:-}" ]]; then
    if unshare -n true 2>/dev/null; then
        export RBDRS_CLIENTS_IN_NETNS=1
        exec unshare -n -- "$0" "$@"
    fi
    echo "note: cannot unshare the network namespace (not root?); running in the host's" >&2
fi

# RBDRS_CLIENTS_STEPS="1 5" runs only those steps (default: all, in this order).
STEPS="${RBDRS_CLIENTS_STEPS:-1 2 3 4 5 6 7}"
for s in $STEPS; do
    [[ "$s" =~ ^[1-7]$ ]] || { echo "unknown step '$s' in RBDRS_CLIENTS_STEPS (steps are 1-7)" >&2; exit 2; }
done
T_QEMU="${RBDRS_CLIENTS_QEMU_TIMEOUT:-120}"   # seconds per qemu-img/qemu-io command
T_FIO="${RBDRS_CLIENTS_FIO_TIMEOUT:-300}"     # seconds per fio run
BLOCK_RBD=/usr/lib/x86_64-linux-gnu/qemu/block-rbd.so

STEP="setup"
fail() {
    printf '\nrun.sh: FAILED in step [%s]: %s\n' "$STEP" "$*" >&2
    exit 1
}
step() { STEP="$1"; printf '\n== [%s] %s\n' "$1" "$2"; }
note() { printf '   %s\n' "$*"; }

for tool in qemu-img qemu-io fio jq cmp timeout dd; do
    command -v "$tool" >/dev/null || fail "$tool not found (run tests/clients/install.sh)"
done

if [[ "$SELFTEST" == file ]]; then
    LIBDIR="$1"
else
    LIBDIR="$(cd "$1" 2>/dev/null && pwd)" || fail "LIBDIR '$1' is not a directory"
fi
mkdir -p "$2" || fail "cannot create STORE_DIR '$2'"
STORE="$(cd "$2" && pwd)"
[[ -z "$(ls -A "$STORE")" ]] || fail "STORE_DIR $STORE is not empty"
case "$STORE" in *:* | *@* | *\\* | *=*) fail "STORE_DIR must not contain ':' '@' '=' or '\\' (they are separators in rbd: names)" ;; esac

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rbdrs-clients.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
OUT="$WORK/out"

if [[ "$SELFTEST" == cluster ]]; then
    CONF="$CEPH_CONF"
    note "SELFTEST=cluster: images in the cluster of $CONF; STORE_DIR unused"
else
    CONF="$WORK/ceph.conf"
    printf '[global]\nrbdrs_local_store = %s\n' "$STORE" >"$CONF"
    export CEPH_CONF="$CONF"
fi

if [[ "$SELFTEST" == file ]]; then
    note "SELFTEST=file: local image files in $STORE; LIBDIR unused"
else
    for so in librbd.so.1 librados.so.2; do
        [[ -e "$LIBDIR/$so" ]] || fail "$LIBDIR/$so missing"
    done
    export LD_LIBRARY_PATH="$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    [[ -f "$BLOCK_RBD" ]] || fail "$BLOCK_RBD missing (run tests/clients/install.sh)"
    # Make sure the clients will really load LIBDIR's libraries, not the system's.
    for bin in "$BLOCK_RBD" "$(command -v fio)"; do
        for so in librbd.so.1 librados.so.2; do
            got="$(ldd "$bin" | awk -v so="$so" '$1 == so {print $3}')"
            # Absent is fine when LIBDIR's librbd.so.1 already is that file
            # (one library serving both names); any other path is not.
            [[ -z "$got" || "$(dirname "$got")" == "$LIBDIR" ]] ||
                fail "$bin would load $so from '$got', not from $LIBDIR"
        done
    done
    # The clients are linked with BIND_NOW: one missing symbol and QEMU cannot
    # load its rbd module at all, or fio does not start.
    HERE="$(cd "$(dirname "$0")" && pwd)"
    nm -D --defined-only "$LIBDIR/librbd.so.1" "$LIBDIR/librados.so.2" 2>/dev/null |
        awk 'NF == 3 {print $3}' | sed 's/@.*//' | sort -u >"$WORK/exported.txt"
    for client in qemu fio; do
        if [[ $client == qemu && ! "$STEPS" =~ [1-57] ]] || [[ $client == fio && ! "$STEPS" =~ 6 ]]; then continue; fi
        missing="$(sort -u "$HERE/imports-$client.txt" | comm -23 - "$WORK/exported.txt" | tr '\n' ' ')"
        [[ -z "$missing" ]] || fail "$LIBDIR does not export what $client imports (imports-$client.txt): $missing"
        note "$LIBDIR exports all $(wc -l <"$HERE/imports-$client.txt") symbols $client imports"
    done
fi

# --- helpers -----------------------------------------------------------------
# img NAME[@SNAP] -> what the clients open: rbd:pool/image[@snap]:key=value;
# files in the file selftest.
img() {
    case "$SELFTEST" in
    file) echo "$STORE/$1.img" ;;
    cluster) echo "rbd:rbd/$1" ;;
    *) echo "rbd:rbd/$1:rbdrs_local_store=$STORE" ;;
    esac
}
SNAPFMT=raw
[[ "$SELFTEST" == file ]] && SNAPFMT=qcow2

# show_cmd ARGS...: the command as one copy-pastable line.
show_cmd() {
    local a s="+"
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then s+=" $a"; else s+=" '$a'"; fi
    done
    printf '%s\n' "$s"
}

# run CMD...: print, run with a timeout, show the output, fail on nonzero exit.
run_rc() {
    local t="$T_QEMU" rc=0
    [[ "$1" == fio ]] && t="$T_FIO"
    CMDLINE="$(show_cmd "$@")"
    echo "$CMDLINE"
    CMDLINE="${CMDLINE#+ }"
    timeout -k 10 "$t" "$@" >"$OUT" 2>&1 || rc=$?
    sed 's/^/    /' "$OUT"
    [[ $rc -ne 124 && $rc -ne 137 ]] || fail "timed out after ${t}s: $CMDLINE"
    return $rc
}
run() {
    local rc=0
    run_rc "$@" || rc=$?
    [[ $rc -eq 0 ]] || fail "exit code $rc from: $CMDLINE"
}

# virtual size of an image, from qemu-img info --output=json
vsize() { timeout -k 10 "$T_QEMU" qemu-img info -f "${2:-raw}" --output=json "$1" | jq -r '."virtual-size"'; }
expect_size() {
    run qemu-img info -f raw "$1"
    local got
    got="$(vsize "$1")" || fail "qemu-img info --output=json failed on $1"
    [[ "$got" == "$2" ]] || fail "virtual size of $1 is $got, expected $2"
    note "virtual size $got: ok"
}

# qio CACHE URL [-f FMT] [-r] CMD...: one qemu-io session (-t CACHE unless
# empty; -r read-only) running the commands in order. Fails on a nonzero exit, on any "Pattern verification
# failed"/error/failed text, and when fewer I/O commands report completion
# ("wrote|read|discard N/N bytes at offset") than were given.
qio() {
    local cache="$1" url="$2" fmt=raw ro=()
    shift 2
    while [[ "$1" == -* ]]; do
        case "$1" in
        -f) fmt="$2"; shift 2 ;;
        -r) ro=(-r); shift ;;
        *) fail "qio: unknown option $1" ;;
        esac
    done
    local args=(-f "$fmt" "${ro[@]}") want=0 c
    [[ -n "$cache" ]] && args+=(-t "$cache")
    for c in "$@"; do
        args+=(-c "$c")
        [[ "$c" =~ ^(read|write|aio_read|aio_write|readv|writev|discard)\  ]] && want=$((want + 1))
    done
    local rc=0
    run_rc qemu-io "${args[@]}" "$url" || rc=$?
    if grep -qi 'pattern verification failed' "$OUT"; then
        fail "qemu-io: data mismatch ($(grep -i -m1 'pattern verification failed' "$OUT"))"
    fi
    if grep -qiE 'error|failed|not supported|cannot|could not' "$OUT"; then
        fail "qemu-io reported: $(grep -iE -m1 'error|failed|not supported|cannot|could not' "$OUT")"
    fi
    [[ $rc -eq 0 ]] || fail "exit code $rc from: $CMDLINE"
    local got
    got="$(grep -cE '^(wrote|read|discard) [0-9]+/[0-9]+ bytes at offset' "$OUT" || true)"
    [[ "$got" -eq "$want" ]] || fail "qemu-io completed $got of $want I/O commands"
}

# map_data URL OFFSET -> "true"/"false": the data flag qemu-img map reports for
# the extent holding OFFSET (from $WORK/map.json).
map_data() {
    jq -r --argjson o "$2" '[.[] | select(.start <= $o and $o < .start + .length)] |
        if length == 1 then (.[0].data | tostring) else "none" end' "$WORK/map.json"
}

M=$((1024 * 1024))
# --- 1. create, info, resize -------------------------------------------------
step1() {
    step 1 "qemu-img create / info / resize (grow and --shrink)"
    I1="$(img img1)"
    run qemu-img create -f raw "$I1" 64M
    expect_size "$I1" $((64 * M))
    qio "" "$I1" "write -P 0x33 60M 1M"
    run qemu-img resize -f raw "$I1" 128M
    expect_size "$I1" $((128 * M))
    qio "" "$I1" "read -P 0x33 60M 1M" "read -P 0 64M 64M" "write -P 0x44 120M 1M"
    run qemu-img resize -f raw --shrink "$I1" 96M
    expect_size "$I1" $((96 * M))
    qio "" "$I1" "read -P 0x33 60M 1M" "read -P 0 95M 1M"
    # Growing back must not resurrect what the shrink cut off.
    run qemu-img resize -f raw "$I1" 128M
    expect_size "$I1" $((128 * M))
    qio "" "$I1" "read -P 0 96M 32M" "read -P 0x33 60M 1M"
    if [[ "$SELFTEST" != file ]]; then
        note "the store given only by CEPH_CONF, and by conf=<file> in the name:"
        run qemu-img info -f raw "rbd:rbd/img1"
        run qemu-img info -f raw "rbd:rbd/img1:conf=$CONF"
        expect_size "rbd:rbd/img1" $((128 * M))
    fi
}

# --- 2. convert in and out ---------------------------------------------------
step2() {
    step 2 "qemu-img convert 256 MiB of random data in and out, cmp, compare"
    I2="$(img img2)"
    printf '+ dd if=/dev/urandom of=%s bs=1M count=256\n' "$WORK/rand.raw"
    dd if=/dev/urandom of="$WORK/rand.raw" bs=1M count=256 iflag=fullblock status=none || fail "dd from /dev/urandom failed"
    run qemu-img convert -f raw -O raw "$WORK/rand.raw" "$I2"
    expect_size "$I2" $((256 * M))
    run qemu-img convert -f raw -O raw "$I2" "$WORK/back.raw"
    run cmp "$WORK/rand.raw" "$WORK/back.raw"
    note "round trip byte-identical"
    rm -f "$WORK/back.raw"
    run qemu-img compare -f raw -F raw "$WORK/rand.raw" "$I2"
    grep -q 'Images are identical' "$OUT" || fail "qemu-img compare did not say 'Images are identical'"
    # Change one sector in the image: compare must now see it (exit 1), at that offset.
    qio "" "$I2" "write -P 0xff 200M 512"
    rc=0; run_rc qemu-img compare -f raw -F raw "$WORK/rand.raw" "$I2" || rc=$?
    [[ $rc -eq 1 ]] || fail "qemu-img compare after a change exited $rc, expected 1 (images differ)"
    grep -q "Content mismatch at offset $((200 * M))" "$OUT" || fail "qemu-img compare did not report the mismatch at offset $((200 * M))"
    # Out-of-order parallel writes (-W, 8 coroutines) into a second image.
    run qemu-img convert -W -m 8 -f raw -O raw "$WORK/rand.raw" "$(img img2w)"
    run qemu-img compare -f raw -F raw "$WORK/rand.raw" "$(img img2w)"
    rm -f "$WORK/rand.raw"
}

# --- 3. snapshots ------------------------------------------------------------
step3() {
    step 3 "qemu-img snapshot -c / -l / -a / -d"
    IS="$(img imgsnap)"
    snaplist_has() { awk -v s="$1" 'NR > 2 && $2 == s {f = 1} END {exit !f}' "$OUT"; }
    run qemu-img create -f "$SNAPFMT" "$IS" 64M
    qio "" "$IS" -f "$SNAPFMT" "write -P 0x5a 0 64k" "write -P 0x5b 5M 4k"
    run qemu-img snapshot -f "$SNAPFMT" -c s1 "$IS"
    run qemu-img snapshot -f "$SNAPFMT" -l "$IS"
    snaplist_has s1 || fail "qemu-img snapshot -l does not list s1"
    qio "" "$IS" -f "$SNAPFMT" "write -P 0xa5 0 64k" "write -P 0x77 8M 64k" "discard 4M 4M" \
        "read -P 0xa5 0 64k" "read -P 0x77 8M 64k" "read -P 0 5M 4k"
    if [[ "$SELFTEST" != file ]]; then
        note "the snapshot itself, opened read-only by name (rbd:pool/image@snap):"
        qio "" "$(img imgsnap@s1)" -r "read -P 0x5a 0 64k" "read -P 0x5b 5M 4k" "read -P 0 8M 64k"
    fi
    run qemu-img snapshot -f "$SNAPFMT" -a s1 "$IS"
    qio "" "$IS" -f "$SNAPFMT" "read -P 0x5a 0 64k" "read -P 0 8M 64k" "read -P 0x5b 5M 4k"
    run qemu-img snapshot -f "$SNAPFMT" -d s1 "$IS"
    run qemu-img snapshot -f "$SNAPFMT" -l "$IS"
    ! snaplist_has s1 || fail "s1 still listed after qemu-img snapshot -d"
    qio "" "$IS" -f "$SNAPFMT" "read -P 0x5a 0 64k" "read -P 0x5b 5M 4k"
}

# --- 4. block status ---------------------------------------------------------
step4() {
    step 4 "qemu-img map --output=json: allocated vs unallocated"
    IM="$(img imgmap)"
    run qemu-img create -f raw "$IM" 64M
    qio "" "$IM" "write -P 0x5a 0 4k" "write -P 0x5b 40M 64k" "write -P 0x5c 52M 4M" "discard 52M 4M"
    do_map() {
        run qemu-img map -f raw --output=json "$IM"
        cp "$OUT" "$WORK/map.json"
        jq -e 'type == "array"' "$WORK/map.json" >/dev/null || fail "qemu-img map output is not a JSON array"
        local covered
        covered="$(jq '[.[] | .length] | add' "$WORK/map.json")"
        [[ "$covered" -eq $((64 * M)) ]] || fail "qemu-img map covers $covered bytes, not the whole 64 MiB image"
    }
    expect_data() {   # expect_data true|false OFFSET...
        local want="$1" o got
        shift
        for o in "$@"; do
            got="$(map_data "$IM" "$o")"
            if [[ "$got" != "$want" ]]; then
                [[ "$want" == false && "$got" == true ]] &&
                    fail "qemu-img map says data at offset $o, which was never written (QEMU reports all data unless the image has FAST_DIFF and not FAST_DIFF_INVALID, and rbd_diff_iterate2 then leaves the object out)"
                fail "qemu-img map: data=$got at offset $o, expected $want"
            fi
        done
        note "data=$want at $*: ok"
    }
    do_map
    expect_data true 0 4095 $((40 * M)) $((40 * M + 65535))
    expect_data false $((8 * M)) $((20 * M)) $((36 * M - 1)) $((52 * M)) $((56 * M - 1)) $((60 * M)) $((64 * M - 1))
    if [[ "$SELFTEST" != file ]]; then
        # QEMU asks rbd_diff_iterate2 with whole_object=1: allocation is per object
        # (4 MiB with the default order 22), so exactly these two extents hold data.
        got="$(jq -c '[.[] | select(.data) | [.start, .length]]' "$WORK/map.json")"
        [[ "$got" == "[[0,$((4 * M))],[$((40 * M)),$((4 * M))]]" ]] ||
            fail "allocated extents $got, expected [[0,4MiB],[40MiB,4MiB]] (whole 4 MiB objects)"
        note "allocated extents are exactly objects 0 and 10: ok"
    fi
    # Discarding a whole object makes it unallocated again.
    qio "" "$IM" "discard 40M 4M" "read -P 0 40M 4M"
    do_map
    expect_data true 0
    expect_data false $((40 * M)) $((40 * M + 65535))
}

# --- 5 and 7. qemu-io patterns in each cache mode ----------------------------
# QEMU sets rbd_cache=true unless the cache mode is none/directsync; librbd's
# default rbd_cache_policy is writearound. OPTS (":key=value..." appended to
# the rbd: name) are passed by QEMU to rados_conf_set.
patterns() {   # patterns NAME CACHE [OPTS]
    local I
    I="$(img "$1")"
    run qemu-img create -f raw "$I" 64M
    I="$I${3:-}"
    qio "$2" "$I" \
        "write -P 0xab 0 64k" "read -P 0xab 0 64k" \
        "write -P 0x11 1000 3333" "read -P 0x11 1000 3333" "read -P 0xab 0 1000" "read -P 0xab 4333 61203" \
        "aio_write -P 0x22 1M 128k" "aio_flush" "read -P 0x22 1M 128k" \
        "write -P 0x33 4092k 8k" "read -P 0x33 4092k 8k" \
        "writev -P 0x44 6M 4k 512 8k" "readv -P 0x44 6M 8k 4k 512" \
        "discard 0 64k" "read -P 0 0 64k" \
        "write -z 2M 1M" "read -P 0 2M 1M" \
        "flush"
    # A new session (a fresh open) sees the same data.
    qio "$2" "$I" \
        "read -P 0 0 64k" "read -P 0x22 1M 128k" "read -P 0 2M 1M" \
        "read -P 0x33 4092k 8k" "read -P 0x44 6M 12800" "read -P 0 12M 1M"
}
step5() {
    step 5 "qemu-io pattern tests (qemu-io's default cache mode, writethrough)"
    patterns img3 ""
}
step7() {
    step 7a "qemu-io pattern tests with -t writeback"
    patterns img3wb writeback
    step 7b "qemu-io pattern tests with -t none (QEMU sets rbd_cache=false)"
    patterns img3none none
    step 7c "qemu-io with the cache in writeback policy; exit without a flush, reopen uncached"
    if [[ "$SELFTEST" == file ]]; then
        note "rbd cache options do not apply to files: skipped"
        return
    fi
    # Nothing but a flush or the close writes data back: no age limit, no
    # write-through before the first flush.
    local WB=":rbd_cache_policy=writeback:rbd_cache_writethrough_until_flush=false:rbd_cache_max_dirty_age=600"
    patterns img3wbp writeback "$WB"
    local I
    I="$(img img5)"
    run qemu-img create -f raw "$I" 64M
    # No flush command: qemu-io's exit closes the image, which must write back.
    qio writeback "$I$WB" "write -P 0x66 0 1M" "aio_write -P 0x67 3M 64k" "write -P 0x68 63M 1M" "read -P 0x67 3M 64k"
    qio none "$I" "read -P 0x66 0 1M" "read -P 0x67 3M 64k" "read -P 0x68 63M 1M" "read -P 0 1M 2M"
}

# --- 6. fio ------------------------------------------------------------------
step6() {
    step 6 "fio --ioengine=rbd: randwrite with crc32c verify, verify-only, randread, direct"
    note "CEPH_CONF=$CEPH_CONF:"
    sed 's/^/      /' "$CONF"
    I4="$(img img4)"
    run qemu-img create -f raw "$I4" 64M
    if [[ "$SELFTEST" == file ]]; then
        FIO_TARGET=(--ioengine=libaio --filename="$STORE/img4.img")
    else
        FIO_TARGET=(--ioengine=rbd --clientname=admin --pool=rbd --rbdname=img4)
    fi
    # fio_job NAME EXPECT_READ_IOS EXPECT_WRITE_IOS ARGS...: one job, JSON output;
    # fails on exit code, on error lines, on a job error, and on I/O counts.
    fio_job() {
        local name="$1" want_r="$2" want_w="$3"
        shift 3
        local json="$WORK/fio-$name.json"
        local rc=0
        run_rc fio --name="$name" "${FIO_TARGET[@]}" --bs=4k --iodepth=16 \
            --randrepeat=1 --randseed=4242 --output-format=json --output="$json" "$@" || rc=$?
        if grep -qiE 'verify|err=|error|fail|assert|bad' "$OUT"; then
            fail "fio reported: $(grep -iE -m1 'verify|err=|error|fail|assert|bad' "$OUT")"
        fi
        [[ $rc -eq 0 ]] || fail "exit code $rc from: $CMDLINE"
        jq -e '.jobs | length == 1' "$json" >/dev/null || fail "fio JSON output ($json) has no job"
        local err r w
        err="$(jq '.jobs[0].error' "$json")"; r="$(jq '.jobs[0].read.total_ios' "$json")"; w="$(jq '.jobs[0].write.total_ios' "$json")"
        note "fio $name: error=$err read_ios=$r write_ios=$w"
        [[ "$err" == 0 ]] || fail "fio job $name: error=$err"
        [[ "$want_r" == - || "$r" -eq "$want_r" ]] || fail "fio job $name: $r reads, expected $want_r"
        [[ "$want_w" == - || "$w" -eq "$want_w" ]] || fail "fio job $name: $w writes, expected $want_w"
        [[ "$r" -gt 0 || "$w" -gt 0 ]] || fail "fio job $name did no I/O"
    }
    N4K=$((64 * M / 4096))
    VERIFY=(--verify=crc32c --verify_fatal=1 --verify_backlog=0 --verify_state_save=0)
    # Every 4k block written once (random order) plus a flush every 64 writes, then
    # all of it read back and checked within the same job.
    fio_job randwrite-verify "$N4K" "$N4K" --rw=randwrite --size=64M --fsync=64 "${VERIFY[@]}" --do_verify=1
    # A new process checks what the first one left behind (fio counts the
    # writes it would have done as write I/Os here, so only reads are checked).
    fio_job verify-only "$N4K" - --rw=randwrite --size=64M "${VERIFY[@]}" --verify_only=1
    fio_job randread - 0 --rw=randread --size=64M --runtime=30
    # --direct=1: fio sets rbd_cache=false and skips its initial rbd_flush.
    fio_job randwrite-direct $((16 * M / 4096)) $((16 * M / 4096)) --rw=randwrite --size=16M --direct=1 "${VERIFY[@]}" --do_verify=1
}

# --- main --------------------------------------------------------------------
for s in $STEPS; do "step$s"; done
if [[ -z "$SELFTEST" && -z "$(ls -A "$STORE")" ]]; then
    STEP=end
    fail "the clients passed but $STORE is still empty: the data went somewhere else"
fi
step done "all client checks passed (steps: $STEPS)"
