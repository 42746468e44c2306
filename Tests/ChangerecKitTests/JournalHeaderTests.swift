import ChangerecKit
import ChangerecSystem
import ChangerecTestSupport
import Foundation
import Glibc
import Testing

@Suite("journal header: ROOT's identity")
struct JournalHeaderTests {
    func roundTrip(_ header: JournalHeader) throws -> JournalHeader? {
        let tree = try TemporaryTree(tmpfs: false)
        let path = Array((tree.base + "/header.journal").utf8)
        let fd = try FileSystem.open(path, .writeOnly, options: [.create, .truncate])
        let writer = JournalWriter(descriptor: fd, path: path)
        writer.append(.header(header))
        try writer.finish()
        let reader = try JournalReader(path: path)
        guard case .header(let read)? = try reader.next() else { return nil }
        return read
    }

    @Test("ROOT's device and inode survive a write and a read, and a header without them still reads")
    func identityRoundTrip() throws {
        var header = JournalHeader(
            root: [0x2F], backend: "inotify", backendReason: "", argv: [[0x73, 0x68]], startNanoseconds: 1, host: "h",
            recorderPID: 2)
        #expect(try roundTrip(header) == header)
        #expect(try roundTrip(header)?.rootIdentity == nil)
        // glibc's makedev(4097, 1048577): the major and minor numbers are each split in two.
        let (major, minor): (UInt64, UInt64) = (4097, 1_048_577)
        let device = (minor & 0xFF) | ((major & 0xFFF) << 8) | ((minor & ~0xFF) << 12) | ((major & ~0xFFF) << 32)
        header.rootIdentity = JournalHeader.RootIdentity(device: device, inode: UInt64.max)
        #expect(try roundTrip(header)?.rootIdentity == header.rootIdentity)
        #expect(header.rootIdentity?.description == "device 4097:1048577, inode \(UInt64.max)")
    }
}
