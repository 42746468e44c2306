import ChangerecSystem

/// A path whose state in ROOT no longer matches what the seal recorded after the step.
public struct Drift: Sendable, Equatable, CustomStringConvertible {
    public var path: RelativePath
    public var reason: String
    public var description: String { "\(path) (\(reason))" }
}
