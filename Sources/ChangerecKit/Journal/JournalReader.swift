import ChangerecSystem
import SystemPackage

/// Reads a journal frame by frame, stopping at the first frame that is not whole and correct.
///
/// A torn tail (a crash mid-write) ends the journal cleanly and ``ending`` says where; damage in the
/// middle throws an error naming the byte offset. The reader never resynchronises past damage.
public final class JournalReader {
    /// How the journal ended, known once ``next()`` has returned `nil`.
    public enum Ending: Sendable, Equatable {
        case complete
        /// The file stops inside or before a frame at `offset`; everything before it was read.
        case incomplete(offset: Int64, reason: String)
    }

    public let path: [UInt8]
    private let descriptor: FileDescriptor
    private let size: Int64
    // Read and written for every frame, and never while another access to them is under way (the reader
    // has one caller at a time and calls nothing that calls back into it): the run-time exclusivity check
    // on each access, a library call, is left out for them.
    @exclusivity(unchecked) private var offset: Int64 = Int64(JournalFormat.magic.count)
    @exclusivity(unchecked) private var chunk: [UInt8] = []
    @exclusivity(unchecked) private var chunkStart: Int64 = 0
    public private(set) var recordCount: Int = 0
    public private(set) var ending: Ending?
    @exclusivity(unchecked) private var order = JournalOrder()
    /// Bytes after the seal end, reported by the call after the one that returned it.
    private var trailing: ChangerecError?

    /// Opens `path` and checks the magic.
    ///
    /// - Throws: `ChangerecError` `.journalNotFound` or `.journalUnreadable` with a one-line message.
    public init(path: [UInt8]) throws(ChangerecError) {
        self.path = path
        let shown = printable(path)
        let opened: FileDescriptor
        do {
            // O_NONBLOCK: a fifo given as a journal must not block the open; it is refused below.
            opened = try FileSystem.open(path, .readOnly, options: .nonBlocking)
        } catch .noSuchFileOrDirectory {
            throw ChangerecError(
                .journalNotFound, "journal '\(shown)' does not exist; pass the path of a journal written by changerec")
        } catch {
            throw ChangerecError(.journalUnreadable, "cannot read journal '\(shown)': \(error)", errno: error)
        }
        // The stored properties are set only once the journal is accepted: an initializer that throws after
        // setting them all runs `deinit`, which would close the descriptor a second time — by then perhaps
        // another thread's.
        let status: FileStatus
        do {
            status = try FileSystem.status(of: opened)
            guard status.type == .regular else {
                throw ChangerecError(.journalUnreadable, "journal '\(shown)' is not a regular file")
            }
            let magic = try FileSystem.read(opened, count: JournalFormat.magic.count, at: 0)
            guard magic == JournalFormat.magic else {
                throw ChangerecError(.journalUnreadable, "'\(shown)' is not a changerec journal (bad magic at byte 0)")
            }
        } catch let error as ChangerecError {
            FileSystem.close(opened)
            throw error
        } catch let error as Errno {
            FileSystem.close(opened)
            throw ChangerecError(.journalUnreadable, "cannot read journal '\(shown)': \(error)", errno: error)
        } catch {
            FileSystem.close(opened)
            throw ChangerecError(.journalUnreadable, "cannot read journal '\(shown)': \(error)")
        }
        descriptor = opened
        size = Int64(status.size)
    }

    deinit { FileSystem.close(descriptor) }

    /// The next record, or `nil` at the end (see ``ending``).
    ///
    /// - Throws: `ChangerecError.Code.journalDamaged` naming the byte offset of the first bad frame.
    public func next() throws(ChangerecError) -> JournalRecord? {
        if ending != nil { return nil }
        if let trailing { throw trailing }
        // Locals, not the properties: each use of a class's stored property is checked for exclusive access.
        let offset = self.offset
        let remaining = size - offset
        if remaining == 0 {
            return end(.incomplete(offset: offset, reason: order.hasHeader ? "no seal" : "no header"))
        }
        if remaining < Int64(JournalFormat.frameHeaderSize) {
            return end(.incomplete(offset: offset, reason: "ends inside a frame header"))
        }
        // The frame is checked and decoded where it lies in the read-ahead chunk: no copy of it is made.
        var start = try window(at: offset, count: JournalFormat.frameHeaderSize)
        let length = chunk.withUnsafeBytes {
            Int64(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: start, as: UInt32.self)))
        }
        // A crash can leave the file longer than what was written, the rest zeros: that is a torn tail.
        if length == 0, chunk[start + 4] == 0, try restIsZero(from: offset) {
            return end(.incomplete(offset: offset, reason: "zero-filled tail"))
        }
        let frameSize = Int64(JournalFormat.frameHeaderSize) + length + Int64(JournalFormat.frameTrailerSize)
        if length > Int64(JournalFormat.maximumPayload) {
            if try restIsZero(from: offset) { return end(.incomplete(offset: offset, reason: "zero-filled tail")) }
            throw damaged("frame length \(length) above the maximum")
        }
        if frameSize > remaining {
            return end(.incomplete(offset: offset, reason: "ends inside a frame"))
        }
        start = try window(at: offset, count: Int(frameSize))
        let chunk = self.chunk
        let kindByte = chunk[start + 4]
        let trailer = start + Int(frameSize) - JournalFormat.frameTrailerSize
        // Kind and payload lie together in the frame: one pass covers both.
        let (stored, crc) = chunk.withUnsafeBytes { buffer in
            (
                UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: trailer, as: UInt32.self)),
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[(start + 4)..<trailer]))
            )
        }
        if crc != stored {
            if frameSize == remaining {
                return end(.incomplete(offset: offset, reason: "final frame torn (bad checksum)"))
            }
            // Written only in part, the rest of the file zeros: a crash, not damage.
            if try restIsZero(from: offset + frameSize) {
                return end(.incomplete(offset: offset, reason: "torn frame followed by zeros"))
            }
            throw damaged("bad checksum")
        }
        guard let kind = JournalFormat.Kind(rawValue: kindByte) else { throw damaged("unknown frame kind \(kindByte)") }
        let record: JournalRecord
        do {
            var reader = ByteReader(chunk, range: (start + JournalFormat.frameHeaderSize)..<trailer)
            record = try JournalRecord.decode(kind: kind, from: &reader)
        } catch {
            throw damaged(error.reason)
        }
        do {
            try order.admit(record, framesBefore: recordCount)
        } catch {
            throw damaged(error.reason)
        }
        self.offset = offset + frameSize
        recordCount += 1
        if case .sealEnd = record {
            // The seal end itself is intact and handed on; the bytes after it are damage, said on the next call
            // so that the count of intact records in the message is the count the caller received.
            if self.offset != size {
                trailing = damaged("data after the seal end")
            } else {
                ending = .complete
            }
        }
        return record
    }

    private func end(_ ending: Ending) -> JournalRecord? {
        self.ending = ending
        return nil
    }

    private func message(at offset: Int64, _ reason: String) -> String {
        "journal '\(printable(path))' is damaged at byte \(offset) (\(reason)); the \(recordCount) records before it are intact"
    }

    private func damaged(_ reason: String) -> ChangerecError {
        ChangerecError(.journalDamaged, message(at: offset, reason))
    }

    private func restIsZero(from start: Int64) throws(ChangerecError) -> Bool {
        var position = start
        while position < size {
            // A hole reads as zeros: skip it rather than read it, as a sparse file can hold terabytes of them.
            let data: Int64?
            do {
                data = try FileSystem.nextData(in: descriptor, from: position)
            } catch {
                throw ChangerecError(
                    .journalUnreadable, "cannot read journal '\(printable(path))': \(error)", errno: error)
            }
            guard let data else { return true }
            position = max(position, data)
            if position >= size { return true }
            let count = Int(min(Int64(1 << 20), size - position))
            if try bytes(at: position, count: count).contains(where: { $0 != 0 }) { return false }
            position += Int64(count)
        }
        return true
    }

    /// `count` bytes at `position`, served from a 1 MiB read-ahead chunk.
    private func bytes(at position: Int64, count: Int) throws(ChangerecError) -> ArraySlice<UInt8> {
        let start = try window(at: position, count: count)
        return chunk[start..<(start + count)]
    }

    /// Makes the read-ahead chunk hold the `count` bytes at `position` and returns where they start in it.
    private func window(at position: Int64, count: Int) throws(ChangerecError) -> Int {
        let chunkEnd = chunkStart + Int64(chunk.count)
        if position < chunkStart || position + Int64(count) > chunkEnd {
            // Dropped first, so that the old chunk is freed before the new one is read when nothing else
            // holds it.
            chunk = []
            do {
                chunk = try FileSystem.read(descriptor, count: max(count, 1 << 20), at: position)
            } catch {
                throw ChangerecError(
                    .journalUnreadable, "cannot read journal '\(printable(path))': \(error)", errno: error)
            }
            chunkStart = position
            guard chunk.count >= count else {
                throw ChangerecError(.journalUnreadable, "journal '\(printable(path))' shrank while it was read")
            }
        }
        return Int(position - chunkStart)
    }
}
