import ChangerecKit
import ChangerecSystem
import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// Seeded fuzzing of everything that reads a journal: the reader (`show`), the fold (`changes`),
/// `ChangeSetDiff` (`diff`), `LayerPlan` and, for a sample, `LayerWriter` against a temporary ROOT
/// (`layer`). Each case must be a valid read, cut short at a byte, or damage at a byte named in one
/// documented line — never a trap, a hang or a mutated journal read as whole.
///
/// A few thousand cases by default; `CHANGEREC_FUZZ_CASES=100000` for a long run, `CHANGEREC_FUZZ_SEED`
/// for another seed, `CHANGEREC_FUZZ_ONLY=N` to replay case N. A case that traps the test process is
/// named in the in-flight file printed at the start.
@Suite("journal fuzzing: mutated journals through the reader, fold, diff and layer")
struct JournalFuzzTests {
    static let defaultSeed: UInt64 = 0x00C0_FFEE_2026

    /// One corpus journal with what the checks need of it: its change set and a ROOT holding its seal.
    struct Base {
        var mutator: JournalMutator
        var changeSet: ChangeSet?
        var root: String
    }

    @Test("seeded mutations of real journals are read whole, cut short or damaged at a byte; never a trap")
    func fuzz() throws {
        let settings = FuzzSettings(defaultCases: 2500, defaultSeed: Self.defaultSeed)
        let tree = try TemporaryTree()
        let corpus = try FuzzCorpus.load(scratch: tree.base)
        try #require(corpus.count >= 4)
        var bases: [Base] = []
        for (index, mutator) in corpus.enumerated() {
            let path = tree.base + "/base-\(index).journal"
            try Data(mutator.original).write(to: URL(fileURLWithPath: path))
            let changeSet = try? ChangeSet.load(journal: Array(path.utf8))
            let root = tree.base + "/root-\(index)"
            try Self.materialize(changeSet?.seal ?? [], at: root)
            bases.append(Base(mutator: mutator, changeSet: changeSet, root: root))
        }
        let inFlight = InFlightCase(name: "kit")
        print(
            "journal fuzz: seed \(settings.seed), cases \(settings.cases), \(corpus.count) journals; a trapping case is named in \(inFlight.path)"
        )
        let scratch = tree.base + "/case.journal"
        var tally: [String: Int] = [:]
        var failed = 0
        var slowest: (UInt64, Int) = (0, 0)
        let started = monotonicNanoseconds()
        for index in settings.cases {
            var generator = SeededGenerator(seed: settings.seed, case: index)
            let base = bases[Int.random(in: 0..<bases.count, using: &generator)]
            let mutation = base.mutator.mutation(&generator, donors: corpus)
            let name = "seed \(settings.seed) case \(index): \(base.mutator.name): \(mutation.description)"
            inFlight.set(name)
            let caseStart = monotonicNanoseconds()
            let (kind, failures) = check(mutation, base: base, at: scratch, layer: index % 25 == 0, tree: tree)
            let took = monotonicNanoseconds() - caseStart
            if took > slowest.0 { slowest = (took, index) }
            tally[kind, default: 0] += 1
            var all = failures
            if took > 5_000_000_000 { all.append("took \(took / 1_000_000) ms") }
            if !all.isEmpty {
                failed += 1
                if failed <= 20 {
                    Issue.record(
                        "\(name): \(all.joined(separator: "; ")) — replay: \(settings.replay(index, filter: "JournalFuzzTests"))"
                    )
                }
            }
        }
        let seconds = Double(monotonicNanoseconds() - started) / 1e9
        let outcomes = tally.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print(
            "journal fuzz: seed \(settings.seed), \(settings.cases.count) cases in \(String(format: "%.1f", seconds)) s, \(failed) failed; \(outcomes); slowest case \(slowest.1): \(slowest.0 / 1_000_000) ms"
        )
    }

    /// Reads one mutated journal every way the commands do; returns the outcome's kind and what went wrong.
    func check(_ mutation: JournalMutation, base: Base, at path: String, layer: Bool, tree: TemporaryTree)
        -> (String, [String])
    {
        var failures: [String] = []
        let outcome: JournalOutcome
        do {
            outcome = try JournalOutcome.read(mutation.bytes, at: path).outcome
        } catch {
            return ("unwritable", ["cannot write the case: \(error)"])
        }
        let kind: String
        switch outcome {
        case .complete: kind = "complete"
        case .incomplete(let offset, _, _):
            kind = "incomplete"
            if offset < 8 || offset > Int64(mutation.bytes.count) {
                failures.append("incomplete at byte \(offset), outside the file")
            }
        case .damaged(let offset, _, _):
            kind = "damaged"
            if offset < 8 || offset > mutation.bytes.count {
                failures.append("damaged at byte \(offset), outside the file")
            }
        case .refused: kind = "refused"
        case .malformed(let message):
            kind = "malformed"
            failures.append("an error not in the documented form: \(message)")
        }
        switch mutation.expectation {
        case .any: break
        case .notComplete:
            if outcome.isComplete { failures.append("read as complete") }
        case .damagedAt(let offset):
            if case .damaged(offset, _, _) = outcome {
            } else {
                failures.append("expected damage at byte \(offset), got \(outcome)")
            }
        case .incompleteAt(let offset):
            if case .incomplete(Int64(offset), _, _) = outcome {
            } else {
                failures.append("expected a cut at byte \(offset), got \(outcome)")
            }
        case .refused:
            if case .refused = outcome {} else { failures.append("expected a refusal, got \(outcome)") }
        }
        failures += checkCommands(path: path, outcome: outcome, base: base, layer: layer, tree: tree)
        return (kind, failures)
    }

    /// What `changes`, `diff` and `layer` do with the journal, against what the reader said of it.
    func checkCommands(path: String, outcome: JournalOutcome, base: Base, layer: Bool, tree: TemporaryTree)
        -> [String]
    {
        let changeSet: ChangeSet
        do {
            changeSet = try ChangeSet.load(journal: Array(path.utf8))
        } catch {
            switch outcome {
            case .damaged, .refused, .malformed: return []
            case .incomplete(_, _, let records) where records == 0 && error.code == .journalIncomplete: return []
            default: return ["the fold failed (\(error.message)) where the reader said \(outcome)"]
            }
        }
        var failures: [String] = []
        switch outcome {
        case .complete:
            if !changeSet.isComplete { failures.append("the fold says incomplete where the reader said complete") }
        case .incomplete(let offset, let reason, _):
            if changeSet.ending != .incomplete(offset: offset, reason: reason) {
                failures.append("the fold ends otherwise")
            }
        default:
            failures.append("the fold read a journal the reader said is \(outcome)")
        }
        _ = changeSet.changes.count + changeSet.allChanges.count
        let same = ChangeSetDiff.compare(old: changeSet, new: changeSet)
        if !same.isEmpty { failures.append("diff of the journal with itself found \(same.count) differences") }
        if let original = base.changeSet {
            let forward = ChangeSetDiff.compare(old: original, new: changeSet)
            let backward = ChangeSetDiff.compare(old: changeSet, new: original)
            if forward.map(\.path) != backward.map(\.path) { failures.append("diff is not symmetric") }
        }
        let plans =
            [LayerPlan(squashing: [changeSet])]
            + (base.changeSet.map { [LayerPlan(squashing: [$0, changeSet])] } ?? [])
        for plan in plans {
            for item in plan.items {
                switch item {
                case .object(let path, _), .opaqueMarker(let path), .whiteout(let path):
                    if path.isRoot && item != .opaqueMarker(.root) {
                        failures.append("the layer plan holds ROOT itself: \(item)")
                    }
                }
            }
        }
        if layer, let plan = plans.first { failures += writeLayer(plan, root: base.root, tree: tree) }
        return failures
    }

    /// Writes the layer against the temporary ROOT; errors are fine, traps and reads outside ROOT are not.
    func writeLayer(_ plan: LayerPlan, root: String, tree: TemporaryTree) -> [String] {
        guard let rootFD = try? FileSystem.open(Array(root.utf8), .readOnly, options: .directory) else {
            return ["cannot open the temporary ROOT"]
        }
        defer { FileSystem.close(rootFD) }
        let output = Array((tree.base + "/case.layer").utf8)
        guard let fd = try? FileSystem.open(output, .writeOnly, options: [.create, .truncate]) else {
            return ["cannot create the layer file"]
        }
        defer { FileSystem.close(fd) }
        var options = LayerOptions()
        options.allowDrift = true
        options.gzip = false
        do {
            _ = try LayerWriter(root: rootFD, rootPath: Array(root.utf8)).write(
                plan, to: fd, outputPath: output, options: options)
        } catch {
            if error.message.contains("\n") { return ["a layer error of more than one line: \(error.message)"] }
        }
        return []
    }

    /// Builds in `root` the objects a seal names (content and times aside), so `layer` has a tree to read.
    static func materialize(_ seal: [SealEntry], at root: String) throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for entry in seal where !entry.path.isRoot {
            guard let after = entry.after else { continue }
            let path = root + "/" + String(decoding: entry.path.bytes, as: UTF8.self)
            switch after.type {
            case .directory: mkdir(path, 0o755)
            case .regular:
                _ = FileManager.default.createFile(
                    atPath: path, contents: Data(repeating: 0x61, count: Int(min(after.size, 4096))))
            case .symlink: symlink(String(decoding: after.symlinkTarget ?? [0x78], as: UTF8.self), path)
            case .fifo: mkfifo(path, 0o644)
            default: break
            }
        }
    }
}
