import ArgumentParser
import ChangerecKit

/// What `record` and `run` share about the step itself: the watcher backend and what is printed when
/// the command ends.
struct StepArguments: ParsableArguments {
    @Option(
        name: .long,
        help: "Watcher backend: auto (fanotify where permitted, else inotify), fanotify (needs root) or inotify.",
        completion: .list(["auto", "fanotify", "inotify"]))
    var backend: String = "auto"

    @Flag(name: .long, help: "Print nothing when the command ends.")
    var quiet = false

    @Flag(name: .long, help: "Print the change set as one JSON object on standard error instead of text.")
    var json = false

    var backendChoice: BackendChoice { BackendChoice(rawValue: backend) ?? .auto }

    func validate() throws {
        guard BackendChoice(rawValue: backend) != nil else {
            throw ValidationError("unknown backend '\(backend)'; use auto, fanotify or inotify")
        }
    }
}
