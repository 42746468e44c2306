extension Array where Element == UInt8 {
    /// Hands the bytes in `range` (all of them by default) to `sink`, keeping the sink's typed error:
    /// `withUnsafeBytes` rethrows untyped.
    func hand(
        _ range: Range<Int>? = nil, to sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void
    ) throws(ChangerecError) {
        let result = withUnsafeBytes { raw in
            Result { () throws(ChangerecError) in try sink(UnsafeRawBufferPointer(rebasing: raw[range ?? 0..<count])) }
        }
        try result.get()
    }
}
