#!/usr/bin/env bash
# A throwaway Ceph cluster on 127.0.0.1 for interop tests: one monitor,
# N memstore OSDs, cephx, a replicated pool `rbd`. No manager daemon.
#
#   ceph-cluster.sh start [N_OSDS]   # default 3
#   ceph-cluster.sh status
#   ceph-cluster.sh env              # prints export lines for the tools
#   ceph-cluster.sh stop             # kills the daemons, removes the dir
#
# Environment: RBDRS_CEPH_DIR (default /tmp/rbdrs-ceph), RBDRS_CEPH_PORT
# (monitor's msgr2 port, default 3300; msgr1 listens on RBDRS_CEPH_PORT_V1,
# default 6789), RBDRS_CEPH_TIMEOUT (seconds to wait for the pool, 120).
set -euo pipefail

DIR=${RBDRS_CEPH_DIR:-/tmp/rbdrs-ceph}
PORT_V2=${RBDRS_CEPH_PORT:-3300}
PORT_V1=${RBDRS_CEPH_PORT_V1:-6789}
TIMEOUT=${RBDRS_CEPH_TIMEOUT:-120}
CONF=$DIR/ceph.conf
ADMIN_KEYRING=$DIR/ceph.client.admin.keyring
MON_ID=a

log() { printf '%s ceph-cluster: %s\n' "$(date +%T)" "$*" >&2; }

die() {
    log "error: $*"
    show_logs
    exit 1
}

show_logs() {
    [ -d "$DIR/log" ] || return 0
    local f
    for f in "$DIR"/log/*.log; do
        [ -e "$f" ] || continue
        printf '\n==== %s (last 40 lines) ====\n' "$f" >&2
        tail -n 40 "$f" >&2
    done
}

# Every admin command is bounded: a cluster that is not up must not hang us.
ceph_cmd() { timeout 30 ceph --conf "$CONF" --connect-timeout 20 "$@"; }

install_packages() {
    local missing=()
    command -v ceph-mon >/dev/null || missing+=(ceph-mon)
    command -v ceph-osd >/dev/null || missing+=(ceph-osd)
    { command -v ceph && command -v rados && command -v rbd; } >/dev/null || missing+=(ceph-common)
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        ceph-mon ceph-osd ceph-common
}

# The packaged default is a relative path; without the real one every
# cls call (so every `rbd create`) fails with EOPNOTSUPP.
find_class_dir() {
    local d=/usr/lib/x86_64-linux-gnu/rados-classes
    if [ ! -e "$d/libcls_rbd.so" ]; then
        d=$(dpkg -L ceph-osd 2>/dev/null | grep '/rados-classes/libcls_rbd.so' | head -n1 | xargs -r dirname)
    fi
    [ -n "$d" ] && [ -e "$d/libcls_rbd.so" ] || die "cannot find the rados-classes directory (libcls_rbd.so)"
    printf '%s\n' "$d"
}

write_conf() {
    local n=$1 class_dir=$2 size=2
    [ "$n" -eq 1 ] && size=1
    cat >"$CONF" <<EOF
[global]
fsid = $(cat /proc/sys/kernel/random/uuid)
mon host = [v2:127.0.0.1:$PORT_V2,v1:127.0.0.1:$PORT_V1]
public addr = 127.0.0.1
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
# One host: replicas must be allowed to land on OSDs of the same host.
osd crush chooseleaf type = 0
osd pool default size = $size
osd pool default min size = 1
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
auth allow insecure global id reclaim = false

[mon]
mon data = $DIR/mon.\$id
keyring = $DIR/mon.\$id/keyring

[osd]
osd data = $DIR/osd.\$id
keyring = $DIR/osd.\$id/keyring
osd objectstore = memstore
# memstore holds everything in RAM; a full OSD blocks clients forever.
memstore device bytes = 1073741824
osd class dir = $class_dir
osd class load list = *
osd class default list = *

[client]
keyring = $ADMIN_KEYRING
EOF
}

start_mon() {
    local mon_keyring=$DIR/mon.keyring
    ceph-authtool --create-keyring "$mon_keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    ceph-authtool --create-keyring "$ADMIN_KEYRING" --gen-key -n client.admin \
        --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
    ceph-authtool "$mon_keyring" --import-keyring "$ADMIN_KEYRING" >/dev/null
    local fsid
    fsid=$(sed -n 's/^fsid = //p' "$CONF")
    monmaptool --create --fsid "$fsid" \
        --addv "$MON_ID" "[v2:127.0.0.1:$PORT_V2,v1:127.0.0.1:$PORT_V1]" "$DIR/monmap" >/dev/null
    mkdir -p "$DIR/mon.$MON_ID"
    ceph-mon --conf "$CONF" --mkfs -i "$MON_ID" --monmap "$DIR/monmap" --keyring "$mon_keyring" \
        || die "ceph-mon --mkfs failed"
    cp "$mon_keyring" "$DIR/mon.$MON_ID/keyring"
    ceph-mon --conf "$CONF" -i "$MON_ID" >>"$DIR/log/daemons.log" 2>&1 || die "ceph-mon did not start"
    local deadline=$((SECONDS + TIMEOUT))
    until ceph_cmd mon stat >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || die "monitor not reachable after ${TIMEOUT}s"
        sleep 0.5
    done
}

start_osd() {
    local id=$1 uuid
    uuid=$(cat /proc/sys/kernel/random/uuid)
    mkdir -p "$DIR/osd.$id"
    # The key does not exist in the cluster yet, so the OSD must not ask
    # the monitor for its config while it makes its store.
    ceph-osd --conf "$CONF" -i "$id" --mkfs --mkkey --osd-uuid "$uuid" --no-mon-config \
        >>"$DIR/log/mkfs.log" 2>&1 || die "ceph-osd --mkfs for osd.$id failed"
    ceph_cmd auth add "osd.$id" osd 'allow *' mon 'allow profile osd' mgr 'allow profile osd' \
        -i "$DIR/osd.$id/keyring" >/dev/null 2>&1 || die "registering the key of osd.$id failed"
    local got
    got=$(ceph_cmd osd new "$uuid" "$id") || die "ceph osd new for osd.$id failed"
    [ "$got" = "$id" ] || die "osd new gave id $got, wanted $id"
    ceph-osd --conf "$CONF" -i "$id" >>"$DIR/log/daemons.log" 2>&1 || die "ceph-osd -i $id did not start"
}

num_up_osds() {
    ceph_cmd osd stat -f json 2>/dev/null | sed -n 's/.*"num_up_osds":\([0-9]*\).*/\1/p'
}

wait_for_osds() {
    local n=$1 deadline=$((SECONDS + TIMEOUT)) up
    while :; do
        up=$(num_up_osds || true)
        [ "${up:-0}" -ge "$n" ] && return 0
        [ $SECONDS -lt $deadline ] || die "only ${up:-0} of $n OSDs up after ${TIMEOUT}s"
        sleep 0.5
    done
}

create_pool() {
    local n=$1 size=2
    [ "$n" -eq 1 ] && size=1
    ceph_cmd osd pool create rbd 32 32 replicated >/dev/null 2>&1 || die "creating pool rbd failed"
    ceph_cmd osd pool set rbd size "$size" --yes-i-really-mean-it >/dev/null 2>&1 \
        || die "setting the size of pool rbd failed"
    ceph_cmd osd pool application enable rbd rbd >/dev/null 2>&1 || die "enabling rbd on pool rbd failed"
}

# Without a manager nobody reports PG states, so "active+clean" is seen
# from the client side: a write and a read through the pool succeed.
wait_for_pool() {
    local deadline=$((SECONDS + TIMEOUT)) probe=$DIR/probe
    printf 'rbdrs\n' >"$probe"
    until timeout 20 rados --conf "$CONF" -p rbd put rbdrs-probe "$probe" 2>/dev/null &&
        [ "$(timeout 20 rados --conf "$CONF" -p rbd get rbdrs-probe - 2>/dev/null)" = rbdrs ]; do
        [ $SECONDS -lt $deadline ] || die "pool rbd not writable after ${TIMEOUT}s"
        sleep 1
    done
    timeout 20 rados --conf "$CONF" -p rbd rm rbdrs-probe || true
    # Writes rbd_info and checks self-managed snapshots work.
    timeout 60 rbd --conf "$CONF" pool init rbd || die "rbd pool init failed"
}

cmd_start() {
    local n=${1:-3}
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 start [N_OSDS]" >&2; exit 2; }
    if [ -e "$CONF" ]; then
        echo "a cluster already exists in $DIR; run '$0 stop' first" >&2
        exit 1
    fi
    local t0=$SECONDS
    install_packages
    local t1=$SECONDS class_dir
    class_dir=$(find_class_dir)
    mkdir -p "$DIR/run" "$DIR/log"
    write_conf "$n" "$class_dir"
    log "starting mon.$MON_ID on 127.0.0.1:$PORT_V2 (v2) and :$PORT_V1 (v1)"
    start_mon
    local i
    for ((i = 0; i < n; i++)); do
        log "starting osd.$i"
        start_osd "$i"
    done
    wait_for_osds "$n"
    create_pool "$n"
    wait_for_pool
    log "cluster up: $n OSDs, pool rbd (install $((t1 - t0))s, start $((SECONDS - t1))s)"
    cat <<EOF
Ceph test cluster in $DIR
  monitor: v2:127.0.0.1:$PORT_V2 v1:127.0.0.1:$PORT_V1
  use it:  eval "\$($0 env)"; rbd ls rbd
EOF
}

cmd_stop() {
    local f pid pids=()
    for f in "$DIR"/run/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        if [[ "$pid" =~ ^[0-9]+$ ]] && kill "$pid" 2>/dev/null; then
            pids+=("$pid")
        fi
    done
    # Give them a moment to exit, then make sure.
    local deadline=$((SECONDS + 10))
    for pid in "${pids[@]}"; do
        while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
    done
    case "$DIR" in
        /|"") echo "refusing to remove '$DIR'" >&2; exit 1 ;;
    esac
    rm -rf "$DIR"
    log "stopped ${#pids[@]} daemons, removed $DIR"
}

cmd_status() {
    [ -e "$CONF" ] || { echo "no cluster in $DIR"; exit 1; }
    local f pid
    for f in "$DIR"/run/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        if kill -0 "$pid" 2>/dev/null; then
            echo "$(basename "$f" .pid): running (pid $pid)"
        else
            echo "$(basename "$f" .pid): not running"
        fi
    done
    ceph_cmd -s
}

cmd_env() {
    [ -e "$CONF" ] || { echo "no cluster in $DIR" >&2; exit 1; }
    echo "export CEPH_CONF=$CONF"
    echo "export CEPH_KEYRING=$ADMIN_KEYRING"
    echo "export RBDRS_CEPH_MON_HOST='[v2:127.0.0.1:$PORT_V2,v1:127.0.0.1:$PORT_V1]'"
}

case "${1:-}" in
    start) shift; cmd_start "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *) echo "usage: $0 {start [N_OSDS]|stop|status|env}" >&2; exit 2 ;;
esac
