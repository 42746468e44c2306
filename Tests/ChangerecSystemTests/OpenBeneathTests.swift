import ChangerecTestSupport
import Glibc  // the O_* flags the open calls take
import SystemPackage
import Testing

@testable import ChangerecSystem

/// `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`: nothing outside the directory is ever reached.
@Suite("openBeneath: no .., no absolute path, no symbolic link on the way")
struct OpenBeneathTests {
    /// ROOT holding `d/f`, a link to `d` inside it, and a file `outside` beside ROOT.
    static func tree() throws -> (TemporaryTree, FileDescriptor) {
        let tree = try TemporaryTree()
        try [TreeSpec.dir("d", [.file("f", "inside")]), .symlink("link", "d"), .symlink("final", "d/f")]
            .materialise(in: tree.root)
        try [TreeSpec.file("secret", "outside")].materialise(in: tree.outside)
        return (tree, try FileSystem.open(Array(tree.root.utf8), .readOnly, options: .directory))
    }

    @Test("a path below the directory opens; an empty path opens the directory itself")
    func opensBelow() throws {
        let (tree, root) = try Self.tree()
        defer { FileSystem.close(root) }
        let file = try FileSystem.openBeneath(Array("d/f".utf8), in: root, .readOnly)
        defer { FileSystem.close(file) }
        #expect(try FileSystem.status(of: file).type == .regular)
        let itself = try FileSystem.openBeneath([], in: root, .readOnly, options: .directory)
        defer { FileSystem.close(itself) }
        #expect(try FileSystem.status(of: itself).inode == FileSystem.status(of: root).inode)
        _ = tree
    }

    @Test("'..' out of the directory and an absolute path are refused (EXDEV)")
    func refusesEscapes() throws {
        let (tree, root) = try Self.tree()
        defer { FileSystem.close(root) }
        #expect(throws: Errno.improperLink) {
            try FileSystem.openBeneath(Array("../outside/secret".utf8), in: root, .readOnly)
        }
        #expect(throws: Errno.improperLink) {
            try FileSystem.openBeneath(Array((tree.outside + "/secret").utf8), in: root, .readOnly)
        }
    }

    @Test("a symbolic link is refused (ELOOP) on the way and at the end, even one pointing inside")
    func refusesSymbolicLinks() throws {
        let (tree, root) = try Self.tree()
        defer { FileSystem.close(root) }
        #expect(throws: Errno.tooManySymbolicLinkLevels) {
            try FileSystem.openBeneath(Array("link/f".utf8), in: root, .readOnly)
        }
        #expect(throws: Errno.tooManySymbolicLinkLevels) {
            try FileSystem.openBeneath(Array("final".utf8), in: root, .readOnly)
        }
        _ = tree
    }

    @Test("a path of PATH_MAX bytes or more is cut into pieces of whole components, each shorter")
    func piecesBelowPathMax() {
        let component = [UInt8](repeating: 0x61, count: 200)
        let path = Array(Array(repeating: component, count: 30).joined(separator: [0x2F]))
        let pieces = FileSystem.piecesBelowPathMax(path)
        #expect(pieces.count > 1)
        #expect(pieces.allSatisfy { $0.count < Int(PATH_MAX) && $0.first != 0x2F && $0.last != 0x2F })
        #expect(Array(pieces.joined(separator: [0x2F])) == path)
        #expect(FileSystem.piecesBelowPathMax(Array("a/b".utf8)) == [Array("a/b".utf8)])
    }
}
