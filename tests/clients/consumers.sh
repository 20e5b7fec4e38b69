#!/usr/bin/env bash
# Every Debian program and module that links librbd or librados resolves
# all its rbd_/rados_ symbols in librbdrs: `ldd -r` with the drop-in folder
# first in the search path reports none undefined.
#
#   consumers.sh DROPIN
#
# python3-rbd, python3-rados and libvirt's rbd backend are installed by
# install.sh; the NFS-Ganesha RADOS modules and uWSGI's rados plugin are
# only downloaded and unpacked (`apt-get download`), as their daemons are
# not needed to check what they link.
set -euo pipefail
DROPIN="$(cd "${1:?usage: consumers.sh DROPIN}" && pwd)"
WORK="$(mktemp -d /tmp/rbdrs-consumers.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && apt-get download -q nfs-ganesha nfs-ganesha-ceph nfs-ganesha-rados-grace uwsgi-plugin-rados) >"$WORK/apt.log" 2>&1 || {
    # Package lists may be stale on a fresh machine.
    apt-get update -q >/dev/null
    (cd "$WORK" && apt-get download -q nfs-ganesha nfs-ganesha-ceph nfs-ganesha-rados-grace uwsgi-plugin-rados)
}
for deb in "$WORK"/*.deb; do dpkg-deb -x "$deb" "$WORK/root"; done

consumers=(
    /usr/lib/python3/dist-packages/rbd.cpython-311-x86_64-linux-gnu.so
    /usr/lib/python3/dist-packages/rados.cpython-311-x86_64-linux-gnu.so
    /usr/lib/x86_64-linux-gnu/libvirt/storage-backend/libvirt_storage_backend_rbd.so
    "$WORK/root/usr/lib/ganesha/libganesha_rados_urls.so"
    "$WORK/root/usr/lib/ganesha/libganesha_rados_recov.so"
    "$WORK/root/usr/bin/ganesha-rados-grace"
    "$WORK/root/usr/lib/uwsgi/plugins/rados_plugin.so"
)
# Ganesha's own libraries, unpacked beside its modules.
libs="$DROPIN:$(find "$WORK/root" -name '*.so*' -printf '%h\n' | sort -u | paste -sd:)"
bad=0
for c in "${consumers[@]}"; do
    [[ -e "$c" ]] || { echo "missing: $c" >&2; bad=1; continue; }
    imports=$(nm -D --undefined-only "$c" | grep -cE ' (rbd|rados)_' || true)
    out=$(LD_LIBRARY_PATH="$libs" ldd -r "$c" 2>&1 || true)
    grep -q "$DROPIN/librbd\|$DROPIN/librados" <<<"$out" || { echo "$c: does not resolve librbd/librados in $DROPIN" >&2; bad=1; }
    undefined=$(grep -oE 'undefined symbol: (rbd|rados)_[A-Za-z0-9_]+' <<<"$out" | sort -u || true)
    if [[ -n "$undefined" ]]; then
        echo "$c: $(wc -l <<<"$undefined") of $imports undefined:" >&2
        sed 's/^/  /' <<<"$undefined" >&2
        bad=1
    else
        echo "ok  $imports rbd_/rados_ symbols resolve: ${c#"$WORK/root"}"
    fi
done
exit $bad
