#!/usr/bin/env bash
# OpenStack's RBD flows (tests/openstack/test_*.py) through Debian's
# python3-rbd and python3-rados, loading librbdrs from DROPIN:
#   run.sh DROPIN [CEPH_CONF]
# on a fresh embedded store, then on the cluster CEPH_CONF describes.
# DROPIN=upstream runs the same flows on Debian's librbd (cluster only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dropin=$1
conf=${2:-}
pytest=(/usr/bin/python3 -m pytest -q -p no:cacheprovider "$here")

if [[ "$dropin" == upstream ]]; then
    [[ -n "$conf" ]] || { echo "upstream runs need a CEPH_CONF" >&2; exit 2; }
    env -u LD_LIBRARY_PATH RBDRS_OPENSTACK_LIBRARY=upstream RBDRS_OPENSTACK_CONF="$conf" "${pytest[@]}"
    exit
fi

store="$(mktemp -d /tmp/rbdrs-openstack.XXXXXX)"
trap 'rm -rf "$store"' EXIT
echo "== OpenStack flows on the embedded store"
env -u CEPH_CONF -u CEPH_ARGS LD_LIBRARY_PATH="$dropin" RBDRS_OPENSTACK_STORE="$store" "${pytest[@]}"
if [[ -n "$conf" ]]; then
    echo "== OpenStack flows on the cluster ($conf)"
    LD_LIBRARY_PATH="$dropin" RBDRS_OPENSTACK_CONF="$conf" "${pytest[@]}"
fi
