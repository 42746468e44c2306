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

    func encodePayload() -> [UInt8] {
        var writer = ByteWriter()
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
        return writer.bytes
    }

    static func decode(kind: JournalFormat.Kind, payload: [UInt8]) throws(DecodeError) -> JournalRecord {
        var reader = ByteReader(payload)
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

    /// The frame bytes: length, kind, payload, CRC-32C over kind and payload.
    func frame() -> [UInt8] {
        let payload = encodePayload()
        var frame: [UInt8] = []
        frame.reserveCapacity(payload.count + JournalFormat.frameHeaderSize + JournalFormat.frameTrailerSize)
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { frame.append(contentsOf: $0) }
        frame.append(kind.rawValue)
        frame.append(contentsOf: payload)
        let crc = CRC32C.update(CRC32C.checksum([kind.rawValue]), payload)
        withUnsafeBytes(of: crc.littleEndian) { frame.append(contentsOf: $0) }
        return frame
    }
}
