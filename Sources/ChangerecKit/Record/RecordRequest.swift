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
    /// Called once, before the command starts, with a line the person at the terminal should see (why
    /// `auto` fell back to inotify).
    public var announce: (@Sendable (String) -> Void)?

    public init(command: [[UInt8]]) {
        self.command = command
    }
}
