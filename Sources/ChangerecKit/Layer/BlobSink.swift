import ChangerecSystem
import Crypto
import SystemPackage

/// Where a layer's bytes go: a temporary file beside the output (or a stream), optionally compressed, with the
/// SHA-256 of the uncompressed stream (the diff_id) and of the bytes written (the blob digest) computed
/// on the way, so a layer of any size streams through a fixed buffer.
final class BlobSink {
    private let descriptor: FileDescriptor
    private let path: [UInt8]
    private let compressor: (any StreamCompressor)?
    private var uncompressedHash = SHA256()
    private var writtenHash = SHA256()
    private var buffer: [UInt8] = []
    private(set) var uncompressedSize: UInt64 = 0
    private(set) var writtenSize: UInt64 = 0

    init(descriptor: FileDescriptor, path: [UInt8], compression: LayerCompression, threads: Int)
        throws(ChangerecError)
    {
        self.descriptor = descriptor
        self.path = path
        compressor = try compression.compressor(threads: threads)
        buffer.reserveCapacity(1 << 20)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(ChangerecError) {
        uncompressedHash.update(bufferPointer: bytes)
        uncompressedSize += UInt64(bytes.count)
        if let compressor {
            try compressor.compress(bytes) { (chunk) throws(ChangerecError) in try self.store(chunk) }
        } else {
            try store(bytes)
        }
    }

    func write(_ bytes: [UInt8]) throws(ChangerecError) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(ChangerecError) in try write(raw) } }
        try result.get()
    }

    /// Ends the stream and returns `(diff_id, digest)` as raw SHA-256 bytes.
    func finish() throws(ChangerecError) -> (diffID: [UInt8], digest: [UInt8]) {
        if let compressor {
            try compressor.finish { (chunk) throws(ChangerecError) in try self.store(chunk) }
        }
        try flush()
        // A file that stays is flushed to the device; a fifo or character device a layer is streamed to
        // has nothing to sync (fdatasync fails there with EINVAL).
        if (try? FileSystem.status(of: descriptor))?.type == .regular {
            do {
                try FileSystem.sync(descriptor)
            } catch {
                throw ChangerecError.system("sync", path: printable(path), error)
            }
        }
        return (Array(uncompressedHash.finalize()), Array(writtenHash.finalize()))
    }

    private func store(_ bytes: UnsafeRawBufferPointer) throws(ChangerecError) {
        writtenHash.update(bufferPointer: bytes)
        writtenSize += UInt64(bytes.count)
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws(ChangerecError) {
        guard !buffer.isEmpty else { return }
        do {
            try FileSystem.writeAll(descriptor, buffer)
        } catch {
            throw ChangerecError.system("write", path: printable(path), error)
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
