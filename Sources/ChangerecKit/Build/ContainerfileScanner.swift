import ChangerecSystem

/// A Containerfile's logical lines, as BuildKit's parser reads them: parser directives at the top, then
/// comment and blank lines dropped and continued lines joined.
///
/// - A parser directive (`# escape=\``, `# syntax=…`, `# check=…`) counts only before the first line that
///   is not one; after a blank line, another comment or an instruction it is an ordinary comment. Each may
///   appear once. `syntax` and `check` are BuildKit's front-end choices and mean nothing here.
/// - A line is continued when it ends with the escape character (spaces and tabs after it allowed). The
///   escape character and what follows it are removed and the next line is appended as it is, its
///   indentation kept, so `RUN a && \` + `    b` reads `RUN a &&     b`, as Docker's history shows it.
/// - Inside a continued instruction, comment lines and blank lines are skipped, as BuildKit allows.
/// - A comment is a line whose first non-blank character is `#`; a `#` later in a line is an argument.
/// - Lines end at `\n`; a `\r` before it (CRLF) and a UTF-8 byte order mark at the start are ignored.
struct ContainerfileScanner {
    struct LogicalLine: Equatable {
        /// Where the instruction starts, 1-based.
        var number: Int
        /// Joined and trimmed at both ends.
        var text: String
    }

    var escape: Character = "\\"
    var lines: [LogicalLine] = []

    init(_ source: String, file: String) throws(ChangerecError) {
        let physical = Self.physicalLines(source)
        var directives = DirectiveReader()
        var index = 0
        while index < physical.count {
            let number = index + 1
            let line = physical[index].drop(while: \.isWhitespace)
            index += 1
            do {
                if let chosen = try directives.read(line) { escape = chosen }
            } catch {
                throw error.located(file: file, line: number)
            }
            if line.isEmpty || line.first == "#" { continue }
            var (joined, continued) = continuation(line)
            while continued && index < physical.count {
                let next = physical[index]
                index += 1
                let content = next.drop(while: \.isWhitespace)
                if content.isEmpty || content.first == "#" { continue }
                let (part, more) = continuation(next)
                joined += part
                continued = more
            }
            let text = ShellWords.trimmed(Substring(joined))
            if !text.isEmpty { lines.append(LogicalLine(number: number, text: text)) }
        }
    }

    /// The line without its trailing escape character, and whether there was one.
    private func continuation(_ line: Substring) -> (String, Bool) {
        let end = line.reversed().drop { $0 == " " || $0 == "\t" }
        guard end.first == escape else { return (String(line), false) }
        return (String(end.dropFirst().reversed()), true)
    }

    /// Splits at `\n` only (a Swift `Character` would take `\r\n` as one), dropping one `\r` before it and
    /// a byte order mark at the start.
    static func physicalLines(_ source: String) -> [Substring] {
        var text = Substring(source)
        if text.unicodeScalars.first == "\u{FEFF}" { text = Substring(text.unicodeScalars.dropFirst()) }
        return text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            Substring(line.last == "\r" ? line.dropLast() : line)
        }
    }

    /// The parser directives at the top of the file.
    private struct DirectiveReader {
        var done = false
        var seen: Set<String> = []

        /// The escape character when `line` sets it; nil for any other line.
        mutating func read(_ line: Substring) throws(BuildProblem) -> Character? {
            guard !done else { return nil }
            guard let (name, value) = Self.directive(line), ["escape", "syntax", "check"].contains(name) else {
                done = true
                return nil
            }
            guard seen.insert(name).inserted else {
                throw BuildProblem("a second '# \(name)=' parser directive", "keep only one")
            }
            guard name == "escape" else { return nil }
            guard value == "\\" || value == "`" else {
                throw BuildProblem("'# escape=\(value)' is not an escape character", "use \\ or `")
            }
            return Character(value)
        }

        /// `# name = value`: a letter then letters and digits, `=`, a value, spaces allowed around each.
        static func directive(_ line: Substring) -> (String, String)? {
            guard line.first == "#" else { return nil }
            let body = line.dropFirst().drop { $0 == " " || $0 == "\t" }
            guard let first = body.first, first.isASCII, first.isLetter else { return nil }
            let name = body.prefix { $0.isASCII && ($0.isLetter || $0.isNumber) }
            let afterName = body[name.endIndex...].drop { $0 == " " || $0 == "\t" }
            guard afterName.first == "=" else { return nil }
            let value = ShellWords.trimmed(afterName.dropFirst())
            guard !value.isEmpty else { return nil }
            return (name.lowercased(), value)
        }
    }
}
