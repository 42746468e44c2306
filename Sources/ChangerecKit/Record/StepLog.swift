import ChangerecSystem

/// Writes what the backend reports, coalescing repeats and stamping times.
struct StepLog {
    let writer: JournalWriter
    /// When the step began (monotonic clock, nanoseconds): event times count from it.
    let startClock: Int64
    let tracker: ProcessTracker?
    var table = PathTable()
    /// Inodes reached through names the baseline cannot vouch for, and whether some name's inode could not
    /// be learnt: for the other names of hard-linked inodes.
    var inodes: Set<FileIdentity> = []
    var unidentifiedName = false

    /// Reads the process events queued now, so the processes behind the next batch are known.
    mutating func drainProcesses() {
        guard let note = tracker?.drain() else { return }
        take([.note(note)])
    }

    mutating func take(_ outputs: [WatchOutput]) {
        // Every process behind these events forked before they were queued: read its fork first.
        drainProcesses()
        let now = UInt64(max(0, Host.monotonicNanoseconds() - startClock))
        for output in outputs {
            switch output {
            case .event(var event):
                if let tracker, event.pid != 0 {
                    if let process = tracker.announce(event.pid) { writer.append(.process(process)) }
                    event.isForeign = !tracker.isStep(event.pid)
                }
                guard table.admit(event) else { continue }
                event.time = now
                writer.append(.event(event))
            case .processName(let pid, let name):
                tracker?.executed(pid, name: name)
            case .inode(let identity):
                inodes.insert(identity)
            case .unidentifiedName:
                unidentifiedName = true
            case .note(var note):
                note.time = now
                writer.append(.note(note))
            }
        }
    }
}
