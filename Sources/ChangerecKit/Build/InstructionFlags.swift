/// The `--name[=value]` words an instruction starts with (`COPY --chown=app:app src /dst`), taken off
/// its arguments.
///
/// As in BuildKit's `extractBuilderFlags`: flags are the leading words that begin with `--`; quotes inside
/// a flag group and are removed, a backslash makes the next character literal; a lone `--` ends the
/// flags. The value is expanded later, like the other arguments.
struct InstructionFlags {
    /// In the order written; `value` is nil for `--name` without `=`.
    var flags: [(name: String, value: String?)]
    /// What follows the flags, leading whitespace removed.
    var rest: String

    init(_ arguments: String) {
        flags = []
        var remaining = Substring(arguments).drop(while: \.isWhitespace)
        while remaining.hasPrefix("--") {
            var word = ""
            var quote: Character?
            var index = remaining.startIndex
            while index < remaining.endIndex {
                let character = remaining[index]
                index = remaining.index(after: index)
                if quote == nil && character.isWhitespace { break }
                if character == quote {
                    quote = nil
                } else if quote == nil && (character == "\"" || character == "'") {
                    quote = character
                } else if character == "\\" && quote != "'" {
                    if index < remaining.endIndex {
                        word.append(remaining[index])
                        index = remaining.index(after: index)
                    }
                } else {
                    word.append(character)
                }
            }
            remaining = remaining[index...].drop(while: \.isWhitespace)
            if word == "--" { break }
            let body = word.dropFirst(2)
            if let equals = body.firstIndex(of: "=") {
                flags.append((String(body[..<equals]), String(body[body.index(after: equals)...])))
            } else {
                flags.append((String(body), nil))
            }
        }
        rest = String(remaining)
    }
}
