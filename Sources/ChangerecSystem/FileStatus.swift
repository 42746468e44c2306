import Glibc

/// What `lstat` says of one object; the fields changerec records in the seal.
public struct FileStatus: Sendable, Hashable {
    public var type: FileType
    /// Permission bits and set-id/sticky bits (`st_mode & 07777`).
    public var permissions: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: UInt64
    public var mtimeSeconds: Int64
    public var mtimeNanoseconds: UInt32
    /// The last change of the inode itself (`st_ctime`): the kernel sets it to "now" on every write,
    /// chmod, chown, link and unlink, and no system call can set it back.
    public var ctimeSeconds: Int64
    public var ctimeNanoseconds: UInt32
    public var device: UInt64
    public var inode: UInt64
    public var linkCount: UInt64
    /// The device number a character or block device node stands for.
    public var rdev: UInt64

    init(_ st: stat) {
        type = FileType(mode: st.st_mode)
        permissions = st.st_mode & 0o7777
        uid = st.st_uid
        gid = st.st_gid
        size = UInt64(max(0, st.st_size))
        mtimeSeconds = Int64(st.st_mtim.tv_sec)
        mtimeNanoseconds = UInt32(truncatingIfNeeded: st.st_mtim.tv_nsec)
        ctimeSeconds = Int64(st.st_ctim.tv_sec)
        ctimeNanoseconds = UInt32(truncatingIfNeeded: st.st_ctim.tv_nsec)
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        linkCount = UInt64(st.st_nlink)
        rdev = UInt64(st.st_rdev)
    }
}
