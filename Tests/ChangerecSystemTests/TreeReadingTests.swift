import ChangerecTestSupport
import Glibc  // the O_* flags the open calls take
import SystemPackage
import Testing

@testable import ChangerecSystem

/// The reads the baseline and the seal make of a tree: entries, status, symlink targets, xattrs.
@Suite("reading a tree: directory entries, status, symbolic link targets, xattrs")
struct TreeReadingTests {
    static let spec: [TreeSpec] = [
        .dir("d", [.file("f", "abc").mode(0o640).mtime("2001-02-03 04:05:06")]).mode(0o750)
            .mtime("1999-12-31 23:59:59"),
        .hardLink("h", to: "d/f"),
        .symlink("l", "d/f").mtime("1988-04-07 13:07:58"),
        .fifo("p"),
        .file("x", "x").xattr("user.b", "2").xattr("user.a", "1"),
    ]

    static func tree() throws -> (TemporaryTree, FileDescriptor) {
        let tree = try TemporaryTree()
        try spec.materialise(in: tree.root)
        return (tree, try FileSystem.open(Array(tree.root.utf8), .readOnly, options: .directory))
    }

    @Test("a directory's entries come with their d_type and inode, without . and ..")
    func directoryEntries() throws {
        let (tree, root) = try Self.tree()
        defer { FileSystem.close(root) }
        let entries = try DirectoryReader.entries(of: root).sorted { $0.name.lexicographicallyPrecedes($1.name) }
        #expect(entries.map { String(decoding: $0.name, as: UTF8.self) } == ["d", "h", "l", "p", "x"])
        #expect(entries.map(\.type) == [.directory, .regular, .symlink, .fifo, .regular])
        for entry in entries {
            #expect(entry.inode == (try FileSystem.status(of: entry.name, in: root)).inode)
        }
        // Read twice from one descriptor: the listing starts at the beginning each time.
        #expect(try DirectoryReader.entries(of: root).count == 5)
        _ = tree
    }

    @Test("status says type, mode, size, mtime and links, and does not follow a final symbolic link")
    func status() throws {
        let (tree, root) = try Self.tree()
        defer { FileSystem.close(root) }
        let file = try FileSystem.status(of: Array("d/f".utf8), in: root)
        #expect(file.type == .regular && file.permissions == 0o640 && file.size == 3)
        #expect(file.mtimeSeconds == 981_173_106 && file.mtimeNanoseconds == 0)
        #expect(file.linkCount == 2)
        #expect(try FileSystem.status(of: Array("h".utf8), in: root).inode == file.inode)
        let link = try FileSystem.status(of: Array("l".utf8), in: root)
        #expect(link.type == .symlink && link.mtimeSeconds == 576_421_678)
        // A declared directory keeps its time though entries were made in it (and a hard link to one).
        let directory = try FileSystem.status(of: Array("d".utf8), in: root)
        #expect(directory.permissions == 0o750 && directory.mtimeSeconds == 946_684_799)
        #expect(try FileSystem.status(of: Array("p".utf8), in: root).type == .fifo)
        let top = try FileSystem.status(of: [], in: root)
        let opened = try FileSystem.status(of: root)
        #expect(top.type == .directory && top == opened)
        _ = tree
    }

    @Test("a symbolic link's target is read whole as bytes, however long; a file has none (EINVAL)")
    func symlinkTargets() throws {
        let (tree, root) = try Self.tree()
        defer { FileSystem.close(root) }
        let long = String(repeating: "t/", count: 2000) + "end"
        let odd: [UInt8] = [0x62, 0x61, 0x64, 0xFF, 0x0A]
        try [TreeSpec.symlink("long", long), TreeSpec(name: Array("odd".utf8), kind: .symlink(odd))]
            .materialise(in: tree.root)
        #expect(try FileSystem.symlinkTarget(of: Array("l".utf8), in: root) == Array("d/f".utf8))
        #expect(try FileSystem.symlinkTarget(of: Array("long".utf8), in: root) == Array(long.utf8))
        #expect(try FileSystem.symlinkTarget(of: Array("odd".utf8), in: root) == odd)
        #expect(throws: Errno.invalidArgument) { try FileSystem.symlinkTarget(of: Array("x".utf8), in: root) }
        #expect(throws: Errno.noSuchFileOrDirectory) {
            try FileSystem.symlinkTarget(of: Array("missing".utf8), in: root)
        }
    }

    @Test("xattrs are read sorted by name, and a symbolic link's are its own, not its target's")
    func xattrs() throws {
        let (tree, root) = try Self.tree()
        defer { FileSystem.close(root) }
        try [TreeSpec.symlink("lx", "x")].materialise(in: tree.root)
        let attributes = try Xattrs.all(of: Array("x".utf8), in: root)
        #expect(attributes.map { String(decoding: $0.name, as: UTF8.self) } == ["user.a", "user.b"])
        #expect(attributes.map(\.value) == [Array("1".utf8), Array("2".utf8)])
        #expect(try Xattrs.all(of: Array("lx".utf8), in: root).isEmpty)
        #expect(try Xattrs.all(of: Array("d/f".utf8), in: root).isEmpty)
        #expect(throws: Errno.noSuchFileOrDirectory) { try Xattrs.all(of: Array("missing".utf8), in: root) }
    }
}
