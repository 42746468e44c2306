import CChangerecLinux

/// How a child process ended.
public enum Termination: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)

    /// The shell's convention: the exit code, or 128 + N for a process killed by signal N.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    init(waitStatus status: Int32) {
        if cchangerec_wifsignaled(status) != 0 {
            self = .signaled(cchangerec_wtermsig(status))
        } else {
            self = .exited(cchangerec_wexitstatus(status))
        }
    }
}
