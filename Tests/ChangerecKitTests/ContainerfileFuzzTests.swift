import ChangerecKit
import ChangerecSystem
import Testing

/// Hostile text made of the characters the parser treats specially: it must parse or throw a usage error,
/// never trap, and expansion of whatever parsed must do the same.
@Suite("Containerfile fuzzing: any text parses or is refused, never traps")
struct ContainerfileFuzzTests {
    /// SplitMix64, so a failure names a seed that reproduces it.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let pieces: [String] = [
        "FROM scratch\n", "FROM oci:x\n", "RUN ", "COPY ", "ADD ", "ENV ", "ARG ", "LABEL ", "EXPOSE ", "SHELL ",
        "WORKDIR ", "USER ", "CMD ", "ENTRYPOINT ", "STOPSIGNAL ", "# escape=`\n", "#", "\\", "`", "\"", "'", "$",
        "${", "}", ":-", ":+", ":?", "-", "=", "[", "]", ",", "\\u", "\\ud83d", "<<", "--", "--chown=", "--chmod=",
        " ", "\t", "\n", "\r\n", "\u{FEFF}", "a", "80", "/", "é", "😀", "{", "null", "1e5", "as",
    ]

    @Test("random Containerfiles parse or are refused with a usage error", arguments: 0..<8)
    func randomFiles(_ seed: UInt64) {
        var generator = Generator(state: seed)
        for _ in 0..<250 {
            let count = Int.random(in: 1...40, using: &generator)
            let text = (0..<count).map { _ in Self.pieces.randomElement(using: &generator) ?? "" }.joined()
            do {
                let file = try Containerfile.parse("FROM scratch\n" + text, file: "fuzz")
                for instruction in file.instructions {
                    _ = try? instruction.expanded(with: ["a": "$", "x": "a b"])
                }
            } catch {
                #expect(error.code == .usage)
                #expect(error.message.hasPrefix("fuzz:"), "\(error.message) for \(text.debugDescription)")
                #expect(!error.message.contains("\n"), "\(error.message) for \(text.debugDescription)")
            }
        }
    }
}
