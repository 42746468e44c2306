import CChangerecLinux
import Glibc
import SystemPackage

/// What deciding where an output goes needs: the status a path leads to, and whether a descriptor is a
/// terminal.
extension FileSystem {
    /// The status of what `path` leads to, following symbolic links (including `/proc`'s magic links
    /// such as `/dev/stdout` → `/proc/self/fd/1`). The corresponding C function is `stat`.
    public static func status(following path: [UInt8]) throws(Errno) -> FileStatus {
        var st = stat()
        let rc = withCPath(path) { cPath in valueOrErrno("stat") { stat(cPath, &st) } }
        _ = try rc.get()
        return FileStatus(st)
    }

    /// Whether `descriptor` is a terminal. The corresponding C function is `isatty`.
    public static func isTerminal(_ descriptor: FileDescriptor) -> Bool {
        isatty(descriptor.rawValue) == 1
    }
}

extension StandardStreams {
    /// The descriptor of standard output.
    public static let output = FileDescriptor(rawValue: 1)

    /// Makes a write to a pipe whose reader has gone fail with `EPIPE` instead of killing the process
    /// with SIGPIPE, so that a layer cut short by a closed pipe is reported, not silently truncated.
    /// The corresponding C function is `signal(SIGPIPE, SIG_IGN)`.
    public static func reportBrokenPipes() {
        _ = signal(SIGPIPE, SIG_IGN)
    }
}

extension FileSystem {
    /// Copies everything `source` has left to read into `destination`, through a 1 MiB buffer.
    /// The corresponding C functions are `read` and `write`.
    public static func copyAll(from source: FileDescriptor, to destination: FileDescriptor) throws(Errno) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try read(source, into: buffer)
            if count == 0 { return }
            try writeAll(destination, UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }
}
