import ChangerecSystem

/// Docker's word expansion, as BuildKit's shell lexer does it for one word (`ProcessWord`): quote removal,
/// the escape character, and `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`,
/// `${VAR+word}`, `${VAR:?message}` and `${VAR?message}`.
///
/// It is not a shell: there is no field splitting, globbing, command substitution or arithmetic, and
/// whitespace stays inside the one word. Single quotes keep everything literal; inside double quotes `$`
/// still expands and the escape character only escapes `"`, `$` and itself (any other stays as written);
/// outside quotes it makes the next character literal and is dropped. An unset variable expands to
/// nothing, as does a special parameter such as `$1` or `$@`. A `$` that starts no name stays a `$`.
public enum VariableExpander {
    /// Expands one word.
    /// - Parameters:
    ///   - word: the word as written, quotes and escapes included.
    ///   - variables: the variables in scope (build arguments and ENV so far).
    ///   - escape: the file's escape character, `\` or `` ` ``.
    /// - Throws: `ChangerecError(.usage)` for an unclosed quote or `${`, an unsupported `${VAR…}` form,
    ///   or a `${VAR:?message}` whose variable is unset.
    public static func expand(
        _ word: String, with variables: [String: String], escape: Character
    ) throws(ChangerecError) -> String {
        do {
            return try expand(word, escape: escape, checkingOnly: false) { variables[$0] }
        } catch {
            let advice = error.todo.map { " — \($0)" } ?? ""
            throw ChangerecError(.usage, "cannot expand '\(word)': \(error.what)\(advice)")
        }
    }

    /// Expands one word, looking names up with `lookup`; with `checkingOnly`, `${VAR:?}` never fails, so
    /// the parser can check a word's syntax before the variables are known.
    static func expand(
        _ word: String, escape: Character, checkingOnly: Bool = false, lookup: (String) -> String?
    ) throws(BuildProblem) -> String {
        let scalars = Array(word.unicodeScalars)
        let escape = escape.unicodeScalars.first ?? "\\"
        let result: Result<String, BuildProblem> = withoutActuallyEscaping(lookup) { lookup in
            var lexer = Lexer(scalars: scalars, escape: escape, checkingOnly: checkingOnly, lookup: lookup)
            return Result { () throws(BuildProblem) in try lexer.word(until: nil) }
        }
        return try result.get()
    }

    private struct Lexer {
        let scalars: [Unicode.Scalar]
        let escape: Unicode.Scalar
        let checkingOnly: Bool
        let lookup: (String) -> String?
        var index = 0

        var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

        mutating func next() -> Unicode.Scalar? {
            defer { index += 1 }
            return peek
        }

        /// Reads to the end, or to `stop` (consumed) inside `${VAR:-word}`.
        mutating func word(until stop: Unicode.Scalar?) throws(BuildProblem) -> String {
            var result = String.UnicodeScalarView()
            while let scalar = peek {
                if scalar == stop {
                    index += 1
                    return String(result)
                }
                switch scalar {
                case "'": result.append(contentsOf: try singleQuoted().unicodeScalars)
                case "\"": result.append(contentsOf: try doubleQuoted().unicodeScalars)
                case "$": result.append(contentsOf: try dollar().unicodeScalars)
                case escape:
                    index += 1
                    // An escape character at the very end escapes nothing and is dropped, as BuildKit does.
                    if let escaped = next() { result.append(escaped) }
                default:
                    result.append(scalar)
                    index += 1
                }
            }
            if stop != nil {
                throw BuildProblem("'${' without its closing '}'", "close it, or write \(escape)$ for a literal $")
            }
            return String(result)
        }

        mutating func singleQuoted() throws(BuildProblem) -> String {
            index += 1
            var result = String.UnicodeScalarView()
            while let scalar = next() {
                if scalar == "'" { return String(result) }
                result.append(scalar)
            }
            throw BuildProblem("a single quote is not closed", "close it, or escape it as \(escape)'")
        }

        mutating func doubleQuoted() throws(BuildProblem) -> String {
            index += 1
            var result = String.UnicodeScalarView()
            while let scalar = peek {
                switch scalar {
                case "\"":
                    index += 1
                    return String(result)
                case "$":
                    result.append(contentsOf: try dollar().unicodeScalars)
                case escape:
                    index += 1
                    guard let following = peek else { continue }
                    // Only these can be escaped inside double quotes; before anything else the escape
                    // character is an ordinary one.
                    if following == "\"" || following == "$" || following == escape {
                        index += 1
                        result.append(following)
                    } else {
                        result.append(escape)
                    }
                default:
                    result.append(scalar)
                    index += 1
                }
            }
            throw BuildProblem("a double quote is not closed", "close it, or escape it as \(escape)\"")
        }

        mutating func dollar() throws(BuildProblem) -> String {
            index += 1
            guard peek == "{" else {
                let name = readName()
                return name.isEmpty ? "$" : lookup(name) ?? ""
            }
            index += 1
            let name = readName()
            guard !name.isEmpty else {
                throw BuildProblem(
                    "'${' is not followed by a variable name", "write ${NAME}, or \(escape)$ for a literal $")
            }
            let value = lookup(name)
            switch next() {
            case "}":
                return value ?? ""
            case ":":
                let modifier = next()
                guard let modifier, "-+?".unicodeScalars.contains(modifier) else { throw unsupported(name) }
                return try substitute(name, value, modifier, emptyIsUnset: true)
            case let modifier? where "-+?".unicodeScalars.contains(modifier):
                return try substitute(name, value, modifier, emptyIsUnset: false)
            case nil:
                throw BuildProblem("'${\(name)' without its closing '}'", "close it with '}'")
            default:
                throw unsupported(name)
            }
        }

        func unsupported(_ name: String) -> BuildProblem {
            BuildProblem(
                "unsupported substitution in '${\(name)…}'",
                "use ${\(name)}, ${\(name):-default}, ${\(name):+alternative} or ${\(name):?message}")
        }

        mutating func substitute(
            _ name: String, _ value: String?, _ modifier: Unicode.Scalar, emptyIsUnset: Bool
        ) throws(BuildProblem) -> String {
            let word = try word(until: "}")
            let isSet = value != nil && !(emptyIsUnset && value == "")
            switch modifier {
            case "-": return isSet ? value ?? "" : word
            case "+": return isSet ? word : ""
            default:
                if isSet || checkingOnly { return value ?? "" }
                let reason = word.isEmpty ? (emptyIsUnset ? "is unset or empty" : "is unset") : word
                throw BuildProblem("\(name): \(reason)", "pass it with --build-arg \(name)=VALUE")
            }
        }

        /// A name: letters, digits and `_` not starting with a digit; or all the digits of a positional
        /// parameter; or one special parameter character. The latter two are never set in a build.
        mutating func readName() -> String {
            guard let first = peek else { return "" }
            if Self.isDigit(first) {
                var digits = ""
                while let scalar = peek, Self.isDigit(scalar) {
                    digits.unicodeScalars.append(scalar)
                    index += 1
                }
                return digits
            }
            if "@*#?-$!".unicodeScalars.contains(first) {
                index += 1
                return String(first)
            }
            var name = ""
            while let scalar = peek, scalar == "_" || scalar.properties.isAlphabetic || Self.isDigit(scalar) {
                name.unicodeScalars.append(scalar)
                index += 1
            }
            return name
        }

        static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
    }
}
