import Glibc

/// A signal number, named for what it means rather than by its C macro.
public struct Signal: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `SIGINT`: the terminal's interrupt key.
    public static let interrupt = Signal(rawValue: SIGINT)
    /// `SIGTERM`: a polite request to end.
    public static let terminate = Signal(rawValue: SIGTERM)
    /// `SIGHUP`: the terminal went away.
    public static let hangup = Signal(rawValue: SIGHUP)
    /// `SIGQUIT`: the terminal's quit key.
    public static let quit = Signal(rawValue: SIGQUIT)
    /// `SIGCHLD`: a child process changed state.
    public static let childChanged = Signal(rawValue: SIGCHLD)
    /// `SIGPIPE`: a write to a pipe nobody reads.
    public static let brokenPipe = Signal(rawValue: SIGPIPE)
    /// `SIGKILL`: ends a process; it cannot be caught.
    public static let kill = Signal(rawValue: SIGKILL)
}

/// A process id (`pid_t`).
public typealias ProcessID = pid_t
