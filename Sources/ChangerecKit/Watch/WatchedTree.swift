import SystemPackage

/// The tree a step is recorded in: ROOT open as a directory, its path, and the paths below it that are
/// never recorded. Everything that reads the tree (the backends, their walks, the seal) reaches it through
/// the descriptor, never through the path, which is for messages and the journal header.
public struct WatchedTree: Sendable {
    /// ROOT, open as a directory. Whoever made the value keeps it open while anything uses the tree.
    public let descriptor: FileDescriptor
    /// ROOT's canonical absolute path.
    public let path: [UInt8]
    /// changerec's own `.changerec/`, the journal being written and the pseudo file systems below ROOT.
    public let exclusions: Exclusions

    public init(descriptor: FileDescriptor, path: [UInt8], exclusions: Exclusions) {
        self.descriptor = descriptor
        self.path = path
        self.exclusions = exclusions
    }

    /// Whether `path` is never recorded: it is, or lies below, one of the ``exclusions``.
    public func excludes(_ path: RelativePath) -> Bool {
        exclusions.contains(path)
    }
}
