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
        // A copy of the tree before the step, for applying the layer to (as `cp -a`, which cannot copy
        // paths longer than PATH_MAX).
        try TreeCopy.copy(tree.root, to: tree.base + "/before-copy")
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

    /// Writes the step's layer, checks that GNU tar and Python's tarfile read it without a word, applies it
    /// with the tests' own applier to the copy of the tree before the step, and returns every difference
    /// between the result and the tree after the step: empty when the layer is exact.
    ///
    /// - Parameter peersExtract: also extract with GNU tar and Python's tarfile; neither can create a path
    ///   longer than `PATH_MAX`, so a tree holding such paths is only listed by GNU tar.
    public func layerDifferences(in tree: TemporaryTree, peersExtract: Bool = true) throws -> [String] {
        let layer = tree.base + "/layer.tar.gz"
        let written = try Run.changerec(["layer", journal, "-o", layer])
        guard written.status == 0 else { return ["changerec layer exited \(written.status): \(written.stderr)"] }
        var problems: [String] = []
        if !peersExtract {
            let listed = try Run.command(["/bin/sh", "-c", "tar -tvzf '\(layer)' >/dev/null"])
            if listed.status != 0 || !listed.stderr.isEmpty {
                problems.append("GNU tar: status \(listed.status): \(listed.stderr)")
            }
            try LayerApplier.apply(layer: layer, to: tree.base + "/before-copy")
            let applied = try TreeSnapshot.take(tree.base + "/before-copy")
            return problems + applied.differences(to: after).map { "applied layer differs: \($0)" }
        }
        let extractDirectory = tree.base + "/gnu-tar"
        let gnu = try Run.command([
            "/bin/sh", "-c",
            "tar -tvzf '\(layer)' >/dev/null && mkdir '\(extractDirectory)' && tar --xattrs --xattrs-include='*' -xzf '\(layer)' -C '\(extractDirectory)'",
        ])
        if gnu.status != 0 || !gnu.stderr.isEmpty { problems.append("GNU tar: status \(gnu.status): \(gnu.stderr)") }
        let python = try Run.command([
            "/usr/bin/python3", "-W", "error", "-c",
            "import sys, tarfile\nwith tarfile.open(sys.argv[1]) as t:\n    t.list(verbose=False)\n    t.extractall(sys.argv[2], **({'filter': 'fully_trusted'} if hasattr(tarfile, 'fully_trusted_filter') else {}))",
            layer, tree.base + "/python-tarfile",
        ])
        if python.status != 0 || !python.stderr.isEmpty {
            problems.append("python tarfile: status \(python.status): \(python.stderr)")
        }
        try LayerApplier.apply(layer: layer, to: tree.base + "/before-copy")
        let applied = try TreeSnapshot.take(tree.base + "/before-copy")
        problems += applied.differences(to: after).map { "applied layer differs: \($0)" }
        // Names that share an inode after the step share one in the applied tree too.
        let links = try HardLinkGroups.take(tree.base + "/before-copy")
        problems += links.differences(to: try HardLinkGroups.take(tree.root)).map { "applied layer: \($0)" }
        return problems
    }
}
