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
    /// The receive and decode buffers, allocated once: the recorder drains the socket before every batch
    /// of file events, most often to find it empty.
    private let buffer: UnsafeMutableRawBufferPointer
    private let decoded: UnsafeMutableBufferPointer<cchangerec_proc_event>

    public init() throws(Errno) {
        descriptor = FileDescriptor(rawValue: try valueOrErrno("socket") { cchangerec_proc_events_open() }.get())
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        decoded = UnsafeMutableBufferPointer<cchangerec_proc_event>.allocate(capacity: 512)
        decoded.initialize(repeating: cchangerec_proc_event())
    }

    deinit {
        buffer.deallocate()
        decoded.deallocate()
        Glibc.close(descriptor.rawValue)
    }

    /// Every event received now. Throws `ENOBUFS` when the socket's buffer overflowed and events were lost.
    public func readAvailable() throws(Errno) -> [Event] {
        var result: [Event] = []
        while true {
            let received = valueOrErrno("recv") { recv(descriptor.rawValue, buffer.baseAddress, buffer.count, 0) }
            let length: Int
            switch received {
            case .success(let n): length = n
            case .failure(.wouldBlock): return result
            case .failure(let error): throw error
            }
            let count = cchangerec_proc_events_decode(
                UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: UInt8.self), length,
                decoded.baseAddress, Int32(decoded.count))
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
