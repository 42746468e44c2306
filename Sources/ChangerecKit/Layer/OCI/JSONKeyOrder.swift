/// The order of keys in the OCI layout's JSON files: the order Foundation's `JSONSerialization` gave them
/// with `.sortedKeys` when changerec wrote these files through it (`compare` with `.numeric`,
/// `.caseInsensitive` and `.forcedOrdering` under the root collation), kept so that the same layer
/// gives the same config and manifest digests as before.
///
/// Exact for keys in ASCII: punctuation (in the collation's order) before digits, digit runs by their
/// value, letters without regard to case, and on a tie lowercase first. Two keys that differ only in
/// case and in leading zeros of a number may be tied the other way. Other characters sort after ASCII,
/// by code point (the collation would interleave them). No key changerec writes has either.
enum JSONKeyOrder {
    /// The collation's order of the ASCII characters that are neither letters nor digits.
    private static let punctuation = Array(" _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$".unicodeScalars)

    private enum Element: Comparable {
        case symbol(Int)
        /// Digits without leading zeros, compared by length first: by value.
        case number(length: Int, digits: String)
        case letter(UInt8)
        case other(UInt32)
    }

    /// Whether key `a` comes before key `b`.
    static func precedes(_ a: String, _ b: String) -> Bool {
        let left = elements(a)
        let right = elements(b)
        if left.map(\.0) != right.map(\.0) { return left.map(\.0).lexicographicallyPrecedes(right.map(\.0)) }
        // Same letters: lowercase first, at the first letter whose case differs.
        for (l, r) in zip(left, right) where l.1 != r.1 { return l.1 < r.1 }
        // Same numbers: fewer leading zeros first.
        if a.utf8.count != b.utf8.count { return a.utf8.count < b.utf8.count }
        // Otherwise by code units, so that the order is total.
        return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
    }

    /// Each element, with 0 for a lowercase letter and 1 for an uppercase one.
    private static func elements(_ key: String) -> [(Element, Int)] {
        var result: [(Element, Int)] = []
        var digits: [UInt8] = []
        func flush() {
            guard !digits.isEmpty else { return }
            let significant = Array(digits.drop { $0 == 0x30 })
            result.append((.number(length: significant.count, digits: String(decoding: significant, as: UTF8.self)), 0))
            digits = []
        }
        for scalar in key.unicodeScalars {
            let value = scalar.value
            if (0x30...0x39).contains(value) {
                digits.append(UInt8(value))
                continue
            }
            flush()
            switch value {
            case 0x61...0x7A: result.append((.letter(UInt8(value)), 0))
            case 0x41...0x5A: result.append((.letter(UInt8(value + 0x20)), 1))
            default:
                if let rank = punctuation.firstIndex(of: scalar) {
                    result.append((.symbol(rank + 1), 0))
                } else if value < 0x20 {
                    result.append((.symbol(0), 0))
                } else {
                    result.append((.other(value), 0))
                }
            }
        }
        flush()
        return result
    }
}
