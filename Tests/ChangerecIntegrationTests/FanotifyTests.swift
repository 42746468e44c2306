import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// What only the fanotify backend does: paths kept in event order through file handles, file systems
/// mounted inside ROOT, the process behind each change, and `auto`'s choice.
@Suite("fanotify: ordering, mounts, attribution and auto", .requiresRoot)
struct FanotifyTests {
    /// The `show --json` records of `journal`, parsed.
    func records(_ journal: String) throws -> [[String: Any]] {
        let shown = try Run.changerec(["show", "--json", journal])
        return try shown.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test("events keep the path they had when they happened, even when a rename is read after them")
    func renameOrdering() throws {
        let tree = try TemporaryTree()
        // The stall hook leaves the queue unread until the command ends: the files' events are read
        // only after the directory was renamed, so only the handle map kept in event order gets them right.
        let truth = try GroundTruth.run(
            "mkdir d && echo a > d/a && echo b > d/b && mv d e && echo c > e/c", in: tree, backend: "fanotify",
            environment: ["CHANGEREC_TEST_STALL_READER": "1"])
        #expect(truth.missing.isEmpty)
        let events = try records(truth.journal).filter { $0["record"] as? String == "event" }
        let described = events.map { event in
            [event["op"] as? String, event["path"] as? String, event["path2"] as? String].compactMap { $0 }
                .joined(separator: " ")
        }
        let creates = described.filter { $0.hasPrefix("create") }
        #expect(creates == ["create /d", "create /d/a", "create /d/b", "create /e/c"])
        #expect(described.contains("rename /d /e"))
        let renameIndex = try #require(described.firstIndex(of: "rename /d /e"))
        #expect(try #require(described.firstIndex(of: "create /d/b")) < renameIndex)
        #expect(!truth.changes.notes.contains("handle-resolved"))
        #expect(truth.changes.entry("e")?.subtree == true)
    }

    @Test("reads that hold only events outside ROOT do not end the drain")
    func drainPastForeignBatches() throws {
        let tree = try TemporaryTree()
        // The mark covers the whole file system, so 30,000 creates beside ROOT fill the first reads
        // entirely; the change inside ROOT comes last. The queue is read only after the command ends.
        let truth = try GroundTruth.run(
            """
            python3 -c '
            import os
            for i in range(30000):
                open(os.path.join("$OUT", "f%d" % i), "w").close()
            '
            echo last > inside
            """.replacingOccurrences(of: "$OUT", with: tree.outside), in: tree, backend: "fanotify",
            environment: ["CHANGEREC_TEST_STALL_READER": "1"])
        #expect(truth.missing.isEmpty)
        #expect(truth.changes.entry("inside")?.kind == "A")
    }

    @Test("after RENAME_EXCHANGE of two directories, changes inside them are recorded at their new paths")
    func exchangeKeepsPaths() throws {
        let tree = try TemporaryTree()
        try tree.materialise([.dir("a", [.dir("sa")]), .dir("b", [.dir("sb")])])
        let truth = try GroundTruth.run(
            """
            python3 -c '
            import ctypes
            if ctypes.CDLL(None).renameat2(-100, b"a", -100, b"b", 2) != 0: raise OSError("renameat2")
            '
            echo 1 > b/sa/f2 && echo 2 > a/sb/g2
            """, in: tree, backend: "fanotify")
        #expect(truth.missing.isEmpty)
        let creates = try records(truth.journal).filter { $0["op"] as? String == "create" }.compactMap {
            $0["path"] as? String
        }
        #expect(creates.contains("/b/sa/f2"))
        #expect(creates.contains("/a/sb/g2"))
        #expect(!truth.changes.notes.contains("handle-resolved"))
    }

    @Test("a tmpfs mounted inside ROOT is marked and recorded too")

    func tmpfsInsideRoot() throws {
        let tree = try TemporaryTree()
        try tree.materialise([.dir("mnt")])
        try #require(mount("changerec-inner", tree.path("mnt"), "tmpfs", 0, "size=64m") == 0, "mount: errno \(errno)")
        defer { umount2(tree.path("mnt"), Int32(MNT_DETACH)) }
        try tree.materialise([.dir("kept", [.file("old", "old\n")])], in: tree.path("mnt"))
        let truth = try GroundTruth.run(
            "echo new > mnt/new && mkdir -p mnt/deep/er && echo x > mnt/deep/er/x && rm mnt/kept/old", in: tree,
            backend: "fanotify")
        let missing = truth.missing
        #expect(missing.isEmpty, "missed: \(missing)")
        #expect(truth.changes.entry("mnt/new")?.kind == "A")
        #expect(truth.changes.entry("mnt/deep/er/x")?.kind == "A")
        #expect(truth.changes.entry("mnt/kept/old")?.kind == "D")
        let header = try #require(try records(truth.journal).first)
        #expect((header["backend_reason"] as? String)?.contains("tmpfs \(tree.path("mnt"))") == true)
    }

    @Test("a process outside the step writing under ROOT is recorded, marked foreign, and left out by --only-step")
    func foreignWriter() throws {
        let tree = try TemporaryTree()
        let journal = tree.base + "/foreign.journal"
        let gate = tree.base + "/gate"
        #expect(mkfifo(gate, 0o600) == 0)
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: Run.binary)
        recorder.arguments = [
            "--quiet", "--backend", "fanotify", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c",
            "echo mine > mine && read go < '\(gate)' && echo after > after",
        ]
        recorder.currentDirectoryURL = URL(fileURLWithPath: tree.root)
        try recorder.run()
        // A fence: opening the fifo for writing blocks until the step has written `mine` and opened it.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: gate))
        let outsider = try Run.command(
            ["/bin/sh", "-c", "echo theirs > theirs && chmod 600 mine"], directory: tree.root)
        #expect(outsider.status == 0)
        try handle.write(contentsOf: Data("go\n".utf8))
        try handle.close()
        recorder.waitUntilExit()
        #expect(recorder.terminationStatus == 0)

        let all = try RecordedChanges(json: try Run.changerec(["changes", "--json", journal]).stdoutData)
        #expect(all.entry("mine")?.kind == "A")
        #expect(all.entry("after")?.kind == "A")
        #expect(all.entry("theirs")?.kind == "A")
        let json = try #require(
            try JSONSerialization.jsonObject(with: try Run.changerec(["changes", "--json", journal]).stdoutData)
                as? [String: Any])
        let entries = try #require(json["changes"] as? [[String: Any]])
        let theirs = try #require(entries.first { $0["path"] as? String == "/theirs" })
        #expect(theirs["foreign"] as? Bool == true)
        let mine = try #require(entries.first { $0["path"] as? String == "/mine" })
        #expect(mine["foreign"] == nil, "mine was made by the step (and chmodded by the outsider)")

        let stepOnly = try Run.changerec(["changes", "--only-step", journal])
        #expect(stepOnly.stdout == "A /after\nA /mine\n")
        let grouped = try Run.changerec(["changes", "--by-process", journal]).stdout
        #expect(grouped.contains("(foreign)\n  A /theirs (foreign)\n"))
        #expect(grouped.contains(" sh (step)\n"))
        let processes = try records(journal).filter { $0["record"] as? String == "process" }
        #expect(processes.contains { $0["step"] as? Bool == false })
        #expect(processes.contains { $0["step"] as? Bool == true && $0["name"] as? String == "sh" })
    }

    @Test("auto chooses fanotify as root, and falls back to inotify on overlayfs with one line saying why")
    func autoChoice() throws {
        let tree = try TemporaryTree()
        let plain = try Run.changerec(["--", "/bin/sh", "-c", "echo x > f"], directory: tree.root)
        #expect(plain.stderr.contains("backend fanotify"))

        try tree.materialise([.dir("lower"), .dir("upper"), .dir("work"), .dir("merged")])
        let options = "lowerdir=\(tree.path("lower")),upperdir=\(tree.path("upper")),workdir=\(tree.path("work"))"
        try #require(mount("overlay", tree.path("merged"), "overlay", 0, options) == 0, "mount overlay: errno \(errno)")
        defer { umount2(tree.path("merged"), Int32(MNT_DETACH)) }
        let fallback = try Run.changerec(["--", "/bin/sh", "-c", "echo x > f"], directory: tree.path("merged"))
        #expect(fallback.status == 0)
        let lines = fallback.stderr.split(separator: "\n").map(String.init)
        #expect(
            lines.first
                == "changerec: fanotify is not available: overlay at '\(tree.path("merged"))' cannot be marked (overlayfs needs nfs_export=on); using inotify"
        )
        #expect(lines.contains("A /f"))
        #expect(lines.last?.contains("backend inotify") == true)

        let refused = try Run.changerec(["--backend", "fanotify", "--", "/bin/true"], directory: tree.path("merged"))
        #expect(refused.status == 125)
        #expect(
            refused.stderr
                == "changerec: cannot watch '\(tree.path("merged"))' with fanotify: overlay at '\(tree.path("merged"))' cannot be marked (overlayfs needs nfs_export=on) (pass --backend inotify)\n"
        )
    }

    @Test("without CAP_SYS_ADMIN: --backend fanotify is one line and 125, auto falls back saying why")
    func unprivileged() throws {
        let tree = try TemporaryTree()
        // A user namespace of its own: root inside, no CAP_SYS_ADMIN over the file systems.
        let refused = try Run.command(
            ["/usr/bin/unshare", "-U", "-r", Run.binary, "--backend", "fanotify", "--", "/bin/true"],
            directory: tree.root)
        #expect(refused.status == 125)
        #expect(
            refused.stderr
                == "changerec: cannot watch '\(tree.root)' with fanotify: fanotify needs CAP_SYS_ADMIN (run as root or pass --backend inotify)\n"
        )
        let fallback = try Run.command(
            ["/usr/bin/unshare", "-U", "-r", Run.binary, "--", "/bin/sh", "-c", "echo x > f"], directory: tree.root)
        #expect(fallback.status == 0)
        #expect(
            fallback.stderr.hasPrefix(
                "changerec: fanotify is not available: fanotify needs CAP_SYS_ADMIN; using inotify\nA /f\n"))
        let header = try Run.changerec(["show", tree.path(".changerec/0001.journal")]).stdout
        #expect(
            header.contains(
                "backend  inotify (chosen by auto: fanotify is not available: fanotify needs CAP_SYS_ADMIN; using inotify)"
            ))
    }

    @Test("pseudo file systems below ROOT (a /proc, as when ROOT is /) are neither marked nor walked")
    func pseudoFileSystemsSkipped() throws {
        let tree = try TemporaryTree()
        try tree.materialise([.dir("proc")])
        try #require(mount("proc", tree.path("proc"), "proc", 0, nil) == 0, "mount proc: errno \(errno)")
        defer { umount2(tree.path("proc"), Int32(MNT_DETACH)) }
        // Not the snapshot harness: reading a procfs (its kmsg) would block the test itself.
        let journal = tree.base + "/proc.journal"
        let result = try Run.changerec(
            ["--quiet", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c", "echo x > built"],
            directory: tree.root)
        #expect(result.status == 0, "\(result.stderr)")
        let changes = try RecordedChanges(json: try Run.changerec(["changes", "--json", journal]).stdoutData)
        #expect(changes.backend == "fanotify")
        #expect(changes.entry("built")?.kind == "A")
        #expect(!changes.changes.contains { $0.path.starts(with: Array("proc".utf8)) })
        let header = try #require(try records(journal).first)
        #expect((header["backend_reason"] as? String)?.contains("proc") == false)
    }

    @Test("every event names its process, and the journal names each process once")
    func attribution() throws {
        let tree = try TemporaryTree()
        let truth = try GroundTruth.run("touch a && mkdir b && ln -s a c", in: tree, backend: "fanotify")
        let all = try records(truth.journal)
        let events = all.filter { $0["record"] as? String == "event" }
        #expect(!events.isEmpty)
        #expect(events.allSatisfy { ($0["pid"] as? Int ?? 0) > 0 })
        let processes = all.filter { $0["record"] as? String == "process" }
        let names = Set(processes.compactMap { $0["name"] as? String })
        #expect(names.isSuperset(of: ["touch", "mkdir", "ln"]))
        #expect(processes.count == Set(processes.compactMap { $0["pid"] as? Int }).count)
        #expect(processes.allSatisfy { $0["step"] as? Bool == true })
    }
}
