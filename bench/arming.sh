#!/usr/bin/env bash
# Arming time on a tree of 200,000 files in 20,000 directories: changerec's fanotify backend against
# its inotify backend and against inotifywait -r (inotify-tools), side by side, on a freshly made file
# system (tmpfs by default, or a loop-mounted ext4 image with FS=ext4).
#
# changerec's time is the wall time of `changerec -- true`: arming (walk + watches or handles),
# running `true`, draining and sealing nothing. inotifywait's is the time until it prints
# "Watches established.".
# Usage (as root): bench/arming.sh [path/to/changerec]   env: FS=tmpfs|ext4 DIRS=20000 FILES_PER_DIR=10 RUNS=3
set -euo pipefail
. "$(dirname "$0")/common.sh"
bin=$(changerec_binary "${1:-}")
[ "$(id -u)" = 0 ] || { echo "arming.sh: needs root (fanotify, mounts)" >&2; exit 1; }
command -v inotifywait >/dev/null || { apt-get update -qq && apt-get install -y -qq inotify-tools >/dev/null; }
FS=${FS:-tmpfs}; DIRS=${DIRS:-20000}; FILES_PER_DIR=${FILES_PER_DIR:-10}; RUNS=${RUNS:-3}

work=$(mktemp -d)
cleanup() { umount "$work/mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir "$work/mnt"
if [ "$FS" = ext4 ]; then
    truncate -s 4G "$work/image" && mkfs.ext4 -q -F "$work/image" && mount -o loop "$work/image" "$work/mnt"
else
    mount -t tmpfs -o size=4g changerec-bench "$work/mnt"
fi
root="$work/mnt/tree"
python3 - "$root" "$DIRS" "$FILES_PER_DIR" <<'PY'
import os, sys
root, dirs, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for d in range(dirs):
    path = os.path.join(root, "d%03d" % (d // 100), "e%03d" % (d % 100))
    os.makedirs(path)
    for f in range(files):
        with open(os.path.join(path, "f%d" % f), "w") as out:
            out.write("x")
PY
echo "tree: $(find "$root" -type d | wc -l) directories, $(find "$root" -type f | wc -l) files on $FS"

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

time_changerec() {
    local backend=$1 t0 t1
    rm -rf "$root/.changerec"
    t0=$(now)
    (cd "$root" && "$bin" --quiet --force --backend "$backend" --journal "$work/$backend.journal" -- true)
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}

time_inotifywait() {
    local t0 t1 pid
    rm -f "$work/fifo" && mkfifo "$work/fifo"
    t0=$(now)
    inotifywait -r -m "$root" -e create,delete,modify,attrib,move 2>"$work/fifo" >/dev/null &
    pid=$!
    grep -q -m1 "Watches established" < "$work/fifo" || true
    t1=$(now)
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    echo "$t1 - $t0" | bc -l
}

declare -A result
for tool in fanotify inotify inotifywait; do
    for _ in $(seq "$RUNS"); do
        if [ "$tool" = inotifywait ]; then time_inotifywait; else time_changerec "$tool"; fi
    done > "$work/$tool.times"
    result[$tool]=$(median < "$work/$tool.times")
done
printf '%-34s %8.3f s\n' "changerec --backend fanotify" "${result[fanotify]}" \
    "changerec --backend inotify" "${result[inotify]}" "inotifywait -r (inotify-tools)" "${result[inotifywait]}"
printf 'ratios: inotify / fanotify = %.1fx, inotifywait / fanotify = %.1fx\n' \
    "$(echo "${result[inotify]} / ${result[fanotify]}" | bc -l)" "$(echo "${result[inotifywait]} / ${result[fanotify]}" | bc -l)"
