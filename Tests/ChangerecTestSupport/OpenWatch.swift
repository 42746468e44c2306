import Glibc

/// An inotify watch, held by the test itself, that reports every open and read of a directory or of
/// the files in it: the kernel's word that nothing reached a directory outside ROOT.
///
/// Events are queued by the kernel inside the `open` or `read` that causes them, so once the process
/// that could have opened something has ended, ``events()`` sees all of them: no waiting is needed.
public final class OpenWatch {
    private let descriptor: Int32
    private var watched: [Int32: String] = [:]

    /// Watches each of `directories` (not their subdirectories) for `IN_OPEN` and `IN_ACCESS`.
    public init(_ directories: [String]) throws {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw TestFailure("inotify_init1 failed: errno \(errno)") }
        for directory in directories {
            let watch = inotify_add_watch(descriptor, directory, UInt32(IN_OPEN | IN_ACCESS))
            guard watch >= 0 else {
                close(descriptor)
                throw TestFailure("inotify_add_watch '\(directory)' failed: errno \(errno)")
            }
            watched[watch] = directory
        }
    }

    deinit { close(descriptor) }

    /// Every open or read queued since the watch began (or since the last call): `open DIR/NAME`,
    /// `read DIR/NAME`, or the directory alone when it was the directory itself that was opened.
    public func events() -> [String] {
        var result: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            var offset = 0
            while offset + 16 <= count {
                let (watch, mask, length) = buffer.withUnsafeBytes { raw in
                    (
                        raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                        raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                        Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    )
                }
                let name = buffer[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }
                let what = mask & UInt32(IN_OPEN) != 0 ? "open" : mask & UInt32(IN_ACCESS) != 0 ? "read" : "event"
                let directory = watched[watch] ?? "?"
                result.append("\(what) \(directory)\(name.isEmpty ? "" : "/" + String(decoding: name, as: UTF8.self))")
                offset += 16 + length
            }
        }
        return result
    }
}
