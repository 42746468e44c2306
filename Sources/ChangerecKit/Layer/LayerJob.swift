import ChangerecSystem

/// One `changerec layer` run: loads the journals, opens ROOT and the destinations, refuses what must be
/// refused before any output is touched, then writes the layer through ``LayerDelivery``.
///
/// Two steps, so that the caller can show ``warnings`` before the (possibly long) write: `init` does
/// every check that can refuse the layer and leaves nothing behind when it does; ``run()`` writes.
public struct LayerJob {
    /// What was asked for.
    public let request: LayerRequest
    /// What the person should know before the layer is written: checks on ROOT that could not be made.
    public var warnings: [String] { root.warnings }
    /// Whether the layer goes to standard output, so that the summary must go to standard error.
    public var streamsToStandardOutput: Bool { target == .standardOutput }

    private let changeSets: [ChangeSet]
    private let plan: LayerPlan
    /// Holds ROOT's descriptor, which the writer reads through: it lives as long as the job.
    private let root: LayerRoot
    private let target: LayerOutput?
    private let layout: OCILayout?

    /// Loads the journals and opens ROOT, the output and the layout.
    ///
    /// - Throws: `ChangerecError` for a journal that cannot be read; `.journalIncomplete` for a journal cut
    ///   short, or one naming paths changerec could not read, unless `request.force`; a compression that
    ///   cannot work here (zstd without libzstd); the refusals of ``LayerRoot``, ``LayerWriter/checkNames(_:rootPath:)``, ``LayerOutput/classify(_:)`` and
    ///   ``OCILayout/init(path:)``.
    public init(_ request: LayerRequest) throws(ChangerecError) {
        self.request = request
        var loaded: [(path: [UInt8], changeSet: ChangeSet)] = []
        for path in request.journals {
            loaded.append((path, try Self.load(path, force: request.force)))
        }
        changeSets = loaded.map(\.changeSet)
        plan = LayerPlan(squashing: changeSets)
        root = try LayerRoot(journals: loaded.map { ($0.path, $0.changeSet.header) }, explicit: request.root)
        // Refusals come before any output is touched, so a refused layer leaves nothing behind.
        try LayerWriter.checkNames(plan, rootPath: root.path)
        try request.options.compression.checkAvailable()
        target = try request.output.map { (path) throws(ChangerecError) in try LayerOutput.classify(path) }
        layout = try request.ociLayout.map { (path) throws(ChangerecError) in try OCILayout(path: path) }
        try layout?.refuseJournalsInImage(
            loaded.map { (LayerHistory.journalIdentity($0.changeSet.header), $0.path) }, tag: request.tag)
    }

    /// Writes the layer: to a file (temporary file, then rename), to a stream, into the layout, or to a
    /// file or stream and the layout.
    ///
    /// - Throws: `ChangerecError` when the tree drifted from the seal (without `allowDrift`), a file cannot
    ///   be read, or the output or layout cannot be written; nothing that looks like a whole layer is left.
    public func run() throws(ChangerecError) -> LayerResult {
        let delivery = LayerDelivery(
            writer: LayerWriter(root: root.descriptor, rootPath: root.path), plan: plan, options: request.options,
            layout: layout, tag: request.tag,
            history: LayerHistory(changeSets, clampedTo: request.options.sourceDateEpoch))
        switch target {
        case .replace(let path)?: return try delivery.replacing(path)
        case let stream? where stream.isStream: return try delivery.streaming(to: stream)
        default: return try delivery.intoLayoutOnly()
        }
    }

    /// The change set of the journal at `path`, refused when it may miss changes unless `force`.
    private static func load(_ path: [UInt8], force: Bool) throws(ChangerecError) -> ChangeSet {
        let changeSet = try ChangeSet.load(journal: path)
        if !changeSet.isComplete && !force {
            throw ChangerecError(
                .journalIncomplete,
                "journal '\(String(decoding: path, as: UTF8.self))' is incomplete (no seal): a layer from it could miss changes; pass --force to build it from its events alone"
            )
        }
        if let refusal = changeSet.gapError, !force { throw refusal }
        return changeSet
    }
}
