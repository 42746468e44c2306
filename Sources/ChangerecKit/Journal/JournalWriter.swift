import ChangerecSystem
import Glibc
import SystemPackage

/// Appends frames to a journal file, buffering them so a batch of events costs one `write`.
///
/// The writer owns the descriptor. Nothing is written before ``append(_:)`` is first called with the
/// header; ``flush()`` is called by the recorder after each batch, so a crash loses at most the batch
/// being handled.
public final class JournalWriter {
    public let path: [UInt8]
    private let descriptor: FileDescriptor
    private var buffer: [UInt8] = []
    private var closed = false
    /// A failed background flush, reported by the next explicit ``flush()`` so it is never lost.
    private var failure: ChangerecError?
    public private(set) var frameCount: UInt64 = 0
    public private(set) var sealCount: UInt64 = 0
    public private(set) var eventCount: UInt64 = 0
    private var nextSequence: UInt64 = 1

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
        var record = record
        switch record {
        case .event(var event):
            event.sequence = nextSequence
            nextSequence += 1
            eventCount += 1
            record = .event(event)
        case .seal:
            sealCount += 1
        default:
            break
        }
        buffer.append(contentsOf: record.frame())
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
        do {
            try FileSystem.writeAll(descriptor, buffer)
        } catch {
            throw ChangerecError.system("write the journal", path: printable(path), error)
        }
        buffer.removeAll(keepingCapacity: true)
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

func printable(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
