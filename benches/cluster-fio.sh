#!/usr/bin/env bash
# librbdrs against upstream librbd, same cluster, same run: fio's rbd engine,
# 4 KiB random reads and writes at iodepth 32, as in ../shared/REFERENCE.md
# section 6 (1 monitor + 1 memstore OSD on this machine).
#
#   benches/cluster-fio.sh [SECONDS]      (default 15)
#
# Prints, per library and workload: IOPS, client CPU per IO (user+sys of the
# whole fio process divided by IOs), peak RSS, and the fio process's threads.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$HERE/.."
SECS="${1:-15}"
LIB="$(bash "$ROOT/ffi/dropin.sh")"
export RBDRS_CEPH_DIR="${RBDRS_CEPH_DIR:-$(mktemp -u /tmp/rbdrs-bench.XXXXXX)}"
export RBDRS_CEPH_PORT="${RBDRS_CEPH_PORT:-3394}" RBDRS_CEPH_PORT_V1="${RBDRS_CEPH_PORT_V1:-6794}"
WORK="$(mktemp -d /tmp/rbdrs-bench-work.XXXXXX)"
trap 'rm -rf "$WORK"; bash "$ROOT/tests/cluster/ceph-cluster.sh" stop >/dev/null 2>&1 || true' EXIT
bash "$ROOT/tests/cluster/ceph-cluster.sh" start 1 >/dev/null 2>&1
eval "$(bash "$ROOT/tests/cluster/ceph-cluster.sh" env)"

# memstore holds 1 GiB per OSD: a full OSD pauses every write.
rbd --conf "$CEPH_CONF" create --size 512M rbd/bench
# Reads must reach the OSD: fill the image first (upstream librbd).
fio --name=fill --ioengine=rbd --clientname=admin --pool=rbd --rbdname=bench \
    --rw=write --bs=4M --iodepth=4 --size=512M --output=/dev/null

run() { # LABEL LD_LIBRARY_PATH RW
    local label=$1 libpath=$2 rw=$3 json="$WORK/$1-$3.json" timing="$WORK/$1-$3.time"
    LD_LIBRARY_PATH="$libpath" /usr/bin/time -f '%U %S %M' -o "$timing" \
        fio --name="$rw" --ioengine=rbd --clientname=admin --pool=rbd --rbdname=bench \
        --rw="$rw" --bs=4k --iodepth=32 --size=512M --time_based --runtime="$SECS" \
        --output-format=json --output="$json" &
    local pid=$! threads=0
    sleep $((SECS / 2 + 1))
    # fio runs the job in a child process: the busiest fio process's threads.
    threads=$(for p in $(pgrep -x fio); do ls /proc/"$p"/task | wc -l; done | sort -n | tail -n1)
    wait $pid
    python3 - "$label" "$rw" "$json" "$timing" "$threads" <<'PY'
import json, sys
label, rw, jpath, tpath, threads = sys.argv[1:]
job = json.load(open(jpath))["jobs"][0]
side = job["read" if rw == "randread" else "write"]
user, sys_, rss_kb = open(tpath).read().split()
ios = side["total_ios"]
cpu = float(user) + float(sys_)
print(f"{label:9} {rw:9} {side['iops']:9.0f} IOPS  {cpu / ios * 1e6:6.1f} us CPU/IO  "
      f"RSS {int(rss_kb) / 1024:5.0f} MB  threads {threads}")
PY
}

echo "fio rbd engine, 4k, iodepth 32, ${SECS}s, 1 mon + 1 memstore OSD:"
for rw in randwrite randread; do
    run librbdrs "$LIB" "$rw"
    run librbd "" "$rw"
done
