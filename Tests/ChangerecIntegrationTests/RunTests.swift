import ChangerecTestSupport
import Foundation
import Testing

/// `changerec run`: a command chrooted into a busybox root file system (``BusyboxRootfs``) in a private
/// mount namespace, recorded with ROOT = that root file system. Each step is judged against snapshots
/// of the root file system taken before and after it: the change set (and the layer) must hold exactly
/// the real differences, so nothing mounted for the step may show, and nothing made for it may stay.
@Suite("changerec run: a step in a root file system, isolated and recorded", .requiresRoot)
struct RunTests {
    /// One `changerec run` in a tree whose ROOT is the root file system, and the tree before and after.
    struct Step {
        var tree: TemporaryTree
        var before: TreeSnapshot
        var after: TreeSnapshot
        var result: RunResult
        var journal: String

        /// Every real difference the step made in the root file system, `/`-rooted.
        var realPaths: [String] { before.differences(to: after).map { "/" + String(decoding: $0.path, as: UTF8.self) } }

        /// `changerec changes --json` of the step's journal.
        func changes() throws -> RecordedChanges {
            let listed = try Run.changerec(["changes", "--json", journal])
            try #require(listed.status == 0, "\(listed.stderr)")
            return try RecordedChanges(json: listed.stdoutData)
        }

        /// Requires the change set to be exactly `expected`, and `expected` to be exactly the real
        /// differences the snapshots show (each reported as the oracle says it must be).
        func expectChanges(_ expected: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
            let changes = try changes()
            let recorded = changes.changes.map { "/" + String(decoding: $0.path, as: UTF8.self) }.sorted()
            #expect(realPaths == expected, "the step's real differences", sourceLocation: sourceLocation)
            #expect(
                recorded == expected, "the journal's change set: \(changes.changes)", sourceLocation: sourceLocation)
            let missing = changes.missing(before.differences(to: after))
            #expect(missing.isEmpty, "\(missing)", sourceLocation: sourceLocation)
        }
    }

    /// A fresh tree whose ROOT holds the busybox root file system, with `etc` and `extra` added.
    static func rootfs(etc: [TreeSpec] = [], extra: [TreeSpec] = []) throws -> TemporaryTree {
        let tree = try TemporaryTree()
        try BusyboxRootfs.make(in: tree.root, etc: etc, extra: extra)
        return tree
    }

    /// Runs `changerec run --rootfs ROOT --journal BASE/step.journal OPTIONS -- COMMAND` from the tree's
    /// base directory, with the root file system snapshotted before and after.
    static func run(
        in tree: TemporaryTree, _ options: [String] = [], _ command: [String],
        environment: [String: String] = [:]
    ) throws -> Step {
        let journal = tree.base + "/step.journal"
        let before = try TreeSnapshot.take(tree.root)
        let result = try Run.changerec(
            ["run", "--rootfs", tree.root, "--journal", journal] + options + ["--"] + command, directory: tree.base,
            environment: environment)
        return Step(
            tree: tree, before: before, after: try TreeSnapshot.take(tree.root), result: result, journal: journal)
    }

    /// Whether `stderr` is one line from changerec.
    static func isOneLine(_ stderr: String) -> Bool {
        stderr.hasPrefix("changerec: ") && stderr.hasSuffix("\n") && stderr.split(separator: "\n").count == 1
    }

    /// The entries of the top layer of the image `tag` names in `layout`, as `tar -t` lists them, without
    /// a trailing `/`.
    static func topLayerEntries(_ layout: String, tag: String) throws -> [String] {
        let manifestDigest = try LayoutHistoryTests.image(layout, tag: tag).manifest
        let manifest = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: layout + "/blobs/sha256/" + manifestDigest.dropFirst(7))))
                as? [String: Any])
        let layers = try #require(manifest["layers"] as? [[String: Any]])
        let digest = try #require(layers.last?["digest"] as? String)
        let listed = try Run.command(["/bin/sh", "-c", "tar -tzf '\(layout)/blobs/sha256/\(digest.dropFirst(7))'"])
        try #require(listed.status == 0 && listed.stderr.isEmpty, "\(listed.stderr)")
        return listed.stdout.split(separator: "\n").map { $0.hasSuffix("/") ? String($0.dropLast()) : String($0) }
    }

    static func contents(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    @Test(
        "writes under a --mount target, /proc and /dev leave no trace: the change set and the layer hold exactly the step's own changes",
        arguments: ["fanotify", "inotify"])
    func mountedWritesLeaveNoTrace(backend: String) throws {
        let tree = try Self.rootfs()
        let layout = tree.base + "/image"
        let step = try Self.run(
            in: tree,
            ["--backend", backend, "--mount", tree.outside + ":/in", "--oci-layout", layout, "--tag", "t"],
            [
                "sh", "-c",
                "echo x > /in/file && echo renamed > /proc/self/comm && echo y > /dev/null && echo z > /dev/shm/file && mkdir /out/made && echo data > /out/made/file",
            ])
        try #require(step.result.status == 0, "\(step.result.stderr)")
        #expect(try Self.contents(tree.outside + "/file") == "x\n", "the step wrote through the bind mount")
        try step.expectChanges(["/out", "/out/made", "/out/made/file"])
        try OCILayoutCheck.verify(layout, tag: "t", expectedLayers: 1)
        let entries = try Self.topLayerEntries(layout, tag: "t")
        #expect(entries.sorted() == ["out", "out/made", "out/made/file"], "\(entries)")
        #expect(!entries.contains { $0.contains(".wh.") }, "no whiteout for a mount point: \(entries)")
    }

    @Test(
        "the step sees /proc, a minimal /dev, a read-only /sys, the host's resolv.conf and hosts read-only, and each --mount"
    )
    func stepMounts() throws {
        let tree = try Self.rootfs()
        let readOnly = tree.base + "/read-only"
        try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: false)
        let step = try Self.run(
            in: tree, ["--mount", tree.outside + ":/in", "--mount", readOnly + ":/ro:ro"],
            [
                "sh", "-c",
                """
                cat /proc/self/mounts && echo -- && \
                for d in null zero full random urandom tty; do stat -c '%n %F %t:%T %a' /dev/$d; done && \
                stat -c '%n %F %a' /dev/shm && stat -c '%N' /dev/ptmx /dev/fd /dev/stdin /dev/stdout /dev/stderr
                """,
            ])
        try #require(step.result.status == 0, "\(step.result.stderr)")
        let parts = step.result.stdout.components(separatedBy: "--\n")
        try #require(parts.count == 2, "\(step.result.stdout)")
        // Mount point → (type, options), the last mount on each point winning, as it does for the step.
        var mounts: [String: (type: String, options: Set<String>)] = [:]
        for line in parts[0].split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 4 else { continue }
            mounts[fields[1]] = (fields[2], Set(fields[3].split(separator: ",").map(String.init)))
        }
        for (point, type, readOnly) in [
            ("/proc", "proc", false), ("/dev", "tmpfs", false), ("/dev/pts", "devpts", false),
            ("/dev/shm", "tmpfs", false), ("/sys", "sysfs", true), ("/in", nil, false), ("/ro", nil, true),
            ("/etc/resolv.conf", nil, true), ("/etc/hosts", nil, true),
        ] as [(String, String?, Bool)] {
            let mount = try #require(mounts[point], "\(point) is not mounted: \(parts[0])")
            if let type { #expect(mount.type == type, "\(point)") }
            #expect(mount.options.contains(readOnly ? "ro" : "rw"), "\(point): \(mount.options)")
        }
        // The flags docs/run.md gives each system mount (the kernel lists them as options).
        for (point, flags) in [
            ("/proc", ["nosuid", "nodev", "noexec"]), ("/dev", ["nosuid", "noexec", "mode=755", "size=65536k"]),
            ("/dev/shm", ["nosuid", "nodev"]), ("/sys", ["nosuid", "nodev", "noexec"]),
        ] {
            let options = mounts[point]?.options ?? []
            #expect(Set(flags).isSubset(of: options), "\(point): \(options)")
        }
        #expect(
            parts[1] == """
                /dev/null character special file 1:3 666
                /dev/zero character special file 1:5 666
                /dev/full character special file 1:7 666
                /dev/random character special file 1:8 666
                /dev/urandom character special file 1:9 666
                /dev/tty character special file 5:0 666
                /dev/shm directory 1777
                '/dev/ptmx' -> 'pts/ptmx'
                '/dev/fd' -> '/proc/self/fd'
                '/dev/stdin' -> '/proc/self/fd/0'
                '/dev/stdout' -> '/proc/self/fd/1'
                '/dev/stderr' -> '/proc/self/fd/2'

                """)
        try step.expectChanges([])
    }

    @Test("mount points made for the step are removed afterwards, and their parent directories keep their times")
    func madeMountPointsRemoved() throws {
        let hostsFile = "/etc/hosts"
        // Both are bound only when the host has them: without one, its mount point is never made, and the
        // check that it is gone could not fail.
        for file in [hostsFile, "/etc/resolv.conf"] {
            try #require(FileManager.default.fileExists(atPath: file), "the host needs \(file) for the step to see")
        }
        let tree = try Self.rootfs()
        let step = try Self.run(
            in: tree, ["--mount", tree.outside + ":/in"],
            [
                "sh", "-c",
                "test -c /dev/null && test -d /dev/shm && test -d /proc/self && test -d /sys/kernel && test -d /in && cat /etc/hosts > /out/hosts",
            ])
        try #require(step.result.status == 0, "\(step.result.stderr)")
        #expect(try Self.contents(tree.path("out/hosts")) == (try Self.contents(hostsFile)))
        try step.expectChanges(["/out", "/out/hosts"])
        for point in ["dev", "proc", "sys", "in", "etc/resolv.conf", "etc/hosts"] {
            #expect(step.after.objects[Array(point.utf8)] == nil, "/\(point) is left behind")
        }
        // The root's time is not in the oracle's differences (a step may touch ROOT itself): compare it here.
        for parent in ["", "etc"] {
            let before = try #require(step.before.objects[Array(parent.utf8)])
            let after = try #require(step.after.objects[Array(parent.utf8)])
            #expect(
                after.mtime == before.mtime && after.mtimeNanoseconds == before.mtimeNanoseconds,
                "/\(parent)'s mtime moved from \(before.mtime).\(before.mtimeNanoseconds) to \(after.mtime).\(after.mtimeNanoseconds)"
            )
        }
    }

    @Test("mount points that exist already are used and left as they were, what they hold included")
    func existingMountPointsKept() throws {
        let old = BusyboxRootfs.oldTime
        let tree = try Self.rootfs(
            etc: [
                .file("resolv.conf", "nameserver 192.0.2.1\n").mtime(old),
                .file("hosts", "192.0.2.2 image\n").mtime(old),
            ],
            extra: [
                .dir("dev", [.file("placeholder", "under the mount")]).mode(0o700).mtime(old),
                .dir("proc").mode(0o555).mtime(old), .dir("sys").mode(0o555).mtime(old),
                .dir("in", [.file("hidden", "under the bind")]).mtime(old),
            ])
        let step = try Self.run(
            in: tree, ["--mount", tree.outside + ":/in"],
            ["sh", "-c", "test ! -e /dev/placeholder && test ! -e /in/hidden && cat /etc/hosts > /out/hosts"])
        try #require(step.result.status == 0, "\(step.result.stderr)")
        #expect(try Self.contents(tree.path("out/hosts")) == (try Self.contents("/etc/hosts")))
        // Everything else, the mount points and what is under them included, is as it was.
        try step.expectChanges(["/out", "/out/hosts"])
        #expect(step.after.objects[Array("dev/placeholder".utf8)] != nil)
    }

    @Test("the host directory bound at /in is written through, and nothing under it is in the journal")
    func boundDirectoryWrittenThrough() throws {
        let tree = try Self.rootfs()
        try tree.materialise([.file("old", "before\n")], in: tree.outside)
        let readOnly = tree.base + "/read-only"
        try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: false)
        let hostBefore = try TreeSnapshot.take(tree.outside)
        let step = try Self.run(
            in: tree, ["--mount", tree.outside + ":/in", "--mount", readOnly + ":/ro:ro"],
            [
                "sh", "-c",
                "echo after > /in/old && echo new > /in/new && mkdir /in/sub && ! (echo x > /ro/f) 2>/dev/null && touch /out/ran",
            ])
        try #require(step.result.status == 0, "\(step.result.stderr)")
        let onHost = hostBefore.differences(to: try TreeSnapshot.take(tree.outside)).map(\.description)
        #expect(Set(onHost) == ["changed /old (size, mtime, content)", "added /new", "added /sub"], "\(onHost)")
        #expect(try Self.contents(tree.outside + "/old") == "after\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: readOnly).isEmpty, "a :ro mount was written")
        try step.expectChanges(["/out", "/out/ran"])
    }

    @Test(
        "writes through a --mount whose source is inside the root file system are the root file system's, and recorded",
        arguments: ["fanotify", "inotify"])
    func mountFromInsideRecorded(backend: String) throws {
        let tree = try Self.rootfs()
        let step = try Self.run(
            in: tree, ["--backend", backend, "--mount", tree.path("out") + ":/in"],
            ["sh", "-c", "echo through > /in/through && echo direct > /out/direct"])
        try #require(step.result.status == 0, "\(step.result.stderr)")
        try step.expectChanges(["/out", "/out/direct", "/out/through"])
    }

    @Test("a root file system whose /etc/resolv.conf is a symbolic link keeps it, and changerec says so in one line")
    func resolvConfSymlinkKept() throws {
        let tree = try Self.rootfs(etc: [.symlink("resolv.conf", "../run/resolv.conf")])
        let step = try Self.run(in: tree, [], ["sh", "-c", "test -L /etc/resolv.conf && touch /out/ran"])
        try #require(step.result.status == 0, "\(step.result.stderr)")
        #expect(
            step.result.stderr.contains(
                "changerec: the step does not see the host's /etc/resolv.conf: the root file system's is a symlink\n"),
            "\(step.result.stderr)")
        try step.expectChanges(["/out", "/out/ran"])
    }

    @Test(
        "a mount point behind a symbolic link, or of the wrong type, is refused in one line before the command runs, and nothing is left behind",
        arguments: [
            // A host directory on /l/b, where /l leads out of the root file system's /.
            ([TreeSpec.symlink("l", "/out")], "/l/b", "is a symlink"),
            // /proc as a file, where the step's proc file system needs a directory.
            ([.file("proc")], nil, "is a regular"),
            // A host file on /data, a directory.
            ([.dir("data")], "/data", "is a directory"),
        ])
    func unsafeMountPointRefused(extra: [TreeSpec], destination: String?, complaint: String) throws {
        let tree = try Self.rootfs(extra: extra)
        try tree.materialise([.file("source", "x")], in: tree.outside)
        let source = destination == "/data" ? tree.outside + "/source" : tree.outside
        let bound = destination.map { ["--mount", source + ":" + $0] } ?? []
        let step = try Self.run(in: tree, bound, ["touch", "/out/ran"])
        #expect(step.result.status == 125)
        #expect(Self.isOneLine(step.result.stderr), "\(step.result.stderr)")
        #expect(step.result.stderr.contains(complaint), "\(step.result.stderr)")
        #expect(step.realPaths.isEmpty, "the root file system changed: \(step.realPaths)")
    }

    @Test(
        "--user is looked up in the root file system's /etc/passwd and /etc/group, names or numbers",
        arguments: [
            ([], "0\n0\n"), (["--user", "builder"], "1000\n1000\n"), (["--user", "1000:1000"], "1000\n1000\n"),
            (["--user", "nobody"], "65534\n65534\n"), (["--user", "builder:nogroup"], "1000\n65534\n"),
        ])
    func userLookedUp(options: [String], expected: String) throws {
        let tree = try Self.rootfs()
        let step = try Self.run(in: tree, options, ["sh", "-c", "id -u && id -g"])
        #expect(step.result.status == 0, "\(step.result.stderr)")
        #expect(step.result.stdout == expected)
    }

    @Test("an unknown user is one line naming it and /etc/passwd, before the command runs or anything is made")
    func unknownUserRefused() throws {
        let tree = try Self.rootfs()
        let step = try Self.run(in: tree, ["--user", "ghost"], ["touch", "/out/ran"])
        #expect(step.result.status == 125)
        #expect(Self.isOneLine(step.result.stderr), "\(step.result.stderr)")
        #expect(step.result.stderr.contains("'ghost'") && step.result.stderr.contains("/etc/passwd"))
        #expect(step.realPaths.isEmpty, "the root file system changed: \(step.realPaths)")
        #expect(!FileManager.default.fileExists(atPath: step.journal))
    }

    @Test("a missing --workdir is made, the command runs there, and its making is in the change set")
    func workdirMade() throws {
        let tree = try Self.rootfs()
        let step = try Self.run(in: tree, ["--workdir", "/a/b"], ["pwd"])
        #expect(step.result.status == 0, "\(step.result.stderr)")
        #expect(step.result.stdout == "/a/b\n")
        try step.expectChanges(["/a", "/a/b"])
        #expect(try step.changes().changes.allSatisfy { $0.kind == "A" && $0.type == "dir" })
    }

    @Test(
        "the command's environment is --env alone, with PATH and HOME supplied unless given",
        arguments: [
            (
                ["--env", "GREETING=hello", "--env", "SPACED=a b=c"],
                [
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello",
                    "SPACED=a b=c", "HOME=/root",
                ]
            ),
            (["--user", "builder", "--env", "PATH=/bin"], ["PATH=/bin", "HOME=/home/builder"]),
            (
                ["--env", "HOME=/elsewhere"],
                ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/elsewhere"]
            ),
        ])
    func environmentIsGivenOnly(options: [String], expected: [String]) throws {
        let tree = try Self.rootfs()
        let step = try Self.run(in: tree, options, ["env"], environment: ["CHANGEREC_RUN_TEST_LEAK": "from the host"])
        #expect(step.result.status == 0, "\(step.result.stderr)")
        #expect(step.result.stdout.split(separator: "\n").map(String.init).sorted() == expected.sorted())
    }

    @Test("a command not in the root file system exits 127 with one line, and nothing is left behind")
    func commandNotFound() throws {
        let tree = try Self.rootfs()
        let step = try Self.run(in: tree, ["--mount", tree.outside + ":/in"], ["no-such-command"])
        #expect(step.result.status == 127)
        #expect(Self.isOneLine(step.result.stderr), "\(step.result.stderr)")
        #expect(step.result.stderr.contains("no-such-command"))
        #expect(step.realPaths.isEmpty, "the root file system changed: \(step.realPaths)")
    }

    @Test("a command under a --mount target is found there, by path and along PATH; one not executable exits 126")
    func commandUnderMount() throws {
        let tree = try Self.rootfs()
        let scripts = tree.outside + "/scripts"
        try FileManager.default.createDirectory(atPath: scripts, withIntermediateDirectories: false)
        try "#!/bin/sh\necho built > /out/built\n".write(
            toFile: scripts + "/build.sh", atomically: true, encoding: .utf8)
        try "#!/bin/sh\n".write(toFile: scripts + "/plain.txt", atomically: true, encoding: .utf8)
        chmod(scripts + "/build.sh", 0o755)
        chmod(scripts + "/plain.txt", 0o644)
        let mount = ["--mount", scripts + ":/scripts:ro"]
        let byPath = try Self.run(in: tree, mount, ["/scripts/build.sh"])
        #expect(byPath.result.status == 0, "\(byPath.result.stderr)")
        #expect(try Self.contents(tree.root + "/out/built") == "built\n")
        // The same journal path each time: the steps after the first replace it.
        let alongPath = try Self.run(in: tree, mount + ["--force", "--env", "PATH=/bin:/scripts"], ["build.sh"])
        #expect(alongPath.result.status == 0, "\(alongPath.result.stderr)")
        let notExecutable = try Self.run(in: tree, mount + ["--force"], ["/scripts/plain.txt"])
        #expect(notExecutable.result.status == 126)
        #expect(Self.isOneLine(notExecutable.result.stderr), "\(notExecutable.result.stderr)")
        #expect(notExecutable.result.stderr.contains("/scripts/plain.txt"), "\(notExecutable.result.stderr)")
    }

    @Test(
        "a --rootfs that is not a directory, or is missing, is one line naming it and a non-zero exit",
        arguments: [("etc/passwd", "is not a directory"), ("missing", "does not exist")])
    func rootfsNotADirectory(relative: String, complaint: String) throws {
        let tree = try Self.rootfs()
        let rootfs = tree.path(relative)
        let result = try Run.changerec(
            ["run", "--rootfs", rootfs, "--journal", tree.base + "/step.journal", "--", "true"], directory: tree.base)
        #expect(result.status == 125)
        #expect(Self.isOneLine(result.stderr), "\(result.stderr)")
        #expect(result.stderr.contains(rootfs) && result.stderr.contains(complaint), "\(result.stderr)")
    }

    @Test("the fanotify and inotify backends give the same change set for the same step, the oracle's")
    func backendsAgree() throws {
        // No name is made and then renamed or removed: under load inotify may read its create event only
        // after it is gone, and then the seal takes, on purpose, every file whose ctime is within a second
        // of arming as possibly changed — all of this freshly made root file system.
        let script = """
            mkdir -p /out/d/e && echo 1 > /out/d/e/g && ln -s g /out/d/e/l && \
            rm /srv/gone && echo bbbb > /srv/edit && chmod 600 /srv/keep && mv /srv/moved /out/
            """
        var listings: [String: [String]] = [:]
        for backend in ["fanotify", "inotify"] {
            let tree = try Self.rootfs(extra: [
                .dir("srv", [.file("gone", "x"), .file("keep", "k"), .file("edit", "aaaa"), .file("moved", "m")])
            ])
            let step = try Self.run(in: tree, ["--backend", backend], ["sh", "-c", script])
            try #require(step.result.status == 0, "\(backend): \(step.result.stderr)")
            try step.expectChanges([
                "/out", "/out/d", "/out/d/e", "/out/d/e/g", "/out/d/e/l", "/out/moved", "/srv", "/srv/edit",
                "/srv/gone", "/srv/keep", "/srv/moved",
            ])
            let changes = try step.changes()
            #expect(changes.backend == backend)
            listings[backend] = changes.changes.map {
                "\($0.kind) /\(String(decoding: $0.path, as: UTF8.self)) \($0.type)"
            }
        }
        #expect(listings["fanotify"] == listings["inotify"])
    }

    @Test(
        "the command's exit status is changerec's, and a failing command gets no layer",
        arguments: [("touch /out/ran; exit 3", Int32(3)), ("touch /out/ran; kill -9 $$", Int32(137))])
    func exitStatusPassedThrough(script: String, status: Int32) throws {
        let tree = try Self.rootfs()
        let layout = tree.base + "/image"
        let step = try Self.run(in: tree, ["--oci-layout", layout, "--tag", "t"], ["sh", "-c", script])
        #expect(step.result.status == status, "\(step.result.stderr)")
        #expect(step.result.stderr.contains("no layer written"), "\(step.result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: layout))
        // The step is still recorded.
        try step.expectChanges(["/out", "/out/ran"])
    }

    @Test("run as a user other than root is one line saying it needs root", .requiresProgram("/usr/bin/setpriv"))
    func unprivilegedRefused() throws {
        let tree = try Self.rootfs()
        let before = try TreeSnapshot.take(tree.root)
        let result = try Run.command([
            "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", Run.binary, "run", "--rootfs",
            tree.root, "--", "touch", "/out/ran",
        ])
        #expect(result.status == 125)
        #expect(Self.isOneLine(result.stderr), "\(result.stderr)")
        #expect(result.stderr.contains("needs root"), "\(result.stderr)")
        #expect(before.differences(to: try TreeSnapshot.take(tree.root)).isEmpty)
    }

    @Test("appending to an image whose layers came from this root file system's journals leaves out paths only touched")
    func exactLayersFromJournals() throws {
        let tree = try Self.rootfs()
        let layout = tree.base + "/image"
        func step(_ script: String) throws -> RunResult {
            // Journals in ROOTFS/.changerec/, where run looks for the image's journals.
            let result = try Run.changerec(
                [
                    "run", "--quiet", "--rootfs", tree.root, "--oci-layout", layout, "--tag", "t", "--", "sh", "-c",
                    script,
                ],
                directory: tree.base)
            try #require(result.status == 0, "\(result.stderr)")
            return result
        }
        _ = try step("echo a > /out/a && echo b > /out/b")
        // /out/a is only opened for writing; /etc/passwd too, but no layer of the image holds it (it came
        // with the root file system), so its state before the step is not known and it stays.
        _ = try step(": >> /out/a && echo c > /out/c && : >> /etc/passwd")
        #expect(try Self.topLayerEntries(layout, tag: "t").sorted() == ["etc", "etc/passwd", "out", "out/c"])
        // With the top layer's journal gone, what the layers below say may be stale, so nothing is known:
        // /out/a is in the layer again.
        try FileManager.default.removeItem(atPath: tree.root + "/.changerec/0002.journal")
        _ = try step(": >> /out/a")
        let entries = try Self.topLayerEntries(layout, tag: "t").sorted()
        #expect(entries.contains("out/a"), "\(entries)")
    }
}
