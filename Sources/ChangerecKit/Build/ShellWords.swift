/// How Docker splits an instruction's arguments into words before any expansion.
enum ShellWords {
    /// Splits at whitespace outside quotes, keeping quotes and escape characters in the words (they are
    /// removed later, when the word is expanded); BuildKit's `parseWords`, used for ENV, LABEL and ARG.
    /// An escape character at the very end is dropped; an unclosed quote runs to the end of the text.
    static func quoted(_ text: String, escape: Character) -> [String] {
        var words: [String] = []
        var word = ""
        var hasWord = false
        var quote: Character?
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            if let open = quote {
                if character == open {
                    quote = nil
                } else if character == escape && open != "'" {
                    // Inside double quotes the escape character keeps the next character with it, even a quote.
                    guard let escaped = iterator.next() else { break }
                    word.append(character)
                    word.append(escaped)
                    continue
                }
                word.append(character)
                continue
            }
            if character.isWhitespace {
                if hasWord { words.append(word) }
                word = ""
                hasWord = false
                continue
            }
            hasWord = true
            if character == "'" || character == "\"" {
                quote = character
            } else if character == escape {
                guard let escaped = iterator.next() else { break }
                word.append(character)
                word.append(escaped)
                continue
            }
            word.append(character)
        }
        if hasWord { words.append(word) }
        return words
    }

    /// Splits at runs of whitespace, nothing else: BuildKit's `parseStringsWhitespaceDelimited`, used for
    /// FROM, EXPOSE and the shell form of COPY and ADD, where quotes do not group words.
    static func plain(_ text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// The text with whitespace removed at both ends.
    static func trimmed(_ text: Substring) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
