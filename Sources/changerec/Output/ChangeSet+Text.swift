import ChangerecKit
import ChangerecSystem

extension Change {
    /// `A /path`, `C /link -> target`, with notes in parentheses: `docker diff`'s lines, extended.
    var textLine: String {
        var line = "\(kind.rawValue) \(path)"
        if let target = symlinkTarget { line += " -> " + RelativePath.escaped(target) }
        var notes: [String] = []
        if let origin = renamedFrom { notes.append("renamed from \(origin)") }
        if subtree { notes.append("whole directory") }
        if opaque { notes.append("replaced") }
        if foreign { notes.append("foreign") }
        if let unreadable { notes.append("unreadable: cannot \(unreadable.operation): \(unreadable.errno)") }

        if !notes.isEmpty { line += " (" + notes.joined(separator: ", ") + ")" }
        return line
    }
}

extension ChangeSet {
    var textLines: [String] { changes.map(\.textLine) }

    /// Warnings a person must see: an incomplete journal, an overflow, stragglers, gaps.
    var warnings: [String] {
        var lines: [String] = []
        if case .incomplete(let offset, let reason) = ending {
            lines.append(
                "journal '\(String(decoding: journalPath, as: UTF8.self))' is incomplete (\(reason) at byte \(offset)): the list is derived from its events alone and may miss changes"
            )
        }
        if overflowed {
            lines.append(
                "the kernel queue overflowed: ROOT was rescanned and every existing path counts as possibly changed")
        }
        let unwatched = notes.filter { $0.kind == .watchLimit }
        if let first = unwatched.first {
            lines.append(
                unwatched.count == 1
                    ? first.message
                    : "\(first.message) (and \(unwatched.count - 1) more directories like it)")
        }
        for note in notes where ![.queueOverflow, .rescanDone, .watchLimit].contains(note.kind) {
            lines.append(note.message)
        }
        let unreadable = self.unreadable
        for entry in unreadable.prefix(20) {
            if let failure = entry.unreadable { lines.append(failure.message(for: entry.path)) }
        }
        if unreadable.count > 20 {
            lines.append("\(unreadable.count - 20) more paths could not be read after the step (see changes --json)")
        }
        if let exit, !exit.stragglers.isEmpty {
            let names = exit.stragglers.map { "\($0.pid) \($0.name)" }.joined(separator: ", ")
            lines.append(
                "\(exit.stragglers.count) process(es) of the step were still running when it ended, and their later changes are not recorded: \(names); pass --wait to wait for them"
            )
        }
        return lines
    }

    /// `N events, M changed paths, backend B, journal J`.
    var summaryLine: String {
        "\(eventCount) events, \(changes.count) changed paths, backend \(header.backend), journal \(String(decoding: journalPath, as: UTF8.self))"
    }
}

extension ChangeSet {
    /// `PID NAME (step|foreign)` headers, each followed by its changes indented.
    var textLinesByProcess: [String] {
        byProcess.flatMap { group in
            ["\(group.pid) \(group.name) (\(group.foreign ? "foreign" : "step"))"]
                + group.changes.map { "  " + $0.textLine }
        }
    }
}
