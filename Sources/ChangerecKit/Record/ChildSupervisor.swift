import ChangerecSystem
import SystemPackage

/// changerec as the command's parent and the step's subreaper: starts the command, forwards the signals
/// sent to changerec alone, reaps every child that ends (orphaned descendants become changerec's
/// children), and tells when the command, and with `--wait` every descendant, has ended.
///
/// Signals arrive through a signalfd, so the recorder's one `poll` loop sees them in order with the
/// watcher's events; the supervisor is told when its ``descriptor`` is readable.
struct ChildSupervisor {
    /// Signals forwarded to the command. A terminal's Ctrl-C already reaches the command through the
    /// shared process group; only signals sent to changerec alone (`kill PID`) are forwarded.
    static let forwardedSignals: [Signal] = [.interrupt, .terminate, .hangup, .quit]

    private let signals: SignalDescriptor
    /// The command, once started.
    private var command: ProcessID?
    /// The command's termination, once it has been reaped.
    private(set) var termination: Termination?
    /// Whether changerec may still have children (the command, or descendants reparented to it).
    private var childrenRemain = true

    /// Routes the forwarded signals and SIGCHLD to a descriptor and makes changerec the subreaper of what
    /// it starts.
    ///
    /// - Throws: `ChangerecError` when either cannot be set up.
    init() throws(ChangerecError) {
        do {
            signals = try SignalDescriptor(signals: Self.forwardedSignals + [.childChanged])
            try ChildProcess.becomeSubreaper()
        } catch {
            throw ChangerecError.system("set up signal handling", error)
        }
    }

    /// Readable when signals are pending: hand them to ``handleSignals()``.
    var descriptor: FileDescriptor { signals.descriptor }

    /// Starts the command, with the signals changerec blocks or routes back at their defaults: as it is,
    /// or in `sandbox` (`changerec run`), which finds it inside the root file system.
    mutating func spawn(_ executable: [UInt8], arguments: [[UInt8]], in sandbox: Sandbox?) throws(ChangerecError)
        -> ProcessID
    {
        let signals = Self.forwardedSignals + [.childChanged, .brokenPipe]
        let child: ProcessID
        if let sandbox {
            child = try sandbox.spawn(executable, arguments: arguments, defaultSignals: signals)
        } else {
            do {
                child = try ChildProcess.spawn(executable: executable, arguments: arguments, defaultSignals: signals)
            } catch {
                throw ChangerecError(
                    .commandNotExecutable, "cannot execute '\(printable(arguments.first ?? []))': \(error)",
                    errno: error)
            }
        }
        command = child
        return child
    }

    /// Whether the loop is done: the command has ended and, when `waitingForDescendants`, changerec has
    /// no child left.
    func isFinished(waitingForDescendants: Bool) -> Bool {
        termination != nil && !(waitingForDescendants && childrenRemain)
    }

    /// Reads the pending signals: reaps on SIGCHLD, forwards the others.
    mutating func handleSignals() throws(ChangerecError) {
        let deliveries: [SignalDescriptor.Delivery]
        do { deliveries = try signals.readAvailable() } catch {
            throw ChangerecError.system("read signals", error)
        }
        for delivery in deliveries {
            if delivery.signal == .childChanged {
                reapEnded()
            } else if !delivery.sentByKernel {
                // SI_KERNEL marks a terminal's signal, which the command's process group got too.
                forward(delivery.signal)
            }
        }
    }

    /// Recording failed while the command runs: waits for it to end, as signals still reach it through the
    /// process group. Its termination, or `nil` when it cannot be learnt.
    mutating func waitForCommand() -> Termination? {
        while termination == nil, let reaped = try? ChildProcess.reapAny() {
            if reaped.pid == command { termination = reaped.termination }
        }
        return termination
    }

    /// Reaps every child that has ended; one SIGCHLD may stand for several.
    private mutating func reapEnded() {
        while true {
            let reaped: (pid: ProcessID, termination: Termination)?
            do { reaped = try ChildProcess.reapIfEnded() } catch {
                // ECHILD in practice: no child is left at all.
                childrenRemain = false
                return
            }
            guard let reaped else { return }
            if reaped.pid == command { termination = reaped.termination }
        }
    }

    private func forward(_ signal: Signal) {
        guard let command else { return }
        if termination == nil {
            ChildProcess.send(signal, to: command)
        } else {
            // Waiting for descendants: the command is reaped and its pid may be reused.
            for straggler in Descendants.running(below: ChildProcess.currentID) {
                ChildProcess.send(signal, to: straggler.pid)
            }
        }
    }
}
