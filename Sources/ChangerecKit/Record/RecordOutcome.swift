import ChangerecSystem

/// How a recorded step ended: the command's termination and the journal written, complete and sealed.
/// The journal holds the rest (its notes, the exit record, the seal); the caller folds it when it needs
/// the change set.
public struct RecordOutcome: Sendable {
    public var termination: Termination
    /// The journal's canonical path.
    public var journal: [UInt8]
    /// One line for each part of ROOT that could not be read or watched (the change set may miss changes
    /// there): ``ChangeSet/gaps`` of the journal, known without reading it back.
    public var gaps: [String]
    /// The layer asked for with ``RecordRequest/layer``: written, or why not (the command failed, the
    /// change set may miss changes, the tree changed while it was read, an output error). `nil` when
    /// none was asked for. The journal is complete either way.
    public var layer: Result<LayerResult, ChangerecError>?
}
