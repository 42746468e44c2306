import Testing

@testable import ChangerecKit

@Suite("relative paths: the one-pass check agrees with the component rules")
struct RelativePathValidityTests {
    /// The rules as written: no NUL, and no component empty, `.` or `..` (splitting on `/`).
    private static func byComponents(_ bytes: [UInt8]) -> Bool {
        if bytes.isEmpty { return true }
        if bytes.contains(0) { return false }
        return bytes.split(separator: 0x2F, omittingEmptySubsequences: false).allSatisfy { component in
            !component.isEmpty && !component.elementsEqual([0x2E]) && !component.elementsEqual([0x2E, 0x2E])
        }
    }

    @Test("every byte string of up to six bytes from a, ., / and NUL is judged as by its components")
    func agreesWithComponentRules() {
        let alphabet: [UInt8] = [0x61, 0x2E, 0x2F, 0x00]
        var strings: [[UInt8]] = [[]]
        var disagreements: [[UInt8]] = []
        for _ in 0..<6 {
            strings = strings.flatMap { prefix in alphabet.map { prefix + [$0] } }
            for bytes in strings where RelativePath.isValid(bytes) != Self.byComponents(bytes) {
                disagreements.append(bytes)
            }
        }
        #expect(RelativePath.isValid([]) && Self.byComponents([]))
        #expect(disagreements.isEmpty, "judged differently: \(disagreements.prefix(10))")
    }
}
