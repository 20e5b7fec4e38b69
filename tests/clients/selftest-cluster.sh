#!/usr/bin/env bash
# Checks run.sh's rbd-specific expectations against REAL librbd: starts a
# throwaway Ceph cluster (1 monitor + 1 memstore OSD, no auth) on 127.0.0.1
# inside a private network namespace, runs
#   RBDRS_CLIENTS_SELFTEST=cluster run.sh /usr/lib/x86_64-linux-gnu <dir>
# against it with Debian's librbd, and stops the daemons again.
#
#   tests/clients/selftest-cluster.sh [WORKDIR]     (root; WORKDIR: a temp dir)
#
# Needs ceph-mon, ceph-osd and ceph-common (apt-get install them). Only used to
# validate the harness; the library itself is judged by run.sh.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
die() { printf 'selftest-cluster.sh: FAILED: %s\n' "$*" >&2; exit 1; }

if [[ -z "${RBDRS_CLIENTS_IN_NETNS:-}" ]]; then
    [[ $EUID -eq 0 ]] || die "must run as root (network namespace)"
    for t in ceph-mon ceph-osd ceph monmaptool uuidgen ip; do
        command -v "$t" >/dev/null || die "$t not found (apt-get install ceph-mon ceph-osd ceph-common)"
    done
    export RBDRS_CLIENTS_IN_NETNS=1
    exec unshare -n -- "$0" "$@"
fi

ip link set lo up
D="${1:-$(mktemp -d /tmp/rbdrs-cluster.XXXXXX)}"
mkdir -p "$D"
[[ -z "$(ls -A "$D")" ]] || die "$D is not empty"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

FSID="$(uuidgen)"
export CEPH_CONF="$D/ceph.conf"
cat >"$CEPH_CONF" <<EOF
[global]
fsid = $FSID
mon_host = v2:127.0.0.1:3300
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
run_dir = $D/run
log_file = $D/\$name.log
admin_socket = $D/run/\$name.asok
osd_class_dir = /usr/lib/x86_64-linux-gnu/rados-classes
osd_objectstore = memstore
memstore_device_bytes = 4294967296
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
client_mount_timeout = 30
rados_osd_op_timeout = 60
[mon]
mon_data = $D/mon.\$id
[osd]
osd_data = $D/osd.\$id
EOF
mkdir -p "$D/run"

echo "== monitor"
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:3300]" "$D/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$D/monmap" >/dev/null
ceph-mon -f -i a &
PIDS+=($!)
timeout 30 ceph -s >/dev/null || die "monitor did not answer (see $D/mon.a.log)"

echo "== osd"
OSD_UUID="$(uuidgen)"
OSD_ID="$(ceph osd new "$OSD_UUID")"
mkdir -p "$D/osd.$OSD_ID"
ceph-osd -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" --no-mon-config >/dev/null 2>&1 ||
    die "ceph-osd --mkfs failed (see $D/osd.$OSD_ID.log)"
ceph-osd -f -i "$OSD_ID" &
PIDS+=($!)
for _ in $(seq 60); do
    [[ "$(ceph osd stat -f json | jq .num_up_osds)" == 1 ]] && break
    sleep 1
done
[[ "$(ceph osd stat -f json | jq .num_up_osds)" == 1 ]] || die "osd did not come up (see $D/osd.$OSD_ID.log)"

echo "== pool rbd"
ceph osd pool create rbd 8 >/dev/null
ceph osd pool application enable rbd rbd >/dev/null
timeout 60 rbd pool init rbd
ceph -s

echo "== run.sh against Debian's librbd"
RBDRS_CLIENTS_SELFTEST=cluster "$HERE/run.sh" /usr/lib/x86_64-linux-gnu "$D/unused-store"
