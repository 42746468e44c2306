import ChangerecKit
import ChangerecSystem
import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// What happens when things go wrong: a queue overflow, a crash mid-step, a damaged journal.
@Suite("robustness: overflow, crashes and damage")
struct RobustnessTests {
    @Test("a forced IN_Q_OVERFLOW is recorded, reported, and the change set still misses nothing")
    func overflowIsRecoveredByRescan() throws {
        let limit = try String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8)
        let queued = Int(limit.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 16384
        let tree = try TemporaryTree()
        // `burst` exists before the step, so it is watched from the start and every create in it queues an event.
        try tree.materialise([
            .dir("burst"),
            .dir("keep", [.file("modified", "a\n"), .file("removed", "b\n"), .file("same", "c\n")]),
        ])
        // The stall hook leaves the queue unread until the command ends, so more events than the queue
        // holds must overflow it: deterministic, with no timing involved.
        let truth = try GroundTruth.run(
            """
            python3 -c '
            import os
            for i in range(\(queued + 2000)):
                open("burst/f%d" % i, "w").close()
            '
            echo changed > keep/modified && rm keep/removed && mkdir later && echo x > later/new
            """, in: tree, environment: ["CHANGEREC_TEST_STALL_READER": "1"])
        let overflowed = truth.changes.overflow
        let notes = truth.changes.notes
        let warned = truth.record.stderr.contains("changerec: warning: the kernel queue overflowed")
        #expect(overflowed)
        #expect(notes.contains("queue-overflow") && notes.contains("rescan"), "notes: \(notes)")
        #expect(warned)
        let missing = truth.missing
        #expect(missing.isEmpty, "missed: \(missing.prefix(20))")
        #expect(truth.changes.entry("keep/removed")?.kind == "D")
        #expect(truth.changes.entry("later/new")?.kind == "A")
    }

    /// Runs changerec in a user namespace of its own whose inotify watch limit is `limit`, so that the
    /// limit binds changerec alone and no other test.
    static func limitedWatches(_ limit: Int) -> [String] {
        [
            "/usr/bin/unshare", "-U", "-r", "/bin/sh", "-c",
            "echo \(limit) > /proc/sys/user/max_inotify_watches && exec \"$0\" \"$@\"",
        ]
    }

    @Test(
        "running out of inotify watches at arming is one line naming the limit, before the command runs", .requiresRoot)
    func watchLimitAtArming() throws {
        let tree = try TemporaryTree()
        try tree.materialise((1...30).map { .dir("d\($0)") })
        let result = try Run.command(
            Self.limitedWatches(10) + [
                Run.binary, "--backend", "inotify", "--root", tree.root, "--", "/bin/sh", "-c", "touch ran",
            ])
        #expect(result.status == 125)
        #expect(result.stderr.hasPrefix("changerec: cannot watch '\(tree.root)/"))
        #expect(result.stderr.contains("user.max_inotify_watches = 10"))
        #expect(result.stderr.contains("sysctl -w fs.inotify.max_user_watches=N"))
        #expect(result.stderr.filter { $0 == "\n" }.count == 1)
        #expect(!FileManager.default.fileExists(atPath: tree.path("ran")))
    }

    @Test("running out of inotify watches during the step is a warning, and nothing is missed", .requiresRoot)
    func watchLimitDuringStep() throws {
        let tree = try TemporaryTree()
        let truth = try GroundTruth.run(
            "mkdir -p a/b/c/d/e/f/g/h && echo x > a/b/c/d/e/f/g/h/file && mkdir a/b/c/d/e/f/g/h/i && echo y > a/b/c/d/e/f/g/h/i/later",
            in: tree, wrapper: Self.limitedWatches(5))
        let missing = truth.missing
        #expect(missing.isEmpty, "missed: \(missing)")
        #expect(truth.changes.notes.contains("watch-limit"))
        #expect(truth.record.stderr.contains("changerec: warning: the inotify watch limit is exhausted"))
        #expect(truth.changes.entry("a/b/c/d/e/f/g/h/i/later")?.kind == "A")
    }

    @Test("kill -9 of changerec mid-step leaves a journal that reads as incomplete")
    func crashLeavesReadablePrefix() throws {
        let tree = try TemporaryTree()
        let journal = tree.base + "/crash.journal"
        // The command kills its recorder, then goes on: the journal is cut wherever the recorder was.
        let result = try Run.changerec(
            [
                "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c",
                "echo a > a; mkdir d; kill -9 $PPID; echo b > b",
            ],
            directory: tree.root)
        #expect(result.status == 137)
        let shown = try Run.changerec(["show", journal])
        #expect(shown.status == 1)
        #expect(shown.stdout.contains("root     \(tree.root)"))
        #expect(shown.stdout.contains("end      INCOMPLETE"))
        #expect(shown.stderr.contains("is incomplete"))
        #expect(shown.stderr.contains("records before it are intact"))
        let listed = try Run.changerec(["changes", "--json", journal])
        #expect(listed.status == 1)
        #expect(try RecordedChanges(json: listed.stdoutData).complete == false)
        #expect(listed.stderr.contains("is incomplete"))
    }

    @Test("flipping any byte of a journal gives a clear error with its offset, or a read marked incomplete")
    func byteFlips() throws {
        let tree = try TemporaryTree()
        let journal = tree.base + "/good.journal"
        let result = try Run.changerec(
            [
                "--quiet", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c",
                "mkdir d && echo x > d/f && ln -s d/f l",
            ],
            directory: tree.root)
        try #require(result.status == 0)
        let original = try Data(contentsOf: URL(fileURLWithPath: journal))
        #expect(try ChangeSet.load(journal: Array(journal.utf8)).isComplete)
        let damaged = tree.base + "/damaged.journal"
        // Every byte when the journal is small, else an even spread of 600 positions.
        let stride = max(1, original.count / 600)
        var errors = 0
        var incomplete = 0
        for position in Swift.stride(from: 0, to: original.count, by: stride) {
            var copy = original
            copy[position] ^= 0x5A
            try copy.write(to: URL(fileURLWithPath: damaged))
            do {
                let changeSet = try ChangeSet.load(journal: Array(damaged.utf8))
                // A single flipped byte can never leave a journal whole: the checksums must catch it.
                #expect(!changeSet.isComplete, "flip at byte \(position) read as complete")
                incomplete += 1
            } catch {
                #expect(
                    error.message.contains("byte") || error.code == .journalIncomplete,
                    "flip at \(position): \(error.message)")
                errors += 1
            }
        }
        #expect(errors > 0)
        #expect(errors + incomplete >= min(original.count, 600))
    }

    @Test("a damaged journal is one line naming the offset, through the binary")
    func damagedJournalMessage() throws {
        let tree = try TemporaryTree()
        let journal = tree.base + "/j.journal"
        _ = try Run.changerec([
            "--quiet", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c", "echo x > f",
        ])
        var bytes = try Data(contentsOf: URL(fileURLWithPath: journal))
        bytes[20] ^= 0xFF  // inside the header frame's payload
        try bytes.write(to: URL(fileURLWithPath: journal))
        let listed = try Run.changerec(["changes", journal])
        #expect(listed.status == 1)
        #expect(listed.stdout.isEmpty)
        #expect(
            listed.stderr
                == "changerec: journal '\(journal)' is damaged at byte 8 (bad checksum); the 0 records before it are intact\n"
        )
    }

    @Test("a fifo given as a journal is refused at once, not waited on")
    func fifoJournal() throws {
        let tree = try TemporaryTree()
        let fifo = tree.base + "/pipe.journal"
        #expect(mkfifo(fifo, 0o600) == 0)
        let result = try Run.changerec(["changes", fifo])
        #expect(result.status == 1)
        #expect(result.stderr == "changerec: journal '\(fifo)' is not a regular file\n")
    }

    @Test("a journal followed by zeros (a crash after the file grew) reads as incomplete, not damaged")
    func zeroFilledTail() throws {
        let tree = try TemporaryTree()
        let journal = tree.base + "/z.journal"
        _ = try Run.changerec([
            "--quiet", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c", "echo x > f",
        ])
        var bytes = try Data(contentsOf: URL(fileURLWithPath: journal))
        // Keep the header and the first events, then zeros where the rest would have been.
        let cut = bytes.count / 2
        bytes.replaceSubrange(cut..<bytes.count, with: Data(count: 4096))
        try bytes.write(to: URL(fileURLWithPath: journal))
        let shown = try Run.changerec(["show", journal])
        #expect(shown.status == 1)
        #expect(shown.stdout.contains("end      INCOMPLETE"))
        #expect(!shown.stderr.contains("damaged"))
    }

    @Test("a header with an extreme start time is printed, not trapped on")
    func extremeStartTime() throws {
        let tree = try TemporaryTree()
        let journal = tree.base + "/old.journal"
        try Data(HandMadeJournal.bytes(sealPath: Array("x".utf8), root: Array(tree.root.utf8), start: Int64.min))
            .write(to: URL(fileURLWithPath: journal))
        let text = try Run.changerec(["show", journal])
        #expect(text.status == 0)
        #expect(text.stdout.contains("started  "))
        #expect(try Run.changerec(["show", "--json", journal]).status == 0)
    }

    @Test("a directory moved out of ROOT stops being recorded at once (inotify)")
    func movedOutDirectoryForgotten() throws {
        let tree = try TemporaryTree()
        try tree.materialise([.dir("d", [.file("x", "1\n")])])
        let journal = tree.base + "/j.journal"
        let result = try Run.changerec(
            [
                "--quiet", "--backend", "inotify", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c",
                "mv d '\(tree.outside)/d' && echo 2 > '\(tree.outside)/d/y' && mkdir d",
            ], directory: tree.root)
        try #require(result.status == 0)
        let shown = try Run.changerec(["show", journal]).stdout
        #expect(!shown.contains("   /d/y"), "a change outside ROOT was recorded under a ROOT path")
        #expect(shown.contains("move-out /d"))
    }

    @Test("a file that is not a journal is refused in one line")

    func notAJournal() throws {
        let tree = try TemporaryTree()
        try tree.materialise([.file("notes.txt", "hello\n")])
        let shown = try Run.changerec(["show", tree.path("notes.txt")])
        #expect(shown.status == 1)
        #expect(
            shown.stderr == "changerec: '\(tree.path("notes.txt"))' is not a changerec journal (bad magic at byte 0)\n")
        let missing = try Run.changerec(["changes", tree.path("nope.journal")])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("changerec: journal '\(tree.path("nope.journal"))' does not exist"))
    }
}
