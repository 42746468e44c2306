import Glibc
import SystemPackage

/// Mount points, from `/proc/self/mountinfo`.
public enum Mounts {
    public struct Mount: Sendable, Equatable {
        public var id: Int
        /// Major:minor of the file system.
        public var device: String
        public var mountPoint: [UInt8]
        public var fileSystemType: String
    }

    /// Every mount this process sees, or none when `/proc` is not mounted (see ``list()``).
    public static func all() -> [Mount] { list() ?? [] }

    /// Every mount this process sees; `nil` when `/proc/self/mountinfo` cannot be read (no `/proc` in a
    /// fresh chroot or a minimal container). Mount points are unescaped (`\040` is a space).
    public static func list() -> [Mount]? {
        guard let fd = try? FileSystem.open(Array("/proc/self/mountinfo".utf8), flags: O_RDONLY) else { return nil }
        defer { FileSystem.close(fd) }
        var bytes: [UInt8] = []
        var offset: Int64 = 0
        while let chunk = try? FileSystem.read(fd, count: 65536, at: offset), !chunk.isEmpty {
            bytes += chunk
            offset += Int64(chunk.count)
        }
        var result: [Mount] = []
        for line in bytes.split(separator: 0x0A) {
            let fields = line.split(separator: 0x20).map(Array.init)
            guard fields.count >= 10, let separator = fields.firstIndex(of: [0x2D]), separator + 1 < fields.count,
                let id = Int(String(decoding: fields[0], as: UTF8.self))
            else { continue }
            result.append(
                Mount(
                    id: id, device: String(decoding: fields[2], as: UTF8.self), mountPoint: unescape(fields[4]),
                    fileSystemType: String(decoding: fields[separator + 1], as: UTF8.self)))
        }
        return result
    }

    private static func unescape(_ field: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < field.count {
            if field[index] == 0x5C, index + 3 < field.count,
                let value = UInt8(String(decoding: field[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)
            {
                out.append(value)
                index += 4
            } else {
                out.append(field[index])
                index += 1
            }
        }
        return out
    }
}
