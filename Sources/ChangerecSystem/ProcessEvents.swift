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
