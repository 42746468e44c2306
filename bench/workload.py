"""The workloads bench/run records, each timing itself.

Usage: python3 bench/workload.py RESULT KIND ARGS...   (run with the tree to change as the current
directory). RESULT receives one JSON object: `step` (the workload's own wall time, in seconds, from
just before its first change to just after its last), and the CPU seconds and peak RSS of this process
and of the programs it ran, so that bench/run can subtract them from a recorder that ran it as its
child.

Kinds:
  files N DIRS           N small files spread over DIRS new directories
  tar ARCHIVE            tar -xf ARCHIVE
  cp SRC DST             cp -a SRC DST
  mix DIR                a rename/chmod/symlink/hard-link/rewrite/unlink mix over every file of DIR
                         (made by bench/run), then every tenth directory renamed
  dpkg CHROOT DEB...     chroot CHROOT dpkg -i DEB... (DEB paths inside the chroot)

Kept apart from bench/run so that the interpreter starting it imports little: its start-up is part of
every end-to-end time, bare or recorded.
"""

import json
import os
import resource
import subprocess
import sys
import time


def files(count, dirs):
    per_dir = count // dirs
    for d in range(dirs):
        name = "d%04d" % d
        os.mkdir(name)
        for f in range(per_dir):
            fd = os.open("%s/f%d" % (name, f), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, b"file %d of directory %d\n" % (f, d))
            os.close(fd)


def mix(top):
    dirs = sorted(os.listdir(top))
    for d in dirs:
        path = os.path.join(top, d)
        for i, name in enumerate(sorted(os.listdir(path))):
            f = os.path.join(path, name)
            op = i % 6
            if op == 0:
                os.rename(f, f + ".renamed")
            elif op == 1:
                os.chmod(f, 0o600)
            elif op == 2:
                os.symlink(name, f + ".link")
            elif op == 3:
                os.link(f, f + ".hard")
            elif op == 4:
                # Same size, new bytes: a blind rewrite.
                with open(f, "r+b") as out:
                    data = out.read()
                    out.seek(0)
                    out.write(data.upper() if data != data.upper() else data.lower())
            else:
                os.unlink(f)
    for n, d in enumerate(dirs):
        if n % 10 == 0:
            os.rename(os.path.join(top, d), os.path.join(top, d + ".moved"))


def run(argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def main():
    result, kind, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    start = time.monotonic()
    if kind == "files":
        files(int(args[0]), int(args[1]))
    elif kind == "tar":
        run(["tar", "-xf", args[0]])
    elif kind == "cp":
        run(["cp", "-a", args[0], args[1]])
    elif kind == "mix":
        mix(args[0])
    elif kind == "dpkg":
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", PATH="/usr/sbin:/usr/bin:/sbin:/bin")
        # Maintainer scripts talk on both streams; keep them for a failure only.
        r = subprocess.run(["chroot", args[0], "dpkg", "-i", *args[1:]], env=env, capture_output=True)
        if r.returncode != 0:
            sys.stderr.buffer.write(r.stdout + r.stderr)
            sys.exit("workload.py: dpkg -i failed")
    else:
        sys.exit("workload.py: unknown kind %r" % kind)
    step = time.monotonic() - start
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(result, "w") as out:
        json.dump(
            {
                "step": step,
                "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                "maxrss_kib": max(me.ru_maxrss, kids.ru_maxrss),
            },
            out,
        )


if __name__ == "__main__":
    main()
