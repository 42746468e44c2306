/// Where the ``RecordTestHooks/crashPoint`` test hook kills the recorder: once `bytes` more bytes of the
/// journal are written after `phase` begins (possibly in the middle of a frame), or when the phase ends,
/// whichever comes first. Deterministic, so a seeded test replays exactly.
struct CrashPoint: Sendable, Equatable {
    /// The recorder's phases, in order.
    enum Phase: String, Sendable, CaseIterable {
        /// From the journal's creation to the header (the baseline walk, the watches or marks).
        case arming
        /// While the command runs.
        case step
        /// After the command ended: the queue read to empty, the exit record.
        case drain
        /// The seal entries, before the frame that ends the journal.
        case seal
    }

    var phase: Phase
    var bytes: Int

    init(phase: Phase, bytes: Int) {
        self.phase = phase
        self.bytes = bytes
    }

    /// `PHASE:BYTES`, as in `seal:137`; `nil` for anything else.
    init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let phase = Phase(rawValue: String(parts[0])), let bytes = Int(parts[1]), bytes >= 0
        else { return nil }
        self.init(phase: phase, bytes: bytes)
    }
}
