import ChangerecSystem

/// How two change sets differ at one path.
public struct PathDifference: Sendable, Equatable {
    public enum Status: String, Sendable {
        case onlyOld = "only_old"
        case onlyNew = "only_new"
        case differ
    }

    /// One field whose outcome differs, with both values rendered for people.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var old: String
        public var new: String
    }

    public var path: RelativePath
    public var status: Status
    public var old: Change?
    public var new: Change?
    public var fields: [Field]
    /// Differences inside this directory folded into this line (it arrived whole or was deleted).
    public var inside = 0
}
