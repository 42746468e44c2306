/// One argument written as a POSIX shell reads it back: bare when it holds only bytes no shell treats
/// specially, else in single quotes (a quote inside as `'\''`). Bytes that are not printable UTF-8 are
/// escaped as paths are (``RelativePath/escaped(_:)``), so the text stays one line.
public enum ShellWord {
    public static func quoted(_ argument: [UInt8]) -> String {
        let text = RelativePath.escaped(argument)
        let safe =
            !argument.isEmpty
            && argument.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || Array("-_./=:,+@%".utf8).contains(byte)
            }
        return safe
            ? text : "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    /// A command line: each argument quoted, separated by spaces.
    public static func commandLine(_ arguments: [[UInt8]]) -> String {
        arguments.map(quoted).joined(separator: " ")
    }
}
