import ChangerecSystem
import Crypto
import SystemPackage

/// The content of one regular file beneath ROOT, open for reading: the one place where the seal (which
/// hashes it) and the layer writer (which hashes it and copies it into the tar) open and read content.
///
/// The file is opened by name in its already open parent with `O_NOFOLLOW | O_NONBLOCK | O_NOCTTY`: a
/// symbolic link swapped in since the stat is never followed (`ELOOP`), a fifo swapped in is never waited
/// on, and a terminal never becomes the controlling one. What was opened may still be another object than
/// the one stat'ed, so nothing read is trusted before ``status(ifStill:)`` says it is the same file.
/// The descriptor is closed when the reader goes away.
struct ContentReader: ~Copyable {
    private let descriptor: FileDescriptor

    /// Opens `name` in `directory` for reading.
    ///
    /// - Throws: the `Errno` of the open: `ENOENT` when the name is gone, `ELOOP` when it is a symbolic
    ///   link now, `EACCES`, `EIO`, ...
    init(_ name: [UInt8], in directory: FileDescriptor) throws(Errno) {
        descriptor = try FileSystem.open(
            name, relativeTo: directory, .readOnly, options: [.noFollow, .nonBlocking, .noControllingTerminal])
    }

    deinit { FileSystem.close(descriptor) }

    /// The status of the open object, or `nil` when it is not the regular file `expected` describes (the
    /// same inode): something else took the name between the stat and the open.
    ///
    /// - Throws: the `Errno` of the `fstat`.
    func status(ifStill expected: FileStatus) throws(Errno) -> FileStatus? {
        let status = try FileSystem.status(of: descriptor)
        return status.type == .regular && status.inode == expected.inode ? status : nil
    }

    /// The status of the open object now (`fstat`), to check that it did not change while it was read.
    func status() throws(Errno) -> FileStatus {
        try FileSystem.status(of: descriptor)
    }

    /// Reads the content from where it stands to its end, or `limit` bytes if it ends later, in chunks of at
    /// most 1 MiB, each hashed and then handed to `sink`.
    ///
    /// - Returns: how many bytes were read (fewer than `limit` when the file ended first) and their SHA-256.
    /// - Throws: what `sink` throws, or `readFailed` made of the `Errno` of a read that failed.
    func digest<Failure: Error>(
        limit: UInt64 = .max, readFailed: (Errno) -> Failure,
        sink: (UnsafeRawBufferPointer) throws(Failure) -> Void = { _ in }
    ) throws(Failure) -> (count: UInt64, sha256: [UInt8]) {
        var hasher = SHA256()
        var count: UInt64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while count < limit {
            let want = Int(min(UInt64(buffer.count), limit - count))
            let got: Int
            do {
                got = try FileSystem.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
            } catch {
                throw readFailed(error)
            }
            if got == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<got])
            hasher.update(bufferPointer: chunk)
            try sink(chunk)
            count += UInt64(got)
        }
        return (count, Array(hasher.finalize()))
    }
}
