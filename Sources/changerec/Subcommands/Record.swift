import ArgumentParser
import ChangerecKit
import ChangerecSystem

struct Record: ParsableCommand, FailureStatus {
    static let configuration = CommandConfiguration(
        abstract: "Run a command and record every change it makes under ROOT.",
        discussion: """
            The command inherits standard streams, terminal and environment; SIGINT, SIGTERM, SIGHUP and \
            SIGQUIT sent to changerec are forwarded to it. When it ends, the change list and a summary go \
            to standard error (--quiet: nothing).

            With --layer FILE or --oci-layout DIR, a command that succeeds also gets its OCI layer, \
            written in the seal's own pass: each file is read once, for the journal's digest and for the \
            layer. The journal is complete before the layer is published, and 'changerec layer' on it \
            later writes the same bytes. A command that fails gets no layer.

            EXIT STATUS: the command's own (128+N if it was killed by signal N), 127 if it was not found, \
            126 if it could not be executed, 125 if changerec itself failed, or if the command succeeded \
            but a path under ROOT could not be read or watched, or its layer could not be written.

            EXAMPLES:
              changerec -- make install
              changerec --root /srv/rootfs -- chroot /srv/rootfs apt-get install -y curl
              changerec --json -- ./configure 2> changes.json
              changerec --layer layer.tar.gz -- make install
              changerec --oci-layout image --tag v1 --compress zstd -- make install
            """)

    @Option(
        name: .long,
        help: ArgumentHelp("The directory tree to watch (default: the current directory).", valueName: "dir"),
        completion: .directory)
    var root: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where to write the journal (default: the next free ROOT/.changerec/NNNN.journal).", valueName: "file"),
        completion: .file(extensions: ["journal"]))
    var journal: String?

    @Flag(
        name: .long,
        help:
            "Replace the --journal file if it exists (a regular file only; without it, an existing journal is refused)."
    )
    var force = false

    @Flag(name: .long, help: "Wait for every descendant of the command, not only the command.")
    var wait = false

    @OptionGroup var step: StepArguments

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Write the step's OCI layer here when the command succeeds (a file, replaced only by a whole layer).",
            valueName: "file"),
        completion: .file())
    var layer: String?

    @OptionGroup(title: "Layer options") var layerArguments: LayerArguments

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command to record, after '--'.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if layerArguments.anyGiven && layer == nil && layerArguments.ociLayout == nil {
            throw ValidationError(
                "--compress, --source-date-epoch and --tag apply to a layer: add --layer FILE or --oci-layout DIR")
        }
        guard !command.isEmpty else {
            throw ValidationError("no command given; put it after '--', as in: changerec -- make install")
        }
    }

    func run() throws {
        // Invariant: validate() accepted the name.
        var request = RecordRequest(command: rawCommand(command))
        request.backend = step.backendChoice
        request.root = root.map(rawArgument)
        request.journal = journal.map(rawArgument)
        request.force = force
        request.waitForDescendants = wait
        if layer != nil || layerArguments.ociLayout != nil {
            var layerRequest = RecordLayerRequest()
            layerRequest.output = layer
            layerRequest.ociLayout = layerArguments.ociLayout
            layerRequest.tag = layerArguments.imageTag
            layerRequest.options = layerArguments.options
            request.layer = layerRequest
        }
        if !step.quiet { request.announce = { StandardStreams.writeError("changerec: \($0)\n") } }

        let outcome = try Recorder().record(request)
        try StepReport(quiet: step.quiet, json: step.json, layer: layer, layerArguments: layerArguments).finish(outcome)
    }

    /// 127 for a command not found, 126 for one not executable, 125 for changerec's own failures.
    static func exitStatus(for error: ChangerecError) -> Int32 {
        switch error.code {
        case .commandNotFound: 127
        case .commandNotExecutable: 126
        default: 125
        }
    }

    /// The command's status; but a command that succeeded while parts of ROOT could not be read (the
    /// change set may miss changes there) makes changerec fail with 125, as for its own errors. A failing
    /// command's status always wins: it is what the caller must see first.
    static func exitStatus(_ termination: Termination, gaps: [String]) -> Int32 {
        let status = termination.shellStatus
        guard status == 0, !gaps.isEmpty else { return status }
        StandardStreams.writeError(
            "changerec: \(gaps.count) path(s) under ROOT could not be read or watched, so the change set may miss changes (see the warnings); exiting 125\n"
        )
        return 125
    }
}
