import CChangerecLinux  // <sys/xattr.h>
import Foundation
import Glibc

/// An OCI layer applier written for the tests, independent of changerec's writer: it parses the tar
/// (ustar and PAX) itself and applies it with the whiteout semantics of the image spec's layer.md —
/// `.wh.NAME` removes NAME from the layers below, `.wh..wh..opq` removes everything the layers below
/// had in that directory — then creates every entry with its mode, owner, xattrs and mtime.
public enum LayerApplier {
    struct Entry {
        var name: [UInt8]
        var type: UInt8
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var mtime: timespec
        var linkName: [UInt8]
        var major: UInt32
        var minor: UInt32
        var xattrs: [([UInt8], [UInt8])]
        var content: [UInt8]
    }

    /// Applies the uncompressed or gzip-compressed layer at `layer` to the directory `target`.
    ///
    /// Every object is reached through directory descriptors (`openat` component by component, then the
    /// `*at` calls on the last name), so entries with paths longer than `PATH_MAX` apply like any other.
    public static func apply(layer: String, to target: String) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: layer))
        if data.starts(with: [0x1F, 0x8B]) {
            let result = try Run.command(["/bin/sh", "-c", "gzip -dc '\(layer)'"])
            guard result.status == 0 else { throw TestFailure("gzip -dc failed: \(result.stderr)") }
            data = result.stdoutData
        }
        let entries = try parse(Array(data))
        let root = withC(Array(target.utf8)) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard root >= 0 else { throw TestFailure("open \(target): errno \(errno)") }
        defer { close(root) }
        // Whiteouts first: they speak of the layers below, not of this one. An opaque directory hides all
        // the layers below had in it, at every depth, even where this layer has an entry of the same name.
        for entry in entries {
            let (directory, base) = split(entry.name)
            if base == Array(".wh..wh..opq".utf8) {
                // Nothing to hide where an opaque directory above already removed this one.
                try ifDirectoryExists(root, trimmed(directory)) { fd in
                    for child in try TreeSnapshot.names(in: fd) { try remove(child, in: fd) }
                }
            } else if base.starts(with: Array(".wh.".utf8)) {
                let hidden = join(directory, Array(base.dropFirst(4)))
                let (parent, name) = split(hidden)
                try ifDirectoryExists(root, parent) { fd in try remove(name, in: fd) }
            }
        }
        var directories: [([UInt8], timespec)] = []
        for entry in entries {
            let base = split(entry.name).1
            if base.starts(with: Array(".wh.".utf8)) { continue }
            let path = trimmed(entry.name)
            try create(entry, at: path, root: root)
            if entry.type == 0x35 { directories.append((path, entry.mtime)) }
        }
        // Directory mtimes last: creating their entries moved them.
        for (path, mtime) in directories.reversed() {
            try withParent(root, path) { fd, name in setTime(name, in: fd, mtime) }
        }
    }

    /// A tar name without leading or trailing `/`: a path relative to the target.
    static func trimmed(_ name: [UInt8]) -> [UInt8] {
        Array(name.drop(while: { $0 == 0x2F }).reversed().drop(while: { $0 == 0x2F }).reversed())
    }

    static func join(_ directory: [UInt8], _ name: [UInt8]) -> [UInt8] {
        let parent = trimmed(directory)
        return parent.isEmpty ? name : parent + [0x2F] + name
    }

    static func split(_ name: [UInt8]) -> ([UInt8], [UInt8]) {
        let trimmed = Array(name.reversed().drop(while: { $0 == 0x2F }).reversed())
        guard let slash = trimmed.lastIndex(of: 0x2F) else { return ([], trimmed) }
        return (Array(trimmed[..<slash]), Array(trimmed[(slash + 1)...]))
    }

    /// Runs `body` with the directory `relative` (below `root`) open, reached one component at a time
    /// without following symbolic links.
    static func withDirectory<R>(_ root: Int32, _ relative: [UInt8], _ body: (Int32) throws -> R) throws -> R {
        guard let fd = try openDirectory(root, relative, missingIsNothing: false) else {
            throw TestFailure("open \(String(decoding: relative, as: UTF8.self)): missing")
        }
        defer { close(fd) }
        return try body(fd)
    }

    /// Runs `body` with the directory `relative` open, or does nothing when it (or a directory on its way)
    /// does not exist.
    static func ifDirectoryExists(_ root: Int32, _ relative: [UInt8], _ body: (Int32) throws -> Void) throws {
        guard let fd = try openDirectory(root, relative, missingIsNothing: true) else { return }
        defer { close(fd) }
        try body(fd)
    }

    /// The directory `relative` opened component by component with `O_NOFOLLOW`; `nil` when it is missing
    /// (ENOENT, ENOTDIR) and `missingIsNothing`.
    private static func openDirectory(_ root: Int32, _ relative: [UInt8], missingIsNothing: Bool) throws -> Int32? {
        var current = dup(root)
        guard current >= 0 else { throw TestFailure("dup: errno \(errno)") }
        for component in relative.split(separator: 0x2F) {
            let next = withC(Array(component)) { openat(current, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            let error = errno
            close(current)
            guard next >= 0 else {
                if missingIsNothing && (error == ENOENT || error == ENOTDIR) { return nil }
                throw TestFailure("open \(String(decoding: relative, as: UTF8.self)): errno \(error)")
            }
            current = next
        }
        return current
    }

    /// Runs `body` with the parent directory of `relative` open and the last component's name.
    static func withParent<R>(_ root: Int32, _ relative: [UInt8], _ body: (Int32, [UInt8]) throws -> R) throws -> R {
        let (directory, name) = split(relative)
        return try withDirectory(root, directory) { try body($0, name) }
    }

    static func create(_ entry: Entry, at path: [UInt8], root: Int32) throws {
        try withParent(root, path) { directory, name in
            try create(entry, name: name, in: directory, root: root, shown: String(decoding: path, as: UTF8.self))
        }
    }

    static func create(_ entry: Entry, name: [UInt8], in directory: Int32, root: Int32, shown: String) throws {
        var st = stat()
        let exists = withC(name) { fstatat(directory, $0, &st, AT_SYMLINK_NOFOLLOW) } == 0
        if exists && !(entry.type == 0x35 && st.st_mode & S_IFMT == S_IFDIR) { try remove(name, in: directory) }
        let rc: Int32
        switch entry.type {
        case 0x30, 0x00:
            let fd = withC(name) { openat(directory, $0, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600) }
            guard fd >= 0 else { throw TestFailure("create \(shown): errno \(errno)") }
            var offset = 0
            while offset < entry.content.count {
                let n = entry.content[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { break }
                offset += n
            }
            close(fd)
            rc = 0
        case 0x31:
            rc = try withParent(root, trimmed(entry.linkName)) { sourceDirectory, sourceName in
                withC(sourceName) { from in withC(name) { linkat(sourceDirectory, from, directory, $0, 0) } }
            }
        case 0x32: rc = withC(entry.linkName) { target in withC(name) { symlinkat(target, directory, $0) } }
        case 0x33, 0x34:
            let kind: mode_t = entry.type == 0x33 ? 0o020000 : 0o060000  // S_IFCHR, S_IFBLK
            // makedev() is a macro: the Linux encoding of major and minor.
            let major = UInt64(entry.major)
            let minor = UInt64(entry.minor)
            let device = (major & 0xFFF) << 8 | (major & ~0xFFF) << 32 | (minor & 0xFF) | (minor & ~0xFF) << 12
            rc = withC(name) { mknodat(directory, $0, kind | 0o600, dev_t(device)) }
        // A directory that replaces a file, link or fifo: the old object was removed above.
        case 0x35: rc = exists && st.st_mode & S_IFMT == S_IFDIR ? 0 : withC(name) { mkdirat(directory, $0, 0o700) }
        case 0x36: rc = withC(name) { mkfifoat(directory, $0, 0o600) }
        default: throw TestFailure("unknown tar entry type \(entry.type)")
        }
        guard rc == 0 else { throw TestFailure("create \(shown): errno \(errno)") }
        if entry.type == 0x31 { return }
        _ = withC(name) { fchownat(directory, $0, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) }
        if entry.type != 0x32 { _ = withC(name) { fchmodat(directory, $0, entry.mode, 0) } }
        // Replace the xattrs the object had with the layer's; the l*xattr calls reach it through the
        // directory's /proc/self/fd link.
        let path = Array("/proc/self/fd/\(directory)/".utf8) + name
        var list = [CChar](repeating: 0, count: 65536)
        let listed = withC(path) { llistxattr($0, &list, list.count) }
        if listed > 0 {
            for attribute in list[0..<listed].split(separator: 0) {
                let bytes = attribute.map { UInt8(bitPattern: $0) }
                _ = withC(path) { p in withC(bytes) { lremovexattr(p, $0) } }
            }
        }
        for (attribute, value) in entry.xattrs {
            let rc = withC(path) { p in
                withC(attribute) { n in value.withUnsafeBytes { lsetxattr(p, n, $0.baseAddress, $0.count, 0) } }
            }
            guard rc == 0 else {
                throw TestFailure("setxattr \(String(decoding: attribute, as: UTF8.self)): errno \(errno)")
            }
        }
        if entry.type != 0x35 { setTime(name, in: directory, entry.mtime) }
    }

    static func setTime(_ name: [UInt8], in directory: Int32, _ mtime: timespec) {
        let omit = (1 << 30) - 2  // UTIME_OMIT, a macro Swift does not import here
        var times = [timespec(tv_sec: 0, tv_nsec: omit), mtime]
        _ = withC(name) { utimensat(directory, $0, &times, AT_SYMLINK_NOFOLLOW) }
    }

    /// Removes `name` from the open `directory`, and everything below it if it is a directory.
    static func remove(_ name: [UInt8], in directory: Int32) throws {
        var st = stat()
        guard withC(name, { fstatat(directory, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else { return }
        if st.st_mode & S_IFMT == S_IFDIR {
            let fd = withC(name) { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            guard fd >= 0 else { throw TestFailure("open \(String(decoding: name, as: UTF8.self)): errno \(errno)") }
            defer { close(fd) }
            for child in try TreeSnapshot.names(in: fd) { try remove(child, in: fd) }
            _ = withC(name) { unlinkat(directory, $0, AT_REMOVEDIR) }
        } else {
            _ = withC(name) { unlinkat(directory, $0, 0) }
        }
    }

    static func withC<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        let terminated = bytes.map { CChar(bitPattern: $0) } + [0]
        return body(terminated)
    }

    /// Parses ustar headers, applying each PAX extended header to the entry that follows it.
    static func parse(_ bytes: [UInt8]) throws -> [Entry] {
        var entries: [Entry] = []
        var offset = 0
        var pax: [String: [UInt8]] = [:]
        func field(_ start: Int, _ length: Int) -> [UInt8] {
            Array(bytes[(offset + start)..<(offset + start + length)].prefix(while: { $0 != 0 }))
        }
        func octal(_ start: Int, _ length: Int) -> UInt64 {
            UInt64(String(decoding: field(start, length).filter { $0 != 0x20 }, as: UTF8.self), radix: 8) ?? 0
        }
        while offset + 512 <= bytes.count {
            if bytes[offset..<(offset + 512)].allSatisfy({ $0 == 0 }) { break }
            var sum = 0
            for index in 0..<512 { sum += (148..<156).contains(index) ? 0x20 : Int(bytes[offset + index]) }
            guard UInt64(sum) == octal(148, 8) else { throw TestFailure("bad tar checksum at \(offset)") }
            guard field(257, 6) == Array("ustar".utf8) else { throw TestFailure("not ustar at \(offset)") }
            let type = bytes[offset + 156]
            var size = octal(124, 12)
            if let value = pax["size"] { size = UInt64(String(decoding: value, as: UTF8.self)) ?? size }
            let contentStart = offset + 512
            let content = Array(bytes[contentStart..<(contentStart + Int(size))])
            if type == 0x78 {
                var index = 0
                while index < content.count {
                    guard let space = content[index...].firstIndex(of: 0x20),
                        let length = Int(String(decoding: content[index..<space], as: UTF8.self))
                    else { throw TestFailure("bad PAX record") }
                    let record = content[(space + 1)..<(index + length - 1)]
                    if let equals = record.firstIndex(of: 0x3D) {
                        pax[String(decoding: record[record.startIndex..<equals], as: UTF8.self)] = Array(
                            record[(equals + 1)...])
                    }
                    index += length
                }
            } else {
                var name = field(0, 100)
                if !field(345, 155).isEmpty { name = field(345, 155) + [0x2F] + name }
                var mtime = timespec(tv_sec: Int(octal(136, 12)), tv_nsec: 0)
                if let value = pax["mtime"] {
                    let parts = String(decoding: value, as: UTF8.self).split(separator: ".")
                    mtime.tv_sec = Int(parts[0]) ?? 0
                    if parts.count > 1 {
                        mtime.tv_nsec = Int(parts[1].padding(toLength: 9, withPad: "0", startingAt: 0)) ?? 0
                    }
                }
                let xattrs = pax.filter { $0.key.hasPrefix("SCHILY.xattr.") }
                    .map { (Array($0.key.dropFirst("SCHILY.xattr.".count).utf8), $0.value) }
                entries.append(
                    Entry(
                        name: pax["path"] ?? name, type: type, mode: UInt32(octal(100, 8)),
                        uid: pax["uid"].flatMap { UInt32(String(decoding: $0, as: UTF8.self)) }
                            ?? UInt32(octal(108, 8)),
                        gid: pax["gid"].flatMap { UInt32(String(decoding: $0, as: UTF8.self)) }
                            ?? UInt32(octal(116, 8)),
                        mtime: mtime, linkName: pax["linkpath"] ?? field(157, 100), major: UInt32(octal(329, 8)),
                        minor: UInt32(octal(337, 8)), xattrs: xattrs, content: content))
                pax = [:]
            }
            offset = contentStart + (Int(size) + 511) / 512 * 512
        }
        return entries
    }
}
