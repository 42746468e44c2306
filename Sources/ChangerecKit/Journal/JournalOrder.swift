/// The order rules of `docs/journal-format.md`, checked frame by frame as a journal is read.
///
/// A frame can be whole, carry a correct checksum and decode, and still be one the writer could never
/// have written where it stands: two event frames swapped, a process record after its first event, a
/// seal entry out of tree order. Such a journal is damaged, not complete. The checks keep only what they
/// need to look back: a few counters, the pids announced so far and the seal entries that are ancestors
/// of the last one (as deep as a path, never as long as the seal).
struct JournalOrder {
    /// Why a frame breaks the order, for the damage message.
    struct Violation: Error {
        var reason: String
    }

    private enum Stage { case start, events, exited, sealed, ended }

    private var stage = Stage.start
    private var nextSequence: UInt64 = 1
    /// The time of the last event or note: the writer stamps them from a monotonic clock.
    private var lastTime: UInt64 = 0
    private var announced: Set<Int32> = []
    private var sealCount: UInt64 = 0
    private var lastSeal: RelativePath?
    /// The seal entries that are ancestors of the last one, outermost first.
    private var sealChain: [RelativePath] = []

    /// Whether the header has been read.
    var hasHeader: Bool { stage != .start }

    /// Checks `record`, the frame after `framesBefore` others, and takes it into account.
    mutating func admit(_ record: JournalRecord, framesBefore: Int) throws(Violation) {
        // Switched on the record alone, the stage checked in each case: a switch over the pair would copy
        // the record into a tuple for every frame read.
        switch record {
        case .header(let header) where stage == .start:
            try Self.check(root: header.root)
            stage = .events
        case .event(let event) where stage == .events:
            try admit(event)
        case .note(let note) where stage == .events:
            try advanceTime(to: note.time, "note")
        case .process(let process) where stage == .events:
            guard process.pid != 0 else { throw Violation(reason: "process record for pid 0") }
            guard announced.insert(process.pid).inserted else {
                throw Violation(reason: "second process record for pid \(process.pid)")
            }
        case .exit(let exit) where stage == .events:
            guard exit.writtenEvents == nextSequence - 1 else {
                throw Violation(
                    reason: "exit record counts \(exit.writtenEvents) written events, \(nextSequence - 1) were read")
            }
            stage = .exited
        case .seal(let entry) where stage == .exited || stage == .sealed:
            try admit(entry)
            stage = .sealed
            sealCount += 1
        case .sealEnd(let end) where stage == .exited || stage == .sealed:
            guard end.sealCount == sealCount, end.frameCount == UInt64(framesBefore) else {
                throw Violation(reason: "seal end counts do not match")
            }
            stage = .ended
        default:
            throw Violation(reason: "\(Self.name(of: record)) frame out of order")
        }
    }

    private mutating func admit(_ event: JournalEvent) throws(Violation) {
        guard event.sequence == nextSequence else {
            throw Violation(reason: "event sequence \(event.sequence) where \(nextSequence) was expected")
        }
        try advanceTime(to: event.time, "event")
        // The recorder writes a process record before the first event of each process it names.
        if event.pid != 0 && !announced.contains(event.pid) {
            throw Violation(reason: "event by pid \(event.pid) before its process record")
        }
        nextSequence += 1
    }

    private mutating func advanceTime(to time: UInt64, _ what: String) throws(Violation) {
        guard time >= lastTime else {
            throw Violation(reason: "\(what) time \(time) ns before the \(lastTime) ns of the frame before it")
        }
        lastTime = time
    }

    /// Seal entries come in strict tree order, and each one's parent directory (ROOT aside) has an entry
    /// before it: in tree order the nearest entry above it on the chain of ancestors.
    private mutating func admit(_ entry: SealEntry) throws(Violation) {
        let path = entry.path
        if let last = lastSeal {
            if last == path { throw Violation(reason: "seal names \(Self.shown(path)) twice") }
            guard RelativePath.treeOrder(last, path) else {
                throw Violation(reason: "seal entry \(Self.shown(path)) out of tree order, after \(Self.shown(last))")
            }
        }
        while let top = sealChain.last, !path.isWithin(top) { sealChain.removeLast() }
        // Every path left on the chain holds this one, so the top is its parent exactly when it is as long as
        // the part before the last `/`: compared by length, no parent path is built for each entry.
        if let slash = path.bytes.lastIndex(of: 0x2F), sealChain.last?.bytes.count != slash {
            throw Violation(reason: "seal entry \(Self.shown(path)) without an entry for its parent directory")
        }
        sealChain.append(path)
        lastSeal = path
    }

    /// The header's ROOT is absolute and canonical: `/`, or `/`-separated names with no empty, `.` or
    /// `..` component and no NUL, as `realpath` gives it.
    private static func check(root: [UInt8]) throws(Violation) {
        guard root.first == 0x2F, root == [0x2F] || RelativePath(Array(root.dropFirst())) != nil else {
            throw Violation(
                reason: "ROOT '\(RelativePath.escaped(Array(root.prefix(256))))' is not absolute and canonical")
        }
    }

    private static func name(of record: JournalRecord) -> String {
        switch record {
        case .header: "header"
        case .event: "event"
        case .note: "note"
        case .exit: "exit"
        case .seal: "seal"
        case .sealEnd: "seal-end"
        case .process: "process"
        }
    }

    /// A path for a message: escaped, and cut short when a hostile journal makes it very long.
    static func shown(_ path: RelativePath) -> String {
        guard path.bytes.count > 256 else { return path.description }
        return RelativePath(trusted: Array(path.bytes.prefix(256))).description + "…"
    }
}
