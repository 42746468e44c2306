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
