import ChangerecKit
import ChangerecTestSupport
import Testing

/// Journals whose every frame is whole and correct, but which the writer could never have written:
/// each one is damage at the first frame that breaks the spec, never a complete read.
@Suite("journal order: CRC-valid journals the writer could never produce are damage")
struct JournalOrderTests {
    let tree: TemporaryTree

    init() throws { tree = try TemporaryTree(tmpfs: false) }

    // Frames of the sample: 0 header, 1 process 7, 2-4 events 1-3, 5 note, 6 process 9, 7-10 events 4-7,
    // 11 exit, 12-19 seal (d, d/f, d/l, d/new, d/new/inside, gone, keep, old), 20 seal end.
    func sample() throws -> JournalFrames {
        let bytes = try SampleJournals.write(SampleJournals.everyKind(), to: tree.base + "/sample.journal")
        return try #require(JournalFrames(parsing: bytes))
    }

    /// Reads `frames` and requires damage at frame `index`, with every frame before it intact.
    func damageReason(_ frames: JournalFrames, at index: Int, sourceLocation: SourceLocation = #_sourceLocation)
        throws -> String
    {
        let (outcome, _) = try JournalOutcome.read(frames.bytes, at: tree.base + "/mutated.journal")
        guard case .damaged(let offset, let reason, let records) = outcome else {
            Issue.record("expected damage at frame \(index), got: \(outcome)", sourceLocation: sourceLocation)
            return ""
        }
        #expect(offset == frames.offset(of: index), sourceLocation: sourceLocation)
        #expect(records == index, sourceLocation: sourceLocation)
        return reason
    }

    func rebuilt<T>(
        _ frames: inout JournalFrames, _ index: Int, _ decode: ([UInt8]) -> T?, _ payload: (T) -> [UInt8],
        _ change: (inout T) -> Void
    ) throws {
        var value = try #require(decode(frames.frames[index].payload))
        change(&value)
        frames.frames[index].payload = payload(value)
    }

    @Test("the sample journal written by JournalWriter reads back complete")
    func sampleIsComplete() throws {
        let (outcome, records) = try JournalOutcome.read(try sample().bytes, at: tree.base + "/same.journal")
        #expect(outcome == .complete(records: 21))
        #expect(records.count == 21)
    }

    @Test("swapped event frames (sequence numbers out of order) are damage at the first")
    func swappedEvents() throws {
        var frames = try sample()
        frames.frames.swapAt(3, 4)
        #expect(try damageReason(frames, at: 3) == "event sequence 3 where 2 was expected")
    }

    @Test("a process record after its process's first event is damage at that event")
    func processAfterItsEvent() throws {
        var frames = try sample()
        frames.frames.swapAt(6, 7)
        #expect(try damageReason(frames, at: 6) == "event by pid 9 before its process record")
    }

    @Test("a second process record for one pid is damage")
    func repeatedProcess() throws {
        var frames = try sample()
        frames.frames.insert(frames.frames[1], at: 2)
        #expect(try damageReason(frames, at: 2) == "second process record for pid 7")
    }

    @Test("seal entries out of tree order are damage")
    func sealOutOfOrder() throws {
        var frames = try sample()
        frames.frames.swapAt(13, 14)
        #expect(try damageReason(frames, at: 14) == "seal entry /d/f out of tree order, after /d/l")
        var swapped = try sample()
        swapped.frames.swapAt(17, 18)
        #expect(try damageReason(swapped, at: 18) == "seal entry /gone out of tree order, after /keep")
    }

    @Test("a seal entry sealed twice is damage at the second")
    func sealRepeated() throws {
        var frames = try sample()
        frames.frames.insert(frames.frames[13], at: 14)
        #expect(try damageReason(frames, at: 14) == "seal names /d/f twice")
    }

    @Test("a seal entry whose parent directory has no entry is damage")
    func sealWithoutParent() throws {
        var frames = try sample()
        frames.frames.remove(at: 15)
        #expect(
            try damageReason(frames, at: 15) == "seal entry /d/new/inside without an entry for its parent directory")
    }

    @Test("event and note times that go backwards are damage")
    func timeBackwards() throws {
        var frames = try sample()
        try rebuilt(&frames, 7, SpecEvent.init(payload:), \.payload) { $0.time = 240 }
        #expect(try damageReason(frames, at: 7) == "event time 240 ns before the 250 ns of the frame before it")
        var notes = try sample()
        try rebuilt(&notes, 5, SpecNote.init(payload:), \.payload) { $0.time = 150 }
        #expect(try damageReason(notes, at: 5) == "note time 150 ns before the 200 ns of the frame before it")
    }

    @Test("an exit record whose written-events count disagrees with the events read is damage")
    func exitCountDisagrees() throws {
        var frames = try sample()
        try rebuilt(&frames, 11, SpecExit.init(payload:), \.payload) { $0.writtenEvents = 8 }
        #expect(try damageReason(frames, at: 11) == "exit record counts 8 written events, 7 were read")
    }

    @Test(
        "a header whose ROOT is not absolute and canonical is damage",
        arguments: ["", "srv/root", "/srv/../etc", "/srv/", "/srv//root", "/srv/./root", "/srv/\0root", "//"])
    func headerRoot(_ root: String) throws {
        var frames = try sample()
        try rebuilt(&frames, 0, SpecHeaderPrefix.init(payload:), \.payload) { $0.root = Array(root.utf8) }
        #expect(try damageReason(frames, at: 0).hasSuffix("is not absolute and canonical"))
    }

    enum ImpossibleSeal: String, CaseIterable, Sendable {
        case mode, nanoseconds, size, targetOnFile, digestOnDirectory, unknownAfterType, unknownBeforeType
    }

    @Test("seal values no stat can report are damage", arguments: ImpossibleSeal.allCases)
    func impossibleSeal(_ kind: ImpossibleSeal) throws {
        var frames = try sample()
        // Frame 12 seals the directory /d, frame 13 the regular file /d/f.
        let index = kind == .digestOnDirectory ? 12 : 13
        try rebuilt(&frames, index, SpecSeal.init(payload:), \.payload) { seal in
            switch kind {
            case .mode: seal.after?.mode = 0o10644
            case .nanoseconds: seal.after?.mtimeNanoseconds = 1_000_000_000
            case .size: seal.after?.size = UInt64(Int64.max) + 1
            case .targetOnFile: seal.after?.target = Array("elsewhere".utf8)
            case .digestOnDirectory: seal.after?.content = Array(repeating: 7, count: 32)
            case .unknownAfterType: seal.after?.type = 8
            case .unknownBeforeType: seal.before = 200
            }
        }
        #expect(!(try damageReason(frames, at: index)).isEmpty)
    }

    @Test("unknown event and exit flag bits are damage")
    func unknownFlags() throws {
        var frames = try sample()
        try rebuilt(&frames, 2, SpecEvent.init(payload:), \.payload) { $0.flags |= 0x08 }
        #expect(try damageReason(frames, at: 2) == "unknown event flags 9")
        var exit = try sample()
        try rebuilt(&exit, 11, SpecExit.init(payload:), \.payload) { $0.flags = 0x80 }
        #expect(try damageReason(exit, at: 11) == "unknown exit flags 128")
    }

    @Test(
        "paths with .., absolute, empty or dot components are damage wherever a frame holds one",
        arguments: ["..", "/etc/passwd", "a//b", "d/", ".", "d/../../x", "a\0b"])
    func hostilePaths(_ path: String) throws {
        let bytes = Array(path.utf8)
        // An event's path and new path, a note's path, a seal's path.
        var event = try sample()
        try rebuilt(&event, 2, SpecEvent.init(payload:), \.payload) { $0.path = bytes }
        #expect(try damageReason(event, at: 2) == "path outside ROOT or malformed")
        var renamed = try sample()
        try rebuilt(&renamed, 9, SpecEvent.init(payload:), \.payload) { $0.path2 = bytes }
        #expect(try damageReason(renamed, at: 9) == "path outside ROOT or malformed")
        var note = try sample()
        try rebuilt(&note, 5, SpecNote.init(payload:), \.payload) { $0.path = bytes }
        #expect(try damageReason(note, at: 5) == "path outside ROOT or malformed")
        var seal = try sample()
        try rebuilt(&seal, 13, SpecSeal.init(payload:), \.payload) { $0.path = bytes }
        #expect(try damageReason(seal, at: 13) == "path outside ROOT or malformed")
    }

    @Test("data after the seal end is damage, and its message counts the records handed on, the seal end included")
    func dataAfterSealEnd() throws {
        let frames = try sample()
        // Found by the fuzzer: the message counted 21 intact records where the reader had handed on 20.
        let (outcome, records) = try JournalOutcome.read(
            frames.bytes + [0, 0, 0, 0, 0, 0, 0], at: tree.base + "/trailing.journal")
        #expect(outcome == .damaged(offset: frames.bytes.count, reason: "data after the seal end", records: 21))
        #expect(records.count == 21)
    }
}
