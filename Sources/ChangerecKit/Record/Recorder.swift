import ChangerecSystem
import SystemPackage

/// Records one step: arms the watcher on ROOT, runs the command, drains the kernel queue once it has
/// ended, and seals the journal with the final state of every path it names.
///
/// One thread, one `poll` loop over the watcher's descriptor and a signalfd. The signalfd carries the
/// signals to forward and SIGCHLD (changerec is the step's subreaper, so orphaned descendants become
/// its children and are reaped here too).
public struct Recorder {
    /// Signals forwarded to the command. A terminal's Ctrl-C already reaches the command through the
    /// shared process group; only signals sent to changerec alone (`kill PID`) are forwarded.
    static let forwardedSignals: [Signal] = [.interrupt, .terminate, .hangup, .quit]

    public init() {}

    /// - Returns: the command's termination, the journal's path and the folded change set. A failing
    ///   command is a result, not an error.
    /// - Throws: `ChangerecError` when the step cannot be recorded: ROOT missing or not a directory,
    ///   command not found (`.commandNotFound`) or not executable, the watch limit, a journal write error.
    public func record(_ request: RecordRequest) throws(ChangerecError) -> RecordOutcome {
        let rootPath = try canonicalRoot(request.root)
        let rootFD: FileDescriptor
        do {
            rootFD = try FileSystem.open(rootPath, .readOnly, options: .directory)
        } catch {
            throw ChangerecError.system("open ROOT", path: printable(rootPath), error)
        }
        defer { FileSystem.close(rootFD) }
        guard let program = request.command.first else {
            throw ChangerecError(.usage, "no command given; put it after '--', as in: changerec -- make install")
        }
        let executable = try CommandResolver.resolve(program, searchPath: Host.environment("PATH"))

        let signals: SignalDescriptor
        do {
            signals = try SignalDescriptor(signals: Self.forwardedSignals + [.childChanged])
            try ChildProcess.becomeSubreaper()
        } catch {
            throw ChangerecError.system("set up signal handling", error)
        }

        let (journalFD, journalPath) = try JournalLocation.create(
            explicit: request.journal, root: rootPath, rootDescriptor: rootFD, force: request.force)
        let writer = JournalWriter(descriptor: journalFD, path: journalPath)
        let crash = CrashHook(point: request.crashPoint, writer: writer)
        do {
            try writer.flush()
        } catch {
            removeJournal(journalPath)
            throw error
        }
        crash.begin(.arming)
        var excluded = [RelativePath(trusted: JournalLocation.directoryName)]
        if let inside = JournalLocation.relative(journalPath, below: rootPath) { excluded.append(inside) }
        excluded += PseudoFileSystems.mountPoints(under: rootPath)
        let exclusions = Exclusions(excluded)

        let choice: BackendChooser.Choice
        do {
            choice = try BackendChooser.choose(
                request.backend, root: rootFD, rootPath: rootPath, exclusions: exclusions)
        } catch {
            removeJournal(journalPath)
            throw error
        }
        let backend = choice.backend
        if let fallback = choice.fallback { request.announce?(fallback) }

        // Attribution matters only where the backend reports pids; the connector is opened before the
        // command starts so its fork is seen.
        let tracker = backend.reportsProcesses ? ProcessTracker(recorder: ChildProcess.currentID) : nil

        let startWall = Host.wallClockNanoseconds()
        let startClock = Host.monotonicNanoseconds()
        var log = StepLog(writer: writer, startClock: startClock, tracker: tracker)
        let baseline: Baseline
        do {
            let (armedBaseline, armOutputs) = try backend.arm()
            baseline = armedBaseline
            crash.end(.arming)
            writer.append(
                .header(
                    JournalHeader(
                        root: rootPath, backend: backend.name, backendReason: choice.reason, argv: request.command,
                        startNanoseconds: startWall, host: Host.name(), recorderPID: ChildProcess.currentID,
                        // fstat of a descriptor held open fails only on our own bug; the field is then absent.
                        rootIdentity: (try? FileSystem.status(of: rootFD)).map {
                            JournalHeader.RootIdentity(device: $0.device, inode: $0.inode)
                        })))
            log.take(armOutputs)
            try writer.flush()
        } catch {
            removeJournal(journalPath)
            throw error
        }
        crash.begin(.step)

        let child: ProcessID
        do {
            child = try ChildProcess.spawn(
                executable: executable, arguments: request.command,
                defaultSignals: Self.forwardedSignals + [.childChanged, .brokenPipe])
            tracker?.started(child)
        } catch {
            removeJournal(journalPath)
            throw ChangerecError(
                .commandNotExecutable, "cannot execute '\(printable(program))': \(error)", errno: error)
        }

        var termination: Termination?
        var childrenRemain = true
        do throws(ChangerecError) {
            while termination == nil || (request.waitForDescendants && childrenRemain) {
                let readQueue = !(request.stallReaderUntilExit && termination == nil)
                var descriptors = [signals.descriptor]
                if readQueue { descriptors.append(backend.descriptor) }
                let trackerIndex = descriptors.count
                if let fd = tracker?.descriptor { descriptors.append(fd) }
                let ready: [Bool]
                do {
                    ready = try Poll.waitReadable(descriptors)
                } catch {
                    throw ChangerecError.system("poll", error)
                }
                if ready[0] {
                    let deliveries: [SignalDescriptor.Delivery]
                    do { deliveries = try signals.readAvailable() } catch {
                        throw ChangerecError.system("read signals", error)
                    }
                    for delivery in deliveries {
                        if delivery.signal == .childChanged {
                            while true {
                                let reaped: (pid: ProcessID, termination: Termination)?
                                do { reaped = try ChildProcess.reapIfEnded() } catch {
                                    childrenRemain = false
                                    break
                                }
                                guard let reaped else { break }
                                if reaped.pid == child { termination = reaped.termination }
                            }
                        } else if !delivery.sentByKernel {
                            // SI_KERNEL marks a terminal's signal, which the command's process group got too.
                            if termination == nil {
                                ChildProcess.send(delivery.signal, to: child)
                            } else {
                                // Waiting for descendants: the command is reaped and its pid may be reused.
                                for straggler in Descendants.running(below: ChildProcess.currentID) {
                                    ChildProcess.send(delivery.signal, to: straggler.pid)
                                }
                            }
                        }

                    }
                }
                if readQueue && ready[1] {
                    log.take(try backend.readBatch() ?? [])
                    try writer.flush()
                }
                if ready.count > trackerIndex && ready[trackerIndex] {
                    log.drainProcesses()
                }
            }
        } catch {
            // Recording failed (a full disk, say) while the command runs: it is not abandoned. changerec
            // waits for it — signals still reach it through the process group — and then reports.
            while termination == nil, let reaped = try? ChildProcess.reapAny() {
                if reaped.pid == child { termination = reaped.termination }
            }
            throw incomplete(error, termination: termination, journal: journalPath)
        }
        crash.end(.step)
        crash.begin(.drain)
        let endClock = Host.monotonicNanoseconds()
        let stragglers = request.waitForDescendants ? [] : Descendants.running(below: ChildProcess.currentID)
        // Invariant: the loop above runs until `termination` is set.
        let ended = termination ?? .exited(0)
        let exit: JournalExit
        do throws(ChangerecError) {
            log.take(try backend.finish())
            let sealer = SealBuilder(root: rootFD, baseline: baseline, exclusions: exclusions)
            // The other names of a hard-linked file changed with it, unreported: say they were touched. Every
            // path to be sealed counts, the insides of a directory that arrived whole (renamed, moved in)
            // too: a linked file carried along in one keeps names elsewhere that the layer must link again.
            var plan = sealer.paths(named: log.table.paths, wholeDirectories: log.table.wholeDirectories)
            let siblings = sealer.hardLinkSiblings(
                of: Set(plan.paths), reported: log.inodes, unidentified: log.unidentifiedName)
            if !siblings.isEmpty {
                log.take(siblings.map { .event(JournalEvent(.touch, $0, isSynthesized: true)) })
                // Planned again only then: the siblings bring their ancestors, and maybe replaced directories.
                plan = sealer.paths(named: log.table.paths, wholeDirectories: log.table.wholeDirectories)
            }
            exit = JournalExit(
                time: UInt64(max(0, endClock - startClock)), termination: ended,
                kernelEvents: backend.kernelEventCount, writtenEvents: writer.eventCount,
                overflowed: backend.overflowed, waited: request.waitForDescendants, stragglers: stragglers)
            writer.append(.exit(exit))
            crash.end(.drain)
            crash.begin(.seal)
            try sealer.seal(plan) { (entry) throws(ChangerecError) in
                writer.append(.seal(entry))
                if writer.sealCount % 4096 == 0 { try writer.flush() }
            }
            crash.end(.seal)
            try writer.finish()
        } catch {
            // The command has ended, but the journal could not be sealed (a full disk, say): say so.
            throw incomplete(error, termination: ended, journal: journalPath)
        }

        let changeSet = try ChangeSet.load(journal: journalPath)
        return RecordOutcome(termination: ended, changeSet: changeSet)
    }

    private func canonicalRoot(_ given: [UInt8]?) throws(ChangerecError) -> [UInt8] {
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
                .notADirectory, "ROOT '\(printable(given ?? path))' is not a directory; pass a directory with --root")
        }
        return path
    }

    /// `error`, saying that the command ran to its end but the journal stops short: one line, which never
    /// presents what was written as whole.
    private func incomplete(_ error: ChangerecError, termination: Termination?, journal: [UInt8]) -> ChangerecError {
        let status = termination.map { " (it exited with status \($0.shellStatus))" } ?? ""
        return ChangerecError(
            error.code,
            "\(error.message); the command ran to its end\(status) but journal '\(printable(journal))' is incomplete",
            errno: error.errno)
    }

    private func removeJournal(_ path: [UInt8]) {
        try? FileSystem.unlink(path)
    }
}

/// Writes what the backend reports, coalescing repeats and stamping times.
private struct StepLog {
    let writer: JournalWriter
    let startClock: Int64
    let tracker: ProcessTracker?
    var table = PathTable()
    /// Inodes reached through names the baseline cannot vouch for, and whether some name's inode could not
    /// be learnt: for the other names of hard-linked inodes.
    var inodes: Set<FileIdentity> = []
    var unidentifiedName = false

    /// Reads the process events queued now, so the processes behind the next batch are known.
    mutating func drainProcesses() {
        guard let note = tracker?.drain() else { return }
        take([.note(note)])
    }

    mutating func take(_ outputs: [WatchOutput]) {
        // Every process behind these events forked before they were queued: read its fork first.
        drainProcesses()
        let now = UInt64(max(0, Host.monotonicNanoseconds() - startClock))
        for output in outputs {
            switch output {
            case .event(var event):
                if let tracker, event.pid != 0 {
                    if let process = tracker.announce(event.pid) { writer.append(.process(process)) }
                    event.isForeign = !tracker.isStep(event.pid)
                }
                guard table.admit(event) else { continue }
                event.time = now
                writer.append(.event(event))

            case .processName(let pid, let name):
                tracker?.executed(pid, name: name)
            case .inode(let identity):
                inodes.insert(identity)
            case .unidentifiedName:
                unidentifiedName = true
            case .note(var note):

                note.time = now
                writer.append(.note(note))
            }
        }
    }
}

/// The ``RecordRequest/crashPoint`` test hook: kills the recorder once the journal has grown by the
/// chosen number of bytes in the chosen phase, or at the end of that phase.
private struct CrashHook {
    let point: CrashPoint?
    let writer: JournalWriter

    func begin(_ phase: CrashPoint.Phase) {
        guard let point, point.phase == phase else { return }
        writer.crash(afterMoreBytes: point.bytes)
    }

    /// Kills the recorder at the end of `phase`, after writing what the phase buffered (the last flush it
    /// could have made). Arming buffers nothing of its own: what is on disk then is what a crash leaves.
    func end(_ phase: CrashPoint.Phase) {
        guard let point, point.phase == phase else { return }
        if phase != .arming { try? writer.flush() }
        writer.crashNow()
    }
}
