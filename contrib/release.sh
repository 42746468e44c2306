#!/usr/bin/env bash
# The release binary: one statically linked executable that runs in any Linux build environment — a
# Debian chroot, a distroless or busybox container, a root file system without /proc — with nothing
# from the host but the kernel. Builds it (swift build -c release -Xswiftc -static-executable), strips
# it, prints its size, SHA-256 and what ldd makes of it, then runs a smoke test inside a chroot of a
# minimal root file system the script makes (busybox from Debian's busybox-static, no /proc, no
# libraries): --version, a step recorded with each backend and checked with `changes`, and a layer.
# Usage: contrib/release.sh [--no-smoke] [OUTPUT]    (default OUTPUT: .build/release-static/changerec)
#   The smoke test needs root (chroot, and fanotify for that backend); --no-smoke skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=1
if [ "${1:-}" = --no-smoke ]; then smoke=0; shift; fi
out=${1:-.build/release-static/changerec}

echo "release: building a static executable (swift build -c release -Xswiftc -static-executable)" >&2
swift build -c release --product changerec --scratch-path .build-static -Xswiftc -static-executable >&2
mkdir -p "$(dirname "$out")"
cp .build-static/release/changerec "$out"
strip "$out"
bytes=$(stat -c %s "$out")
echo "binary   $out"
echo "version  $("$out" --version)"
echo "size     $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB, stripped)"
echo "sha256   $(sha256sum "$out" | cut -d' ' -f1)"
echo "ldd      $(ldd "$out" 2>&1 | tr -s ' \t' ' ' | sed 's/^ //')"
[ "$smoke" = 1 ] || exit 0

[ "$(id -u)" = 0 ] || { echo "release: the smoke test needs root (chroot, fanotify); pass --no-smoke to skip it" >&2; exit 1; }
if ! busybox=$(command -v busybox) || ! { ldd "$busybox" 2>&1 || true; } | grep -q "not a dynamic executable"; then
    echo "release: installing Debian's busybox-static for the smoke test's root file system" >&2
    apt-get install -y --no-install-recommends busybox-static >&2
    busybox=/bin/busybox
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/work" "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for tool in sh echo mkdir ln mv rm cat chmod touch tar; do ln -s busybox "$root/bin/$tool"; done
cp "$out" "$root/bin/changerec"
in_root() { chroot "$root" /bin/changerec "$@"; }

fail() { echo "release: smoke test FAILED: $*" >&2; exit 1; }
echo "smoke    in a chroot of busybox alone, without /proc:"
[ ! -e "$root/proc/self" ] || fail "the chroot has /proc"
version=$(in_root --version) || fail "--version"
echo "         --version: $version"
step='mkdir -p app/bin && echo hi > app/bin/tool && chmod 755 app/bin/tool && ln -s app/bin/tool tool && mv app/bin app/sbin'
expected=$'A /app\nA /app/sbin (whole directory)\nA /tool -> app/bin/tool'
for backend in fanotify inotify; do
    rm -rf "$root/work/"* "$root/tmp/$backend.journal"
    in_root --quiet --root /work --backend "$backend" --journal "/tmp/$backend.journal" -- /bin/sh -c "cd /work && $step" ||
        fail "recording with --backend $backend"
    listed=$(in_root changes "/tmp/$backend.journal") || fail "changes of the $backend journal"
    [ "$listed" = "$expected" ] || fail "changes of the $backend journal: $listed"
    echo "         --backend $backend: recorded and listed $(echo "$listed" | wc -l) changes"
done
in_root layer /tmp/inotify.journal -o /tmp/layer.tar --compress none >/dev/null || fail "layer"
entries=$(tar -tf "$root/tmp/layer.tar" | tr '\n' ' ')
[ "$entries" = "app/ app/sbin/ app/sbin/tool tool " ] || fail "layer entries: $entries"
echo "         layer: $entries"
in_root layer /tmp/inotify.journal -o /tmp/layer.tar.gz >/dev/null || fail "gzip layer"
echo "         gzip layer: $(stat -c %s "$root/tmp/layer.tar.gz") bytes"
# A static executable cannot load libzstd: --compress zstd must say so in one line, and write nothing.
if message=$(in_root layer /tmp/inotify.journal -o /tmp/layer.tar.zst --compress zstd 2>&1); then
    fail "a zstd layer from a static executable"
fi
[ "$(echo "$message" | wc -l)" = 1 ] && [ ! -e "$root/tmp/layer.tar.zst" ] || fail "--compress zstd: $message"
echo "         --compress zstd: $message"
echo "smoke    passed"
