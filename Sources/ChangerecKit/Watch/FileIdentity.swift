import ChangerecSystem

/// An inode as the kernel tells it apart: the device of its file system and its inode number. An inode
/// number alone is not enough, since the file systems mounted below ROOT number their inodes each from 1.
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    public init(_ status: FileStatus) {
        self.init(device: status.device, inode: status.inode)
    }
}
