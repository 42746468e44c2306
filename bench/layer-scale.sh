#!/usr/bin/env bash
# Layer time follows the number of changed paths, not the size of the tree: records the same 10
# changes in trees of 10,000 and 200,000 files (fresh tmpfs) and times `changerec layer` on each,
# next to the time a walk-the-tree differ needs just to look at every file (`find -printf` of the
# metadata such tools compare), and prints the ratios.
# Usage (as root): bench/layer-scale.sh [path/to/changerec]   env: RUNS=5
set -euo pipefail
. "$(dirname "$0")/common.sh"
bin=$(changerec_binary "${1:-}")
[ "$(id -u)" = 0 ] || { echo "layer-scale.sh: needs root (tmpfs)" >&2; exit 1; }
RUNS=${RUNS:-5}
work=$(mktemp -d)
cleanup() { umount "$work/mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir "$work/mnt" && mount -t tmpfs -o size=4g changerec-layer "$work/mnt"
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A layer walk
for files in 10000 200000; do
    root="$work/mnt/t$files"
    python3 - "$root" "$files" <<'PY'
import os, sys
root, files = sys.argv[1], int(sys.argv[2])
for i in range(files):
    d = os.path.join(root, "d%04d" % (i // 100))
    if i % 100 == 0: os.makedirs(d)
    with open(os.path.join(d, "f%d" % i), "w") as out: out.write("x" * 100)
PY
    (cd "$root" && "$bin" --quiet --journal "$work/$files.journal" -- sh -c \
        'for i in 0 1 2 3 4; do echo changed > d0000/f$i; done; mkdir new; for i in 1 2 3 4; do echo n > new/$i; done')
    for _ in $(seq "$RUNS"); do
        t0=$(now); "$bin" layer "$work/$files.journal" -o "$work/$files.tar.gz" >/dev/null; echo "$(now) - $t0" | bc -l
    done | median > "$work/layer.$files"
    for _ in $(seq "$RUNS"); do
        t0=$(now); find "$root" -printf '%p %s %T@ %m %U %G\n' >/dev/null; echo "$(now) - $t0" | bc -l
    done | median > "$work/walk.$files"
    layer[$files]=$(cat "$work/layer.$files"); walk[$files]=$(cat "$work/walk.$files")
    entries=$(tar -tzf "$work/$files.tar.gz" | wc -l)
    printf '%7d files: changerec layer %.3f s (%d entries)   metadata walk of the tree %.3f s\n' \
        "$files" "${layer[$files]}" "$entries" "${walk[$files]}"
done
printf 'tree 20x larger: changerec layer %.2fx the time, a tree walk %.2fx\n' \
    "$(echo "${layer[200000]} / ${layer[10000]}" | bc -l)" "$(echo "${walk[200000]} / ${walk[10000]}" | bc -l)"
