import ChangerecSystem
import Testing

@testable import ChangerecKit

@Suite("CRC-32C: the processor's instructions and the table agree")
struct CRC32CTests {
    /// A fixed, seeded sequence (xorshift64*): the same bytes on every run.
    private static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return UInt8(truncatingIfNeeded: (state &* 0x2545_F491_4F6C_DD1D) >> 56)
        }
    }

    @Test("the check value of \"123456789\" is 0xE3069283, by either way and in pieces")
    func checkValue() {
        let bytes = Array("123456789".utf8)
        #expect(CRC32C.checksum(bytes) == 0xE306_9283)
        #expect(CRC32C.tableUpdate(0, bytes) == 0xE306_9283)
        #expect(CRC32C.update(CRC32C.checksum(bytes.prefix(4)), bytes.dropFirst(4)) == 0xE306_9283)
    }

    @Test(
        "the hardware's CRC-32C equals the table's for every length up to 4096 and every misaligned start",
        .enabled(if: HardwareCRC32C.isAvailable, "this processor has no CRC-32C instructions"))
    func hardwareMatchesTable() {
        let bytes = Self.randomBytes(4096 + 8, seed: 0x9E37_79B9_7F4A_7C15)
        var mismatches: [String] = []
        for length in 0...4096 {
            // Every start within a word for short inputs (the head and tail loops), one per length beyond.
            for start in length <= 64 ? Array(0..<8) : [length % 8] {
                let slice = bytes[start..<(start + length)]
                let seed = UInt32(truncatingIfNeeded: length &* 2_654_435_761)
                let hardware = slice.withUnsafeBytes { HardwareCRC32C.update(seed, $0) }
                if hardware != CRC32C.tableUpdate(seed, slice) || CRC32C.update(seed, slice) != hardware {
                    mismatches.append("length \(length) start \(start)")
                }
            }
        }
        #expect(mismatches.isEmpty, "CRC-32C differs for \(mismatches.prefix(10))")
    }

    @Test("a collection without contiguous storage is checksummed by the table, to the same value")
    func noncontiguousCollection() {
        let bytes = Self.randomBytes(1000, seed: 7)
        #expect(CRC32C.update(0, bytes.lazy.map { $0 }) == CRC32C.update(0, bytes))
    }
}
