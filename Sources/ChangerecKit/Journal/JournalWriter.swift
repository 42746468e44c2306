import ChangerecSystem
import SystemPackage

/// Appends frames to a journal file, buffering them so a batch of events costs one `write`.
///
/// The writer owns the descriptor. The first ``flush()`` writes the magic (the recorder calls it before
/// arming, so a crash while arming leaves a journal that reads as cut before its header, not a file that
/// is no journal at all); ``flush()`` is called by the recorder after each batch, so a crash loses at most
/// the batch being handled.
public final class JournalWriter {
    public let path: [UInt8]
    private let descriptor: FileDescriptor
    // Appended to for every record, and never while another access to it is under way (encoding calls
    // nothing that reaches back into the writer): the run-time exclusivity check on each access, a library
    // call, is left out for it.
    @exclusivity(unchecked) private var buffer: [UInt8] = []
    private var closed = false
    /// A failed background flush, reported by the next explicit ``flush()`` so it is never lost.
    private var failure: ChangerecError?
    public private(set) var frameCount: UInt64 = 0
    public private(set) var sealCount: UInt64 = 0
    public private(set) var eventCount: UInt64 = 0
    private var nextSequence: UInt64 = 1
    /// Bytes written to the file so far.
    private var written = 0
    /// The ``RecordTestHooks/crashPoint`` test hook: the byte offset at which the process kills itself.
    private var crashOffset: Int?

    /// Takes over an open, empty, writable descriptor for `path` and writes the magic.
    public init(descriptor: FileDescriptor, path: [UInt8]) {
        self.descriptor = descriptor
        self.path = path
        buffer = JournalFormat.magic
    }

    deinit {
        if !closed { FileSystem.close(descriptor) }
    }

    /// Adds a record; events get their sequence number here.
    public func append(_ record: JournalRecord) {
        switch record {
        case .event(var event):
            event.sequence = nextSequence
            nextSequence += 1
            eventCount += 1
            JournalRecord.event(event).appendFrame(to: &buffer)
        case .seal:
            sealCount += 1
            record.appendFrame(to: &buffer)
        default:
            record.appendFrame(to: &buffer)
        }
        frameCount += 1
        if buffer.count >= 1 << 20 && failure == nil {
            do { try flush() } catch { failure = error }
        }
    }

    /// Writes what is buffered.
    ///
    /// - Throws: `ChangerecError` naming the journal when the write fails (a full disk, say).
    public func flush() throws(ChangerecError) {
        if let failure { throw failure }
        guard !buffer.isEmpty else { return }
        if let crashOffset, written + buffer.count >= crashOffset {
            try? FileSystem.writeAll(descriptor, Array(buffer.prefix(crashOffset - written)))
            crashNow()
        }
        do {
            try FileSystem.writeAll(descriptor, buffer)
        } catch {
            throw ChangerecError.system("write the journal", path: printable(path), error)
        }
        written += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// The test hook behind ``RecordTestHooks/crashPoint``: the process kills itself with SIGKILL once
    /// `bytes` more bytes than those appended so far have been written (by a later ``flush()``).
    func crash(afterMoreBytes bytes: Int) {
        crashOffset = written + buffer.count + bytes
    }

    /// The test hook behind ``RecordTestHooks/crashPoint``: kills the process with SIGKILL, which no handler
    /// sees, leaving what a crash or `kill -9` leaves.
    func crashNow() -> Never {
        ChildProcess.send(.kill, to: ChildProcess.currentID)
        // SIGKILL sent to oneself is delivered before kill() returns; this line is never reached.
        preconditionFailure("SIGKILL did not end the process")
    }

    /// Writes the seal-end frame, flushes, syncs and closes.
    public func finish() throws(ChangerecError) {
        append(.sealEnd(SealEnd(sealCount: sealCount, frameCount: frameCount)))
        try flush()
        do {
            try FileSystem.sync(descriptor)
        } catch {
            throw ChangerecError.system("sync the journal", path: printable(path), error)
        }
        FileSystem.close(descriptor)
        closed = true
    }
}
