import CChangerecLinux
import Glibc
import SystemPackage

/// Descriptor-relative file system calls. Every path argument is raw bytes; every failure is an `Errno`.
public enum FileSystem {
    /// Opens `path` relative to `directory` (`O_CLOEXEC` always added). The corresponding C function is
    /// `openat`.
    public static func open(
        _ path: [UInt8], relativeTo directory: FileDescriptor = .currentWorkingDirectory,
        _ access: FileDescriptor.AccessMode, options: FileDescriptor.OpenOptions = [],
        permissions: FilePermissions = .regularFileDefault
    ) throws(Errno) -> FileDescriptor {
        try open(path, relativeTo: directory, flags: access.rawValue | options.rawValue, mode: permissions.rawValue)
    }

    /// `open(_:relativeTo:_:options:permissions:)` with the flags as C spells them, for this module.
    static func open(
        _ path: [UInt8], relativeTo directory: FileDescriptor = .currentWorkingDirectory,
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
    /// A path of `PATH_MAX` bytes or more (which one system call refuses with `ENAMETOOLONG`) is walked in
    /// steps: whole components are grouped into pieces shorter than `PATH_MAX`, every piece but the last
    /// is opened with `O_PATH | O_DIRECTORY` beneath the directory the piece before it opened, and the last
    /// with `flags`. Each step keeps both resolve flags, so the walk is as contained as a single call, and
    /// it fails as a single call would (`ENOENT`, `ENOTDIR`, `ELOOP` at the component that is missing, not
    /// a directory, or a symbolic link).
    ///
    /// - Important: needs Linux 5.6; on older kernels the call fails with `ENOSYS`.
    public static func openBeneath(
        _ path: [UInt8], in directory: FileDescriptor, _ access: FileDescriptor.AccessMode,
        options: FileDescriptor.OpenOptions = []
    ) throws(Errno) -> FileDescriptor {
        try openBeneath(path, in: directory, flags: access.rawValue | options.rawValue)
    }

    /// `openBeneath(_:in:_:options:)` with the flags as C spells them, for this module.
    static func openBeneath(_ path: [UInt8], in directory: FileDescriptor, flags: Int32) throws(Errno)
        -> FileDescriptor
    {
        let pieces = piecesBelowPathMax(path)
        var current = directory
        for (index, piece) in pieces.enumerated() {
            let last = index == pieces.count - 1
            let next = Result { () throws(Errno) in
                try openBeneathOnce(piece, in: current, flags: last ? flags : CCHANGEREC_O_PATH | O_DIRECTORY)
            }
            if current != directory { close(current) }
            current = try next.get()
        }
        return current
    }

    /// One `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` call; an empty path opens `directory` itself.
    private static func openBeneathOnce(_ path: [UInt8], in directory: FileDescriptor, flags: Int32) throws(Errno)
        -> FileDescriptor
    {
        let resolve = UInt64(RESOLVE_BENEATH) | UInt64(RESOLVE_NO_SYMLINKS)
        let fd = withCPath(path.isEmpty ? Array(".".utf8) : path) { cPath in
            valueOrErrno("openat2") { cchangerec_openat2(directory.rawValue, cPath, flags | O_CLOEXEC, resolve) }
        }
        return FileDescriptor(rawValue: try fd.get())
    }

    /// `path` cut at `/` into pieces of whole components, each shorter than `PATH_MAX` (which counts the
    /// terminating NUL); a path that is short enough is one piece. A single component longer than that
    /// (never a valid name: `NAME_MAX` is 255) stays whole, and the kernel refuses it.
    static func piecesBelowPathMax(_ path: [UInt8]) -> [[UInt8]] {
        let limit = Int(PATH_MAX) - 1
        if path.count <= limit { return [path] }
        var pieces: [[UInt8]] = []
        var piece: [UInt8] = []
        for component in path.split(separator: 0x2F, omittingEmptySubsequences: true) {
            if !piece.isEmpty && piece.count + 1 + component.count > limit {
                pieces.append(piece)
                piece = []
            }
            if !piece.isEmpty { piece.append(0x2F) }
            piece += component
        }
        pieces.append(piece)
        return pieces
    }

    /// The path of the directory open as `descriptor` relative to the directory `root` (empty for `root`
    /// itself), found by walking up through `..` and looking each directory up among its parent's entries;
    /// `nil` when it does not lie below `root`. This is for when the kernel's own answer (the
    /// `/proc/self/fd` link) fails: `/proc` is not mounted, or the path is longer than a page
    /// (`ENAMETOOLONG`). A mount point's entry in its parent names the directory the mount covers, so the
    /// root of a file system mounted below `root` is found by the status of each subdirectory instead.
    /// The corresponding C functions are `openat` of `..`, `fstat`, `fstatat` and `readdir`.
    ///
    /// - Throws: the `Errno` of a directory on the way that cannot be opened or read.
    public static func relativePath(of descriptor: FileDescriptor, below root: FileDescriptor) throws(Errno)
        -> [UInt8]?
    {
        let top = try status(of: root)
        var components: [[UInt8]] = []
        var current = try open([0x2E], relativeTo: descriptor, flags: O_RDONLY | O_DIRECTORY)
        defer { close(current) }
        // Bounded: PATH_MAX / 2 levels is deeper than a tree holds; more would mean a tree changing meanwhile.
        for _ in 0..<2048 {
            let here = try status(of: current)
            if here.device == top.device && here.inode == top.inode {
                return Array(components.reversed().joined(separator: [0x2F]))
            }
            let parent = try open([0x2E, 0x2E], relativeTo: current, flags: O_RDONLY | O_DIRECTORY)
            close(current)
            current = parent
            let above = try status(of: parent)
            // `..` of the top of the file system tree is itself: `root` was never passed.
            if above.device == here.device && above.inode == here.inode { return nil }
            let entries = try DirectoryReader.entries(of: parent).filter { $0.type == .directory }
            let entry: DirectoryEntry?
            if above.device == here.device {
                entry = entries.first { $0.inode == here.inode }
            } else {
                entry = entries.first { candidate in
                    guard let seen = try? status(of: candidate.name, in: parent) else { return false }
                    return seen.device == here.device && seen.inode == here.inode
                }
            }
            guard let entry else { return nil }  // moved meanwhile: the caller says it could not tell
            components.append(entry.name)
        }
        return nil
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

    /// Reads up to `buffer.count` bytes at `offset`, leaving the file offset alone. The corresponding C
    /// function is `pread`.
    public static func read(_ descriptor: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64)
        throws(Errno) -> Int
    {
        try valueOrErrno("pread") { pread(descriptor.rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }.get()
    }

    /// Everything `descriptor` holds from offset 0, for small files (configuration, an image's JSON; not
    /// content, which is streamed).
    public static func readAll(_ descriptor: FileDescriptor) throws(Errno) -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let chunk = try read(descriptor, count: 65536, at: Int64(bytes.count))
            if chunk.isEmpty { return bytes }
            bytes += chunk
        }
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
        _ path: [UInt8], in directory: FileDescriptor = .currentWorkingDirectory, mode: mode_t = 0o755
    ) throws(Errno) {
        let rc = withCPath(path) { cPath in valueOrErrno("mkdirat") { mkdirat(directory.rawValue, cPath, mode) } }
        _ = try rc.get()
    }

    /// Renames `from` to `to` within `directory`. The corresponding C function is `renameat`.
    public static func rename(
        _ from: [UInt8], to: [UInt8], in directory: FileDescriptor = .currentWorkingDirectory
    ) throws(Errno) {
        let rc = withCPath(from) { cFrom in
            withCPath(to) { cTo in
                valueOrErrno("renameat") { renameat(directory.rawValue, cFrom, directory.rawValue, cTo) }
            }
        }
        _ = try rc.get()
    }

    /// Removes a file. The corresponding C function is `unlinkat`.
    public static func unlink(_ path: [UInt8], in directory: FileDescriptor = .currentWorkingDirectory)
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

extension Errno {
    /// Whether this error, from reaching a path beneath ROOT without following symbolic links
    /// (`openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` on its parent, a no-follow `fstatat` on its
    /// name), means that no such path exists beneath ROOT: it is gone, and nothing else went wrong.
    ///
    /// - `ENOENT`: a component is missing.
    /// - `ENOTDIR`: a directory on the way is now a file (or a fifo, ...), which has no entries.
    /// - `ELOOP`: a directory on the way is now a symbolic link, which `RESOLVE_NO_SYMLINKS` refuses to
    ///   follow. ROOT's tree is read the way `lstat` sees it: the tree holds a link at that place, and a
    ///   link has no entries, so the path below it does not exist in the tree — what the link points at
    ///   may lie outside ROOT and is never read.
    ///
    /// Any other error (`EACCES`, `EIO`, `EMFILE`, `ENAMETOOLONG`, ...) says nothing about the path: it
    /// could not be read, and must never be taken for absent or unchanged.
    public var meansNoSuchPathBeneath: Bool {
        self == .noSuchFileOrDirectory || self == .notDirectory || self == .tooManySymbolicLinkLevels
    }
}
