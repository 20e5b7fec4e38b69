#!/usr/bin/env bash
# librbdrs against a real Ceph cluster: starts the project's throwaway
# cluster (1 monitor, 3 memstore OSDs, cephx) on its own ports, runs the
# live tests (tests/mon_live.rs, rados_live.rs: rados get/put both ways, a
# class method, crc and secure mode, a wrong key), Debian's fio with its
# rados engine loading librbdrs (write with crc32c verify, then a
# verify-only read), qemu-img/qemu-io on cluster images judged by upstream
# rbd, C calls' return values against upstream's (tests/c/compat.c), rbdrs
# against upstream rbd (tests/cluster/cli.sh), librbdrs sharing images
# with upstream clients (tests/cluster/peers.sh), a VM live-migrated
# between two QEMU processes (tests/cluster/migrate.sh), the OSDMap
# placement test (tests/osdmap_live.rs), and stops the cluster.
#
#   tests/cluster/interop.sh LIBDIR      (LIBDIR: from ffi/dropin.sh)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
LIBDIR="$(cd "${1:?usage: interop.sh LIBDIR}" && pwd)"
cd "$HERE/../.."

export RBDRS_CEPH_DIR="${RBDRS_CEPH_DIR:-$(mktemp -u /tmp/rbdrs-interop.XXXXXX)}"
export RBDRS_CEPH_PORT="${RBDRS_CEPH_PORT:-3392}"
export RBDRS_CEPH_PORT_V1="${RBDRS_CEPH_PORT_V1:-6792}"
trap 'bash "$HERE/ceph-cluster.sh" stop >/dev/null 2>&1 || true' EXIT
bash "$HERE/ceph-cluster.sh" start 3
eval "$(bash "$HERE/ceph-cluster.sh" env)"

printf '\n-- monitor session and msgr2 connections (tests/mon_live.rs)\n'
cargo test --locked -p rbdrs-tests --test mon_live -- --ignored --test-threads 1
printf '\n-- librados interop (tests/rados_live.rs)\n'
cargo test --locked -p rbdrs-tests --test rados_live -- --ignored --test-threads 1 --nocapture

printf '\n-- fio --ioengine=rados through librbdrs: write + crc32c verify, then verify-only\n'
fio_rados() {
    LD_LIBRARY_PATH="$LIBDIR" fio --name=rados --ioengine=rados --clientname=admin --pool=rbd \
        --conf="$CEPH_CONF" --bs=64k --size=16m --iodepth=8 --output-format=terse "$@"
}
out="$(fio_rados --rw=write --verify=crc32c --do_verify=1)"
printf '%s\n' "$out" | cut -d';' -f1-8
# terse v3: field 5 is the error code.
[[ "$(printf '%s' "$out" | cut -d';' -f5)" == 0 ]] || { echo "fio write/verify failed" >&2; exit 1; }
out="$(fio_rados --rw=read --verify=crc32c --verify_only=1)"
[[ "$(printf '%s' "$out" | cut -d';' -f5)" == 0 ]] || { echo "fio verify-only failed" >&2; exit 1; }
# The objects fio wrote are there for upstream too.
n="$(rados --conf "$CEPH_CONF" -p rbd ls | grep -c '^rados\.' || true)"
echo "rados ls sees $n objects written by fio through librbdrs"
[[ "$n" -gt 0 ]] || { echo "upstream sees none of fio's objects" >&2; exit 1; }

printf '\n-- rbd images: qemu-img/qemu-io through librbdrs, upstream rbd as the judge\n'
WORK="$(mktemp -d /tmp/rbdrs-interop-work.XXXXXX)"
trap 'rm -rf "$WORK"; bash "$HERE/ceph-cluster.sh" stop >/dev/null 2>&1 || true' EXIT
ours() { LD_LIBRARY_PATH="$LIBDIR" timeout 300 "$@"; }
rbd_() { timeout 300 rbd --conf "$CEPH_CONF" "$@"; }
# 48 MiB of random data with a 8 MiB hole in the middle.
head -c 20M /dev/urandom >"$WORK/in.raw"
head -c 8M /dev/zero >>"$WORK/in.raw"
head -c 20M /dev/urandom >>"$WORK/in.raw"
ours qemu-img convert -f raw -O raw "$WORK/in.raw" rbd:rbd/interop1
rbd_ info rbd/interop1 | sed 's/^/    /'
rbd_ export rbd/interop1 "$WORK/out1.raw" 2>/dev/null
cmp "$WORK/in.raw" "$WORK/out1.raw"
echo "librbdrs wrote, rbd export read: identical"
rbd_ import "$WORK/in.raw" rbd/interop2 2>/dev/null
ours qemu-img convert -f raw -O raw rbd:rbd/interop2 "$WORK/out2.raw"
cmp "$WORK/in.raw" "$WORK/out2.raw"
echo "rbd import wrote, librbdrs read: identical"
# A snapshot taken through librbdrs (a self-managed snap id from the
# monitor, clone-on-write on the OSDs), then the head overwritten.
ours qemu-img snapshot -f raw -c snap1 rbd:rbd/interop1
ours qemu-io -f raw -c 'write -P 0x5a 0 4M' -c 'write -z 24M 4M' rbd:rbd/interop1 >/dev/null
rbd_ snap ls rbd/interop1 | grep -q snap1
rbd_ export rbd/interop1@snap1 "$WORK/snap1.raw" 2>/dev/null
cmp "$WORK/in.raw" "$WORK/snap1.raw"
ours qemu-io -f raw -c 'read -P 0x5a 0 4M' -c 'read -P 0 24M 4M' rbd:rbd/interop1 >/dev/null
echo "snapshot by librbdrs: upstream reads the old data, librbdrs the new"
# A clone made by upstream, read through librbdrs (parent reads, copy-up).
rbd_ snap protect rbd/interop1@snap1
rbd_ clone rbd/interop1@snap1 rbd/interop3
ours qemu-img convert -f raw -O raw rbd:rbd/interop3 "$WORK/out3.raw"
cmp "$WORK/in.raw" "$WORK/out3.raw"
ours qemu-io -f raw -c 'write -P 0x77 1M 64k' rbd:rbd/interop3 >/dev/null
rbd_ export rbd/interop3 "$WORK/out3b.raw" 2>/dev/null
cmp -n $((1 << 20)) "$WORK/in.raw" "$WORK/out3b.raw"
python3 - "$WORK/out3b.raw" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
assert d[1 << 20:(1 << 20) + 65536] == b'\x77' * 65536, "clone write lost"
PY
echo "upstream clone: librbdrs reads through the parent and copies up"

printf '\n-- return values and errnos as librbd gives them (tests/c/compat.c), upstream then librbdrs\n'
gcc -Wall -Werror -O1 -o "$WORK/compat" tests/c/compat.c -lrbd -lrados
"$WORK/compat" "$CEPH_CONF" 2>/dev/null | tail -n 1 || { echo "upstream librbd does not meet the expectations" >&2; exit 1; }
LD_LIBRARY_PATH="$LIBDIR" "$WORK/compat" "$CEPH_CONF" || { echo "librbdrs answers differently from librbd" >&2; exit 1; }

printf '\n-- OpenStack flows through python3-rbd and python3-rados (tests/openstack), upstream then librbdrs\n'
bash tests/openstack/run.sh upstream "$CEPH_CONF"
bash tests/openstack/run.sh "$LIBDIR" "$CEPH_CONF"

printf '\n-- python3-rados answers, upstream then librbdrs, diffed (tests/python/rados_api.py)\n'
env -u LD_LIBRARY_PATH /usr/bin/python3 tests/python/rados_api.py >"$WORK/rados_api.upstream"
LD_LIBRARY_PATH="$LIBDIR" /usr/bin/python3 tests/python/rados_api.py >"$WORK/rados_api.librbdrs"
diff -u "$WORK/rados_api.upstream" "$WORK/rados_api.librbdrs" || { echo "python3-rados answers differ" >&2; exit 1; }
echo "python3-rados: $(wc -l <"$WORK/rados_api.librbdrs") answers identical"

printf '\n-- libvirt rbd storage pools: libvirtd on upstream librbd, then on librbdrs (tests/cluster/libvirt.sh)\n'
bash "$HERE/libvirt.sh" "$LIBDIR"

printf '\n-- rbdrs (the command line on the Rust client) against upstream rbd (tests/cluster/cli.sh)\n'
cargo build --locked -q -p rbdrs-cli
bash "$HERE/cli.sh" "${CARGO_TARGET_DIR:-target}/debug/rbdrs"

printf '\n-- librbdrs among other clients: lock handover, managed while open, a killed owner (tests/cluster/peers.sh)\n'
bash "$HERE/peers.sh" "$LIBDIR" "${CARGO_TARGET_DIR:-target}/debug/rbdrs"

printf '\n-- live migration of a VM writing to its librbdrs disk (tests/cluster/migrate.sh)\n'
bash "$HERE/migrate.sh" "$LIBDIR"

# Last: it reshapes the cluster (pools, upmaps, an OSD out and in).
printf '\n-- OSDMap placement against the monitor and osdmaptool (tests/osdmap_live.rs)\n'
cargo test --locked -p rbdrs-tests --test osdmap_live -- --ignored --nocapture >"$WORK/osdmap_live.log" 2>&1 || {
    tail -n 60 "$WORK/osdmap_live.log" >&2
    echo "osdmap_live failed" >&2
    exit 1
}
grep -E 'compared|matched|test result' "$WORK/osdmap_live.log" || true
echo "cluster interop: OK"
