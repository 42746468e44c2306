import ChangerecSystem
import SystemPackage

/// A source of change notifications for one tree. The recorder calls ``arm()`` before the command
/// starts, ``readBatch()`` whenever ``descriptor`` is readable, and ``finish()`` once the command
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
    /// How much of the kernel queue has been read so far, in the unit of ``queuedAmount()``.
    var amountRead: Int { get }

    /// How much is queued now and not yet read (from `FIONREAD`: bytes for inotify, events for fanotify).
    func queuedAmount() throws(ChangerecError) -> Int
    /// Starts watching and reads the baseline of names. Complete before it returns.
    func arm() throws(ChangerecError) -> (Baseline, [WatchOutput])
    /// One read of the kernel queue: what it holds for ROOT, possibly nothing when every record was
    /// filtered out; `nil` only when the queue was empty.
    func readBatch() throws(ChangerecError) -> [WatchOutput]?
    /// Reads until the kernel queue is empty and settles anything held back (an unpaired move).
    func finish() throws(ChangerecError) -> [WatchOutput]
}

extension WatchBackend {
    /// Reads what is queued now, and no more: until the queue is empty, or once as much as it held when
    /// the drain began is read. A batch whose records were all filtered out (events outside ROOT)
    /// does not end the drain.
    ///
    /// The bound is what makes the drain end: a process of the step that outlives the command (a
    /// straggler, without `--wait`) can queue events faster than they are read, and "until empty" would
    /// then never come, holding every event read meanwhile in memory. Everything the command did was
    /// queued before it ended, so before the drain began; what a straggler does after that is beyond the
    /// step, as the summary says when it names the straggler.
    func readQueued() throws(ChangerecError) -> [WatchOutput] {
        var outputs: [WatchOutput] = []
        let end = amountRead + (try queuedAmount())
        while amountRead < end, let batch = try readBatch() { outputs += batch }
        return outputs
    }
}
