#!/usr/bin/env bash
# rbdrs (the command line on the Rust client) against upstream's rbd on the
# same cluster: the same JSON for ls -l, info, snap ls, children, du,
# status and lock ls of the same images, and images that either tool
# creates, snapshots, clones, flattens, imports or exports read back byte
# for byte by the other.
#
#   tests/cluster/cli.sh RBDRS        (CEPH_CONF names a running cluster)
set -euo pipefail
RBDRS="$(realpath "${1:?usage: cli.sh PATH_TO_RBDRS}")"
: "${CEPH_CONF:?CEPH_CONF must name the cluster}"
WORK="$(mktemp -d /tmp/rbdrs-cli.XXXXXX)"
# Image names of this run: a rerun on the same cluster starts clean.
P="cli$$"
trap 'rm -rf "$WORK"' EXIT

rbd_() { timeout 300 rbd --conf "$CEPH_CONF" "$@"; }
ours() { timeout 300 "$RBDRS" --conf "$CEPH_CONF" "$@"; }
fail() { echo "cli interop: $*" >&2; exit 1; }

# Both tools, same question, byte for byte the same answer: JSON with
# --format json, else the plain text.
compare() {
    local kind=$1
    shift
    rbd_ "$@" >"$WORK/out.up" 2>"$WORK/err.up" || fail "rbd $* failed: $(cat "$WORK/err.up")"
    ours "$@" >"$WORK/out.rs" 2>"$WORK/err.rs" || fail "rbdrs $* failed: $(cat "$WORK/err.rs")"
    if ! cmp -s "$WORK/out.up" "$WORK/out.rs"; then
        diff "$WORK/out.up" "$WORK/out.rs" >&2 || true
        fail "different $kind for '$*'"
    fi
    echo "  same $kind: $*"
}
same() { compare JSON "$@" --format json; }
same_plain() { compare text "$@"; }

# 40 MiB: data, a 12 MiB hole, data.
head -c 16M /dev/urandom >"$WORK/in.raw"
head -c 12M /dev/zero >>"$WORK/in.raw"
head -c 12M /dev/urandom >>"$WORK/in.raw"

echo "-- each tool makes images the other reads"
ours create --size 64M --object-size 1M --stripe-unit 256K --stripe-count 2 rbd/${P}-striped
rbd_ create --size 32M rbd/${P}-up
ours import --no-progress "$WORK/in.raw" rbd/${P}-ours
rbd_ import --no-progress "$WORK/in.raw" rbd/${P}-theirs
rbd_ export --no-progress rbd/${P}-ours "$WORK/a.raw"
cmp "$WORK/in.raw" "$WORK/a.raw" || fail "rbd export of an rbdrs import differs"
ours export --no-progress rbd/${P}-theirs "$WORK/b.raw"
cmp "$WORK/in.raw" "$WORK/b.raw" || fail "rbdrs export of an rbd import differs"
ours export --no-progress rbd/${P}-theirs - | cmp "$WORK/in.raw" - || fail "rbdrs export to stdout differs"
echo "  imports and exports: identical both ways"

echo "-- snapshots, clones, flatten"
ours snap create --no-progress rbd/${P}-ours@s1
rbd_ snap create --no-progress rbd/${P}-theirs@s1
ours snap protect rbd/${P}-ours@s1
rbd_ snap protect rbd/${P}-theirs@s1
ours clone rbd/${P}-theirs@s1 rbd/${P}-clone-by-ours
rbd_ clone rbd/${P}-ours@s1 rbd/${P}-clone-by-theirs
# The clones' data is the parents', whoever made and reads them.
rbd_ export --no-progress rbd/${P}-clone-by-ours "$WORK/c.raw"
cmp "$WORK/in.raw" "$WORK/c.raw" || fail "rbd reads an rbdrs clone wrong"
ours export --no-progress rbd/${P}-clone-by-theirs "$WORK/d.raw"
cmp "$WORK/in.raw" "$WORK/d.raw" || fail "rbdrs reads an rbd clone wrong"
# Snapshots hold the old data once the head moves on.
rbd_ bench --io-type write --io-size 1M --io-total 4M rbd/${P}-ours >/dev/null
ours bench --io-type write --io-size 1M --io-total 4M rbd/${P}-theirs >/dev/null
rbd_ export --no-progress rbd/${P}-theirs@s1 "$WORK/e.raw"
cmp "$WORK/in.raw" "$WORK/e.raw" || fail "rbd reads the snapshot under rbdrs's writes wrong"
ours export --no-progress rbd/${P}-ours@s1 "$WORK/f.raw"
cmp "$WORK/in.raw" "$WORK/f.raw" || fail "rbdrs reads the snapshot under rbd's writes wrong"
ours flatten --no-progress rbd/${P}-clone-by-theirs
rbd_ flatten --no-progress rbd/${P}-clone-by-ours
rbd_ export --no-progress rbd/${P}-clone-by-theirs "$WORK/g.raw"
cmp "$WORK/in.raw" "$WORK/g.raw" || fail "rbd reads an image rbdrs flattened wrong"
ours export --no-progress rbd/${P}-clone-by-ours "$WORK/h.raw"
cmp "$WORK/in.raw" "$WORK/h.raw" || fail "rbdrs reads an image rbd flattened wrong"
echo "  snapshots, clones and flattened clones: identical both ways"
ours snap create --no-progress rbd/${P}-up@plain
rbd_ clone rbd/${P}-ours@s1 rbd/${P}-second-child

echo "-- a separate data pool"
timeout 60 ceph --conf "$CEPH_CONF" osd pool create "${P}-data" 8 >/dev/null 2>&1 || fail "creating the data pool failed"
rbd_ pool init "${P}-data"
ours create --size 16M --data-pool "${P}-data" rbd/${P}-datapool
ours bench --io-type write --io-size 1M --io-total 4M rbd/${P}-datapool >/dev/null
rbd_ export --no-progress rbd/${P}-datapool "$WORK/i.raw"
ours export --no-progress rbd/${P}-datapool - | cmp "$WORK/i.raw" - || fail "the data pool image reads differently"
timeout 60 rados --conf "$CEPH_CONF" -p "${P}-data" ls | grep -q '^rbd_data\.' || fail "no data objects in the data pool"
echo "  data pool image: identical, data objects in the data pool"

echo "-- the same JSON from both tools"
same ls -l rbd
for image in ${P}-striped ${P}-up ${P}-ours ${P}-theirs ${P}-clone-by-ours ${P}-clone-by-theirs ${P}-second-child; do
    same info "rbd/$image"
    same snap ls "rbd/$image"
done
same children rbd/${P}-ours@s1
same children rbd/${P}-theirs@s1
same info rbd/${P}-datapool
same du rbd/${P}-up
same du rbd/${P}-striped
# With data, snapshots and writes after them (fast-diff's accounting).
same du rbd/${P}-ours
same du rbd/${P}-theirs
same du rbd/${P}-clone-by-ours
same du -p rbd
same_plain du -p rbd
same_plain info rbd/${P}-clone-by-ours
same_plain snap ls rbd/${P}-ours
same status rbd/${P}-ours
same lock ls rbd/${P}-ours
# Another client holds the image: a watch and an advisory lock.
sleep 30 | rbd_ watch rbd/${P}-up >/dev/null 2>&1 &
watcher=$!
rbd_ lock add rbd/${P}-up ${P}-test-lock
for _ in $(seq 50); do
    rbd_ status rbd/${P}-up --format json | grep -q '"client"' && break
    sleep 0.2
done
same status rbd/${P}-up
same lock ls rbd/${P}-up
same ls -l rbd
same_plain ls -l rbd
same_plain lock ls rbd/${P}-up
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true

echo "-- errors read as rbd's, with its exit codes"
set +e
ours info rbd/${P}-nonexistent 2>"$WORK/err"
code=$?
set -e
[[ $code -eq 2 ]] || fail "exit code $code for a missing image, rbd gives 2"
grep -qx "rbd: error opening image ${P}-nonexistent: (2) No such file or directory" "$WORK/err" \
    || fail "unexpected message: $(cat "$WORK/err")"

echo "-- cleanup by each tool"
rbd_ lock rm rbd/${P}-up ${P}-test-lock "$(rbd_ lock ls rbd/${P}-up --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["locker"])')"
ours rm --no-progress rbd/${P}-second-child
ours snap purge --no-progress rbd/${P}-up
ours rm --no-progress rbd/${P}-up
ours rm --no-progress rbd/${P}-datapool
rbd_ ls rbd | grep -qx ${P}-up && fail "rbd still lists an image rbdrs removed"
echo "rbdrs against rbd: OK"
