/// Frames rebuilt with a valid checksum around contents the writer never writes: each one must be
/// damage at exactly that frame's offset.
extension JournalMutator {
    /// Paths a `path` field must never hold.
    static let hostilePaths: [[UInt8]] =
        [
            "..", "../x", "/abs", "/", "a//b", "a/", ".", "./a", "d/../..", "x/./y", "//",
        ].map { Array($0.utf8) } + [[0x61, 0x00, 0x62], [0x2F, 0x2F, 0x2E, 0x2E]]

    func hostile(_ g: inout SeededGenerator) -> JournalMutation {
        let index = Int.random(in: 0..<count, using: &g)
        let frame = frames.frames[index]
        var payload: [UInt8]?
        var what = ""
        switch frame.kind {
        case SpecKind.header: (payload, what) = hostileHeader(frame.payload, &g)
        case SpecKind.event: (payload, what) = hostileEvent(frame.payload, before: index, &g)
        case SpecKind.note: (payload, what) = hostileNote(frame.payload, before: index, &g)
        case SpecKind.process: (payload, what) = hostileProcess(frame.payload, before: index, &g)
        case SpecKind.exit: (payload, what) = hostileExit(frame.payload, &g)
        case SpecKind.seal: (payload, what) = hostileSeal(frame.payload, before: index, &g)
        case SpecKind.sealEnd: (payload, what) = hostileSealEnd(frame.payload, &g)
        default: break
        }
        guard let payload else { return bitFlips(&g) }
        var copy = frames
        copy.frames[index].payload = payload
        return JournalMutation(
            description: "frame \(index) (byte \(offsets[index])) rebuilt with \(what)", bytes: copy.bytes,
            expectation: .damagedAt(offsets[index]))
    }

    private func pick<T>(_ choices: [T], _ g: inout SeededGenerator) -> T {
        choices[Int.random(in: 0..<choices.count, using: &g)]
    }

    private func hostilePath(_ g: inout SeededGenerator) -> [UInt8] { pick(Self.hostilePaths, &g) }

    private static func shown(_ bytes: [UInt8]) -> String {
        bytes.map { (0x21...0x7E).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
    }

    /// The last event or note time before frame `index`, the pids announced before it, the last seal path.
    private func context(before index: Int) -> (time: UInt64, pids: [Int32], seal: [UInt8]?) {
        var time: UInt64 = 0
        var pids: [Int32] = []
        var seal: [UInt8]?
        for frame in frames.frames[..<index] {
            switch frame.kind {
            case SpecKind.event: time = SpecEvent(payload: frame.payload)?.time ?? time
            case SpecKind.note: time = SpecNote(payload: frame.payload)?.time ?? time
            case SpecKind.process: if let pid = SpecProcess(payload: frame.payload)?.pid { pids.append(pid) }
            case SpecKind.seal: seal = SpecSeal(payload: frame.payload)?.path ?? seal
            default: break
            }
        }
        return (time, pids, seal)
    }

    private func hostileHeader(_ payload: [UInt8], _ g: inout SeededGenerator) -> ([UInt8]?, String) {
        guard var header = SpecHeaderPrefix(payload: payload) else { return (nil, "") }
        if Bool.random(using: &g) {
            header.version = pick([0, 2, 0xFFFF], &g)
            return (header.payload, "format version \(header.version)")
        }
        header.root = pick(
            [
                [], Array("relative".utf8), Array("/a/../b".utf8), Array("/a/".utf8), Array("//".utf8),
                [0x2F, 0x61, 0x00],
            ], &g)
        return (header.payload, "ROOT '\(Self.shown(header.root))'")
    }

    private func hostileEvent(_ payload: [UInt8], before index: Int, _ g: inout SeededGenerator) -> ([UInt8]?, String) {
        guard var event = SpecEvent(payload: payload) else { return (nil, "") }
        let context = context(before: index)
        switch Int.random(in: 0..<8, using: &g) {
        case 0:
            event.path = hostilePath(&g)
            return (event.payload, "event path '\(Self.shown(event.path))'")
        case 1:
            event.path2 = hostilePath(&g)
            return (event.payload, "event new path '\(Self.shown(event.path2 ?? []))'")
        case 2:
            event.operation = pick([0, 9, 200, 255], &g)
            return (event.payload, "operation \(event.operation)")
        case 3:
            event.flags |= UInt8(1) << UInt8.random(in: 3..<8, using: &g)
            return (event.payload, "event flags \(event.flags)")
        case 4:
            event.sequence = pick([event.sequence &+ 1, event.sequence &- 1, 0, .max], &g)
            return (event.payload, "sequence \(event.sequence)")
        case 5:
            guard context.time > 0 else { return (nil, "") }
            event.time = context.time - 1
            return (event.payload, "time \(event.time), before the frame before it")
        case 6:
            event.pid = pick([0x7FFF_FFF0, -5], &g)
            return (event.payload, "pid \(event.pid), never announced")
        default:
            // The path's length field says more than the payload holds.
            var bytes = event.payload
            let length = pick([UInt32.max, UInt32(bytes.count), 0x0100_0000], &g)
            for shift in 0..<4 { bytes[22 + shift] = UInt8(truncatingIfNeeded: length >> (8 * shift)) }
            return (bytes, "path length \(length)")
        }
    }

    private func hostileNote(_ payload: [UInt8], before index: Int, _ g: inout SeededGenerator) -> ([UInt8]?, String) {
        guard var note = SpecNote(payload: payload) else { return (nil, "") }
        switch Int.random(in: 0..<4, using: &g) {
        case 0:
            note.path = hostilePath(&g)
            return (note.payload, "note path '\(Self.shown(note.path ?? []))'")
        case 1:
            note.kind = pick([0, 9, 255], &g)
            return (note.payload, "note kind \(note.kind)")
        case 2:
            let time = context(before: index).time
            guard time > 0 else { return (nil, "") }
            note.time = time - 1
            return (note.payload, "note time \(note.time), before the frame before it")
        default:
            var bytes = note.payload
            bytes[9] = pick([2, 0x80, 0xFF], &g)
            return (bytes, "note path marker \(bytes[9])")
        }
    }

    private func hostileProcess(_ payload: [UInt8], before index: Int, _ g: inout SeededGenerator) -> ([UInt8]?, String)
    {
        guard var process = SpecProcess(payload: payload) else { return (nil, "") }
        switch Int.random(in: 0..<3, using: &g) {
        case 0:
            process.pid = 0
            return (process.payload, "process pid 0")
        case 1:
            guard let earlier = context(before: index).pids.last else { return (nil, "") }
            process.pid = earlier
            return (process.payload, "process pid \(earlier), announced before")
        default:
            process.step = pick([2, 0x80, 0xFF], &g)
            return (process.payload, "step flag \(process.step)")
        }
    }

    private func hostileExit(_ payload: [UInt8], _ g: inout SeededGenerator) -> ([UInt8]?, String) {
        guard var exit = SpecExit(payload: payload) else { return (nil, "") }
        switch Int.random(in: 0..<4, using: &g) {
        case 0:
            exit.how = pick([2, 3, 0xFF], &g)
            return (exit.payload, "termination \(exit.how)")
        case 1:
            exit.flags |= UInt8(1) << UInt8.random(in: 2..<8, using: &g)
            return (exit.payload, "exit flags \(exit.flags)")
        case 2:
            exit.writtenEvents = pick([exit.writtenEvents &+ 1, exit.writtenEvents &- 1, .max], &g)
            return (exit.payload, "written events \(exit.writtenEvents)")
        default:
            exit.stragglerCount = pick([.max, exit.stragglerCount + 1, 0x0100_0000], &g)
            return (exit.payload, "straggler count \(exit.stragglerCount)")
        }
    }

    private func hostileSeal(_ payload: [UInt8], before index: Int, _ g: inout SeededGenerator) -> ([UInt8]?, String) {
        guard var seal = SpecSeal(payload: payload) else { return (nil, "") }
        let previous = context(before: index).seal
        switch Int.random(in: 0..<9, using: &g) {
        case 0:
            seal.path = hostilePath(&g)
            return (seal.payload, "seal path '\(Self.shown(seal.path))'")
        case 1:
            guard let previous else { return (nil, "") }
            seal.path = previous
            return (seal.payload, "the previous seal path again")
        case 2:
            // Below a name no entry seals, yet after the previous entry in tree order.
            seal.path = (previous.map { $0 + [0x2F] } ?? []) + [0x01, 0x2F, 0x01]
            return (seal.payload, "seal path '\(Self.shown(seal.path))' without its parent")
        case 3:
            seal.before = pick([8, 9, 0xFF], &g)
            return (seal.payload, "before type \(seal.before)")
        case 4:
            guard seal.after != nil else { return (nil, "") }
            seal.after?.type = pick([8, 0x7F, 0xFF], &g)
            return (seal.payload, "after type \(seal.after?.type ?? 0)")
        case 5:
            guard seal.after != nil else { return (nil, "") }
            seal.after?.mode = pick([0o10000, 0o177777, .max], &g)
            let nanoseconds = seal.after?.mtimeNanoseconds ?? 0
            seal.after?.mtimeNanoseconds = pick([nanoseconds, 1_000_000_000, .max], &g)
            return (seal.payload, "mode \(seal.after?.mode ?? 0), nanoseconds \(seal.after?.mtimeNanoseconds ?? 0)")
        case 6:
            guard seal.after != nil else { return (nil, "") }
            seal.after?.size = pick([UInt64(Int64.max) + 1, .max], &g)
            return (seal.payload, "size \(seal.after?.size ?? 0)")
        case 7:
            guard let after = seal.after else { return (nil, "") }
            if after.type == 3 {
                seal.after?.content = Array(repeating: 0xCC, count: 32)
                return (seal.payload, "a content digest on a symlink")
            }
            seal.after?.target = Array("../../etc/passwd".utf8)
            return (seal.payload, "a symlink target on type \(after.type)")
        default:
            // The target's optional marker, right after the fixed fields, is neither 0 nor 1.
            guard seal.after != nil else { return (nil, "") }
            var bytes = seal.payload
            bytes[4 + seal.path.count + 2 + 56] = pick([2, 0xFF], &g)
            return (bytes, "a bad optional marker")
        }
    }

    private func hostileSealEnd(_ payload: [UInt8], _ g: inout SeededGenerator) -> ([UInt8]?, String) {
        guard var end = SpecSealEnd(payload: payload) else { return (nil, "") }
        if Bool.random(using: &g) {
            end.sealCount = pick([end.sealCount &+ 1, end.sealCount &- 1, .max], &g)
        } else {
            end.frameCount = pick([end.frameCount &+ 1, end.frameCount &- 1, 0], &g)
        }
        return (end.payload, "seal end counts \(end.sealCount), \(end.frameCount)")
    }
}
