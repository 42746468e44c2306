/// One instruction of a Containerfile, where it stands in the file, what it says and how it was written.
public struct BuildInstruction: Sendable, Equatable {
    /// The file it came from, for messages only.
    public var file: String
    /// The line the instruction starts on, 1-based.
    public var line: Int
    /// The keyword in upper case, e.g. `RUN`.
    public var keyword: String
    /// The instruction as written: keyword and arguments, continuation lines joined (the escape character
    /// and its line end removed, comment and blank lines inside dropped), trimmed at both ends. It is the
    /// image history's `created_by`, so it stays faithful to the file.
    public var text: String
    public var operation: BuildOperation
    /// The escape character the file's `# escape=` directive chose: `\` unless it says `` ` ``.
    public var escape: Character

    public init(
        file: String, line: Int, keyword: String, text: String, operation: BuildOperation, escape: Character = "\\"
    ) {
        self.file = file
        self.line = line
        self.keyword = keyword
        self.text = text
        self.operation = operation
        self.escape = escape
    }
}
