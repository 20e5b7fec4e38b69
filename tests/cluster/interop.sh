#!/usr/bin/env bash
# librbdrs against a real Ceph cluster: starts the project's throwaway
# cluster (1 monitor, 3 memstore OSDs, cephx) on its own ports, runs the
# librados interop tests (tests/rados_live.rs: rados get/put both ways, a
# class method, crc and secure mode, a wrong key), then Debian's fio with
# its rados engine loading librbdrs (write with crc32c verify, then a
# verify-only read), and stops the cluster.
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
echo "cluster interop: OK"
