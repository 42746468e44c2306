/// Paths below ROOT that are never recorded: changerec's own `.changerec/` directory, the journal
/// being written, wherever it is, and the mount points of pseudo file systems (``PseudoFileSystems``).
public struct Exclusions: Sendable {
    public private(set) var paths: [RelativePath]

    public init(_ paths: [RelativePath]) { self.paths = paths }

    public func contains(_ path: RelativePath) -> Bool {
        paths.contains { path.isWithin($0) }
    }
}
