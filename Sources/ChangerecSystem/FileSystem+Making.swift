import CChangerecLinux
import Glibc
import SystemPackage

/// What making a tree from an archive needs: opening a directory as if the tree were the root file
/// system, making each kind of object, and setting its owner, mode and times without following a final
/// symbolic link. Every name is one component in an open directory.
extension FileSystem {
    /// Opens `path` as if `root` were the root file system: an absolute symbolic link on the way
    /// resolves from `root`, and `..` never climbs above it, so whatever the tree holds, nothing outside
    /// `root` is reached (`/proc`'s magic links are refused). The corresponding C function is `openat2`
    /// with `RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS`.
    ///
    /// - Important: needs Linux 5.6; on older kernels the call fails with `ENOSYS`.
    public static func openInRoot(
        _ path: [UInt8], root: FileDescriptor, _ access: FileDescriptor.AccessMode,
        options: FileDescriptor.OpenOptions = []
    ) throws(Errno) -> FileDescriptor {
        let resolve = UInt64(RESOLVE_IN_ROOT) | UInt64(RESOLVE_NO_MAGICLINKS)
        let flags = access.rawValue | options.rawValue | O_CLOEXEC
        let fd = withCPath(path.isEmpty ? Array(".".utf8) : path) { cPath in
            valueOrErrno("openat2") { cchangerec_openat2(root.rawValue, cPath, flags, resolve) }
        }
        return FileDescriptor(rawValue: try fd.get())
    }

    /// Makes the symbolic link `name` in `directory`, pointing at `target` (stored as given, never
    /// resolved). The corresponding C function is `symlinkat`.
    public static func makeSymbolicLink(_ name: [UInt8], in directory: FileDescriptor, target: [UInt8]) throws(Errno) {
        let rc = withCPath(target) { cTarget in
            withCPath(name) { cName in valueOrErrno("symlinkat") { symlinkat(cTarget, directory.rawValue, cName) } }
        }
        _ = try rc.get()
    }

    /// Makes `name` in `directory` another name of `sourceName` in `sourceDirectory`, which is not
    /// followed if it is a symbolic link. The corresponding C function is `linkat` without
    /// `AT_SYMLINK_FOLLOW`.
    public static func makeHardLink(
        _ name: [UInt8], in directory: FileDescriptor, to sourceName: [UInt8], in sourceDirectory: FileDescriptor
    ) throws(Errno) {
        let rc = withCPath(sourceName) { cSource in
            withCPath(name) { cName in
                valueOrErrno("linkat") { linkat(sourceDirectory.rawValue, cSource, directory.rawValue, cName, 0) }
            }
        }
        _ = try rc.get()
    }

    /// Makes a character or block device node (with its device number) or a fifo. The corresponding C
    /// function is `mknodat`.
    public static func makeNode(
        _ name: [UInt8], in directory: FileDescriptor, type: FileType, permissions: UInt32, major: UInt32 = 0,
        minor: UInt32 = 0
    ) throws(Errno) {
        // The S_IF* macros are ambiguous between Glibc's two imports of them; their values are the ABI.
        let kind: UInt32
        switch type {
        case .characterDevice: kind = 0o020000  // S_IFCHR
        case .blockDevice: kind = 0o060000  // S_IFBLK
        case .fifo: kind = 0o010000  // S_IFIFO
        default: preconditionFailure("makeNode: \(type) is not a device or fifo")
        }
        let device = deviceNumber(major: major, minor: minor)
        let rc = withCPath(name) { cName in
            valueOrErrno("mknodat") { mknodat(directory.rawValue, cName, kind | (permissions & 0o7777), dev_t(device)) }
        }
        _ = try rc.get()
    }

    /// glibc's `makedev` (a macro Swift does not import): the minor's low byte, the major's low 12 bits,
    /// then the high bits of each.
    static func deviceNumber(major: UInt32, minor: UInt32) -> UInt64 {
        let major = UInt64(major)
        let minor = UInt64(minor)
        return (major & 0xFFF) << 8 | (major & ~0xFFF) << 32 | (minor & 0xFF) | (minor & ~0xFF) << 12
    }

    /// Sets the owner of `name` in `directory`, not following it if it is a symbolic link.
    /// The corresponding C function is `fchownat` with `AT_SYMLINK_NOFOLLOW`.
    public static func changeOwner(of name: [UInt8], in directory: FileDescriptor, uid: UInt32, gid: UInt32)
        throws(Errno)
    {
        let rc = withCPath(name) { cName in
            valueOrErrno("fchownat") { fchownat(directory.rawValue, cName, uid, gid, AT_SYMLINK_NOFOLLOW) }
        }
        _ = try rc.get()
    }

    /// Sets the owner of an open object. The corresponding C function is `fchown`.
    public static func changeOwner(of descriptor: FileDescriptor, uid: UInt32, gid: UInt32) throws(Errno) {
        _ = try valueOrErrno("fchown") { fchown(descriptor.rawValue, uid, gid) }.get()
    }

    /// Sets the permission, set-id and sticky bits of `name` in `directory`, which must not be a symbolic
    /// link (Linux has no mode for one, and would follow it). The corresponding C function is `fchmodat`.
    public static func changeMode(of name: [UInt8], in directory: FileDescriptor, permissions: UInt32) throws(Errno) {
        let rc = withCPath(name) { cName in
            valueOrErrno("fchmodat") { fchmodat(directory.rawValue, cName, mode_t(permissions & 0o7777), 0) }
        }
        _ = try rc.get()
    }

    /// Sets the permission, set-id and sticky bits of an open object. The corresponding C function is
    /// `fchmod`.
    public static func changeMode(of descriptor: FileDescriptor, permissions: UInt32) throws(Errno) {
        _ = try valueOrErrno("fchmod") { fchmod(descriptor.rawValue, mode_t(permissions & 0o7777)) }.get()
    }

    /// Sets the modification (and access) time of `name` in `directory`, not following a symbolic link.
    /// The corresponding C function is `utimensat` with `AT_SYMLINK_NOFOLLOW`.
    public static func setModificationTime(
        of name: [UInt8], in directory: FileDescriptor, seconds: Int64, nanoseconds: UInt32
    ) throws(Errno) {
        let time = timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds))
        var times = [time, time]
        let rc = withCPath(name) { cName in
            valueOrErrno("utimensat") { utimensat(directory.rawValue, cName, &times, AT_SYMLINK_NOFOLLOW) }
        }
        _ = try rc.get()
    }

    /// Sets the modification (and access) time of an open object. The corresponding C function is
    /// `futimens`.
    public static func setModificationTime(of descriptor: FileDescriptor, seconds: Int64, nanoseconds: UInt32)
        throws(Errno)
    {
        let time = timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds))
        var times = [time, time]
        _ = try valueOrErrno("futimens") { futimens(descriptor.rawValue, &times) }.get()
    }

    /// Removes the empty directory `name` in `directory`. The corresponding C function is `unlinkat`
    /// with `AT_REMOVEDIR`.
    public static func removeDirectory(_ name: [UInt8], in directory: FileDescriptor) throws(Errno) {
        let rc = withCPath(name) { cName in
            valueOrErrno("unlinkat") { unlinkat(directory.rawValue, cName, AT_REMOVEDIR) }
        }
        _ = try rc.get()
    }
}
