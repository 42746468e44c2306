import ChangerecSystem

/// What a step changed, folded from its journal, with the facts that say how far to trust it.
public struct ChangeSet: Sendable {
    public var journalPath: [UInt8]
    public var header: JournalHeader
    public var exit: JournalExit?
    public var notes: [JournalNote]
    /// In tree order; entries covered by an ancestor (inside a deleted directory or a directory that
    /// arrived whole) are left out.
    public var changes: [Change]
    /// Every change, covered ones included, in tree order.
    public var allChanges: [Change]
    /// The processes that made changes, by pid, with their names and whether they belong to the step.
    public var processes: [Int32: JournalProcess]
    /// The final state of every path the journal names (empty without a seal).
    public var seal: [SealEntry]
    /// Event records in the journal.
    public var eventCount: UInt64
    /// How the journal ended: complete, or cut short at some byte.
    public var ending: JournalReader.Ending

    /// The journal is whole: header, events, exit and a seal whose counts match.
    public var isComplete: Bool { ending == .complete }
    /// The kernel queue overflowed; the change set came from a rescan and over-reports.
    public var overflowed: Bool { exit?.overflowed ?? notes.contains { $0.kind == .queueOverflow } }

    /// Note kinds that mean part of ROOT could not be read or watched, so changes there may be missing.
    public static let gapNoteKinds: Set<JournalNote.Kind> = [.unreadableDirectory, .unwatchedDirectory]

    /// Seal entries whose state after the step could not be read: unknown, never taken for gone.
    public var unreadable: [SealEntry] { seal.filter { $0.unreadable != nil } }

    /// One line for each thing the recording could not read or watch: directories that could not be
    /// listed or watched during the step, and paths the seal could not read. Empty when the change set is
    /// exact as far as changerec can tell; otherwise `changes` exits 1, the recording exits 125 (unless
    /// the command failed) and `layer` refuses the journal without `--force`.
    public var gaps: [String] {
        notes.filter { Self.gapNoteKinds.contains($0.kind) }.map(\.message)
            + seal.compactMap { entry in entry.unreadable.map { $0.message(for: entry.path) } }
    }

    /// Why a layer must not be built from this journal without `--force`: one line naming the first
    /// gap (and how many more there are); `nil` when there is none.
    public var gapError: ChangerecError? {
        let gaps = self.gaps
        guard let first = gaps.first else { return nil }
        let more = gaps.count > 1 ? " (and \(gaps.count - 1) more)" : ""
        return ChangerecError(
            .journalIncomplete,
            "journal '\(printable(journalPath))' may miss changes: \(first)\(more); a layer from it could leave them out; pass --force to build it from the tree as it is now"
        )
    }

    /// Reads and folds the journal at `journal`.
    ///
    /// - Throws: `ChangerecError` when the journal cannot be read, is not a journal, is damaged, or has
    ///   no header at all.
    public static func load(journal: [UInt8]) throws(ChangerecError) -> ChangeSet {
        var fold = Fold()
        // The reader (and its read-ahead chunk) is freed before the change set is built.
        let ending: JournalReader.Ending
        do {
            let reader = try JournalReader(path: journal)
            while let record = try reader.next() { fold.add(record) }
            // Invariant: `next()` returned nil, so the reader has set its ending.
            ending = reader.ending ?? .incomplete(offset: 0, reason: "unknown")
        }
        return try folded(&fold, journal: journal, ending: ending)
    }

    /// The change set of a journal being sealed: its records so far (header, events, exit) followed by
    /// `seal`, as ``load(journal:)`` will read it once that seal is written after them.
    static func load(journal: [UInt8], sealedWith seal: [SealEntry]) throws(ChangerecError) -> ChangeSet {
        var fold = Fold()
        do {
            let reader = try JournalReader(path: journal)
            while let record = try reader.next() { fold.add(record) }
        }
        for entry in seal { fold.add(.seal(entry)) }
        fold.add(.sealEnd(SealEnd(sealCount: UInt64(seal.count), frameCount: 0)))
        return try folded(&fold, journal: journal, ending: .complete)
    }

    private static func folded(_ fold: inout Fold, journal: [UInt8], ending: JournalReader.Ending)
        throws(ChangerecError) -> ChangeSet
    {
        let all = fold.finishedChanges()
        guard let header = fold.header else {
            throw ChangerecError(
                .journalIncomplete,
                "journal '\(printable(journal))' is empty or was cut short before its header; nothing was recorded in it"
            )
        }
        return ChangeSet(
            journalPath: journal, header: header, exit: fold.exit, notes: fold.notes,
            changes: Fold.hidingCovered(all), allChanges: all,
            processes: fold.processes, seal: fold.sealEntries, eventCount: fold.eventCount, ending: ending)
    }
}
