import ChangerecSystem
import ChangerecTestSupport
import Foundation
import Testing

@testable import ChangerecKit

/// Layers that try to reach outside the root file system: each is refused with one clear line or
/// applied inside it, and a sentinel directory beside the root file system never changes.
@Suite("image applier: nothing outside the root file system is reached")
struct ImageApplierHostileTests {
    /// Applies `entries` as one layer; returns the error's message, or nil when it applied.
    func apply(_ entries: [TestEntry], in tree: TemporaryTree) throws -> String? {
        if !FileManager.default.fileExists(atPath: tree.outside + "/sentinel") {
            try tree.materialise([.file("sentinel", "outside\n")], in: tree.outside)
        }
        let before = try TreeSnapshot.take(tree.outside)
        let layer = tree.base + "/hostile.tar"
        try TestImage.layer(entries, at: layer)
        var state = TreeState()
        var message: String?
        do {
            try ImageApplier.apply(layerAt: Array(layer.utf8), format: .tar, to: Array(tree.root.utf8), state: &state)
        } catch {
            message = error.message
        }
        let after = try TreeSnapshot.take(tree.outside)
        #expect(before.differences(to: after).map(\.description) == [], "the directory beside ROOT changed")
        return message
    }

    @Test("a name with .. is refused")
    func dotDot() throws {
        let tree = try TemporaryTree()
        let message = try apply([.file("../outside/x", "escaped\n")], in: tree)
        #expect(
            message
                == "layer '\(tree.base)/hostile.tar': entry '../outside/x' is refused: its name leads out of the root file system ('..')"
        )
        #expect(!FileManager.default.fileExists(atPath: tree.outside + "/x"))
    }

    @Test("an absolute name is refused")
    func absolute() throws {
        let tree = try TemporaryTree()
        let message = try apply([.file(tree.outside + "/x", "escaped\n")], in: tree)
        #expect(message?.hasSuffix("is refused: its name is absolute") == true, "\(message ?? "applied")")
        #expect(!FileManager.default.fileExists(atPath: tree.outside + "/x"))
    }

    @Test(
        "entries through a symbolic link to / or to ../../ land inside the root file system",
        arguments: ["/", "../../"])
    func throughLink(target: String) throws {
        let tree = try TemporaryTree()
        let message = try apply(
            [.symlink("evil", target), .file("evil/x", "inside\n"), .dir("evil/d"), .file("evil/d/y", "y\n")], in: tree)
        #expect(message == nil)
        #expect(try String(contentsOfFile: tree.path("x"), encoding: .utf8) == "inside\n")
        #expect(try String(contentsOfFile: tree.path("d/y"), encoding: .utf8) == "y\n")
    }

    @Test("an entry through an absolute symbolic link to the directory beside ROOT lands inside ROOT")
    func throughAbsoluteLinkOutside() throws {
        let tree = try TemporaryTree()
        let inside = String(tree.outside.dropFirst())
        let message = try apply(
            [.dir(inside), .symlink("out", tree.outside), .file("out/sentinel", "overwritten\n")], in: tree)
        #expect(message == nil)
        #expect(try String(contentsOfFile: tree.path(inside + "/sentinel"), encoding: .utf8) == "overwritten\n")
    }

    @Test(
        "an entry through a symbolic link that leads nowhere inside ROOT is refused, though its target exists outside")
    func throughDanglingLink() throws {
        let tree = try TemporaryTree()
        let message = try apply([.symlink("out", tree.outside), .file("out/sentinel", "overwritten\n")], in: tree)
        #expect(
            message
                == "layer '\(tree.base)/hostile.tar': entry 'out/sentinel': cannot open its parent directory: a symbolic link on its way leads to nothing inside the root file system"
        )
    }

    @Test("merged /usr: an entry under bin/ lands in usr/bin, and the state keeps it there")
    func mergedUsr() throws {
        let tree = try TemporaryTree()
        var state = TreeState()
        for (index, entries) in [
            [TestEntry.dir("usr"), .dir("usr/bin"), .symlink("bin", "usr/bin")],
            [.dir("bin/sub"), .file("bin/sub/tool", "tool\n"), .file("bin/ls", "ls\n"), .whiteout("bin/.wh.gone")],
        ].enumerated() {
            let layer = tree.base + "/layer\(index).tar"
            try TestImage.layer(entries, at: layer)
            try ImageApplier.apply(layerAt: Array(layer.utf8), format: .tar, to: Array(tree.root.utf8), state: &state)
        }
        #expect(try String(contentsOfFile: tree.path("usr/bin/sub/tool"), encoding: .utf8) == "tool\n")
        #expect(state[try #require(RelativePath("usr/bin/ls"))]?.type == .regular)
        #expect(state[try #require(RelativePath("bin/ls"))] == nil)
        #expect(state[try #require(RelativePath("bin"))]?.symlinkTarget == Array("usr/bin".utf8))
        #expect(try TestImage.stateDifferences(state, root: tree.root) == [])
    }

    @Test("a symbolic link replaced by a file is never followed: the link itself goes")
    func lastComponentNotFollowed() throws {
        let tree = try TemporaryTree()
        let message = try apply(
            [.symlink("s", tree.outside + "/sentinel"), .file("s", "replaced\n").xattr("user.k", "v")], in: tree)
        #expect(message == nil)
        var st = stat()
        #expect(lstat(tree.path("s"), &st) == 0 && st.st_mode & S_IFMT == S_IFREG)
    }

    @Test("a hard link to ../../outside is refused, and one to an absolute path too")
    func hardLinkOut() throws {
        let tree = try TemporaryTree()
        let message = try apply([.hardLink("h", to: "../outside/sentinel")], in: tree)
        #expect(
            message
                == "layer '\(tree.base)/hostile.tar': entry 'h' is refused: its link target leads out of the root file system ('..')"
        )
        let absolute = try apply([.hardLink("h", to: tree.outside + "/sentinel")], in: tree)
        #expect(absolute?.hasSuffix("entry 'h' is refused: its link target is absolute") == true)
    }

    @Test("a hard link through a symbolic link to / links what ROOT holds, never what is outside")
    func hardLinkThroughLink() throws {
        let tree = try TemporaryTree()
        let escaped = String(tree.outside.dropFirst())
        let message = try apply([.symlink("evil", "/"), .hardLink("h", to: "evil/" + escaped + "/sentinel")], in: tree)
        #expect(message?.contains("is a hard link to") == true, "\(message ?? "applied")")
        #expect(!FileManager.default.fileExists(atPath: tree.path("h")))
    }

    @Test("a whiteout through a symbolic link removes nothing outside")
    func whiteoutThroughLink() throws {
        let tree = try TemporaryTree()
        let escaped = String(tree.outside.dropFirst())
        let message = try apply([.symlink("evil", "/"), .whiteout("evil/" + escaped + "/.wh.sentinel")], in: tree)
        #expect(message == nil)
    }
}

/// What only root may make: owners, set-id bits, device nodes.
@Suite("image applier: owners, modes and special files", .requiresRoot)
struct ImageApplierPrivilegedTests {
    @Test("owners, setuid and sticky bits, devices and fifos apply, and the state matches the tree")
    func specialFiles() throws {
        let tree = try TemporaryTree()
        var device = TarHeader(name: Array("dev/null".utf8), kind: .characterDevice, mode: 0o666)
        device.deviceMajor = 1
        device.deviceMinor = 3
        var block = TarHeader(name: Array("dev/loop".utf8), kind: .blockDevice, mode: 0o660)
        block.deviceMajor = 7
        block.deviceMinor = 1
        let fifo = TarHeader(name: Array("run/fifo".utf8), kind: .fifo, mode: 0o620)
        let entries: [TestEntry] = [
            .dir("dev"), .dir("run"), TestEntry(header: device), TestEntry(header: block),
            TestEntry(header: fifo).owner(5, 6), .file("bin/su", "su\n", mode: 0o4755).owner(0, 0),
            .dir("tmp", mode: 0o1777).owner(0, 0), .file("home/u/f", "f\n", mode: 0o2640).owner(1000, 1001),
            .symlink("home/u/l", "f").owner(1000, 1001),
            .file("cap", "cap\n").owner(1000, 1000).xattr("trusted.t", "x"),
        ]
        let layer = tree.base + "/layer.tar"
        try TestImage.layer(entries, at: layer)
        var state = TreeState()
        try ImageApplier.apply(layerAt: Array(layer.utf8), format: .tar, to: Array(tree.root.utf8), state: &state)
        let snapshot = try TreeSnapshot.take(tree.root)
        func object(_ path: String) throws -> ObjectState { try #require(snapshot.objects[Array(path.utf8)]) }
        #expect(try object("dev/null").type == S_IFCHR && object("dev/null").rdev == 0x103)
        #expect(try object("dev/loop").type == S_IFBLK && object("dev/loop").mode == 0o660)
        #expect(try object("run/fifo").type == S_IFIFO && object("run/fifo").uid == 5 && object("run/fifo").gid == 6)
        #expect(try object("bin/su").mode == 0o4755, "chmod after chown keeps the setuid bit")
        #expect(try object("tmp").mode == 0o1777)
        #expect(
            try object("home/u/f").mode == 0o2640 && object("home/u/f").uid == 1000 && object("home/u/f").gid == 1001)
        #expect(try object("home/u/l").uid == 1000)
        #expect(try object("cap").xattrs == [Array("trusted.t".utf8): Array("x".utf8)])
        #expect(try TestImage.stateDifferences(state, root: tree.root) == [])
    }
}
