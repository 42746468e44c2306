/// A compressor fed a stream in pieces of any size: the bytes it produces depend on the stream alone,
/// never on how it was cut into pieces nor on how many threads compressed it.
public protocol StreamCompressor: AnyObject {
    /// Takes `input`, handing any compressed bytes that are ready to `sink`, in order.
    func compress(
        _ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void
    ) throws(ChangerecError)

    /// Ends the stream, handing the rest (and the format's trailer) to `sink`.
    func finish(_ sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void) throws(ChangerecError)
}
