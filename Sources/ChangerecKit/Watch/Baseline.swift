import ChangerecSystem

/// The names that existed under ROOT before the step, with their `d_type`: read once at arming,
/// without a `stat` per file. It decides whether a changed path is new (A), changed (C) or gone (D),
/// and it is what an overflow rescan compares against.
public struct Baseline: Sendable {
    public private(set) var types: [RelativePath: FileType] = [:]
    /// The inode of every name that is not a directory (`d_ino` and the device of the directory that
    /// holds it), to find the other names of a hard-linked file, symlink, fifo or device node.
    private var identities: [RelativePath: FileIdentity] = [:]
    /// When the walk began (wall clock, nanoseconds since the epoch): an inode whose `st_ctime` is later
    /// was changed during the step.
    public var armedAt: Int64 = 0

    public init() {}

    public mutating func record(_ path: RelativePath, _ type: FileType, identity: FileIdentity? = nil) {
        types[path] = type
        if type != .directory, let identity, identity.inode != 0 { identities[path] = identity }
    }

    /// The type `path` had before the step, or `nil` when it did not exist.
    public func type(of path: RelativePath) -> FileType? {
        if path.isRoot { return .directory }
        return types[path]
    }

    /// The inode `path` named before the step, when it was not a directory.
    public func identity(of path: RelativePath) -> FileIdentity? {
        identities[path]
    }

    /// The names, other than directories, that named one of `wanted` before the step. One pass over the
    /// baseline, made once per step at the seal.
    public func paths(withIdentities wanted: Set<FileIdentity>) -> [RelativePath] {
        guard !wanted.isEmpty else { return [] }
        return identities.compactMap { wanted.contains($0.value) ? $0.key : nil }
    }

    /// Every name that was not a directory, with its inode.
    public var nonDirectories: [RelativePath: FileIdentity] { identities }

    public var count: Int { types.count }
}
