/// A written layer: its digests as `sha256:HEX`, sizes and what went into it.
public struct LayerResult: Sendable {
    public var diffID: String
    public var digest: String
    /// Bytes of the blob as written (compressed, unless the compression is none).
    public var size: UInt64
    public var uncompressedSize: UInt64
    public var entries: Int
    public var mediaType: String
    /// Paths that differed from the seal (written as they are now; only with `allowDrift`).
    public var drift: [Drift]
    /// Objects tar cannot hold (sockets), left out.
    public var skipped: [RelativePath]
    /// The digest of the image manifest that now names the layer, when it went into an OCI layout.
    public var manifestDigest: String?
    /// Every path's state after the step, when the state before it was given
    /// (``RecordLayerRequest/stateBefore``): brought forward over the seal just written, so that a build
    /// knows it for the next step without reading the journal back.
    public var stateAfter: TreeState?
    /// Every regular file read whole, when ``LayerOptions/keepsContentReads``.
    var contentReads: [RelativePath: ContentRead] = [:]
}
