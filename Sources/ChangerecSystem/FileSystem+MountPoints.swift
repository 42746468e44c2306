import CChangerecLinux
import Glibc
import SystemPackage

/// The calls `changerec run` makes on a root file system to give its mounts somewhere to go and to leave
/// no trace of them afterwards.
extension FileSystem {
    /// Creates an empty regular file that did not exist. The corresponding C function is `openat` with
    /// `O_CREAT | O_EXCL`.
    public static func createEmptyFile(_ name: [UInt8], in directory: FileDescriptor, mode: mode_t = 0o644)
        throws(Errno)
    {
        close(try open(name, relativeTo: directory, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode))
    }

    /// Whether this process runs with the effective user id 0.
    public static var isPrivileged: Bool { geteuid() == 0 }
}
