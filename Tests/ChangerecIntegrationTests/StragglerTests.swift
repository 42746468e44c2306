import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// Processes around a recording that it does not wait for: a descendant that outlives the command and
/// is still writing while the seal is taken, and a second changerec recording the same ROOT.
@Suite("faults: stragglers and concurrent recordings")
struct StragglerTests {
    /// A command (`python3 -c`) that forks a straggler and ends at once. The straggler holds an exclusive
    /// `flock` on `lock` for its whole life, waits until the command has ended (the end of a pipe the
    /// command held), then runs `work` (Python, in ROOT): its changes all come after the command's end.
    static func commandForkingStraggler(lock: String, work: String) -> [String] {
        let indented = work.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
        let script = """
            import fcntl, os
            lock = os.open(\(pythonString(lock)), os.O_RDWR | os.O_CREAT)
            fcntl.flock(lock, fcntl.LOCK_EX)
            r, w = os.pipe()
            if os.fork() == 0:
                os.close(w)
                # Whatever else was inherited (the test runner watches a socket for its child's end) must
                # not be held open by a process that outlives the command.
                for fd in [int(name) for name in os.listdir("/proc/self/fd")]:
                    if fd > 2 and fd not in (lock, r):
                        try:
                            os.close(fd)
                        except OSError:
                            pass
                os.read(r, 1)

            """ + indented + """

                    os._exit(0)
                open("made-by-command", "w").write("x")
                """
        return ["/usr/bin/python3", "-c", script]
    }

    static func pythonString(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "\\'") + "'" }

    /// Blocks until the straggler holding `lock` has ended (its lock released), for at most a minute.
    static func waitForStraggler(lock: String) throws {
        let waited = try Run.command(["/usr/bin/flock", "-w", "60", lock, "/bin/true"])
        guard waited.status == 0 else { throw TestFailure("the straggler did not end: \(waited.stderr)") }
    }

    @Test(
        "a straggler still writing while the seal is taken is named in the summary and the journal; with --wait nothing is missed",
        .requiresPython, arguments: FaultTests.backends)
    func stragglerDuringSeal(backend: String) throws {
        let tree = try TemporaryTree()
        try tree.materialise([.dir("s", [.file("log", "0\n"), .file("a", "a\n")])])
        let lock = tree.outside + "/straggler.lock"
        let stop = tree.outside + "/stop"
        let journal = tree.base + "/nowait.journal"
        // Without --wait: the straggler writes from the command's end until the test says stop, so it is
        // writing all through the drain and the seal.
        let record = try Run.changerec(
            ["--backend", backend, "--root", tree.root, "--journal", journal, "--"]
                + Self.commandForkingStraggler(
                    lock: lock,
                    work: """
                        i = 0
                        while not os.path.exists(\(Self.pythonString(stop))):
                            open("s/log", "a").write("%d\\n" % i)
                            os.rename("s/a", "s/b") if i % 2 == 0 else os.rename("s/b", "s/a")
                            i += 1
                        """), directory: tree.root)
        _ = FileManager.default.createFile(atPath: stop, contents: nil)
        try Self.waitForStraggler(lock: lock)
        // The straggler appends to s/log all through the seal: the seal may find it changed on every read
        // and say so (unreadable, exit 125) rather than seal a state it never saw whole. Any other gap fails.
        let churned =
            "cannot read /s/log after the step (cannot read it: it changed or was replaced each time it was read"
        let gaps = record.stderr.split(separator: "\n").filter { $0.contains("could not be read or watched") }
        #expect(
            record.status == 0
                || (record.status == 125 && record.stderr.contains(churned) && gaps.count == 1
                    && gaps[0].hasPrefix("changerec: 1 path(s)")),
            "\(record.stderr)")
        #expect(
            record.stderr.contains(
                "process(es) of the step were still running when it ended, and their later changes are not recorded"),
            "\(record.stderr)")
        #expect(record.stderr.contains("python3"), "\(record.stderr)")
        let listed = try Run.changerec(["changes", "--json", journal])
        let changes = try RecordedChanges(json: listed.stdoutData)
        #expect(changes.stragglers == ["python3"], "stragglers: \(changes.stragglers)")
        #expect(changes.entry("made-by-command")?.kind == "A")

        // With --wait, the same kind of straggler (one that ends by itself) is waited for: complete.
        let waitTree = try TemporaryTree()
        try waitTree.materialise([
            .dir("s", [.file("log", "0\n"), .file("a", "a\n"), .dir("gone", [.file("g", "g\n")])])
        ])
        let waitLock = waitTree.outside + "/straggler.lock"
        let command = Self.commandForkingStraggler(
            lock: waitLock,
            work: """
                for i in range(200):
                    open("s/log", "a").write("%d\\n" % i)
                    open("s/f%d" % i, "w").write("f")
                    if i % 3 == 0:
                        os.rename("s/f%d" % i, "s/renamed%d" % i)
                    elif i % 3 == 1:
                        os.unlink("s/f%d" % i)
                os.makedirs("s/deep/1/2/3")
                open("s/deep/1/2/3/last", "w").write("last")
                import shutil
                shutil.rmtree("s/gone")
                """)
        let truth = try GroundTruth.run(
            command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " "),
            in: waitTree, backend: backend, extraArguments: ["--wait"])
        try Self.waitForStraggler(lock: waitLock)
        #expect(truth.changes.stragglers.isEmpty)
        #expect(!truth.record.stderr.contains("still running"), "\(truth.record.stderr)")
        let missing = truth.missing
        #expect(missing.isEmpty, "missed: \(missing.prefix(20))")
        #expect(truth.changes.entry("s/deep/1/2/3/last")?.kind == "A")
    }

    @Test(
        "a straggler that changes the tree faster than its events are read does not keep the drain from ending",
        .requiresPython, arguments: FaultTests.backends)
    func endlessStragglerDoesNotHoldTheDrain(backend: String) throws {
        let tree = try TemporaryTree()
        // Two directories of 200 files each: a bulk tree, made by a loop in the shell.
        try tree.shell("mkdir a b && for i in $(seq 1 200); do echo $i > a/f$i; echo $i > b/g$i; done")
        let lock = tree.outside + "/straggler.lock"
        let stop = tree.outside + "/stop"
        let journal = tree.base + "/step.journal"
        // Each exchange of two populated directories costs inotify a walk of both: the straggler queues
        // events faster than they are read, for as long as the test lets it. `timeout` only turns a drain
        // that never ends into a failure instead of a hung test.
        let record = try Run.command(
            ["/usr/bin/timeout", "-s", "KILL", "120", Run.binary, "--backend", backend, "--root", tree.root]
                + ["--journal", journal, "--"]
                + Self.commandForkingStraggler(
                    lock: lock,
                    work: """
                        import ctypes
                        libc = ctypes.CDLL(None, use_errno=True)
                        while not os.path.exists(\(Self.pythonString(stop))):
                            for i in range(100):
                                libc.renameat2(-100, b"a", -100, b"b", 2)
                        """), directory: tree.root)
        _ = FileManager.default.createFile(atPath: stop, contents: nil)
        try Self.waitForStraggler(lock: lock)
        #expect(record.status == 0, "status \(record.status): \(record.stderr)")
        #expect(record.stderr.contains("python3"), "\(record.stderr)")
        let listed = try Run.changerec(["changes", "--json", journal])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(try RecordedChanges(json: listed.stdoutData).entry("made-by-command")?.kind == "A")
    }

    @Test(
        "two recordings of one ROOT at the same time each write their own whole journal, and neither records the other's"
    )
    func twoRecordingsOfOneRoot() throws {
        let tree = try TemporaryTree()
        try tree.materialise([.dir("shared", [.dir("sub", [.file("b", "2\n")]), .file("a", "1\n")])])
        let before = try TreeSnapshot.take(tree.root)
        let fence = tree.outside
        for name in ["ab1", "ba1", "ab2", "ba2"] { #expect(mkfifo(fence + "/" + name, 0o600) == 0) }
        // Two barriers made of fifos: both commands run (so both recorders are armed) before either
        // changes anything, and neither ends before the other is done changing.
        let first = """
            echo > \(fence)/ab1 && cat \(fence)/ba1 >/dev/null
            mkdir one && for i in $(seq 1 50); do echo $i > one/f$i; done && mv shared/a shared/a-by-one && rm shared/sub/b
            echo > \(fence)/ab2 && cat \(fence)/ba2 >/dev/null
            """
        let second = """
            cat \(fence)/ab1 >/dev/null && echo > \(fence)/ba1
            mkdir -p two/x/y && for i in $(seq 1 50); do echo $i > two/x/y/g$i; done && echo more >> shared/sub/c
            cat \(fence)/ab2 >/dev/null && echo > \(fence)/ba2
            """
        let binary = Run.binary
        let both = try Run.command(
            [
                "/bin/sh", "-c",
                """
                "$0" --backend inotify -- /bin/sh -c "$1" >/dev/null 2>"$3/first.err" &
                "$0" --backend inotify -- /bin/sh -c "$2" >/dev/null 2>"$3/second.err"
                second=$?
                wait $!
                echo "$? $second"
                """, binary, first, second, tree.base,
            ], directory: tree.root)
        #expect(both.stdout == "0 0\n", "statuses \(both.stdout) \(both.stderr)")
        let after = try TreeSnapshot.take(tree.root)
        let differences = before.differences(to: after)
        let journals = try FileManager.default.contentsOfDirectory(atPath: tree.path(".changerec")).sorted()
        #expect(journals == ["0001.journal", "0002.journal"])
        for journal in journals {
            let listed = try Run.changerec(["changes", "--json", tree.path(".changerec/" + journal)])
            #expect(listed.status == 0, "\(journal): \(listed.stderr)")
            let changes = try RecordedChanges(json: listed.stdoutData)
            #expect(changes.complete, "\(journal) is not complete")
            let missing = changes.missing(differences)
            #expect(missing.isEmpty, "\(journal) missed: \(missing.prefix(20))")
            let journalPaths = changes.changes.filter { String(decoding: $0.path, as: UTF8.self).contains("journal") }
            #expect(journalPaths.isEmpty, "\(journal) records a journal: \(journalPaths)")
            #expect(changes.entry(".changerec") == nil)
        }
    }
}
