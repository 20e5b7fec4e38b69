#!/usr/bin/env bash
# The main job, as a user would do it on the embedded store: import a disk
# image into an rbd image with Debian's unmodified qemu-img on librbdrs,
# then manage it with rbdrs (info, snapshot, du, export) and check every
# byte of what comes back out.
#   bash examples/import.sh [SOURCE_IMAGE] [STORE_DIR]
# Without a source it makes a 512 MiB disk image with data and holes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/clients/install.sh >&2
lib="$(bash ffi/dropin.sh)"
cargo build --release --locked -q -p rbdrs-cli >&2
rbdrs="${CARGO_TARGET_DIR:-$(pwd)/target}/release/rbdrs"
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
rbd="rbd:rbd/imported:rbdrs_local_store=$store"
echo "importing $src into $rbd"
time LD_LIBRARY_PATH="$lib" qemu-img convert -p -O raw "$src" "$rbd"
ours() { "$rbdrs" --rbdrs_local_store "$store" "$@"; }
ours info imported
ours snap create imported@imported
ours snap ls imported
ours du imported
echo "reading it back"
ours export imported "$work/back.raw"
LD_LIBRARY_PATH="$lib" qemu-img compare -f raw -F raw "$src" "$rbd"
cmp "$src" "$work/back.raw"
ours export imported@imported - | cmp "$src" -
echo "ok: $src and the rbd image (and its snapshot) are byte-identical (store: $store)"
rm -rf "$work/back.raw"
