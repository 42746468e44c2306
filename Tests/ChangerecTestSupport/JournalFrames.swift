import ChangerecKit

/// One frame of a journal as bytes: what tests take apart and put back together with a valid checksum.
public struct JournalFrame: Equatable, Sendable {
    public var kind: UInt8
    public var payload: [UInt8]

    public init(kind: UInt8, payload: [UInt8]) {
        self.kind = kind
        self.payload = payload
    }

    /// Length, kind, payload and the CRC-32C that matches them (docs/journal-format.md, "File").
    public var bytes: [UInt8] {
        var out = SpecWriter()
        out.u32(UInt32(payload.count))
        out.u8(kind)
        out.fixed(payload)
        out.u32(CRC32C.update(CRC32C.checksum([kind]), payload))
        return out.bytes
    }
}

/// A whole journal split into its frames, written back with valid checksums: journals the writer
/// could never produce, yet whose every frame is whole and correct.
public struct JournalFrames: Sendable {
    public static let magic: [UInt8] = [0x89, 0x43, 0x52, 0x4A, 0x0D, 0x0A, 0x1A, 0x0A]
    public var frames: [JournalFrame]

    public init(_ frames: [JournalFrame]) { self.frames = frames }

    /// Splits `bytes`; `nil` unless it is the magic followed by whole frames, up to its last byte.
    public init?(parsing bytes: [UInt8]) {
        guard bytes.starts(with: Self.magic) else { return nil }
        var frames: [JournalFrame] = []
        var offset = Self.magic.count
        while offset < bytes.count {
            guard bytes.count - offset >= 9 else { return nil }
            let length = Int(SpecReader.u32(bytes, at: offset))
            guard bytes.count - offset - 9 >= length else { return nil }
            frames.append(
                JournalFrame(kind: bytes[offset + 4], payload: Array(bytes[(offset + 5)..<(offset + 5 + length)])))
            offset += 9 + length
        }
        self.frames = frames
    }

    public var bytes: [UInt8] { Self.magic + frames.flatMap(\.bytes) }

    /// The byte offset at which frame `index` starts in ``bytes`` (the end of the journal for `frames.count`).
    public func offset(of index: Int) -> Int {
        Self.magic.count + frames[..<index].reduce(0) { $0 + 9 + $1.payload.count }
    }
}

/// Appends the payload encodings of docs/journal-format.md, written from the spec and not from the
/// product's encoder, so a test built on it checks the two against each other.
public struct SpecWriter: Sendable {
    public var bytes: [UInt8] = []
    public init() {}
    public mutating func u8(_ value: UInt8) { bytes.append(value) }
    public mutating func u16(_ value: UInt16) {
        for shift in 0..<2 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * shift))) }
    }
    public mutating func u32(_ value: UInt32) {
        for shift in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * shift))) }
    }
    public mutating func u64(_ value: UInt64) {
        for shift in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * shift))) }
    }
    public mutating func i32(_ value: Int32) { u32(UInt32(bitPattern: value)) }
    public mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
    public mutating func data(_ value: [UInt8]) {
        u32(UInt32(value.count))
        bytes += value
    }
    public mutating func fixed(_ value: [UInt8]) { bytes += value }
    public mutating func optional(_ value: [UInt8]?, _ write: (inout SpecWriter, [UInt8]) -> Void) {
        if let value {
            u8(1)
            write(&self, value)
        } else {
            u8(0)
        }
    }
}

/// Reads the payload encodings of docs/journal-format.md; `nil` on any overrun or bad marker.
public struct SpecReader: Sendable {
    let bytes: [UInt8]
    var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var rest: [UInt8] { Array(bytes[offset...]) }
    public var isAtEnd: Bool { offset == bytes.count }

    static func u32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }

    mutating func integer(_ size: Int) -> UInt64? {
        guard bytes.count - offset >= size else { return nil }
        defer { offset += size }
        return (0..<size).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
    }
    public mutating func u8() -> UInt8? { integer(1).map { UInt8($0) } }
    public mutating func u16() -> UInt16? { integer(2).map { UInt16($0) } }
    public mutating func u32() -> UInt32? { integer(4).map { UInt32($0) } }
    public mutating func u64() -> UInt64? { integer(8) }
    public mutating func i32() -> Int32? { u32().map { Int32(bitPattern: $0) } }
    public mutating func i64() -> Int64? { u64().map { Int64(bitPattern: $0) } }
    public mutating func fixed(_ count: Int) -> [UInt8]? {
        guard bytes.count - offset >= count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }
    public mutating func data() -> [UInt8]? {
        guard let count = u32() else { return nil }
        return fixed(Int(count))
    }
    /// `.some(nil)` for an absent value, `nil` for a bad marker or an overrun.
    public mutating func optional(_ read: (inout SpecReader) -> [UInt8]?) -> [UInt8]?? {
        switch u8() {
        case 0: return .some(nil)
        case 1: return read(&self).map { .some($0) }
        default: return nil
        }
    }
}
