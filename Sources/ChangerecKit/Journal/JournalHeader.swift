import ChangerecSystem

/// What was recorded, where, and how: the first frame of every journal.
public struct JournalHeader: Sendable, Equatable {
    public var version: UInt16 = JournalFormat.version
    /// The absolute, canonical ROOT.
    public var root: [UInt8]
    public var backend: String
    public var backendReason: String
    public var argv: [[UInt8]]
    /// Nanoseconds since the Unix epoch.
    public var startNanoseconds: Int64
    public var host: String
    public var recorderPID: Int32

    public init(
        root: [UInt8], backend: String, backendReason: String, argv: [[UInt8]], startNanoseconds: Int64,
        host: String, recorderPID: Int32
    ) {
        self.root = root
        self.backend = backend
        self.backendReason = backendReason
        self.argv = argv
        self.startNanoseconds = startNanoseconds
        self.host = host
        self.recorderPID = recorderPID
    }

    func encode(into writer: inout ByteWriter) {
        writer.u16(version)
        writer.data(root)
        writer.string(backend)
        writer.string(backendReason)
        writer.u32(UInt32(argv.count))
        for argument in argv { writer.data(argument) }
        writer.i64(startNanoseconds)
        writer.string(host)
        writer.i32(recorderPID)
    }

    static func decode(_ reader: inout ByteReader) throws(DecodeError) -> JournalHeader {
        let version = try reader.u16()
        guard version == JournalFormat.version else {
            throw DecodeError(reason: "unsupported format version \(version)")
        }
        let root = try reader.data()
        let backend = try reader.string()
        let reason = try reader.string()
        let count = try reader.u32()
        var argv: [[UInt8]] = []
        for _ in 0..<count { argv.append(try reader.data()) }
        var header = JournalHeader(
            root: root, backend: backend, backendReason: reason, argv: argv, startNanoseconds: try reader.i64(),
            host: try reader.string(), recorderPID: try reader.i32())
        header.version = version
        return header
    }
}
