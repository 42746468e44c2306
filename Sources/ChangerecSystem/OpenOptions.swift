import CChangerecLinux
import Glibc
import SystemPackage

extension FileDescriptor {
    /// The current working directory, as the directory argument of a descriptor-relative call
    /// (`AT_FDCWD`): a relative path then resolves as the plain call would resolve it.
    public static var currentWorkingDirectory: FileDescriptor { FileDescriptor(rawValue: AT_FDCWD) }
}

extension FileDescriptor.OpenOptions {
    /// `O_PATH`: a descriptor that locates an object without opening it for reading or writing (no open
    /// event reaches a watcher, no permission is needed, a device or fifo is not touched), enough for
    /// `fstat` and as the directory of `*at` calls.
    public static var locateOnly: Self { Self(rawValue: CCHANGEREC_O_PATH) }

    /// `O_NOCTTY`: opening a terminal device does not make it this process's controlling terminal.
    public static var noControllingTerminal: Self { Self(rawValue: O_NOCTTY) }
}

/// The permission bits a created file gets before the umask: `rw-r--r--`, the usual default.
extension FilePermissions {
    public static var regularFileDefault: FilePermissions { [.ownerReadWrite, .groupRead, .otherRead] }
}
