import ChangerecKit
import ChangerecSystem
import ChangerecTestSupport
import Foundation
import Testing

/// Behaviour kept as data: real journals recorded once by the built binary (both backends; how, in
/// `Fixtures/journals/README.md`) with what `changes`, `diff` and the layer plan made of them then. Every
/// run must make the same bytes of them again.
///
/// The fixtures are resources of this test target, copied into its bundle; the binary runs in that copy of
/// the folder and is given the journals' bare names, so the `journal` field and diff's `---`/`+++` lines
/// hold those names and nothing in the expected output depends on where the package lies. With
/// `CHANGEREC_RECAPTURE_FIXTURES=1` the tests write what they got into the source folder instead of
/// comparing, to remake the expectations after a deliberate change.
@Suite("recorded journals: checked-in journals read, fold, diff and plan layers as when they were recorded")
struct RecordedJournalTests {
    static let directory = Bundle.module.resourceURL?.appendingPathComponent("Fixtures/journals").path ?? ""

    static let journals: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".journal") }.map { String($0.dropLast(".journal".count)) }.sorted()
    }()

    /// Two runs of one step under each backend, and one run under each backend.
    static let pairs = [
        ("pair1-fanotify", "pair2-fanotify"), ("pair1-inotify", "pair2-inotify"), ("pair1-inotify", "pair1-fanotify"),
    ]

    /// Two consecutive steps on one tree, squashed into one plan.
    static let sequences = [["steps1-fanotify", "steps2-fanotify"], ["steps1-inotify", "steps2-inotify"]]

    @Test("there are journals of both backends to run")
    func journalsExist() {
        #expect(Self.journals.filter { $0.hasSuffix("-fanotify") }.count >= 8)
        #expect(Self.journals.filter { $0.hasSuffix("-inotify") }.count >= 8)
    }

    @Test("changes --json and changes print what they printed when the journal was recorded", arguments: journals)
    func changes(_ name: String) throws {
        let json = try Run.changerec(["changes", "--json", name + ".journal"], directory: Self.directory)
        #expect(json.status == 0 && json.stderr.isEmpty, "\(json.status): \(json.stderr)")
        try Self.compare(json.stdout, to: name + ".changes.json")
        let text = try Run.changerec(["changes", name + ".journal"], directory: Self.directory)
        #expect(text.status == 0 && text.stderr.isEmpty, "\(text.status): \(text.stderr)")
        try Self.compare(text.stdout, to: name + ".changes.txt")
    }

    @Test("diff --json and diff of two journals print what they printed when recorded", arguments: pairs)
    func diff(_ old: String, _ new: String) throws {
        for (format, suffix) in [(["--json"], "json"), ([], "txt")] {
            let result = try Run.changerec(
                ["diff"] + format + [old + ".journal", new + ".journal"], directory: Self.directory)
            // As diff(1): 1 when the outcomes differ.
            #expect(result.status == (result.stdout.isEmpty ? 0 : 1) && result.stderr.isEmpty, "\(result.stderr)")
            try Self.compare(result.stdout, to: "\(old)--\(new).diff.\(suffix)")
        }
    }

    @Test("the layer plan of each journal has the items it had when recorded", arguments: journals)
    func plan(_ name: String) throws {
        try Self.comparePlan(of: [name], to: name + ".plan.txt")
    }

    @Test("the layer plan squashing two steps has the items it had when recorded", arguments: sequences)
    func squashedPlan(_ names: [String]) throws {
        let backend = names[0].split(separator: "-").last.map(String.init) ?? ""
        try Self.comparePlan(of: names, to: "steps-\(backend).plan.txt")
    }

    static func comparePlan(of names: [String], to expected: String) throws {
        var changeSets: [ChangeSet] = []
        for name in names {
            changeSets.append(try ChangeSet.load(journal: Array((directory + "/" + name + ".journal").utf8)))
        }
        let lines = LayerPlan(squashing: changeSets).fixtureLines(detailed: true)
        try compare(lines.map { $0 + "\n" }.joined(), to: expected)
    }

    /// Requires `actual` to equal the fixture `name` byte for byte, or writes it there when recapturing.
    static func compare(_ actual: String, to name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if ProcessInfo.processInfo.environment["CHANGEREC_RECAPTURE_FIXTURES"] == "1" {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Fixtures/journals/\(name)")
            try Data(actual.utf8).write(to: source)
            return
        }
        let url = URL(fileURLWithPath: directory + "/" + name)
        let expected = try #require(
            try? String(contentsOf: url, encoding: .utf8), "no expected output \(name)", sourceLocation: sourceLocation)
        #expect(actual == expected, "\(name) differs", sourceLocation: sourceLocation)
    }
}
