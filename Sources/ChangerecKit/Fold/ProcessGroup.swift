/// The changes one process made, as `changes --by-process` lists them.
public struct ProcessGroup: Sendable {
    /// The process; 0 for changes no process is known for (scans, inotify).
    public var pid: Int32
    /// Its command name, `?` when the journal does not name it, `(unknown)` for pid 0.
    public var name: String
    /// Whether the process was outside the recorded step.
    public var foreign: Bool
    /// The changes its events named, in the change set's order.
    public var changes: [Change]

    public init(pid: Int32, name: String, foreign: Bool, changes: [Change]) {
        self.pid = pid
        self.name = name
        self.foreign = foreign
        self.changes = changes
    }
}
