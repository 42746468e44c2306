import ChangerecSystem

import struct SystemPackage.Errno

/// Why the state of a path after the step could not be read: the error and what was being done.
public struct ReadFailure: Sendable, Equatable, Error {
    public var errno: Errno
    /// What failed, as a verb phrase: `open the directory holding it`, `read its content`.
    public var operation: String
    /// The object's type when its status could still be read (a file whose content could not be).
    public var type: FileType?

    public init(_ errno: Errno, _ operation: String, type: FileType? = nil) {
        self.errno = errno
        self.operation = operation
        self.type = type
    }

    /// `cannot read /PATH after the step (cannot OPERATION: STRERROR): its state is unknown`.
    public func message(for path: RelativePath) -> String {
        "cannot read \(path) after the step (cannot \(operation): \(errno.description)): its state is unknown"
    }
}
