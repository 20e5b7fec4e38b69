#!/usr/bin/env bash
# The main job, as a user would do it on the embedded store: import a disk
# image into an rbd image with Debian's unmodified qemu-img on librbdrs,
# snapshot it, read it back out, and check every byte.
#   bash examples/import.sh [SOURCE_IMAGE] [STORE_DIR]
# Without a source it makes a 512 MiB disk image with data and holes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/clients/install.sh >&2
lib="$(bash ffi/dropin.sh)"
work="$(mktemp -d /tmp/rbdrs-import.XXXXXX)"
store="${2:-$work/store}"
src="${1:-}"
if [[ -z "$src" ]]; then
    src="$work/disk.raw"
    qemu-img create -q -f raw "$src" 512M
    # Data at scattered places, holes between (what real disks look like).
    for at in 0 37 128 300 511; do
        dd if=/dev/urandom of="$src" bs=1M seek="$at" count=1 conv=notrunc status=none
    done
fi
export LD_LIBRARY_PATH="$lib"
rbd="rbd:rbd/imported:rbdrs_local_store=$store"
echo "importing $src into $rbd"
time qemu-img convert -p -O raw "$src" "$rbd"
qemu-img info -f raw "$rbd"
qemu-img snapshot -f raw -c imported "$rbd"
qemu-img snapshot -f raw -l "$rbd"
echo "reading it back"
qemu-img convert -O raw "$rbd" "$work/back.raw"
qemu-img compare -f raw -F raw "$src" "$rbd"
cmp "$src" "$work/back.raw"
echo "ok: $src and the rbd image are byte-identical (store: $store)"
rm -rf "$work/back.raw"
