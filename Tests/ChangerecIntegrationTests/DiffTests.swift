import ChangerecTestSupport
import Foundation
import Testing

/// `changerec diff`: two steps, or two runs of one step, compared from their journals alone.
@Suite("diff: compare two journals")
struct DiffTests {
    /// Records `script`, run with `RUN` set to `run`, in a fresh tree holding what `specs` declares.
    func record(_ script: String, tree specs: [TreeSpec] = [], run: String) throws -> (TemporaryTree, String) {
        let tree = try TemporaryTree()
        try tree.materialise(specs)
        let journal = tree.base + "/\(run).journal"
        let result = try Run.changerec(
            ["--quiet", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c", "RUN=\(run); " + script],
            directory: tree.root)
        try #require(result.status == 0, "\(result.stderr)")
        return (tree, journal)
    }

    @Test("two runs of a reproducible step: exit 0 and no output")
    func reproducible() throws {
        let script =
            "mkdir -p out/bin && echo hi > out/bin/x && ln -s x out/bin/y && touch -h -d @1000 out/bin/x out/bin/y out/bin out"
        let (treeOne, one) = try record(script, run: "one")
        defer { withExtendedLifetime(treeOne) {} }
        let (treeTwo, two) = try record(script, run: "two")
        defer { withExtendedLifetime(treeTwo) {} }
        let result = try Run.changerec(["diff", one, two])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty && result.stderr.isEmpty, "\(result.stderr)")
        #expect(try Run.changerec(["diff", one, one]).stdout.isEmpty)
    }

    @Test("runs differing in one content, one symlink target, one mode and one mtime: exactly those, field by field")
    func fourDifferences() throws {
        let before: [TreeSpec] = [
            .file("m", "m\n").mtime(500), .file("t", "t\n").mtime(500), .symlink("link", "a").mtime(500),
        ]
        let script = """
            echo "content $RUN" > f && touch -d @1000 f
            rm link && ln -s "target-$RUN" link && touch -h -d @500 link
            if [ $RUN = one ]; then chmod 644 m; else chmod 600 m; fi; touch -d @500 m
            if [ $RUN = one ]; then touch -d @2000 t; else touch -d @3000 t; fi
            """
        let (treeOne, one) = try record(script, tree: before, run: "one")
        defer { withExtendedLifetime(treeOne) {} }
        let (treeTwo, two) = try record(script, tree: before, run: "two")
        defer { withExtendedLifetime(treeTwo) {} }
        let result = try Run.changerec(["diff", one, two])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 6, "\(lines)")
        #expect(lines[0] == "--- \(one)" && lines[1] == "+++ \(two)")
        #expect(
            lines[2].hasPrefix("~ /f: content ") && !lines[2].contains(","), "only the content differs: \(lines[2])")
        #expect(lines[3] == "~ /link: target target-one -> target-two")
        #expect(lines[4] == "~ /m: mode 0644 -> 0600")
        #expect(lines[5] == "~ /t: mtime 1970-01-01T00:33:20.000000000Z -> 1970-01-01T00:50:00.000000000Z")

        let ignoring = try Run.changerec(["diff", "--ignore-mtime", one, two])
        #expect(ignoring.status == 1)
        #expect(!ignoring.stdout.contains("~ /t:"))

        #expect(ignoring.stdout.split(separator: "\n").count == 5)
        let stat = try Run.changerec(["diff", "--stat", one, two])
        #expect(
            stat.stdout
                == "4 paths differ: 0 only in old, 0 only in new, 4 changed in both (content 1, mode 1, mtime 1, target 1)\n"
        )
        let only = try Run.changerec(["diff", "--only", "/link", one, two])
        #expect(only.stdout.split(separator: "\n").dropFirst(2) == ["~ /link: target target-one -> target-two"])
    }

    @Test("two steps of one build: what only one touched, and what the later overrode")
    func twoSteps() throws {
        let tree = try TemporaryTree()
        let first = tree.base + "/1.journal"
        let second = tree.base + "/2.journal"
        for (journal, script) in [
            (first, "mkdir -p etc && echo v1 > etc/app.conf && echo lib > lib.so && echo tmp > scratch"),
            (second, "echo v2 > etc/app.conf && rm scratch && echo bin > app"),
        ] {
            let result = try Run.changerec(
                ["--quiet", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c", script],
                directory: tree.root)
            try #require(result.status == 0)
        }
        let result = try Run.changerec(["diff", first, second])
        #expect(result.status == 1)
        let lines = Array(result.stdout.split(separator: "\n").map(String.init).dropFirst(2))
        #expect(lines.contains("+ A /app"))
        #expect(lines.contains("- A /etc"))
        #expect(lines.contains("- A /lib.so"))
        #expect(lines.contains { $0.hasPrefix("~ /etc/app.conf: kind A -> C") && $0.contains("content ") })
        #expect(lines.contains("~ /scratch: kind A -> D"))
    }

    @Test("diff is symmetric: swapping the journals swaps the sides")
    func symmetric() throws {
        let (treeOne, one) = try record(
            "echo $RUN > f && touch -d @1 f && if [ $RUN = one ]; then echo x > only1; fi", run: "one")
        defer { withExtendedLifetime(treeOne) {} }
        let (treeTwo, two) = try record(
            "echo $RUN > f && touch -d @1 f && if [ $RUN = two ]; then echo x > only2; fi", run: "two")
        defer { withExtendedLifetime(treeTwo) {} }
        func parse(_ output: String) throws -> [[String: Any]] {
            try output.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }
        let forward = try parse(try Run.changerec(["diff", "--json", one, two]).stdout)
        let backward = try parse(try Run.changerec(["diff", "--json", two, one]).stdout)
        #expect(forward.count == 3 && backward.count == 3)
        let swap = ["only_old": "only_new", "only_new": "only_old", "differ": "differ"]
        for (a, b) in zip(forward, backward) {
            #expect(a["path"] as? String == b["path"] as? String)
            #expect(swap[a["status"] as? String ?? ""] == b["status"] as? String)
            let fa = a["fields"] as? [String: [String: String]] ?? [:]
            let fb = b["fields"] as? [String: [String: String]] ?? [:]
            #expect(fa.mapValues { [$0["new"], $0["old"]] } == fb.mapValues { [$0["old"], $0["new"]] })
        }
    }

    @Test("a directory on one side and a file on the other: the same fields both ways")
    func directoryAgainstFile() throws {
        let (treeOne, one) = try record("mkdir x", run: "one")
        defer { withExtendedLifetime(treeOne) {} }
        let (treeTwo, two) = try record("touch x", run: "two")
        defer { withExtendedLifetime(treeTwo) {} }
        let forward = try Run.changerec(["diff", "--stat", one, two]).stdout
        let backward = try Run.changerec(["diff", "--stat", two, one]).stdout
        #expect(forward == backward)
        #expect(!forward.contains("mtime"))
    }

    @Test("device nodes with different numbers differ", .requiresRoot)
    func deviceNumbers() throws {
        let (treeOne, one) = try record("mknod dev c 1 3 && touch -d @1 dev", run: "one")
        defer { withExtendedLifetime(treeOne) {} }
        let (treeTwo, two) = try record("mknod dev c 1 5 && touch -d @1 dev", run: "two")
        defer { withExtendedLifetime(treeTwo) {} }
        let result = try Run.changerec(["diff", one, two])
        #expect(result.status == 1)
        #expect(result.stdout.contains("~ /dev: rdev 259 -> 261"))
    }

    @Test("a directory that arrived whole is one line, --expand lists what differs inside")
    func foldedDirectories() throws {
        let script =
            "mkdir d && echo $RUN > d/a && echo $RUN > d/b && echo same > d/c && touch -d @1 d/a d/b d/c && mv d e && touch -d @1 e"
        let (treeOne, one) = try record(script, run: "one")
        defer { withExtendedLifetime(treeOne) {} }
        let (treeTwo, two) = try record(script, run: "two")
        defer { withExtendedLifetime(treeTwo) {} }
        let folded = try Run.changerec(["diff", one, two])
        #expect(
            folded.stdout.split(separator: "\n").dropFirst(2) == ["~ /e: 2 path(s) inside differ (--expand lists them)"]
        )
        let expanded = try Run.changerec(["diff", "--expand", one, two])
        let lines = expanded.stdout.split(separator: "\n").dropFirst(2)
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasPrefix("~ /e/a: content ") || $0.hasPrefix("~ /e/b: content ") })
    }

    @Test("paths that are not UTF-8 are escaped in text and base64 in JSON")
    func nonUTF8() throws {
        let script =
            "touch \"$(printf 'bad\\377')\" && touch -d @1 \"$(printf 'bad\\377')\" && [ $RUN = two ] && echo x > extra || true"
        let (treeOne, one) = try record(script, run: "one")
        defer { withExtendedLifetime(treeOne) {} }
        let (treeTwo, two) = try record(
            "chmod 600 .; "
                + script.replacingOccurrences(
                    of: "touch -d @1", with: "chmod 600 \"$(printf 'bad\\377')\"; touch -d @1"), run: "two")
        defer { withExtendedLifetime(treeTwo) {} }
        let text = try Run.changerec(["diff", one, two])
        #expect(text.status == 1)
        #expect(text.stdout.contains("~ /bad\\xff: mode 0644 -> 0600"))
        let json = try Run.changerec(["diff", "--json", one, two])
        #expect(json.stdout.contains("\"path_b64\":\"YmFk/w==\""))
    }

    @Test("a damaged or incomplete journal is one line and exit status 2")
    func damaged() throws {
        let (tree, one) = try record("echo x > f", run: "one")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: one))
        let copy = tree.base + "/damaged.journal"
        bytes[20] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: copy))
        let result = try Run.changerec(["diff", one, copy])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(
            result.stderr
                == "changerec: journal '\(copy)' is damaged at byte 8 (bad checksum); the 0 records before it are intact\n"
        )
        let missing = try Run.changerec(["diff", one])
        #expect(missing.status == 2)
        let cut = tree.base + "/cut.journal"
        _ = try Run.changerec(
            ["--root", tree.root, "--journal", cut, "--", "/bin/sh", "-c", "kill -9 $PPID"], directory: tree.root)
        let incomplete = try Run.changerec(["diff", one, cut])
        #expect(incomplete.status == 2)
        #expect(incomplete.stderr.contains("is incomplete (no seal)"))
    }

    @Test("diff --help, -h and --version print to standard output and exit 0, like every other subcommand")
    func helpIsNoError() throws {
        for words in [["diff", "--help"], ["diff", "-h"], ["help", "diff"]] {
            let result = try Run.changerec(words)
            #expect(result.status == 0, "\(words): \(result.stderr)")
            #expect(result.stdout.contains("USAGE: changerec diff <old> <new>"), "\(words)")
            #expect(result.stderr.isEmpty, "\(words)")
        }
        let version = try Run.changerec(["diff", "--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("0.1.0"))
        // A usage error is still status 2, as diff(1) has it.
        #expect(try Run.changerec(["diff", "--no-such-option"]).status == 2)
    }
}
