import ChangerecSystem

/// Writes a POSIX tar stream: ustar headers, with a PAX extended header before an entry whenever ustar
/// cannot say it exactly — a name or link over 100 bytes or not ASCII, a size of 8 GiB or more, ids
/// over 2,097,151, sub-second mtimes, and xattrs (`SCHILY.xattr.NAME`). User and group names stay empty,
/// so the bytes depend on nothing but the entries.
struct TarWriter {
    static let block = 512

    let sink: BlobSink

    func write(_ header: TarHeader) throws(ChangerecError) {
        var records: [(String, [UInt8])] = []
        // PAX holds UTF-8 names; a short name that is not UTF-8 stays raw in the ustar field, which every
        // reader takes byte for byte (GNU tar does not know PAX's hdrcharset=BINARY and warns about it).
        let nameFits = header.name.count <= 100 && Self.fitsUstar(header.name)
        let linkFits = header.linkName.count <= 100 && Self.fitsUstar(header.linkName)
        if !nameFits { records.append(("path", header.name)) }
        if !linkFits { records.append(("linkpath", header.linkName)) }
        if header.size >= 0o77777777777 { records.append(("size", Array(String(header.size).utf8))) }
        if header.uid > 0o7777777 { records.append(("uid", Array(String(header.uid).utf8))) }
        if header.gid > 0o7777777 { records.append(("gid", Array(String(header.gid).utf8))) }
        if header.mtimeNanoseconds != 0 || header.mtimeSeconds < 0 || header.mtimeSeconds >= 0o77777777777 {
            records.append(("mtime", Array(Self.paxTime(header.mtimeSeconds, header.mtimeNanoseconds).utf8)))
        }
        for attribute in header.xattrs {
            records.append(("SCHILY.xattr." + String(decoding: attribute.name, as: UTF8.self), attribute.value))
        }
        if !records.isEmpty {
            let body = records.flatMap { Self.paxRecord(key: $0.0, value: $0.1) }
            var pax = TarHeader(name: Array("././@PaxHeader".utf8), kind: .regular, mode: 0o644)
            pax.size = UInt64(body.count)
            try sink.write(Self.ustar(pax, typeflag: 0x78))  // 'x'
            try sink.write(body)
            try pad(UInt64(body.count))
        }
        try sink.write(Self.ustar(header, typeflag: header.kind.rawValue))
    }

    /// `SECONDS.NNNNNNNNN` for the instant `seconds + nanoseconds / 10^9`: before the epoch the fraction
    /// counts away from zero (-1.5 s is seconds -2, nanoseconds 500000000, written `-1.500000000`).
    static func paxTime(_ seconds: Int64, _ nanoseconds: UInt32) -> String {
        var whole = seconds
        var fraction = Int64(nanoseconds)
        var sign = ""
        if seconds < 0 {
            sign = "-"
            if fraction > 0 {
                whole += 1
                fraction = 1_000_000_000 - fraction
            }
            whole = -whole
        }
        let digits = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: 9 - digits.count) + digits
    }

    /// ASCII, or bytes that are not UTF-8 at all (which PAX could not say better).
    static func fitsUstar(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 < 0x80 } || String(validating: bytes, as: UTF8.self) == nil
    }

    /// Zero bytes up to the next block boundary after `size` bytes of content.
    func pad(_ size: UInt64) throws(ChangerecError) {
        let remainder = Int(size % UInt64(Self.block))
        if remainder != 0 { try sink.write([UInt8](repeating: 0, count: Self.block - remainder)) }
    }

    /// The end-of-archive marker: two zero blocks.
    func finish() throws(ChangerecError) {
        try sink.write([UInt8](repeating: 0, count: Self.block * 2))
    }

    /// `LENGTH KEY=VALUE\n`, where LENGTH counts the whole record including its own digits.
    static func paxRecord(key: String, value: [UInt8]) -> [UInt8] {
        let rest = 1 + key.utf8.count + 1 + value.count + 1  // " " key "=" value "\n"
        var length = rest + 1
        while String(length).count + rest != length { length = String(length).count + rest }
        return Array("\(length) \(key)=".utf8) + value + [0x0A]
    }

    static func ustar(_ header: TarHeader, typeflag: UInt8) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: Self.block)
        func put(_ bytes: [UInt8], at offset: Int, width: Int) {
            for (index, byte) in bytes.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: UInt64, at offset: Int, width: Int) {
            // width - 1 digits then NUL; values that do not fit were given in the PAX header.
            let limit = UInt64(1) << (3 * UInt64(width - 1))
            let digits = String(value < limit ? value : 0, radix: 8)
            put(
                Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8), at: offset,
                width: width - 1)
        }
        put(header.name, at: 0, width: 100)
        octal(UInt64(header.mode & 0o7777), at: 100, width: 8)
        octal(UInt64(header.uid), at: 108, width: 8)
        octal(UInt64(header.gid), at: 116, width: 8)
        octal(header.size, at: 124, width: 12)
        octal(UInt64(max(0, header.mtimeSeconds)), at: 136, width: 12)
        block[156] = typeflag
        put(header.linkName, at: 157, width: 100)
        put(Array("ustar\0".utf8), at: 257, width: 6)
        put(Array("00".utf8), at: 263, width: 2)
        if header.kind == .characterDevice || header.kind == .blockDevice {
            octal(UInt64(header.deviceMajor), at: 329, width: 8)
            octal(UInt64(header.deviceMinor), at: 337, width: 8)
        }
        // The checksum is computed with its own field as eight spaces.
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(Array((String(repeating: "0", count: 6 - digits.count) + digits).utf8) + [0, 0x20], at: 148, width: 8)
        return block
    }
}
