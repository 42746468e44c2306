/// One change the watcher saw, with the path it had at that moment.
public struct JournalEvent: Sendable, Equatable {
    public enum Operation: UInt8, Sendable, CaseIterable {
        case create = 1
        case delete = 2
        /// Content written (a write, or a close after writing: writes through a shared mmap show as the latter).
        case modify = 3
        /// Mode, owner, times, xattrs or link count.
        case attrib = 4
        /// `path` renamed to `path2`, both below ROOT.
        case rename = 5
        /// Arrived from outside ROOT: the whole subtree is new.
        case moveIn = 6
        /// Left ROOT: the whole subtree is gone from it.
        case moveOut = 7
        /// Possibly changed: a survivor of an overflow rescan, or another name of a hard-linked file.
        case touch = 8

        public var name: String {
            switch self {
            case .create: "create"
            case .delete: "delete"
            case .modify: "modify"
            case .attrib: "attrib"
            case .rename: "rename"
            case .moveIn: "move-in"
            case .moveOut: "move-out"
            case .touch: "touch"
            }
        }
    }

    public var sequence: UInt64 = 0
    /// Nanoseconds since the journal's start.
    public var time: UInt64 = 0
    public var operation: Operation
    public var isDirectory: Bool
    /// Made by a scan of a new directory or a rescan, not read from the kernel.
    public var isSynthesized: Bool = false
    /// Made by a process outside the recorded step (another process writing under ROOT meanwhile).
    public var isForeign: Bool = false
    /// The process behind the change; 0 when the backend cannot tell.
    public var pid: Int32 = 0
    public var path: RelativePath
    public var path2: RelativePath? = nil
    public var symlinkTarget: [UInt8]? = nil

    public init(
        _ operation: Operation, _ path: RelativePath, to path2: RelativePath? = nil, isDirectory: Bool = false,
        isSynthesized: Bool = false, symlinkTarget: [UInt8]? = nil
    ) {
        self.operation = operation
        self.path = path
        self.path2 = path2
        self.isDirectory = isDirectory
        self.isSynthesized = isSynthesized
        self.symlinkTarget = symlinkTarget
    }

    func encode(into writer: inout ByteWriter) {
        var flags: UInt8 = 0
        if isDirectory { flags |= JournalFormat.EventFlag.directory }
        if isSynthesized { flags |= JournalFormat.EventFlag.synthesized }
        if isForeign { flags |= JournalFormat.EventFlag.foreign }
        // Sequence, time, operation, flags, pid and the path's length: the fixed head of every event recorded,
        // laid out on the stack and appended in one go rather than field by field.
        withUnsafeTemporaryAllocation(byteCount: 26, alignment: 8) { head in
            head.storeBytes(of: sequence.littleEndian, toByteOffset: 0, as: UInt64.self)
            head.storeBytes(of: time.littleEndian, toByteOffset: 8, as: UInt64.self)
            head.storeBytes(of: operation.rawValue, toByteOffset: 16, as: UInt8.self)
            head.storeBytes(of: flags, toByteOffset: 17, as: UInt8.self)
            head.storeBytes(of: UInt32(bitPattern: pid).littleEndian, toByteOffset: 18, as: UInt32.self)
            head.storeBytes(of: UInt32(path.bytes.count).littleEndian, toByteOffset: 22, as: UInt32.self)
            writer.bytes.append(contentsOf: UnsafeRawBufferPointer(head))
        }
        writer.fixed(path.bytes)
        writer.optional(path2) { $0.path($1) }
        writer.optional(symlinkTarget) { $0.data($1) }
    }

    static func decode(_ reader: inout ByteReader) throws(DecodeError) -> JournalEvent {
        let sequence = try reader.u64()
        let time = try reader.u64()
        guard let operation = Operation(rawValue: try reader.u8()) else {
            throw DecodeError(reason: "unknown operation")
        }
        let flags = try reader.u8()
        let known =
            JournalFormat.EventFlag.directory | JournalFormat.EventFlag.synthesized
            | JournalFormat.EventFlag.foreign
        guard flags & ~known == 0 else { throw DecodeError(reason: "unknown event flags \(flags)") }
        let pid = try reader.i32()
        let path = try reader.path()
        let path2 = try reader.optional { (r: inout ByteReader) throws(DecodeError) in try r.path() }
        let target = try reader.optional { (r: inout ByteReader) throws(DecodeError) in try r.data() }
        if operation == .rename && path2 == nil { throw DecodeError(reason: "rename without a new path") }
        var event = JournalEvent(
            operation, path, to: path2, isDirectory: flags & JournalFormat.EventFlag.directory != 0,
            isSynthesized: flags & JournalFormat.EventFlag.synthesized != 0, symlinkTarget: target)
        event.sequence = sequence
        event.time = time
        event.pid = pid
        event.isForeign = flags & JournalFormat.EventFlag.foreign != 0

        return event
    }
}
