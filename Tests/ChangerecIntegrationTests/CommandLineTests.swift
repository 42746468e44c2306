import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// The binary as a user meets it: exit statuses, one-line errors, journals numbered per run.
@Suite("command line: statuses and messages")
struct CommandLineTests {
    @Test("the command's exit status is changerec's")
    func exitStatusPassesThrough() throws {
        let tree = try TemporaryTree()
        let result = try Run.changerec(["--quiet", "--", "/bin/sh", "-c", "exit 3"], directory: tree.root)
        #expect(result.status == 3)
        #expect(result.stderr.isEmpty)
    }

    @Test("a command killed by SIGTERM gives 143")
    func killedBySignal() throws {
        let tree = try TemporaryTree()
        let result = try Run.changerec(["--quiet", "--", "/bin/sh", "-c", "kill -TERM $$"], directory: tree.root)
        #expect(result.status == 143)
    }

    @Test("a command that does not exist gives 127 and one line, and no journal")
    func commandNotFound() throws {
        let tree = try TemporaryTree()
        let result = try Run.changerec(["--", "no-such-cmd"], directory: tree.root)
        #expect(result.status == 127)
        #expect(result.stderr == "changerec: command not found: no-such-cmd\n")
        #expect(!FileManager.default.fileExists(atPath: tree.path(".changerec/0001.journal")))
    }

    @Test("a command that is not executable (no execute permission) gives 126 and one line")
    func commandNotExecutable() throws {
        let tree = try TemporaryTree()
        try tree.materialise([.file("script", "#!/bin/sh\necho hi\n").mode(0o644)])
        let result = try Run.changerec(["--", "./script"], directory: tree.root)
        #expect(result.status == 126)
        #expect(result.stderr.hasPrefix("changerec: cannot execute './script'"))
        #expect(result.stderr.filter { $0 == "\n" }.count == 1)
    }

    @Test("a missing ROOT is one line and a non-zero status")
    func rootMissing() throws {
        let tree = try TemporaryTree()
        let result = try Run.changerec(["--root", tree.path("nope"), "--", "/bin/true"], directory: tree.root)
        #expect(result.status != 0)
        #expect(
            result.stderr
                == "changerec: ROOT '\(tree.path("nope"))' does not exist; pass an existing directory with --root\n")
    }

    @Test("a ROOT that is a file is one line and a non-zero status")
    func rootNotADirectory() throws {
        let tree = try TemporaryTree()
        try tree.materialise([.file("file", "x\n")])
        let result = try Run.changerec(["--root", tree.path("file"), "--", "/bin/true"], directory: tree.root)
        #expect(result.status != 0)
        #expect(
            result.stderr
                == "changerec: ROOT '\(tree.path("file"))' is not a directory; pass a directory (--root, or --rootfs for run and build)\n"
        )
    }

    @Test("no command after '--' is a usage error")
    func missingCommand() throws {
        let tree = try TemporaryTree()
        let result = try Run.changerec(["--root", tree.root], directory: tree.root)
        #expect(result.status != 0)
        #expect(result.stderr.contains("no command given"))
    }

    @Test("a second run gets the next journal number, and `changes` reads the newest")
    func journalsAreNumbered() throws {
        let tree = try TemporaryTree()
        _ = try Run.changerec(["--quiet", "--", "/bin/sh", "-c", "echo 1 > one"], directory: tree.root)
        _ = try Run.changerec(["--quiet", "--", "/bin/sh", "-c", "echo 2 > two"], directory: tree.root)
        #expect(FileManager.default.fileExists(atPath: tree.path(".changerec/0001.journal")))
        #expect(FileManager.default.fileExists(atPath: tree.path(".changerec/0002.journal")))
        let newest = try Run.changerec(["changes"], directory: tree.root)
        #expect(newest.stdout == "A /two\n")
        let first = try Run.changerec(["changes", tree.path(".changerec/0001.journal")], directory: tree.root)
        #expect(first.stdout == "A /one\n")
    }

    @Test("the summary lists changes docker-diff style, then one line of totals")
    func summaryFormat() throws {
        let tree = try TemporaryTree()
        try tree.materialise([.file("gone", "old\n"), .symlink("link", "a")])
        let result = try Run.changerec(
            ["--", "/bin/sh", "-c", "rm gone && echo n > new && ln -sfn b link"], directory: tree.root)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.dropLast() == ["D /gone", "C /link -> b", "A /new"])
        #expect(lines.last?.hasPrefix("changerec: ") == true)
        #expect(lines.last?.contains(" changed paths, backend ") == true)
    }

    @Test("--json prints the change set as one object on standard error")
    func recordJSON() throws {
        let tree = try TemporaryTree()
        let result = try Run.changerec(["--json", "--", "/bin/sh", "-c", "echo x > f"], directory: tree.root)
        let changes = try RecordedChanges(json: Data(result.stderr.utf8))
        #expect(changes.entry("f")?.kind == "A")
        #expect(["inotify", "fanotify"].contains(changes.backend))
    }

    @Test("the journal and .changerec/ never appear in the change set, wherever the journal is")
    func selfExcluded() throws {
        let tree = try TemporaryTree()
        try tree.materialise([.dir("out")])
        let result = try Run.changerec(
            ["--journal", tree.path("out/step.journal"), "--", "/bin/sh", "-c", "echo x > f"], directory: tree.root)
        #expect(result.stderr.hasPrefix("A /f\nchangerec: "))
        let listed = try Run.changerec(["changes", tree.path("out/step.journal")])
        #expect(listed.stdout == "A /f\n")
    }

    @Test("descendants still running are named; --wait waits for them and records their changes")
    func stragglers() throws {
        let tree = try TemporaryTree()
        // The step waits until its straggler has become `sleep` (a fork not yet exec'd is still `sh`).
        let script = """
            sleep 1 & p=$!; until [ "$(cat /proc/$p/comm 2>/dev/null)" = sleep ]; do :; done
            (sleep 0.3; echo late > late) & echo early > early
            """
        let unwaited = try Run.changerec(["--", "/bin/sh", "-c", script], directory: tree.root)
        #expect(unwaited.stderr.contains("still running when it ended"))
        #expect(unwaited.stderr.contains("sleep"))
        let waited = try Run.changerec(
            ["--wait", "--", "/bin/sh", "-c", script.replacingOccurrences(of: "late", with: "later")],
            directory: tree.root)
        #expect(waited.stderr.contains("A /later\n"))
        #expect(!waited.stderr.contains("still running"))
    }

    /// Runs changerec on a terminal of its own (a pty), its command counting the SIGINTs it gets, and
    /// interrupts it either by typing Ctrl-C or by `kill -INT` of changerec's pid; returns the count.
    func interruptCount(byTerminal: Bool, in tree: TemporaryTree) throws -> String {
        let driver = """
            import os, pty, signal, sys
            binary, counter, by_terminal = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
            command = (
                "import signal, sys, time\\n"
                "n = [0]\\n"
                "signal.signal(signal.SIGINT, lambda *_: n.__setitem__(0, n[0] + 1))\\n"
                "print('ready', flush=True)\\n"
                "while n[0] == 0: signal.pause()\\n"
                "time.sleep(0.5)  # a window for a second delivery to show up\\n"
                "open(sys.argv[1], 'w').write(str(n[0]))\\n")
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(binary, [binary, "--quiet", "--", sys.executable, "-c", command, counter])
            seen = b""
            while b"ready" not in seen:
                seen += os.read(fd, 1024)
            if by_terminal:
                os.write(fd, b"\\x03")
            else:
                os.kill(pid, signal.SIGINT)
            while True:
                try:
                    if not os.read(fd, 1024): break
                except OSError:
                    break
            os.waitpid(pid, 0)
            """
        let counter = tree.base + "/count"
        let result = try Run.command(
            ["/usr/bin/python3", "-c", driver, Run.binary, counter, byTerminal ? "1" : "0"], directory: tree.root)
        try #require(result.status == 0, "\(result.stderr)")
        return try String(contentsOfFile: counter, encoding: .utf8)
    }

    @Test("a terminal's Ctrl-C reaches the command once, not again through forwarding", .requiresPython)
    func ctrlCOnce() throws {
        #expect(try interruptCount(byTerminal: true, in: TemporaryTree()) == "1")
    }

    @Test("SIGINT sent to changerec's pid reaches the command once", .requiresPython)
    func killOnce() throws {
        #expect(try interruptCount(byTerminal: false, in: TemporaryTree()) == "1")
    }

    @Test("SIGTERM sent to changerec is forwarded to the command")

    func signalForwarded() throws {
        let tree = try TemporaryTree()
        let fifo = tree.base + "/ready"
        #expect(mkfifo(fifo, 0o600) == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Run.binary)
        process.arguments = [
            "--quiet", "--root", tree.root, "--", "/bin/sh", "-c", "echo ready > '\(fifo)'; exec sleep 100",
        ]
        try process.run()
        // A fence, not a sleep: opening the fifo blocks until the command has started and opened it.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: fifo))
        _ = handle.readDataToEndOfFile()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 143)
    }
}

@Suite("show and changes: renderings")
struct RenderingTests {
    @Test("a path that is not UTF-8 is escaped in text and given as base64 in JSON")
    func nonUTF8Paths() throws {
        let tree = try TemporaryTree()
        let journal = tree.base + "/j.journal"
        _ = try Run.changerec(
            [
                "--quiet", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c",
                "touch \"$(printf 'bad\\377')\"",
            ], directory: tree.root)
        let text = try Run.changerec(["changes", journal])
        #expect(text.stdout == "A /bad\\xff\n")
        let json = try Run.changerec(["show", "--json", journal])
        let lines = json.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("{\"record\":\"header\",\"version\":1,") == true)
        #expect(lines.contains { $0.contains("\"record\":\"event\"") && $0.contains("\"path_b64\":\"YmFk/w==\"") })
        #expect(lines.last == "{\"record\":\"end\",\"complete\":true}")
        let changes = try RecordedChanges(json: Data(try Run.changerec(["changes", "--json", journal]).stdout.utf8))
        #expect(changes.entry([0x62, 0x61, 0x64, 0xFF])?.kind == "A")
    }

    @Test("show prints header, events, exit and seal")
    func showText() throws {
        let tree = try TemporaryTree()
        try tree.materialise([.dir("d")])
        let journal = tree.base + "/j.journal"
        _ = try Run.changerec(
            [
                "--quiet", "--backend", "inotify", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c",
                "ln -s target d/link && mv d e",
            ], directory: tree.root)
        let lines = try Run.changerec(["show", journal]).stdout.split(separator: "\n").map(String.init)
        #expect(lines[0] == "journal  \(journal)")
        let identity = try Run.command(["/usr/bin/stat", "-c", "device %Hd:%Ld, inode %i", tree.root]).stdout
        #expect(lines[1] == "root     \(tree.root) (\(identity.dropLast()))")
        #expect(lines[2] == "backend  inotify (chosen with --backend inotify)")
        #expect(lines[3] == "command  /bin/sh -c 'ln -s target d/link && mv d e'")
        #expect(lines.contains { $0.hasSuffix(" create   /d/link") })
        #expect(lines.contains { $0.hasSuffix(" rename   /d => /e  [dir]") })
        #expect(lines.contains { $0.hasPrefix("exit     exit status 0 after ") })
        #expect(lines.contains("seal     /e/link before=none after=symlink mode=0777 uid=0 gid=0 mtime=") == false)
        #expect(
            lines.contains {
                $0.hasPrefix("seal     /e/link before=none after=symlink") && $0.hasSuffix("target=target")
            })
        #expect(lines.last?.hasPrefix("end      complete, ") == true)
    }

    @Test(
        "every subcommand's --help and -h print its usage on standard output and exit 0",
        arguments: [
            ("record", "USAGE: changerec record "), ("show", "USAGE: changerec show "),
            ("changes", "USAGE: changerec changes "), ("diff", "USAGE: changerec diff "),
            ("layer", "USAGE: changerec layer "),
        ])
    func subcommandHelp(subcommand: String, usage: String) throws {
        for flag in ["--help", "-h"] {
            let result = try Run.changerec([subcommand, flag])
            #expect(result.status == 0, "\(subcommand) \(flag): \(result.stderr)")
            #expect(result.stdout.contains(usage), "\(subcommand) \(flag): \(result.stdout)")
            #expect(result.stderr.isEmpty, "\(subcommand) \(flag)")
        }
    }

    @Test("changes --expand lists every path inside a directory that arrived whole or was deleted")
    func changesExpand() throws {
        // The tree holds the journal: it is kept until the end.
        let (tree, journal) = try Run.recordedStep(
            "mkdir -p n.new/a && echo x > n.new/a/f && mv n.new n && rm -r old",
            tree: [.dir("old", [.file("z", "z\n")])])
        let plain = try Run.changerec(["changes", journal])
        #expect(plain.stdout == "A /n (whole directory)\nD /old\n", "\(plain.stdout)")
        let expanded = try Run.changerec(["changes", "--expand", journal])
        #expect(expanded.status == 0, "\(expanded.stderr)")
        #expect(expanded.stdout == "A /n (whole directory)\nA /n/a\nA /n/a/f\nD /old\nD /old/z\n", "\(expanded.stdout)")
        let json = try RecordedChanges(json: try Run.changerec(["changes", "--expand", "--json", journal]).stdoutData)
        #expect(json.entry("n/a/f")?.kind == "A")
        #expect(json.entry("old/z")?.kind == "D")
        withExtendedLifetime(tree) {}
    }

    /// The discussion is written for the parser's own wrapping: no line over 80 columns, and no line of
    /// prose cut short in the middle of a paragraph (what text wrapped at another width leaves).
    @Test(
        "every help reads well: lines that fit 80 columns, whole paragraphs, an EXAMPLES section",
        arguments: ["", "record", "run", "build", "show", "changes", "diff", "layer"])
    func helpReadsWell(subcommand: String) throws {
        let result = try Run.changerec((subcommand.isEmpty ? [] : [subcommand]) + ["--help"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(lines.filter { $0.count > 80 })")
        #expect(lines.contains("EXAMPLES:"))
        if !subcommand.isEmpty { #expect(lines.contains { $0.hasPrefix("EXIT STATUS: ") }) }
        let prose = lines.prefix { !$0.hasPrefix("EXAMPLES:") && !$0.hasPrefix("USAGE:") }
        for (line, next) in zip(prose, prose.dropFirst()) where !line.isEmpty && !line.hasPrefix(" ") && !next.isEmpty {
            #expect(line.count > 60, "a paragraph is cut short after: \(line)")
        }
    }

    @Test("the top-level help names every subcommand")
    func topLevelHelpNamesAll() throws {
        let help = try Run.changerec(["--help"]).stdout
        let overview = help.components(separatedBy: "EXAMPLES:")[0]
        for name in ["'show'", "'changes'", "'diff'", "'layer'", "changerec -- CMD"] {
            #expect(overview.contains(name), "\(name)")
        }
    }

    @Test("the top-level --help, -h and --version print on standard output and exit 0")
    func topLevelHelp() throws {
        for flag in ["--help", "-h"] {
            let result = try Run.changerec([flag])
            #expect(result.status == 0, "\(flag): \(result.stderr)")
            #expect(result.stdout.contains("USAGE: changerec <subcommand>"), "\(flag): \(result.stdout)")
            #expect(result.stderr.isEmpty, "\(flag)")
        }
        let version = try Run.changerec(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("0.1.0"))
    }

    /// Built from this checkout, the binary names a commit of it, as `git describe` does.
    @Test("--version names the release and the commit it was built from", .requiresProgram("/usr/bin/git"))
    func versionNamesCommit() throws {
        let version = try Run.changerec(["--version"]).stdout
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        guard try Run.command(["/usr/bin/git", "-C", repository, "rev-parse", "--git-dir"]).status == 0 else {
            #expect(version == "0.1.0\n")
            return
        }
        let match = try #require(version.wholeMatch(of: /0\.1\.0 \((.+?)(-dirty)?\)\n/), "\(version)")
        // A tag and a distance (v1-3-gHASH), or the abbreviated hash alone.
        let commit = String(match.1.split(separator: "-g").last ?? match.1)
        let known = try Run.command(["/usr/bin/git", "-C", repository, "cat-file", "-e", commit + "^{commit}"])
        #expect(known.status == 0, "\(commit) is not a commit of the checkout")
    }
}
