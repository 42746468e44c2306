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

    @Test("tree order agrees with comparing components, past long shared prefixes and at every byte offset")
    func treeOrderAgreesWithComponents() throws {
        // Names from bytes around `/` in value (`-`, `.`, `0`, `~`, a non-ASCII byte), under prefixes of up to 17
        // bytes, so the first difference falls inside and after the eight-byte steps.
        let names: [[UInt8]] = [
            [0x61], [0x61, 0x2D, 0x62], [0x61, 0x2E, 0x62], [0x30], [0x7E], [0xC3, 0xA9], [0x61, 0x61],
        ]
        var paths: [RelativePath] = []
        for length in [0, 1, 6, 7, 8, 9, 15, 16, 17] {
            let prefix = (0..<length).map { UInt8(0x61 + $0 % 3) }
            for first in names {
                for second in names {
                    let head = prefix + first
                    paths.append(try #require(RelativePath(head)))
                    paths.append(try #require(RelativePath(head + [0x2F] + second)))
                }
            }
        }
        // Each path's components once, and their order by comparing them.
        let split = paths.map { path in path.bytes.split(separator: 0x2F).map(Array.init) }
        var disagreements: [String] = []
        for left in paths.indices {
            for right in paths.indices {
                let expected = split[left].lexicographicallyPrecedes(split[right]) { $0.lexicographicallyPrecedes($1) }
                if RelativePath.treeOrder(paths[left], paths[right]) != expected {
                    disagreements.append("\(paths[left]) vs \(paths[right])")
                }
            }
        }
        #expect(disagreements.isEmpty, "ordered differently: \(disagreements.prefix(10))")
    }
}
