/// How a layer is written.
public struct LayerOptions: Sendable {
    public var gzip = true
    /// Clamp every mtime to this (seconds since the epoch), as `SOURCE_DATE_EPOCH` asks.
    public var sourceDateEpoch: Int64?
    /// Write the tree as it is now even where it no longer matches the seal.
    public var allowDrift = false
    /// Called now and then with (entries, uncompressed bytes) written so far.
    public var progress: (@Sendable (Int, UInt64) -> Void)?

    public init() {}
}
