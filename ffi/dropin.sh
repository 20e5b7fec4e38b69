#!/usr/bin/env bash
# Builds librbdrs and gives it the names librbd's users load, so that
#   LD_LIBRARY_PATH=$(bash ffi/dropin.sh) qemu-img ...
# runs on librbdrs with no Ceph C++ library loaded. Prints the folder.
# With a folder argument, the names are made there instead.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p librbdrs >&2
target="${CARGO_TARGET_DIR:-$(pwd)/target}"
lib="$target/release/librbdrs.so"
dir="${1:-$target/release/dropin}"
mkdir -p "$dir"
for name in librbd.so.1 librbd.so librados.so.2 librados.so librbdrs.so.1; do
    ln -sfn "$lib" "$dir/$name"
done
echo "$dir"
