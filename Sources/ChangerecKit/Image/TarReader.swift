import ChangerecSystem

/// Reads a tar stream entry by entry: ustar and POSIX (PAX) headers, local (`x`) and global (`g`) PAX
/// records (`path`, `linkpath`, `size`, `uid`, `gid`, `mtime` with its fraction, `SCHILY.xattr.*`; user
/// and group names are not used), GNU long names and link names (`L`, `K`), and GNU base-256 numbers.
/// An entry's content is read from the stream as it is asked for, never held whole.
final class TarReader {
    private let stream: LayerStream
    private var chunk = UnsafeRawBufferPointer(start: nil, count: 0)
    private var chunkOffset = 0
    /// Bytes of the current entry's content not read yet, then its padding to the next block.
    private var remaining: UInt64 = 0
    private var padding = 0
    /// How far into the tar stream the reader is, for messages.
    private var position: UInt64 = 0
    private var globals: [String: [UInt8]] = [:]

    static let block = 512

    init(stream: LayerStream) {
        self.stream = stream
    }

    /// The next entry, its content left to ``readContent(_:)`` (skipped if not read); `nil` at the
    /// end-of-archive block or at the end of the stream.
    ///
    /// - Throws: `ChangerecError` when a header is malformed, a typeflag is one changerec does not apply,
    ///   or the stream ends inside an entry.
    func next() throws(ChangerecError) -> TarEntry? {
        try skip(remaining + UInt64(padding))
        remaining = 0
        padding = 0
        var local: [String: [UInt8]] = [:]
        var longName: [UInt8]?
        var longLink: [UInt8]?
        while true {
            let offset = position
            guard let header = try readBlock() else {
                guard local.isEmpty && longName == nil && longLink == nil else {
                    throw malformed(offset, "the stream ends after an extended header")
                }
                return nil
            }
            if header.allSatisfy({ $0 == 0 }) { return nil }
            try checkSum(header, offset)
            let type = header[156]
            var size = try number(header, 124, 12, offset)
            if type != 0x78 && type != 0x67, let value = local["size"] ?? globals["size"] {
                size = try decimal(value, "size", offset)
            }
            switch type {
            case 0x78, 0x67:  // 'x', 'g'
                let records = try paxRecords(try readSmall(size, offset), offset)
                if type == 0x78 {
                    local.merge(records) { $1 }
                } else {
                    globals.merge(records) { $1 }
                }
            case 0x4C:  // 'L'
                longName = Array(try readSmall(size, offset).prefix { $0 != 0 })
            case 0x4B:  // 'K'
                longLink = Array(try readSmall(size, offset).prefix { $0 != 0 })
            default:
                let entry = try entry(
                    header, type: type, size: size, local: local, longName: longName,
                    longLink: longLink, offset: offset)
                remaining = size
                padding = Self.padding(size)
                return entry
            }
        }
    }

    /// Hands the current entry's content to `sink` in chunks, as it is read from the stream.
    func readContent(_ sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void) throws(ChangerecError) {
        while remaining > 0 {
            let piece = try take(upTo: remaining)
            remaining -= UInt64(piece.count)
            try sink(piece)
        }
    }

    private func entry(
        _ header: [UInt8], type: UInt8, size: UInt64, local: [String: [UInt8]], longName: [UInt8]?,
        longLink: [UInt8]?, offset: UInt64
    ) throws(ChangerecError) -> TarEntry {
        switch type {
        case 0, 0x30...0x37: break
        case 0x53: throw unsupported(offset, "a GNU sparse file ('S')")
        case 0x56: throw unsupported(offset, "a volume label ('V')")
        case 0x4D: throw unsupported(offset, "a multi-volume continuation ('M')")
        default: throw unsupported(offset, "an entry of type '\(printable([type]))' (\(type))")
        }
        func field(_ start: Int, _ length: Int) -> [UInt8] {
            Array(header[start..<(start + length)].prefix { $0 != 0 })
        }
        func value(_ key: String) -> [UInt8]? { local[key] ?? globals[key] }
        var name = field(0, 100)
        // POSIX ustar ("ustar\0" then "00") has a prefix; GNU's "ustar  \0" keeps times there instead.
        if header[257..<263].elementsEqual(Array("ustar\0".utf8)) {
            let prefix = field(345, 155)
            if !prefix.isEmpty { name = prefix + [0x2F] + name }
        }
        var seconds = Int64(bitPattern: try number(header, 136, 12, offset))
        var nanoseconds: UInt32 = 0
        if let mtime = value("mtime") { (seconds, nanoseconds) = try paxTime(mtime, offset) }
        var xattrs: [(name: [UInt8], value: [UInt8])] = []
        for (key, bytes) in globals.merging(local, uniquingKeysWith: { $1 }) where key.hasPrefix("SCHILY.xattr.") {
            xattrs.append((Array(key.utf8.dropFirst("SCHILY.xattr.".utf8.count)), bytes))
        }
        xattrs.sort { $0.name.lexicographicallyPrecedes($1.name) }
        var uid = try number(header, 108, 8, offset)
        if let bytes = value("uid") { uid = try decimal(bytes, "uid", offset) }
        var gid = try number(header, 116, 8, offset)
        if let bytes = value("gid") { gid = try decimal(bytes, "gid", offset) }
        return TarEntry(
            type: type, name: value("path") ?? longName ?? name,
            mode: UInt32(truncatingIfNeeded: try number(header, 100, 8, offset)) & 0o7777,
            uid: UInt32(truncatingIfNeeded: uid), gid: UInt32(truncatingIfNeeded: gid), size: size,
            mtimeSeconds: seconds, mtimeNanoseconds: nanoseconds,
            linkName: value("linkpath") ?? longLink ?? field(157, 100),
            deviceMajor: UInt32(truncatingIfNeeded: try number(header, 329, 8, offset)),
            deviceMinor: UInt32(truncatingIfNeeded: try number(header, 337, 8, offset)), xattrs: xattrs,
            offset: offset)
    }

    // MARK: - Fields

    private func checkSum(_ header: [UInt8], _ offset: UInt64) throws(ChangerecError) {
        let stored = try number(header, 148, 8, offset)
        // A plain loop over the buffer: this runs for every header of every layer.
        let (unsigned, signed) = header.withUnsafeBufferPointer { bytes -> (UInt64, Int64) in
            var unsigned: UInt64 = 0
            var signed: Int64 = 0
            for index in 0..<bytes.count {
                let counted = index >= 148 && index < 156 ? 0x20 : bytes[index]
                unsigned &+= UInt64(counted)
                signed &+= Int64(Int8(bitPattern: counted))
            }
            return (unsigned, signed)
        }
        // Some old writers summed signed bytes; readers accept either.
        guard stored == unsigned || Int64(bitPattern: stored) == signed else {
            throw malformed(offset, "bad header checksum")
        }
    }

    /// A numeric field: octal digits (with spaces or NULs around them), or GNU's base-256 when the first
    /// byte has its top bit set.
    private func number(_ header: [UInt8], _ start: Int, _ length: Int, _ offset: UInt64) throws(ChangerecError)
        -> UInt64
    {
        let bytes = header[start..<(start + length)]
        if let first = bytes.first, first & 0x80 != 0 {
            guard first == 0x80 else { throw malformed(offset, "a negative or oversized base-256 number") }
            var value: UInt64 = 0
            for byte in bytes.dropFirst() {
                guard value >> 56 == 0 else { throw malformed(offset, "a base-256 number over 64 bits") }
                value = value << 8 | UInt64(byte)
            }
            return value
        }
        let digits = bytes.drop { $0 == 0x20 || $0 == 0 }.prefix { $0 != 0x20 && $0 != 0 }
        var value: UInt64 = 0
        for digit in digits {
            guard (0x30...0x37).contains(digit), value >> 60 == 0 else {
                throw malformed(offset, "a numeric field that is not octal")
            }
            value = value << 3 | UInt64(digit - 0x30)
        }
        return value
    }

    private func decimal(_ bytes: [UInt8], _ key: String, _ offset: UInt64) throws(ChangerecError) -> UInt64 {
        guard !bytes.isEmpty, let value = UInt64(String(decoding: bytes, as: UTF8.self)) else {
            throw malformed(offset, "PAX \(key) '\(printable(bytes))' is not a number")
        }
        return value
    }

    /// A PAX time: `[-]SECONDS[.FRACTION]`. Before the epoch the fraction counts away from zero, as the
    /// layer writer writes it: `-1.5` is 2 seconds before the epoch plus half a second.
    private func paxTime(_ bytes: [UInt8], _ offset: UInt64) throws(ChangerecError) -> (Int64, UInt32) {
        var text = Substring(String(decoding: bytes, as: UTF8.self))
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = Int64(parts[0]), parts.count == 1 || parts[1].allSatisfy({ $0.isASCII && $0.isNumber })
        else { throw malformed(offset, "PAX mtime '\(printable(bytes))' is not a time") }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1].prefix(9)
            fraction =
                (Int64(digits) ?? 0)
                * [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000][
                    9 - digits.count]
        }
        guard negative else { return (whole, UInt32(fraction)) }
        return fraction == 0 ? (-whole, 0) : (-whole - 1, UInt32(1_000_000_000 - fraction))
    }

    /// `LENGTH KEY=VALUE\n` records, LENGTH counting the whole record.
    private func paxRecords(_ body: [UInt8], _ offset: UInt64) throws(ChangerecError) -> [String: [UInt8]] {
        var records: [String: [UInt8]] = [:]
        var index = 0
        while index < body.count {
            if body[index] == 0 { break }  // NUL padding some writers leave
            guard let space = body[index...].firstIndex(of: 0x20),
                let length = Int(String(decoding: body[index..<space], as: UTF8.self)), length > space - index + 2,
                index + length <= body.count, body[index + length - 1] == 0x0A,
                let equals = body[(space + 1)..<(index + length - 1)].firstIndex(of: 0x3D)
            else { throw malformed(offset, "a malformed PAX record") }
            records[String(decoding: body[(space + 1)..<equals], as: UTF8.self)] = Array(
                body[(equals + 1)..<(index + length - 1)])
            index += length
        }
        return records
    }

    static func padding(_ size: UInt64) -> Int {
        let remainder = Int(size % UInt64(block))
        return remainder == 0 ? 0 : block - remainder
    }

    // MARK: - The stream

    /// The next 512-byte block; `nil` at the end of the stream.
    private func readBlock() throws(ChangerecError) -> [UInt8]? {
        var block: [UInt8] = []
        block.reserveCapacity(Self.block)
        while block.count < Self.block {
            guard let piece = try takeOrEnd(upTo: UInt64(Self.block - block.count)) else {
                if block.isEmpty { return nil }
                throw malformed(position, "the stream ends inside a header")
            }
            block.append(contentsOf: piece)
        }
        return block
    }

    /// The content of an extended header or long name, which is held whole: at most 1 MiB.
    private func readSmall(_ size: UInt64, _ offset: UInt64) throws(ChangerecError) -> [UInt8] {
        guard size <= 1 << 20 else { throw malformed(offset, "an extended header of \(size) bytes") }
        var bytes: [UInt8] = []
        while UInt64(bytes.count) < size { bytes.append(contentsOf: try take(upTo: size - UInt64(bytes.count))) }
        try skip(UInt64(Self.padding(size)))
        return bytes
    }

    private func skip(_ count: UInt64) throws(ChangerecError) {
        var left = count
        while left > 0 { left -= UInt64(try take(upTo: left).count) }
    }

    /// Up to `limit` bytes of the stream (at least one).
    private func take(upTo limit: UInt64) throws(ChangerecError) -> UnsafeRawBufferPointer {
        guard let piece = try takeOrEnd(upTo: limit) else {
            throw malformed(position, "the stream ends inside an entry")
        }
        return piece
    }

    private func takeOrEnd(upTo limit: UInt64) throws(ChangerecError) -> UnsafeRawBufferPointer? {
        while chunkOffset == chunk.count {
            guard let next = try stream.next() else { return nil }
            chunk = next
            chunkOffset = 0
        }
        let count = Int(min(UInt64(chunk.count - chunkOffset), limit))
        let piece = UnsafeRawBufferPointer(rebasing: chunk[chunkOffset..<(chunkOffset + count)])
        chunkOffset += count
        position += UInt64(count)
        return piece
    }

    private func malformed(_ offset: UInt64, _ what: String) -> ChangerecError {
        ChangerecError(.usage, "\(stream.shown) is not a valid tar stream: \(what) (at byte \(offset) of the tar)")
    }

    private func unsupported(_ offset: UInt64, _ what: String) -> ChangerecError {
        ChangerecError(
            .usage, "\(stream.shown) holds \(what) at byte \(offset) of its tar, which changerec does not apply")
    }
}
