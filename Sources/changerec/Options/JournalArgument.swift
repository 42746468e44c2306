import ArgumentParser
import ChangerecKit
import ChangerecSystem

/// `[journal]`: one journal, or the newest in `./.changerec/`; shared by `show` and `changes`.
struct JournalArgument: ParsableArguments {
    @Argument(
        help: ArgumentHelp("The journal (default: the newest in ./.changerec/).", valueName: "journal"),
        completion: JournalCompletion.kind)
    var journal: String?

    /// The journal named on the command line, or the newest one in `./.changerec/`.
    func path() throws(ChangerecError) -> [UInt8] {
        if let journal { return rawArgument(journal) }
        return try Self.newest()
    }

    /// The newest journal in `./.changerec/`.
    static func newest() throws(ChangerecError) -> [UInt8] {
        try JournalLocation.newest(in: Array(".".utf8))
    }
}
