import ChangerecSystem
import struct SystemPackage.Errno

/// The state of one object after the step, as the seal records it.
public struct FinalState: Sendable, Equatable {
    public var type: FileType
    public var permissions: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: UInt64
    public var mtimeSeconds: Int64
    public var mtimeNanoseconds: UInt32
    public var inode: UInt64
    public var linkCount: UInt64
    public var rdev: UInt64
    public var symlinkTarget: [UInt8]?
    /// SHA-256 of a regular file's content.
    public var contentDigest: [UInt8]?
    /// SHA-256 over the sorted xattrs; `nil` when there are none.
    public var xattrDigest: [UInt8]?

    public init(status: FileStatus, symlinkTarget: [UInt8]?, contentDigest: [UInt8]?, xattrDigest: [UInt8]?) {
        type = status.type
        permissions = status.permissions
        uid = status.uid
        gid = status.gid
        size = status.size
        mtimeSeconds = status.mtimeSeconds
        mtimeNanoseconds = status.mtimeNanoseconds
        inode = status.inode
        linkCount = status.linkCount
        rdev = status.rdev
        self.symlinkTarget = symlinkTarget
        self.contentDigest = contentDigest
        self.xattrDigest = xattrDigest
    }
}

/// Why the state of a path after the step could not be read: the error and what was being done.
public struct ReadFailure: Sendable, Equatable, Error {
    public var errno: Errno
    /// What failed, as a verb phrase: `open the directory holding it`, `read its content`.
    public var operation: String
    /// The object's type when its status could still be read (a file whose content could not be).
    public var type: FileType?

    public init(_ errno: Errno, _ operation: String, type: FileType? = nil) {
        self.errno = errno
        self.operation = operation
        self.type = type
    }

    /// `cannot read /PATH after the step (cannot OPERATION: STRERROR): its state is unknown`.
    public func message(for path: RelativePath) -> String {
        "cannot read \(path) after the step (cannot \(operation): \(errno.description)): its state is unknown"
    }
}

/// One path of the seal: what it was before the step (from the baseline) and what it is after.
public struct SealEntry: Sendable, Equatable {
    public var path: RelativePath
    /// Its type in the baseline; `nil` when it did not exist before the step.
    public var before: FileType?
    /// Its state after the step; `nil` when it is gone or could not be read (see ``unreadable``).
    public var after: FinalState?
    /// Set when its state after the step could not be read (an error other than "no such path"):
    /// `after` is then `nil`, which here means *unknown*, never *gone*.
    public var unreadable: ReadFailure?

    public init(path: RelativePath, before: FileType?, after: FinalState?) {
        self.path = path
        self.before = before
        self.after = after
    }

    /// An entry whose final state could not be read.
    public init(path: RelativePath, before: FileType?, unreadable: ReadFailure) {
        self.path = path
        self.before = before
        self.unreadable = unreadable
    }

    /// The state after the step is known to be absent: gone, not merely unreadable.
    public var isGone: Bool { after == nil && unreadable == nil }

    func encode(into writer: inout ByteWriter) {
        writer.path(path)
        writer.u8(before?.rawValue ?? 0)
        if let unreadable {
            writer.u8(JournalFormat.sealUnreadable)
            writer.u32(UInt32(bitPattern: unreadable.errno.rawValue))
            writer.string(unreadable.operation)
            writer.u8(unreadable.type?.rawValue ?? 0)
            return
        }
        guard let after else {
            writer.u8(0)
            return
        }
        writer.u8(after.type.rawValue)
        writer.u32(after.permissions)
        writer.u32(after.uid)
        writer.u32(after.gid)
        writer.u64(after.size)
        writer.i64(after.mtimeSeconds)
        writer.u32(after.mtimeNanoseconds)
        writer.u64(after.inode)
        writer.u64(after.linkCount)
        writer.u64(after.rdev)
        writer.optional(after.symlinkTarget) { $0.data($1) }
        writer.optional(after.contentDigest) { $0.fixed($1) }
        writer.optional(after.xattrDigest) { $0.fixed($1) }
    }

    static func decode(_ reader: inout ByteReader) throws(DecodeError) -> SealEntry {
        let path = try reader.path()
        let beforeRaw = try reader.u8()
        guard let beforeType = FileType(rawValue: beforeRaw) else { throw DecodeError(reason: "unknown type") }
        let afterRaw = try reader.u8()
        if afterRaw == JournalFormat.sealUnreadable {
            let errno = Errno(rawValue: Int32(bitPattern: try reader.u32()))
            let operation = try reader.string()
            guard let type = FileType(rawValue: try reader.u8()) else { throw DecodeError(reason: "unknown type") }
            let failure = ReadFailure(errno, operation, type: type == .unknown ? nil : type)
            return SealEntry(path: path, before: beforeType == .unknown ? nil : beforeType, unreadable: failure)
        }
        guard let afterType = FileType(rawValue: afterRaw) else { throw DecodeError(reason: "unknown type") }
        let before = beforeRaw == 0 ? nil : beforeType
        guard afterRaw != 0 else { return SealEntry(path: path, before: before, after: nil) }
        let permissions = try reader.u32()
        let uid = try reader.u32()
        let gid = try reader.u32()
        let size = try reader.u64()
        let mtime = try reader.i64()
        let mtimeNanoseconds = try reader.u32()
        let inode = try reader.u64()
        let links = try reader.u64()
        let rdev = try reader.u64()
        let target = try reader.optional { (r: inout ByteReader) throws(DecodeError) in try r.data() }
        let content = try reader.optional { (r: inout ByteReader) throws(DecodeError) in try r.fixed(32) }
        let xattrs = try reader.optional { (r: inout ByteReader) throws(DecodeError) in try r.fixed(32) }
        // What no stat can report: the layer writer and `diff` rely on these bounds.
        guard permissions <= 0o7777 else { throw DecodeError(reason: "impossible mode \(permissions)") }
        guard mtimeNanoseconds < 1_000_000_000 else { throw DecodeError(reason: "impossible mtime nanoseconds") }
        guard size <= UInt64(Int64.max) else { throw DecodeError(reason: "impossible size \(size)") }
        guard target == nil || afterType == .symlink else {
            throw DecodeError(reason: "symlink target on a non-symlink")
        }
        guard content == nil || afterType == .regular else {
            throw DecodeError(reason: "content digest on a non-regular file")
        }
        let state = FinalState(
            type: afterType, permissions: permissions, uid: uid, gid: gid, size: size, mtimeSeconds: mtime,
            mtimeNanoseconds: mtimeNanoseconds, inode: inode, linkCount: links, rdev: rdev, symlinkTarget: target,
            contentDigest: content, xattrDigest: xattrs)
        return SealEntry(path: path, before: before, after: state)
    }
}

extension FinalState {
    /// Every field given; used by the reader and by tests.
    public init(
        type: FileType, permissions: UInt32, uid: UInt32, gid: UInt32, size: UInt64, mtimeSeconds: Int64,
        mtimeNanoseconds: UInt32, inode: UInt64, linkCount: UInt64, rdev: UInt64, symlinkTarget: [UInt8]?,
        contentDigest: [UInt8]?, xattrDigest: [UInt8]?
    ) {
        self.type = type
        self.permissions = permissions
        self.uid = uid
        self.gid = gid
        self.size = size
        self.mtimeSeconds = mtimeSeconds
        self.mtimeNanoseconds = mtimeNanoseconds
        self.inode = inode
        self.linkCount = linkCount
        self.rdev = rdev
        self.symlinkTarget = symlinkTarget
        self.contentDigest = contentDigest
        self.xattrDigest = xattrDigest
    }
}
