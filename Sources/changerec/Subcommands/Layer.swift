import ArgumentParser
import ChangerecKit
import ChangerecSystem

struct Layer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an OCI image layer from one or more journals and the tree they describe.",
        usage: """
            changerec layer [<journal> ...] -o <file> [<options>]
            changerec layer [<journal> ...] --oci-layout <dir> [<options>]
            """,
        discussion: """
            With several journals (in step order) the layer is their squash. Files are read from ROOT \
            beneath it only (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) and checked against each \
            journal's seal: a tree that changed since the step is refused unless --allow-drift; so is a \
            ROOT that is not the directory recorded (replaced, or now a symbolic link) unless --root names \
            a tree on purpose.

            -o FILE is written to a temporary file and renamed on success, so a failure leaves nothing \
            behind; -o - (standard output), a fifo or a character device is streamed to, and the digests \
            go to standard error when standard output carries the layer.

            EXIT STATUS: 0 when the layer is written whole, 1 otherwise.

            EXAMPLES:
              changerec layer -o layer.tar.gz
              changerec layer step1.journal step2.journal -o squashed.tar --compress none
              changerec layer --oci-layout image --tag v1 --source-date-epoch 1700000000
              changerec layer -o - | docker import - step:latest
            """)

    @Argument(
        help: ArgumentHelp("Journals, in step order (default: the newest in ./.changerec/).", valueName: "journal"),
        completion: JournalCompletion.kind)
    var journals: [String] = []

    @Option(
        name: .long, help: ArgumentHelp("The tree to read (default: the ROOT the journal names).", valueName: "dir"),
        completion: .directory)
    var root: String?

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("Where to write the layer ('-' for standard output).", valueName: "file"),
        completion: .file())
    var output: String?

    @OptionGroup var layerArguments: LayerArguments

    @Flag(name: .long, help: "Write the tree as it is now where it no longer matches the seal.")
    var allowDrift = false

    @Flag(
        name: .long,
        help: "Accept journals cut short (no seal) or naming unreadable paths: read those from the tree as it is now."
    )
    var force = false

    @Flag(name: .long, help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard output != nil || layerArguments.ociLayout != nil else {
            throw ValidationError("say where the layer goes: -o FILE, --oci-layout DIR, or both")
        }
    }

    func run() throws {
        var request = LayerRequest(
            journals: try journals.isEmpty ? [JournalArgument.newest()] : journals.map(rawArgument))
        request.root = root.map(rawArgument)
        request.output = output
        request.ociLayout = layerArguments.ociLayout
        request.tag = layerArguments.imageTag
        request.force = force
        request.options = layerOptions()
        let job = try LayerJob(request)
        for warning in job.warnings { StandardStreams.writeError("changerec: warning: \(warning)\n") }
        let result = try job.run()
        if request.options.progress != nil && result.uncompressedSize >= 64 << 20 { StandardStreams.writeError("\n") }
        report(result, summaryToError: job.streamsToStandardOutput)
        try finishOutput()
    }

    private func layerOptions() -> LayerOptions {
        var options = layerArguments.options
        options.allowDrift = allowDrift
        return options
    }

    /// Warnings, then the digests: on standard output, or on standard error when standard output carries
    /// the layer itself.
    private func report(_ result: LayerResult, summaryToError: Bool) {
        for warning in result.warnings { StandardStreams.writeError("changerec: warning: \(warning)\n") }
        let summary =
            json
            ? result.json(output: output, ociLayout: layerArguments.ociLayout).text + "\n" : result.summaryText
        if summaryToError { StandardStreams.writeError(summary) } else { StandardStreams.writeOutput(summary) }
    }
}
