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
    public static func apply(layer: String, to target: String) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: layer))
        if data.starts(with: [0x1F, 0x8B]) {
            let result = try Run.command(["/bin/sh", "-c", "gzip -dc '\(layer)'"])
            guard result.status == 0 else { throw TestFailure("gzip -dc failed: \(result.stderr)") }
            data = result.stdoutData
        }
        let entries = try parse(Array(data))
        let root = Array(target.utf8)
        func full(_ name: [UInt8]) -> [UInt8] {
            let trimmed = Array(name.drop(while: { $0 == 0x2F }).reversed().drop(while: { $0 == 0x2F }).reversed())
            return trimmed.isEmpty ? root : root + [0x2F] + trimmed
        }
        // Whiteouts first: they speak of the layers below, not of this one. An opaque directory hides all
        // the layers below had in it, at every depth, even where this layer has an entry of the same name.
        for entry in entries {
            let (directory, base) = split(entry.name)
            if base == Array(".wh..wh..opq".utf8) {
                let dir = full(directory)
                // Nothing to hide where an opaque directory above already removed this one.
                let children = try? FileManager.default.contentsOfDirectory(
                    atPath: String(decoding: dir, as: UTF8.self))
                for child in children ?? [] { try remove(dir + [0x2F] + Array(child.utf8)) }
            } else if base.starts(with: Array(".wh.".utf8)) {
                try remove(full(directory + [0x2F] + Array(base.dropFirst(4))))
            }
        }
        var directories: [([UInt8], timespec)] = []
        for entry in entries {
            let base = split(entry.name).1
            if base.starts(with: Array(".wh.".utf8)) { continue }
            let path = full(entry.name)
            try create(entry, at: path, root: root, full: full)
            if entry.type == 0x35 { directories.append((path, entry.mtime)) }
        }
        // Directory mtimes last: creating their entries moved them.
        for (path, mtime) in directories.reversed() { setTime(path, mtime) }
    }

    static func split(_ name: [UInt8]) -> ([UInt8], [UInt8]) {
        let trimmed = Array(name.reversed().drop(while: { $0 == 0x2F }).reversed())
        guard let slash = trimmed.lastIndex(of: 0x2F) else { return ([], trimmed) }
        return (Array(trimmed[..<slash]), Array(trimmed[(slash + 1)...]))
    }

    static func create(_ entry: Entry, at path: [UInt8], root: [UInt8], full: ([UInt8]) -> [UInt8]) throws {
        var st = stat()
        let exists = withC(path) { lstat($0, &st) } == 0
        if exists && !(entry.type == 0x35 && st.st_mode & S_IFMT == S_IFDIR) { try remove(path) }
        let rc: Int32
        switch entry.type {
        case 0x30, 0x00:
            let fd = withC(path) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600) }
            guard fd >= 0 else { throw TestFailure("create \(String(decoding: path, as: UTF8.self)): errno \(errno)") }
            _ = entry.content.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            rc = 0
        case 0x31: rc = withC(full(entry.linkName)) { from in withC(path) { link(from, $0) } }
        case 0x32: rc = withC(entry.linkName) { target in withC(path) { symlink(target, $0) } }
        case 0x33, 0x34:
            let kind: mode_t = entry.type == 0x33 ? 0o020000 : 0o060000  // S_IFCHR, S_IFBLK
            // makedev() is a macro: the Linux encoding of major and minor.
            let major = UInt64(entry.major)
            let minor = UInt64(entry.minor)
            let device = (major & 0xFFF) << 8 | (major & ~0xFFF) << 32 | (minor & 0xFF) | (minor & ~0xFF) << 12
            rc = withC(path) { mknod($0, kind | 0o600, dev_t(device)) }
        // A directory that replaces a file, link or fifo: the old object was removed above.
        case 0x35: rc = exists && st.st_mode & S_IFMT == S_IFDIR ? 0 : withC(path) { mkdir($0, 0o700) }
        case 0x36: rc = withC(path) { mkfifo($0, 0o600) }
        default: throw TestFailure("unknown tar entry type \(entry.type)")
        }
        guard rc == 0 else { throw TestFailure("create \(String(decoding: path, as: UTF8.self)): errno \(errno)") }
        if entry.type == 0x31 { return }
        _ = withC(path) { lchown($0, entry.uid, entry.gid) }
        if entry.type != 0x32 { _ = withC(path) { chmod($0, entry.mode) } }
        // Replace the xattrs the object had with the layer's.
        var list = [CChar](repeating: 0, count: 65536)
        let listed = withC(path) { llistxattr($0, &list, list.count) }
        if listed > 0 {
            for name in list[0..<listed].split(separator: 0) {
                let bytes = name.map { UInt8(bitPattern: $0) }
                _ = withC(path) { p in withC(bytes) { lremovexattr(p, $0) } }
            }
        }
        for (name, value) in entry.xattrs {
            let rc = withC(path) { p in
                withC(name) { n in value.withUnsafeBytes { lsetxattr(p, n, $0.baseAddress, $0.count, 0) } }
            }
            guard rc == 0 else {
                throw TestFailure("setxattr \(String(decoding: name, as: UTF8.self)): errno \(errno)")
            }
        }
        if entry.type != 0x35 { setTime(path, entry.mtime) }
    }

    static func setTime(_ path: [UInt8], _ mtime: timespec) {
        let omit = (1 << 30) - 2  // UTIME_OMIT, a macro Swift does not import here
        var times = [timespec(tv_sec: 0, tv_nsec: omit), mtime]
        _ = withC(path) { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }
    }

    static func remove(_ path: [UInt8]) throws {
        var st = stat()
        guard withC(path, { lstat($0, &st) }) == 0 else { return }
        if st.st_mode & S_IFMT == S_IFDIR {
            for child in try FileManager.default.contentsOfDirectory(atPath: String(decoding: path, as: UTF8.self)) {
                try remove(path + [0x2F] + Array(child.utf8))
            }
            _ = withC(path) { rmdir($0) }
        } else {
            _ = withC(path) { unlink($0) }
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
