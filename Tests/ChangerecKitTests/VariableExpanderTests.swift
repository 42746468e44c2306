import ChangerecKit
import ChangerecSystem
import Testing

@Suite("variable expansion: Docker's word expansion for one word")
struct VariableExpanderTests {
    let variables = ["A": "1", "EMPTY": "", "SPACED": "a  b", "ÄNDERUNG": "ü"]

    func expand(_ word: String, escape: Character = "\\") throws(ChangerecError) -> String {
        try VariableExpander.expand(word, with: variables, escape: escape)
    }

    @Test(
        "words expand as BuildKit's shell lexer expands them",
        arguments: [
            ("$A", "1"), ("${A}", "1"), ("x${A}y", "x1y"), ("$A$A", "11"), ("$Ax", ""), ("$UNSET", ""),
            ("${UNSET:-d}", "d"), ("${EMPTY:-d}", "d"), ("${EMPTY-d}", ""), ("${UNSET-d}", "d"), ("${A:-d}", "1"),
            ("${A:+alt}", "alt"), ("${EMPTY:+alt}", ""), ("${EMPTY+alt}", "alt"), ("${UNSET+alt}", ""),
            ("${UNSET:-$A}", "1"), ("${UNSET:-${UNSET:-deep}}", "deep"), ("${UNSET:-a b}", "a b"),
            ("${UNSET:-\"q}\"}", "q}"), ("${UNSET:-\\}}", "}"),
            ("\\$A", "$A"), ("'$A'", "$A"), ("\"$A\"", "1"), ("\"\\$A\"", "$A"), ("\"\\a\"", "\\a"),
            ("\"a\\\\b\"", "a\\b"), ("\"say \\\"hi\\\"\"", "say \"hi\""), ("a\\ b", "a b"), ("trailing\\", "trailing"),
            ("$", "$"), ("a$", "a$"), ("$ a", "$ a"), ("$/", "$/"), ("$1x", "x"), ("$@", ""), ("$$", ""),
            ("$SPACED", "a  b"), ("$ÄNDERUNG", "ü"), ("'a'\"b\"c", "abc"), ("", ""),
        ])
    func expansion(_ word: String, _ expected: String) throws {
        #expect(try expand(word) == expected)
    }

    @Test("with the backtick as escape, a backslash is ordinary and the backtick escapes")
    func backtick() throws {
        #expect(try expand("c:\\$A", escape: "`") == "c:\\1")
        #expect(try expand("`$A", escape: "`") == "$A")
        #expect(try expand("\"`\"`$A\"", escape: "`") == "\"$A")
    }

    @Test(
        "malformed words are refused with the word and what to do",
        arguments: [
            ("'open", "cannot expand ''open': a single quote is not closed — close it, or escape it as \\'"),
            ("\"open", "cannot expand '\"open': a double quote is not closed — close it, or escape it as \\\""),
            ("${A", "cannot expand '${A': '${A' without its closing '}' — close it with '}'"),
            ("${A:-x", "cannot expand '${A:-x': '${' without its closing '}' — close it, or write \\$ for a literal $"),
            (
                "${}",
                "cannot expand '${}': '${' is not followed by a variable name — write ${NAME}, or \\$ for a literal $"
            ),
            (
                "${A#x}",
                "cannot expand '${A#x}': unsupported substitution in '${A…}' — use ${A}, ${A:-default}, "
                    + "${A:+alternative} or ${A:?message}"
            ),
            ("${UNSET?}", "cannot expand '${UNSET?}': UNSET: is unset — pass it with --build-arg UNSET=VALUE"),
            ("${EMPTY:?no}", "cannot expand '${EMPTY:?no}': EMPTY: no — pass it with --build-arg EMPTY=VALUE"),
        ])
    func malformed(_ word: String, _ message: String) {
        #expect(throws: ChangerecError(.usage, message)) { try expand(word) }
    }

    @Test("a set variable satisfies ${VAR?} and ${VAR:?}")
    func required() throws {
        #expect(try expand("${EMPTY?}") == "")
        #expect(try expand("${A:?}") == "1")
    }
}
