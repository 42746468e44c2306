import ChangerecSystem

/// How a layer is written.
public struct LayerOptions: Sendable {
    public var compression = LayerCompression.gzip
    /// Threads that compress: by default as many as the processors this process may run on. The layer's
    /// bytes are the same for any number.
    public var compressionThreads = WorkerThread.availableProcessors
    /// Clamp every mtime to this (seconds since the epoch), as `SOURCE_DATE_EPOCH` asks.
    public var sourceDateEpoch: Int64?
    /// Write the tree as it is now even where it no longer matches the seal.
    public var allowDrift = false
    /// Called now and then with (entries, uncompressed bytes) written so far.
    public var progress: (@Sendable (Int, UInt64) -> Void)?
    /// Keep each regular file's digest and statuses in the result (``LayerResult/contentReads``), for a
    /// seal written in the same pass.
    var keepsContentReads = false

    /// Whether the layer is gzip-compressed (`compression == .gzip`); setting it chooses gzip or none.
    public var gzip: Bool {
        get { compression == .gzip }
        set { compression = newValue ? .gzip : .none }
    }

    public init() {}
}
