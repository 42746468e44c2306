import Foundation
import Glibc

/// A small root file system for `changerec run`: Debian's static busybox (`busybox-static`) at
/// `/bin/busybox` with its applets linked beside it, and an `/etc/passwd` and `/etc/group` naming root,
/// nobody/nogroup and `builder` (uid 1000, gid 1000, home `/home/builder`). Its directories get an old
/// fixed modification time, so that a time not put back shows.
public enum BusyboxRootfs {
    /// Where Debian's `busybox-static` installs the static binary the root file systems are made from.
    public static let busybox = "/bin/busybox"

    /// The applets the tests call, each a link to `busybox` in `/bin`.
    public static let applets = [
        "sh", "id", "touch", "cat", "ls", "mkdir", "echo", "pwd", "env", "rm", "mv", "ln", "chmod", "printf",
        "true", "kill", "test", "stat",
    ]

    /// The modification time every declared directory gets: 2001-02-03 04:05:06 UTC.
    public static let oldTime: Int64 = TreeSpec.seconds("2001-02-03 04:05:06")

    public static let passwd = """
        root:x:0:0:root:/root:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/bin/false
        builder:x:1000:1000:builder:/home/builder:/bin/sh

        """

    public static let group = """
        root:x:0:
        nogroup:x:65534:
        builder:x:1000:

        """

    /// Why the root file system cannot be made here, or `nil`: `/bin/busybox` must be there and static
    /// (Debian's `busybox` package installs a dynamically linked one at the same path, which cannot run
    /// in a root file system without its libraries).
    public static let unavailableReason: String? = {
        let install =
            "the changerec run tests build their root file system from Debian's static busybox (apt-get install busybox-static)"
        guard access(busybox, X_OK) == 0 else { return "\(busybox) is missing: \(install)" }
        guard let libraries = try? Chroot.libraries(of: busybox), libraries.isEmpty else {
            return "\(busybox) is not statically linked: \(install)"
        }
        return nil
    }()

    /// Makes the root file system in `directory` (which must exist): `/bin` with busybox and its
    /// applets, `/etc/passwd`, `/etc/group` and what `etc` declares, `/root`, `/home/builder` and `/out`
    /// (an empty directory for a step's output), then the objects `extra` declares.
    ///
    /// - Throws: `TestFailure` naming `apt-get install busybox-static` when `/bin/busybox` is missing:
    ///   a test that needs it fails rather than passing without having run.
    public static func make(in directory: String, etc: [TreeSpec] = [], extra: [TreeSpec] = []) throws {
        if let problem = unavailableReason { throw TestFailure(problem) }
        let old = oldTime
        let tree: [TreeSpec] =
            [
                .dir("bin", applets.map { .symlink($0, "busybox") }),
                .dir("etc", [.file("passwd", passwd).mode(0o644), .file("group", group).mode(0o644)] + etc).mtime(old),
                .dir("root").mode(0o700).mtime(old),
                .dir("home", [.dir("builder").mtime(old)]).mtime(old),
                .dir("out").mtime(old),
            ] + extra
        try tree.materialise(in: directory)
        try Chroot.copy(busybox, to: directory + busybox)
        // The copy moved /bin's time; put it and the root's back to the old time too.
        for path in [directory + "/bin", directory] {
            var times = [timespec(tv_sec: Int(old), tv_nsec: 0), timespec(tv_sec: Int(old), tv_nsec: 0)]
            guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw TestFailure("cannot set the time of \(path): errno \(errno)")
            }
        }
    }
}
