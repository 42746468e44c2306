/// The exec form's JSON array of strings (`["nginx", "-g", "daemon off;"]`), read as Docker reads it.
///
/// Docker treats arguments that start with `[` and are a valid JSON array of strings as exec form; valid
/// JSON of any other shape is an error; anything that is not valid JSON is shell form (so
/// `RUN [ -f /etc/os-release ] && cat /etc/os-release` is a shell command). Telling the last two apart
/// needs a whole JSON validator, which this is, without building values other than strings.
enum JSONStringArray {
    enum Outcome: Equatable {
        case strings([String])
        case notStrings
        case notJSON
    }

    static func parse(_ text: String) -> Outcome {
        var reader = Reader(bytes: Array(text.utf8))
        reader.skipWhitespace()
        guard reader.peek == UInt8(ascii: "[") else { return .notJSON }
        let strings: [String]?
        do {
            strings = try reader.stringArray()
        } catch {
            return .notJSON
        }
        reader.skipWhitespace()
        guard reader.peek == nil else { return .notJSON }
        guard let strings else { return .notStrings }
        return .strings(strings)
    }

    private struct Malformed: Error {}

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(Malformed) {
            guard peek == byte else { throw Malformed() }
            index += 1
        }

        /// The top-level array: its strings, or nil when it is valid JSON holding something else.
        mutating func stringArray() throws(Malformed) -> [String]? {
            var strings: [String]? = []
            try elements(open: "[", close: "]") { (reader: inout Reader) throws(Malformed) in
                if reader.peek == UInt8(ascii: "\"") {
                    let string = try reader.string()
                    strings?.append(string)
                } else {
                    try reader.value()
                    strings = nil
                }
            }
            return strings
        }

        mutating func elements(
            open: Unicode.Scalar, close: Unicode.Scalar, _ element: (inout Reader) throws(Malformed) -> Void
        ) throws(Malformed) {
            try expect(UInt8(ascii: open))
            skipWhitespace()
            if peek == UInt8(ascii: close) {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                try element(&self)
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: close))
                return
            }
        }

        mutating func value() throws(Malformed) {
            switch peek {
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "["):
                try elements(open: "[", close: "]") { (reader: inout Reader) throws(Malformed) in try reader.value() }
            case UInt8(ascii: "{"):
                try elements(open: "{", close: "}") { (reader: inout Reader) throws(Malformed) in
                    _ = try reader.string()
                    reader.skipWhitespace()
                    try reader.expect(UInt8(ascii: ":"))
                    reader.skipWhitespace()
                    try reader.value()
                }
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: try number()
            }
        }

        mutating func literal(_ word: String) throws(Malformed) {
            for byte in word.utf8 { try expect(byte) }
        }

        mutating func digits() throws(Malformed) {
            guard let byte = peek, isDigit(byte) else { throw Malformed() }
            while let byte = peek, isDigit(byte) { index += 1 }
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
        mutating func number() throws(Malformed) {
            if peek == UInt8(ascii: "-") { index += 1 }
            if peek == UInt8(ascii: "0") { index += 1 } else { try digits() }
            if peek == UInt8(ascii: ".") {
                index += 1
                try digits()
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                index += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
                try digits()
            }
        }

        mutating func string() throws(Malformed) -> String {
            try expect(UInt8(ascii: "\""))
            var scalars = String.UnicodeScalarView()
            var run: [UInt8] = []
            func flush() {
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                run.removeAll()
            }
            while let byte = peek {
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    flush()
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    flush()
                    scalars.append(try escaped())
                case 0..<0x20:
                    throw Malformed()
                default:
                    run.append(byte)
                }
            }
            throw Malformed()
        }

        mutating func escaped() throws(Malformed) -> Unicode.Scalar {
            guard let byte = peek else { throw Malformed() }
            index += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return Unicode.Scalar(byte)
            case UInt8(ascii: "b"): return "\u{8}"
            case UInt8(ascii: "f"): return "\u{C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let unit = try hexUnit()
                if (0xD800..<0xDC00).contains(unit), peek == UInt8(ascii: "\\"),
                    index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u")
                {
                    let saved = index
                    index += 2
                    let low = try hexUnit()
                    if (0xDC00..<0xE000).contains(low),
                        let scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                    {
                        return scalar
                    }
                    index = saved
                }
                // A lone surrogate decodes to U+FFFD, as Go's decoder does.
                return Unicode.Scalar(unit) ?? "\u{FFFD}"
            default: throw Malformed()
            }
        }

        mutating func hexUnit() throws(Malformed) -> UInt32 {
            guard index + 4 <= bytes.count,
                bytes[index..<index + 4].allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
                let unit = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
            else { throw Malformed() }
            index += 4
            return unit
        }
    }
}
