import SystemPackage

/// The one error changerec reports: what went wrong, with which thing, and what to do about it.
///
/// Its `description` is a single line written for the person at the terminal, for example
/// `cannot watch '/srv/root': fs.inotify.max_user_watches (8192) is exhausted; raise it with sysctl`.
public struct ChangerecError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of failure this is; the CLI maps codes to exit statuses.
    public enum Code: String, Sendable {
        case system
        case usage
        case notADirectory
        case commandNotFound
        case commandNotExecutable
        case watchLimit
        case backendUnavailable
        case drift
        case unsafePath

        case journalNotFound
        case journalUnreadable
        case journalDamaged
        case journalIncomplete
    }

    public var code: Code
    /// One line naming the thing and, where the user can act, what to do.
    public var message: String
    /// The kernel's answer, when a system call failed.
    public var errno: Errno?

    public init(_ code: Code, _ message: String, errno: Errno? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    /// A failed system call on `path`, described as `cannot OPERATION 'PATH': STRERROR`.
    public static func system(_ operation: String, path: String? = nil, _ errno: Errno) -> ChangerecError {
        let subject = path.map { " '\($0)'" } ?? ""
        return ChangerecError(.system, "cannot \(operation)\(subject): \(errno.description)", errno: errno)
    }

    public var description: String { message }
}
