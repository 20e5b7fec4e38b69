#!/usr/bin/env bash
# Live migration of a QEMU VM whose disk is on the cluster through
# librbdrs: a guest (tests/cluster/guest/writer.S) writes sector after
# sector; the VM moves to a second QEMU process on this machine
# (-incoming, migrate) while it writes; the destination goes on writing
# (it takes the exclusive lock over from the source, which still has the
# image open); upstream's rbd export then shows every sector written, in
# order, nothing lost or misplaced.
#
#   tests/cluster/migrate.sh LIBDIR    (CEPH_CONF names a running cluster;
#                                      qemu-system-x86_64 installed by
#                                      tests/clients/install.sh --vm)
set -euo pipefail
LIBDIR="$(cd "${1:?usage: migrate.sh LIBDIR}" && pwd)"
: "${CEPH_CONF:?CEPH_CONF must name the cluster}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d /tmp/rbdrs-migrate.XXXXXX)"
IMG="migrate$$"
PORT=$((20000 + $$ % 10000))
trap 'pkill -9 -f "$WORK/" 2>/dev/null || true; rm -rf "$WORK"' EXIT

fail() { echo "migrate: $*" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 missing (tests/clients/install.sh --vm)"
hmp() { timeout 60 python3 "$HERE/guest/hmp.py" "$WORK/$1.mon" "${@:2}"; }
progress() {
    rm -f "$WORK/export.raw"
    timeout 120 rbd --conf "$CEPH_CONF" export "rbd/$IMG" "$WORK/export.raw" >/dev/null 2>&1 || fail "rbd export failed"
    python3 "$HERE/guest/progress.py" "$WORK/export.raw" "$@"
}
vm() {   # vm NAME [QEMU ARGS...]: a VM on the image, through librbdrs
    local name=$1
    shift
    LD_LIBRARY_PATH="$LIBDIR" qemu-system-x86_64 -name "$WORK/$name" -machine pc,accel=tcg -m 32 \
        -display none -serial none -parallel none -net none \
        -monitor "unix:$WORK/$name.mon,server=on,wait=off" \
        -drive "file=rbd:rbd/$IMG:conf=$CEPH_CONF,format=raw,if=ide,cache=none" "$@" >"$WORK/$name.log" 2>&1 &
}

gcc -c -m32 -DLAST=120000 -o "$WORK/writer.o" "$HERE/guest/writer.S"
ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$WORK/writer.bin" "$WORK/writer.o"
truncate -s 64M "$WORK/disk.raw"
dd if="$WORK/writer.bin" of="$WORK/disk.raw" conv=notrunc status=none
rbd --conf "$CEPH_CONF" import "$WORK/disk.raw" "rbd/$IMG" >/dev/null 2>&1 || fail "rbd import failed"

vm source
for _ in $(seq 60); do
    [ "$(progress)" -gt 500 ] && break
    sleep 0.5
done
[ "$(progress)" -gt 500 ] || fail "the guest does not write: $(cat "$WORK/source.log")"
vm destination -incoming "tcp:127.0.0.1:$PORT"
sleep 1
before=$(progress)
hmp source "migrate -d tcp:127.0.0.1:$PORT" >/dev/null
status=""
for _ in $(seq 120); do
    status=$(hmp source info migrate | awk -F': ' '/^Migration status/ {print $2}')
    [ "$status" = completed ] && break
    [ "$status" = failed ] && fail "migration failed: $(hmp source info migrate)"
    sleep 0.5
done
[ "$status" = completed ] || fail "migration did not complete: $(hmp source info migrate)"
switched=$(progress)
hmp destination info status | grep -q running || fail "the destination is not running: $(hmp destination info status)"
sleep 4
after=$(progress)
[ "$after" -gt "$switched" ] || fail "the destination does not write ($switched sectors at the switch, $after 4 s later)"
hmp source quit >/dev/null || true
sleep 2
hmp destination quit >/dev/null || true
sleep 1
final=$(progress --check) || fail "the disk does not verify"
[ "$final" -ge "$after" ] || fail "sectors went missing ($after written, $final verify)"
echo "  $before sectors before the migration, $switched at the switch, $final at the end: all verify"
echo "migrate: OK"
