import CChangerecLinux  // for <sys/xattr.h>, which Glibc's module map leaves out
import Crypto
import Glibc

/// What the oracle knows of one object: everything a real change can alter.
public struct ObjectState: Equatable, Sendable {
    public var type: UInt32
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    public var mtime: Int64
    public var mtimeNanoseconds: Int
    public var rdev: UInt64
    public var content: [UInt8]?
    public var target: [UInt8]?
    public var xattrs: [[UInt8]: [UInt8]]

    /// The names of the fields that differ from `other`; ROOT's own mtime is not compared.
    public func differingFields(from other: ObjectState, isRoot: Bool) -> [String] {
        var fields: [String] = []
        if type != other.type { fields.append("type") }
        if mode != other.mode { fields.append("mode") }
        if uid != other.uid { fields.append("uid") }
        if gid != other.gid { fields.append("gid") }
        if size != other.size && type == S_IFREG { fields.append("size") }
        if !isRoot && (mtime != other.mtime || mtimeNanoseconds != other.mtimeNanoseconds) { fields.append("mtime") }
        if rdev != other.rdev { fields.append("rdev") }
        if content != other.content { fields.append("content") }
        if target != other.target { fields.append("target") }
        if xattrs != other.xattrs { fields.append("xattrs") }
        return fields
    }
}

/// A real difference between two snapshots.
public struct Difference: Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case added, removed, changed([String]) }
    public var path: [UInt8]
    public var kind: Kind

    public var description: String {
        let shown = "/" + String(decoding: path, as: UTF8.self)
        switch kind {
        case .added: return "added \(shown)"
        case .removed: return "removed \(shown)"
        case .changed(let fields): return "changed \(shown) (\(fields.joined(separator: ", ")))"
        }
    }
}

/// The ground truth: every object under a tree, read with `lstat`, `readlink`, content SHA-256 and
/// xattrs, written independently of the code under test. `.changerec/` at the top is left out.
///
/// The tree is walked with directory descriptors (`openat`, `fstatat`, `readlinkat` relative to the
/// parent), so paths longer than `PATH_MAX` are read like any other.
public struct TreeSnapshot: Sendable {
    public var objects: [[UInt8]: ObjectState] = [:]

    public static func take(_ root: String) throws -> TreeSnapshot {
        var snapshot = TreeSnapshot()
        let fd = withC(Array(root.utf8)) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw TestFailure("open \(root) failed: errno \(errno)") }
        defer { close(fd) }
        snapshot.objects[[]] = try state(of: [], in: fd)
        try walk(fd, relative: [], into: &snapshot)
        return snapshot
    }

    private static func walk(_ directory: Int32, relative: [UInt8], into snapshot: inout TreeSnapshot) throws {
        for name in try names(in: directory) {
            if relative.isEmpty && name == Array(".changerec".utf8) { continue }
            let child = relative.isEmpty ? name : relative + [0x2F] + name
            let object = try state(of: name, in: directory)
            snapshot.objects[child] = object
            if object.type == S_IFDIR {
                let fd = withC(name) { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                guard fd >= 0 else { throw TestFailure("openat \(printable(child)) failed: errno \(errno)") }
                defer { close(fd) }
                try walk(fd, relative: child, into: &snapshot)
            }
        }
    }

    /// Every path whose existence or state differs in `after`.
    public func differences(to after: TreeSnapshot) -> [Difference] {
        var result: [Difference] = []
        for (path, old) in objects {
            guard let new = after.objects[path] else {
                result.append(Difference(path: path, kind: .removed))
                continue
            }
            let fields = new.differingFields(from: old, isRoot: path.isEmpty)
            if !fields.isEmpty { result.append(Difference(path: path, kind: .changed(fields))) }
        }
        for path in after.objects.keys where objects[path] == nil {
            result.append(Difference(path: path, kind: .added))
        }
        return result.sorted { $0.path.lexicographicallyPrecedes($1.path) }
    }

    private static func printable(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    private static func withC<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        let terminated = bytes.map { CChar(bitPattern: $0) } + [0]
        return body(terminated)
    }

    /// The names in the open directory `directory`, `.` and `..` left out.
    static func names(in directory: Int32) throws -> [[UInt8]] {
        let copy = dup(directory)
        guard copy >= 0, let stream = fdopendir(copy) else { throw TestFailure("fdopendir failed: errno \(errno)") }
        defer { closedir(stream) }
        rewinddir(stream)
        var result: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            result.append(name)
        }
        return result
    }

    /// The state of `name` in the open directory `directory` (`name` empty: the directory itself).
    private static func state(of name: [UInt8], in directory: Int32) throws -> ObjectState {
        var st = stat()
        let statFlags = name.isEmpty ? AT_SYMLINK_NOFOLLOW | 0x1000 : AT_SYMLINK_NOFOLLOW  // AT_EMPTY_PATH
        guard withC(name, { fstatat(directory, $0, &st, statFlags) }) == 0 else {
            throw TestFailure("fstatat \(printable(name)) failed: errno \(errno)")
        }
        let type = st.st_mode & S_IFMT
        var content: [UInt8]?
        var target: [UInt8]?
        if type == S_IFREG {
            let fd = withC(name, { openat(directory, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) })
            guard fd >= 0 else { throw TestFailure("openat \(printable(name)) failed: errno \(errno)") }
            defer { close(fd) }
            var hasher = SHA256()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { break }
                hasher.update(data: buffer[0..<n])
            }
            content = Array(hasher.finalize())
        } else if type == S_IFLNK {
            var buffer = [CChar](repeating: 0, count: 4097)
            let n = withC(name, { readlinkat(directory, $0, &buffer, 4096) })
            target = n >= 0 ? buffer[0..<n].map { UInt8(bitPattern: $0) } : nil
        }
        // The l*xattr calls take a path: the directory's /proc/self/fd link keeps it short (with a
        // trailing `/` for the directory itself, so that the magic link is followed).
        let path = Array("/proc/self/fd/\(directory)/".utf8) + name
        var xattrs: [[UInt8]: [UInt8]] = [:]
        var list = [CChar](repeating: 0, count: 65536)
        let listed = withC(path, { llistxattr($0, &list, list.count) })
        if listed > 0 {
            for attribute in list[0..<listed].split(separator: 0) {
                let nameBytes = attribute.map { UInt8(bitPattern: $0) }
                var value = [UInt8](repeating: 0, count: 65536)
                let got = withC(path, { p in withC(nameBytes, { n in lgetxattr(p, n, &value, value.count) }) })
                if got >= 0 { xattrs[nameBytes] = Array(value[0..<got]) }
            }
        }
        return ObjectState(
            type: type, mode: st.st_mode & 0o7777, uid: st.st_uid, gid: st.st_gid, size: Int64(st.st_size),
            mtime: Int64(st.st_mtim.tv_sec), mtimeNanoseconds: st.st_mtim.tv_nsec, rdev: UInt64(st.st_rdev),
            content: content, target: target, xattrs: xattrs)
    }
}
