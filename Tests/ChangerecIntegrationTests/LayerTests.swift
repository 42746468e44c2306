import ChangerecKit
import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// `changerec layer`: reproducible bytes, independent digests, safety, drift, squashing, OCI layouts.
@Suite("layers: reproducible, safe and exact")
struct LayerTests {
    func record(_ script: String, tree: [TreeSpec] = []) throws -> (TemporaryTree, String) {
        try Run.recordedStep(script, tree: tree)
    }

    func sha256(_ command: String) throws -> String {
        let result = try Run.command(["/bin/sh", "-c", command + " | sha256sum"])
        return String(result.stdout.prefix(64))
    }

    @Test("the same journal and tree give the same bytes twice, and the digests check out with sha256sum")
    func reproducibleAndDigestsVerified() throws {
        let (tree, journal) = try record(
            "rm gone && mkdir -p a/b && echo x > a/b/f && ln -s f a/l && python3 -c 'import os; os.setxattr(\"a/b/f\", \"user.k\", b\"v\")' && rm -rf d && mkdir d && echo new > d/z",
            tree: [.file("gone", "gone\n"), .dir("d", [.file("x", "x\n"), .file("y", "y\n")])])
        let first = try Run.changerec(["layer", journal, "-o", tree.base + "/one.tar.gz", "--json"])
        try #require(first.status == 0, "\(first.stderr)")
        let one = try Data(contentsOf: URL(fileURLWithPath: tree.base + "/one.tar.gz"))
        // Several processes: nothing may depend on an order that differs from run to run (hashing seeds).
        for run in 0..<6 {
            let again = try Run.changerec(["layer", journal, "-o", tree.base + "/again.tar.gz"])
            try #require(again.status == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: tree.base + "/again.tar.gz")) == one, "run \(run)")
        }
        #expect(one.prefix(2) == Data([0x1F, 0x8B]))
        #expect(one[4..<8] == Data([0, 0, 0, 0]), "the gzip header carries no timestamp")
        let info = try #require(try JSONSerialization.jsonObject(with: first.stdoutData) as? [String: Any])
        #expect(info["digest"] as? String == "sha256:" + (try sha256("cat '\(tree.base)/one.tar.gz'")))
        #expect(info["diff_id"] as? String == "sha256:" + (try sha256("gzip -dc '\(tree.base)/one.tar.gz'")))
        #expect(info["size"] as? Int == one.count)
        #expect(info["media_type"] as? String == "application/vnd.oci.image.layer.v1.tar+gzip")
        let plain = try Run.changerec([
            "layer", journal, "-o", tree.base + "/plain.tar", "--compress", "none", "--json",
        ])
        let plainInfo = try #require(try JSONSerialization.jsonObject(with: plain.stdoutData) as? [String: Any])
        #expect(plainInfo["digest"] as? String == info["diff_id"] as? String)
        let listing = try Run.command(["/bin/sh", "-c", "tar -tvf '\(tree.base)/plain.tar'"]).stdout
        #expect(listing.contains(".wh.gone"))
        #expect(listing.contains("d/.wh..wh..opq"))
        #expect(!listing.contains("d/.wh.x"), "no whiteout below an opaque directory")
        #expect(listing.contains("a/l -> f"))
    }

    @Test("--source-date-epoch clamps every mtime")
    func sourceDateEpochClamps() throws {
        let (tree, journal) = try record("mkdir d && echo x > d/f")
        let result = try Run.changerec([
            "layer", journal, "-o", tree.base + "/l.tar", "--compress", "none", "--source-date-epoch", "1000",
        ])
        try #require(result.status == 0, "\(result.stderr)")
        let times = try Run.command([
            "/usr/bin/python3", "-c",
            "import sys, tarfile\nwith tarfile.open(sys.argv[1]) as t:\n    print(sorted(set(int(m.mtime) for m in t)))",
            tree.base + "/l.tar",
        ])
        #expect(times.stdout == "[1000]\n")
    }

    @Test("a parent swapped for a symbolic link to outside ROOT after the step: layer fails and reads nothing there")
    func symlinkSwapRefused() throws {
        let (tree, journal) = try record("echo step > d/secret", tree: [.dir("d")])
        // After the step, d becomes a link to a directory outside ROOT holding a file of the same name: a
        // swap of what exists, so a shell action.
        try tree.materialise([.dir("d", [.file("secret", "outside\n")])], in: tree.outside)
        try tree.shell("mv d d.real && ln -s '\(tree.outside)/d' d")
        let output = tree.base + "/swapped.tar"
        let result = try Run.changerec(["layer", journal, "-o", output, "--compress", "none"])
        #expect(result.status == 1)
        // Beneath ROOT, without following the link, d/secret no longer exists: drift, never a read through d.
        #expect(
            result.stderr
                == "changerec: ROOT '\(tree.root)' has changed since the step: 2 path(s) differ from the journal's seal: /d (type, mode, mtime, symlink target), /d/secret (gone: a directory on its way is now a symbolic link or not a directory; nothing was read through it); pass --allow-drift to write the tree as it is now\n"
        )
        #expect(!FileManager.default.fileExists(atPath: output))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tree.base).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty)
        // Written as it is now: d is the link, and nothing from outside ROOT is in the layer.
        let drifted = try Run.changerec(["layer", journal, "-o", output, "--compress", "none", "--allow-drift"])
        #expect(drifted.status == 0, "\(drifted.stderr)")
        let members = try Run.command(["/bin/tar", "-tvf", output])
        #expect(members.stdout.contains(" d -> \(tree.outside)/d\n"), "\(members.stdout)")
        #expect(!members.stdout.contains("secret"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)).range(of: Data("outside".utf8 + [0x0A])) == nil)
    }

    @Test("a hand-made journal naming ../x is rejected")
    func dotDotRejected() throws {
        let tree = try TemporaryTree()
        let journal = tree.base + "/evil.journal"
        try Data(HandMadeJournal.bytes(sealPath: Array("../x".utf8), root: Array(tree.root.utf8))).write(
            to: URL(fileURLWithPath: journal))
        let result = try Run.changerec(["layer", journal, "-o", tree.base + "/evil.tar"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("is damaged at byte"))
        #expect(result.stderr.contains("path outside ROOT or malformed"))
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/evil.tar"))
        // The same journal with a proper path is accepted: the rejection is about the path alone.
        try Data(HandMadeJournal.bytes(sealPath: Array("x".utf8), root: Array(tree.root.utf8))).write(
            to: URL(fileURLWithPath: journal))
        #expect(try Run.changerec(["changes", journal]).status == 0)
    }

    @Test("a tree that changed since the step is refused with the drifted paths, unless --allow-drift")
    func driftRefused() throws {
        let (tree, journal) = try record("echo one > f && echo two > g")
        // Drift after the step: a rewrite and a removal, actions on the recorded tree.
        try tree.shell("echo changed > f && rm g")
        let output = tree.base + "/drift.tar"
        let refused = try Run.changerec(["layer", journal, "-o", output])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.hasPrefix(
                "changerec: ROOT '\(tree.root)' has changed since the step: 2 path(s) differ from the journal's seal: ")
        )
        #expect(refused.stderr.contains("/f (size, mtime, content)"))
        #expect(refused.stderr.contains("/g (gone)"))
        #expect(!FileManager.default.fileExists(atPath: output))
        let allowed = try Run.changerec(["layer", journal, "-o", output, "--allow-drift"])
        #expect(allowed.status == 0)
        #expect(allowed.stderr.contains("changerec: warning: /f differs from the seal"))
        #expect(FileManager.default.fileExists(atPath: output))
    }

    @Test("an incomplete journal is refused unless --force")
    func incompleteRefused() throws {
        let tree = try TemporaryTree()
        let journal = tree.base + "/cut.journal"
        let result = try Run.changerec(
            ["--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c", "echo a > a; kill -9 $PPID"],
            directory: tree.root)
        #expect(result.status == 137)
        let refused = try Run.changerec(["layer", journal, "-o", tree.base + "/cut.tar"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is incomplete (no seal)"))
        #expect(refused.stderr.contains("pass --force"))
        let forced = try Run.changerec(["layer", journal, "-o", tree.base + "/cut.tar", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
    }

    @Test("several journals squash into one layer equal to applying their steps in order")
    func squash() throws {
        let tree = try TemporaryTree()
        try tree.materialise([.dir("keep", [.file("k", "k\n")]), .file("base", "base\n")])
        _ = try Run.command(["/bin/cp", "-a", "--preserve=all", tree.root, tree.base + "/before-copy"])
        let one = tree.base + "/one.journal"
        let two = tree.base + "/two.journal"
        for (journal, script) in [
            (one, "mkdir a && echo 1 > a/f && echo 1 > base && rm keep/k"),
            (two, "rm -rf a && mkdir b && echo 2 > b/g && echo 2 > base && mkdir a && echo again > a/new"),
        ] {
            let result = try Run.changerec(
                ["--quiet", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c", script],
                directory: tree.root)
            try #require(result.status == 0, "\(result.stderr)")
        }
        let layer = tree.base + "/squash.tar"
        let written = try Run.changerec(["layer", one, two, "-o", layer, "--compress", "none"])
        try #require(written.status == 0, "\(written.stderr)")
        let listing = try Run.command(["/bin/sh", "-c", "tar -tf '\(layer)'"]).stdout.split(separator: "\n")
        #expect(!listing.contains("a/f"))
        #expect(listing.contains("a/new"))
        #expect(listing.contains("keep/.wh.k"))
        try LayerApplier.apply(layer: layer, to: tree.base + "/before-copy")
        let differences = try TreeSnapshot.take(tree.base + "/before-copy").differences(
            to: TreeSnapshot.take(tree.root))
        #expect(differences.isEmpty, "\(differences)")
    }

    @Test(
        "squashing: a directory moved away and back, or moved out and made again, hides what the lower one had",
        arguments: [
            ("mv d e && rm e/x", "mv e d"),
            ("mv d \"$OUT/d\"", "mkdir d && echo n > d/new"),
            ("mkdir -p f && echo a > f/a", "mv f g && echo file > f"),
        ])
    func squashRemovals(steps: (String, String)) throws {
        let tree = try TemporaryTree()
        try tree.materialise([.dir("d", [.file("x", "x\n"), .file("y", "y\n")])])
        _ = try Run.command(["/bin/cp", "-a", "--preserve=all", tree.root, tree.base + "/before-copy"])
        let journals = [tree.base + "/1.journal", tree.base + "/2.journal"]
        for (journal, script) in zip(journals, [steps.0, steps.1]) {
            let result = try Run.changerec(
                [
                    "--quiet", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c",
                    script.replacingOccurrences(of: "$OUT", with: tree.outside),
                ], directory: tree.root)
            try #require(result.status == 0, "\(result.stderr)")
        }
        let layer = tree.base + "/squash.tar"
        let written = try Run.changerec(["layer"] + journals + ["-o", layer, "--compress", "none"])
        try #require(written.status == 0, "\(written.stderr)")
        try LayerApplier.apply(layer: layer, to: tree.base + "/before-copy")
        let differences = try TreeSnapshot.take(tree.base + "/before-copy").differences(
            to: TreeSnapshot.take(tree.root))
        #expect(differences.isEmpty, "\(differences)")
    }

    @Test("progress shows on a terminal for a large layer, and never when standard error is piped", .requiresPython)
    func progressOnlyOnTerminal() throws {
        let (tree, journal) = try record("head -c 300000000 /dev/urandom > big")
        let piped = try Run.changerec(["layer", journal, "-o", tree.base + "/piped.tar", "--compress", "none"])
        #expect(piped.status == 0)
        #expect(piped.stderr.isEmpty)
        let terminal = try Run.onTerminal([
            Run.binary, "layer", journal, "-o", tree.base + "/tty.tar", "--compress", "none",
        ])
        #expect(terminal.stdout.hasSuffix("status 0\n"), "\(terminal.stdout)")
        #expect(terminal.stdout.contains("changerec: layer: "))
        #expect(terminal.stdout.contains(" entries, "))
    }

    @Test("an interrupted layer leaves no partial file")

    func interruptedLeavesNothing() throws {
        let (tree, journal) = try record("head -c 400000000 /dev/zero > big")
        let output = tree.base + "/big.tar.gz"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Run.binary)
        process.arguments = ["layer", journal, "-o", output]
        try process.run()
        // A fence: the partial file exists once writing has begun.
        let partial = tree.base + "/.big.tar.gz.partial-\(process.processIdentifier)"
        while !FileManager.default.fileExists(atPath: partial) && process.isRunning {}
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(!FileManager.default.fileExists(atPath: partial))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("--oci-layout writes a layout whose index, manifest, config and blobs all check out")
    func ociLayout() throws {
        let (tree, journal) = try record("echo x > f")
        let layout = tree.base + "/layout"
        let first = try Run.changerec(["layer", journal, "--oci-layout", layout, "--tag", "app"])
        try #require(first.status == 0, "\(first.stderr)")
        let next = tree.base + "/next.journal"
        let step = try Run.changerec(
            ["--quiet", "--root", tree.root, "--journal", next, "--", "/bin/sh", "-c", "echo y > g"],
            directory: tree.root)
        try #require(step.status == 0, "\(step.stderr)")
        let second = try Run.changerec([
            "layer", next, "--oci-layout", layout, "--tag", "app", "--compress", "none", "--json",
        ])
        try #require(second.status == 0, "\(second.stderr)")
        try OCILayoutCheck.verify(layout, tag: "app", expectedLayers: 2)
    }
}

/// A journal made by hand, frame by frame, to feed the reader what the recorder never writes.
enum HandMadeJournal {
    static func frame(_ kind: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var bytes = withUnsafeBytes(of: UInt32(payload.count).littleEndian, Array.init) + [kind] + payload
        bytes += withUnsafeBytes(of: CRC32C.update(CRC32C.checksum([kind]), payload).littleEndian, Array.init)
        return bytes
    }

    static func data(_ value: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: UInt32(value.count).littleEndian, Array.init) + value
    }

    static func bytes(sealPath: [UInt8], root: [UInt8], start: Int64 = 0) -> [UInt8] {
        var header: [UInt8] = [1, 0] + data(root) + data(Array("inotify".utf8)) + data([]) + [0, 0, 0, 0]
        header += withUnsafeBytes(of: start.littleEndian, Array.init) + data([]) + [0, 0, 0, 0]

        let exit: [UInt8] =
            [UInt8](repeating: 0, count: 8) + [0] + [0, 0, 0, 0] + [UInt8](repeating: 0, count: 16) + [0] + [
                0, 0, 0, 0,
            ]
        let seal: [UInt8] = data(sealPath) + [0, 0]  // did not exist before, gone after
        let end: [UInt8] =
            withUnsafeBytes(of: UInt64(1).littleEndian, Array.init)
            + withUnsafeBytes(of: UInt64(3).littleEndian, Array.init)
        return JournalFormat.magic + frame(1, header) + frame(4, exit) + frame(5, seal) + frame(6, end)
    }
}
