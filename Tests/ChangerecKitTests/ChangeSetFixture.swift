import ChangerecSystem
import Foundation
import Testing

@testable import ChangerecKit

/// One or more steps' change sets written as text, for the plan and diff fixtures, with the lines a fixture
/// expects.
///
/// The format, one statement a line, `#` starting a comment:
/// - `step` (or `old`, `new`): begins the next change set; lines before the first marker belong to the first.
/// - `event OP PATH [PATH2] [dir]`: a journal event, as in the fold fixtures.
/// - `seal PATH BEFORE AFTER [KEY=VALUE ...]`: BEFORE a type or `none`; AFTER a type, `gone` or
///   `unreadable`. Keys: `mode` (octal), `uid`, `gid`, `size`, `mtime` (seconds), `inode`, `links`,
///   `target` (a symlink's), `content` and `xattrs` (one hex byte, repeated to make the 32-byte digest).
///   Without them a file is mode 0644, owned by 0:0, size 0, mtime 0, inode 1, one link.
/// - `noseal`: this change set's journal was cut before its seal.
/// - `option NAME [VALUE]`: an option for the code under test (diff: `ignore-mtime`, `expand`, `only PATH`).
/// - `expect TEXT`: one line the code under test must give, in order.
struct ChangeSetFixture {
    struct Step {
        var events: [JournalEvent] = []
        var seal: [SealEntry] = []
        var sealed = true
    }

    var steps: [Step] = [Step()]
    var options: [[String]] = []
    var expected: [String] = []

    init(_ text: String) throws {
        var started = false
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let words = line.split(separator: " ").map(String.init)
            switch words.first {
            case "step", "old", "new":
                if started { steps.append(Step()) }
                started = true
            case "noseal":
                steps[steps.count - 1].sealed = false
            case "event":
                guard words.count >= 3,
                    let operation = JournalEvent.Operation.allCases.first(where: { $0.name == words[1] }),
                    let path = FoldFixture.path(words[2])
                else { throw FixtureError(line: String(line)) }
                let second = words.count > 3 && words[3] != "dir" ? FoldFixture.path(words[3]) : nil
                steps[steps.count - 1].events.append(
                    JournalEvent(operation, path, to: second, isDirectory: words.last == "dir"))
            case "seal":
                steps[steps.count - 1].seal.append(try Self.sealEntry(words, line: String(line)))
            case "option":
                options.append(Array(words.dropFirst()))
            case "expect":
                expected.append(words.dropFirst().joined(separator: " "))
            default:
                throw FixtureError(line: String(line))
            }
        }
    }

    /// Each step folded as the journal reader would hand it over.
    var changeSets: [ChangeSet] { steps.map(Self.changeSet) }

    static func sealEntry(_ words: [String], line: String) throws -> SealEntry {
        guard words.count >= 4, let path = FoldFixture.path(words[1]) else { throw FixtureError(line: line) }
        let before = FoldFixture.type(words[2])
        guard before != nil || words[2] == "none" else { throw FixtureError(line: line) }
        if words[3] == "unreadable" {
            return SealEntry(path: path, before: before, unreadable: ReadFailure(.permissionDenied, "read its status"))
        }
        guard let type = FoldFixture.type(words[3]) else {
            guard words[3] == "gone" else { throw FixtureError(line: line) }
            return SealEntry(path: path, before: before, after: nil)
        }
        var state = FoldFixture.state(type)
        for pair in words.dropFirst(4) {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw FixtureError(line: line) }
            let (key, value) = (parts[0], parts[1])
            switch key {
            case "mode": state.permissions = try number(value, radix: 8, line: line)
            case "uid": state.uid = try number(value, line: line)
            case "gid": state.gid = try number(value, line: line)
            case "size": state.size = try number(value, line: line)
            case "mtime": state.mtimeSeconds = try number(value, line: line)
            case "inode": state.inode = try number(value, line: line)
            case "links": state.linkCount = try number(value, line: line)
            case "target": state.symlinkTarget = Array(value.utf8)
            case "content": state.contentDigest = Array(repeating: try number(value, radix: 16, line: line), count: 32)
            case "xattrs": state.xattrDigest = Array(repeating: try number(value, radix: 16, line: line), count: 32)
            default: throw FixtureError(line: line)
            }
        }
        return SealEntry(path: path, before: before, after: state)
    }

    static func number<N: FixedWidthInteger>(_ text: String, radix: Int = 10, line: String) throws -> N {
        guard let value = N(text, radix: radix) else { throw FixtureError(line: line) }
        return value
    }

    /// The change set `ChangeSet.load` would make of a journal holding this step: header, events, and
    /// unless cut short, the exit record and the seal.
    static func changeSet(_ step: Step) -> ChangeSet {
        var fold = Fold()
        let header = JournalHeader(
            root: Array("/r".utf8), backend: "test", backendReason: "", argv: [], startNanoseconds: 0, host: "",
            recorderPID: 0)
        fold.add(.header(header))
        for event in step.events { fold.add(.event(event)) }
        if step.sealed {
            fold.add(
                .exit(
                    JournalExit(
                        time: 0, termination: .exited(0), kernelEvents: 0, writtenEvents: 0, overflowed: false,
                        waited: false, stragglers: [])))
            for entry in step.seal { fold.add(.seal(entry)) }
            fold.add(.sealEnd(SealEnd(sealCount: UInt64(step.seal.count), frameCount: 0)))
        }
        let all = fold.allChanges()
        return ChangeSet(
            journalPath: Array("fixture.journal".utf8), header: header, exit: fold.exit, notes: fold.notes,
            changes: Fold.hidingCovered(all), allChanges: all, processes: fold.processes, seal: fold.sealEntries,
            eventCount: fold.eventCount,
            ending: step.sealed ? .complete : .incomplete(offset: 0, reason: "cut before the seal"))
    }

    /// The fixture files with `suffix` in `Fixtures/FOLDER`, sorted by name.
    static func names(in folder: String, suffix: String) -> [String] {
        let directory = Bundle.module.resourceURL?.appendingPathComponent("Fixtures/\(folder)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory?.path ?? "")) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted()
    }

    static func load(_ folder: String, _ name: String) throws -> ChangeSetFixture {
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/\(folder)/\(name)"))
        return try ChangeSetFixture(String(contentsOf: url, encoding: .utf8))
    }
}
