import ChangerecSystem

/// One entry of a change set: a path that was added, changed or deleted by the step.
///
/// The vocabulary is `docker diff`'s. A directory that arrived whole (renamed or moved in) is one
/// entry with ``subtree`` set: its contents are all new and are not listed one by one. A directory
/// that existed before, was removed and exists again is ``opaque``: nothing of its old content
/// survives unless listed.
public struct Change: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case added = "A"
        case changed = "C"
        case deleted = "D"
    }

    // Stored properties are declared widest first, the one-byte ones last: a change set holds one of these
    // per changed path, and interleaving them with pointers would pad each to a word.

    public var path: RelativePath
    public var symlinkTarget: [UInt8]?
    /// The path this one was renamed from, when that path existed before the step.
    public var renamedFrom: RelativePath?
    /// The processes whose events named this path (empty when the backend reports none).
    public var pids: [Int32] = []
    /// The final state from the seal; `nil` when gone, unreadable, or when the journal has no seal.
    public var after: FinalState?
    /// Set when the seal could not read the path after the step: its state is unknown, and the change
    /// (`A` for a path that did not exist before, else `C`) says only "possibly changed".
    public var unreadable: ReadFailure?
    public var kind: Kind
    /// The type after the step, or before it for a deletion.
    public var type: FileType
    /// The type in the baseline; `nil` when the path did not exist before.
    public var before: FileType?
    public var subtree = false
    public var opaque = false
    /// Only processes outside the recorded step changed this path.
    public var foreign = false

    public init(_ kind: Kind, _ path: RelativePath, type: FileType) {
        self.kind = kind
        self.path = path
        self.type = type
    }
}
