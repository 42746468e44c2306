import ChangerecKit
import ChangerecSystem
import ChangerecTestSupport
import Foundation
import Glibc
import Testing

@Suite("journal format: checksums, paths and round trips")
struct JournalCodingTests {
    @Test("CRC-32C matches the standard check value")
    func crc32cCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.update(CRC32C.checksum(Array("1234".utf8)), Array("56789".utf8)) == 0xE306_9283)
    }

    @Test(
        "relative paths reject absolute paths and dot components",
        arguments: ["/etc", "../x", "a/../b", "a//b", "a/./b", "a/", "."])
    func pathsRejected(_ text: String) {
        #expect(RelativePath(text) == nil)
    }

    @Test("relative paths print /-rooted with odd bytes escaped")
    func pathsPrinted() throws {
        #expect(try #require(RelativePath("a/b c")).description == "/a/b c")
        #expect(try #require(RelativePath(Array("new\nline".utf8))).description == "/new\\nline")
        #expect(try #require(RelativePath([0x62, 0xFF])).description == "/b\\xff")
        #expect(try #require(RelativePath("é/ü")).description == "/é/ü")
        #expect(RelativePath.root.description == "/")
    }

    @Test("tree order puts a directory directly before its contents")
    func treeOrder() throws {
        let paths = ["a-b", "a/z", "a", "a.b/c"].compactMap { RelativePath($0) }
        #expect(paths.sorted(by: RelativePath.treeOrder).map(\.description) == ["/a", "/a/z", "/a-b", "/a.b/c"])
    }

    @Test("every record kind survives a write and a read, paths byte for byte")
    func roundTrip() throws {
        let tree = try TemporaryTree(tmpfs: false)
        let path = Array((tree.base + "/round.journal").utf8)
        let odd = try #require(RelativePath([0x6E, 0x0A, 0xFF, 0x2F, 0x78]))
        var event = JournalEvent(
            .rename, odd, to: RelativePath("b"), isDirectory: true, isSynthesized: true, symlinkTarget: [0x01, 0xFF])
        event.pid = 42
        event.time = 7
        // Event and note times never go backwards (order rule 3).
        var note = JournalNote(.queueOverflow, path: odd, "lost")
        note.time = 8
        let records: [JournalRecord] = [
            .header(
                JournalHeader(
                    root: [0x2F, 0xFE], backend: "inotify", backendReason: "why", argv: [[0x73, 0x68], [0xFF]],
                    startNanoseconds: -5, host: "h", recorderPID: 9)),
            // A process record precedes its process's first event (journal-format.md, order rule 4).
            .process(JournalProcess(pid: 42, name: "sh\n", isStep: false)),
            .event(event),
            .note(note),
            .exit(
                JournalExit(
                    time: 3, termination: .signaled(15), kernelEvents: 4, writtenEvents: 1, overflowed: true,
                    waited: false, stragglers: [.init(pid: 5, name: "sleep")])),
            // Seal entries in tree order, each after its parent's (order rule 6).
            .seal(SealEntry(path: try #require(RelativePath("gone")), before: .directory, after: nil)),
            .seal(
                SealEntry(
                    path: try #require(RelativePath("locked")), before: .regular,
                    unreadable: ReadFailure(.permissionDenied, "read its content", type: .regular))),
            .seal(SealEntry(path: try #require(odd.parent), before: .directory, after: nil)),
            .seal(
                SealEntry(
                    path: odd, before: .regular,
                    after: FinalState(
                        type: .symlink, permissions: 0o777, uid: 1, gid: 2, size: 3, mtimeSeconds: -4,
                        mtimeNanoseconds: 5, inode: 6, linkCount: 7, rdev: 8, symlinkTarget: [0xFF],
                        contentDigest: nil, xattrDigest: Array(repeating: 1, count: 32)))),
        ]
        let fd = try FileSystem.open(path, .writeOnly, options: [.create, .truncate])
        let writer = JournalWriter(descriptor: fd, path: path)
        for record in records { writer.append(record) }
        try writer.finish()

        let reader = try JournalReader(path: path)
        var read: [JournalRecord] = []
        while let record = try reader.next() { read.append(record) }
        #expect(reader.ending == .complete)
        #expect(
            read.dropLast()
                == records[...].map { record in
                    if case .event(var e) = record { e.sequence = 1; return .event(e) }
                    return record
                }[...])
    }

    @Test("a torn final frame ends the journal cleanly, as incomplete")
    func tornTail() throws {
        let tree = try TemporaryTree(tmpfs: false)
        let path = tree.base + "/torn.journal"
        let fd = try FileSystem.open(Array(path.utf8), .writeOnly, options: [.create, .truncate])
        let writer = JournalWriter(descriptor: fd, path: Array(path.utf8))
        writer.append(
            .header(
                JournalHeader(
                    root: [0x2F], backend: "inotify", backendReason: "", argv: [], startNanoseconds: 0, host: "",
                    recorderPID: 0)))
        writer.append(.event(JournalEvent(.create, try #require(RelativePath("a")))))
        try writer.finish()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // Cut inside the last frame: the reader must stop there and read what came before.
        bytes = bytes.dropLast(3)
        try bytes.write(to: URL(fileURLWithPath: path))
        let reader = try JournalReader(path: Array(path.utf8))
        var count = 0
        while try reader.next() != nil { count += 1 }
        #expect(count == 2)
        guard case .incomplete = reader.ending else {
            Issue.record("expected an incomplete ending, got \(String(describing: reader.ending))")
            return
        }
    }
}
