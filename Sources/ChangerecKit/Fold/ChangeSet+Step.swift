extension ChangeSet {
    /// Changes grouped by the processes whose events named them, step processes first, then by pid;
    /// changes no process is known for (scans, inotify) form a group of pid 0. A change several processes
    /// made is in each of their groups.
    public var byProcess: [ProcessGroup] {
        var groups: [Int32: ProcessGroup] = [:]
        for change in changes {
            for pid in change.pids.isEmpty ? [0] : change.pids {
                let process = processes[pid]
                groups[
                    pid,
                    default: ProcessGroup(
                        pid: pid, name: process?.name ?? (pid == 0 ? "(unknown)" : "?"),
                        foreign: !(process?.isStep ?? true), changes: [])
                ].changes.append(change)
            }
        }
        return groups.values.sorted { ($0.foreign ? 1 : 0, $0.pid) < ($1.foreign ? 1 : 0, $1.pid) }
    }

    /// This change set without the changes made only by processes outside the step.
    public func onlyStep() -> ChangeSet {
        var copy = self
        copy.changes = changes.filter { !$0.foreign }
        return copy
    }
}
