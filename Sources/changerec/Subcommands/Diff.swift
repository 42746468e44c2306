import ArgumentParser
import ChangerecKit
import ChangerecSystem

struct Diff: ParsableCommand, FailureStatus {
    static let configuration = CommandConfiguration(
        abstract: "Compare what two steps, or two runs of one step, changed: from their journals alone.",
        usage: "changerec diff <old> <new> [<options>]",
        discussion: """
            Lines: '- KIND PATH' changed only in OLD, '+ KIND PATH' only in NEW, \
            '~ PATH: FIELD OLD -> NEW, ...' changed in both with a different outcome. A directory that \
            arrived whole or was deleted is one line with the number of differing paths inside \
            (--expand lists them).

            EXIT STATUS: as diff(1): 0 when the outcomes are the same, 1 when they differ, 2 on error.

            EXAMPLES:
              changerec diff .changerec/0001.journal .changerec/0002.journal
              changerec diff --stat monday.journal tuesday.journal
              changerec diff --ignore-mtime --only /usr/lib old.journal new.journal
            """)

    @Argument(help: ArgumentHelp("The older journal.", valueName: "old"), completion: JournalCompletion.kind)
    var old: String

    @Argument(help: ArgumentHelp("The newer journal.", valueName: "new"), completion: JournalCompletion.kind)
    var new: String

    @Flag(name: .long, help: "Print one JSON object per differing path (JSON Lines).")
    var json = false

    @Flag(name: .long, help: "Print one summary line of counts instead of the list.")
    var stat = false

    @Flag(name: .long, help: "Do not compare mtimes.")
    var ignoreMtime = false

    @Option(
        name: .long,
        help: ArgumentHelp("Only paths at or below this (/-rooted); repeat for more.", valueName: "path-prefix"))
    var only: [String] = []

    @Flag(name: .long, help: "List every differing path inside a directory that arrived whole or was deleted.")
    var expand = false

    func run() throws {
        let options = try diffOptions()
        let oldSet = try load(old)
        let newSet = try load(new)
        let differences = ChangeSetDiff.compare(old: oldSet, new: newSet, options: options)
        if stat {
            StandardStreams.writeOutput(Self.summary(differences) + "\n")
        } else if json {
            for difference in differences { StandardStreams.writeOutput(difference.json.text + "\n") }
        } else if !differences.isEmpty {
            StandardStreams.writeOutput("--- \(old)\n+++ \(new)\n")
            for difference in differences { StandardStreams.writeOutput(difference.textLine + "\n") }
        }
        try finishOutput()
        if !differences.isEmpty { throw ExitCode(1) }
    }

    private func diffOptions() throws(ChangerecError) -> ChangeSetDiff.Options {
        var options = ChangeSetDiff.Options()
        options.ignoreMtime = ignoreMtime
        options.expand = expand
        for prefix in only {
            let trimmed = Array(rawArgument(prefix).drop(while: { $0 == 0x2F }))
            guard let path = RelativePath(trimmed) else {
                throw ChangerecError(.usage, "--only '\(prefix)' is not a path below ROOT")
            }
            options.only.append(path)
        }
        return options
    }

    /// Every failure is status 2, as diff(1)'s trouble is.
    static func exitStatus(for error: ChangerecError) -> Int32 { 2 }

    private func load(_ journal: String) throws(ChangerecError) -> ChangeSet {
        let changeSet = try ChangeSet.load(journal: rawArgument(journal))
        guard changeSet.isComplete else {
            throw ChangerecError(
                .journalIncomplete,
                "journal '\(journal)' is incomplete (no seal): its outcome is unknown, so it cannot be compared")
        }
        return changeSet
    }

    static func summary(_ differences: [PathDifference]) -> String {
        let onlyOld = differences.filter { $0.status == .onlyOld }.count
        let onlyNew = differences.filter { $0.status == .onlyNew }.count
        let both = differences.filter { $0.status == .differ }
        var fieldCounts: [String: Int] = [:]
        for difference in both {
            for field in difference.fields { fieldCounts[field.name, default: 0] += 1 }
            if difference.inside > 0 { fieldCounts["inside", default: 0] += difference.inside }
        }
        let detail = fieldCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return
            "\(differences.count) paths differ: \(onlyOld) only in old, \(onlyNew) only in new, \(both.count) changed in both"
            + (detail.isEmpty ? "" : " (\(detail))")
    }
}

extension PathDifference {
    var textLine: String {
        switch status {
        case .onlyOld: return "- " + (old?.textLine ?? path.description)
        case .onlyNew: return "+ " + (new?.textLine ?? path.description)
        case .differ:
            // Digests are shown by their first 16 hex digits; JSON carries them whole.
            let short: (PathDifference.Field, String) -> String = { field, value in
                ["content", "xattrs"].contains(field.name) ? String(value.prefix(16)) : value
            }
            var parts = fields.map { "\($0.name) \(short($0, $0.old)) -> \(short($0, $0.new))" }
            if inside > 0 { parts.append("\(inside) path(s) inside differ (--expand lists them)") }
            return "~ \(path): " + parts.joined(separator: ", ")
        }
    }

    var json: JSONObject {
        var object = JSONObject()
        object.add("path", path: path)
        object.add("status", status.rawValue)
        if let old { object.add("old", old.json) }
        if let new { object.add("new", new.json) }
        if !fields.isEmpty {
            var changed = JSONObject()
            for field in fields {
                var pair = JSONObject()
                pair.add("old", field.old)
                pair.add("new", field.new)
                changed.add(field.name, pair)
            }
            object.add("fields", changed)
        }
        if inside > 0 { object.add("inside", inside) }
        return object
    }
}
