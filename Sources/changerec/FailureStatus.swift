import ArgumentParser
import ChangerecKit
import ChangerecSystem

/// A subcommand whose failures (a `ChangerecError` thrown from `run`) exit with a status other than 1.
protocol FailureStatus {
    /// The exit status for `error`.
    static func exitStatus(for error: ChangerecError) -> Int32
}

/// Turns a failure of `command` into its one line on standard error and its exit status: the one place
/// where a `ChangerecError` becomes what the person sees.
func exitReporting(_ error: ChangerecError, of command: any ParsableCommand) -> Never {
    StandardStreams.writeError("changerec: \(error.message)\n")
    let status = (type(of: command) as? any FailureStatus.Type)?.exitStatus(for: error) ?? 1
    Changerec.exit(withError: ExitCode(status))
}

/// Finishes standard output; output that could not be written whole is an error, not a success.
func finishOutput() throws {
    if !StandardStreams.flushOutput() {
        StandardStreams.writeError("changerec: cannot write to standard output\n")
        throw ExitCode(1)
    }
}

/// The raw bytes of the argument that ArgumentParser parsed as `value`, so that a journal path that is
/// not UTF-8 is opened as given.
func rawArgument(_ value: String) -> [UInt8] {
    let raw = RawArguments.all()
    return raw.first { String(decoding: $0, as: UTF8.self) == value } ?? Array(value.utf8)
}

/// The command ArgumentParser parsed as `command`, exactly as its bytes were given: everything after the
/// first `--`.
func rawCommand(_ command: [String]) -> [[UInt8]] {
    let raw = RawArguments.all()
    if let separator = raw.firstIndex(of: Array("--".utf8)), raw.count - separator - 1 == command.count {
        return Array(raw[(separator + 1)...])
    }
    return command.map { Array($0.utf8) }
}
