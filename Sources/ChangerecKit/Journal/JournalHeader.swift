import ChangerecSystem

/// What was recorded, where, and how: the first frame of every journal.
public struct JournalHeader: Sendable, Equatable {
    /// Which directory ROOT was when the step was recorded: its device and inode numbers (`st_dev`,
    /// `st_ino`), so that `layer` can refuse a ROOT that has been replaced since (by another directory,
    /// or by a symbolic link to one) instead of reading a tree the journal does not describe.
    public struct RootIdentity: Sendable, Hashable, CustomStringConvertible {
        public var device: UInt64
        public var inode: UInt64

        public init(device: UInt64, inode: UInt64) {
            self.device = device
            self.inode = inode
        }

        /// `device 8:1, inode 1234`, the device as `major:minor` as `ls -l` and mountinfo show it.
        public var description: String {
            // glibc's gnu_dev_major / gnu_dev_minor: each number is split in two parts of the 64 bits.
            let major = (device & 0x0000_0000_000F_FF00) >> 8 | (device & 0xFFFF_F000_0000_0000) >> 32
            let minor = device & 0xFF | (device & 0x0000_0FFF_FFF0_0000) >> 12
            return "device \(major):\(minor), inode \(inode)"
        }
    }

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
    /// ROOT's device and inode at recording; `nil` in journals written before the field existed.
    public var rootIdentity: RootIdentity?

    public init(
        root: [UInt8], backend: String, backendReason: String, argv: [[UInt8]], startNanoseconds: Int64,
        host: String, recorderPID: Int32, rootIdentity: RootIdentity? = nil
    ) {
        self.root = root
        self.backend = backend
        self.backendReason = backendReason
        self.argv = argv
        self.startNanoseconds = startNanoseconds
        self.host = host
        self.recorderPID = recorderPID
        self.rootIdentity = rootIdentity
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
        // A trailing field: a header that ends before it is an older journal's, and still reads.
        if let rootIdentity {
            writer.u64(rootIdentity.device)
            writer.u64(rootIdentity.inode)
        }
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
        if !reader.isAtEnd {
            header.rootIdentity = RootIdentity(device: try reader.u64(), inode: try reader.u64())
        }
        return header
    }
}
