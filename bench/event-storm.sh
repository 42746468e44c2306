#!/usr/bin/env bash
# An event storm under fanotify: 100,000 files created, written and closed (about 300,000 kernel
# events) as fast as one process can, on a fresh tmpfs. Prints the workload's wall time alone, under
# changerec (fanotify and inotify), and under fatrace (a peer that also reads fanotify, writing its
# trace to a file), with the recorder's peak RSS and the kernel events it read.
# Usage (as root): bench/event-storm.sh [path/to/changerec]    env: FILES=100000
set -euo pipefail
. "$(dirname "$0")/common.sh"
bin=$(changerec_binary "${1:-}")
[ "$(id -u)" = 0 ] || { echo "event-storm.sh: needs root (fanotify, mounts)" >&2; exit 1; }
command -v fatrace >/dev/null || { apt-get update -qq && apt-get install -y -qq fatrace >/dev/null; }
need_gnu_time
FILES=${FILES:-100000}
work=$(mktemp -d)
cleanup() { umount "$work/mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir "$work/mnt" && mount -t tmpfs -o size=2g changerec-storm "$work/mnt"
# The workload times itself, so the ratios compare the step's own run time, not arming or sealing.
workload="import os, time
start = time.monotonic()
os.mkdir('d')
for i in range($FILES):
    fd = os.open('d/%d' % i, os.O_WRONLY | os.O_CREAT, 0o644); os.write(fd, b'x'); os.close(fd)
open('$work/elapsed', 'w').write(str(time.monotonic() - start))"
now() { date +%s.%N; }
fresh() { rm -rf "$work/mnt/root" && mkdir "$work/mnt/root"; }

fresh; (cd "$work/mnt/root" && python3 -c "$workload"); alone=$(cat "$work/elapsed")

declare -A elapsed total rss events
for backend in fanotify inotify; do
    fresh; t0=$(now)
    (cd "$work/mnt/root" && /usr/bin/time -f %M -o "$work/rss" "$bin" --quiet --backend "$backend" \
        --journal "$work/$backend.journal" -- python3 -c "$workload")
    total[$backend]=$(echo "$(now) - $t0" | bc -l)
    elapsed[$backend]=$(cat "$work/elapsed")
    rss[$backend]=$(cat "$work/rss")
    events[$backend]=$("$bin" show --json "$work/$backend.journal" | grep '"record":"exit"' | sed 's/.*"kernel_events":\([0-9]*\).*/\1/')
done

fresh
# fatrace -c watches the mount of its working directory: run it from the tmpfs.
(cd "$work/mnt" && exec fatrace -c -o "$work/fatrace.out") &
fat=$!
# A fence, not a sleep: wait until fatrace holds its fanotify descriptor (or has died).
while kill -0 "$fat" 2>/dev/null && ! grep -qs "fanotify flags" /proc/"$fat"/fdinfo/*; do :; done
(cd "$work/mnt/root" && python3 -c "$workload"); fatrace_time=$(cat "$work/elapsed")
kill $fat; wait $fat 2>/dev/null || true

printf '%-40s %7.2f s\n' "workload alone" "$alone"
for backend in fanotify inotify; do
    printf '%-40s %7.2f s  (%.2fx)  whole run with arming and seal %6.2f s, peak RSS %6d KiB, %s kernel events\n' \
        "under changerec --backend $backend" "${elapsed[$backend]}" "$(echo "${elapsed[$backend]} / $alone" | bc -l)" \
        "${total[$backend]}" "${rss[$backend]}" "${events[$backend]}"
done
printf '%-40s %7.2f s  (%.2fx)\n' "under fatrace -c (to a file)" "$fatrace_time" "$(echo "$fatrace_time / $alone" | bc -l)"
