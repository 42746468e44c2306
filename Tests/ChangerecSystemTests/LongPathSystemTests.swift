import ChangerecSystem
import ChangerecTestSupport
import Glibc
import SystemPackage
import Testing

/// The system calls behind every read of the tree, on paths no single call can name.
@Suite("long paths: opening beneath ROOT in steps")
struct LongPathSystemTests {
    /// ROOT, and the relative path of a chain of `depth` directories of 200-byte names made below it.
    static func deepTree(depth: Int) throws -> (TemporaryTree, FileDescriptor, [UInt8]) {
        let tree = try TemporaryTree()
        let root = try FileSystem.open(Array(tree.root.utf8), .readOnly, options: .directory)
        var path: [UInt8] = []
        var current = try FileSystem.open([0x2E], relativeTo: root, .readOnly, options: .directory)
        for index in 0..<depth {
            let name = Array(String(format: "d%02d", index).utf8) + [UInt8](repeating: 0x78, count: 197)
            try FileSystem.makeDirectory(name, in: current)
            let next = try FileSystem.open(name, relativeTo: current, .readOnly, options: .directory)
            FileSystem.close(current)
            current = next
            path += (path.isEmpty ? [] : [0x2F]) + name
        }
        FileSystem.close(current)
        return (tree, root, path)
    }

    @Test("openBeneath reaches a 5,000-byte path, and its status is the directory's")
    func opensFiveThousandBytes() throws {
        let (tree, root, path) = try Self.deepTree(depth: 25)
        defer { FileSystem.close(root) }
        #expect(path.count > 5000)
        let fd = try FileSystem.openBeneath(path, in: root, .readOnly, options: .directory)
        defer { FileSystem.close(fd) }
        #expect(try FileSystem.status(of: fd).type == .directory)
        // The same path in one call is what the kernel refuses.
        #expect(throws: Errno.fileNameTooLong) {
            try FileSystem.open(path, relativeTo: root, .readOnly, options: .directory)
        }
        _ = tree
    }

    @Test("a symbolic link or a file on the way, in the second piece, is ELOOP or ENOTDIR, as in one call")
    func refusesLinksInAnyPiece() throws {
        let (tree, root, path) = try Self.deepTree(depth: 25)
        defer { FileSystem.close(root) }
        // Replace the 23rd directory (past the first 4,095 bytes) with a link to ROOT, then with a file.
        let components = path.split(separator: 0x2F).map(Array.init)
        let parent = Array(components[0..<22].joined(separator: [0x2F]))
        let directory = try FileSystem.openBeneath(parent, in: root, .readOnly, options: .directory)
        defer { FileSystem.close(directory) }
        #expect(parent.count >= 4096)
        try FileSystem.rename(components[22], to: Array("moved".utf8), in: directory)
        #expect(symlinkat(tree.root, directory.rawValue, String(decoding: components[22], as: UTF8.self)) == 0)
        #expect(throws: Errno.tooManySymbolicLinkLevels) {
            try FileSystem.openBeneath(path, in: root, .readOnly, options: .directory)
        }
        try FileSystem.unlink(components[22], in: directory)
        let file = try FileSystem.open(components[22], relativeTo: directory, .writeOnly, options: .create)
        FileSystem.close(file)
        #expect(throws: Errno.notDirectory) {
            try FileSystem.openBeneath(path, in: root, .readOnly, options: .directory)
        }
        #expect(Errno.notDirectory.meansNoSuchPathBeneath && Errno.tooManySymbolicLinkLevels.meansNoSuchPathBeneath)
        #expect(!Errno.permissionDenied.meansNoSuchPathBeneath && !Errno.fileNameTooLong.meansNoSuchPathBeneath)
    }

    @Test("a deep directory's path below ROOT is found by walking up, where /proc/self/fd cannot say it")
    func relativePathByWalkingUp() throws {
        let (tree, root, path) = try Self.deepTree(depth: 25)
        defer { FileSystem.close(root) }
        let fd = try FileSystem.openBeneath(path, in: root, .readOnly, options: .directory)
        defer { FileSystem.close(fd) }
        // The kernel's own answer, the /proc/self/fd link, fails for a path longer than a page.
        #expect(FileHandles.currentPath(of: fd) == nil)
        #expect(try FileSystem.relativePath(of: fd, below: root) == path)
        #expect(try FileSystem.relativePath(of: root, below: root) == [])
        // ROOT is not below the deep directory.
        #expect(try FileSystem.relativePath(of: root, below: fd) == nil)
        _ = tree
    }
}
