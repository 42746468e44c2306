import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// What `layer` agrees to read and to write into a layer: only the recorded ROOT, and only names an OCI
/// layer can hold.
@Suite("layer inputs: the recorded ROOT only, and no names an applier would take for whiteouts")
struct LayerInputTests {
    func record(_ script: String, tree: [TreeSpec] = []) throws -> (TemporaryTree, String) {
        try Run.recordedStep(script, tree: tree)
    }

    func leftovers(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains("partial") }
    }

    @Test(
        "a real .wh. file under ROOT is refused with one line naming it",
        arguments: [
            ([], "mkdir d && echo x > d/.wh.victim", "/d/.wh.victim"),
            ([], "mkdir d && echo x > d/.wh..wh..opq", "/d/.wh..wh..opq"),
            // Its whiteout would be .wh..wh..opq, an opaque marker: the removal cannot be said either.
            ([.file(".wh..opq", "x\n")], "rm .wh..opq", "/.wh..opq"),
        ] as [([TreeSpec], String, String)])
    func whiteoutNamesRefused(before: [TreeSpec], step: String, shown: String) throws {
        let (tree, journal) = try record(step, tree: before)
        let expected =
            "changerec: an OCI layer cannot hold '\(tree.root)\(shown)': a name beginning with '.wh.' is a whiteout there (and '.wh..wh..opq' an opaque marker), which any applier would turn into a deletion of lower-layer content the step never touched; rename it\n"
        let output = tree.base + "/layer.tar"
        let toFile = try Run.changerec(["layer", journal, "-o", output])
        #expect(toFile.status == 1)
        #expect(toFile.stderr == expected)
        #expect(!FileManager.default.fileExists(atPath: output))
        let streamed = try Run.changerec(["layer", journal, "-o", "-", "--oci-layout", tree.base + "/layout"])
        #expect(streamed.status == 1)
        #expect(streamed.stderr == expected)
        #expect(streamed.stdoutData.isEmpty, "nothing is streamed before the refusal")
        #expect(try leftovers(in: tree.base).isEmpty)
    }

    @Test("layer refuses a ROOT replaced by a symlink after the step, and reads nothing outside")
    func rootReplacedBySymlink() throws {
        let (tree, journal) = try record("echo step > f && mkdir d && echo two > d/g")
        let moved = tree.base + "/root.moved"
        let copy = tree.outside + "/copy"
        try FileManager.default.moveItem(atPath: tree.root, toPath: moved)
        // An exact copy outside ROOT (same content, modes, owners, mtimes): read through the link, it would
        // make a layer without a word of drift.
        let copied = try Run.command(["/bin/cp", "-a", "--preserve=all", moved, copy])
        try #require(copied.status == 0, "\(copied.stderr)")
        try FileManager.default.createSymbolicLink(atPath: tree.root, withDestinationPath: copy)
        let watch = try OpenWatch([copy, copy + "/d"])
        let output = tree.base + "/layer.tar"
        let result = try Run.changerec(["layer", journal, "-o", output, "--allow-drift"])
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "changerec: refusing to read ROOT '\(tree.root)': it is now a symbolic link, or has one on its way (it had none when the step was recorded), which could lead outside the recorded tree; nothing was read through it (pass --root DIR to read a tree elsewhere on purpose)\n"
        )
        #expect(!FileManager.default.fileExists(atPath: output))
        let events = watch.events()
        #expect(events == [], "nothing outside ROOT may be opened")
        // An explicit --root is not followed through a final symbolic link either.
        let explicit = try Run.changerec(["layer", journal, "-o", output, "--root", tree.root])
        #expect(explicit.status == 1)
        #expect(
            explicit.stderr
                == "changerec: refusing to read ROOT '\(tree.root)': it is a symbolic link, which changerec does not follow at ROOT; name the directory itself\n"
        )
        let later = watch.events()
        #expect(later == [])
    }

    @Test("layer refuses a ROOT replaced by another directory at the same path, unless --root names it on purpose")
    func rootReplacedByDirectory() throws {
        let (tree, journal) = try record("echo step > f && mkdir d && echo two > d/g")
        let moved = tree.base + "/root.moved"
        try FileManager.default.moveItem(atPath: tree.root, toPath: moved)
        let copied = try Run.command(["/bin/cp", "-a", "--preserve=all", moved, tree.root])
        try #require(copied.status == 0, "\(copied.stderr)")
        func identity(_ path: String) throws -> String {
            String(try Run.command(["/usr/bin/stat", "-c", "device %Hd:%Ld, inode %i", path]).stdout.dropLast())
        }
        let was = try identity(moved)
        let now = try identity(tree.root)
        let watch = try OpenWatch([tree.root, tree.root + "/d"])
        let output = tree.base + "/layer.tar"
        let result = try Run.changerec(["layer", journal, "-o", output, "--allow-drift"])
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "changerec: refusing to read ROOT '\(tree.root)': it is not the directory journal '\(journal)' recorded (\(was) then, \(now) now), so it was replaced or moved since the step; nothing was read from it (pass --root DIR to read another tree on purpose)\n"
        )
        #expect(!FileManager.default.fileExists(atPath: output))
        let events = watch.events()
        #expect(events == [], "nothing in the replacement may be opened")
        // Named on purpose, the copy is read (and checked against the seal as always).
        let explicit = try Run.changerec(["layer", journal, "-o", output, "--root", tree.root, "--compress", "none"])
        #expect(explicit.status == 0, "\(explicit.stderr)")
        #expect(explicit.stderr.isEmpty)
        #expect(try Run.command(["/usr/bin/tar", "-tf", output]).stdout == "d/\nd/g\nf\n")
    }

    @Test("a journal without ROOT's identity (an older changerec's) still makes a layer, and says ROOT was not checked")
    func olderJournalStillLayers() throws {
        let tree = try TemporaryTree()
        let journal = tree.base + "/old.journal"
        try Data(HandMadeJournal.bytes(sealPath: Array("x".utf8), root: Array(tree.root.utf8))).write(
            to: URL(fileURLWithPath: journal))
        let result = try Run.changerec(["layer", journal, "-o", tree.base + "/old.tar"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stderr
                == "changerec: warning: journal '\(journal)' does not record which directory ROOT was (it was written by an older changerec): ROOT '\(tree.root)' is read without checking that it is still the directory recorded\n"
        )
        #expect(FileManager.default.fileExists(atPath: tree.base + "/old.tar"))
    }
}
