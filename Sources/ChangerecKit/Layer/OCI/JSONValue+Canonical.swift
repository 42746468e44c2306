extension JSONValue {
    /// The value as the OCI layout's files hold it: no whitespace, keys in ``JSONKeyOrder``, slashes and
    /// characters beyond ASCII as they are. Byte for byte what `JSONSerialization` wrote with
    /// `[.sortedKeys, .withoutEscapingSlashes]`, on which the config and manifest digests depend.
    var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    private func write(to out: inout [UInt8]) {
        switch self {
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (offset, key) in fields.keys.sorted(by: JSONKeyOrder.precedes).enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                Self.quote(key, to: &out)
                out.append(UInt8(ascii: ":"))
                fields[key]?.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (offset, value) in values.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .string(let value): Self.quote(value, to: &out)
        case .integer(let value): out += Array(String(value).utf8)
        case .unsigned(let value): out += Array(String(value).utf8)
        case .number(let value): out += Array(Self.number(value).utf8)
        case .bool(let value): out += Array((value ? "true" : "false").utf8)
        case .null: out += Array("null".utf8)
        }
    }

    private static func quote(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += Array(#"\""#.utf8)
            case UInt8(ascii: "\\"): out += Array(#"\\"#.utf8)
            case 0x08: out += Array(#"\b"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0x0A: out += Array(#"\n"#.utf8)
            case 0x0C: out += Array(#"\f"#.utf8)
            case 0x0D: out += Array(#"\r"#.utf8)
            case ..<0x20: out += Array(("\\u00" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// An integral value up to 2^53 as an integer; any other as its shortest form with a C-style
    /// exponent (`2.5e-07`, `1e+300`).
    private static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) <= 9_007_199_254_740_992 {
            return value == 0 && value.sign == .minus ? "-0" : String(Int64(value))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        guard let e = text.firstIndex(of: "e") else { return text }
        var exponent = text[text.index(after: e)...]
        var sign = "+"
        if exponent.first == "-" {
            sign = "-"
            exponent = exponent.dropFirst()
        } else if exponent.first == "+" {
            exponent = exponent.dropFirst()
        }
        return text[..<e] + "e" + sign + (exponent.count < 2 ? "0" : "") + exponent
    }
}
