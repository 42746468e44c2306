import ArgumentParser
import ChangerecKit
import ChangerecSystem

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a journal: its header, one event per line, the exit record and the seal.",
        discussion: """
            A journal cut short is printed up to its last whole record and said to be incomplete.

            EXIT STATUS: 0 for a whole journal, 1 for one cut short or one that cannot be read.

            EXAMPLES:
              changerec show
              changerec show --json .changerec/0001.journal | jq 'select(.record == "event")'
            """)

    @OptionGroup var journal: JournalArgument

    @Flag(name: .long, help: "Write JSON Lines: one object per record, then one 'end' object.")
    var json = false

    func run() throws {
        let path = try journal.path()
        let reader = try JournalReader(path: path)
        var processes: [Int32: JournalProcess] = [:]
        if !json { StandardStreams.writeOutput("journal  \(RelativePath.escaped(path))\n") }
        do {
            while let record = try reader.next() {
                if case .process(let process) = record { processes[process.pid] = process }
                StandardStreams.writeOutput((json ? record.json.text : record.textLine(processes: processes)) + "\n")
            }
        } catch {
            try finishOutput()
            throw error
        }
        StandardStreams.writeOutput(endLine(reader))
        try finishOutput()
        if case .incomplete(let offset, let reason) = reader.ending {
            throw ChangerecError(
                .journalIncomplete,
                "journal '\(RelativePath.escaped(path))' is incomplete (\(reason) at byte \(offset)); the \(reader.recordCount) records before it are intact"
            )
        }
    }

    /// The last line: whether the journal ended whole, and if not where and why.
    private func endLine(_ reader: JournalReader) -> String {
        var end = JSONObject()
        end.add("record", "end")
        switch reader.ending {
        case .incomplete(let offset, let reason):
            end.add("complete", false)
            end.add("offset", offset)
            end.add("reason", reason)
            return json ? end.text + "\n" : "end      INCOMPLETE: \(reason) at byte \(offset)\n"
        default:
            end.add("complete", true)
            return json ? end.text + "\n" : "end      complete, \(reader.recordCount) records\n"
        }
    }
}
