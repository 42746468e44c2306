import ChangerecSystem

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
