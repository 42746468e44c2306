import CChangerecLinux

/// A gzip compressor over zlib. The corresponding C functions are `deflateInit2`, `deflate` and
/// `deflateEnd`. Its header carries mtime 0 and no name: equal input, equal bytes.
public final class GzipCompressor {
    private let stream: OpaquePointer
    private var output = [UInt8](repeating: 0, count: 256 * 1024)

    /// - Throws: `ChangerecError` when zlib cannot allocate its state.
    public init(level: Int32 = 6) throws(ChangerecError) {
        guard let stream = cchangerec_gzip_open(level) else {
            throw ChangerecError(.system, "cannot start gzip compression (out of memory)")
        }
        self.stream = stream
    }

    deinit { cchangerec_gzip_close(stream) }

    /// Compresses `input`, handing each produced chunk to `sink`.
    public func compress(
        _ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void
    )
        throws(ChangerecError)
    {
        try run(input, finish: false, sink)
    }

    /// Ends the stream, handing the last chunks (and the gzip trailer) to `sink`.
    public func finish(_ sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void) throws(ChangerecError) {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), finish: true, sink)
    }

    private func run(
        _ input: UnsafeRawBufferPointer, finish: Bool, _ sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void
    ) throws(ChangerecError) {
        var offset = 0
        while true {
            var consumed = 0
            var produced = 0
            let status = output.withUnsafeMutableBytes { out in
                cchangerec_gzip_step(
                    stream, input.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + offset },
                    input.count - offset, out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count,
                    &consumed, &produced, finish ? 1 : 0)
            }
            if status < 0 { throw ChangerecError(.system, "gzip compression failed") }
            offset += consumed
            if produced > 0 {
                let chunk = Array(output[0..<produced])
                let result = chunk.withUnsafeBytes { out in Result { () throws(ChangerecError) in try sink(out) } }
                try result.get()

            }

            if finish ? status == 1 : (offset == input.count && produced < output.count) { return }
        }
    }
}
