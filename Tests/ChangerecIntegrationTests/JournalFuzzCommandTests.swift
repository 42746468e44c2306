import ChangerecKit
import ChangerecTestSupport
import Foundation
import Testing

/// The command line's promise on journals it cannot trust, checked on a seeded sample of mutated
/// journals: `show`, `changes`, `diff` and `layer` each give a valid read, or exit non-zero with one
/// clear line naming the journal (and, for damage, the byte offset) — never a crash signal, a Swift
/// trap, a hang (each run has a timeout) or output presented as whole.
///
/// `CHANGEREC_FUZZ_CLI_CASES=N` runs more cases, `CHANGEREC_FUZZ_SEED` and `CHANGEREC_FUZZ_ONLY` replay.
@Suite("journal fuzzing through the binary: show, changes, diff and layer")
struct JournalFuzzCommandTests {
    static let defaultSeed: UInt64 = 0x0C11_2026

    @Test("mutated journals through the built binary: a valid read or one clear line, never a crash or a hang")
    func fuzzBinary() throws {
        let settings = FuzzSettings(
            defaultCases: 12, defaultSeed: Self.defaultSeed, casesVariable: "CHANGEREC_FUZZ_CLI_CASES")
        let tree = try TemporaryTree()
        let corpus = try FuzzCorpus.load(scratch: tree.base)
        let old = tree.base + "/old.journal"
        let reference = try #require(corpus.first { $0.name == "every-kind" })
        try Data(reference.original).write(to: URL(fileURLWithPath: old))
        try FileManager.default.createDirectory(atPath: tree.root + "/d", withIntermediateDirectories: true)
        try Data("abc".utf8).write(to: URL(fileURLWithPath: tree.root + "/d/f"))
        let inFlight = InFlightCase(name: "binary")
        var failed = 0
        for index in settings.cases {
            var generator = SeededGenerator(seed: settings.seed, case: index)
            let base = corpus[Int.random(in: 0..<corpus.count, using: &generator)]
            let mutation = base.mutation(&generator, donors: corpus)
            let name = "seed \(settings.seed) case \(index): \(base.name): \(mutation.description)"
            inFlight.set(name)
            let path = tree.base + "/case-\(index).journal"
            let outcome = try JournalOutcome.read(mutation.bytes, at: path).outcome
            let failures = try check(path: path, outcome: outcome, old: old, tree: tree)
            try? FileManager.default.removeItem(atPath: path)
            if !failures.isEmpty {
                failed += 1
                if failed <= 10 {
                    Issue.record(
                        "\(name) (\(outcome)): \(failures.joined(separator: "; ")) — replay: \(settings.replay(index, filter: "JournalFuzzCommandTests"))"
                    )
                }
            }
        }
        print(
            "journal fuzz through the binary: seed \(settings.seed), \(settings.cases.count) cases × 4 commands, \(failed) failed"
        )
    }

    /// `changerec ARGS` under a timeout: a run killed by it exits 137.
    func run(_ arguments: [String], in tree: TemporaryTree) throws -> RunResult {
        try Run.command(["/usr/bin/timeout", "-s", "KILL", "30", Run.binary] + arguments, directory: tree.base)
    }

    func check(path: String, outcome: JournalOutcome, old: String, tree: TemporaryTree) throws -> [String] {
        var failures: [String] = []
        let layerOutput = tree.base + "/case.tar"
        let runs: [(String, [String])] = [
            ("show", ["show", path]),
            ("changes", ["changes", path]),
            ("diff", ["diff", old, path]),
            ("layer", ["layer", "--root", tree.root, "-o", layerOutput, "--compress", "none", "--allow-drift", path]),
        ]
        for (command, arguments) in runs {
            try? FileManager.default.removeItem(atPath: layerOutput)
            let result = try run(arguments, in: tree)
            let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(
                String.init)
            let errors = lines.filter { !$0.hasPrefix("changerec: warning: ") }
            func fail(_ why: String) {
                failures.append(
                    "\(command): \(why) (status \(result.status), stderr \(result.stderr.debugDescription))")
            }
            if result.status >= 128 {
                fail(result.status == 137 ? "timed out or killed" : "killed by signal \(result.status - 128)")
                continue
            }
            if ["Fatal error", "Swift runtime failure", "Stack dump", "stack trace"].contains(
                where: result.stderr.contains)
            {
                fail("a Swift trap")
                continue
            }
            if !lines.allSatisfy({ $0.hasPrefix("changerec: ") })
                || !result.stderr.isEmpty && !result.stderr.hasSuffix("\n")
            {
                fail("stderr lines not all from changerec")
            }
            let failureStatus: Int32 = command == "diff" ? 2 : 1
            switch outcome {
            case .complete(let records):
                switch command {
                case "show":
                    if result.status != 0 || !result.stdout.hasSuffix("end      complete, \(records) records\n") {
                        fail("a complete journal not shown whole")
                    }
                case "changes", "diff":
                    if result.status == failureStatus && command == "changes" || !errors.isEmpty {
                        fail("a complete journal refused")
                    }
                default:
                    if result.status != 0 && errors.count != 1 { fail("not one error line") }
                }
            case .damaged(let offset, let reason, let records):
                let line =
                    "changerec: journal '\(path)' is damaged at byte \(offset) (\(reason)); the \(records) records before it are intact\n"
                if result.status != failureStatus || result.stderr != line { fail("damage not said in its one line") }
                if result.stdout.contains("end      complete") { fail("output presented as whole") }
                if command == "layer" && FileManager.default.fileExists(atPath: layerOutput) {
                    fail("a layer was written")
                }
            case .incomplete(let offset, let reason, let records):
                if result.status != failureStatus { fail("an incomplete journal did not exit \(failureStatus)") }
                switch command {
                case "show":
                    let line =
                        "changerec: journal '\(path)' is incomplete (\(reason) at byte \(offset)); the \(records) records before it are intact\n"
                    if result.stderr != line
                        || !result.stdout.hasSuffix("end      INCOMPLETE: \(reason) at byte \(offset)\n")
                    {
                        fail("incomplete journal not said in its one line")
                    }
                case "changes" where records > 0:
                    let said = lines.filter {
                        $0.contains("journal '\(path)' is incomplete (\(reason) at byte \(offset))")
                    }
                    if said.count != 1 || !errors.isEmpty { fail("incomplete journal not said in one warning") }
                default:
                    if errors.count != 1 || !errors[0].contains("journal '\(path)'") {
                        fail("not one line naming the journal")
                    }
                }
                if command == "layer" && FileManager.default.fileExists(atPath: layerOutput) {
                    fail("a layer was written")
                }
            case .refused(let message):
                if result.status != failureStatus || result.stderr != "changerec: \(message)\n" {
                    fail("refusal not said in its one line")
                }
            case .malformed(let message):
                fail("the reader's error is not in the documented form: \(message)")
            }
        }
        return failures
    }
}
