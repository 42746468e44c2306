import ChangerecSystem

/// How a recorded step ended: the command's termination and the journal written, complete and sealed.
/// The journal holds the rest (its notes, the exit record, the seal); the caller folds it when it needs
/// the change set.
public struct RecordOutcome: Sendable {
    public var termination: Termination
    /// The journal's canonical path.
    public var journal: [UInt8]
}
