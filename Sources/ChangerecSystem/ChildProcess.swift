import CChangerecLinux
import Glibc
import SystemPackage

/// Starting, signalling and reaping the recorded command and its descendants.
public enum ChildProcess {
    /// Makes this process the reaper of its orphaned descendants, so a step's background processes stay
    /// visible after the command exits. The corresponding C function is `prctl(PR_SET_CHILD_SUBREAPER)`.
    public static func becomeSubreaper() throws(Errno) {
        _ = try valueOrErrno("prctl") { cchangerec_set_child_subreaper() }.get()
    }

    /// Starts `executable` with `arguments` (argv[0] included) and this process's environment, the
    /// signals in `defaultSignals` restored to their default action and the signal mask emptied, so the
    /// child does not inherit the mask changerec uses for its signalfd. Standard streams, terminal and
    /// process group are inherited. The corresponding C function is `posix_spawn`.
    public static func spawn(executable: [UInt8], arguments: [[UInt8]], defaultSignals: [Signal]) throws(Errno)
        -> ProcessID
    {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        let attrRC = defaultSignals.map(\.rawValue).withUnsafeBufferPointer { signals in
            cchangerec_spawnattr_reset_signals(&attributes, signals.baseAddress, Int32(signals.count))
        }
        if attrRC != 0 { throw Errno(rawValue: attrRC) }

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { argument in
            withCPath(argument) { strdup($0) }
        }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }

        var pid: pid_t = 0
        let rc = withCPath(executable) { cPath in
            argv.withUnsafeMutableBufferPointer { argvBuffer in
                // Invariant: argv holds at least its terminating nil, so the buffer has an address.
                guard let base = argvBuffer.baseAddress else { return EINVAL }
                return posix_spawn(&pid, cPath, nil, &attributes, base, cchangerec_environ())
            }
        }
        if rc != 0 { throw Errno(rawValue: rc) }
        return pid
    }

    /// Reaps one child that has ended, without blocking; `nil` when none has.
    /// `pid` -1 means any child. The corresponding C function is `waitpid` with `WNOHANG`.
    public static func reapIfEnded(_ pid: pid_t = -1) throws(Errno) -> (pid: pid_t, termination: Termination)? {
        var status: Int32 = 0
        let result = try valueOrErrno("waitpid") { waitpid(pid, &status, WNOHANG) }.get()
        if result == 0 { return nil }
        return (result, Termination(waitStatus: status))
    }

    /// Waits for any child to end. Returns `nil` when there are no children left (`ECHILD`).
    public static func reapAny() throws(Errno) -> (pid: pid_t, termination: Termination)? {
        var status: Int32 = 0
        switch valueOrErrno("waitpid", { waitpid(-1, &status, 0) }) {
        case .success(let pid): return (pid, Termination(waitStatus: status))
        case .failure(.noChildProcess): return nil
        case .failure(let error): throw error
        }
    }

    /// Whether this process has a child that is still running, without reaping any: what a subreaper can
    /// tell of its stragglers without `/proc`. The corresponding C function is `waitid` with
    /// `WEXITED | WNOHANG | WNOWAIT`.
    public static func hasRunningChild() -> Bool {
        var info = siginfo_t()
        // 0 with no pid filled in: children exist and none has ended. An ended one (a zombie) says
        // nothing of the others, so it counts as running: a straggler reported is better than one missed.
        return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0
    }

    /// Sends `signal` to `pid`; a process that is already gone is not an error.
    /// The corresponding C function is `kill`.
    public static func send(_ signal: Signal, to pid: ProcessID) {
        _ = Glibc.kill(pid, signal.rawValue)
    }

    /// This process's id.
    public static var currentID: pid_t { getpid() }
}
