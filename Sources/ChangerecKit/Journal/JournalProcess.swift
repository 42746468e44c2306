/// A process that made changes, written once, before its first event: its pid, its name, and whether
/// it belongs to the recorded step (the command and its descendants) or is foreign.
public struct JournalProcess: Sendable, Equatable {
    public var pid: Int32
    public var name: String
    public var isStep: Bool

    public init(pid: Int32, name: String, isStep: Bool) {
        self.pid = pid
        self.name = name
        self.isStep = isStep
    }

    func encode(into writer: inout ByteWriter) {
        writer.i32(pid)
        writer.string(name)
        writer.u8(isStep ? 1 : 0)
    }

    static func decode(_ reader: inout ByteReader) throws(DecodeError) -> JournalProcess {
        let pid = try reader.i32()
        let name = try reader.string()
        switch try reader.u8() {
        case 0: return JournalProcess(pid: pid, name: name, isStep: false)
        case 1: return JournalProcess(pid: pid, name: name, isStep: true)
        default: throw DecodeError(reason: "bad step flag")
        }
    }
}
