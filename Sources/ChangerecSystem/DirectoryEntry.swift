/// One name in a directory and the type its `d_type` gives (no `stat` is made).
public struct DirectoryEntry: Sendable, Hashable {
    public var name: [UInt8]
    public var type: FileType
    /// `d_ino`: the inode number, to find hard links without a `stat`.
    public var inode: UInt64 = 0
}
