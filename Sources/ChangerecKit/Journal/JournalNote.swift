/// Something the recorder must not keep silent: an overflow, a gap, a directory it could not watch.
public struct JournalNote: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case queueOverflow = 1
        case rescanDone = 2
        case unreadableDirectory = 3
        case watchLimit = 4
        case rootMovedOrDeleted = 5
        case unwatchedDirectory = 6
        case handleResolved = 7
        case attributionIncomplete = 8

        public var name: String {
            switch self {
            case .queueOverflow: "queue-overflow"
            case .rescanDone: "rescan"
            case .unreadableDirectory: "unreadable-directory"
            case .watchLimit: "watch-limit"
            case .rootMovedOrDeleted: "root-moved-or-deleted"
            case .unwatchedDirectory: "unwatched-directory"
            case .handleResolved: "handle-resolved"
            case .attributionIncomplete: "attribution-incomplete"

            }
        }
    }

    public var time: UInt64 = 0
    public var kind: Kind
    public var path: RelativePath?
    public var message: String

    public init(_ kind: Kind, path: RelativePath? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    func encode(into writer: inout ByteWriter) {
        writer.u64(time)
        writer.u8(kind.rawValue)
        writer.optional(path) { $0.path($1) }
        writer.string(message)
    }

    static func decode(_ reader: inout ByteReader) throws(DecodeError) -> JournalNote {
        let time = try reader.u64()
        guard let kind = Kind(rawValue: try reader.u8()) else { throw DecodeError(reason: "unknown note kind") }
        let path = try reader.optional { (r: inout ByteReader) throws(DecodeError) in try r.path() }
        var note = JournalNote(kind, path: path, try reader.string())
        note.time = time
        return note
    }
}
