import FoundationEssentials

/// An OCI layout's `index.json` (image-spec `image-index.md`): the images it holds, each by its tag.
public struct OCIIndex: Codable, Equatable, Sendable {
    public var schemaVersion: Int64?
    public var mediaType: String?
    public var manifests: [OCIDescriptor]?
    /// Fields this type does not name (`annotations`, …), carried over whole.
    public var others: [String: JSONValue] = [:]

    /// An index of no images.
    public static let empty = OCIIndex(
        schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [])

    public init(schemaVersion: Int64?, mediaType: String?, manifests: [OCIDescriptor]?) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.manifests = manifests
    }

    public init(from decoder: any Decoder) throws {
        var reader = try JSONObjectReader(decoder)
        schemaVersion = reader.take("schemaVersion")
        mediaType = reader.take("mediaType")
        manifests = reader.take("manifests")
        others = reader.others
    }

    public func encode(to encoder: any Encoder) throws {
        try JSONFields.encode(
            [("schemaVersion", schemaVersion), ("mediaType", mediaType), ("manifests", manifests)], others: others,
            to: encoder)
    }
}
