import FoundationEssentials

/// An image config's `rootfs`: the layers' uncompressed digests, in order.
public struct OCIRootFS: Codable, Equatable, Sendable {
    /// `layers`.
    public var type: String?
    public var diffIDs: [String]?
    /// Fields this type does not name, carried over whole.
    public var others: [String: JSONValue] = [:]

    public init(type: String?, diffIDs: [String]?) {
        self.type = type
        self.diffIDs = diffIDs
    }

    public init(from decoder: any Decoder) throws {
        var reader = try JSONObjectReader(decoder)
        type = reader.take("type")
        diffIDs = reader.take("diff_ids")
        others = reader.others
    }

    public func encode(to encoder: any Encoder) throws {
        try JSONFields.encode([("type", type), ("diff_ids", diffIDs)], others: others, to: encoder)
    }
}
