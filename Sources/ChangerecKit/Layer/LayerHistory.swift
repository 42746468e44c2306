import ChangerecSystem

/// What an image's history says of a layer: when its (last) step started and the command lines of its
/// steps.
public struct LayerHistory: Sendable {
    public var created: String
    public var createdBy: String

    /// - Parameter changeSets: the steps, in order; at least one.
    public init(_ changeSets: [ChangeSet]) {
        created = changeSets.last.map { Timestamp.iso8601(nanoseconds: $0.header.startNanoseconds) } ?? ""
        createdBy = changeSets.map {
            $0.header.argv.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        }
        .joined(separator: " && ")
    }
}
