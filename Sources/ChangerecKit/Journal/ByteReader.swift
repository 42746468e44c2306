/// Reads the payload encodings of `docs/journal-format.md`; any overrun or invalid value throws.
///
/// It reads a range of a larger buffer in place (the reader's read-ahead chunk), so a record costs no
/// copy of its frame: only the values it keeps (paths, strings, digests) are copied out, each once.
struct ByteReader {
    let bytes: [UInt8]
    var offset: Int
    /// Where the payload ends in `bytes`.
    let end: Int

    init(_ bytes: [UInt8]) {
        self.init(bytes, range: 0..<bytes.count)
    }

    /// Reads `bytes[range]`; `range` must lie within `bytes`.
    init(_ bytes: [UInt8], range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "ByteReader range outside its buffer")
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    var isAtEnd: Bool { offset == end }

    /// The start of the next `count` bytes, which are then consumed.
    private mutating func take(_ count: Int) throws(DecodeError) -> Int {
        guard count >= 0, end - offset >= count else { throw DecodeError(reason: "payload too short") }
        defer { offset += count }
        return offset
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(DecodeError) -> T {
        let start = try take(MemoryLayout<T>.size)
        // One unaligned load: every field of every record is read here.
        let raw = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: start, as: T.self) }
        return T(littleEndian: raw)
    }

    mutating func u8() throws(DecodeError) -> UInt8 {
        let start = try take(1)
        return bytes[start]
    }
    mutating func u16() throws(DecodeError) -> UInt16 { try integer(UInt16.self) }
    mutating func u32() throws(DecodeError) -> UInt32 { try integer(UInt32.self) }
    mutating func u64() throws(DecodeError) -> UInt64 { try integer(UInt64.self) }
    mutating func i32() throws(DecodeError) -> Int32 { Int32(bitPattern: try u32()) }
    mutating func i64() throws(DecodeError) -> Int64 { Int64(bitPattern: try u64()) }

    mutating func data() throws(DecodeError) -> [UInt8] {
        let count = try u32()
        return try fixed(Int(count))
    }

    mutating func string() throws(DecodeError) -> String {
        let count = Int(try u32())
        let start = try take(count)
        return bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[start..<(start + count)]), as: UTF8.self)
        }
    }

    mutating func path() throws(DecodeError) -> RelativePath {
        guard let path = RelativePath(try data()) else { throw DecodeError(reason: "path outside ROOT or malformed") }
        return path
    }

    mutating func fixed(_ count: Int) throws(DecodeError) -> [UInt8] {
        let start = try take(count)
        if count == 0 { return [] }
        return bytes.withUnsafeBufferPointer { Array(UnsafeBufferPointer(rebasing: $0[start..<(start + count)])) }
    }

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
