import ChangerecSystem

/// A parsed Containerfile: the instructions of its one build stage, each with its line and as written.
///
/// The whole file is parsed, and every instruction changerec cannot carry out refused, before anything
/// runs, so a build never stops half-way over a typo on its last line.
public struct Containerfile: Sendable, Equatable {
    public var instructions: [BuildInstruction]

    public init(instructions: [BuildInstruction]) {
        self.instructions = instructions
    }

    /// Parses a whole Containerfile.
    ///
    /// Follows Docker's Dockerfile reference and BuildKit's parser: parser directives (`escape`; `syntax`
    /// and `check` are ignored), comments, line continuations (comment and blank lines allowed inside),
    /// case-insensitive keywords, CRLF line ends and a UTF-8 byte order mark. Exactly one FROM, with only
    /// ARG before it.
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - file: the name to give in messages.
    /// - Throws: `ChangerecError(.usage)` for the first problem, one line `FILE:LINE: WHAT — WHAT TO DO`:
    ///   an unknown or unsupported instruction or flag (multi-stage builds, `RUN --mount`, ONBUILD,
    ///   HEALTHCHECK, remote ADD, heredocs, …), missing arguments, an unclosed quote or `${`, or no FROM.
    public static func parse(_ text: String, file: String) throws(ChangerecError) -> Containerfile {
        let scanner = try ContainerfileScanner(text, file: file)
        var instructions: [BuildInstruction] = []
        var fromLine: Int?
        for line in scanner.lines {
            let parser = InstructionParser(line.text, escape: scanner.escape)
            let operation: BuildOperation
            do {
                operation = try parser.operation()
                try checkOrder(operation, keyword: parser.keyword, after: fromLine)
            } catch {
                throw error.located(file: file, line: line.number)
            }
            if case .from = operation { fromLine = line.number }
            instructions.append(
                BuildInstruction(
                    file: file, line: line.number, keyword: parser.keyword, text: line.text, operation: operation,
                    escape: scanner.escape))
        }
        guard fromLine != nil else {
            let problem = BuildProblem("no FROM instruction", "begin with FROM scratch or FROM oci:LAYOUT[:TAG]")
            throw problem.located(file: file, line: instructions.first?.line ?? 1)
        }
        return Containerfile(instructions: instructions)
    }

    /// One FROM, and nothing but ARG before it.
    private static func checkOrder(
        _ operation: BuildOperation, keyword: String, after fromLine: Int?
    ) throws(BuildProblem) {
        switch (operation, fromLine) {
        case (.from, let first?):
            throw BuildProblem(
                "a second FROM (line \(first) has the first): multi-stage builds are not supported",
                "split into separate builds; a later one can start FROM oci:LAYOUT:TAG of an earlier one")
        case (.from, nil), (.arg, nil), (_, _?):
            return
        case (_, nil):
            throw BuildProblem("\(keyword) before FROM", "only ARG may come before FROM; move it after FROM")
        }
    }
}
