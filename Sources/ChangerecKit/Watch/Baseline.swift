import ChangerecSystem

/// The names that existed under ROOT before the step, with their `d_type`: read once at arming,
/// without a `stat` per file. It decides whether a changed path is new (A), changed (C) or gone (D),
/// and it is what an overflow rescan compares against.
public struct Baseline: Sendable {
    public private(set) var types: [RelativePath: FileType] = [:]
    /// Inode numbers of regular files (`d_ino`), to find the other names of a hard-linked file.
    private var inodes: [RelativePath: UInt64] = [:]

    public init() {}

    public mutating func record(_ path: RelativePath, _ type: FileType, inode: UInt64 = 0) {
        types[path] = type
        if type == .regular && inode != 0 { inodes[path] = inode }
    }

    /// The type `path` had before the step, or `nil` when it did not exist.
    public func type(of path: RelativePath) -> FileType? {
        if path.isRoot { return .directory }
        return types[path]
    }

    /// Regular files that had one of `wanted` as inode number before the step.
    public func paths(withInodes wanted: Set<UInt64>) -> [RelativePath] {
        guard !wanted.isEmpty else { return [] }
        return inodes.compactMap { wanted.contains($0.value) ? $0.key : nil }
    }

    public var count: Int { types.count }
}
