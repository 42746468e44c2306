import FoundationEssentials

/// One entry of an image config's `history`: how a layer was made.
public struct OCIHistory: Codable, Equatable, Sendable {
    public var created: String?
    public var createdBy: String?
    public var comment: String?
    /// Fields this type does not name (`author`, `empty_layer`, …), carried over whole.
    public var others: [String: JSONValue] = [:]

    public init(created: String, createdBy: String, comment: String) {
        self.created = created
        self.createdBy = createdBy
        self.comment = comment
    }

    public init(from decoder: any Decoder) throws {
        var reader = try JSONObjectReader(decoder)
        created = reader.take("created")
        createdBy = reader.take("created_by")
        comment = reader.take("comment")
        others = reader.others
    }

    public func encode(to encoder: any Encoder) throws {
        try JSONFields.encode(
            [("created", created), ("created_by", createdBy), ("comment", comment)], others: others, to: encoder)
    }
}
