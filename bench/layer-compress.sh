#!/usr/bin/env bash
# Layer throughput by compression: records a step that writes a tree of mixed files (programs, shared
# libraries, documentation and man pages copied from /usr, about 120 MB) on a fresh tmpfs, then times
# `changerec layer` with each --compress choice — gzip and zstd on one processor (taskset -c 0) and on
# all — against gzip -6, pigz -6 and zstd -3 compressing the same tar (the layer written with
# --compress none). Prints wall and CPU seconds (user + system, /usr/bin/time), MB/s of uncompressed
# tar (MB = 10^6 bytes) over wall time, output sizes, and whether the layer's bytes are the same on one
# processor as on all, and peak RSS. Wall times are medians; on a machine shared with other work trust
# CPU seconds (MB/CPU s) more than wall time.
# Usage (as root): bench/layer-compress.sh [--quick] [--size MB] [--rounds N] [path/to/changerec]
#   --quick: a 24 MB tree, one round (under a minute).  Defaults: --size 120 --rounds 3.
#   Without a binary, builds one in release mode (bench/common.sh). Installs pigz (and GNU time) when
#   missing, and says so.
set -euo pipefail
. "$(dirname "$0")/common.sh"
size=120 rounds=3 given=""
while (($#)); do
    case $1 in
    --quick) size=24 rounds=1 ;;
    --size) size=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) given=$1 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "layer-compress.sh: needs root (tmpfs)" >&2; exit 1; }
bin=$(changerec_binary "$given")
need_gnu_time
if ! command -v pigz >/dev/null; then
    echo "layer-compress.sh: installing pigz (Debian package) to compare with" >&2
    apt-get update -qq && apt-get install -y -qq pigz >/dev/null
fi
command -v zstd >/dev/null || { echo "layer-compress.sh: installing zstd" >&2; apt-get install -y -qq zstd >/dev/null; }

work=$(mktemp -d)
cleanup() { umount "$work/mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir "$work/mnt" && mount -t tmpfs -o size=$((size * 6 + 512))m changerec-layer-compress "$work/mnt"
root=$work/mnt/root out=$work/mnt/out
mkdir "$root" "$out"

# The tree: regular files of at most 1 MiB from /usr/bin, /usr/lib and /usr/share (one, one and three at
# a time, each list sorted), up to --size MB: about 7,000 entries for 120 MB, binaries, text and
# already-compressed files mixed as in a real root file system.
python3 - "$size" >"$work/files" <<'PY'
import os, sys
target = int(sys.argv[1]) * 10**6
def files(top):
    for directory, subdirectories, names in os.walk(top):
        subdirectories.sort()
        for name in sorted(names):
            path = os.path.join(directory, name)
            if os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path) <= 1 << 20:
                yield path
sources = [[files("/usr/bin"), 1], [files("/usr/lib"), 1], [files("/usr/share"), 3]]
total = 0
while total < target and sources:
    for source in list(sources):
        for _ in range(source[1]):
            path = next(source[0], None)
            if path is None:
                sources.remove(source)
                break
            total += os.path.getsize(path)
            print(path[1:])
PY
(cd "$root" && "$bin" --quiet --journal "$work/step.journal" -- \
    sh -c "tar -C / -cf - --files-from '$work/files' 2>/dev/null | tar -xf -")

# time_run NAME COMMAND...: runs COMMAND --rounds times; keeps "wall cpu peak-RSS-KiB" of the median-wall round.
time_run() {
    local name=$1
    shift
    for _ in $(seq "$rounds"); do
        /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null
        awk '{printf "%.2f %.2f %d\n", $1, $2 + $3, $4}' "$work/time"
    done | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}' >"$work/t.$name"
}

j=$work/step.journal
time_run none "$bin" layer "$j" -o "$out/layer.tar" --compress none
tar=$out/layer.tar
bytes=$(stat -c %s "$tar")
entries=$(tar -tf "$tar" | wc -l)
time_run gzip1 taskset -c 0 "$bin" layer "$j" -o "$out/gzip1" --compress gzip
time_run gzipN "$bin" layer "$j" -o "$out/gzipN" --compress gzip
time_run zstd1 taskset -c 0 "$bin" layer "$j" -o "$out/zstd1" --compress zstd
time_run zstdN "$bin" layer "$j" -o "$out/zstdN" --compress zstd
time_run gzip6 sh -c "gzip -6 -n -c '$tar' > '$out/gzip6'"
time_run pigz6 sh -c "pigz -6 -n -c '$tar' > '$out/pigz6'"
time_run zstd3 sh -c "zstd -q -3 -c '$tar' > '$out/zstd3'"
time_run zstd3T0 sh -c "zstd -q -3 -T0 -c '$tar' > '$out/zstd3T0'"

processors=$(nproc)
printf 'layer of a %.1f MB tar, %d entries, on tmpfs; %d processors; median of %d (MB/s = tar MB / wall s)\n' \
    "$(echo "$bytes / 1000000" | bc -l)" "$entries" "$processors" "$rounds"
printf '%-52s %7s %7s %8s %9s %10s %8s\n' "" "wall s" "CPU s" "MB/s" "MB/CPU s" "output MB" "RSS MiB"
row() {
    local wall cpu rss
    read -r wall cpu rss <"$work/t.$1"
    printf '%-52s %7.2f %7.2f %8.1f %9.1f %10.2f %8d\n' "$2" "$wall" "$cpu" \
        "$(echo "$bytes / 1000000 / ($wall + 0.0001)" | bc -l)" "$(echo "$bytes / 1000000 / ($cpu + 0.0001)" | bc -l)" \
        "$(echo "$(stat -c %s "$3") / 1000000" | bc -l)" $((rss / 1024))
}
row none "changerec layer --compress none" "$tar"
row gzip1 "changerec layer --compress gzip, 1 processor" "$out/gzip1"
row gzipN "changerec layer --compress gzip, $processors processors" "$out/gzipN"
row zstd1 "changerec layer --compress zstd, 1 processor" "$out/zstd1"
row zstdN "changerec layer --compress zstd, $processors processors" "$out/zstdN"
row gzip6 "gzip -6 of the same tar" "$out/gzip6"
row pigz6 "pigz -6 of the same tar ($processors threads)" "$out/pigz6"
row zstd3 "zstd -3 of the same tar (1 thread, its default)" "$out/zstd3"
row zstd3T0 "zstd -3 -T0 of the same tar ($processors threads)" "$out/zstd3T0"
wall() { cut -d' ' -f1 "$work/t.$1"; }
cpu() { cut -d' ' -f2 "$work/t.$1"; }
printf 'against gzip -6, wall: changerec gzip %.2fx as fast, zstd %.2fx, pigz -6 %.2fx; CPU: gzip %.2fx, zstd %.2fx\n' \
    "$(echo "$(wall gzip6) / $(wall gzipN)" | bc -l)" "$(echo "$(wall gzip6) / $(wall zstdN)" | bc -l)" \
    "$(echo "$(wall gzip6) / $(wall pigz6)" | bc -l)" "$(echo "$(cpu gzip6) / $(cpu gzipN)" | bc -l)" \
    "$(echo "$(cpu gzip6) / $(cpu zstdN)" | bc -l)"
same() { cmp -s "$1" "$2" && echo identical || echo DIFFERENT; }
echo "bytes on 1 and $processors processors: gzip $(same "$out/gzip1" "$out/gzipN"), zstd $(same "$out/zstd1" "$out/zstdN")"
