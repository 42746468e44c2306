import ChangerecKit
import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// What a hostile journal must not make the reader do: allocate by a length it has not checked, or
/// spend time on bytes that are not there.
@Suite("journal limits: no allocation by an unchecked length, no hang on a sparse file")
struct JournalLimitsTests {
    let tree: TemporaryTree

    init() throws { tree = try TemporaryTree(tmpfs: false) }

    func sample() throws -> JournalFrames {
        let bytes = try SampleJournals.write(SampleJournals.everyKind(), to: tree.base + "/sample.journal")
        return try #require(JournalFrames(parsing: bytes))
    }

    @Test("length and count fields larger than the frame are damage, not allocations")
    func hugeLengths() throws {
        var path = try sample()
        // The event's path length (after sequence, time, operation, flags, pid) says 4 GiB.
        for offset in 22..<26 { path.frames[2].payload[offset] = 0xFF }
        let (pathOutcome, _) = try JournalOutcome.read(path.bytes, at: tree.base + "/path.journal")
        #expect(pathOutcome == .damaged(offset: path.offset(of: 2), reason: "payload too short", records: 2))
        var stragglers = try sample()
        var exit = try #require(SpecExit(payload: stragglers.frames[11].payload))
        exit.stragglerCount = .max
        stragglers.frames[11].payload = exit.payload
        let (exitOutcome, _) = try JournalOutcome.read(stragglers.bytes, at: tree.base + "/exit.journal")
        #expect(exitOutcome == .damaged(offset: stragglers.offset(of: 11), reason: "payload too short", records: 11))
    }

    @Test("a journal cut short and then grown sparse to 1 GiB reads as incomplete without reading its holes")
    func sparseZeroTail() throws {
        let frames = try sample()
        let path = tree.base + "/sparse.journal"
        let cut = frames.offset(of: 5)
        try Data(frames.bytes[..<cut]).write(to: URL(fileURLWithPath: path))
        #expect(truncate(path, 1 << 30) == 0, "truncate: errno \(errno)")
        let start = monotonicNanoseconds()
        let (outcome, _) = JournalOutcome.read(path)
        let took = monotonicNanoseconds() - start
        #expect(outcome == .incomplete(offset: Int64(cut), reason: "zero-filled tail", records: 5))
        // Reading 1 GiB of zeros a megabyte at a time takes a minute; skipping the hole, milliseconds.
        #expect(took < 3_000_000_000, "took \(took / 1_000_000) ms")
    }
}
