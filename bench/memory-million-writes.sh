#!/usr/bin/env bash
# Peak memory of the recorder grows with the number of changed paths, not with the number of events.
#
# Records two workloads on a fresh tmpfs and prints the recorder's peak RSS (GNU time's "Maximum
# resident set size") for each, with the events the kernel delivered:
#   - 1,000,000 writes to one file       (many events, one path)
#   - 1 write to each of 100,000 files  (as many paths as events)
# Usage: bench/memory-million-writes.sh [path/to/changerec]    (run as root for the tmpfs)
#        env BACKEND=auto|fanotify|inotify (default auto)
set -euo pipefail
. "$(dirname "$0")/common.sh"
bin=$(changerec_binary "${1:-}")
need_gnu_time
work=$(mktemp -d)
mounted=0
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=2g changerec-bench "$work"; then mounted=1; fi
cleanup() { [ "$mounted" = 1 ] && umount "$work"; rm -rf "$work"; }
trap cleanup EXIT

run() {
    local name=$1 script=$2
    rm -rf "$work/root" && mkdir "$work/root"
    (cd "$work/root" && /usr/bin/time -f %M -o "$work/rss" "$bin" --quiet --backend "${BACKEND:-auto}" --journal "$work/$name.journal" \
        -- python3 -c "$script")
    local rss events written paths
    rss=$(cat "$work/rss")
    events=$("$bin" show --json "$work/$name.journal" | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r["record"] == "exit": print(r["kernel_events"], r["written_events"])')
    paths=$("$bin" changes "$work/$name.journal" | wc -l)
    printf '%-28s peak RSS %7d KiB   kernel events %9s   journal events %7s   changed paths %7d   journal %6d KiB\n' \
        "$name" "$rss" "${events% *}" "${events#* }" "$paths" $(( $(stat -c %s "$work/$name.journal") / 1024 ))
}

run "1,000,000 writes, 1 file" '
import os
fd = os.open("f", os.O_WRONLY | os.O_CREAT, 0o644)
for i in range(1_000_000):
    os.write(fd, b"x")
os.close(fd)'
run "100,000 files, 1 write each" '
import os
os.mkdir("d")
for i in range(100_000):
    fd = os.open("d/%d" % i, os.O_WRONLY | os.O_CREAT, 0o644); os.write(fd, b"x"); os.close(fd)'
