import ChangerecSystem

/// `--mount SRC:DST[:ro]`: a host path bound into the step's root file system for the step only.
public struct BindMount: Sendable, Equatable {
    /// The host path, canonical.
    public var source: [UInt8]
    /// Where it appears, relative to the root file system.
    public var destination: RelativePath
    public var readOnly: Bool

    public init(source: [UInt8], destination: RelativePath, readOnly: Bool) {
        self.source = source
        self.destination = destination
        self.readOnly = readOnly
    }

    /// Parses `SRC:DST[:ro|rw]`; SRC must exist.
    public init(parsing text: [UInt8]) throws(ChangerecError) {
        let shown = printable(text)
        var parts = text.split(separator: 0x3A, omittingEmptySubsequences: false).map(Array.init)
        var readOnly = false
        if parts.count == 3, parts[2] == Array("ro".utf8) || parts[2] == Array("rw".utf8) {
            readOnly = parts[2] == Array("ro".utf8)
            parts.removeLast()
        }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ChangerecError(
                .usage, "--mount '\(shown)' is not SRC:DST or SRC:DST:ro; paths with ':' cannot be bound")
        }
        guard let destination = ContainerPath.relative(parts[1]), !destination.isRoot else {
            throw ChangerecError(
                .usage, "--mount '\(shown)': DST must be a path inside the root file system, without '..', not '/'")
        }
        let source: [UInt8]
        do {
            source = try FileSystem.canonicalPath(parts[0])
        } catch {
            throw ChangerecError(
                .usage, "--mount '\(shown)': cannot use SRC '\(printable(parts[0]))': \(error)", errno: error)
        }
        self.init(source: source, destination: destination, readOnly: readOnly)
    }
}
