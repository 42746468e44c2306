/// A decompressor that turns a compressed stream back into its bytes a piece at a time, with bounded
/// memory whatever the stream's size.
public protocol StreamDecompressor: AnyObject {
    /// Decompresses from `input` into `output`.
    ///
    /// - Returns: how many bytes of `input` were taken and of `output` filled, and whether the stream
    ///   may end here (a gzip member or zstd frame has just ended and everything is out). Call again
    ///   with the input not taken, or with more room, until the compressed stream is used up and a call
    ///   produces nothing.
    /// - Throws: `ChangerecError` naming what is wrong with corrupt data.
    func step(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(ChangerecError)
        -> (consumed: Int, produced: Int, atEnd: Bool)
}
