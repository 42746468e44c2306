import ChangerecSystem

/// `changerec build`: carries out a ``BuildPlan`` in a root file system and an OCI layout. FROM applies
/// the base image's layers to the root file system and starts the tag from its config; each RUN, COPY
/// and ADD is one recorded step whose layer comes from its journal (in `ROOTFS/.changerec/`); every
/// other instruction changes the config, with a history entry and no layer.
public struct ImageBuild {
    private let request: ImageBuildRequest
    private let plan: BuildPlan
    private let layout: OCILayout

    /// What a finished build made.
    public struct Outcome: Sendable {
        /// The manifest the tag names at the end.
        public var manifestDigest: String
        /// The journals of the recorded steps, in order.
        public var journals: [[UInt8]]
    }

    /// Plans the build (every refusal it can make before a step runs) and opens the layout.
    public init(_ request: ImageBuildRequest) throws(ChangerecError) {
        self.request = request
        try Self.checkPrivileges()
        plan = try BuildPlan(
            request.containerfile, arguments: request.buildArguments, context: request.context)
        layout = try OCILayout(path: request.layout)
        for name in plan.unusedArguments {
            request.announce("changerec: warning: --build-arg \(name) is not used by any ARG")
        }
    }

    /// Refuses to start without root: applying a base image (owners, device nodes) and every RUN need it.
    public static func checkPrivileges() throws(ChangerecError) {
        guard FileSystem.isPrivileged else {
            throw ChangerecError(
                .usage,
                "changerec build needs root: its steps run in a mount namespace and chroot, and a base image's owners and devices need it; run it with sudo"
            )
        }
    }

    /// Runs every step in order; the first that fails ends the build.
    ///
    /// - Throws: `ChangerecError` naming the instruction's file and line: a step that exited with a
    ///   status other than 0 (``ImageBuild/stepFailed(_:termination:)``), a layer that could not be
    ///   written, a base image that could not be applied.
    public func run() throws(ChangerecError) -> Outcome {
        var manifest = ""
        var journals: [[UInt8]] = []
        // Every path's state before the next step, for layers without entries a step only touched.
        var tree = TreeState()
        let count = plan.steps.count
        for (number, step) in plan.steps.enumerated() {
            let instruction = step.instruction
            request.announce("STEP \(number + 1)/\(count): \(instruction.text)")
            switch instruction.operation {
            case .from:
                (manifest, tree) = try start(from: plan.base, instruction: instruction)
            case .run(let form):
                let command = commandLine(form, shell: step.shell).map { Array($0.utf8) }
                var isolation = StepIsolation()
                isolation.workingDirectory = Array(step.workingDirectory.utf8)
                isolation.environment = step.environment.map { Array($0.utf8) }
                isolation.user = step.user
                let recorded = try record(command, isolation: isolation, instruction: instruction, tree: &tree)
                manifest = recorded.manifest
                journals.append(recorded.journal)
            case .copy(let copy), .add(let copy):
                let extracts = if case .add = instruction.operation { true } else { false }
                let recorded = try record(
                    copyCommand(copy, step: step, extractingArchives: extracts), isolation: nil,
                    instruction: instruction, tree: &tree)
                manifest = recorded.manifest
                journals.append(recorded.journal)
            case .arg:
                continue
            default:
                manifest = try updateConfig(instruction, step: step)
            }
        }
        return Outcome(manifestDigest: manifest, journals: journals)
    }

    /// The error for a step whose command failed: its status is the build's.
    public static func stepFailed(_ instruction: BuildInstruction, termination: Termination) -> ChangerecError {
        let how =
            switch termination {
            case .exited(let code): "exited with status \(code)"
            case .signaled(let signal): "was killed by signal \(signal)"
            }
        return ChangerecError(
            .usage, "\(instruction.file):\(instruction.line): \(instruction.keyword) \(how); no layer was added")
    }

    // MARK: - Steps

    /// FROM: the tag starts as the base image (or as nothing), and the root file system holds its tree.
    private func start(from base: OCIImage?, instruction: BuildInstruction) throws(ChangerecError) -> (
        String, TreeState
    ) {
        guard let base else {
            let manifest = try layout.setImage(
                tag: request.tag, config: OCIImageConfig(architecture: Host.ociArchitecture()), layers: [],
                source: nil)
            return (manifest, TreeState())
        }
        let tree: TreeState
        do {
            tree = try ImageApplier.apply(base, to: request.rootfs)
        } catch {
            throw located(error, instruction)
        }
        let manifest = try layout.setImage(tag: request.tag, config: base.config, layers: base.layers, source: base)
        return (manifest, tree)
    }

    /// One recorded step and its layer, left without the paths it only touched (`tree`, brought forward
    /// over the step).
    private func record(
        _ command: [[UInt8]], isolation: StepIsolation?, instruction: BuildInstruction, tree: inout TreeState
    ) throws(ChangerecError) -> (manifest: String, journal: [UInt8]) {
        var recording = RecordRequest(command: command)
        recording.root = request.rootfs
        recording.backend = request.backend
        recording.isolation = isolation
        recording.announce = { [announce = request.announce] in announce("changerec: \($0)") }
        var layer = RecordLayerRequest()
        layer.ociLayout = request.layout
        layer.tag = request.tag
        layer.createdBy = instruction.text
        layer.options = request.layerOptions
        layer.stateBefore = tree
        recording.layer = layer
        let outcome: RecordOutcome
        do {
            outcome = try Recorder().record(recording)
        } catch {
            throw located(error, instruction)
        }
        guard outcome.termination == .exited(0) else {
            throw Self.stepFailed(instruction, termination: outcome.termination)
        }
        switch outcome.layer {
        case .success(let written)?:
            request.announce(
                "--> layer \(written.digest): \(written.entries) entries, journal \(printable(outcome.journal))")
            guard let manifest = written.manifestDigest else {
                throw ChangerecError(.system, "\(instruction.file):\(instruction.line): the layer went into no image")
            }
            // Invariant: a layer written with `stateBefore` comes back with `stateAfter`.
            guard let after = written.stateAfter else { preconditionFailure("a layer without its state after") }
            tree = after
            return (manifest, outcome.journal)
        case .failure(let error)?:
            throw located(error, instruction)
        case nil:
            throw ChangerecError(.system, "\(instruction.file):\(instruction.line): no layer was written")
        }
    }

    private func updateConfig(_ instruction: BuildInstruction, step: BuildPlan.Step) throws(ChangerecError)
        -> String
    {
        let created = Timestamp.iso8601(
            nanoseconds: LayerHistory.clamped(Host.wallClockNanoseconds(), to: request.layerOptions.sourceDateEpoch))
        return try layout.updateConfig(tag: request.tag, created: created, createdBy: instruction.text) { config in
            switch instruction.operation {
            case .env(let pairs):
                for pair in pairs { config.setEnvironment(pair.key, pair.value) }
            case .label(let pairs):
                for pair in pairs { config.setLabel(pair.key, pair.value) }
            case .expose(let ports):
                for port in ports { config.expose(port) }
            case .workdir:
                config.setText("WorkingDir", step.workingDirectory)
            case .user(let user):
                config.setText("User", user)
            case .stopSignal(let signal):
                config.setText("StopSignal", signal)
            case .shell(let shell):
                config.setWords("Shell", shell)
            case .cmd(let form):
                config.setWords("Cmd", commandLine(form, shell: step.shell))
            case .entrypoint(let form):
                config.setWords("Entrypoint", commandLine(form, shell: step.shell))
                // As Docker does: an ENTRYPOINT drops a CMD set before it (the base image's included).
                config.setWords("Cmd", nil)
            default:
                break
            }
        }
    }

    /// Shell form runs through SHELL (`/bin/sh -c TEXT`); exec form as written.
    private func commandLine(_ form: CommandForm, shell: [String]) -> [String] {
        switch form {
        case .shell(let text): shell + [text]
        case .exec(let words): words
        }
    }

    /// COPY and ADD: changerec's own `copy-into`, recorded like any other step; ADD extracts archives.
    /// The context and rootfs go as the bytes they are: a path need not be UTF-8.
    private func copyCommand(_ copy: CopyOperation, step: BuildPlan.Step, extractingArchives: Bool) -> [[UInt8]] {
        var arguments = ["--destination", copy.destination, "--workdir", step.workingDirectory]
        if let chown = copy.chown { arguments += ["--chown", chown] }
        if let chmod = copy.chmod { arguments += ["--chmod", chmod] }
        if extractingArchives { arguments.append("--extract-archives") }
        arguments += ["--"] + copy.sources
        return request.copyCommand + [Array("--context".utf8), request.context, Array("--rootfs".utf8), request.rootfs]
            + arguments.map { Array($0.utf8) }
    }

    private func located(_ error: ChangerecError, _ instruction: BuildInstruction) -> ChangerecError {
        ChangerecError(
            error.code, "\(instruction.file):\(instruction.line): \(instruction.keyword): \(error.message)",
            errno: error.errno)
    }
}
