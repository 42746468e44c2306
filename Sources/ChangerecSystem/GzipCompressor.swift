import CChangerecLinux

/// A gzip compressor that deflates blocks of the stream on several threads, as pigz does, into one
/// gzip member.
///
/// The stream is cut into blocks of `blockSize` bytes. Each is deflated on its own, with the 32 KiB
/// before it as its dictionary, and ends on a byte boundary with a sync flush (the last one finishes
/// the deflate stream), so the blocks joined in order are one deflate stream; the CRC-32 of the whole
/// is combined from the blocks'. The header carries mtime 0 and no name. A block's bytes depend on its
/// input, its dictionary and the level alone, so the output is the same for a given level and block size
/// whatever the number of threads and however the input is handed over.
public final class GzipCompressor: StreamCompressor {
    /// pigz's default block size.
    public static let defaultBlockSize = 128 * 1024
    /// The deflate window: how far back a match can reach, so how much of the previous block a block
    /// is given as its dictionary.
    static let window = 32 * 1024

    public let level: Int32
    public let blockSize: Int
    private let pool: DeflatePool?
    private let deflater: Deflater?
    private var block: [UInt8] = []
    private var dictionary: [UInt8] = []
    private var submitted = 0
    private var headerWritten = false
    private var crc: UInt32 = 0
    private var length: UInt64 = 0

    /// - Parameters:
    ///   - level: zlib's level, 0 to 9.
    ///   - threads: how many threads deflate; 1 deflates on the calling thread. The bytes are the same for
    ///     any number.
    /// - Throws: `ChangerecError` when zlib cannot allocate its state or a thread cannot be started.
    public init(level: Int32 = 6, blockSize: Int = defaultBlockSize, threads: Int = WorkerThread.availableProcessors)
        throws(ChangerecError)
    {
        precondition((0...9).contains(level) && blockSize > 0 && threads > 0, "GzipCompressor parameters")
        self.level = level
        self.blockSize = blockSize
        if threads > 1 {
            pool = try DeflatePool(threads: threads, level: level)
            deflater = nil
        } else {
            pool = nil
            deflater = try Deflater(level: level)
        }
        block.reserveCapacity(blockSize)
    }

    deinit { pool?.stop() }

    public func compress(
        _ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void
    ) throws(ChangerecError) {
        var offset = 0
        while offset < input.count {
            let count = min(blockSize - block.count, input.count - offset)
            // Copied as one block of memory: appending a slice of a raw buffer may go byte by byte.
            block.append(
                contentsOf: UnsafeRawBufferPointer(rebasing: input[offset..<offset + count]).assumingMemoryBound(
                    to: UInt8.self))
            offset += count
            if block.count == blockSize { try submit(last: false, sink) }
        }
    }

    public func finish(_ sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void) throws(ChangerecError) {
        try submit(last: true, sink)
        if let pool {
            while let done = try pool.next(wait: true) { try emit(done, sink) }
        }
        // The gzip trailer: CRC-32 and the length modulo 2^32, little-endian.
        let isize = UInt32(truncatingIfNeeded: length)
        let trailer =
            (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }
            + (0..<4).map { UInt8(truncatingIfNeeded: isize >> (8 * $0)) }
        try trailer.hand(to: sink)
    }

    /// Hands the current block to a thread (or deflates it here), then passes on every block that is done.
    private func submit(last: Bool, _ sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void)
        throws(ChangerecError)
    {
        let job = DeflateJob(index: submitted, dictionary: dictionary, block: block, last: last)
        submitted += 1
        // The 32 KiB of the stream before the next block: of this block, or of it and those before it.
        dictionary =
            block.count >= Self.window
            ? Array(block.suffix(Self.window)) : Array((dictionary + block).suffix(Self.window))
        block = []
        block.reserveCapacity(blockSize)
        guard let pool else {
            // Invariant: without a pool the compressor deflates on this thread.
            guard let deflater else { preconditionFailure("GzipCompressor without a deflater") }
            try emit(try deflater.deflate(job), sink)
            return
        }
        while pool.isFull {
            guard let done = try pool.next(wait: true) else { break }
            try emit(done, sink)
        }
        pool.submit(job)
        while let done = try pool.next(wait: false) { try emit(done, sink) }
    }

    private func emit(_ done: DeflatedBlock, _ sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void)
        throws(ChangerecError)
    {
        if !headerWritten {
            headerWritten = true
            // ID1 ID2, deflate, no flags, mtime 0, extra flags as zlib sets them, OS Unix.
            let extra: UInt8 = level == 9 ? 2 : level < 2 ? 4 : 0
            let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, extra, 3]
            try header.hand(to: sink)
        }
        try done.bytes.hand(to: sink)
        crc = cchangerec_crc32_combine(crc, done.crc, UInt64(done.length))
        length += UInt64(done.length)
    }
}
