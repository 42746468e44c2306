/// SplitMix64: a seeded generator whose numbers are the same on every machine, so a fuzz case replays
/// exactly from its seed and number.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The generator of case `index` of a run seeded with `seed`: each case replays on its own.
    public init(seed: UInt64, case index: Int) {
        state = seed ^ (UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15)
        _ = next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A mutated journal, what was done to it, and what a reader must make of it.
public struct JournalMutation: Sendable, CustomStringConvertible {
    public enum Expectation: Sendable, Equatable {
        /// Anything but a trap or a malformed message: the change may be one the spec allows.
        case any
        /// Not read as whole.
        case notComplete
        /// Damage reported at exactly this byte offset.
        case damagedAt(Int)
        /// Cut short exactly here.
        case incompleteAt(Int)
        /// Refused as not a journal.
        case refused
    }

    public var description: String
    public var bytes: [UInt8]
    public var expectation: Expectation
}

/// Makes mutated journals from a real one: bit flips, cuts at every frame boundary, zero tails,
/// duplicated, dropped, swapped, moved and spliced frames, huge length fields, and frames rebuilt with
/// a valid checksum around hostile contents (paths with `..`, absolute or empty components, impossible
/// kinds, types, sizes and counts, order the writer never produces).
public struct JournalMutator: Sendable {
    public let name: String
    public let original: [UInt8]
    public let frames: JournalFrames
    let offsets: [Int]

    /// `journal` must be the magic and whole frames (complete, or a prefix of one).
    public init?(name: String, journal: [UInt8]) {
        guard let frames = JournalFrames(parsing: journal), !frames.frames.isEmpty else { return nil }
        self.name = name
        original = journal
        self.frames = frames
        offsets = (0...frames.frames.count).map(frames.offset(of:))
    }

    var count: Int { frames.frames.count }
    var kinds: [UInt8] { frames.frames.map(\.kind) }

    public func mutation(_ g: inout SeededGenerator, donors: [JournalMutator]) -> JournalMutation {
        switch Int.random(in: 0..<100, using: &g) {
        case 0..<14: return bitFlips(&g)
        case 14..<24: return truncation(&g)
        case 24..<30: return zeroTail(&g)
        case 30..<36: return duplicate(&g)
        case 36..<41: return removal(&g)
        case 41..<49: return swap(&g)
        case 49..<53: return move(&g)
        case 53..<59: return splice(&g, donors: donors)
        case 59..<65: return hugeLength(&g)
        case 65..<69: return frameShape(&g)
        default: return hostile(&g)
        }
    }

    private func with(_ frames: JournalFrames, _ description: String, _ expectation: JournalMutation.Expectation)
        -> JournalMutation
    {
        JournalMutation(description: description, bytes: frames.bytes, expectation: expectation)
    }

    // MARK: - Bytes

    func bitFlips(_ g: inout SeededGenerator) -> JournalMutation {
        var bytes = original
        var flipped: [Int: UInt8] = [:]
        for _ in 0..<Int.random(in: 1...4, using: &g) {
            // Mostly in the frames; now and then in the magic.
            let position =
                Int.random(in: 0..<100, using: &g) < 3
                ? Int.random(in: 0..<8, using: &g) : Int.random(in: 8..<bytes.count, using: &g)
            if flipped[position] == nil { flipped[position] = UInt8(1) << UInt8.random(in: 0..<8, using: &g) }
        }
        for (position, mask) in flipped { bytes[position] ^= mask }
        let list = flipped.keys.sorted().map { "byte \($0) ^ 0x\(String(flipped[$0] ?? 0, radix: 16))" }
        let expectation: JournalMutation.Expectation = flipped.keys.contains { $0 < 8 } ? .refused : .notComplete
        return JournalMutation(
            description: "flip " + list.joined(separator: ", "), bytes: bytes, expectation: expectation)
    }

    private func truncation(_ g: inout SeededGenerator) -> JournalMutation {
        if Bool.random(using: &g) {
            let index = Int.random(in: 0..<count, using: &g)
            return JournalMutation(
                description: "cut at the start of frame \(index) (byte \(offsets[index]))",
                bytes: Array(original[..<offsets[index]]), expectation: .incompleteAt(offsets[index]))
        }
        let cut = Int.random(in: 0..<original.count, using: &g)
        let expectation: JournalMutation.Expectation = cut < 8 ? .refused : .notComplete
        return JournalMutation(
            description: "cut at byte \(cut)", bytes: Array(original[..<cut]), expectation: expectation)
    }

    private func zeroTail(_ g: inout SeededGenerator) -> JournalMutation {
        let index = Int.random(in: 0...count, using: &g)
        let zeros = Int.random(in: 1...(2 * (original.count - offsets[index]) + 64), using: &g)
        let bytes = Array(original[..<offsets[index]]) + [UInt8](repeating: 0, count: zeros)
        // After a seal end, zeros are data where none may be; before it, a torn tail.
        let sealed = kinds.last == SpecKind.sealEnd
        let expectation: JournalMutation.Expectation =
            index == count && sealed ? .notComplete : .incompleteAt(offsets[index])
        return JournalMutation(
            description: "\(zeros) zero bytes from frame \(index) (byte \(offsets[index]))", bytes: bytes,
            expectation: expectation)
    }

    private func hugeLength(_ g: inout SeededGenerator) -> JournalMutation {
        let index = Int.random(in: 0..<count, using: &g)
        let remaining = original.count - offsets[index]
        let choices: [UInt32] = [
            .max, 0x0100_0001, 0x8000_0000, 0x00FF_FFFF, UInt32(remaining),
            UInt32(frames.frames[index].payload.count + 1),
            UInt32.random(in: 0...UInt32.max, using: &g),
        ]
        let length = choices[Int.random(in: 0..<choices.count, using: &g)]
        var bytes = original
        for shift in 0..<4 { bytes[offsets[index] + shift] = UInt8(truncatingIfNeeded: length >> (8 * shift)) }
        let expectation: JournalMutation.Expectation =
            length == UInt32(frames.frames[index].payload.count) ? .any : .notComplete
        return JournalMutation(
            description: "length of frame \(index) (byte \(offsets[index])) set to \(length)", bytes: bytes,
            expectation: expectation)
    }

    // MARK: - Frames

    private func duplicate(_ g: inout SeededGenerator) -> JournalMutation {
        var copy = frames
        let index = Int.random(in: 0..<count, using: &g)
        let at = Int.random(in: 0...count, using: &g)
        copy.frames.insert(frames.frames[index], at: at)
        return with(copy, "frame \(index) repeated at \(at)", .notComplete)
    }

    private func removal(_ g: inout SeededGenerator) -> JournalMutation {
        var copy = frames
        let index = Int.random(in: 0..<count, using: &g)
        copy.frames.remove(at: index)
        // Without its last frame, an unsealed journal is a cut at a boundary.
        if index == count - 1 { return with(copy, "frame \(index) removed (the last)", .incompleteAt(offsets[index])) }
        return with(copy, "frame \(index) removed", .notComplete)
    }

    private func swap(_ g: inout SeededGenerator) -> JournalMutation {
        guard count >= 2 else { return bitFlips(&g) }
        let i = Int.random(in: 0..<count, using: &g)
        var j = Int.random(in: 0..<(count - 1), using: &g)
        if j >= i { j += 1 }
        let (a, b) = (min(i, j), max(i, j))
        guard frames.frames[a] != frames.frames[b] else { return bitFlips(&g) }
        var copy = frames
        copy.frames.swapAt(a, b)
        return with(copy, "frames \(a) and \(b) swapped", swapBreaksOrder(a, b) ? .notComplete : .any)
    }

    /// Whether swapping frames `a` < `b` must break an order rule (else the spec may allow it).
    private func swapBreaksOrder(_ a: Int, _ b: Int) -> Bool {
        let (x, y) = (frames.frames[a], frames.frames[b])
        let fixed: Set<UInt8> = [SpecKind.header, SpecKind.exit, SpecKind.seal, SpecKind.sealEnd]
        if fixed.contains(x.kind) || fixed.contains(y.kind) || !Set([x.kind, y.kind]).isSubset(of: [2, 3, 7]) {
            return true
        }
        if x.kind == SpecKind.event && y.kind == SpecKind.event { return true }
        // Time-stamped frames with different times: the later time now comes first.
        if let tx = time(x), let ty = time(y) { return tx != ty }
        // A process record moved after an event of its own pid.
        guard x.kind == SpecKind.process && y.kind == SpecKind.event,
            let process = SpecProcess(payload: x.payload), let event = SpecEvent(payload: y.payload)
        else { return false }
        return event.pid == process.pid
    }

    private func time(_ frame: JournalFrame) -> UInt64? {
        switch frame.kind {
        case SpecKind.event: SpecEvent(payload: frame.payload)?.time
        case SpecKind.note: SpecNote(payload: frame.payload)?.time
        default: nil
        }
    }

    private func move(_ g: inout SeededGenerator) -> JournalMutation {
        guard count >= 2 else { return bitFlips(&g) }
        let from = Int.random(in: 0..<count, using: &g)
        var copy = frames
        let frame = copy.frames.remove(at: from)
        let to = Int.random(in: 0..<count, using: &g)
        copy.frames.insert(frame, at: to)
        guard copy.frames != frames.frames else { return bitFlips(&g) }
        let crossed = frames.frames[min(from, to)...max(from, to)].filter { $0.kind == SpecKind.event }.count
        let breaks =
            [SpecKind.header, SpecKind.exit, SpecKind.seal, SpecKind.sealEnd].contains(frame.kind)
            || (frame.kind == SpecKind.event && crossed > 1)
        return with(copy, "frame \(from) moved to \(to)", breaks ? .notComplete : .any)
    }

    private func splice(_ g: inout SeededGenerator, donors: [JournalMutator]) -> JournalMutation {
        let donor = donors.randomElement(using: &g) ?? self
        let taken = Int.random(in: 0..<donor.count, using: &g)
        var copy = frames
        switch Int.random(in: 0..<3, using: &g) {
        case 0:
            let at = Int.random(in: 0...count, using: &g)
            copy.frames.insert(donor.frames.frames[taken], at: at)
            return with(copy, "frame \(taken) of \(donor.name) inserted at \(at)", .notComplete)
        case 1:
            let at = Int.random(in: 0..<count, using: &g)
            copy.frames[at] = donor.frames.frames[taken]
            return with(copy, "frame \(at) replaced by frame \(taken) of \(donor.name)", .any)
        default:
            let keep = Int.random(in: 0...count, using: &g)
            copy.frames = Array(frames.frames[..<keep]) + donor.frames.frames[taken...]
            return with(copy, "frames from \(keep) replaced by frames from \(taken) of \(donor.name)", .any)
        }
    }

    /// Frames whose checksum is right around a kind or a payload length that is wrong.
    private func frameShape(_ g: inout SeededGenerator) -> JournalMutation {
        var copy = frames
        let index = Int.random(in: 0..<count, using: &g)
        // The header may gain optional fields at its end; elsewhere a byte more or less never decodes.
        let exact: JournalMutation.Expectation =
            kinds[index] == SpecKind.header ? .notComplete : .damagedAt(offsets[index])
        switch Int.random(in: 0..<3, using: &g) {
        case 0:
            let kind = [0, 8, 9, 0x7F, 0xFF][Int.random(in: 0..<5, using: &g)] as UInt8
            copy.frames[index].kind = kind
            return with(copy, "frame \(index) re-framed as kind \(kind)", .damagedAt(offsets[index]))
        case 1:
            copy.frames[index].payload.append(UInt8.random(in: 0...255, using: &g))
            return with(copy, "frame \(index) re-framed with a byte more", exact)
        default:
            guard !copy.frames[index].payload.isEmpty else { return bitFlips(&g) }
            copy.frames[index].payload.removeLast()
            return with(copy, "frame \(index) re-framed a byte short", exact)
        }
    }
}
