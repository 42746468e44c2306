import ChangerecTestSupport
import Foundation
import Testing

/// The completion scripts the binary writes (`--generate-completion-script SHELL`): each shell's own
/// syntax check accepts them, and bash completes journals, directories and option values.
@Suite("completions for bash, zsh and fish")
struct CompletionTests {
    /// Writes the script for `shell` beside a fresh tree and returns its path.
    static func script(_ shell: String, in tree: TemporaryTree) throws -> String {
        let result = try Run.changerec(["--generate-completion-script", shell])
        try #require(result.status == 0, "\(result.stderr)")
        let path = tree.base + "/changerec." + shell
        try result.stdoutData.write(to: URL(fileURLWithPath: path))
        return path
    }

    static func check(_ shell: String) throws {
        let tree = try TemporaryTree()
        let path = try script(shell, in: tree)
        let checked = try Run.command(["/usr/bin/" + shell, "-n", path])
        #expect(checked.status == 0, "\(shell) -n: \(checked.stderr)")
    }

    @Test("bash -n accepts the bash script") func bashSyntax() throws { try Self.check("bash") }
    @Test("zsh -n accepts the zsh script", .requiresShell("zsh")) func zshSyntax() throws { try Self.check("zsh") }
    @Test("fish -n accepts the fish script", .requiresShell("fish")) func fishSyntax() throws {
        try Self.check("fish")
    }

    /// Sources the bash script and calls its function as bash's `complete -F` would for `line` (ending
    /// where the cursor is), in ROOT; returns the candidates, one per line.
    static func bashCompletes(_ line: String, script: String, in directory: String) throws -> [String] {
        let driver = """
            source "$1"
            COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}
            read -ra COMP_WORDS <<< "$COMP_LINE"
            [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
            _changerec "${COMP_WORDS[0]}" "${COMP_WORDS[$COMP_CWORD]}" "${COMP_WORDS[$COMP_CWORD - 1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let result = try Run.command(["/bin/bash", "-c", driver, "bash", script, line], directory: directory)
        try #require(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test("bash completes journal paths — those beside it and those in ./.changerec/ — and option values")
    func bashCompletesJournals() throws {
        let tree = try TemporaryTree()
        try tree.materialise([
            .dir(".changerec", [.file("0001.journal"), .file("0002.journal")]), .file("step.journal"),
            .file("notes.txt"), .dir("sub", [.file("x.journal"), .file("y.txt")]),
        ])
        let script = try Self.script("bash", in: tree)
        let binary = Run.binary
        func completes(_ line: String) throws -> [String] {
            try Self.bashCompletes(binary + " " + line, script: script, in: tree.root)
        }
        #expect(
            try completes("changes ")
                == [".changerec/", ".changerec/0001.journal", ".changerec/0002.journal", "step.journal", "sub/"])
        #expect(
            try completes("diff step.journal .changerec/0") == [".changerec/0001.journal", ".changerec/0002.journal"])
        #expect(try completes("layer sub/") == ["sub/x.journal"])
        #expect(try completes("show s") == ["step.journal", "sub/"])
        #expect(try completes("layer --compress ") == ["gzip", "zstd", "none"])
        #expect(try completes("record --backend ") == ["auto", "fanotify", "inotify"])
        #expect(try completes("record --oci-layout s") == ["sub"])
    }
}
