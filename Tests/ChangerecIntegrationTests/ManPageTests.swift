import ChangerecTestSupport
import Foundation
import Testing

/// The man pages in docs/man/ are the commands' own help, as contrib/generate-man.sh writes them: this
/// fails when the help changed and the pages were not written again, and when a page does not render.
@Suite("man pages: docs/man/ says what the help says")
struct ManPageTests {
    static let pages = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/man")

    /// The command's help as the parser describes it (`--experimental-dump-help`).
    static func help(_ subcommand: String) throws -> [String: Any] {
        let result = try Run.changerec((subcommand.isEmpty ? [] : [subcommand]) + ["--experimental-dump-help"])
        try #require(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        return try #require(json["command"] as? [String: Any])
    }

    /// `text` as the page holds it: mdoc escapes a backslash, and lines are joined by spaces.
    static func normalised(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\e").split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    @Test(
        "each page holds its command's abstract, discussion, exit status, examples and every option's help",
        arguments: ["", "record", "run", "build", "show", "changes", "diff", "layer"])
    func pageIsCurrent(subcommand: String) throws {
        let name = subcommand.isEmpty ? "changerec.1" : "changerec-\(subcommand).1"
        let page = try String(contentsOf: Self.pages.appendingPathComponent(name), encoding: .utf8)
        // The text lines, and the one-line description (`.Nd "..."`); other macro lines are layout.
        let text = page.split(separator: "\n").compactMap { line -> Substring? in
            if line.hasPrefix(".Nd ") { return line.dropFirst(4).filter { $0 != "\"" }[...] }
            return line.hasPrefix(".") ? nil : line
        }
        let flat = Self.normalised(text.joined(separator: " "))
        let help = try Self.help(subcommand)
        var expected = [help["abstract"] as? String ?? ""]
        for paragraph in (help["discussion"] as? String ?? "").components(separatedBy: "\n\n") {
            if paragraph.hasPrefix("EXAMPLES:") {
                expected += paragraph.split(separator: "\n").dropFirst().map { String($0.dropFirst(2)) }
            } else if paragraph.hasPrefix("EXIT STATUS: ") {
                let text = paragraph.dropFirst("EXIT STATUS: ".count)
                expected.append(text.prefix(1).uppercased() + text.dropFirst())
            } else {
                expected.append(paragraph)
            }
        }
        for argument in help["arguments"] as? [[String: Any]] ?? [] where argument["shouldDisplay"] as? Bool != false {
            expected.append(argument["abstract"] as? String ?? "")
        }
        let stale = expected.filter { !$0.isEmpty && !flat.contains(Self.normalised($0)) }
        #expect(stale.isEmpty, "docs/man/\(name) is stale (run contrib/generate-man.sh); missing: \(stale)")
        #expect(page.contains(".Sh \"EXIT STATUS\"\n") && !page.contains(".Ex -std"), "\(name): generic EXIT STATUS")
    }

    @Test("every page renders with man -l, without warnings", .requiresProgram("/usr/bin/man"))
    func pagesRender() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.pages.path).filter { $0.hasSuffix(".1") }
        #expect(names.count == 8)
        for name in names {
            let result = try Run.command(
                ["/usr/bin/man", "-l", Self.pages.appendingPathComponent(name).path], environment: ["MANWIDTH": "80"])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(result.stderr.isEmpty, "\(name): \(result.stderr)")
            #expect(result.stdout.contains("EXIT STATUS") && result.stdout.contains("EXAMPLES"), "\(name)")
        }
    }
}
