import ChangerecKit
import ChangerecSystem
import Foundation

/// The journals fuzzing starts from: real ones recorded once with the built binary (checked in under
/// `Tests/ChangerecKitTests/Fixtures/journals`) and a few written with `JournalWriter` for what a short
/// recording rarely holds (notes, stragglers, ROOT itself, odd bytes, a journal cut before its seal).
public enum FuzzCorpus {
    /// The checked-in journals, found from this source file so that every test target can read them.
    public static var fixtureDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ChangerecKitTests/Fixtures/journals").path
    }

    /// Every journal of the corpus, its synthetic members written into `scratch`.
    public static func load(scratch: String) throws -> [JournalMutator] {
        var result: [JournalMutator] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtureDirectory)) ?? []
        for name in names.sorted() where name.hasSuffix(".journal") {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixtureDirectory + "/" + name)))
            guard let mutator = JournalMutator(name: name, journal: bytes) else {
                throw TestFailure("fixture \(name) is not a journal of whole frames")
            }
            result.append(mutator)
        }
        let synthetic: [(String, [JournalRecord], Bool)] = [
            ("every-kind", SampleJournals.everyKind(), true),
            ("every-kind-unsealed", SampleJournals.everyKind(), false),
            ("odd-paths", oddPaths(), true),
        ]
        for (name, records, finish) in synthetic {
            let bytes = try SampleJournals.write(records, to: scratch + "/\(name).journal", finish: finish)
            // Invariant: JournalWriter writes whole frames.
            if let mutator = JournalMutator(name: name, journal: bytes) { result.append(mutator) }
        }
        return result
    }

    /// An inotify step on ROOT itself and on names with newlines and bytes that are not UTF-8.
    static func oddPaths() -> [JournalRecord] {
        let newline = "n\nl"
        var overflow = JournalNote(.queueOverflow, "the kernel queue overflowed")
        overflow.time = 30
        var rescan = JournalNote(.rescanDone, path: .root, "rescan done")
        rescan.time = 30
        let events: [JournalRecord] = [
            SampleJournals.event(.attrib, "", directory: true, time: 10),
            SampleJournals.event(.create, newline, time: 10),
            SampleJournals.event(.create, "a/b/c", directory: true, time: 20),
            SampleJournals.event(.moveIn, "in", directory: true, time: 20),
            SampleJournals.event(.moveOut, "out", directory: true, time: 20),
            .note(overflow),
            .note(rescan),
            SampleJournals.event(.touch, "t", time: 40),
            SampleJournals.event(.rename, "a/b/c", to: "a/z", directory: true, time: 50),
        ]
        let state = SampleJournals.state
        let seal: [(String, FileType?, FinalState?)] = [
            ("", .directory, state(.directory, 0o755, 0, nil, nil, 2)),
            ("a", .directory, state(.directory, 0o755, 0, nil, nil, 3)),
            ("a/b", .directory, state(.directory, 0o700, 0, nil, nil, 4)),
            ("a/b/c", nil, nil),
            ("a/z", nil, state(.directory, 0o755, 0, nil, nil, 5)),
            ("a/z/fifo", nil, state(.fifo, 0o600, 0, nil, nil, 6)),
            ("in", nil, state(.directory, 0o755, 0, nil, nil, 7)),
            ("in/link", nil, state(.symlink, 0o777, 0, "../t", nil, 8)),
            (newline, nil, state(.regular, 0o644, 4, nil, 0x11, 9)),
            ("out", .directory, nil),
            ("t", .regular, state(.regular, 0o4755, 1 << 40, nil, 0x22, 10)),
        ]
        let exit = JournalExit(
            time: 60, termination: .signaled(15), kernelEvents: 20, writtenEvents: 7, overflowed: true, waited: true,
            stragglers: [])
        // A name that is not UTF-8.
        let binary = JournalRecord.seal(
            SealEntry(
                path: RelativePath([0x62, 0xFF, 0xFE]) ?? .root, before: nil,
                after: state(.regular, 0o644, 0, nil, 0x33, 11)))
        let sealed = (seal.map { SampleJournals.seal($0.0, before: $0.1, after: $0.2) } + [binary]).sorted { a, b in
            guard case .seal(let x) = a, case .seal(let y) = b else { return false }
            return RelativePath.treeOrder(x.path, y.path)
        }
        return [SampleJournals.header(root: "/srv/odd")] + events + [.exit(exit)] + sealed
    }
}
