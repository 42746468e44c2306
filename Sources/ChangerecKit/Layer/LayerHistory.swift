import ChangerecSystem

/// What an image's history says of a layer: when its (last) step started and the command lines of its
/// steps.
public struct LayerHistory: Sendable {
    public var created: String
    public var createdBy: String

    /// - Parameters:
    ///   - changeSets: the steps, in order; at least one.
    ///   - epoch: `SOURCE_DATE_EPOCH` (seconds), to which `created` is clamped as the layer's mtimes are.
    public init(_ changeSets: [ChangeSet], clampedTo epoch: Int64? = nil) {
        created =
            changeSets.last.map { changeSet in
                var start = changeSet.header.startNanoseconds
                if let epoch, epoch < Int64.max / 1_000_000_000, start > epoch * 1_000_000_000 {
                    start = epoch * 1_000_000_000
                }
                return Timestamp.iso8601(nanoseconds: start)
            } ?? ""
        // As a shell reads it back: `sh -c 'make install'`, not `sh -c make install`.
        createdBy = changeSets.map { ShellWord.commandLine($0.header.argv) }.joined(separator: " && ")
    }
}
