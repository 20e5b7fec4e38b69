#!/usr/bin/env bash
# librbdrs among other clients of one image (librbd's watch/notify and
# exclusive-lock protocol), judged by upstream's tools:
#  - two qemu-io processes, every pairing of librbdrs and upstream librbd,
#    write one image alternately while both keep it open; upstream's
#    `rbd export` must show every byte each wrote;
#  - while a process on librbdrs holds an image (tests/c/holder.c),
#    upstream's rbd snapshots, resizes, rebuilds the object map, lists the
#    lock and the watcher, flattens a clone, and refuses `rm`; the holder
#    sees the new size and snapshot without reopening; the same against an
#    upstream holder prints the times to compare;
#  - roles swapped: rbdrs snapshots, resizes and flattens images an
#    upstream process holds, by proxying them to it (its log must show it
#    ran them: the lock stays where it is);
#  - a holder killed with -9, on either library: the other takes over its
#    writes once the watch times out (librbdrs blocklists the dead owner
#    first, as librbd does), and what it acknowledged is there.
#
#   tests/cluster/peers.sh LIBDIR RBDRS   (CEPH_CONF names a running cluster)
set -euo pipefail
LIBDIR="$(cd "${1:?usage: peers.sh LIBDIR RBDRS}" && pwd)"
RBDRS="$(realpath "${2:?usage: peers.sh LIBDIR RBDRS}")"
: "${CEPH_CONF:?CEPH_CONF must name the cluster}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d /tmp/rbdrs-peers.XXXXXX)"
P="peer$$"
trap 'pkill -9 -f "$WORK/holder" 2>/dev/null || true; rm -rf "$WORK"' EXIT

fail() { echo "peers: $*" >&2; exit 1; }
rbd_() { timeout 120 rbd --conf "$CEPH_CONF" "$@"; }
ours_rbd() { timeout 120 "$RBDRS" --conf "$CEPH_CONF" "$@"; }
# qemu-io on librbdrs (lib=ours) or on upstream librbd (lib=up).
qio() {
    local lib=$1
    shift
    if [ "$lib" = ours ]; then
        LD_LIBRARY_PATH="$LIBDIR" timeout 120 qemu-io "$@"
    else
        timeout 120 qemu-io "$@"
    fi
}
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
# The bytes of image $1 at $2, $3 long, as one hex pattern per 4 KiB.
bytes_at() {
    rm -f "$WORK/export"
    rbd_ export "$1" "$WORK/export" >/dev/null 2>&1 || fail "rbd export $1 failed"
    od -An -v -tx1 -w4096 -j "$2" -N "$3" "$WORK/export" | cut -c2-3
}

gcc -Wall -Werror -O1 -o "$WORK/holder" "$HERE/../c/holder.c" -lrbd -lrados

echo "-- two writers, alternately, both keeping the image open"
for pair in "ours up" "up ours" "ours ours" "up up"; do
    set -- $pair
    img="$P-pair-$1-$2"
    rbd_ create --size 64M "rbd/$img"
    spec="rbd:rbd/$img:conf=$CEPH_CONF"
    # A writes, B writes while A holds the lock, A writes again.
    { echo "write -P 0xa1 0 4k"; sleep 3; echo "write -P 0xa2 8k 4k"; sleep 2; echo quit; } |
        qio "$1" -f raw "$spec" >"$WORK/a.log" 2>&1 &
    sleep 1.5
    t=$(now)
    qio "$2" -f raw -c "write -P 0xb1 4k 4k" "$spec" >"$WORK/b.log" 2>&1 || fail "$2 could not write while $1 held $img: $(cat "$WORK/b.log")"
    took=$(since "$t")
    wait $! || fail "$1 failed: $(cat "$WORK/a.log")"
    grep -q "wrote 4096/4096 bytes at offset 8192" "$WORK/a.log" || fail "$1's second write: $(cat "$WORK/a.log")"
    got=$(bytes_at "rbd/$img" 0 12288 | tr '\n' ' ')
    [ "$got" = "a1 b1 a2 " ] || fail "$img reads '$got', not 'a1 b1 a2'"
    printf '  %-5s holds, %-5s writes: ok, second writer done in %.2f s (its whole process)\n' "$1" "$2" "$took"
done

# Runs the holder on $1's library for image $2 for $3 seconds; waits until it wrote.
hold() {
    rm -f "$WORK/ready"
    # No `timeout` wrapper: $HOLDER must be the holder itself, which the
    # kill tests kill. It ends on its own; the trap kills what is left.
    if [ "$1" = ours ]; then
        LD_LIBRARY_PATH="$LIBDIR" "$WORK/holder" "$CEPH_CONF" rbd "$2" "$3" "$WORK/ready" >"$WORK/holder.log" 2>&1 &
    else
        "$WORK/holder" "$CEPH_CONF" rbd "$2" "$3" "$WORK/ready" >"$WORK/holder.log" 2>&1 &
    fi
    HOLDER=$!
    for _ in $(seq 300); do
        [ -e "$WORK/ready" ] && return 0
        kill -0 $HOLDER 2>/dev/null || break
        sleep 0.1
    done
    fail "holder on $1 did not start: $(cat "$WORK/holder.log")"
}
# Times one command; its output goes to $WORK/out.
timed() {
    local t
    t=$(now)
    "$@" >"$WORK/out" 2>&1 || fail "'$*' failed: $(cat "$WORK/out")"
    printf '%.2f' "$(since "$t")"
}

echo "-- upstream rbd manages images a process holds open"
for holder in ours up; do
    img="$P-held-$holder"
    rbd_ create --size 64M "rbd/$img"
    rbd_ create --size 64M "rbd/$img-base"
    rbd_ snap create "rbd/$img-base@p" >/dev/null 2>&1
    rbd_ snap protect "rbd/$img-base@p"
    rbd_ clone "rbd/$img-base@p" "rbd/$img-clone"
    hold $holder "$img-clone" 4
    t_flatten=$(timed rbd_ flatten "rbd/$img-clone")
    wait $HOLDER || fail "holder of the clone failed: $(cat "$WORK/holder.log")"
    hold $holder "$img" 6
    rbd_ rm "rbd/$img" >"$WORK/out" 2>&1 && fail "rbd rm removed $img while $holder held it"
    grep -q "image has watchers" "$WORK/out" || fail "rbd rm: $(cat "$WORK/out")"
    t_snap=$(timed rbd_ snap create "rbd/$img@s1")
    t_resize=$(timed rbd_ resize --size 128M "rbd/$img")
    t_rebuild=$(timed rbd_ object-map rebuild "rbd/$img")
    # A request the owner does not know (metadata updates are newer than
    # librbdrs's owner) is turned back, not left unanswered: the
    # requester takes the lock instead of waiting for the holder to exit.
    t_meta=$(timed rbd_ image-meta set "rbd/$img" k v)
    kill -0 $HOLDER 2>/dev/null || fail "rbd image-meta set waited for the $holder holder to exit"
    # The holder takes the lock back at its next write (every 250 ms).
    sleep 1
    t_lock=$(timed rbd_ lock ls "rbd/$img")
    grep -q "auto " "$WORK/out" || fail "rbd lock ls shows no lock: $(cat "$WORK/out")"
    t_status=$(timed rbd_ status "rbd/$img")
    grep -q "watcher=" "$WORK/out" || fail "rbd status shows no watcher: $(cat "$WORK/out")"
    wait $HOLDER || fail "holder failed: $(cat "$WORK/holder.log")"
    grep -q "^after: owner=1 size=134217728 snaps=s1$" "$WORK/holder.log" ||
        fail "the $holder holder did not see the new size and snapshot: $(cat "$WORK/holder.log")"
    # Writes after the snapshot went to a clone of the object: the
    # snapshot keeps what was there when it was taken.
    [ "$(bytes_at "rbd/$img@s1" 0 4096)" = aa ] || fail "snapshot s1 lost the first write"
    [ "$(bytes_at "rbd/$img@s1" 8192 4096)" != "$(bytes_at "rbd/$img" 8192 4096)" ] ||
        fail "writes after the snapshot reached s1 (stale snapshot context)"
    printf '  holder on %-4s: flatten %s s, snap create %s s, resize %s s, object-map rebuild %s s, image-meta set %s s, lock ls %s s, status %s s; rm refused\n' \
        $holder "$t_flatten" "$t_snap" "$t_resize" "$t_rebuild" "$t_meta" "$t_lock" "$t_status"
done

echo "-- rbdrs manages images an upstream process holds open"
img="$P-swap"
rbd_ create --size 64M "rbd/$img"
rbd_ snap create "rbd/$img@p" >/dev/null 2>&1
rbd_ snap protect "rbd/$img@p"
rbd_ clone "rbd/$img@p" "rbd/$img-clone"
CEPH_ARGS="--debug-rbd=10 --log-file=$WORK/holder-rbd.log" hold up "$img-clone" 6
t_snap=$(timed ours_rbd snap create "rbd/$img-clone@s1")
t_resize=$(timed ours_rbd resize --size 128M "rbd/$img-clone")
t_flatten=$(timed ours_rbd flatten "rbd/$img-clone")
wait $HOLDER || fail "upstream holder failed: $(cat "$WORK/holder.log")"
grep -q "^after: owner=1 size=134217728 snaps=s1$" "$WORK/holder.log" ||
    fail "the upstream holder did not see rbdrs's changes: $(cat "$WORK/holder.log")"
rbd_ info "rbd/$img-clone" | grep -q parent: && fail "rbdrs flatten left the parent"
for op in snap_create resize flatten; do
    grep -q "remote $op request" "$WORK/holder-rbd.log" ||
        fail "rbdrs did not proxy $op to the upstream owner"
done
printf '  rbdrs snap create %s s, resize %s s, flatten %s s, each run by the upstream owner; it saw them\n' "$t_snap" "$t_resize" "$t_flatten"

echo "-- a librbdrs holder killed with -9"
img="$P-killed"
rbd_ create --size 64M "rbd/$img"
hold ours "$img" 60
kill -9 $HOLDER
t=$(now)
qio up -f raw -c "write -P 0xb1 4k 4k" "rbd:rbd/$img:conf=$CEPH_CONF" >"$WORK/b.log" 2>&1 || fail "upstream could not take over: $(cat "$WORK/b.log")"
took=$(since "$t")
[ "$(bytes_at "rbd/$img" 0 8192 | tr '\n' ' ')" = "aa b1 " ] || fail "the dead holder's acknowledged write is gone"
printf '  upstream took over in %.1f s (the watch timeout is 30 s); the acknowledged write is there\n' "$took"

echo "-- an upstream holder killed with -9"
img="$P-killed-up"
rbd_ create --size 64M "rbd/$img"
hold up "$img" 60
owner=$(rbd_ lock ls "rbd/$img" | awk '/auto / {print $NF}')
kill -9 $HOLDER
t=$(now)
qio ours -f raw -c "write -P 0xb1 4k 4k" "rbd:rbd/$img:conf=$CEPH_CONF" >"$WORK/b.log" 2>&1 || fail "librbdrs could not take over: $(cat "$WORK/b.log")"
took=$(since "$t")
[ "$(bytes_at "rbd/$img" 0 8192 | tr '\n' ' ')" = "aa b1 " ] || fail "the dead holder's acknowledged write is gone"
timeout 60 ceph --conf "$CEPH_CONF" osd blocklist ls 2>/dev/null | grep -qF "$owner" || fail "the dead owner $owner was not blocklisted"
printf '  librbdrs took over in %.1f s, blocklisting %s first; the acknowledged write is there\n' "$took" "$owner"
echo "peers: OK"
