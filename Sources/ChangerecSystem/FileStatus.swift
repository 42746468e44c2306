import Glibc

/// The type of a file system object, as `lstat` and `d_type` name it.
public enum FileType: UInt8, Sendable, Hashable, CaseIterable {
    case unknown = 0
    case regular = 1
    case directory = 2
    case symlink = 3
    case fifo = 4
    case socket = 5
    case characterDevice = 6
    case blockDevice = 7

    /// From the `S_IFMT` bits of `st_mode`.
    public init(mode: UInt32) {
        switch mode & UInt32(S_IFMT) {
        case UInt32(S_IFREG): self = .regular
        case UInt32(S_IFDIR): self = .directory
        case UInt32(S_IFLNK): self = .symlink
        case UInt32(S_IFIFO): self = .fifo
        case UInt32(S_IFSOCK): self = .socket
        case UInt32(S_IFCHR): self = .characterDevice
        case UInt32(S_IFBLK): self = .blockDevice
        default: self = .unknown
        }
    }

    /// From a `dirent` `d_type`; `DT_UNKNOWN` stays unknown and needs an `lstat`.
    public init(direntType: UInt8) {
        switch Int32(direntType) {
        case Int32(DT_REG): self = .regular
        case Int32(DT_DIR): self = .directory
        case Int32(DT_LNK): self = .symlink
        case Int32(DT_FIFO): self = .fifo
        case Int32(DT_SOCK): self = .socket
        case Int32(DT_CHR): self = .characterDevice
        case Int32(DT_BLK): self = .blockDevice
        default: self = .unknown
        }
    }

    /// A short lower-case name used in text and JSON output.
    public var name: String {
        switch self {
        case .unknown: "unknown"
        case .regular: "file"
        case .directory: "dir"
        case .symlink: "symlink"
        case .fifo: "fifo"
        case .socket: "socket"
        case .characterDevice: "char"
        case .blockDevice: "block"
        }
    }
}

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
