import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// One way of changing an inode through a name that is gone, moved away or replaced by the seal.
struct VanishingLinkCase: Sendable, CustomTestStringConvertible {
    var label: String
    var tree: [TreeSpec]
    var script: String
    /// The name whose content or mode changed without an event of its own.
    var unreported: String

    var testDescription: String { label }

    static let all: [VanishingLinkCase] = [
        VanishingLinkCase(
            label: "written, then removed", tree: [.file("a", "1\n"), .hardLink("b", to: "a")],
            script: "echo 2 >> b && rm b",
            unreported: "a"),
        VanishingLinkCase(
            label: "written, then moved out of ROOT", tree: [.file("a", "1\n"), .hardLink("b", to: "a")],
            script: "echo 2 >> b && mv b \"$OUT/b\"", unreported: "a"),
        VanishingLinkCase(
            label: "written, then replaced by a rename over it",
            tree: [.file("a", "1\n"), .hardLink("b", to: "a"), .file("z", "z\n")],
            script: "echo 2 >> b && mv z b", unreported: "a"),
        VanishingLinkCase(
            label: "chmod, then removed", tree: [.file("a", "1\n").mode(0o644), .hardLink("b", to: "a")],
            script: "chmod 600 b && rm b", unreported: "a"),
        VanishingLinkCase(
            label: "written, then its parent directory renamed",
            tree: [.dir("d", [.file("a", "1\n")]), .dir("e", [.hardLink("b", to: "d/a")])],
            script: "echo 2 >> e/b && mv e e2",
            unreported: "d/a"),
        VanishingLinkCase(
            label: "its parent directory renamed, then written and removed",
            tree: [.dir("d", [.file("a", "1\n")]), .dir("e", [.hardLink("b", to: "d/a")])],
            script: "mv e e2 && echo 2 >> e2/b && rm e2/b",
            unreported: "d/a"),
        VanishingLinkCase(
            label: "a link made during the step, written, then removed", tree: [.file("a", "1\n")],
            script: "ln a c && echo 2 >> c && rm c", unreported: "a"),
        VanishingLinkCase(
            label: "a link made during the step, chmod, then replaced",
            tree: [.file("a", "1\n"), .file("z", "z\n")],
            script: "ln a c && chmod 600 c && mv z c", unreported: "a"),
    ]
}

extension GroundTruthTests {
    @Test(
        "hard links: a change through a name that is then gone still changes the file's other names",
        arguments: VanishingLinkCase.all, backends)
    func changeThroughVanishedHardLink(_ variant: VanishingLinkCase, backend: String) throws {
        let (truth, _) = try check(variant.script, tree: variant.tree, backend: backend)
        #expect(truth.changes.entry(variant.unreported)?.kind == "C", "\(truth.changes.changes)")
    }

    @Test("hard-linked symlinks, fifos and device nodes stay one inode in the layer", arguments: backends)
    func hardLinkedSpecialFiles(backend: String) throws {
        // link(2) does not follow a symbolic link: `ln -P` links the symlink itself.
        var script = "ln -s target s1 && ln -P s1 s2 && mkfifo p1 && ln p1 p2 && ln -P old-s old-s2 && ln old-p old-p2"
        if getuid() == 0 { script += " && mknod c1 c 1 3 && ln c1 c2" }
        let (truth, tree) = try check(
            script, tree: [.symlink("old-s", "old-target"), .fifo("old-p")], backend: backend)
        #expect(truth.changes.entry("s2")?.kind == "A")
        // GNU tar makes the names one inode again, from the layer alone.
        let extracted = try HardLinkGroups.take(tree.base + "/gnu-tar")
        var expected: Set<[[UInt8]]> = [
            [Array("old-p".utf8), Array("old-p2".utf8)], [Array("old-s".utf8), Array("old-s2".utf8)],
            [Array("p1".utf8), Array("p2".utf8)], [Array("s1".utf8), Array("s2".utf8)],
        ]
        if getuid() == 0 { expected.insert([Array("c1".utf8), Array("c2".utf8)]) }
        #expect(extracted.groups == expected)
    }
}

@Suite("hard links: names that vanish before their events are read")
struct VanishedLinkTests {
    @Test(
        "a link made, written through and removed before any event is read still changes the file it linked",
        arguments: GroundTruthTests.backends)
    func linkGoneBeforeRead(backend: String) throws {
        if backend == "fanotify" && getuid() != 0 {
            try Test.cancel("fanotify needs root (CAP_SYS_ADMIN): run the tests as root to cover this backend")
        }
        let tree = try TemporaryTree()
        try tree.materialise([.file("a", "1\n"), .dir("d", [.file("b", "1\n")])])
        // The reader is held back until the command has ended: the new name is gone when its create is read,
        // so inotify cannot learn its inode by `lstat` and fanotify has only the link count's file handle.
        let truth = try GroundTruth.run(
            "ln a d/c && echo 2 >> d/c && rm d/c", in: tree, backend: backend,
            environment: ["CHANGEREC_TEST_STALL_READER": "1"])
        #expect(truth.missing.isEmpty, "missed: \(truth.missing)\nrecorded: \(truth.changes.changes)")
        #expect(truth.changes.entry("a")?.kind == "C")
        let layerProblems = try truth.layerDifferences(in: tree)
        #expect(layerProblems.isEmpty, "\(layerProblems)")
    }
}
