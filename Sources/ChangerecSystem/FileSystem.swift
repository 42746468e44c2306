import CChangerecLinux
import Glibc
import SystemPackage

/// Descriptor-relative file system calls. Every path argument is raw bytes; every failure is an `Errno`.
public enum FileSystem {
    /// Opens `path` relative to `directory`. The corresponding C function is `openat`.
    public static func open(
        _ path: [UInt8], relativeTo directory: FileDescriptor = FileDescriptor(rawValue: AT_FDCWD),
        flags: Int32, mode: mode_t = 0o644
    ) throws(Errno) -> FileDescriptor {
        let fd = withCPath(path) { cPath in
            valueOrErrno("openat") { cchangerec_openat(directory.rawValue, cPath, flags | O_CLOEXEC, mode) }
        }
        return FileDescriptor(rawValue: try fd.get())
    }

    /// Opens `path` strictly beneath `directory`: no `..`, no absolute path, no symbolic link in any
    /// component, so nothing outside the directory can be reached whatever the tree holds.
    /// The corresponding C function is `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`.
    ///
    /// - Important: needs Linux 5.6; on older kernels the call fails with `ENOSYS`.
    public static func openBeneath(_ path: [UInt8], in directory: FileDescriptor, flags: Int32) throws(Errno)
        -> FileDescriptor
    {
        let resolve = UInt64(RESOLVE_BENEATH) | UInt64(RESOLVE_NO_SYMLINKS)
        let fd = withCPath(path.isEmpty ? Array(".".utf8) : path) { cPath in
            valueOrErrno("openat2") { cchangerec_openat2(directory.rawValue, cPath, flags | O_CLOEXEC, resolve) }
        }
        return FileDescriptor(rawValue: try fd.get())
    }

    /// The status of `name` in `directory`, not following a final symbolic link.
    /// The corresponding C function is `fstatat` with `AT_SYMLINK_NOFOLLOW`.
    public static func status(of name: [UInt8], in directory: FileDescriptor) throws(Errno) -> FileStatus {
        var st = stat()
        let flags = name.isEmpty ? CCHANGEREC_AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW : AT_SYMLINK_NOFOLLOW
        let rc = withCPath(name) { cPath in valueOrErrno("fstatat") { fstatat(directory.rawValue, cPath, &st, flags) } }
        _ = try rc.get()
        return FileStatus(st)
    }

    /// The status of an open descriptor. The corresponding C function is `fstat`.
    public static func status(of descriptor: FileDescriptor) throws(Errno) -> FileStatus {
        var st = stat()
        _ = try valueOrErrno("fstat") { fstat(descriptor.rawValue, &st) }.get()
        return FileStatus(st)
    }

    /// The target of the symbolic link `name` in `directory`, as raw bytes.
    /// The corresponding C function is `readlinkat`.
    public static func symlinkTarget(of name: [UInt8], in directory: FileDescriptor) throws(Errno) -> [UInt8] {
        var capacity = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let count = withCPath(name) { cPath in
                buffer.withUnsafeMutableBytes { raw in
                    raw.withMemoryRebound(to: CChar.self) { chars -> Result<Int, Errno> in
                        // Invariant: capacity is at least 256, so the buffer has an address.
                        guard let base = chars.baseAddress else { return .failure(.outOfRange) }
                        return valueOrErrno("readlinkat") { readlinkat(directory.rawValue, cPath, base, capacity) }
                    }
                }
            }
            let length = try count.get()
            if length < capacity { return Array(buffer[0..<length]) }
            capacity *= 4
        }
    }

    /// Reads up to `buffer.count` bytes. The corresponding C function is `read`.
    public static func read(_ descriptor: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno)
        -> Int
    {
        try valueOrErrno("read") { Glibc.read(descriptor.rawValue, buffer.baseAddress, buffer.count) }.get()
    }

    /// Reads up to `count` bytes at `offset`. The corresponding C function is `pread`.
    public static func read(_ descriptor: FileDescriptor, count: Int, at offset: Int64) throws(Errno) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = buffer.withUnsafeMutableBytes { raw in
                let rest = UnsafeMutableRawBufferPointer(rebasing: raw[filled...])
                return valueOrErrno("pread") {
                    pread(descriptor.rawValue, rest.baseAddress, rest.count, off_t(offset) + off_t(filled))
                }
            }
            let n = try result.get()
            if n == 0 { break }
            filled += n
        }
        buffer.removeLast(count - filled)
        return buffer
    }

    /// Writes all of `bytes`, retrying short writes. The corresponding C function is `write`.
    public static func writeAll(_ descriptor: FileDescriptor, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var written = 0
        while written < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[written...])
            let n = try valueOrErrno("write") { Glibc.write(descriptor.rawValue, rest.baseAddress, rest.count) }.get()
            written += n
        }
    }

    /// Writes all of `bytes`. The corresponding C function is `write`.
    public static func writeAll(_ descriptor: FileDescriptor, _ bytes: [UInt8]) throws(Errno) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(Errno) in try writeAll(descriptor, raw) } }
        try result.get()
    }

    /// Forces written data to the device. The corresponding C function is `fdatasync`.
    public static func sync(_ descriptor: FileDescriptor) throws(Errno) {
        _ = try valueOrErrno("fdatasync") { fdatasync(descriptor.rawValue) }.get()
    }

    /// Closes a descriptor; a close error on a read-only descriptor is not actionable and is ignored.
    /// The corresponding C function is `close`.
    public static func close(_ descriptor: FileDescriptor) {
        _ = Glibc.close(descriptor.rawValue)
    }

    /// Creates a directory. The corresponding C function is `mkdirat`.
    public static func makeDirectory(
        _ path: [UInt8], in directory: FileDescriptor = FileDescriptor(rawValue: AT_FDCWD), mode: mode_t = 0o755
    ) throws(Errno) {
        let rc = withCPath(path) { cPath in valueOrErrno("mkdirat") { mkdirat(directory.rawValue, cPath, mode) } }
        _ = try rc.get()
    }

    /// Renames `from` to `to` within `directory`. The corresponding C function is `renameat`.
    public static func rename(
        _ from: [UInt8], to: [UInt8], in directory: FileDescriptor = FileDescriptor(rawValue: AT_FDCWD)
    ) throws(Errno) {
        let rc = withCPath(from) { cFrom in
            withCPath(to) { cTo in
                valueOrErrno("renameat") { renameat(directory.rawValue, cFrom, directory.rawValue, cTo) }
            }
        }
        _ = try rc.get()
    }

    /// Removes a file. The corresponding C function is `unlinkat`.
    public static func unlink(_ path: [UInt8], in directory: FileDescriptor = FileDescriptor(rawValue: AT_FDCWD))
        throws(Errno)
    {
        let rc = withCPath(path) { cPath in valueOrErrno("unlinkat") { unlinkat(directory.rawValue, cPath, 0) } }
        _ = try rc.get()
    }

    /// The absolute, symlink-free form of `path`. The corresponding C function is `realpath`.
    public static func canonicalPath(_ path: [UInt8]) throws(Errno) -> [UInt8] {
        let result: UnsafeMutablePointer<CChar>? = withCPath(path) { realpath($0, nil) }
        guard let result else { throw currentErrno() }
        defer { free(result) }
        return Array(
            UnsafeBufferPointer(
                start: UnsafeRawPointer(result).assumingMemoryBound(to: UInt8.self), count: strlen(result)))
    }

    /// The path of the directory open as `directory` relative to the directory open as `root` (empty for
    /// `root` itself), found by walking `..` and looking each directory up by inode in its parent: what
    /// the `/proc/self/fd` link tells, for when `/proc` is not mounted. `nil` when `directory` does not
    /// lie below `root` (the walk reached `/` first) or a step fails (a mount point: its entry in the
    /// parent names the directory it covers).
    public static func path(of directory: FileDescriptor, below root: FileDescriptor) -> [UInt8]? {
        guard let top = try? status(of: root),
            var current = try? open([0x2E], relativeTo: directory, flags: O_RDONLY | O_DIRECTORY)
        else { return nil }
        defer { close(current) }
        var components: [[UInt8]] = []
        // PATH_MAX / 2: deeper than any path that can be named.
        for _ in 0..<2048 {
            guard let here = try? status(of: current) else { return nil }
            if here.device == top.device && here.inode == top.inode {
                return Array(components.reversed().joined(separator: [0x2F]))
            }
            guard let parent = try? open([0x2E, 0x2E], relativeTo: current, flags: O_RDONLY | O_DIRECTORY) else {
                return nil
            }
            close(current)
            current = parent
            guard let above = try? status(of: parent), above.device != here.device || above.inode != here.inode,
                let entry = (try? DirectoryReader.entries(of: parent))?.first(where: { $0.inode == here.inode })
            else { return nil }
            components.append(entry.name)
        }
        return nil
    }

    /// The current working directory. The corresponding C function is `getcwd`.
    public static func currentDirectory() throws(Errno) -> [UInt8] {
        guard let cwd = getcwd(nil, 0) else { throw currentErrno() }
        defer { free(cwd) }
        return Array(
            UnsafeBufferPointer(start: UnsafeRawPointer(cwd).assumingMemoryBound(to: UInt8.self), count: strlen(cwd)))
    }

    /// Whether `path` names an executable regular file for this process. The corresponding C function is `access`.
    public static func isExecutable(_ path: [UInt8]) -> Bool {
        withCPath(path) { access($0, X_OK) == 0 }
    }
}
