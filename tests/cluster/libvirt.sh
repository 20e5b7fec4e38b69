#!/usr/bin/env bash
# libvirt's rbd storage pools on librbdrs: Debian's libvirtd with its rbd
# backend, a cephx secret, and the volume calls virt-manager and OpenStack
# make. The same flow runs on upstream librbd first, then on librbdrs;
# their virsh outputs must match, and upstream's rbd checks the images.
#
#   libvirt.sh LIBDIR      (CEPH_CONF and the cluster from ceph-cluster.sh)
#
# Each libvirtd runs in a private mount namespace (its /run/libvirt,
# /var/lib/libvirt and /etc/libvirt are scratch), so the machine's own
# libvirt state, if any, is left alone.
set -euo pipefail
LIBDIR="$(cd "${1:?usage: libvirt.sh LIBDIR}" && pwd)"
: "${CEPH_CONF:?run inside the environment ceph-cluster.sh env prints}"
WORK="$(mktemp -d /tmp/rbdrs-libvirt.XXXXXX)"
DAEMON=
cleanup() {
    [[ -n "$DAEMON" ]] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "libvirt.sh: $*" >&2; [[ -f "$WORK/libvirtd.log" ]] && tail -n 20 "$WORK/libvirtd.log" >&2; exit 1; }
up() { env -u LD_LIBRARY_PATH "$@"; }

SECRET=5e1f2c0a-7b3d-4c8e-9a61-0d2b4f6e8a10
MON_PORT="$(up ceph-conf -c "$CEPH_CONF" --lookup mon_host | sed -n 's/.*v2:[0-9.]*:\([0-9]*\).*/\1/p')"
[[ -n "$MON_PORT" ]] || fail "no msgr2 monitor address in $CEPH_CONF"
KEY="$(up ceph -c "$CEPH_CONF" auth get-key client.admin)"

cat >"$WORK/secret.xml" <<XML
<secret ephemeral='no' private='yes'>
  <uuid>$SECRET</uuid>
  <usage type='ceph'><name>client.admin rbdrs-test</name></usage>
</secret>
XML
cat >"$WORK/pool.xml" <<XML
<pool type='rbd'>
  <name>rbdrs</name>
  <source>
    <name>rbd</name>
    <host name='127.0.0.1' port='$MON_PORT'/>
    <auth username='admin' type='ceph'><secret uuid='$SECRET'/></auth>
  </source>
</pool>
XML
# Runs inside the new mount namespace: scratch state, then libvirtd.
cat >"$WORK/daemon.sh" <<'SH'
set -e
mount -t tmpfs tmpfs /run/libvirt 2>/dev/null || { mkdir -p /run/libvirt; mount -t tmpfs tmpfs /run/libvirt; }
mkdir -p /var/lib/libvirt /etc/libvirt "$ETC"
mount -t tmpfs tmpfs /var/lib/libvirt
cp -a /etc/libvirt/. "$ETC/"
mount --bind "$ETC" /etc/libvirt
if [[ -n "$DROPIN" ]]; then export LD_LIBRARY_PATH="$DROPIN"; else unset LD_LIBRARY_PATH; fi
exec libvirtd
SH

# flow LABEL DROPIN: the volume calls, with virsh's answers in
# $WORK/LABEL.out. DROPIN empty means upstream librbd.
flow() {
    local label=$1 dropin=$2 i
    ETC="$WORK/etc-$label" DROPIN="$dropin" unshare --mount --propagation private bash "$WORK/daemon.sh" \
        >"$WORK/libvirtd.log" 2>&1 &
    DAEMON=$!
    virsh_() { timeout 120 nsenter --mount --target "$DAEMON" virsh -q -c qemu:///system "$@"; }
    for i in $(seq 60); do
        virsh_ version >/dev/null 2>&1 && break
        kill -0 "$DAEMON" 2>/dev/null || fail "$label: libvirtd exited"
        sleep 0.5
    done
    virsh_ secret-define "$WORK/secret.xml" >/dev/null || fail "$label: secret-define"
    virsh_ secret-set-value --secret "$SECRET" --base64 "$KEY" >/dev/null 2>&1 || fail "$label: secret-set-value"
    virsh_ pool-define "$WORK/pool.xml" >/dev/null || fail "$label: pool-define"
    {
        virsh_ pool-start rbdrs
        # Capacity comes from rados_cluster_stat, so both runs agree.
        virsh_ pool-info rbdrs | grep -E '^(Name|State|Capacity)'
        virsh_ vol-create-as rbdrs lv-disk 64M
        virsh_ vol-list rbdrs | grep ' lv-'
        virsh_ vol-info --pool rbdrs lv-disk
        virsh_ vol-resize --pool rbdrs lv-disk 128M
        virsh_ vol-clone --pool rbdrs lv-disk lv-clone
        virsh_ vol-info --pool rbdrs lv-clone
    } >"$WORK/$label.out" 2>&1 || fail "$label: $(cat "$WORK/$label.out")"
    # Upstream's rbd sees what libvirt made.
    up rbd -c "$CEPH_CONF" info rbd/lv-disk | grep -q 'size 128 MiB' || fail "$label: lv-disk is not 128 MiB"
    up rbd -c "$CEPH_CONF" info rbd/lv-clone | grep -q 'parent: rbd/lv-disk@' || fail "$label: lv-clone is no clone of lv-disk"
    {
        virsh_ vol-wipe --pool rbdrs lv-clone
        virsh_ vol-delete --pool rbdrs lv-clone
        # libvirt's clone left a protected snapshot on the source.
        virsh_ vol-delete --pool rbdrs lv-disk --delete-snapshots
        virsh_ pool-refresh rbdrs
        virsh_ vol-list rbdrs | grep -c ' lv-' || true
    } >>"$WORK/$label.out" 2>&1 || fail "$label: $(cat "$WORK/$label.out")"
    up rbd -c "$CEPH_CONF" ls rbd | grep -q '^lv-' && fail "$label: volumes left behind"
    grep -E 'librbd|librados|librbdrs|ceph' "/proc/$DAEMON/maps" | awk '{print $6}' | sort -u >"$WORK/$label.maps"
    kill "$DAEMON"
    wait "$DAEMON" 2>/dev/null || true
    DAEMON=
}

flow upstream ""
grep -q 'librbd.so.1' "$WORK/upstream.maps" || fail "upstream run did not load librbd: $(cat "$WORK/upstream.maps")"
flow librbdrs "$LIBDIR"
grep -q '/librbdrs.so$' "$WORK/librbdrs.maps" || fail "libvirtd did not load librbdrs: $(cat "$WORK/librbdrs.maps")"
if grep -E 'libceph-common|librbd\.so\.1\.|librados\.so\.2\.' "$WORK/librbdrs.maps"; then
    fail "libvirtd loaded a Ceph C++ library beside librbdrs"
fi
diff -u "$WORK/upstream.out" "$WORK/librbdrs.out" || fail "virsh answers differ between librbd and librbdrs"
echo "libvirtd loaded $(grep librbdrs "$WORK/librbdrs.maps") and no Ceph C++ library"
sed 's/^/  /' "$WORK/librbdrs.out"
echo "libvirt rbd pool: OK"
