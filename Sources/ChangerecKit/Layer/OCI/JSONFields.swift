import FoundationEssentials

/// A JSON object key that is any string: how the OCI types reach the fields they do not name.
struct JSONFields: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    /// Writes the fields an OCI type names (`nil` ones left out) and the `others` it carried over, into
    /// the object `encoder` writes. A named field wins over a carried one of the same name (one that was
    /// not of the type the field has, and has since been set).
    static func encode(
        _ named: [(String, (any Encodable)?)], others: [String: JSONValue], to encoder: any Encoder
    ) throws {
        var container = encoder.container(keyedBy: JSONFields.self)
        var others = others
        for (name, value) in named {
            guard let value else { continue }
            others[name] = nil
            try container.encode(value, forKey: JSONFields(name))
        }
        for (name, value) in others { try container.encode(value, forKey: JSONFields(name)) }
    }
}
