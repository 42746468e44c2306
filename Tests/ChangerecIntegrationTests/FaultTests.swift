import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// Faults from the world around a recording: a kernel queue that overflows, a watch limit reached while
/// the tree grows, a full disk, a crash at any point, a process that outlives the step, a second recorder.
/// Each is recorded, reported, and never presented as a whole recording when it is not one.
@Suite("faults: overflow, limits, full disks, crashes, stragglers")
struct FaultTests {
    /// The backends a test can use here: fanotify only as root.
    static let backends = getuid() == 0 ? ["inotify", "fanotify"] : ["inotify"]

    // MARK: - Queue overflow and watch limit

    @Test("an inotify queue overflow amid renames, deletes and deep mkdirs misses nothing, and the layer is exact")
    func overflowInBusyWorkload() throws {
        let limit = try String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8)
        let queued = Int(limit.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 16384
        let tree = try TemporaryTree()
        try tree.materialise(
            [
                .dir("burst"),
                .dir("keep", [.file("a", "1\n"), .dir("sub", [.file("b", "2\n")])]),
                .dir("old", [.file("c", "3\n"), .dir("inner", [.file("e", "4\n")])]),
                .dir("gone", [.dir("deep", [.dir("er", [.file("d", "5\n")])])]),
            ] + ["pre1", "pre2", "pre3"].map { .dir($0, [.dir("x", [.file("file", $0 + "\n")])]) })
        // The stall hook leaves the queue unread until the command ends, so the burst overflows it for
        // certain; the changes before the burst are queued (and read) before the overflow record, those
        // after it only exist in the rescan.
        let truth = try GroundTruth.run(
            """
            set -e
            mv old renamed-old && echo more >> renamed-old/c
            rm -rf gone
            mkdir -p deep/1/2/3/4/5/6/7/8 && echo x > deep/1/2/3/4/5/6/7/8/f
            mv keep/sub keep/sub2 && chmod 700 keep/sub2
            python3 -c '
            import os
            for i in range(\(queued + 2000)):
                open("burst/f%d" % i, "w").close()
            for i in range(\(queued + 2000)):
                if i % 1000:
                    os.unlink("burst/f%d" % i)
            '
            mv renamed-old again-old && rm again-old/inner/e && mkdir -p deep/1/2/3/b/c && echo y > deep/1/2/3/b/c/g
            rm -rf deep/1/2/3/4/5/6
            rm keep/a && echo z > keep/new
            mv pre3 keep/sub2/pre3moved && echo w > keep/sub2/pre3moved/x/file
            mv pre1 pre2/x/pre1 && mkdir pre1 && echo back > pre1/file
            """, in: tree, environment: ["CHANGEREC_TEST_STALL_READER": "1"])
        #expect(truth.changes.overflow)
        #expect(truth.changes.notes.contains("queue-overflow") && truth.changes.notes.contains("rescan"))
        #expect(truth.record.stderr.contains("changerec: warning: the kernel queue overflowed"))
        let missing = truth.missing
        #expect(missing.isEmpty, "missed: \(missing.prefix(20))")
        let layer = try truth.layerDifferences(in: tree)
        #expect(layer.isEmpty, "layer: \(layer.prefix(20))")
    }

    @Test(
        "running out of inotify watches while the tree grows, moves and shrinks misses nothing, with a note and a warning",
        .requiresRoot)
    func watchLimitWithChangingTree() throws {
        let tree = try TemporaryTree()
        // ROOT and 7 directories take 8 watches at arming; 12 leave room for 4 of the step's directories.
        try tree.materialise([
            .dir("p1", [.dir("q"), .file("file", "0\n")]), .dir("p2", [.dir("q", [.file("file", "0\n")])]),
            .dir("p3", [.dir("q", [.file("file", "0\n")])]), .dir("p4"),
        ])
        let truth = try GroundTruth.run(
            """
            set -e
            mkdir -p n1/a/b/c/d/e && echo 1 > n1/a/b/c/d/e/f
            mkdir -p n2/x/y && echo 2 > n2/x/y/g && echo 3 > n2/x/h
            mv n2 p1/q/n2moved && echo 3b >> p1/q/n2moved/x/h
            mv p2 n1/a/b/c/d/p2moved && echo 4 > n1/a/b/c/d/p2moved/q/later && echo 4b >> n1/a/b/c/d/p2moved/q/file
            rm -rf p3 n1/a/b/c/d/e
            mkdir -p n3/u/v && echo 5 > n3/u/v/w
            mkdir n4 && mv n4 p4/n4 && echo 6 > p4/n4/z
            mv n3/u n3/u2 && rm n3/u2/v/w && echo 7 > n3/u2/v/w2
            echo 8 >> p1/file
            """, in: tree, wrapper: RobustnessTests.limitedWatches(12))
        let missing = truth.missing
        #expect(missing.isEmpty, "missed: \(missing)")
        #expect(truth.changes.notes.contains("watch-limit"))
        #expect(truth.record.stderr.contains("changerec: warning: the inotify watch limit is exhausted"))
        let layer = try truth.layerDifferences(in: tree)
        #expect(layer.isEmpty, "layer: \(layer)")
    }

    // MARK: - Full file systems

    /// Checks what a recording cut short by a failed journal write must leave: one line naming the
    /// journal as incomplete, a non-zero exit, the command run to its end, and a journal prefix that
    /// every reader calls incomplete (`layer` refuses it without `--force`).
    static func expectCutShort(
        _ record: RunResult, journal: String, ended: String, tree: TemporaryTree,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(record.status == 125, "status \(record.status): \(record.stderr)", sourceLocation: sourceLocation)
        #expect(
            record.stderr.hasPrefix("changerec: ") && record.stderr.filter { $0 == "\n" }.count == 1,
            "not one line: \(record.stderr)", sourceLocation: sourceLocation)
        #expect(record.stderr.contains("No space left on device"), "\(record.stderr)", sourceLocation: sourceLocation)
        #expect(
            record.stderr.contains(
                "the command ran to its end (it exited with status 0) but journal '\(journal)' is incomplete"),
            "\(record.stderr)", sourceLocation: sourceLocation)
        #expect(
            FileManager.default.fileExists(atPath: ended), "the command was cut short", sourceLocation: sourceLocation)
        try expectIncomplete(journal: journal, tree: tree, sourceLocation: sourceLocation)
    }

    /// `show`, `changes` and `layer` all read `journal` as a readable prefix that is not whole.
    static func expectIncomplete(
        journal: String, tree: TemporaryTree, context: String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let shown = try Run.changerec(["show", journal])
        #expect(shown.status == 1, "\(context) show: \(shown.stderr)", sourceLocation: sourceLocation)
        #expect(
            shown.stdout.contains("end      INCOMPLETE"), "\(context) show: \(shown.stdout)",
            sourceLocation: sourceLocation)
        #expect(!shown.stderr.contains("damaged"), "\(context) show: \(shown.stderr)", sourceLocation: sourceLocation)
        let listed = try Run.changerec(["changes", "--json", journal])
        #expect(listed.status == 1, "\(context) changes: \(listed.stderr)", sourceLocation: sourceLocation)
        // A journal cut before its header holds no change set at all; any later cut is a list marked incomplete.
        let headerless = shown.stdout.contains("INCOMPLETE: no header")
        if headerless {
            #expect(
                listed.stderr.contains("cut short before its header"), "\(context) changes: \(listed.stderr)",
                sourceLocation: sourceLocation)
        } else {
            #expect(
                try RecordedChanges(json: listed.stdoutData).complete == false, "\(context) changes says complete",
                sourceLocation: sourceLocation)
            #expect(
                listed.stderr.contains("is incomplete"), "\(context) changes: \(listed.stderr)",
                sourceLocation: sourceLocation)
        }
        let output = tree.base + "/refused.tar"
        let layer = try Run.changerec(["layer", journal, "--compress", "none", "-o", output])
        #expect(layer.status != 0, "\(context) layer accepted an incomplete journal", sourceLocation: sourceLocation)
        #expect(
            headerless || (layer.stderr.contains("is incomplete") && layer.stderr.contains("--force")),
            "\(context) layer: \(layer.stderr)", sourceLocation: sourceLocation)
        #expect(
            !FileManager.default.fileExists(atPath: output), "\(context) layer wrote a file",
            sourceLocation: sourceLocation)
    }

    @Test(
        "a full file system under the journal is one line and a non-zero exit; the command runs to its end and the journal reads as incomplete",
        .requiresRoot, arguments: backends)
    func journalFileSystemFull(backend: String) throws {
        let tree = try TemporaryTree()
        let small = try SmallTmpfs(at: tree.base + "/journal-fs", size: "32k")
        let journal = small.path + "/step.journal"
        let ended = tree.outside + "/ended"
        // 3,000 creates are hundreds of kilobytes of events: far more than the journal's 32 KiB.
        let record = try Run.changerec(
            [
                "--backend", backend, "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c",
                """
                python3 -c '
                for i in range(3000):
                    open("f%04d-\(String(repeating: "x", count: 100))" % i, "w").close()
                ' && touch '\(ended)'
                """,
            ], directory: tree.root)
        try Self.expectCutShort(record, journal: journal, ended: ended, tree: tree)
    }

    @Test(
        "a journal whose file system fills while the seal is written is one line and a non-zero exit, and reads as incomplete",
        .requiresRoot, arguments: backends)
    func journalFileSystemFullDuringSeal(backend: String) throws {
        let tree = try TemporaryTree()
        let small = try SmallTmpfs(at: tree.base + "/journal-fs", size: "16k")
        let journal = small.path + "/step.journal"
        let ended = tree.outside + "/ended"
        // One move into ROOT is a handful of events, but the seal holds every path of the moved-in tree:
        // 1,000 long names, far more than the 16 KiB the journal's file system has: a bulk tree, made by a
        // loop in the shell.
        try tree.shell(
            "mkdir '\(tree.outside)/big' && cd '\(tree.outside)/big' && for i in $(seq 1000 1999); do : > f$i-\(String(repeating: "z", count: 100)); done"
        )
        let record = try Run.changerec(
            [
                "--backend", backend, "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c",
                "mv '\(tree.outside)/big' big && touch '\(ended)'",
            ], directory: tree.root)
        try Self.expectCutShort(record, journal: journal, ended: ended, tree: tree)
        let shown = try Run.changerec(["show", journal])
        #expect(shown.stdout.contains("seal"), "the journal was cut before the seal: \(shown.stdout)")
    }

    @Test(
        "a step that fills ROOT's file system, where the journal is, is one line and a non-zero exit; the journal reads as incomplete",
        .requiresRoot, arguments: backends)
    func rootFileSystemFull(backend: String) throws {
        let tree = try TemporaryTree()
        let small = try SmallTmpfs(at: tree.root, size: "512k")
        let ended = tree.outside + "/ended"
        // The journal goes to ROOT/.changerec, on the file system the step fills; its seal (300 long
        // names with digests) needs pages the full file system no longer has.
        let record = try Run.changerec(
            [
                "--backend", backend, "--root", small.path, "--", "/bin/sh", "-c",
                """
                python3 -c '
                for i in range(300):
                    open("f%04d-\(String(repeating: "y", count: 100))" % i, "w").write("z")
                '
                dd if=/dev/zero of=big bs=4k 2>/dev/null || true
                touch '\(ended)'
                """,
            ], directory: small.path)
        try Self.expectCutShort(record, journal: small.path + "/.changerec/0001.journal", ended: ended, tree: tree)
    }

    @Test(
        "a step that fills ROOT's file system, with the journal elsewhere, is recorded whole", .requiresRoot,
        arguments: backends)
    func fullRootJournalElsewhere(backend: String) throws {
        let tree = try TemporaryTree()
        let small = try SmallTmpfs(at: tree.root, size: "256k")
        try tree.materialise([.dir("d", [.file("a", "1\n")]), .file("b", "2\n")])
        let truth = try GroundTruth.run(
            "echo more >> d/a && rm b && (dd if=/dev/zero of=big bs=4k 2>/dev/null || true) && (echo c > d/c || true)",
            in: tree, backend: backend)
        _ = small
        #expect(truth.changes.complete)
        let missing = truth.missing
        #expect(missing.isEmpty, "missed: \(missing)")
        let layer = try truth.layerDifferences(in: tree)
        #expect(layer.isEmpty, "layer: \(layer)")
    }

    // MARK: - Crashes

    /// A seeded SplitMix64: the same seed gives the same crash points, so a failure replays exactly.
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Kills changerec with SIGKILL at seeded points of each phase (`CHANGEREC_TEST_CRASH_AT`) and checks
    /// what it leaves. `CHANGEREC_FAULT_SEED` replays a seed; `CHANGEREC_FAULT_ROUNDS` runs more points.
    func crashAtSeededPoints(backend: String) throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["CHANGEREC_FAULT_SEED"].flatMap { UInt64($0) } ?? 20_261_203
        let rounds = environment["CHANGEREC_FAULT_ROUNDS"].flatMap { Int($0) } ?? 1
        var random = SeededRandom(state: seed)
        // The largest byte offset drawn in each phase: about the size of what the phase writes.
        let spans: [(phase: String, bytes: Int)] = [("arming", 1), ("step", 6000), ("drain", 300), ("seal", 12000)]
        for round in 0..<rounds {
            for span in spans {
                let bytes = Int.random(in: 0..<span.bytes, using: &random)
                let point = "\(span.phase):\(bytes)"
                let context = "seed \(seed), round \(round), \(backend), crash at \(point):"
                let tree = try TemporaryTree()
                try tree.materialise([.dir("old", [.dir("sub", [.file("a", "1\n")]), .file("b", "2\n")])])
                let journal = tree.base + "/crash.journal"
                let record = try Run.changerec(
                    [
                        "--backend", backend, "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c",
                        """
                        mkdir -p d/e && for i in $(seq 1 80); do echo $i > d/e/file-number-$i; done
                        mv d d2 && rm d2/e/file-number-1 old/b && mv old/sub old/sub2 && ln -s d2 link
                        """,
                    ], directory: tree.root, environment: ["CHANGEREC_TEST_CRASH_AT": point])
                #expect(record.status == 137, "\(context) status \(record.status): \(record.stderr)")
                try Self.expectIncomplete(journal: journal, tree: tree, context: context)
            }
        }
    }

    @Test(
        "changerec SIGKILLed while arming, in the step, the drain or the seal leaves a prefix that reads as incomplete (inotify)"
    )
    func crashAtRandomPointsInotify() throws {
        try crashAtSeededPoints(backend: "inotify")
    }

    @Test(
        "changerec SIGKILLed while arming, in the step, the drain or the seal leaves a prefix that reads as incomplete (fanotify)",
        .requiresRoot)
    func crashAtRandomPointsFanotify() throws {
        try crashAtSeededPoints(backend: "fanotify")
    }
}
