import ChangerecSystem

/// A seal entry read without its content digest, for `record --layer`: the layer writer reads the file
/// once, and its digest completes the entry (``SealBuilder/complete(_:reads:)``).
struct PendingSealEntry: Sendable {
    var entry: SealEntry
    /// The status the seal read a regular file under, when its digest is still to come; `nil` when the
    /// entry is whole already.
    var awaitingDigest: FileStatus?
}
