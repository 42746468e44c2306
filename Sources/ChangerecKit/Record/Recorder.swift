import ChangerecSystem
import SystemPackage

/// Records one step: arms the watcher on ROOT, runs the command, drains the kernel queue once it has
/// ended, and seals the journal with the final state of every path it names.
///
/// One thread, one `poll` loop over the watcher's descriptor and a signalfd. The signalfd carries the
/// signals to forward and SIGCHLD (changerec is the step's subreaper, so orphaned descendants become
/// its children and are reaped here too). The stages are ``RecordingSession``'s; the signals and the
/// reaping are ``ChildSupervisor``'s.
public struct Recorder {
    private let hooks: RecordTestHooks

    /// A recorder with the test hooks the environment asks for (none, outside the project's own tests).
    public init() {
        self.init(hooks: .fromEnvironment())
    }

    init(hooks: RecordTestHooks) {
        self.hooks = hooks
    }

    /// - Returns: the command's termination and the journal's path; fold the journal
    ///   (``ChangeSet/load(journal:)``) for the change set. A failing command is a result, not an error.
    /// - Throws: `ChangerecError` when the step cannot be recorded: ROOT missing or not a directory,
    ///   command not found (`.commandNotFound`) or not executable, the watch limit, a journal write error.
    public func record(_ request: RecordRequest) throws(ChangerecError) -> RecordOutcome {
        let root = try RecordingSession.openRoot(request.root)
        defer { FileSystem.close(root.descriptor) }
        guard let isolation = request.isolation else { return try record(request, root: root, sandbox: nil) }
        let sandbox = try Sandbox(isolation, root: root, announce: request.announce)
        // The mount points go whatever happened: after the seal and the layer, which never see them.
        defer { for problem in sandbox.removeMountPoints() { request.announce?(problem) } }
        return try record(request, root: root, sandbox: sandbox)
    }

    private func record(
        _ request: RecordRequest, root: (path: [UInt8], descriptor: FileDescriptor), sandbox: Sandbox?
    ) throws(ChangerecError) -> RecordOutcome {
        let session = try RecordingSession.prepare(request, root: root, sandbox: sandbox, hooks: hooks)
        try session.arm()
        try session.spawn()
        let termination = try session.run()
        let plan = try session.drain(after: termination)
        guard session.writesLayer else {
            try session.seal(plan, after: termination)
            return RecordOutcome(termination: termination, journal: session.journalPath, gaps: session.gaps)
        }
        let layer = try session.sealWritingLayer(plan, after: termination)
        return RecordOutcome(termination: termination, journal: session.journalPath, gaps: session.gaps, layer: layer)
    }
}
