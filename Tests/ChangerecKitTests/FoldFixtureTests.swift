import ChangerecKit
import ChangerecSystem
import Foundation
import Testing

/// Fold behaviour as data: each `Fixtures/fold/*.fold` file gives events and a seal, and the change
/// set the fold must make of them.
@Suite("fold fixtures: events and seal in, change set out")
struct FoldFixtureTests {
    static let fixtures: [String] = {
        let directory = Bundle.module.resourceURL?.appendingPathComponent("Fixtures/fold")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory?.path ?? "")) ?? []
        return names.filter { $0.hasSuffix(".fold") }.sorted()
    }()

    @Test("there are fixtures to run")
    func fixturesExist() {
        #expect(Self.fixtures.count >= 10)
    }

    @Test("the fold gives the expected change set", arguments: fixtures)
    func fixture(_ name: String) throws {
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/fold/\(name)"))
        let parsed = try FoldFixture(String(contentsOf: url, encoding: .utf8))
        var fold = Fold()
        fold.add(
            .header(
                JournalHeader(
                    root: Array("/r".utf8), backend: "test", backendReason: "", argv: [], startNanoseconds: 0, host: "",
                    recorderPID: 0)))
        for event in parsed.events { fold.add(.event(event)) }
        if parsed.sealed {
            fold.add(
                .exit(
                    JournalExit(
                        time: 0, termination: .exited(0), kernelEvents: 0, writtenEvents: 0, overflowed: false,
                        waited: false, stragglers: [])))
            for entry in parsed.seal { fold.add(.seal(entry)) }
            fold.add(.sealEnd(SealEnd(sealCount: UInt64(parsed.seal.count), frameCount: 0)))
        }
        let got = fold.changes().map(FoldFixture.describe)
        #expect(got == parsed.expected)
    }
}

/// The fixture format: `event OP PATH [PATH2] [dir]`, `seal PATH BEFORE AFTER` (AFTER a type, `gone` or
/// `unreadable`), `expect KIND PATH [subtree] [opaque] [from=PATH] [unreadable]`, `noseal`, and `#` comments.
struct FoldFixture {
    var events: [JournalEvent] = []
    var seal: [SealEntry] = []
    var expected: [String] = []
    var sealed = true

    init(_ text: String) throws {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let words = line.split(separator: " ").map(String.init)
            switch words.first {
            case "noseal":
                sealed = false
            case "event":
                guard words.count >= 3,
                    let operation = JournalEvent.Operation.allCases.first(where: { $0.name == words[1] }),
                    let path = Self.path(words[2])
                else { throw FixtureError(line: String(line)) }
                let second = words.count > 3 && words[3] != "dir" ? Self.path(words[3]) : nil
                events.append(JournalEvent(operation, path, to: second, isDirectory: words.last == "dir"))
            case "seal":
                guard words.count == 4, let path = Self.path(words[1]) else { throw FixtureError(line: String(line)) }
                if words[3] == "unreadable" {
                    let failure = ReadFailure(.permissionDenied, "read its status")
                    seal.append(SealEntry(path: path, before: Self.type(words[2]), unreadable: failure))
                    continue
                }
                seal.append(
                    SealEntry(path: path, before: Self.type(words[2]), after: Self.type(words[3]).map(Self.state)))
            case "expect":
                expected.append(words.dropFirst().joined(separator: " "))
            default:
                throw FixtureError(line: String(line))
            }
        }
    }

    static func path(_ text: String) -> RelativePath? { RelativePath(String(text.dropFirst())) }

    static func type(_ name: String) -> FileType? {
        FileType.allCases.first { $0.name == name && $0 != .unknown }
    }

    static func state(_ type: FileType) -> FinalState {
        FinalState(
            type: type, permissions: 0o644, uid: 0, gid: 0, size: 0, mtimeSeconds: 0, mtimeNanoseconds: 0, inode: 1,
            linkCount: 1, rdev: 0, symlinkTarget: nil, contentDigest: nil, xattrDigest: nil)
    }

    static func describe(_ change: Change) -> String {
        var words = [change.kind.rawValue, change.path.description]
        if change.subtree { words.append("subtree") }
        if change.opaque { words.append("opaque") }
        if let origin = change.renamedFrom { words.append("from=\(origin)") }
        if change.unreadable != nil { words.append("unreadable") }
        return words.joined(separator: " ")
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var line: String
    var description: String { "cannot parse fixture line: \(line)" }
}
