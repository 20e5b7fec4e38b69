#!/usr/bin/env bash
# Installs the real, unmodified librbd clients that tests/clients/run.sh drives:
#   - QEMU's rbd block module (qemu-block-extra) and qemu-system-x86 (for the
#     live-migration test) at exactly the version of the installed qemu-utils
#     (which comes from <codename>-backports), and
#   - fio with its rbd engine.
# Then checks them and compares what they import from librbd/librados with the
# committed lists (imports-qemu.txt, imports-fio.txt); `--record` rewrites them.
# Also installs jq (run.sh reads JSON with it), and with `--cluster` the Ceph
# daemons selftest-cluster.sh needs. When a C compiler is present it checks
# that LD_LIBRARY_PATH decides which librbd.so.1 QEMU's module and fio load.
#
#   tests/clients/install.sh [--record] [--cluster]
#
# The backports suite is derived from the machine's existing apt entry for
# <codename>: same archive address, same components, same Signed-By. Nothing
# here names a package host. Safe to run again: every step is skipped when done.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

HERE="$(cd "$(dirname "$0")" && pwd)"
RECORD=0
CLUSTER=0
for arg in "$@"; do
    case "$arg" in
    --record) RECORD=1 ;;
    --cluster) CLUSTER=1 ;;
    *) echo "usage: $0 [--record] [--cluster]" >&2; exit 2 ;;
    esac
done

SRC_DIR=/etc/apt/sources.list.d
NEW_SOURCES="$SRC_DIR/rbdrs-backports.sources"
QEMU_MODDIR=/usr/lib/x86_64-linux-gnu/qemu
BLOCK_RBD="$QEMU_MODDIR/block-rbd.so"

step() { printf '\n== %s\n' "$*"; }
die() { printf '\ninstall.sh: FAILED: %s\n' "$*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root (apt-get install)"
command -v apt-get >/dev/null || die "apt-get not found: this script is for Debian"

# shellcheck disable=SC1091
CODENAME="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
[[ -n "$CODENAME" ]] || die "cannot read VERSION_CODENAME from /etc/os-release"
BACKPORTS="$CODENAME-backports"

# Every apt source file apt itself reads (it ignores other names).
source_files() {
    local f
    for f in /etc/apt/sources.list "$SRC_DIR"/*.list "$SRC_DIR"/*.sources; do
        [[ -f "$f" ]] && printf '%s\n' "$f"
    done
    return 0
}

# Prints "URIS<TAB>COMPONENTS<TAB>SIGNED_BY" for every enabled `deb` entry whose
# suites include exactly $1. SIGNED_BY keeps deb822 continuation lines joined
# with \n escapes (an inline key); it is empty if the entry has none.
find_entries() {
    local suite="$1" f
    while read -r f; do
        case "$f" in
        *.sources)
            awk -v want="$suite" '
                function flush() {
                    if (types ~ /(^| )deb( |$)/ && enabled != "no") {
                        n = split(suites, s, /[ \t]+/)
                        for (i = 1; i <= n; i++) if (s[i] == want) {
                            printf "%s\t%s\t%s\n", uris, comps, signed; break
                        }
                    }
                    types = uris = suites = comps = signed = enabled = ""; key = ""
                }
                function trim(x) { gsub(/^[ \t]+|[ \t]+$/, "", x); return x }
                /^#/ { next }
                /^[ \t]*$/ { flush(); next }
                /^[ \t]/ {            # continuation of the previous field
                    if (key == "signed-by") signed = signed "\\n " trim($0)
                    else if (key == "uris") uris = uris " " trim($0)
                    else if (key == "suites") suites = suites " " trim($0)
                    else if (key == "components") comps = comps " " trim($0)
                    next
                }
                {
                    p = index($0, ":"); if (p == 0) next
                    key = tolower(trim(substr($0, 1, p - 1))); val = trim(substr($0, p + 1))
                    if (key == "types") types = val
                    else if (key == "uris") uris = val
                    else if (key == "suites") suites = val
                    else if (key == "components") comps = val
                    else if (key == "signed-by") signed = val
                    else if (key == "enabled") enabled = tolower(val)
                }
                END { flush() }' "$f"
            ;;
        *)
            # One-line format: deb [opt=val ...] URI SUITE COMPONENT...
            awk -v want="$suite" '
                /^[ \t]*#/ || NF == 0 { next }
                $1 != "deb" { next }
                {
                    line = $0; sub(/^[ \t]*deb[ \t]+/, "", line); signed = ""
                    if (substr(line, 1, 1) == "[") {
                        e = index(line, "]"); opts = substr(line, 2, e - 2)
                        line = substr(line, e + 1)
                        n = split(opts, o, /[ \t]+/)
                        for (i = 1; i <= n; i++)
                            if (tolower(o[i]) ~ /^signed-by=/) signed = substr(o[i], 11)
                    }
                    n = split(line, w, /[ \t]+/); j = 0
                    for (i = 1; i <= n; i++) if (w[i] != "") f[++j] = w[i]
                    if (j < 3 || f[2] != want) next
                    comps = f[3]; for (i = 4; i <= j; i++) comps = comps " " f[i]
                    printf "%s\t%s\t%s\n", f[1], comps, signed
                }' "$f"
            ;;
        esac
    done < <(source_files)
}

# ---------------------------------------------------------------------------
step "apt source for $BACKPORTS"
if [[ -n "$(find_entries "$BACKPORTS")" ]]; then
    echo "already configured: $(grep -l -- "$BACKPORTS" $(source_files) | tr '\n' ' ')"
    ADDED=0
else
    entry="$(find_entries "$CODENAME" | head -n1)"
    [[ -n "$entry" ]] || die "no enabled 'deb' entry for suite '$CODENAME' in /etc/apt/sources.list or $SRC_DIR; cannot derive the $BACKPORTS archive address"
    IFS=$'\t' read -r uris comps signed <<<"$entry"
    [[ -n "$uris" ]] || die "the '$CODENAME' apt entry has no URIs"
    {
        echo "# Added by librbdrs tests/clients/install.sh, derived from the '$CODENAME' entry."
        echo "Types: deb"
        echo "URIs: $uris"
        echo "Suites: $BACKPORTS"
        echo "Components: ${comps:-main}"
        if [[ -n "$signed" ]]; then
            printf 'Signed-By: %b\n' "$signed"
        fi
    } >"$NEW_SOURCES"
    echo "wrote $NEW_SOURCES:"
    sed 's/^/    /' "$NEW_SOURCES"
    ADDED=1
fi

# ---------------------------------------------------------------------------
step "qemu-utils version"
QEMU_VER="$(dpkg-query -W -f='${Status}\t${Version}' qemu-utils 2>/dev/null | awk -F'\t' '$1 ~ / installed$/ {print $2}')"
[[ -n "$QEMU_VER" ]] || die "qemu-utils is not installed (expected QEMU 10.0 from $BACKPORTS)"
echo "qemu-utils $QEMU_VER"

have_ver() { dpkg-query -W -f='${Status}\t${Version}' "$1" 2>/dev/null | awk -F'\t' '$1 ~ / installed$/ {print $2}'; }
APT_UPDATED=0
apt_update_once() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        apt-get update -q || die "apt-get update failed"
        APT_UPDATED=1
    fi
}

# install_qemu PACKAGE: QEMU's PACKAGE at exactly qemu-utils' version, from
# backports like qemu-utils (its dependencies too: -t).
install_qemu() {
    local pkg=$1
    step "$pkg=$QEMU_VER"
    if [[ "$(have_ver "$pkg")" == "$QEMU_VER" ]]; then
        echo "already installed"
        return 0
    fi
    if [[ $ADDED -eq 1 ]] || ! apt-cache madison "$pkg" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -qxF "$QEMU_VER"; then
        apt_update_once
    fi
    apt-cache madison "$pkg" | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -qxF "$QEMU_VER" ||
        die "apt offers no $pkg=$QEMU_VER (offered: $(apt-cache madison "$pkg" | awk -F'|' '{gsub(/ /,"",$2); printf "%s ", $2}')); the archive may have moved past qemu-utils' version"
    apt-get install -y -q --no-install-recommends -t "$BACKPORTS" "$pkg=$QEMU_VER" ||
        die "apt-get install $pkg=$QEMU_VER failed"
}
install_qemu qemu-block-extra
# The live-migration test boots VMs (tests/cluster/migrate.sh).
install_qemu qemu-system-x86

install_plain() {   # install_plain PACKAGE...: from the machine's own suites
    local p missing=()
    for p in "$@"; do
        if [[ -n "$(have_ver "$p")" ]]; then echo "already installed: $p $(have_ver "$p")"; else missing+=("$p"); fi
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    apt-cache show "${missing[@]}" >/dev/null 2>&1 || apt_update_once
    apt-get install -y -q --no-install-recommends "${missing[@]}" || die "apt-get install ${missing[*]} failed"
}
step "fio, jq"
install_plain fio jq
step "python3-rbd, python3-rados, pytest (tests/openstack)"
install_plain python3-rbd python3-rados python3-pytest
step "libvirtd with its rbd storage backend, virsh (tests/cluster/libvirt.sh)"
install_plain libvirt-daemon libvirt-daemon-driver-storage-rbd libvirt-clients
# libvirtd's QEMU driver wants the account libvirt-daemon-system would make;
# that package is left out because it starts services.
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
    useradd --system --gid libvirt-qemu --home-dir /var/lib/libvirt --no-create-home --shell /usr/sbin/nologin libvirt-qemu
if [[ $CLUSTER -eq 1 ]]; then
    step "ceph-mon, ceph-osd, ceph-common (for selftest-cluster.sh)"
    install_plain ceph-mon ceph-osd ceph-common
fi

# ---------------------------------------------------------------------------
step "check: qemu's rbd block driver"
[[ -f "$BLOCK_RBD" ]] || die "$BLOCK_RBD missing after installing qemu-block-extra"
qemu-img --help | grep -qw rbd || die "qemu-img --help does not list the rbd format"
echo "$BLOCK_RBD present; qemu-img lists rbd"
echo "qemu-img: $(qemu-img --version | head -n1)"

step "check: fio's rbd engine"
echo "fio: $(fio --version)"
fio --enghelp=rbd >/dev/null 2>&1 || die "fio has no rbd ioengine (fio --enghelp=rbd failed)"
echo "fio --enghelp=rbd: ok"

# Undefined rbd_/rados_ symbols a binary (or fio's engine modules) imports.
imports() { nm -D --undefined-only "$@" 2>/dev/null | awk '{print $NF}' | sed 's/@.*//' | grep -E '^(rbd|rados)_' | sort -u; }

FIO_BIN="$(command -v fio)"
FIO_OBJS=("$FIO_BIN")
if [[ -d /usr/lib/x86_64-linux-gnu/fio ]]; then
    while IFS= read -r so; do FIO_OBJS+=("$so"); done < <(find /usr/lib/x86_64-linux-gnu/fio -name '*.so' | sort)
fi

step "check: imports"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
imports "$BLOCK_RBD" >"$TMP/imports-qemu.txt"
imports "${FIO_OBJS[@]}" >"$TMP/imports-fio.txt"
[[ -s "$TMP/imports-qemu.txt" ]] || die "block-rbd.so imports no rbd_/rados_ symbols?"
[[ -s "$TMP/imports-fio.txt" ]] || die "fio (${FIO_OBJS[*]}) imports no rbd_/rados_ symbols?"
echo "block-rbd.so imports $(wc -l <"$TMP/imports-qemu.txt") rbd_/rados_ symbols; fio ($(printf '%s ' "${FIO_OBJS[@]}")) imports $(wc -l <"$TMP/imports-fio.txt")"
if nm -D --undefined-only "$BLOCK_RBD" | grep -E ' (rbd|rados)_' | grep -q '@'; then
    echo "note: block-rbd.so asks for versioned rbd/rados symbols:"
    nm -D --undefined-only "$BLOCK_RBD" | grep -E ' (rbd|rados)_' | grep '@'
fi
for f in imports-qemu.txt imports-fio.txt; do
    if [[ $RECORD -eq 1 ]]; then
        cp "$TMP/$f" "$HERE/$f"
        echo "recorded $HERE/$f"
    elif [[ ! -f "$HERE/$f" ]]; then
        echo "warning: $HERE/$f not committed; run with --record" >&2
    elif ! diff -u "$HERE/$f" "$TMP/$f"; then
        echo "warning: these binaries import a different set than $f records (diff above); rerun with --record if intended" >&2
    else
        echo "$f matches the installed binaries"
    fi
done

# ---------------------------------------------------------------------------
# qemu-img dlopens block-rbd.so (GModule) the first time an rbd: name is used;
# the dynamic loader then resolves its DT_NEEDED librbd.so.1/librados.so.2, so
# LD_LIBRARY_PATH wins over /lib. fio links both directly. All are linked with
# BIND_NOW: every imported symbol must exist in the replacement, or loading fails.
step "check: LD_LIBRARY_PATH decides which librbd.so.1 the clients load"
CC="$(command -v cc || command -v gcc || true)"
if [[ -z "$CC" ]]; then
    echo "skipped: no C compiler"
else
    mkdir -p "$TMP/stub"
    {
        echo '#include <stdio.h>'
        echo '#include <string.h>'
        echo '__attribute__((constructor)) static void loaded(void) { fputs("RBDRS-STUB loaded\n", stderr); }'
        sort -u "$TMP/imports-qemu.txt" "$TMP/imports-fio.txt" |
            sed 's/.*/long &(void) { fputs("RBDRS-STUB &\\n", stderr); return -38; }/'
    } >"$TMP/stub/stub.c"
    "$CC" -shared -fPIC -o "$TMP/stub/librbd.so.1" -Wl,-soname,librbd.so.1 "$TMP/stub/stub.c"
    "$CC" -shared -fPIC -o "$TMP/stub/librados.so.2" -Wl,-soname,librados.so.2 "$TMP/stub/stub.c"
    # No Ceph configuration is read: the stub answers rados_create with -ENOSYS.
    out="$(cd "$TMP" && LD_LIBRARY_PATH="$TMP/stub" timeout 60 qemu-img info -f raw rbd:rbd/probe 2>&1 || true)"
    grep -q 'RBDRS-STUB rados_create' <<<"$out" ||
        die "qemu-img did not call the stub librados from LD_LIBRARY_PATH; it printed: $out"
    echo "qemu-img -> block-rbd.so -> $TMP/stub/librados.so.2: rados_create called ($(grep -m1 'qemu-img:' <<<"$out"))"
    out="$(LD_LIBRARY_PATH="$TMP/stub" fio --version 2>&1 || true)"
    grep -q 'RBDRS-STUB loaded' <<<"$out" || die "fio did not load the stub from LD_LIBRARY_PATH; it printed: $out"
    echo "fio -> stub librbd.so.1/librados.so.2 loaded at start"
fi

step "done"
