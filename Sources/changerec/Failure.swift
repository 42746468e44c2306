import ArgumentParser
import ChangerecKit
import ChangerecSystem

/// Prints `error` as one line on standard error and exits with `status`.
func fail(_ error: ChangerecError, status: Int32 = 1) -> ExitCode {
    StandardStreams.writeError("changerec: \(error.message)\n")
    return ExitCode(status)
}

/// Finishes standard output; output that could not be written whole is an error, not a success.
func finishOutput() throws {
    if !StandardStreams.flushOutput() {
        StandardStreams.writeError("changerec: cannot write to standard output\n")
        throw ExitCode(1)
    }
}

/// The journal named on the command line, or the newest one in `./.changerec/`.
func journalPath(_ given: String?) throws -> [UInt8] {
    if let given { return rawArgument(given) }
    do {
        return try JournalLocation.newest(in: Array(".".utf8))
    } catch {
        throw fail(error)
    }
}

/// The raw bytes of the argument that ArgumentParser parsed as `value`, so that a journal path that is
/// not UTF-8 is opened as given.
func rawArgument(_ value: String) -> [UInt8] {
    let raw = RawArguments.all()
    return raw.first { String(decoding: $0, as: UTF8.self) == value } ?? Array(value.utf8)
}
