import CChangerecTorture
import Glibc

/// An operation that did not happen, with the errno that stopped it.
struct OperationFailed: Error {
    var code: Int32
}

/// Runs operations under ROOT through directory descriptors: every path is walked one component at a time
/// with `openat(O_DIRECTORY | O_NOFOLLOW)` from ROOT's descriptor, and the operation itself is an `*at()`
/// call on the last component. So paths longer than PATH_MAX work, and no symbolic link in the tree is ever
/// followed: nothing outside ROOT and OUTSIDE is touched, whatever the tree holds.
final class Executor {
    let root: Int32
    let outside: Int32

    init(root: String, outside: String) throws(OperationFailed) {
        self.root = try Self.check(Glibc.open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
        self.outside = try Self.check(Glibc.open(outside, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
    }

    deinit {
        close(root)
        close(outside)
    }

    @discardableResult
    static func check<T: BinaryInteger>(_ result: T) throws(OperationFailed) -> T {
        if result < 0 { throw OperationFailed(code: errno) }
        return result
    }

    static func withName<R>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) throws(OperationFailed) -> R)
        throws(OperationFailed) -> R
    {
        let terminated = name.map { CChar(bitPattern: $0) } + [0]
        return try terminated.withUnsafeBufferPointer { buffer throws(OperationFailed) in
            // The buffer always holds at least the terminating zero.
            guard let base = buffer.baseAddress else { throw OperationFailed(code: EINVAL) }
            return try body(base)
        }
    }

    /// A directory descriptor opened on the way to a path; ROOT's and OUTSIDE's own are never closed here.
    struct Directory {
        var fd: Int32
        var owned: Bool
        func close() { if owned { _ = Glibc.close(fd) } }
    }

    /// Opens the directory `names` lead to from `base`, one component at a time, never following a link.
    func openDirectory(_ names: ArraySlice<[UInt8]>, from base: Int32) throws(OperationFailed) -> Directory {
        var current = Directory(fd: base, owned: false)
        for name in names {
            let fd = try? Self.withName(name) { name throws(OperationFailed) in
                try Self.check(openat(current.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
            }
            let code = errno
            current.close()
            guard let fd else { throw OperationFailed(code: code) }
            current = Directory(fd: fd, owned: true)
        }
        return current
    }

    /// Runs `body` with the parent directory of `path` and its last name.
    @discardableResult
    func atParent<R>(_ path: TorturePath, _ body: (Int32, UnsafePointer<CChar>) throws(OperationFailed) -> R)
        throws(OperationFailed) -> R
    {
        let names = path.names
        guard let last = names.last else { throw OperationFailed(code: EINVAL) }
        let parent = try openDirectory(names.dropLast(), from: path.isOutside ? outside : root)
        defer { parent.close() }
        return try Self.withName(last) { name throws(OperationFailed) in try body(parent.fd, name) }
    }

    /// Opens `path` with `flags` (plus O_NOFOLLOW, O_NONBLOCK so that a fifo never blocks, O_CLOEXEC).
    func open(_ path: TorturePath, _ flags: Int32, mode: mode_t = 0o644) throws(OperationFailed) -> Int32 {
        try atParent(path) { parent, name throws(OperationFailed) in
            try Self.check(openat(parent, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode))
        }
    }

    /// Opens `path` for writing and runs `body` on it if it is a regular file; a fifo or device is left alone.
    func withRegularFile(_ path: TorturePath, _ flags: Int32, _ body: (Int32, stat) throws(OperationFailed) -> Void)
        throws(OperationFailed)
    {
        let fd = try open(path, flags)
        defer { close(fd) }
        var st = stat()
        try Self.check(fstat(fd, &st))
        guard st.st_mode & S_IFMT == S_IFREG else { throw OperationFailed(code: EINVAL) }
        try body(fd, st)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int? = nil) throws(OperationFailed) {
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { buffer in
                offset.map { pwrite(fd, buffer.baseAddress, buffer.count, off_t($0 + done)) }
                    ?? Glibc.write(fd, buffer.baseAddress, buffer.count)
            }
            try check(n)
            done += n
        }
    }

    /// Runs `operation`; returns 0 or the errno that stopped it.
    func run(_ operation: Operation) -> Int32 {
        do {
            try perform(operation)
            return 0
        } catch {
            return error.code
        }
    }

    func perform(_ op: Operation) throws(OperationFailed) {
        switch op.verb {
        case .create:
            // Only new files in OUTSIDE: one there may be a hard link to a file in ROOT, and a write through a
            // name outside ROOT is a documented blind spot, not a hole.
            let path = op.path(0)
            let fd = try open(path, O_WRONLY | O_CREAT | (path.isOutside ? O_EXCL : O_TRUNC))
            defer { close(fd) }
            try Self.writeAll(fd, SeededRandom.bytes(seed: op.number(2), count: op.int(1)))
        case .write:
            try withRegularFile(op.path(0), O_WRONLY) { fd, _ throws(OperationFailed) in
                try Self.writeAll(fd, SeededRandom.bytes(seed: op.number(3), count: op.int(2)), at: op.int(1))
            }
        case .append:
            try withRegularFile(op.path(0), O_WRONLY | O_APPEND) { fd, _ throws(OperationFailed) in
                try Self.writeAll(fd, SeededRandom.bytes(seed: op.number(2), count: op.int(1)))
            }
        case .truncate:
            try withRegularFile(op.path(0), O_WRONLY) { fd, _ throws(OperationFailed) in
                try Self.check(ftruncate(fd, off_t(op.int(1))))
            }
        case .truncatePath:
            // truncate(2) on a path opens nothing: no open or close-write event, only the modify.
            try throughPathDescriptor(op.path(0)) { proc throws(OperationFailed) in
                try Self.check(truncate(proc, off_t(op.int(1))))
            }
        case .mmapWrite:
            // Stores through a shared mapping: no write(2) at all.
            try withRegularFile(op.path(0), O_RDWR) { fd, st throws(OperationFailed) in
                guard st.st_size > 0 else { throw OperationFailed(code: EINVAL) }
                let length = Int(st.st_size)
                guard let map = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), map != MAP_FAILED
                else { throw OperationFailed(code: errno) }
                defer { munmap(map, length) }
                let offset = op.int(1) % length
                let bytes = SeededRandom.bytes(seed: op.number(3), count: min(op.int(2), length - offset))
                // Another process may truncate the file under the mapping: the store then fails, not the process.
                try Self.check(
                    bytes.withUnsafeBytes { cchangerec_torture_store(map + offset, $0.baseAddress, $0.count) })
                try Self.check(msync(map, length, MS_SYNC))
            }
        case .punch:
            // A hole punched: the bytes become zeros with no write(2), and the size stays.
            try withRegularFile(op.path(0), O_WRONLY) { fd, _ throws(OperationFailed) in
                try Self.check(
                    cchangerec_torture_fallocate(
                        fd, CCHANGEREC_TORTURE_FALLOC_PUNCH_HOLE, off_t(op.int(1)), off_t(max(op.int(2), 1))))
            }
        case .copyRange:
            // copy_file_range(2): the kernel writes the destination; the bytes never pass through here.
            try withRegularFile(op.path(0), O_RDONLY) { source, _ throws(OperationFailed) in
                try withRegularFile(op.path(1), O_WRONLY) { destination, _ throws(OperationFailed) in
                    try Self.check(cchangerec_torture_copy_file_range(source, destination, op.int(2)))
                }
            }
        case .rewrite:
            // The blind case: new bytes, the same size, and the old mtime put back.
            try withRegularFile(op.path(0), O_RDWR) { fd, st throws(OperationFailed) in
                try Self.writeAll(fd, SeededRandom.bytes(seed: op.number(1), count: Int(st.st_size)), at: 0)
                var times = [st.st_atim, st.st_mtim]
                try Self.check(futimens(fd, &times))
            }
        case .mkdirs: try makeDirectories(op.path(0))
        case .rmdir:
            try atParent(op.path(0)) { parent, name throws(OperationFailed) in
                try Self.check(unlinkat(parent, name, AT_REMOVEDIR))
            }
        case .unlink:
            try atParent(op.path(0)) { parent, name throws(OperationFailed) in
                try Self.check(unlinkat(parent, name, 0))
            }
        case .removeTree:
            try atParent(op.path(0)) { parent, name throws(OperationFailed) in
                try removeTree(parent, name)
            }
        case .rename, .exchange, .link, .renameNoReplace, .renameWhiteout: try twoPaths(op)
        case .heldWrite:
            // A file kept open while it or a directory above it is renamed, then written: the write's event
            // comes after the rename's, from a name that is no longer where it was opened.
            try withRegularFile(op.path(0), O_WRONLY) { fd, _ throws(OperationFailed) in
                try twoPaths(Operation(.rename, [op.path(1), op.path(2)]))
                try Self.writeAll(fd, SeededRandom.bytes(seed: op.number(4), count: op.int(3)), at: 0)
            }
        case .symlink:
            try atParent(op.path(0)) { parent, name throws(OperationFailed) in
                try Self.check(symlinkat(op.words[1], parent, name))
            }
        case .retarget: try retarget(op.path(0), temporary: op.words[1], seed: op.number(2))
        case .chmod:
            try throughPathDescriptor(op.path(0)) { proc throws(OperationFailed) in
                try Self.check(chmod(proc, mode_t(op.words[1], radix: 8) ?? 0o644))
            }
        case .chown:
            try atParent(op.path(0)) { parent, name throws(OperationFailed) in
                try Self.check(fchownat(parent, name, uid_t(op.number(1)), gid_t(op.number(2)), AT_SYMLINK_NOFOLLOW))
            }
        case .setxattr:
            try throughPathDescriptor(op.path(0)) { proc throws(OperationFailed) in
                let value = Array(op.words[2].utf8)
                try Self.check(setxattr(proc, op.words[1], value, value.count, 0))
            }
        case .removexattr:
            try throughPathDescriptor(op.path(0)) { proc throws(OperationFailed) in
                var name = op.words[1]
                if name == "*" {
                    // The first xattr the object has, whatever its name.
                    var list = [CChar](repeating: 0, count: 4096)
                    let length = try Self.check(listxattr(proc, &list, list.count))
                    guard length > 0 else { throw OperationFailed(code: ENODATA) }
                    name = String(
                        decoding: list.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
                try Self.check(removexattr(proc, name))
            }
        case .utime:
            try atParent(op.path(0)) { parent, name throws(OperationFailed) in
                let omit = timespec(tv_sec: 0, tv_nsec: Int(CCHANGEREC_TORTURE_UTIME_OMIT))
                var times = [omit, timespec(tv_sec: op.int(1), tv_nsec: op.int(2))]
                try Self.check(utimensat(parent, name, &times, AT_SYMLINK_NOFOLLOW))
            }
        case .mkfifo:
            try atParent(op.path(0)) { parent, name throws(OperationFailed) in
                try Self.check(mkfifoat(parent, name, 0o644))
            }
        case .mknod:
            try atParent(op.path(0)) { parent, name throws(OperationFailed) in
                // A character device 1:3, the same numbers as /dev/null: harmless if anything opens it.
                try Self.check(mknodat(parent, name, S_IFCHR | 0o644, dev_t((1 << 8) | 3)))
            }
        case .tmpfile: try linkTemporaryFile(op)
        case .moveOut:
            try atParent(op.path(0)) { parent, name throws(OperationFailed) in
                try Self.check(renameat(parent, name, outside, op.words[1]))
            }
        case .moveIn:
            try atParent(op.path(1)) { parent, name throws(OperationFailed) in
                try Self.check(renameat(outside, op.words[0], parent, name))
            }
        }
    }

    /// `mkdir -p`, one component at a time.
    func makeDirectories(_ path: TorturePath) throws(OperationFailed) {
        var current = Directory(fd: path.isOutside ? outside : root, owned: false)
        defer { current.close() }
        for name in path.names {
            let fd = try Self.withName(name) { name throws(OperationFailed) in
                if mkdirat(current.fd, name, 0o755) != 0 && errno != EEXIST { throw OperationFailed(code: errno) }
                return try Self.check(openat(current.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
            }
            current.close()
            current = Directory(fd: fd, owned: true)
        }
    }

    /// `rm -rf`: every entry below `name` removed through descriptors; entries other processes remove first
    /// are skipped.
    func removeTree(_ parent: Int32, _ name: UnsafePointer<CChar>) throws(OperationFailed) {
        var st = stat()
        try Self.check(fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW))
        guard st.st_mode & S_IFMT == S_IFDIR else {
            try Self.check(unlinkat(parent, name, 0))
            return
        }
        let fd = try Self.check(openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
        defer { close(fd) }
        for child in try Self.entries(fd) {
            try? Self.withName(child) { child throws(OperationFailed) in try removeTree(fd, child) }
        }
        try Self.check(unlinkat(parent, name, AT_REMOVEDIR))
    }

    /// The names in the directory open at `fd`, without `.` and `..`.
    static func entries(_ fd: Int32) throws(OperationFailed) -> [[UInt8]] {
        let copy = try check(dup(fd))
        guard let stream = fdopendir(copy) else {
            close(copy)
            throw OperationFailed(code: errno)
        }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
        }
        return names
    }

    /// rename, renameat2 with RENAME_EXCHANGE, RENAME_NOREPLACE or RENAME_WHITEOUT (which leaves a whiteout,
    /// a character device 0:0 the file system makes itself, at the old name) and link (which, without
    /// AT_SYMLINK_FOLLOW, links a symbolic link itself): two parents walked separately, each path may be past
    /// PATH_MAX.
    func twoPaths(_ op: Operation) throws(OperationFailed) {
        let flags: [Operation.Verb: UInt32] = [
            .exchange: CCHANGEREC_TORTURE_RENAME_EXCHANGE, .renameNoReplace: CCHANGEREC_TORTURE_RENAME_NOREPLACE,
            .renameWhiteout: CCHANGEREC_TORTURE_RENAME_WHITEOUT,
        ]
        try atParent(op.path(0)) { fromParent, from throws(OperationFailed) in
            try atParent(op.path(1)) { toParent, to throws(OperationFailed) in
                switch op.verb {
                case .rename: try Self.check(renameat(fromParent, from, toParent, to))
                case .link: try Self.check(linkat(fromParent, from, toParent, to, 0))
                default:
                    try Self.check(cchangerec_torture_renameat2(fromParent, from, toParent, to, flags[op.verb] ?? 0))
                }
            }
        }
    }

    /// A symbolic link pointed elsewhere with its size and mtime kept (Buildah #5861): a new link of the same
    /// length made beside it, given the old mtime, and renamed over it.
    func retarget(_ path: TorturePath, temporary: String, seed: UInt64) throws(OperationFailed) {
        try atParent(path) { parent, name throws(OperationFailed) in
            var st = stat()
            try Self.check(fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW))
            guard st.st_mode & S_IFMT == S_IFLNK else { throw OperationFailed(code: EINVAL) }
            let letters = SeededRandom.bytes(seed: seed, count: max(Int(st.st_size), 1)).map { 0x61 + $0 % 26 }
            let target = String(decoding: letters, as: UTF8.self)
            try Self.check(symlinkat(target, parent, temporary))
            var times = [timespec(tv_sec: 0, tv_nsec: Int(CCHANGEREC_TORTURE_UTIME_OMIT)), st.st_mtim]
            if utimensat(parent, temporary, &times, AT_SYMLINK_NOFOLLOW) != 0
                || renameat(parent, temporary, parent, name) != 0
            {
                let code = errno
                unlinkat(parent, temporary, 0)
                throw OperationFailed(code: code)
            }
        }
    }

    /// chmod and xattrs on the object itself, symbolic links included, never on what a link points to:
    /// an O_PATH descriptor opened without following, then its /proc/self/fd link, which leads to the
    /// object and not through it.
    func throughPathDescriptor(_ path: TorturePath, _ body: (String) throws(OperationFailed) -> Void)
        throws(OperationFailed)
    {
        let fd = try open(path, CCHANGEREC_TORTURE_O_PATH)
        defer { close(fd) }
        try body("/proc/self/fd/\(fd)")
    }

    /// A file made with O_TMPFILE, written, then given a name with linkat(AT_EMPTY_PATH), or through its
    /// /proc/self/fd link without CAP_DAC_READ_SEARCH.
    func linkTemporaryFile(_ op: Operation) throws(OperationFailed) {
        let directory = try openDirectory(op.path(0).names[...], from: root)
        defer { directory.close() }
        let fd = try Self.check(openat(directory.fd, ".", CCHANGEREC_TORTURE_O_TMPFILE | O_WRONLY | O_CLOEXEC, 0o640))
        defer { close(fd) }
        try Self.writeAll(fd, SeededRandom.bytes(seed: op.number(3), count: op.int(2)))
        if linkat(fd, "", directory.fd, op.words[1], CCHANGEREC_TORTURE_AT_EMPTY_PATH) != 0 {
            try Self.check(linkat(AT_FDCWD, "/proc/self/fd/\(fd)", directory.fd, op.words[1], AT_SYMLINK_FOLLOW))
        }
    }
}
