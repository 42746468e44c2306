import ChangerecSystem

/// Which watcher to use.
public enum BackendChoice: String, Sendable, CaseIterable {
    case auto
    case fanotify
    case inotify
}

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
    /// A test hook: leave the kernel queue unread until the command ends, to force an overflow.
    public var stallReaderUntilExit = false
    /// A test hook: SIGKILL the recorder itself at a chosen point, to test what a crash leaves behind.
    public var crashPoint: CrashPoint?
    /// Called once, before the command starts, with a line the person at the terminal should see (why
    /// `auto` fell back to inotify).
    public var announce: (@Sendable (String) -> Void)?

    public init(command: [[UInt8]]) {
        self.command = command
    }
}

/// Where the ``RecordRequest/crashPoint`` test hook kills the recorder: once `bytes` more bytes of the
/// journal are written after `phase` begins (possibly in the middle of a frame), or when the phase ends,
/// whichever comes first. Deterministic, so a seeded test replays exactly.
public struct CrashPoint: Sendable, Equatable {
    /// The recorder's phases, in order.
    public enum Phase: String, Sendable, CaseIterable {
        /// From the journal's creation to the header (the baseline walk, the watches or marks).
        case arming
        /// While the command runs.
        case step
        /// After the command ended: the queue read to empty, the exit record.
        case drain
        /// The seal entries, before the frame that ends the journal.
        case seal
    }

    public var phase: Phase
    public var bytes: Int

    public init(phase: Phase, bytes: Int) {
        self.phase = phase
        self.bytes = bytes
    }

    /// `PHASE:BYTES`, as in `seal:137`; `nil` for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let phase = Phase(rawValue: String(parts[0])), let bytes = Int(parts[1]), bytes >= 0
        else { return nil }
        self.init(phase: phase, bytes: bytes)
    }
}

/// How a recorded step ended: the command's termination and the change set folded from the journal
/// (which names the journal, its notes and its exit record).
public struct RecordOutcome: Sendable {
    public var termination: Termination
    public var changeSet: ChangeSet
}
