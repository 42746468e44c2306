import ChangerecSystem

/// How a layer's tar stream is compressed, and the media type the image spec gives the result.
public enum LayerCompression: String, Sendable, CaseIterable {
    /// The tar as it is.
    case none
    /// gzip at level 6, deflated in 128 KiB blocks on several threads into one gzip member.
    case gzip
    /// zstd at level 3 through libzstd, loaded when asked for.
    case zstd

    /// The layer's media type in an OCI manifest.
    public var mediaType: String {
        switch self {
        case .none: "application/vnd.oci.image.layer.v1.tar"
        case .gzip: "application/vnd.oci.image.layer.v1.tar+gzip"
        case .zstd: "application/vnd.oci.image.layer.v1.tar+zstd"
        }
    }

    /// Checks, before anything is written, that this compression can work here: zstd needs libzstd.
    ///
    /// - Throws: `ChangerecError` in one line naming what is missing and how to get it.
    public func checkAvailable() throws(ChangerecError) {
        if self == .zstd { try ZstdCompressor.load() }
    }

    /// A compressor on `threads` threads; `nil` for `.none`. The bytes do not depend on `threads`.
    func compressor(threads: Int) throws(ChangerecError) -> (any StreamCompressor)? {
        switch self {
        case .none: nil
        case .gzip: try GzipCompressor(threads: threads)
        case .zstd: try ZstdCompressor(threads: threads)
        }
    }
}
