import ChangerecSystem

/// How the recorded command ended, and what the recorder saw on the way.
public struct JournalExit: Sendable, Equatable {
    public struct Straggler: Sendable, Equatable, Hashable {
        public var pid: Int32
        public var name: String
        public init(pid: Int32, name: String) {
            self.pid = pid
            self.name = name
        }
    }

    /// Nanoseconds since the journal's start.
    public var time: UInt64
    public var termination: Termination
    public var kernelEvents: UInt64
    public var writtenEvents: UInt64
    public var overflowed: Bool
    public var waited: Bool
    /// Descendants still running when the command ended: their later changes were not recorded.
    public var stragglers: [Straggler]

    public init(
        time: UInt64, termination: Termination, kernelEvents: UInt64, writtenEvents: UInt64, overflowed: Bool,
        waited: Bool, stragglers: [Straggler]
    ) {
        self.time = time
        self.termination = termination
        self.kernelEvents = kernelEvents
        self.writtenEvents = writtenEvents
        self.overflowed = overflowed
        self.waited = waited
        self.stragglers = stragglers
    }

    func encode(into writer: inout ByteWriter) {
        writer.u64(time)
        switch termination {
        case .exited(let code):
            writer.u8(0)
            writer.i32(code)
        case .signaled(let signal):
            writer.u8(1)
            writer.i32(signal)
        }
        writer.u64(kernelEvents)
        writer.u64(writtenEvents)
        var flags: UInt8 = 0
        if overflowed { flags |= JournalFormat.ExitFlag.overflowed }
        if waited { flags |= JournalFormat.ExitFlag.waited }
        writer.u8(flags)
        writer.u32(UInt32(stragglers.count))
        for straggler in stragglers {
            writer.i32(straggler.pid)
            writer.string(straggler.name)
        }
    }

    static func decode(_ reader: inout ByteReader) throws(DecodeError) -> JournalExit {
        let time = try reader.u64()
        let how = try reader.u8()
        let code = try reader.i32()
        let termination: Termination
        switch how {
        case 0: termination = .exited(code)
        case 1: termination = .signaled(code)
        default: throw DecodeError(reason: "unknown termination")
        }
        let kernelEvents = try reader.u64()
        let writtenEvents = try reader.u64()
        let flags = try reader.u8()
        guard flags & ~(JournalFormat.ExitFlag.overflowed | JournalFormat.ExitFlag.waited) == 0 else {
            throw DecodeError(reason: "unknown exit flags \(flags)")
        }
        let count = try reader.u32()
        var stragglers: [Straggler] = []
        for _ in 0..<count { stragglers.append(Straggler(pid: try reader.i32(), name: try reader.string())) }
        return JournalExit(
            time: time, termination: termination, kernelEvents: kernelEvents, writtenEvents: writtenEvents,
            overflowed: flags & JournalFormat.ExitFlag.overflowed != 0,
            waited: flags & JournalFormat.ExitFlag.waited != 0,
            stragglers: stragglers)
    }
}
