import CChangerecLinux

/// A gzip decompressor over zlib's inflate. Concatenated members are one stream, as `gzip -d` reads
/// them; each member's CRC-32 and length are checked by zlib.
public final class GzipDecompressor: StreamDecompressor {
    private let stream: OpaquePointer

    /// - Throws: `ChangerecError` when zlib cannot allocate its state.
    public init() throws(ChangerecError) {
        guard let stream = cchangerec_inflater_open() else {
            throw ChangerecError(.system, "cannot start gzip decompression (out of memory)")
        }
        self.stream = stream
    }

    deinit { cchangerec_inflater_close(stream) }

    public func step(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
        throws(ChangerecError) -> (consumed: Int, produced: Int, atEnd: Bool)
    {
        var consumed = 0
        var produced = 0
        var reason: UnsafePointer<CChar>?
        let status = cchangerec_inflate_step(
            stream, input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count,
            output.baseAddress?.assumingMemoryBound(to: UInt8.self), output.count, &consumed, &produced, &reason)
        if status < 0 {
            throw ChangerecError(.system, "corrupt gzip data: \(reason.map { String(cString: $0) } ?? "unknown error")")
        }
        return (consumed, produced, status == 1)
    }
}
