import CChangerecLinux  // for <sys/xattr.h>, which Glibc's module map leaves out
import Glibc

/// `cp -a --preserve=all` for the tests, walking with directory descriptors so that paths longer than
/// `PATH_MAX` (which `cp` and `tar` refuse) are copied too: every type, hard links within the tree,
/// owner, mode, xattrs and mtimes (directories' last, after their entries). `.changerec/` at the top
/// is copied like anything else.
public enum TreeCopy {
    /// Copies the tree at `source` to `destination`, which must not exist.
    public static func copy(_ source: String, to destination: String) throws {
        let from = withC(Array(source.utf8)) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard from >= 0 else { throw TestFailure("open \(source): errno \(errno)") }
        defer { close(from) }
        guard withC(Array(destination.utf8), { mkdir($0, 0o700) }) == 0 else {
            throw TestFailure("mkdir \(destination): errno \(errno)")
        }
        let to = withC(Array(destination.utf8)) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard to >= 0 else { throw TestFailure("open \(destination): errno \(errno)") }
        defer { close(to) }
        var copied: [Inode: [UInt8]] = [:]
        try copyEntries(from: from, to: to, relative: [], destinationRoot: to, copied: &copied)
        try copyAttributes(of: [], in: from, to: [], in: to)
    }

    private struct Inode: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private static func copyEntries(
        from source: Int32, to target: Int32, relative: [UInt8], destinationRoot: Int32, copied: inout [Inode: [UInt8]]
    ) throws {
        for name in try TreeSnapshot.names(in: source) {
            let path = relative.isEmpty ? name : relative + [0x2F] + name
            var st = stat()
            guard withC(name, { fstatat(source, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else {
                throw TestFailure("fstatat \(shown(path)): errno \(errno)")
            }
            let type = st.st_mode & S_IFMT
            let identity = Inode(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
            if type != S_IFDIR, st.st_nlink > 1, let first = copied[identity] {
                // Another name of an inode already copied: a hard link, as cp -a makes it.
                try LayerApplier.withParent(destinationRoot, first) { directory, firstName in
                    guard withC(firstName, { f in withC(name) { linkat(directory, f, target, $0, 0) } }) == 0 else {
                        throw TestFailure("link \(shown(path)): errno \(errno)")
                    }
                }
                continue
            }
            switch type {
            case S_IFDIR:
                guard withC(name, { mkdirat(target, $0, 0o700) }) == 0 else {
                    throw TestFailure("mkdir \(shown(path)): errno \(errno)")
                }
                let from = withC(name) { openat(source, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                let to = withC(name) { openat(target, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                defer {
                    close(from)
                    close(to)
                }
                guard from >= 0, to >= 0 else { throw TestFailure("open \(shown(path)): errno \(errno)") }
                try copyEntries(
                    from: from, to: to, relative: path, destinationRoot: destinationRoot, copied: &copied)
            case S_IFREG:
                try copyContent(name, from: source, to: target, mode: st.st_mode & 0o7777, path: path)
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: 4097)
                let count = withC(name) { readlinkat(source, $0, &buffer, 4096) }
                guard count >= 0 else { throw TestFailure("readlink \(shown(path)): errno \(errno)") }
                let linkTarget = buffer[0..<count].map { UInt8(bitPattern: $0) }
                guard withC(linkTarget, { t in withC(name) { symlinkat(t, target, $0) } }) == 0 else {
                    throw TestFailure("symlink \(shown(path)): errno \(errno)")
                }
            default:
                guard withC(name, { mknodat(target, $0, st.st_mode, st.st_rdev) }) == 0 else {
                    throw TestFailure("mknod \(shown(path)): errno \(errno)")
                }
            }
            if type != S_IFDIR && st.st_nlink > 1 { copied[identity] = path }
            try copyAttributes(of: name, in: source, to: name, in: target)
        }
    }

    private static func copyContent(_ name: [UInt8], from source: Int32, to target: Int32, mode: UInt32, path: [UInt8])
        throws
    {
        let input = withC(name) { openat(source, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        guard input >= 0 else { throw TestFailure("open \(shown(path)): errno \(errno)") }
        defer { close(input) }
        let output = withC(name) { openat(target, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard output >= 0 else { throw TestFailure("create \(shown(path)): errno \(errno)") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(input, &buffer, buffer.count)
            guard count >= 0 else { throw TestFailure("read \(shown(path)): errno \(errno)") }
            if count == 0 { break }
            var offset = 0
            while offset < count {
                let written = buffer[offset..<count].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
                guard written > 0 else { throw TestFailure("write \(shown(path)): errno \(errno)") }
                offset += written
            }
        }
    }

    /// Owner, mode, xattrs and mtime of `sourceName` in `source` onto `targetName` in `target` (empty
    /// names: the directories themselves), after a directory's entries have been made.
    private static func copyAttributes(
        of sourceName: [UInt8], in source: Int32, to targetName: [UInt8], in target: Int32
    )
        throws
    {
        var st = stat()
        let emptyPath: Int32 = 0x1000  // AT_EMPTY_PATH
        let flags = sourceName.isEmpty ? AT_SYMLINK_NOFOLLOW | emptyPath : AT_SYMLINK_NOFOLLOW
        guard withC(sourceName, { fstatat(source, $0, &st, flags) }) == 0 else {
            throw TestFailure("fstatat: errno \(errno)")
        }
        let targetFlags = targetName.isEmpty ? AT_SYMLINK_NOFOLLOW | emptyPath : AT_SYMLINK_NOFOLLOW
        _ = withC(targetName) { fchownat(target, $0, st.st_uid, st.st_gid, targetFlags) }
        if st.st_mode & S_IFMT != S_IFLNK {
            let path = Array("/proc/self/fd/\(target)/".utf8) + targetName
            _ = withC(path) { chmod($0, st.st_mode & 0o7777) }
        }
        let from = Array("/proc/self/fd/\(source)/".utf8) + sourceName
        let to = Array("/proc/self/fd/\(target)/".utf8) + targetName
        var list = [CChar](repeating: 0, count: 65536)
        let listed = withC(from) { llistxattr($0, &list, list.count) }
        if listed > 0 {
            for attribute in list[0..<listed].split(separator: 0) {
                let bytes = attribute.map { UInt8(bitPattern: $0) }
                var value = [UInt8](repeating: 0, count: 65536)
                let got = withC(from) { p in withC(bytes) { lgetxattr(p, $0, &value, value.count) } }
                if got >= 0 {
                    _ = withC(to) { p in withC(bytes) { lsetxattr(p, $0, value, got, 0) } }
                }
            }
        }
        var times = [st.st_atim, st.st_mtim]
        if targetName.isEmpty {
            _ = withC(Array("/proc/self/fd/\(target)/".utf8)) { utimensat(AT_FDCWD, $0, &times, 0) }
        } else {
            _ = withC(targetName) { utimensat(target, $0, &times, AT_SYMLINK_NOFOLLOW) }
        }
    }

    private static func shown(_ path: [UInt8]) -> String { String(decoding: path, as: UTF8.self) }

    private static func withC<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        let terminated = bytes.map { CChar(bitPattern: $0) } + [0]
        return body(terminated)
    }
}
