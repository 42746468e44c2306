import ArgumentParser
import ChangerecKit

/// What `record` and `run` share about the step itself: the watcher backend and what is printed when
/// the command ends.
struct StepArguments: ParsableArguments {
    @OptionGroup var watcher: BackendArgument

    @Flag(name: .long, help: "Print nothing when the command ends.")
    var quiet = false

    @Flag(name: .long, help: "Print the change set as one JSON object on standard error instead of text.")
    var json = false

    var backendChoice: BackendChoice { watcher.choice }
}
