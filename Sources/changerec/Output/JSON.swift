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

enum JSON {
    static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let s where s.value < 0x20:
                let hex = String(s.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let b0 = UInt32(chunk[chunk.startIndex])
            let b1 = chunk.count > 1 ? UInt32(chunk[chunk.startIndex + 1]) : 0
            let b2 = chunk.count > 2 ? UInt32(chunk[chunk.startIndex + 2]) : 0
            let value = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(chunk.count > 1 ? alphabet[Int(value >> 6 & 63)] : "=")
            out.append(chunk.count > 2 ? alphabet[Int(value & 63)] : "=")
            index += 3
        }
        return out
    }

}
