import ArgumentParser
import ChangerecKit

/// `--backend`, for every subcommand that records: record, run and build.
struct BackendArgument: ParsableArguments {
    @Option(
        name: .long,
        help: "Watcher backend: auto (fanotify where permitted, else inotify), fanotify (needs root) or inotify.",
        completion: .list(["auto", "fanotify", "inotify"]))
    var backend: String = "auto"

    var choice: BackendChoice { BackendChoice(rawValue: backend) ?? .auto }

    func validate() throws {
        guard BackendChoice(rawValue: backend) != nil else {
            throw ValidationError("unknown backend '\(backend)'; use auto, fanotify or inotify")
        }
    }
}
