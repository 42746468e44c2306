import ArgumentParser
import ChangerecKit
import ChangerecSystem

struct Changes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print what a recorded step changed: A (added), C (changed), D (deleted).",
        usage: "changerec changes [<journal>] [<options>]",
        discussion: """
            Folds the journal's events and seal into one entry per path. A directory that arrived whole \
            (renamed or moved in) is one entry; its contents are not listed one by one. A journal cut \
            short is folded from its events alone and marked incomplete.

            EXIT STATUS: 0 when the change set is exact; 1 for a journal cut short, one that names paths \
            or directories changerec could not read (each listed with a warning), or one that cannot be \
            read.

            EXAMPLES:
              changerec changes
              changerec changes --json | jq -r '.changes[] | select(.kind == "A") | .path'
              changerec changes --by-process --only-step .changerec/0002.journal
              changerec changes --expand | wc -l
            """)

    @OptionGroup var journal: JournalArgument

    @Flag(name: .long, help: "Print one JSON object (see docs/output.md).")
    var json = false

    @Flag(name: .long, help: "Group the changes by the process that made them (fanotify journals).")
    var byProcess = false

    @Flag(name: .long, help: "Leave out changes made only by processes outside the recorded step.")
    var onlyStep = false

    @Flag(
        name: .long,
        help: "List every path inside a directory that arrived whole or was deleted, not only the directory.")
    var expand = false

    func run() throws {
        var changeSet = try ChangeSet.load(journal: journal.path())
        if expand { changeSet.changes = changeSet.allChanges }
        if onlyStep { changeSet = changeSet.onlyStep() }
        if json {
            StandardStreams.writeOutput((byProcess ? changeSet.jsonByProcess : changeSet.json).text + "\n")
        } else {
            let lines = byProcess ? changeSet.textLinesByProcess : changeSet.textLines
            for line in lines { StandardStreams.writeOutput(line + "\n") }
        }

        try finishOutput()
        for warning in changeSet.warnings { StandardStreams.writeError("changerec: warning: \(warning)\n") }
        // A change set that may miss changes (cut short, or parts of ROOT unreadable) is not a success.
        if !changeSet.isComplete || !changeSet.gaps.isEmpty { throw ExitCode(1) }
    }
}
