import ChangerecTestSupport
import Foundation
import Testing

@Suite("descriptors: each closed once")
struct DescriptorTests {
    /// A journal refused after it was opened must close its descriptor once: a second close of the same
    /// number closes whatever another thread has opened there since (it once made a test walking a tree in
    /// the same process fail with EBADF). strace sees the second close as one that fails with EBADF.
    @Test(
        "a journal refused after its open closes its descriptor once, never twice", .requiresStrace,
        arguments: ["bad magic", "empty", "directory"])
    func refusedJournalClosesOnce(kind: String) throws {
        let tree = try TemporaryTree()
        let journal = tree.base + "/refused.journal"
        switch kind {
        case "bad magic": try Data("not a changerec journal".utf8).write(to: URL(fileURLWithPath: journal))
        case "empty": try Data().write(to: URL(fileURLWithPath: journal))
        default: try FileManager.default.createDirectory(atPath: journal, withIntermediateDirectories: false)
        }
        let trace = tree.base + "/close.trace"
        let traced = try Run.command(
            ["/usr/bin/strace", "-f", "-Z", "-e", "trace=close", "-o", trace, Run.binary, "changes", journal])
        #expect(traced.status == 1, "\(traced.stderr)")
        #expect(traced.stderr.contains("refused.journal"), "\(traced.stderr)")
        let failedCloses = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
            .filter { $0.contains("close(") && $0.contains("EBADF") }
        #expect(failedCloses.isEmpty, "closed twice: \(failedCloses)")
    }
}
