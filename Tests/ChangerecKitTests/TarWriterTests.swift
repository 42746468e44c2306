import ChangerecSystem
import Testing

@testable import ChangerecKit

@Suite("tar headers: ustar where it fits, PAX where it does not")
struct TarWriterTests {
    @Test("a size of 8 GiB or more goes in a PAX record, and the ustar field does not lie")
    func largeSize() throws {
        var header = TarHeader(name: Array("big".utf8), kind: .regular, mode: 0o644)
        header.size = 9 << 30
        let record = TarWriter.paxRecord(key: "size", value: Array(String(header.size).utf8))
        #expect(String(decoding: record, as: UTF8.self) == "19 size=9663676416\n")
        let ustar = TarWriter.ustar(header, typeflag: 0x30)
        #expect(ustar.count == 512)
        #expect(
            String(decoding: ustar[124..<135], as: UTF8.self) == "00000000000", "the size field is zero; PAX gives it")
    }

    @Test("PAX record lengths count their own digits", arguments: [1, 5, 90, 95, 996, 9_990])
    func recordLength(valueLength: Int) {
        let record = TarWriter.paxRecord(key: "path", value: [UInt8](repeating: 0x61, count: valueLength))
        let declared = Int(String(decoding: record.prefix(while: { $0 != 0x20 }), as: UTF8.self))
        #expect(declared == record.count)
    }

    @Test("PAX times before the epoch count the fraction away from zero; far-future seconds go in PAX")
    func paxTimes() throws {
        #expect(TarWriter.paxTime(-2, 500_000_000) == "-1.500000000")
        #expect(TarWriter.paxTime(-1, 0) == "-1.000000000")
        #expect(TarWriter.paxTime(-1, 1) == "-0.999999999")
        #expect(TarWriter.paxTime(5, 42) == "5.000000042")
        var header = TarHeader(name: Array("future".utf8), kind: .regular, mode: 0o644)
        header.mtimeSeconds = 9_000_000_000
        // 11 octal digits hold up to 8^11 - 1 seconds: the ustar field cannot, so PAX must.
        #expect(9_000_000_000 >= 0o77777777777)
    }

    @Test("the ustar checksum is the sum of the header with its own field as spaces")
    func checksum() {
        let block = TarWriter.ustar(TarHeader(name: Array("a".utf8), kind: .directory, mode: 0o755), typeflag: 0x35)
        var sum = 0
        for (index, byte) in block.enumerated() { sum += (148..<156).contains(index) ? 0x20 : Int(byte) }
        #expect(Int(String(decoding: block[148..<154], as: UTF8.self), radix: 8) == sum)
    }

    @Test("names that fit ustar: ASCII up to 100 bytes, or bytes that are not UTF-8 at all")
    func ustarNames() {
        #expect(TarWriter.fitsUstar(Array("plain/name".utf8)))
        #expect(TarWriter.fitsUstar([0x62, 0xFF]))
        #expect(!TarWriter.fitsUstar(Array("é".utf8)))
    }
}
