import ChangerecSystem

/// The layer `record --layer` writes while it seals: the destinations, checked (and the layout opened)
/// before the command starts, so that a layer that cannot be written fails before the step runs; then
/// the write, from the change set of the journal being sealed.
struct StepLayer {
    let request: RecordLayerRequest
    private let output: LayerOutput?
    private let layout: OCILayout?

    /// - Throws: `ChangerecError` for a destination `layer` would refuse, for standard output (the
    ///   command's), and for a compression that cannot work here.
    init(_ request: RecordLayerRequest) throws(ChangerecError) {
        self.request = request
        try request.options.compression.checkAvailable()
        output = try request.output.map { (path) throws(ChangerecError) in try LayerOutput.classify(path) }
        if output == .standardOutput {
            throw ChangerecError(
                .usage,
                "record cannot write the layer to standard output, which belongs to the command; name a file with --layer"
            )
        }
        // An existing layout is checked now; a missing one is made only for a layer to go into, so that a
        // failing command leaves no empty layout behind.
        layout = try request.ociLayout.flatMap { (path) throws(ChangerecError) in
            (try? FileSystem.status(of: Array(path.utf8), in: .currentWorkingDirectory)) == nil
                ? nil : try OCILayout(path: path)
        }
    }

    /// Writes the layer of `changeSet` from the tree, keeping each file's digest in the result, and calls
    /// `beforePublishing` once it is whole and before anything names it.
    ///
    /// - Throws: `ChangerecError` when the change set may miss changes, the tree differs from the seal, a
    ///   file cannot be read, or the output or layout cannot be written (see ``LayerDelivery``).
    func write(
        _ changeSet: ChangeSet, tree: WatchedTree,
        beforePublishing: @escaping (LayerResult) throws(ChangerecError) -> Void
    ) throws(ChangerecError) -> LayerResult {
        let gaps = changeSet.gaps
        if let first = gaps.first {
            let more = gaps.count > 1 ? " (and \(gaps.count - 1) more)" : ""
            throw ChangerecError(
                .journalIncomplete,
                "no layer written: the change set may miss changes: \(first)\(more); `changerec layer --force` on the journal writes one from the tree as it is now"
            )
        }
        var plan = LayerPlan(squashing: [changeSet])
        if let before = request.stateBefore { plan = plan.droppingUnchanged(from: before, root: tree.descriptor).plan }
        try LayerWriter.checkNames(plan, rootPath: tree.path)
        var options = request.options
        options.keepsContentReads = true
        options.allowDrift = false
        var layout = self.layout
        if layout == nil, let path = request.ociLayout { layout = try OCILayout(path: path) }
        var history = LayerHistory([changeSet], clampedTo: options.sourceDateEpoch)
        if let createdBy = request.createdBy { history.createdBy = createdBy }
        var delivery = LayerDelivery(
            writer: LayerWriter(root: tree.descriptor, rootPath: tree.path), plan: plan, options: options,
            layout: layout, tag: request.tag, history: history)
        delivery.beforePublishing = beforePublishing
        switch output {
        case .replace(let path)?: return try delivery.replacing(path)
        case let stream?: return try delivery.streaming(to: stream)
        case nil: return try delivery.intoLayoutOnly()
        }
    }
}
