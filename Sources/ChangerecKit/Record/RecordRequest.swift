/// What to record: a command, the tree to watch and where the journal goes.
public struct RecordRequest: Sendable {
    /// The command and its arguments, as raw bytes.
    public var command: [[UInt8]]
    /// ROOT as given; `nil` is the current directory.
    public var root: [UInt8]?
    /// `--journal FILE`; `nil` picks the next free `ROOT/.changerec/NNNN.journal`.
    public var journal: [UInt8]?
    /// `--force`: an existing regular file at ``journal`` may be replaced; without it, it is refused.
    public var force = false
    public var backend: BackendChoice = .auto
    /// Wait for every descendant of the command, not only the command itself.
    public var waitForDescendants = false
    /// `--layer`/`--oci-layout`: a layer written in the seal's pass, when the command succeeds.
    public var layer: RecordLayerRequest?
    /// `changerec run`: the command runs chrooted into ROOT, in its own mount namespace, with the mounts
    /// that gives; none of them is recorded. `nil` runs it as it is, in this process's view.
    public var isolation: StepIsolation?
    /// Called with a line the person at the terminal should see: before the command starts (why `auto`
    /// fell back to inotify, a host file a step does not see), and after it (a mount point that could not
    /// be removed).
    public var announce: (@Sendable (String) -> Void)?

    public init(command: [[UInt8]]) {
        self.command = command
    }
}
