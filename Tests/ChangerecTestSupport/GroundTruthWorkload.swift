import Testing

/// One ground-truth workload: the tree before the step (declared), the step itself (a shell command: it is
/// the build step being recorded), and what the change set must say of it beyond "nothing is missing".
public struct GroundTruthWorkload: Sendable, CustomTestStringConvertible {
    /// A sentence naming the case; the test case is shown by it.
    public var name: String
    /// ROOT before the step.
    public var tree: [TreeSpec]
    /// The directory beside ROOT (`$OUT` in the step) before the step, for moves into and out of ROOT.
    public var outside: [TreeSpec]
    /// Run by `/bin/sh -c` in ROOT under the recorder, with `$OUT` replaced by the directory beside ROOT.
    public var script: String
    public var requirements: [Requirement]
    /// `false` for a step that may leave the tree as it was (the operations are still recorded).
    public var expectDifferences: Bool
    /// Checks particular to this workload, run on what the recording gave.
    public var check: @Sendable (GroundTruth) throws -> Void

    public init(
        _ name: String, tree: [TreeSpec] = [], outside: [TreeSpec] = [], script: String,
        requires requirements: [Requirement] = [], expectDifferences: Bool = true,
        check: @escaping @Sendable (GroundTruth) throws -> Void = { _ in }
    ) {
        self.name = name
        self.tree = tree
        self.outside = outside
        self.script = script
        self.requirements = requirements
        self.expectDifferences = expectDifferences
        self.check = check
    }

    public var testDescription: String { name }
}
