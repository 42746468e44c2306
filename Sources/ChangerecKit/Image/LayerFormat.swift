import ChangerecSystem

/// How a layer blob is compressed, from its media type (image-spec `layer.md`, and Docker's schema 2
/// equivalents).
public enum LayerFormat: Sendable, Equatable {
    case tar
    case gzip
    case zstd

    /// The format of a layer of media type `mediaType`; `nil` for anything that is not a layer changerec
    /// applies (a foreign or non-distributable layer, an encrypted one, an artifact).
    public init?(mediaType: String) {
        switch mediaType {
        case "application/vnd.oci.image.layer.v1.tar": self = .tar
        case "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip":
            self = .gzip
        case "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.docker.image.rootfs.diff.tar.zstd":
            self = .zstd
        default: return nil
        }
    }

    func decompressor() throws(ChangerecError) -> (any StreamDecompressor)? {
        switch self {
        case .tar: nil
        case .gzip: try GzipDecompressor()
        case .zstd: try ZstdDecompressor()
        }
    }
}
