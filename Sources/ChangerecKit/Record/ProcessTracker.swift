import ChangerecSystem
import SystemPackage

/// Tells the recorded step's processes from the others, and names them.
///
/// The step is the command and every process it forks, followed through the kernel's proc connector:
/// fork events arrive in order and before anything the new process does, so a process is known as the
/// step's even when it has exited by the time its changes are read (a short `touch`). The connector is
/// drained *after* each batch of file events is read, so every process behind that batch has been seen.
/// Without the connector (no CAP_NET_ADMIN) or after it dropped messages, a process is classified by
/// its ancestry in `/proc` while it lives, and an unknown, vanished process counts as the step's: a
/// change is then never hidden by `--only-step`, only possibly over-attributed — and a note says so.
final class ProcessTracker {
    private let events: ProcessEvents?
    private let recorder: Int32
    private var step: Set<Int32> = []
    /// Names the kernel gave (`comm`), read from /proc when the process executed or renamed itself.
    private var names: [Int32: String] = [:]
    /// Names of the programs the processes executed, from the backend, for processes gone too soon.
    private var programs: [Int32: String] = [:]
    /// A parent's name, for a forked child that never executed anything.
    private var inherited: [Int32: String] = [:]
    private var announced: Set<Int32> = []
    /// Processes found not to be the step's, so each is looked up in /proc once, not once per event.
    private var foreign: Set<Int32> = []
    private(set) var isExact: Bool
    private var noted = false

    init(recorder: Int32) {
        self.recorder = recorder
        events = try? ProcessEvents()
        isExact = events != nil
    }

    /// The descriptor to poll so the connector's buffer never fills; `nil` without a connector.
    var descriptor: FileDescriptor? { events?.descriptor }

    /// The command has been started as `pid`.
    func started(_ pid: Int32) {
        step.insert(pid)
    }

    /// Reads every process event queued now. Returns a note the first time events were lost.
    func drain() -> JournalNote? {
        guard let events else { return nil }
        let received: [ProcessEvents.Event]
        do {
            received = try events.readAvailable()
        } catch {
            isExact = false
            guard !noted else { return nil }
            noted = true
            return JournalNote(
                .attributionIncomplete,
                "process events were lost (\(error)): processes are classified by their ancestry from now on, and an unknown one counts as the step's"
            )
        }
        for event in received {
            switch event {
            case .fork(let pid, let parent):
                if step.contains(parent) { step.insert(pid) }
                if let name = names[parent] ?? programs[parent] ?? inherited[parent] { inherited[pid] = name }
            case .rename(let pid, let name):
                names[pid] = name
            case .exec(let pid):
                // The connector reports every exec on the machine: /proc is read now (while the process most
                // likely still runs) only for the step's processes. Any other process is named when its first
                // change is announced, from /proc or from the program the backend saw it execute.
                if step.contains(pid), let info = Host.processInfo(pid) { names[pid] = info.name }
            case .exit:
                break

            }
        }
        return nil
    }

    /// `pid` executed the program `name` (from the backend, in event order).
    func executed(_ pid: Int32, name: String) {
        programs[pid] = name
    }

    /// The process record to write before the first event of `pid`, or `nil` if it was written already.

    func announce(_ pid: Int32) -> JournalProcess? {
        guard pid != 0, !announced.contains(pid) else { return nil }
        announced.insert(pid)
        // The kernel's own name first (a symlinked program keeps the name it was run by: sh, not dash).
        let name = Host.processInfo(pid)?.name ?? names[pid] ?? programs[pid] ?? inherited[pid] ?? "?"
        return JournalProcess(pid: pid, name: name, isStep: isStep(pid))
    }

    /// Whether `pid` is the command or one of its descendants.
    func isStep(_ pid: Int32) -> Bool {
        if pid == 0 || step.contains(pid) { return true }
        // While the connector is exact it saw every fork of the step: anyone else is foreign.
        if isExact || foreign.contains(pid) { return false }
        // Not followed by the connector: ask /proc while the process lives.
        var current = pid
        var seen = 0
        while let info = Host.processInfo(current), seen < 4096 {
            if step.contains(info.parent) {
                step.insert(pid)
                return true
            }
            if info.parent <= 1 || info.parent == recorder {
                foreign.insert(pid)
                return false
            }
            current = info.parent
            seen += 1
        }
        // Gone before it could be asked about: with the connector it was never the step's.
        return !isExact
    }
}
