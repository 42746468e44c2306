import ChangerecKit
import ChangerecSystem
import Foundation
import Glibc

/// How reading a journal ended, as `show` would see it, with the damage message taken apart.
public enum JournalOutcome: Equatable, Sendable, CustomStringConvertible {
    case complete(records: Int)
    case incomplete(offset: Int64, reason: String, records: Int)
    case damaged(offset: Int, reason: String, records: Int)
    /// Refused before any frame: not a journal, unreadable.
    case refused(String)
    /// An error whose message is not in the documented form (a test failure in itself).
    case malformed(String)

    public var description: String {
        switch self {
        case .complete(let records): "complete (\(records) records)"
        case .incomplete(let offset, let reason, let records):
            "incomplete at byte \(offset) (\(reason)), \(records) records"
        case .damaged(let offset, let reason, let records): "damaged at byte \(offset) (\(reason)), \(records) records"
        case .refused(let message): "refused: \(message)"
        case .malformed(let message): "malformed error: \(message)"
        }
    }

    public var isComplete: Bool {
        if case .complete = self { return true }
        return false
    }

    /// Reads the journal at `path` frame by frame with the product's reader, as `show` does.
    public static func read(_ path: String) -> (outcome: JournalOutcome, records: [JournalRecord]) {
        var records: [JournalRecord] = []
        do {
            let reader = try JournalReader(path: Array(path.utf8))
            while let record = try reader.next() { records.append(record) }
            switch reader.ending {
            case .complete: return (.complete(records: records.count), records)
            case .incomplete(let offset, let reason):
                return (.incomplete(offset: offset, reason: reason, records: records.count), records)
            case nil: return (.malformed("no ending after the last record"), records)
            }
        } catch {
            return (parse(error, path: path, records: records.count), records)
        }
    }

    /// Writes `bytes` to `path` and reads it back.
    public static func read(_ bytes: [UInt8], at path: String) throws -> (
        outcome: JournalOutcome, records: [JournalRecord]
    ) {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return read(path)
    }

    /// Takes apart `journal 'P' is damaged at byte N (REASON); the K records before it are intact`.
    static func parse(_ error: ChangerecError, path: String, records: Int) -> JournalOutcome {
        let message = error.message
        guard error.code == .journalDamaged else {
            return message.contains("\n") ? .malformed(message) : .refused(message)
        }
        let head = "journal '\(path)' is damaged at byte "
        let tail = "); the \(records) records before it are intact"
        guard message.hasPrefix(head), message.hasSuffix(tail), !message.contains("\n") else {
            return .malformed(message)
        }
        let middle = message.dropFirst(head.count).dropLast(tail.count)
        guard let open = middle.firstIndex(of: " "), let offset = Int(middle[..<open]),
            middle[open...].hasPrefix(" (")
        else { return .malformed(message) }
        return .damaged(offset: offset, reason: String(middle[open...].dropFirst(2)), records: records)
    }
}

/// Journals written by the product's own `JournalWriter`, for tests to read back or take apart.
public enum SampleJournals {
    /// Writes `records` with `JournalWriter` (which numbers the events) and, when `finish`, the seal end.
    public static func write(_ records: [JournalRecord], to path: String, finish: Bool = true) throws -> [UInt8] {
        let fd = try FileSystem.open(Array(path.utf8), .writeOnly, options: [.create, .truncate])
        let writer = JournalWriter(descriptor: fd, path: Array(path.utf8))
        for record in records { writer.append(record) }
        if finish {
            try writer.finish()
        } else {
            try writer.flush()
        }
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    public static func header(root: String = "/srv/root") -> JournalRecord {
        .header(
            JournalHeader(
                root: Array(root.utf8), backend: "fanotify", backendReason: "chosen by auto; marked ext4 /",
                argv: [Array("/bin/sh".utf8), Array("-c".utf8), [0x6D, 0x0A, 0xFF]], startNanoseconds: 1_700_000_000,
                host: "builder", recorderPID: 41))
    }

    public static func event(
        _ operation: JournalEvent.Operation, _ path: String, to path2: String? = nil, directory: Bool = false,
        pid: Int32 = 0, time: UInt64, target: String? = nil
    ) -> JournalRecord {
        // Invariant: the sample paths are valid.
        var event = JournalEvent(
            operation, RelativePath(path) ?? .root, to: path2.flatMap { RelativePath($0) }, isDirectory: directory,
            symlinkTarget: target.map { Array($0.utf8) })
        event.pid = pid
        event.time = time
        return .event(event)
    }

    public static func state(
        _ type: FileType, mode: UInt32 = 0o644, size: UInt64 = 0, target: String? = nil, content: UInt8? = nil,
        inode: UInt64 = 100
    ) -> FinalState {
        FinalState(
            type: type, permissions: mode, uid: 1000, gid: 1000, size: size, mtimeSeconds: 1_700_000_001,
            mtimeNanoseconds: 5, inode: inode, linkCount: 1, rdev: 0, symlinkTarget: target.map { Array($0.utf8) },
            contentDigest: content.map { Array(repeating: $0, count: 32) }, xattrDigest: nil)
    }

    public static func seal(_ path: String, before: FileType?, after: FinalState?) -> JournalRecord {
        .seal(SealEntry(path: RelativePath(path) ?? .root, before: before, after: after))
    }

    /// A step with every kind of frame: processes and their events, a note, a rename of a directory, a
    /// symlink, a delete, stragglers, and a seal of directories, files, a symlink and a gone path.
    public static func everyKind(root: String = "/srv/root") -> [JournalRecord] {
        var note = JournalNote(.unreadableDirectory, path: RelativePath("d/locked"), "cannot read '/d/locked'")
        note.time = 250
        return [
            header(root: root),
            .process(JournalProcess(pid: 7, name: "sh", isStep: true)),
            event(.create, "d", directory: true, pid: 7, time: 100),
            event(.create, "d/f", pid: 7, time: 100),
            event(.modify, "d/f", pid: 7, time: 200),
            .note(note),
            .process(JournalProcess(pid: 9, name: "cron", isStep: false)),
            event(.attrib, "keep", pid: 9, time: 300),
            event(.create, "d/l", pid: 7, time: 300, target: "f"),
            event(.rename, "old", to: "d/new", directory: true, pid: 7, time: 400),
            event(.delete, "gone", pid: 7, time: 500),
            .exit(
                JournalExit(
                    time: 450, termination: .exited(0), kernelEvents: 9, writtenEvents: 7, overflowed: false,
                    waited: false, stragglers: [.init(pid: 12, name: "sleep")])),
            seal("d", before: nil, after: state(.directory, mode: 0o755)),
            seal("d/f", before: nil, after: state(.regular, size: 3, content: 0xAB, inode: 101)),
            seal("d/l", before: nil, after: state(.symlink, mode: 0o777, target: "f", inode: 102)),
            seal("d/new", before: nil, after: state(.directory, mode: 0o755, inode: 103)),
            seal("d/new/inside", before: nil, after: state(.regular, size: 1, content: 0x01, inode: 104)),
            seal("gone", before: .regular, after: nil),
            seal("keep", before: .regular, after: state(.regular, mode: 0o600, content: 0x02, inode: 105)),
            seal("old", before: .directory, after: nil),
        ]
    }
}
