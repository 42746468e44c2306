import ChangerecSystem

/// What the integration tests make the recorder do that no user asks for, read from the environment in
/// this one place so that ``RecordRequest`` carries only what a user asks for.
struct RecordTestHooks: Sendable {
    /// `CHANGEREC_TEST_STALL_READER=1`: leave the kernel queue unread until the command ends, to force
    /// an overflow.
    var stallReaderUntilExit = false
    /// `CHANGEREC_TEST_CRASH_AT=PHASE:BYTES`: SIGKILL the recorder itself at a chosen point, to test what
    /// a crash leaves behind.
    var crashPoint: CrashPoint?

    /// The hooks the environment asks for; none when it names none.
    static func fromEnvironment() -> RecordTestHooks {
        RecordTestHooks(
            stallReaderUntilExit: Host.environment("CHANGEREC_TEST_STALL_READER") == "1",
            crashPoint: Host.environment("CHANGEREC_TEST_CRASH_AT").flatMap(CrashPoint.init(parsing:)))
    }
}
