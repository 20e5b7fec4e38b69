#!/usr/bin/env bash
# librbdrs (B) against upstream librbd (A), same cluster, same run: fio's
# rbd engine on one image, as in ../shared/REFERENCE.md section 6 (1
# monitor + 1 memstore OSD on this machine). Rounds alternate A B A B...;
# the summary gives the medians of the per-round B/A ratios.
#
#   benches/cluster-fio.sh [SECONDS] [ROUNDS]       (defaults 8 and 3)
#
# Workloads: 4 KiB randread QD32, 4 KiB randwrite QD32, 4 KiB randread QD1,
# 4 MiB write QD8. Per run: IOPS, client CPU per IO (user+sys of the fio
# process divided by IOs), peak RSS, and the fio job process's threads.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$HERE/.."
SECS="${1:-8}"
ROUNDS="${2:-3}"
LIB="${RBDRS_LIB:-$(bash "$ROOT/ffi/dropin.sh")}"
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

# name rw bs iodepth
WORKLOADS=("randread-4k-qd32 randread 4k 32" "randwrite-4k-qd32 randwrite 4k 32"
    "randread-4k-qd1 randread 4k 1" "write-4m-qd8 write 4m 8")

run() { # LIB_LABEL LD_LIBRARY_PATH ROUND NAME RW BS DEPTH
    local label=$1 libpath=$2 round=$3 name=$4 rw=$5 bs=$6 depth=$7
    local json="$WORK/$label-$name-$round.json" timing="$WORK/$label-$name-$round.time"
    LD_LIBRARY_PATH="$libpath" /usr/bin/time -f '%U %S %M' -o "$timing" \
        fio --name="$name" --ioengine=rbd --clientname=admin --pool=rbd --rbdname=bench \
        --rw="$rw" --bs="$bs" --iodepth="$depth" --size=512M --time_based --runtime="$SECS" \
        --output-format=json --output="$json" &
    local pid=$! threads=0
    sleep $((SECS / 2 + 1))
    # fio runs the job in a child process: the busiest fio process's threads.
    threads=$(for p in $(pgrep -x fio); do ls /proc/"$p"/task | wc -l; done | sort -n | tail -n1)
    wait $pid
    python3 - "$label" "$name" "$round" "$rw" "$json" "$timing" "$threads" "$WORK/results" <<'PY'
import json, sys
label, name, rnd, rw, jpath, tpath, threads, results = sys.argv[1:]
job = json.load(open(jpath))["jobs"][0]
side = job["read" if "read" in rw else "write"]
user, sys_, rss_kb = open(tpath).read().split()
ios = max(side["total_ios"], 1)
r = {"lib": label, "name": name, "round": int(rnd), "iops": side["iops"],
     "cpu_us": (float(user) + float(sys_)) / ios * 1e6, "rss_mb": int(rss_kb) / 1024, "threads": int(threads)}
open(results, "a").write(json.dumps(r) + "\n")
print(f"round {rnd} {label:8} {name:18} {r['iops']:9.0f} IOPS {r['cpu_us']:8.1f} us CPU/IO  "
      f"RSS {r['rss_mb']:5.0f} MB  threads {threads}")
PY
}

echo "fio rbd engine, ${SECS}s per run, ${ROUNDS} rounds of A (librbd) B (librbdrs), 1 mon + 1 memstore OSD:"
for round in $(seq "$ROUNDS"); do
    for w in "${WORKLOADS[@]}"; do
        read -r name rw bs depth <<<"$w"
        run librbd "" "$round" "$name" "$rw" "$bs" "$depth"
        run librbdrs "$LIB" "$round" "$name" "$rw" "$bs" "$depth"
    done
done
python3 - "$WORK/results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("\nmedian B/A over rounds (B = librbdrs, A = librbd; CPU/IO and RSS: lower is better)")
print(f"{'workload':18} {'IOPS B/A':>9} {'CPU/IO B/A':>11} {'RSS B/A':>8}  {'A CPU/IO':>9} {'B CPU/IO':>9}")
for name in dict.fromkeys(r["name"] for r in rows):
    pairs = {}
    for r in rows:
        if r["name"] == name:
            pairs.setdefault(r["round"], {})[r["lib"]] = r
    ratios = [(p["librbdrs"], p["librbd"]) for p in pairs.values() if len(p) == 2]
    med = lambda f: statistics.median(f(b) / f(a) for b, a in ratios)
    a_cpu = statistics.median(a["cpu_us"] for _, a in ratios)
    b_cpu = statistics.median(b["cpu_us"] for b, _ in ratios)
    print(f"{name:18} {med(lambda r: r['iops']):9.2f} {med(lambda r: r['cpu_us']):11.2f} "
          f"{med(lambda r: r['rss_mb']):8.2f}  {a_cpu:8.1f}u {b_cpu:8.1f}u")
PY
