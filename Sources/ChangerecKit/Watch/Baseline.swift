import ChangerecSystem

/// The names that existed under ROOT before the step, with their `d_type`: read once at arming,
/// without a `stat` per file. It decides whether a changed path is new (A), changed (C) or gone (D),
/// and it is what an overflow rescan compares against.
public struct Baseline: Sendable {
    public private(set) var types: [RelativePath: FileType] = [:]

    public init() {}

    public mutating func record(_ path: RelativePath, _ type: FileType) {
        types[path] = type
    }

    /// The type `path` had before the step, or `nil` when it did not exist.
    public func type(of path: RelativePath) -> FileType? {
        if path.isRoot { return .directory }
        return types[path]
    }

    public var count: Int { types.count }
}
