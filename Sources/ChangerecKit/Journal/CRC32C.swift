import ChangerecSystem

/// CRC-32C (Castagnoli), the checksum of every journal frame: reflected polynomial 0x82F63B78,
/// initial value and final xor 0xFFFFFFFF. Computed by the processor's CRC-32C instructions where it
/// has them (``HardwareCRC32C``), a table read per byte otherwise: every frame written or read is
/// checksummed, so this runs once per event recorded.
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 {
            crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
        }
        return crc
    }

    private static let hardware = HardwareCRC32C.isAvailable

    /// Continues a checksum over `bytes`; start with `0` and chain the result.
    public static func update<C: Collection>(_ crc: UInt32, _ bytes: C) -> UInt32 where C.Element == UInt8 {
        guard hardware else { return tableUpdate(crc, bytes) }
        let value = bytes.withContiguousStorageIfAvailable { HardwareCRC32C.update(crc, UnsafeRawBufferPointer($0)) }
        return value ?? tableUpdate(crc, bytes)
    }

    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        update(0, bytes)
    }

    /// ``update(_:_:)`` by the table alone, one byte at a time: the fallback, and what the hardware's
    /// result is tested against.
    static func tableUpdate<C: Collection>(_ crc: UInt32, _ bytes: C) -> UInt32 where C.Element == UInt8 {
        var value = ~crc
        for byte in bytes {
            value = table[Int((value ^ UInt32(byte)) & 0xFF)] ^ (value >> 8)
        }
        return ~value
    }
}
