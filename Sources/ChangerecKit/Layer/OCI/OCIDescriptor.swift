import FoundationEssentials

/// A content descriptor (image-spec `descriptor.md`): what a manifest says of its config and layers and
/// an index of its manifests.
public struct OCIDescriptor: Codable, Equatable, Sendable {
    public var mediaType: String?
    /// `sha256:` and 64 hex digits.
    public var digest: String?
    public var size: Int64?
    /// For an index entry, `org.opencontainers.image.ref.name` names the image's tag.
    public var annotations: [String: JSONValue]?
    /// Fields this type does not name (`platform`, `urls`, …), carried over whole.
    public var others: [String: JSONValue] = [:]

    /// The annotation that names an image's tag in an index.
    public static let refName = "org.opencontainers.image.ref.name"

    public init(mediaType: String, digest: String, size: Int64, annotations: [String: JSONValue]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
    }

    public init(from decoder: any Decoder) throws {
        var reader = try JSONObjectReader(decoder)
        mediaType = reader.take("mediaType")
        digest = reader.take("digest")
        size = reader.take("size")
        annotations = reader.take("annotations")
        others = reader.others
    }

    public func encode(to encoder: any Encoder) throws {
        try JSONFields.encode(
            [("mediaType", mediaType), ("digest", digest), ("size", size), ("annotations", annotations)],
            others: others, to: encoder)
    }
}
