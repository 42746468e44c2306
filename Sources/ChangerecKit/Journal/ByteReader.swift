/// Reads the payload encodings of `docs/journal-format.md`; any overrun or invalid value throws.
struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int) throws(DecodeError) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - offset >= count else { throw DecodeError(reason: "payload too short") }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(DecodeError) -> T {
        let slice = try take(MemoryLayout<T>.size)
        var value: T = 0
        for (shift, byte) in slice.enumerated() { value |= T(truncatingIfNeeded: byte) << (8 * shift) }
        return value
    }

    mutating func u8() throws(DecodeError) -> UInt8 { try integer(UInt8.self) }
    mutating func u16() throws(DecodeError) -> UInt16 { try integer(UInt16.self) }
    mutating func u32() throws(DecodeError) -> UInt32 { try integer(UInt32.self) }
    mutating func u64() throws(DecodeError) -> UInt64 { try integer(UInt64.self) }
    mutating func i32() throws(DecodeError) -> Int32 { Int32(bitPattern: try u32()) }
    mutating func i64() throws(DecodeError) -> Int64 { Int64(bitPattern: try u64()) }

    mutating func data() throws(DecodeError) -> [UInt8] {
        let count = try u32()
        return Array(try take(Int(count)))
    }

    mutating func string() throws(DecodeError) -> String {
        String(decoding: try data(), as: UTF8.self)
    }

    mutating func path() throws(DecodeError) -> RelativePath {
        guard let path = RelativePath(try data()) else { throw DecodeError(reason: "path outside ROOT or malformed") }
        return path
    }

    mutating func fixed(_ count: Int) throws(DecodeError) -> [UInt8] { Array(try take(count)) }

    mutating func optional<T>(_ read: (inout ByteReader) throws(DecodeError) -> T) throws(DecodeError) -> T? {
        switch try u8() {
        case 0: return nil
        case 1: return try read(&self)
        default: throw DecodeError(reason: "bad optional marker")
        }
    }

    func finish() throws(DecodeError) {
        guard isAtEnd else { throw DecodeError(reason: "trailing bytes in payload") }
    }
}
