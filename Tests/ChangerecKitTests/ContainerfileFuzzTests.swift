import ChangerecKit
import ChangerecSystem
import ChangerecTestSupport
import Testing

/// Hostile text made of the characters the parser treats specially: it must parse or throw a usage error,
/// never trap, and expansion of whatever parsed must do the same.
@Suite("Containerfile fuzzing: any text parses or is refused, never traps")
struct ContainerfileFuzzTests {
    static let pieces: [String] = [
        "FROM scratch\n", "FROM oci:x\n", "RUN ", "COPY ", "ADD ", "ENV ", "ARG ", "LABEL ", "EXPOSE ", "SHELL ",
        "WORKDIR ", "USER ", "CMD ", "ENTRYPOINT ", "STOPSIGNAL ", "# escape=`\n", "#", "\\", "`", "\"", "'", "$",
        "${", "}", ":-", ":+", ":?", "-", "=", "[", "]", ",", "\\u", "\\ud83d", "<<", "--", "--chown=", "--chmod=",
        " ", "\t", "\n", "\r\n", "\u{FEFF}", "a", "80", "/", "é", "😀", "{", "null", "1e5", "as",
    ]

    @Test("random Containerfiles parse or are refused with a usage error", arguments: 0..<8)
    func randomFiles(_ seed: UInt64) {
        // Seeded, so a failure names a seed that reproduces it.
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<250 {
            let count = Int.random(in: 1...40, using: &generator)
            let text = (0..<count).map { _ in Self.pieces.randomElement(using: &generator) ?? "" }.joined()
            do {
                let file = try Containerfile.parse("FROM scratch\n" + text, file: "fuzz")
                for instruction in file.instructions {
                    do {
                        _ = try instruction.expanded(with: ["a": "$", "x": "a b"])
                    } catch {
                        #expect(error.code == .usage)
                        #expect(error.message.hasPrefix("fuzz:"), "\(error.message) for \(text.debugDescription)")
                    }
                }
            } catch {
                #expect(error.code == .usage)
                #expect(error.message.hasPrefix("fuzz:"), "\(error.message) for \(text.debugDescription)")
                #expect(!error.message.contains("\n"), "\(error.message) for \(text.debugDescription)")
            }
        }
    }
}
