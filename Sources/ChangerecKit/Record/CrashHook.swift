/// The ``RecordTestHooks/crashPoint`` test hook: kills the recorder once the journal has grown by the
/// chosen number of bytes in the chosen phase, or at the end of that phase.
struct CrashHook {
    let point: CrashPoint?
    let writer: JournalWriter

    func begin(_ phase: CrashPoint.Phase) {
        guard let point, point.phase == phase else { return }
        writer.crash(afterMoreBytes: point.bytes)
    }

    /// Kills the recorder at the end of `phase`, after writing what the phase buffered (the last flush it
    /// could have made). Arming buffers nothing of its own: what is on disk then is what a crash leaves.
    func end(_ phase: CrashPoint.Phase) {
        guard let point, point.phase == phase else { return }
        if phase != .arming { try? writer.flush() }
        writer.crashNow()
    }
}
