import ChangerecSystem
import SystemPackage

/// One step being recorded, in the stages of the pipeline, each called once and in this order:
/// ``prepare(_:root:hooks:)`` finds the command, routes the signals, creates the journal and chooses the
/// watcher; ``arm()`` reads the baseline and writes the header; ``spawn()`` starts the command; ``run()``
/// polls until it has ended; ``drain(after:)`` reads the kernel queue to empty and writes the exit record;
/// ``seal(_:after:)`` writes the final state of every path the journal names.
///
/// Until the command starts, a failure removes the journal, which then holds no step. Once it has started,
/// a failure leaves the journal as far as it got and says that it is incomplete.
final class RecordingSession {
    private let request: RecordRequest
    private let hooks: RecordTestHooks
    private let tree: WatchedTree
    private let executable: [UInt8]
    /// `changerec run`'s isolation, which starts the command.
    private let sandbox: Sandbox?
    private let writer: JournalWriter
    private let crash: CrashHook
    private let backend: WatchBackend
    /// Why this backend, for the journal header.
    private let backendReason: String
    private let tracker: ProcessTracker?
    /// The layer to write in the seal's pass, its destinations checked before anything else.
    private let layer: StepLayer?
    private var supervisor: ChildSupervisor
    /// When the step began (wall clock, nanoseconds since the epoch), for the journal header.
    private let startWall: Int64
    private var log: StepLog
    /// One line for each part of ROOT that could not be read or watched, as ``ChangeSet/gaps`` will give
    /// them from the journal: the gap notes written and the seal entries that could not be read.
    private(set) var gaps: [String] = []
    private var baseline = Baseline()
    /// Made once the baseline is read, and used for both the seal's plan and its entries.
    private lazy var sealer = SealBuilder(root: tree.descriptor, baseline: baseline, exclusions: tree.exclusions)

    /// The journal's canonical path.
    var journalPath: [UInt8] { writer.path }

    private init(
        _ request: RecordRequest, hooks: RecordTestHooks, tree: WatchedTree, executable: [UInt8],
        writer: JournalWriter, crash: CrashHook, choice: BackendChooser.Choice, supervisor: ChildSupervisor,
        layer: StepLayer?, sandbox: Sandbox?
    ) {
        self.sandbox = sandbox
        self.request = request
        self.hooks = hooks
        self.tree = tree
        self.executable = executable
        self.writer = writer
        self.crash = crash
        backend = choice.backend
        backendReason = choice.reason
        self.supervisor = supervisor
        self.layer = layer
        // Attribution matters only where the backend reports pids; the connector is opened before the
        // command starts so its fork is seen.
        tracker = backend.reportsProcesses ? ProcessTracker(recorder: ChildProcess.currentID) : nil
        startWall = Host.wallClockNanoseconds()
        log = StepLog(writer: writer, startClock: Host.monotonicNanoseconds(), tracker: tracker)
    }

    // MARK: - Stages

    /// Finds the command, routes the signals, creates the journal and chooses the watcher (fanotify marks
    /// the file systems as it is made): everything up to the baseline walk. The step's clocks start here.
    ///
    /// - Parameter root: ROOT's canonical path and a descriptor of it (``openRoot(_:)``), which the caller
    ///   keeps open until the session has ended.
    /// - Parameter sandbox: where `changerec run` starts the command: it finds the command inside ROOT,
    ///   and its mount points are not recorded.
    static func prepare(
        _ request: RecordRequest, root: (path: [UInt8], descriptor: FileDescriptor), sandbox: Sandbox?,
        hooks: RecordTestHooks
    ) throws(ChangerecError) -> RecordingSession {
        guard let program = request.command.first else {
            throw ChangerecError(.usage, "no command given; put it after '--', as in: changerec -- make install")
        }
        // In a sandbox the command is looked for inside the root file system, by the child (Sandbox.spawn).
        let executable =
            sandbox == nil ? try CommandResolver.resolve(program, searchPath: Host.environment("PATH")) : program
        let layer = try request.layer.map { (layer) throws(ChangerecError) in try StepLayer(layer) }
        let supervisor = try ChildSupervisor()
        let writer = try createJournal(request, root: root)
        let crash = CrashHook(point: hooks.crashPoint, writer: writer)
        crash.begin(.arming)
        let tree = WatchedTree(
            descriptor: root.descriptor, path: root.path,
            exclusions: exclusions(journal: writer.path, root: root.path, sandbox: sandbox))
        let choice: BackendChooser.Choice
        do {
            choice = try BackendChooser.choose(request.backend, for: tree)
        } catch {
            removeJournal(writer.path)
            throw error
        }
        if let fallback = choice.fallback { request.announce?(fallback) }
        return RecordingSession(
            request, hooks: hooks, tree: tree, executable: executable, writer: writer, crash: crash,
            choice: choice, supervisor: supervisor, layer: layer, sandbox: sandbox)
    }

    /// Arms the watcher (its watches or marks and the baseline of names, complete before it returns) and
    /// writes the journal's header.
    func arm() throws(ChangerecError) {
        do {
            let (armedBaseline, outputs) = try backend.arm()
            baseline = armedBaseline
            crash.end(.arming)
            writer.append(.header(header()))
            take(outputs)
            try writer.flush()
        } catch {
            Self.removeJournal(journalPath)
            throw error
        }
        crash.begin(.step)
    }

    /// Starts the command, with the terminal, standard streams and environment it would have without
    /// changerec.
    ///
    /// - Throws: `.commandNotExecutable` when it cannot be started; in a sandbox, `.commandNotFound` when
    ///   it is not in the root file system.
    func spawn() throws(ChangerecError) {
        // The child is started before the tracker is told: `tracker?.started(try spawn(…))` would not
        // start it at all when there is no tracker (the inotify backend).
        let child: ProcessID
        do {
            child = try supervisor.spawn(executable, arguments: request.command, in: sandbox)
        } catch {
            Self.removeJournal(journalPath)
            throw error
        }
        tracker?.started(child)
    }

    /// The step: one `poll` loop over the signals, the watcher and the process connector until the command
    /// has ended (with `--wait`, every descendant too), writing what the watcher reports as it comes.
    ///
    /// - Returns: the command's termination.
    func run() throws(ChangerecError) -> Termination {
        do throws(ChangerecError) {
            while !supervisor.isFinished(waitingForDescendants: request.waitForDescendants) {
                try pollOnce()
            }
        } catch {
            // Recording failed (a full disk, say) while the command runs: it is not abandoned. changerec
            // waits for it — signals still reach it through the process group — and then reports.
            throw incomplete(error, termination: supervisor.waitForCommand())
        }
        crash.end(.step)
        // Invariant: the loop above runs until the command's termination is known.
        return supervisor.termination ?? .exited(0)
    }

    /// Reads the kernel queue to empty, names the hard-link siblings of what changed, and writes the exit
    /// record.
    ///
    /// - Returns: what ``seal(_:after:)`` is to seal.
    func drain(after termination: Termination) throws(ChangerecError) -> SealBuilder.Plan {
        crash.begin(.drain)
        let endClock = Host.monotonicNanoseconds()
        let stragglers = request.waitForDescendants ? [] : Descendants.running(below: ChildProcess.currentID)
        do throws(ChangerecError) {
            take(try backend.finish())
            let plan = planSeal()
            writer.append(
                .exit(
                    JournalExit(
                        time: UInt64(max(0, endClock - log.startClock)), termination: termination,
                        kernelEvents: backend.kernelEventCount, writtenEvents: writer.eventCount,
                        overflowed: backend.overflowed, waited: request.waitForDescendants, stragglers: stragglers)))
            crash.end(.drain)
            return plan
        } catch {
            // The command has ended, but the journal could not be sealed (a full disk, say): say so.
            throw incomplete(error, termination: termination)
        }
    }

    /// Writes the final state of every path in `plan`, and the frame that ends the journal.
    func seal(_ plan: SealBuilder.Plan, after termination: Termination) throws(ChangerecError) {
        crash.begin(.seal)
        do throws(ChangerecError) {
            try sealer.seal(plan) { (entry) throws(ChangerecError) in try append(entry) }
            try finishSeal()
        } catch {
            throw incomplete(error, termination: termination)
        }
    }

    /// Whether ``sealWritingLayer(_:after:)`` is the last stage instead of ``seal(_:after:)``.
    var writesLayer: Bool { layer != nil }

    /// Seals the journal and writes the layer in one pass over the files: the seal reads every path's
    /// status, target and xattrs but leaves the content to the layer writer, whose digest of each file
    /// completes the entry when the file was not changed between the two (else it is read again). The
    /// journal is complete before the layer is published; it stays the source of truth, and `layer` on it
    /// later writes the same bytes. A command that failed gets no layer, and no pass is shared.
    ///
    /// - Returns: the layer, or why there is none; the journal is complete either way.
    /// - Throws: `ChangerecError` when the journal could not be completed.
    func sealWritingLayer(_ plan: SealBuilder.Plan, after termination: Termination) throws(ChangerecError)
        -> Result<LayerResult, ChangerecError>
    {
        guard let layer, termination.shellStatus == 0 else {
            try seal(plan, after: termination)
            return .failure(
                ChangerecError(.usage, "no layer written: the command exited with status \(termination.shellStatus)"))
        }
        crash.begin(.seal)
        let pending = sealer.sealDeferringContent(plan)
        var journalFailure: ChangerecError?
        var completed = false
        var sealed: [SealEntry] = []
        // Writes the seal, the digests taken from `reads`; the paths that changed meanwhile.
        func complete(_ reads: [RelativePath: ContentRead]) throws(ChangerecError) -> [RelativePath] {
            completed = true
            let (entries, changed) = sealer.complete(pending, reads: reads)
            sealed = entries
            do throws(ChangerecError) {
                for entry in entries { try append(entry) }
                try finishSeal()
            } catch {
                journalFailure = error
                throw error
            }
            return changed
        }
        let result: Result<LayerResult, ChangerecError>
        do throws(ChangerecError) {
            try writer.flush()
            let changeSet = try ChangeSet.load(journal: journalPath, sealedWith: pending.map(\.entry))
            var written = try layer.write(changeSet, tree: tree) { (written) throws(ChangerecError) in
                let changed = try complete(written.contentReads)
                guard changed.isEmpty else { throw Self.changedWhileRead(changed, root: self.tree.path) }
            }
            if var state = layer.request.stateBefore {
                state.advance(over: sealed, opaque: Set(changeSet.changes.filter(\.opaque).map(\.path)))
                written.stateAfter = state
            }
            result = .success(written)
        } catch {
            result = .failure(error)
        }
        do throws(ChangerecError) {
            if let journalFailure { throw journalFailure }
            if !completed { _ = try complete([:]) }
        } catch {
            throw incomplete(error, termination: termination)
        }
        return result
    }

    private static func changedWhileRead(_ paths: [RelativePath], root: [UInt8]) -> ChangerecError {
        let shown = paths.prefix(5).map { printable(root) + $0.description }.joined(separator: ", ")
        let more = paths.count > 5 ? " and \(paths.count - 5) more" : ""
        return ChangerecError(
            .drift,
            "no layer written: \(shown)\(more) changed while the layer was read (something still writes under ROOT); the journal is complete: run `changerec layer` on it once nothing writes there"
        )
    }

    // MARK: - Within the stages

    /// Writes what the watcher reports, keeping the lines of the gaps among it.
    private func take(_ outputs: [WatchOutput]) {
        for case .note(let note) in outputs where ChangeSet.gapNoteKinds.contains(note.kind) {
            gaps.append(note.message)
        }
        log.take(outputs)
    }

    /// Writes one seal entry, keeping its line if it could not be read.
    private func append(_ entry: SealEntry) throws(ChangerecError) {
        if let failure = entry.unreadable { gaps.append(failure.message(for: entry.path)) }
        writer.append(.seal(entry))
        if writer.sealCount % 4096 == 0 { try writer.flush() }
    }

    /// Writes the frame that ends the seal, and the journal with it.
    private func finishSeal() throws(ChangerecError) {
        crash.end(.seal)
        try writer.finish()
    }

    /// Fewer outputs than this from one read make a small batch.
    private static let smallBatch = 256

    /// One turn of the loop: waits until something is readable and handles it.
    private func pollOnce() throws(ChangerecError) {
        let readQueue = !(hooks.stallReaderUntilExit && supervisor.termination == nil)
        var descriptors = [supervisor.descriptor]
        if readQueue { descriptors.append(backend.descriptor) }
        let trackerIndex = descriptors.count
        if let fd = tracker?.descriptor { descriptors.append(fd) }
        let ready: [Bool]
        do {
            ready = try Poll.waitReadable(descriptors)
        } catch {
            throw ChangerecError.system("poll", error)
        }
        if ready[0] { try supervisor.handleSignals() }
        if readQueue && ready[1] {
            let batch = try backend.readBatch() ?? []
            take(batch)
            try writer.flush()
            // A few events at a time cost a wake-up, a poll, a read and a write each: after a small batch,
            // let the queue fill for a moment. A millisecond holds a few hundred events, far below what
            // any queue holds (inotify's 16,384 by default; fanotify's has no limit here).
            if batch.count < Self.smallBatch && supervisor.termination == nil {
                Host.pause(nanoseconds: 1_000_000)
            }
        }
        if ready.count > trackerIndex && ready[trackerIndex] { log.drainProcesses() }
    }

    /// The paths to seal. The other names of a hard-linked file changed with it, unreported: they are
    /// written as touched. Every path to be sealed counts, the insides of a directory that arrived whole
    /// (renamed, moved in) too: a linked file carried along in one keeps names elsewhere that the layer must
    /// link again.
    private func planSeal() -> SealBuilder.Plan {
        var plan = sealer.paths(named: log.table.paths, wholeDirectories: log.table.wholeDirectories)
        let siblings = sealer.hardLinkSiblings(
            of: plan.paths, reported: log.inodes, unidentified: log.unidentifiedName)
        if !siblings.isEmpty {
            log.take(siblings.map { .event(JournalEvent(.touch, $0, isSynthesized: true)) })
            // Planned again only then: the siblings bring their ancestors, and maybe replaced directories.
            plan = sealer.paths(named: log.table.paths, wholeDirectories: log.table.wholeDirectories)
        }
        return plan
    }

    private func header() -> JournalHeader {
        JournalHeader(
            root: tree.path, backend: backend.name, backendReason: backendReason, argv: request.command,
            startNanoseconds: startWall, host: Host.name(), recorderPID: ChildProcess.currentID,
            // fstat of a descriptor held open fails only on our own bug; the field is then absent.
            rootIdentity: (try? FileSystem.status(of: tree.descriptor)).map {
                JournalHeader.RootIdentity(device: $0.device, inode: $0.inode)
            })
    }

    /// `error`, saying that the command ran to its end but the journal stops short: one line, which never
    /// presents what was written as whole.
    private func incomplete(_ error: ChangerecError, termination: Termination?) -> ChangerecError {
        let status = termination.map { " (it exited with status \($0.shellStatus))" } ?? ""
        return ChangerecError(
            error.code,
            "\(error.message); the command ran to its end\(status) but journal '\(printable(journalPath))' is incomplete",
            errno: error.errno)
    }

    // MARK: - Preparing

    /// ROOT, resolved to its canonical path and opened as a directory: `request.root`, or the current
    /// directory when it is `nil`. The caller closes the descriptor.
    ///
    /// - Throws: `.notADirectory` when ROOT does not exist or is not a directory.
    static func openRoot(_ given: [UInt8]?) throws(ChangerecError) -> (path: [UInt8], descriptor: FileDescriptor) {
        let path = try canonicalRoot(given)
        do {
            return (path, try FileSystem.open(path, .readOnly, options: .directory))
        } catch {
            throw ChangerecError.system("open ROOT", path: printable(path), error)
        }
    }

    private static func canonicalRoot(_ given: [UInt8]?) throws(ChangerecError) -> [UInt8] {
        let path: [UInt8]
        do throws(Errno) {
            if let given {
                path = try FileSystem.canonicalPath(given)
            } else {
                path = try FileSystem.currentDirectory()
            }
        } catch .noSuchFileOrDirectory {
            throw ChangerecError(
                .notADirectory,
                "ROOT '\(printable(given ?? []))' does not exist; pass an existing directory with --root")
        } catch {
            throw ChangerecError.system("resolve ROOT", path: printable(given ?? []), error)
        }
        let status: FileStatus
        do {
            status = try FileSystem.status(of: path, in: .currentWorkingDirectory)
        } catch {
            throw ChangerecError.system("stat ROOT", path: printable(path), error)
        }
        guard status.type == .directory else {
            throw ChangerecError(
                .notADirectory,
                "ROOT '\(printable(given ?? path))' is not a directory; pass a directory (--root, or --rootfs for run and build)"
            )
        }
        return path
    }

    /// Creates the journal and writes what it holds before anything is armed.
    private static func createJournal(
        _ request: RecordRequest, root: (path: [UInt8], descriptor: FileDescriptor)
    ) throws(ChangerecError) -> JournalWriter {
        let (descriptor, path) = try JournalLocation.create(
            explicit: request.journal, root: root.path, rootDescriptor: root.descriptor, force: request.force)
        let writer = JournalWriter(descriptor: descriptor, path: path)
        do {
            try writer.flush()
        } catch {
            removeJournal(path)
            throw error
        }
        return writer
    }

    /// What is never recorded: changerec's own directory, the journal wherever it is below ROOT, the
    /// pseudo file systems mounted below ROOT, and a sandbox's mount points.
    private static func exclusions(journal: [UInt8], root: [UInt8], sandbox: Sandbox?) -> Exclusions {
        var excluded = [RelativePath(trusted: JournalLocation.directoryName)]
        if let inside = JournalLocation.relative(journal, below: root) { excluded.append(inside) }
        excluded += PseudoFileSystems.mountPoints(under: root)
        excluded += sandbox?.excluded ?? []
        return Exclusions(excluded)
    }

    private static func removeJournal(_ path: [UInt8]) {
        try? FileSystem.unlink(path)
    }
}
