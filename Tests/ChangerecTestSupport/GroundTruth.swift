import Foundation

/// A workload recorded by the real binary and judged against before/after snapshots of the tree.
public struct GroundTruth: Sendable {
    public var before: TreeSnapshot
    public var after: TreeSnapshot
    public var differences: [Difference]
    public var changes: RecordedChanges
    public var record: RunResult
    public var journal: String

    /// Snapshots `tree`, runs `script` with `sh -c` in ROOT under `changerec`, snapshots again and reads
    /// `changerec changes --json` of the journal it wrote. `wrapper` is a command prefix changerec runs under.
    public static func run(
        _ script: String, in tree: TemporaryTree, backend: String = "inotify", extraArguments: [String] = [],
        environment: [String: String] = [:], wrapper: [String] = []
    ) throws -> GroundTruth {
        let before = try TreeSnapshot.take(tree.root)
        let journal = tree.base + "/step.journal"
        let arguments =
            ["--root", tree.root, "--journal", journal, "--backend", backend] + extraArguments + [
                "--", "/bin/sh", "-c", script,
            ]
        let record = try Run.command(wrapper + [Run.binary] + arguments, directory: tree.root, environment: environment)
        guard record.status == 0 else {
            throw TestFailure("changerec exited \(record.status): \(record.stderr)")
        }
        let after = try TreeSnapshot.take(tree.root)
        let listed = try Run.changerec(["changes", "--json", journal])
        guard listed.status == 0 else { throw TestFailure("changes exited \(listed.status): \(listed.stderr)") }
        return GroundTruth(
            before: before, after: after, differences: before.differences(to: after),
            changes: try RecordedChanges(json: listed.stdoutData), record: record, journal: journal)
    }

    /// Real differences the change set does not report; empty when the recording is complete.
    public var missing: [String] { changes.missing(differences) }
}
