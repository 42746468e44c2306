import FoundationEssentials

/// Reads a JSON object field by field for the OCI types: a field taken as the type it should have leaves
/// ``others``; one that is missing, `null` or of another type reads as `nil` and stays there whole, so
/// that what changerec does not understand is written back as it was.
struct JSONObjectReader {
    private let container: KeyedDecodingContainer<JSONFields>
    /// The fields not (yet) taken.
    private(set) var others: [String: JSONValue] = [:]

    /// - Throws: `DecodingError` when `decoder` does not hold a JSON object.
    init(_ decoder: any Decoder) throws {
        container = try decoder.container(keyedBy: JSONFields.self)
        for key in container.allKeys {
            others[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
        }
    }

    /// The field `name` as a `T`, or `nil` (and the field left in ``others``).
    mutating func take<T: Decodable>(_ name: String, as type: T.Type = T.self) -> T? {
        guard others[name] != nil, let value = try? container.decode(T.self, forKey: JSONFields(name)) else {
            return nil
        }
        others[name] = nil
        return value
    }
}
