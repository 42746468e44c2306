import ChangerecSystem
import SystemPackage

/// What a backend hands the recorder: kernel changes and the facts it must not keep silent.
public enum WatchOutput: Sendable, Equatable {
    case event(JournalEvent)
    case note(JournalNote)
    /// The process `pid` executed a program named `name`: how processes that exit before they can be
    /// looked up in /proc still get a name.
    case processName(pid: Int32, name: String)
}

/// A source of change notifications for one tree. The recorder calls ``arm()`` before the command
/// starts, ``readAvailable()`` whenever ``descriptor`` is readable, and ``finish()`` once the command
/// has ended; a backend knows nothing of journals.
public protocol WatchBackend: AnyObject {
    /// `inotify` or `fanotify`, as written in the journal header.
    var name: String { get }
    /// Readable when events are queued.
    var descriptor: FileDescriptor { get }
    /// Events read from the kernel so far.
    var kernelEventCount: UInt64 { get }
    /// Whether the kernel queue overflowed at least once.
    var overflowed: Bool { get }
    /// Whether events carry the pid of the process behind them.
    var reportsProcesses: Bool { get }

    /// Starts watching and reads the baseline of names. Complete before it returns.
    func arm() throws(ChangerecError) -> (Baseline, [WatchOutput])
    /// Everything queued now; empty when nothing is.
    func readAvailable() throws(ChangerecError) -> [WatchOutput]
    /// Reads until the kernel queue is empty and settles anything held back (an unpaired move).
    func finish() throws(ChangerecError) -> [WatchOutput]
}
