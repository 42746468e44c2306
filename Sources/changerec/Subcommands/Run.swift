import ArgumentParser
import ChangerecKit
import ChangerecSystem

struct Run: ParsableCommand, FailureStatus {
    static let configuration = CommandConfiguration(
        abstract: "Run a command inside a root file system, isolated, and record what it changes there.",
        discussion: """
            The command runs chrooted into ROOTFS in a private mount namespace, as Buildah's chroot \
            isolation runs a step: /proc, a minimal /dev (null, zero, full, random, urandom, tty, pts, \
            shm) and a read-only /sys are mounted for it, the host's /etc/resolv.conf and /etc/hosts are \
            bound read-only over the root file system's, and each --mount is bound where it asks. Its \
            environment is only --env, with PATH and HOME supplied when not given; --user is looked up \
            in ROOTFS's own /etc/passwd and /etc/group. A missing --workdir is made, as part of the step.

            The step is recorded with ROOT = ROOTFS. Nothing mounted for it is recorded, appears in the \
            journal or the layer, or is left behind: mount points that had to be made are removed \
            afterwards, their directories' times put back. This is not a security boundary: the command \
            runs as root on the host's kernel, in the host's process and network namespaces.

            Needs root. With --oci-layout, a command that succeeds gets its layer appended to the image \
            --tag names, with --created-by (default: the command line) in its history. When that \
            image's top layers came from journals still in ROOTFS/.changerec/, the layer leaves out \
            the paths the step only touched, as build does.

            EXIT STATUS: as for record: the command's own (128+N if it was killed by signal N), 127 if \
            it was not found in ROOTFS, 126 if it could not be executed, 125 if changerec itself failed.

            EXAMPLES:
              changerec run --rootfs rootfs -- apt-get install -y curl
              changerec run --rootfs rootfs --mount ./src:/src:ro --workdir /src -- make install
              changerec run --rootfs rootfs --user nobody --env LANG=C.UTF-8 -- id
              changerec run --rootfs rootfs --oci-layout image --tag v1 -- sh -c 'echo hi > /greeting'
            """)

    @Option(
        name: .long, help: ArgumentHelp("The root file system to run the command in.", valueName: "dir"),
        completion: .directory)
    var rootfs: String

    @Option(name: .long, help: ArgumentHelp("The working directory inside ROOTFS.", valueName: "dir"))
    var workdir: String = "/"

    @Option(name: .long, help: ArgumentHelp("An environment variable for the command (repeatable).", valueName: "K=V"))
    var env: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp("Run as this user, a name in ROOTFS's /etc/passwd or a number.", valueName: "user[:group]"))
    var user: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Bind a host path into ROOTFS for the step (repeatable; ro: read-only).", valueName: "src:dst[:ro]"))
    var mount: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where to write the journal (default: the next free ROOTFS/.changerec/NNNN.journal).", valueName: "file"),
        completion: .file(extensions: ["journal"]))
    var journal: String?

    @Flag(name: .long, help: "Replace the --journal file if it exists (a regular file only).")
    var force = false

    @OptionGroup var step: StepArguments

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The image history's created_by for the layer (default: the command line).", valueName: "text"))
    var createdBy: String?

    @OptionGroup(title: "Layer options") var layerArguments: LayerArguments

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command to run, after '--'.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if layerArguments.anyGiven && layerArguments.ociLayout == nil {
            throw ValidationError("--compress, --source-date-epoch and --tag apply to a layer: add --oci-layout DIR")
        }
        if createdBy != nil && layerArguments.ociLayout == nil {
            throw ValidationError("--created-by names the layer in an image: add --oci-layout DIR")
        }
        if let bad = env.first(where: { !$0.contains("=") || $0.hasPrefix("=") }) {
            throw ValidationError("--env '\(bad)' is not K=V")
        }
        guard workdir.hasPrefix("/") else {
            throw ValidationError("--workdir '\(workdir)' must be absolute: it is a path inside ROOTFS")
        }
        guard !command.isEmpty else {
            throw ValidationError("no command given; put it after '--', as in: changerec run --rootfs DIR -- make")
        }
    }

    func run() throws {
        var request = RecordRequest(command: rawCommand(command))
        request.backend = step.backendChoice
        request.root = rawArgument(rootfs)
        request.journal = journal.map(rawArgument)
        request.force = force
        var isolation = StepIsolation()
        isolation.workingDirectory = Array(workdir.utf8)
        isolation.environment = env.map { rawArgument($0) }
        isolation.user = user
        isolation.mounts = try mount.map { (text) throws(ChangerecError) in try BindMount(parsing: rawArgument(text)) }
        request.isolation = isolation
        if let ociLayout = layerArguments.ociLayout {
            var layerRequest = RecordLayerRequest()
            layerRequest.ociLayout = ociLayout
            layerRequest.tag = layerArguments.imageTag
            layerRequest.options = layerArguments.options
            layerRequest.createdBy = createdBy
            // Appending to an image whose layers came from this root file system's journals: paths the
            // step only touches are left out, as build leaves them out.
            if let root = try? FileSystem.canonicalPath(rawArgument(rootfs)) {
                do {
                    layerRequest.stateBefore = try TreeState.recorded(
                        layout: ociLayout, tag: layerArguments.imageTag, root: root)
                } catch {
                    StandardStreams.writeError(
                        "changerec: warning: every touched path goes into the layer: the image's journals cannot be read: \(error.message)\n"
                    )
                }
            }
            request.layer = layerRequest
        }
        if !step.quiet { request.announce = { StandardStreams.writeError("changerec: \($0)\n") } }
        let outcome = try Recorder().record(request)
        try StepReport(quiet: step.quiet, json: step.json, layer: nil, layerArguments: layerArguments).finish(outcome)
    }

    static func exitStatus(for error: ChangerecError) -> Int32 { Record.exitStatus(for: error) }
}
