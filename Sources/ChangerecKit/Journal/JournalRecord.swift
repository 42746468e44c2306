/// One frame of a journal, decoded.
public enum JournalRecord: Sendable, Equatable {
    case header(JournalHeader)
    case event(JournalEvent)
    case note(JournalNote)
    case exit(JournalExit)
    case seal(SealEntry)
    case sealEnd(SealEnd)
    case process(JournalProcess)

    var kind: JournalFormat.Kind {
        switch self {
        case .header: .header
        case .event: .event
        case .note: .note
        case .exit: .exit
        case .seal: .seal
        case .sealEnd: .sealEnd
        case .process: .process
        }
    }

    func encodePayload(into writer: inout ByteWriter) {
        switch self {
        case .header(let header): header.encode(into: &writer)
        case .event(let event): event.encode(into: &writer)
        case .note(let note): note.encode(into: &writer)
        case .exit(let exit): exit.encode(into: &writer)
        case .seal(let entry): entry.encode(into: &writer)
        case .sealEnd(let end):
            writer.u64(end.sealCount)
            writer.u64(end.frameCount)
        case .process(let process): process.encode(into: &writer)
        }
    }

    static func decode(kind: JournalFormat.Kind, payload: [UInt8]) throws(DecodeError) -> JournalRecord {
        var reader = ByteReader(payload)
        return try decode(kind: kind, from: &reader)
    }

    /// Decodes the payload `reader` spans, which must hold exactly one record of `kind`.
    static func decode(kind: JournalFormat.Kind, from reader: inout ByteReader) throws(DecodeError) -> JournalRecord {
        let record: JournalRecord
        switch kind {
        case .header: record = .header(try JournalHeader.decode(&reader))
        case .event: record = .event(try JournalEvent.decode(&reader))
        case .note: record = .note(try JournalNote.decode(&reader))
        case .exit: record = .exit(try JournalExit.decode(&reader))
        case .seal: record = .seal(try SealEntry.decode(&reader))
        case .sealEnd: record = .sealEnd(SealEnd(sealCount: try reader.u64(), frameCount: try reader.u64()))
        case .process: record = .process(try JournalProcess.decode(&reader))
        }
        try reader.finish()
        return record
    }

    /// Appends the frame: length, kind, payload, CRC-32C over kind and payload. The payload is encoded in
    /// place, after a length patched once it is known, so a record costs no array of its own.
    func appendFrame(to bytes: inout [UInt8]) {
        var writer = ByteWriter()
        swap(&writer.bytes, &bytes)
        defer { swap(&writer.bytes, &bytes) }
        let start = writer.bytes.count
        writer.u32(0)
        writer.u8(kind.rawValue)
        encodePayload(into: &writer)
        let length = UInt32(writer.bytes.count - start - JournalFormat.frameHeaderSize)
        for index in 0..<4 { writer.bytes[start + index] = UInt8(truncatingIfNeeded: length >> (8 * index)) }
        // Kind and payload lie together, so one pass covers both.
        writer.u32(CRC32C.checksum(writer.bytes[(start + 4)...]))
    }
}
