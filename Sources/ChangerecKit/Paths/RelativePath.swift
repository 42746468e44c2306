/// A path below ROOT, held as the raw bytes Linux uses: names need not be UTF-8 and may hold newlines.
///
/// Construction rejects absolute paths and any `..`, `.` or empty component, so a `RelativePath` can
/// never name something outside ROOT. The empty path is ROOT itself.
public struct RelativePath: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The path's bytes, components separated by `/`, with no leading or trailing slash.
    public let bytes: [UInt8]

    /// ROOT itself.
    public static let root = RelativePath(trusted: [])

    /// Validates `bytes`; returns `nil` for an absolute path, `..`, `.`, an empty component or a NUL.
    public init?(_ bytes: [UInt8]) {
        guard Self.isValid(bytes) else { return nil }
        self.bytes = bytes
    }

    /// Validates a `/`-separated string; see ``init(_:)-([UInt8])``.
    public init?(_ string: String) {
        self.init(Array(string.utf8))
    }

    init(trusted bytes: [UInt8]) {
        self.bytes = bytes
    }

    static func isValid(_ bytes: [UInt8]) -> Bool {
        if bytes.isEmpty { return true }
        // One pass, no array of components: every path read back from a journal is checked here.
        var start = 0
        for index in 0...bytes.count {
            if index < bytes.count && bytes[index] != 0x2F {
                if bytes[index] == 0 { return false }
                continue
            }
            let length = index - start
            if length == 0 { return false }
            if bytes[start] == 0x2E && (length == 1 || (length == 2 && bytes[start + 1] == 0x2E)) { return false }
            start = index + 1
        }
        return true
    }

    public var isRoot: Bool { bytes.isEmpty }

    /// The bytes in one call (see `Hasher.combine(contentsOf:)`): the recorder looks paths up several
    /// times per event.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(contentsOf: bytes)
    }

    /// The child `name` of this path. `name` must be a single valid component.
    public func appending(_ name: [UInt8]) -> RelativePath? {
        // One component: checked in place, as this runs for every entry of every walk.
        guard !name.isEmpty, !name.contains(where: { $0 == 0x2F || $0 == 0 }), name != [0x2E], name != [0x2E, 0x2E]
        else { return nil }

        if bytes.isEmpty { return RelativePath(trusted: name) }
        // One allocation: this runs for every event and every entry of every walk.
        var joined: [UInt8] = []
        joined.reserveCapacity(bytes.count + 1 + name.count)
        joined.append(contentsOf: bytes)
        joined.append(0x2F)
        joined.append(contentsOf: name)
        return RelativePath(trusted: joined)
    }

    /// The path of the directory holding this one; `nil` for ROOT.
    public var parent: RelativePath? {
        if bytes.isEmpty { return nil }
        guard let slash = bytes.lastIndex(of: 0x2F) else { return .root }
        return RelativePath(trusted: Array(bytes[..<slash]))
    }

    /// The last component; empty for ROOT.
    public var name: [UInt8] {
        guard let slash = bytes.lastIndex(of: 0x2F) else { return bytes }
        return Array(bytes[(slash + 1)...])
    }

    /// Every proper ancestor, nearest first, ROOT last.
    public var ancestors: [RelativePath] {
        var result: [RelativePath] = []
        var current = parent
        while let path = current {
            result.append(path)
            current = path.parent
        }
        return result
    }

    /// Whether `self` is `other` or lies below it.
    public func isWithin(_ other: RelativePath) -> Bool {
        if other.bytes.isEmpty { return true }
        guard startsWith(other.bytes) else { return false }
        return bytes.count == other.bytes.count || bytes[other.bytes.count] == 0x2F
    }

    /// Whether the bytes begin with `prefix`, compared in place (no component is built).
    func startsWith(_ prefix: [UInt8]) -> Bool {
        let count = prefix.count
        guard bytes.count >= count else { return false }
        var index = 0
        while index < count {
            if bytes[index] != prefix[index] { return false }
            index += 1
        }
        return true
    }

    /// `self` moved from below `old` to below `new`; `self` must be within `old`.
    public func rebased(from old: RelativePath, to new: RelativePath) -> RelativePath {
        let rest = bytes.dropFirst(old.bytes.count)
        if new.bytes.isEmpty { return RelativePath(trusted: Array(rest.drop(while: { $0 == 0x2F }))) }
        return RelativePath(trusted: new.bytes + rest)
    }

    /// Whether the bytes are valid UTF-8, so the path can be shown as text without escaping.
    public var isValidUTF8: Bool { String(validating: bytes, as: UTF8.self) != nil }

    /// Paths order by their bytes, so a directory sorts directly before its contents... except where
    /// a sibling's name holds a byte below `/`; ``ChangeSet`` sorts by components for that reason.
    public static func < (lhs: RelativePath, rhs: RelativePath) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// Component-wise order: a directory comes directly before everything inside it.
    public static func treeOrder(_ lhs: RelativePath, _ rhs: RelativePath) -> Bool {
        // Component-wise order is byte order with `/` ranked below every byte a name can hold (names
        // never contain NUL), so no component arrays are built. This runs n log n times per seal, on paths
        // that mostly share a long directory prefix: the common prefix is skipped eight bytes at a time,
        // through buffer pointers (no bounds check per byte).
        lhs.bytes.withUnsafeBufferPointer { left in
            rhs.bytes.withUnsafeBufferPointer { right in
                let common = min(left.count, right.count)
                var index = 0
                if let l = UnsafeRawPointer(left.baseAddress), let r = UnsafeRawPointer(right.baseAddress) {
                    while index + 8 <= common
                        && l.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                            == r.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    {
                        index += 8
                    }
                }
                while index < common {
                    let a = left[index]
                    let b = right[index]
                    if a != b { return (a == 0x2F ? 0 : UInt16(a) + 1) < (b == 0x2F ? 0 : UInt16(b) + 1) }
                    index += 1
                }
                return left.count < right.count
            }
        }
    }

    /// `/`-rooted, with bytes that are not printable UTF-8 escaped: `\n`, `\t`, `\\`, `\xNN`.
    public var description: String { "/" + Self.escaped(bytes) }

    /// Escapes bytes for one line of text output; see ``description``.
    public static func escaped(_ bytes: [UInt8]) -> String {
        // Nearly every path is printable ASCII without a backslash: that is one string made in one go.
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x5C }) { return String(decoding: bytes, as: UTF8.self) }
        var out = ""
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x0A: out += "\\n"; index += 1; continue
            case 0x09: out += "\\t"; index += 1; continue
            case 0x5C: out += "\\\\"; index += 1; continue
            case 0x00..<0x20, 0x7F: out += hexEscape(byte); index += 1; continue
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte)); index += 1; continue
            default: break
            }
            let length = utf8SequenceLength(bytes, at: index)
            if length > 0, let scalar = String(validating: bytes[index..<(index + length)], as: UTF8.self) {
                out += scalar
                index += length
            } else {
                out += hexEscape(byte)
                index += 1
            }
        }
        return out
    }

    private static func hexEscape(_ byte: UInt8) -> String {
        "\\x" + Hex.string([byte])
    }

    private static func utf8SequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return 0
        }
        return index + length <= bytes.count ? length : 0
    }
}
