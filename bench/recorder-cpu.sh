#!/usr/bin/env bash
# The recorder's own CPU per kernel event: FILES files written and closed in DIRS new directories on a
# fresh tmpfs, recorded with --backend fanotify and --backend inotify. The recorder's CPU is the whole
# run's (changerec and the workload, from wait4) minus what the workload process reports for itself at
# its end, so it counts every thread changerec has and nothing of the workload. It is divided by the
# kernel events read (the journal's exit record). Arming and the seal are included: they are part of
# what a recording costs (--quiet, as here, does not read the journal back). With --profile each
# backend is also run once under `perf record -g` (changerec only), printing the CPU share of each
# stage and the hottest functions.
# Usage (as root): bench/recorder-cpu.sh [--profile] [path/to/changerec]
#        env FILES=20000 DIRS=200 ROUNDS=3 BACKENDS="fanotify inotify" KEEP=dir (keep the perf data there)
set -euo pipefail
profile=0
if [ "${1:-}" = --profile ]; then profile=1; shift; fi
. "$(dirname "$0")/common.sh"
bin=$(changerec_binary "${1:-}")
[ "$(id -u)" = 0 ] || { echo "recorder-cpu.sh: needs root (fanotify, mounts)" >&2; exit 1; }
FILES=${FILES:-20000} DIRS=${DIRS:-200} ROUNDS=${ROUNDS:-3}
work=$(mktemp -d)
cleanup() { umount "$work/mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir "$work/mnt" && mount -t tmpfs -o size=1g changerec-cpu "$work/mnt"

# The workload writes its own CPU seconds (user + system) to the file named by its first argument.
cat >"$work/workload.py" <<EOF
import os, resource, sys
per = $FILES // $DIRS
for d in range($DIRS):
    os.mkdir('d%d' % d)
    for i in range(per):
        fd = os.open('d%d/%d' % (d, i), os.O_WRONLY | os.O_CREAT, 0o644); os.write(fd, b'x'); os.close(fd)
u = resource.getrusage(resource.RUSAGE_SELF)
open(sys.argv[1], 'w').write('%f' % (u.ru_utime + u.ru_stime))
EOF
# Runs argv, prints its CPU seconds with its waited-for children's (wait4).
cat >"$work/cpu.py" <<'EOF'
import os, sys
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
if status: sys.exit('%s failed: %d' % (sys.argv[1], status))
print('%f' % (usage.ru_utime + usage.ru_stime))
EOF
kernel_events() { "$bin" show --json "$1" | grep '"record":"exit"' | sed 's/.*"kernel_events":\([0-9]*\).*/\1/'; }
fresh() { rm -rf "$work/mnt/root" && mkdir "$work/mnt/root"; }

# Per file too: how many events the kernel delivers for the same files depends on how many it merged.
printf '%-10s %6s %9s %10s %10s %10s\n' backend round events "cpu (s)" "µs/event" "µs/file"
for backend in ${BACKENDS:-fanotify inotify}; do
    for round in $(seq "$ROUNDS"); do
        fresh
        total=$(cd "$work/mnt/root" && python3 "$work/cpu.py" "$bin" --quiet --backend "$backend" \
            --journal "$work/j" -- python3 "$work/workload.py" "$work/self")
        events=$(kernel_events "$work/j")
        cpu=$(echo "$total - $(cat "$work/self")" | bc -l)
        printf '%-10s %6s %9s %10.3f %10.2f %10.2f\n' "$backend" "$round" "$events" "$cpu" \
            "$(echo "$cpu * 1000000 / $events" | bc -l)" "$(echo "$cpu * 1000000 / $FILES" | bc -l)"
        rm -f "$work/j"
    done
done

[ "$profile" = 1 ] || exit 0
# Where the CPU goes: changerec alone (--no-inherit leaves the workload out), sampled by the CPU clock.
# Instruction counts would be steadier, but this machine's hypervisor exposes no hardware counters and
# valgrind (3.19) does not know openat2, which changerec needs to open ROOT.
out=${KEEP:-$work}
for backend in ${BACKENDS:-fanotify inotify}; do
    fresh
    (cd "$work/mnt/root" && perf record -q -F 10000 -e cpu-clock --no-inherit -g -o "$out/perf.$backend.data" \
        "$bin" --quiet --backend "$backend" --journal "$work/j" -- python3 "$work/workload.py" "$work/self")
    echo "== $backend: $(kernel_events "$work/j") kernel events; the recorder's stages, then its own hottest functions"
    perf report -i "$out/perf.$backend.data" --children --sort symbol --stdio -g none 2>/dev/null |
        grep -E 'RecordingSession[CV](3run|5drain|4seal|3arm)|ChangeSetV4load' | grep -v Tf | cut -c1-130 || true
    # (head closes the pipe early: not a failure)
    perf report -i "$out/perf.$backend.data" --no-children --sort symbol --stdio -g none 2>/dev/null |
        grep '%' | head -25 | cut -c1-150 || true
    rm -f "$work/j"
done
