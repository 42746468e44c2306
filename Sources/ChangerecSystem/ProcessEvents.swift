import CChangerecLinux
import Glibc
import SystemPackage

/// Process lifecycle events from the kernel's netlink proc connector: forks, execs, name changes and
/// exits, in the order they happened. The corresponding C functions are `socket(AF_NETLINK,
/// NETLINK_CONNECTOR)`, `bind` and `recv`.
///
/// - Important: needs CAP_NET_ADMIN and a kernel built with CONFIG_PROC_EVENTS.
public final class ProcessEvents {
    public enum Event: Sendable, Equatable {
        case fork(pid: Int32, parent: Int32)
        case exec(pid: Int32)
        case rename(pid: Int32, name: String)
        case exit(pid: Int32)
    }

    public let descriptor: FileDescriptor

    public init() throws(Errno) {
        descriptor = FileDescriptor(rawValue: try valueOrErrno("socket") { cchangerec_proc_events_open() }.get())
    }

    deinit { Glibc.close(descriptor.rawValue) }

    /// Every event received now. Throws `ENOBUFS` when the socket's buffer overflowed and events were lost.
    public func readAvailable() throws(Errno) -> [Event] {
        var result: [Event] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var decoded = [cchangerec_proc_event](repeating: cchangerec_proc_event(), count: 512)
        while true {
            let received = buffer.withUnsafeMutableBytes { raw in
                valueOrErrno("recv") { recv(descriptor.rawValue, raw.baseAddress, raw.count, 0) }
            }
            let length: Int
            switch received {
            case .success(let n): length = n
            case .failure(.wouldBlock): return result
            case .failure(let error): throw error
            }
            let count = buffer.withUnsafeBytes { raw in
                decoded.withUnsafeMutableBufferPointer { out in
                    cchangerec_proc_events_decode(
                        raw.baseAddress?.assumingMemoryBound(to: UInt8.self), length, out.baseAddress, Int32(out.count))
                }
            }
            for item in decoded.prefix(Int(count)) {
                switch Int(item.what) {
                case Int(PROC_EVENT_FORK.rawValue): result.append(.fork(pid: item.pid, parent: item.parent))
                case Int(PROC_EVENT_EXEC.rawValue): result.append(.exec(pid: item.pid))
                case Int(PROC_EVENT_COMM.rawValue):
                    let name = withUnsafeBytes(of: item.comm) { raw in
                        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                    }
                    result.append(.rename(pid: item.pid, name: name))
                case Int(PROC_EVENT_EXIT.rawValue): result.append(.exit(pid: item.pid))
                default: break
                }
            }
        }
    }
}

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
