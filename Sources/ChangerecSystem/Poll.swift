import Glibc
import SystemPackage

/// Waiting on several descriptors at once. The corresponding C function is `poll`.
public enum Poll {
    /// Blocks until one of `descriptors` is readable (or `timeoutMilliseconds` passes; -1 waits forever)
    /// and returns which ones are.
    public static func waitReadable(_ descriptors: [FileDescriptor], timeoutMilliseconds: Int32 = -1) throws(Errno)
        -> [Bool]
    {
        var fds = descriptors.map { pollfd(fd: $0.rawValue, events: Int16(POLLIN), revents: 0) }
        _ = try valueOrErrno("poll") { Glibc.poll(&fds, nfds_t(fds.count), timeoutMilliseconds) }.get()
        return fds.map { $0.revents != 0 }
    }
}
