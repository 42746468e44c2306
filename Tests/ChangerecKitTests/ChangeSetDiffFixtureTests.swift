import ChangerecKit
import ChangerecSystem
import Foundation
import Testing

/// Diffs as data: each `Fixtures/diff/*.diff` file gives an `old` and a `new` step (in the
/// `ChangeSetFixture` format), options, and the differences `ChangeSetDiff` must find, one a line in tree
/// order: `- KIND PATH` changed only in old, `+ KIND PATH` only in new, `~ PATH: FIELD OLD -> NEW, ...`
/// changed in both with another outcome (digests shortened to 8 hex digits), `[inside N]` for the
/// differences folded into a directory that arrived whole or was deleted. No `expect` line: no difference.
@Suite("diff fixtures: two change sets in, differences out")
struct ChangeSetDiffFixtureTests {
    static let fixtures = ChangeSetFixture.names(in: "diff", suffix: ".diff")

    @Test("there are diff fixtures to run")
    func fixturesExist() {
        #expect(Self.fixtures.count >= 8)
    }

    @Test("the diff gives the expected differences", arguments: fixtures)
    func fixture(_ name: String) throws {
        let parsed = try ChangeSetFixture.load("diff", name)
        let sets = parsed.changeSets
        try #require(sets.count == 2, "a diff fixture has an old and a new step")
        let options = try Self.options(parsed.options)
        #expect(Self.describe(ChangeSetDiff.compare(old: sets[0], new: sets[1], options: options)) == parsed.expected)
    }

    @Test("swapping old and new swaps the sides of every difference", arguments: fixtures)
    func symmetric(_ name: String) throws {
        let parsed = try ChangeSetFixture.load("diff", name)
        let sets = parsed.changeSets
        try #require(sets.count == 2)
        let options = try Self.options(parsed.options)
        let forward = ChangeSetDiff.compare(old: sets[0], new: sets[1], options: options)
        let backward = ChangeSetDiff.compare(old: sets[1], new: sets[0], options: options)
        #expect(backward.map(\.path) == forward.map(\.path))
        for (a, b) in zip(forward, backward) {
            #expect(a.old == b.new && a.new == b.old && a.inside == b.inside, "\(a.path)")
            #expect(a.fields.map { [$0.name, $0.old, $0.new] } == b.fields.map { [$0.name, $0.new, $0.old] })
        }
    }

    static func options(_ lines: [[String]]) throws -> ChangeSetDiff.Options {
        var options = ChangeSetDiff.Options()
        for words in lines {
            switch words.first {
            case "ignore-mtime": options.ignoreMtime = true
            case "expand": options.expand = true
            case "only":
                guard words.count == 2, let path = FoldFixture.path(words[1]) else {
                    throw FixtureError(line: words.joined(separator: " "))
                }
                options.only.append(path)
            default: throw FixtureError(line: words.joined(separator: " "))
            }
        }
        return options
    }

    static func describe(_ differences: [PathDifference]) -> [String] {
        differences.map { difference in
            var line: String
            switch difference.status {
            case .onlyOld: line = "- \(difference.old?.kind.rawValue ?? "?") \(difference.path)"
            case .onlyNew: line = "+ \(difference.new?.kind.rawValue ?? "?") \(difference.path)"
            case .differ:
                let fields = difference.fields.map { field in
                    let short = ["content", "xattrs"].contains(field.name)
                    let old = short ? String(field.old.prefix(8)) : field.old
                    let new = short ? String(field.new.prefix(8)) : field.new
                    return "\(field.name) \(old) -> \(new)"
                }
                line = "~ \(difference.path):" + (fields.isEmpty ? "" : " " + fields.joined(separator: ", "))
            }
            if difference.inside > 0 { line += " [inside \(difference.inside)]" }
            return line
        }
    }
}
