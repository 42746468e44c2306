import ChangerecKit

/// A JSON object written field by field, keys in the order given, so output is stable and diffable.
struct JSONObject {
    private var fields: [String] = []

    mutating func add(_ key: String, _ value: String) { fields.append("\(JSON.quote(key)):\(JSON.quote(value))") }
    mutating func add(_ key: String, _ value: Int64) { fields.append("\(JSON.quote(key)):\(value)") }
    mutating func add(_ key: String, _ value: UInt64) { fields.append("\(JSON.quote(key)):\(value)") }
    mutating func add(_ key: String, _ value: Int32) { fields.append("\(JSON.quote(key)):\(value)") }
    mutating func add(_ key: String, _ value: UInt32) { fields.append("\(JSON.quote(key)):\(value)") }
    mutating func add(_ key: String, _ value: Int) { fields.append("\(JSON.quote(key)):\(value)") }
    mutating func add(_ key: String, _ value: Bool) { fields.append("\(JSON.quote(key)):\(value)") }
    mutating func add(_ key: String, raw: String) { fields.append("\(JSON.quote(key)):\(raw)") }
    mutating func add(_ key: String, _ value: JSONObject) { fields.append("\(JSON.quote(key)):\(value.text)") }
    mutating func add(_ key: String, _ values: [JSONObject]) {
        fields.append("\(JSON.quote(key)):[\(values.map(\.text).joined(separator: ","))]")
    }
    mutating func add(_ key: String, strings: [String]) {
        fields.append("\(JSON.quote(key)):[\(strings.map(JSON.quote).joined(separator: ","))]")
    }

    /// Raw bytes as `key` when they are valid UTF-8, else base64 as `key_b64`.
    mutating func add(_ key: String, bytes: [UInt8]) {
        if let text = String(validating: bytes, as: UTF8.self) {
            add(key, text)
        } else {
            add(key + "_b64", JSON.base64(bytes))
        }
    }

    /// A path `/`-rooted as `key`, or base64 of its bytes (without the leading `/`) as `key_b64`.
    mutating func add(_ key: String, path: RelativePath) {
        if let text = String(validating: path.bytes, as: UTF8.self) {
            add(key, "/" + text)
        } else {
            add(key + "_b64", JSON.base64(path.bytes))
        }
    }

    var text: String { "{" + fields.joined(separator: ",") + "}" }
}
