import ChangerecKit
import Testing

@Suite("text renderings: hex and octal modes")
struct TextRenderingTests {
    @Test("hex is two lowercase digits per byte, most significant first")
    func hex() {
        #expect(Hex.string([]) == "")
        #expect(Hex.string([0x00, 0x0F, 0xA0, 0xFF]) == "000fa0ff")
    }

    @Test("modes are written as chmod takes them, with a leading zero")
    func octalMode() {
        #expect(OctalMode.string(0o755) == "0755")
        #expect(OctalMode.string(0o4755) == "04755")
        #expect(OctalMode.string(0) == "00")
    }
}
