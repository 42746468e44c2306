import CChangerecLinux
import Glibc
import SystemPackage

/// The calls `changerec run` makes on a root file system to give its mounts somewhere to go and to leave
/// no trace of them afterwards.
extension FileSystem {
    /// Opens `path` as if `root` were `/`: absolute symbolic links and `..` resolve inside it, as they
    /// would for a process chrooted there. The corresponding C function is `openat2` with
    /// `RESOLVE_IN_ROOT`.
    public static func openInRoot(
        _ path: [UInt8], in root: FileDescriptor, _ access: FileDescriptor.AccessMode,
        options: FileDescriptor.OpenOptions = []
    ) throws(Errno) -> FileDescriptor {
        let fd = withCPath(path.isEmpty ? Array(".".utf8) : path) { cPath in
            valueOrErrno("openat2") {
                cchangerec_openat2(
                    root.rawValue, cPath, access.rawValue | options.rawValue | O_CLOEXEC, UInt64(RESOLVE_IN_ROOT))
            }
        }
        return FileDescriptor(rawValue: try fd.get())
    }

    /// Creates an empty regular file that did not exist. The corresponding C function is `openat` with
    /// `O_CREAT | O_EXCL`.
    public static func createEmptyFile(_ name: [UInt8], in directory: FileDescriptor, mode: mode_t = 0o644)
        throws(Errno)
    {
        close(try open(name, relativeTo: directory, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode))
    }

    /// Removes an empty directory. The corresponding C function is `unlinkat` with `AT_REMOVEDIR`.
    public static func removeDirectory(_ name: [UInt8], in directory: FileDescriptor) throws(Errno) {
        let rc = withCPath(name) { cPath in
            valueOrErrno("unlinkat") { unlinkat(directory.rawValue, cPath, AT_REMOVEDIR) }
        }
        _ = try rc.get()
    }

    /// Sets the modification time of `name` (not following a symbolic link), leaving its access time.
    /// The corresponding C function is `utimensat`.
    public static func setModificationTime(
        of name: [UInt8], in directory: FileDescriptor, seconds: Int64, nanoseconds: UInt32
    ) throws(Errno) {
        var times = [
            timespec(tv_sec: 0, tv_nsec: CCHANGEREC_UTIME_OMIT),
            timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds)),
        ]
        let rc = withCPath(name.isEmpty ? Array(".".utf8) : name) { cPath in
            valueOrErrno("utimensat") { utimensat(directory.rawValue, cPath, &times, AT_SYMLINK_NOFOLLOW) }
        }
        _ = try rc.get()
    }

    /// Whether this process runs with the effective user id 0.
    public static var isPrivileged: Bool { geteuid() == 0 }
}

extension FileSystem {
    /// Everything `descriptor` holds from offset 0, for small files (configuration, not content).
    public static func readAll(_ descriptor: FileDescriptor) throws(Errno) -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let chunk = try read(descriptor, count: 65536, at: Int64(bytes.count))
            if chunk.isEmpty { return bytes }
            bytes += chunk
        }
    }
}
