import CChangerecLinux
import Glibc
import SystemPackage

extension Xattrs {
    /// Sets the attribute `attribute` of `name` in `directory` to `value`, not following a final
    /// symbolic link (`name` empty: the directory itself). The object is reached through the directory's
    /// `/proc/self/fd` link, which the kernel resolves to the open directory itself.
    /// The corresponding C function is `lsetxattr`.
    ///
    /// - Throws: the `Errno` of the call (`ENOTSUP` where the file system or the namespace takes none,
    ///   `EPERM`); `ENOSYS` when `/proc` is not mounted.
    public static func set(
        _ attribute: [UInt8], to value: [UInt8], of name: [UInt8], in directory: FileDescriptor
    ) throws(Errno) {
        let path = try procPath(of: name, in: directory)
        let rc = withCPath(path) { cPath in
            withCPath(attribute) { cAttribute in
                value.withUnsafeBytes { raw in
                    valueOrErrno("lsetxattr") { lsetxattr(cPath, cAttribute, raw.baseAddress, raw.count, 0) }
                }
            }
        }
        _ = try rc.get()
    }

    /// Removes the attribute `attribute` of `name` in `directory`, as ``set(_:to:of:in:)`` reaches it.
    /// The corresponding C function is `lremovexattr`.
    public static func remove(_ attribute: [UInt8], of name: [UInt8], in directory: FileDescriptor) throws(Errno) {
        let path = try procPath(of: name, in: directory)
        let rc = withCPath(path) { cPath in
            withCPath(attribute) { cAttribute in valueOrErrno("lremovexattr") { lremovexattr(cPath, cAttribute) } }
        }
        _ = try rc.get()
    }

    private static func procPath(of name: [UInt8], in directory: FileDescriptor) throws(Errno) -> [UInt8] {
        guard access("/proc/self/fd", F_OK) == 0 else { throw .noFunction }
        return Array("/proc/self/fd/\(directory.rawValue)/".utf8) + name
    }
}
