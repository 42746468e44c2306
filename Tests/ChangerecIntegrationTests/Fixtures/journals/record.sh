#!/bin/sh
# Remakes the checked-in journals of this folder with a built changerec (as root, for fanotify):
#   Tests/ChangerecIntegrationTests/Fixtures/journals/record.sh .build/debug/changerec
# Each workload runs in a fresh tree at /tmp/changerec-fixtures/root (the ROOT every journal
# names), prepared outside the recorder, then recorded once per backend. The expected outputs are
# remade afterwards by the tests themselves (see README.md).
set -eu
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
base=/tmp/changerec-fixtures
root=$base/root
outside=$base/outside

fresh() {
    rm -rf "$base"
    mkdir -p "$root" "$outside"
}

# record NAME BACKEND SCRIPT: one step, in ROOT, its journal written to this folder as NAME.journal.
record() {
    rm -f "$here/$1.journal"
    (cd "$root" && "$bin" --root "$root" --journal "$here/$1.journal" --backend "$2" -- /bin/sh -c "$3") >/dev/null 2>&1
}

for backend in fanotify inotify; do
    # Creates, deletes, modifies, a new directory with contents.
    fresh
    (cd "$root" && echo keep > keep && echo old > gone && echo m > mod && mkdir dir)
    record "basic-$backend" $backend 'echo new > new && rm gone && echo more >> mod && mkdir dir/sub && echo s > dir/sub/s'

    # The metadata-blind cases: a symlink retargeted with its mtime kept, a same-size rewrite with
    # its mtime restored.
    fresh
    (cd "$root" && ln -s y link && touch -h -t 198804071307.58 link &&
        printf abcd > f && touch -d '2001-02-03 04:05:06' f && touch -r f "$outside/ref")
    record "blind-$backend" $backend "ln -s x new && touch -h -t 198804071307.58 new && mv -T new link && printf WXYZ > f && touch -r '$outside/ref' f"

    # A populated directory renamed, then written into under its new name.
    fresh
    (cd "$root" && mkdir -p dir/sub && echo a > dir/a && echo b > dir/sub/b)
    record "rename-dir-$backend" $backend 'echo more > dir/sub/new && mv dir moved && echo after > moved/late'

    # Hard links: a new link, and a change through one name of a file with three.
    fresh
    (cd "$root" && echo f > f && echo one > a && ln a b && mkdir d && ln a d/c)
    record "hardlinks-$backend" $backend 'ln f hl && echo two >> a'

    # Metadata only: chmod, an xattr set, an xattr removed, a utime.
    fresh
    (cd "$root" && echo m > m && chmod 644 m && echo x > x && echo r > r && echo t > t &&
        python3 -c 'import os; os.setxattr("r", "user.gone", b"1")')
    record "attrs-$backend" $backend "chmod 600 m && python3 -c 'import os; os.setxattr(\"x\", \"user.k\", b\"v\"); os.removexattr(\"r\", \"user.gone\")' && touch -d '2001-01-01 00:00:00' t"

    # Deleted directories: one removed with its contents (whiteout), one removed and made again
    # (opaque), one replaced by a file.
    fresh
    (cd "$root" && mkdir -p gone/sub d r && echo x > gone/sub/x && echo y > gone/y && echo old > d/old &&
        echo x > r/x)
    record "deleted-dirs-$backend" $backend 'rm -rf gone && rm -rf d && mkdir d && echo new > d/new && rm -rf r && echo file > r'

    # Two runs of a similar step, for diff: the second writes other content, another target, one
    # more file, and leaves the mode alone.
    for run in 1 2; do
        fresh
        (cd "$root" && echo stale > stale)
        if [ $run = 1 ]; then
            record "pair1-$backend" $backend 'echo v1 > out && chmod 600 out && mkdir gen && echo x > gen/a && ln -s a gen/l && rm stale'
        else
            record "pair2-$backend" $backend 'echo v2 > out && mkdir gen && echo x > gen/a && echo y > gen/b && ln -s b gen/l && rm stale'
        fi
    done

    # Two consecutive steps on one tree, for a squashed layer plan.
    fresh
    (cd "$root" && echo c > conf && mkdir keep && echo k > keep/k)
    record "steps1-$backend" $backend 'mkdir -p app/lib && echo 1 > app/lib/x && echo c > app/conf && rm conf'
    record "steps2-$backend" $backend 'rm -rf app/lib && echo 2 > app/lib && rm app/conf && echo k2 > keep/k'
done
rm -rf "$base"
