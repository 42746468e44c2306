import ChangerecSystem

/// One path of the seal: what it was before the step (from the baseline) and what it is after.
public struct SealEntry: Sendable, Equatable {
    public var path: RelativePath
    /// Its type in the baseline; `nil` when it did not exist before the step.
    public var before: FileType?
    /// Its state after the step; `nil` when it is gone or could not be read (see ``unreadable``).
    public var after: FinalState?
    /// Set when its state after the step could not be read (an error other than "no such path"):
    /// `after` is then `nil`, which here means *unknown*, never *gone*.
    public var unreadable: ReadFailure?

    public init(path: RelativePath, before: FileType?, after: FinalState?) {
        self.path = path
        self.before = before
        self.after = after
    }

    /// An entry whose final state could not be read.
    public init(path: RelativePath, before: FileType?, unreadable: ReadFailure) {
        self.path = path
        self.before = before
        self.unreadable = unreadable
    }

    /// The state after the step is known to be absent: gone, not merely unreadable.
    public var isGone: Bool { after == nil && unreadable == nil }
}
