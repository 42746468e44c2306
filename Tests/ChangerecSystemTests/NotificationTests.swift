import ChangerecTestSupport
import Glibc  // the O_* flags the open calls take; getpid
import SystemPackage
import Testing

@testable import ChangerecSystem

/// The kernel's notification records as the wrappers hand them over. The kernel queues an event before
/// the system call that caused it returns, so the queue is read at once, without waiting.
@Suite("notifications: inotify and fanotify records")
struct NotificationTests {
    @Test("inotify: a watch on an open directory reports a create with the name and a move with one cookie")
    func inotifyRecords() throws {
        let tree = try TemporaryTree()
        let root = try FileSystem.open(Array(tree.root.utf8), .readOnly, options: .directory)
        defer { FileSystem.close(root) }
        let inotify = try Inotify()
        #expect(try inotify.readAvailable().isEmpty)
        let watch = try inotify.addWatch(
            onOpenDirectory: root, mask: Inotify.Mask.create | Inotify.Mask.movedFrom | Inotify.Mask.movedTo)
        try [TreeSpec.file("f", "x"), .dir("d")].materialise(in: tree.root)
        try FileSystem.rename(Array("f".utf8), to: Array("g".utf8), in: root)
        #expect(try inotify.queuedBytes() > 0)
        let records = try inotify.readAvailable()
        #expect(records.map { String(decoding: $0.name, as: UTF8.self) } == ["f", "d", "f", "g"])
        #expect(records.allSatisfy { $0.watch == watch })
        #expect(records[0].mask & Inotify.Mask.create != 0 && records[0].mask & Inotify.Mask.isDirectory == 0)
        #expect(records[1].mask & Inotify.Mask.isDirectory != 0)
        #expect(records[2].mask & Inotify.Mask.movedFrom != 0 && records[3].mask & Inotify.Mask.movedTo != 0)
        #expect(records[2].cookie != 0 && records[2].cookie == records[3].cookie)
        #expect(try inotify.readAvailable().isEmpty)
    }

    @Test(
        "fanotify: a file system mark reports a create with this process's pid and the directory entry's name",
        .requiresRoot)
    func fanotifyRecords() throws {
        // Its own tmpfs (as root): the mark sees nothing but this test's tree.
        let tree = try TemporaryTree()
        let root = try FileSystem.open(Array(tree.root.utf8), .readOnly, options: .directory)
        defer { FileSystem.close(root) }
        let fanotify = try Fanotify()
        try fanotify.markFilesystem(of: root, mask: Fanotify.Mask.create | Fanotify.Mask.onDirectory)
        try [TreeSpec.file("f", "x"), .dir("d")].materialise(in: tree.root)
        let records = try fanotify.readAvailable()
        let names = records.flatMap { record in
            record.infos.filter { $0.kind == .directoryEntry }.map { String(decoding: $0.name, as: UTF8.self) }
        }
        #expect(names == ["f", "d"])
        #expect(records.allSatisfy { $0.pid == getpid() && $0.mask & Fanotify.Mask.create != 0 })
        #expect(records.last.map { $0.mask & Fanotify.Mask.onDirectory != 0 } == true)
        #expect(try fanotify.readAvailable().isEmpty)
    }
}
