import FoundationEssentials

/// An image manifest (image-spec `manifest.md`): the image's config and its layers, in order.
public struct OCIManifest: Codable, Equatable, Sendable {
    public var schemaVersion: Int64?
    public var mediaType: String?
    public var config: OCIDescriptor?
    public var layers: [OCIDescriptor]?
    /// Fields this type does not name, carried over whole when read; changerec writes none.
    public var others: [String: JSONValue] = [:]

    public static let mediaType = "application/vnd.oci.image.manifest.v1+json"

    public init(config: OCIDescriptor, layers: [OCIDescriptor]) {
        schemaVersion = 2
        mediaType = Self.mediaType
        self.config = config
        self.layers = layers
    }

    public init(from decoder: any Decoder) throws {
        var reader = try JSONObjectReader(decoder)
        schemaVersion = reader.take("schemaVersion")
        mediaType = reader.take("mediaType")
        config = reader.take("config")
        layers = reader.take("layers")
        others = reader.others
    }

    public func encode(to encoder: any Encoder) throws {
        try JSONFields.encode(
            [("schemaVersion", schemaVersion), ("mediaType", mediaType), ("config", config), ("layers", layers)],
            others: others, to: encoder)
    }
}
