import CChangerecLinux

/// A zstd decompressor over libzstd, loaded at run time as ``ZstdCompressor`` loads it. Concatenated
/// frames are one stream; a frame's content checksum, when it has one, is checked by libzstd.
public final class ZstdDecompressor: StreamDecompressor {
    private let decoder: OpaquePointer

    /// - Throws: `ChangerecError` when libzstd cannot be loaded (see ``ZstdCompressor/load()``) or is out
    ///   of memory.
    public init() throws(ChangerecError) {
        let version = try ZstdCompressor.load()
        guard let decoder = cchangerec_zstd_decoder_open() else {
            throw ChangerecError(.system, "cannot start zstd decompression with libzstd \(version) (out of memory)")
        }
        self.decoder = decoder
    }

    deinit { cchangerec_zstd_decoder_close(decoder) }

    public func step(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
        throws(ChangerecError) -> (consumed: Int, produced: Int, atEnd: Bool)
    {
        var consumed = 0
        var produced = 0
        var reason: UnsafePointer<CChar>?
        let status = cchangerec_zstd_decoder_step(
            decoder, input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count,
            output.baseAddress?.assumingMemoryBound(to: UInt8.self), output.count, &consumed, &produced, &reason)
        if status < 0 {
            throw ChangerecError(.system, "corrupt zstd data: \(reason.map { String(cString: $0) } ?? "unknown error")")
        }
        return (consumed, produced, status == 1)
    }
}
