import ChangerecSystem

/// What an image's history says of a layer: when its (last) step started and the command lines of its
/// steps.
public struct LayerHistory: Sendable {
    public var created: String
    public var createdBy: String
    /// Each step's journal, named by ``journalIdentity(_:)``: the layer's descriptor in the manifest carries
    /// them, so that a journal already in an image is not appended again.
    public var journals: [String]

    /// The manifest annotation on a layer that lists its journals (comma-separated identities).
    public static let journalsAnnotation = "io.changerec.journals"

    /// - Parameters:
    ///   - changeSets: the steps, in order; at least one.
    ///   - epoch: `SOURCE_DATE_EPOCH` (seconds), to which `created` is clamped as the layer's mtimes are.
    public init(_ changeSets: [ChangeSet], clampedTo epoch: Int64? = nil) {
        created =
            changeSets.last.map { Timestamp.iso8601(nanoseconds: Self.clamped($0.header.startNanoseconds, to: epoch)) }
            ?? ""
        // As a shell reads it back: `sh -c 'make install'`, not `sh -c make install`.
        createdBy = changeSets.map { ShellWord.commandLine($0.header.argv) }.joined(separator: " && ")
        journals = changeSets.map { Self.journalIdentity($0.header) }
    }

    /// `nanoseconds`, or `epoch` (seconds, `SOURCE_DATE_EPOCH`) when that is earlier: the time an image's
    /// `created` fields give, clamped as the layers' mtimes are.
    public static func clamped(_ nanoseconds: Int64, to epoch: Int64?) -> Int64 {
        guard let epoch, epoch < Int64.max / 1_000_000_000, nanoseconds > epoch * 1_000_000_000 else {
            return nanoseconds
        }
        return epoch * 1_000_000_000
    }

    /// A recording, whatever its journal file is called or where it was copied: `sha256:` over the
    /// header's host, recorder pid, start time and ROOT, which no two recordings share.
    public static func journalIdentity(_ header: JournalHeader) -> String {
        var bytes = Array(header.host.utf8) + [0]
        bytes += Array(String(header.recorderPID).utf8) + [0]
        bytes += Array(String(header.startNanoseconds).utf8) + [0]
        bytes += header.root
        return "sha256:" + ContentDigest.sha256Hex(bytes)
    }
}
