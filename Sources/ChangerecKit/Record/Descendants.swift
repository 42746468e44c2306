import ChangerecSystem

/// The processes below this one: after the command exits, those still running are the step's
/// stragglers, reparented to changerec because it is their subreaper.
enum Descendants {
    /// The straggler reported, with pid 0, when processes are known to run but `/proc` cannot name them.
    static let unnamed = "(unnamed: /proc is not mounted)"

    static func running(below ancestor: Int32) -> [JournalExit.Straggler] {
        guard Host.hasProc else {
            // No process table: a subreaper still knows whether any child lives, though not which.
            return ChildProcess.hasRunningChild() ? [JournalExit.Straggler(pid: 0, name: unnamed)] : []
        }
        let table = Host.processTable()
        var children: [Int32: [Host.ProcessInfo]] = [:]
        for process in table where process.state != "Z" { children[process.parent, default: []].append(process) }
        var result: [JournalExit.Straggler] = []
        var queue = children[ancestor] ?? []
        while let process = queue.popLast() {
            result.append(JournalExit.Straggler(pid: process.pid, name: process.name))
            queue += children[process.pid] ?? []
        }
        return result.sorted { $0.pid < $1.pid }
    }
}
