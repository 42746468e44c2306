import ChangerecSystem
import ChangerecTestSupport
import Crypto
import Foundation
import SystemPackage
import Testing

@testable import ChangerecKit

/// The one comparison of final states behind the layer's drift check and `diff`, and the one reader of
/// file content behind the seal's digests and the layer's copy.
@Suite("seal: comparing final states and reading content")
struct SealComparisonTests {
    static let file = FinalState(
        type: .regular, permissions: 0o644, uid: 1000, gid: 1000, size: 5, mtimeSeconds: 1_700_000_000,
        mtimeNanoseconds: 1, inode: 42, linkCount: 1, rdev: 0, symlinkTarget: nil,
        contentDigest: [UInt8](repeating: 1, count: 32), xattrDigest: nil)

    @Test("each recorded field that differs is reported, alone")
    func eachField() {
        let changes: [(FinalState.Fields, (inout FinalState) -> Void)] = [
            (.type, { $0.type = .fifo }),
            (.permissions, { $0.permissions = 0o600 }),
            (.owner, { $0.uid = 0 }),
            (.owner, { $0.gid = 0 }),
            (.size, { $0.size = 6 }),
            (.mtime, { $0.mtimeSeconds += 1 }),
            (.mtime, { $0.mtimeNanoseconds = 2 }),
            (.symlinkTarget, { $0.symlinkTarget = Array("t".utf8) }),
            (.rdev, { $0.rdev = 0x0801 }),
            (.contentDigest, { $0.contentDigest = [UInt8](repeating: 2, count: 32) }),
            (.xattrDigest, { $0.xattrDigest = [UInt8](repeating: 3, count: 32) }),
        ]
        for (field, change) in changes {
            var other = Self.file
            change(&other)
            #expect(FinalState.differences(Self.file, other) == field)
            #expect(FinalState.differences(other, Self.file) == field, "the comparison is symmetric")
        }
    }

    @Test("the inode and the link count are where an object lives, not what it holds: never a difference")
    func identityIsNoDifference() {
        var moved = Self.file
        moved.inode = 7
        moved.linkCount = 3
        #expect(FinalState.differences(Self.file, moved).isEmpty)
    }

    @Test("a missing state differs in every field but the optional ones the present state lacks")
    func missingState() {
        let all: FinalState.Fields = [.type, .permissions, .owner, .size, .mtime, .rdev, .contentDigest]
        #expect(FinalState.differences(nil, Self.file) == all)
        #expect(FinalState.differences(Self.file, nil) == all)
        #expect(FinalState.differences(nil, nil).isEmpty)
    }

    @Test("drift reasons keep the layer's words and order, and count a field only where it means something now")
    func driftReasons() {
        var now = Self.file
        now.permissions = 0o600
        now.uid = 0
        now.size = 9
        now.mtimeSeconds += 1
        now.xattrDigest = [UInt8](repeating: 3, count: 32)
        now.contentDigest = nil  // checked while the content is copied, never here
        #expect(Drift.reasons(sealed: Self.file, now: now) == ["mode", "owner", "size", "mtime", "xattrs"])

        // A file that is a directory now: a directory's size and mtime say nothing.
        var directory = now
        directory.type = .directory
        #expect(Drift.reasons(sealed: Self.file, now: directory) == ["type", "mode", "owner", "xattrs"])

        var link = Self.file
        link.type = .symlink
        link.symlinkTarget = Array("elsewhere".utf8)
        #expect(Drift.reasons(sealed: Self.file, now: link) == ["type", "symlink target"])

        var device = Self.file
        device.type = .blockDevice
        device.rdev = 0x0801
        #expect(Drift.reasons(sealed: Self.file, now: device) == ["type", "device number"])
        #expect(Drift.reasons(sealed: Self.file, now: Self.file).isEmpty)
    }

    @Test("content is hashed and handed on in chunks of at most 1 MiB, up to a limit or the end of the file")
    func readsInChunks() throws {
        let tree = try TemporaryTree(tmpfs: false)
        let bytes = (0..<(5 << 19)).map { UInt8(truncatingIfNeeded: $0 &* 31) }  // 2.5 MiB
        #expect(FileManager.default.createFile(atPath: tree.path("f"), contents: Data(bytes)))
        let root = try FileSystem.open(Array(tree.root.utf8), .readOnly, options: .directory)
        defer { FileSystem.close(root) }

        let whole = try ContentReader(Array("f".utf8), in: root)
        var copied: [UInt8] = []
        var largest = 0
        let read = try whole.digest(readFailed: { $0 }) { (chunk) throws(Errno) in
            copied += chunk
            largest = max(largest, chunk.count)
        }
        #expect(read.count == UInt64(bytes.count))
        #expect(read.sha256 == Array(SHA256.hash(data: bytes)))
        #expect(copied == bytes)
        #expect(largest == 1 << 20)

        let prefix = try ContentReader(Array("f".utf8), in: root)
        let limited = try prefix.digest(limit: 1000, readFailed: { $0 })
        #expect(limited.count == 1000)
        #expect(limited.sha256 == Array(SHA256.hash(data: bytes[0..<1000])))
    }

    @Test("a symbolic link in the file's place is not followed, and another inode is not the file stat'ed")
    func refusesReplacements() throws {
        let tree = try TemporaryTree(tmpfs: false)
        try tree.materialise([.file("a", "a\n"), .file("b", "b\n"), .symlink("link", "a")])
        let root = try FileSystem.open(Array(tree.root.utf8), .readOnly, options: .directory)
        defer { FileSystem.close(root) }
        #expect(throws: Errno.tooManySymbolicLinkLevels) { _ = try ContentReader(Array("link".utf8), in: root) }

        let a = try ContentReader(Array("a".utf8), in: root)
        let statusA = try FileSystem.status(of: Array("a".utf8), in: root)
        let statusB = try FileSystem.status(of: Array("b".utf8), in: root)
        #expect(try a.status(ifStill: statusA)?.inode == statusA.inode)
        #expect(try a.status(ifStill: statusB) == nil)
    }
}
