import ArgumentParser
import ChangerecKit
import ChangerecSystem

@main
struct Changerec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changerec",
        abstract: "Record what a build step changes in a directory tree, as it happens.",
        discussion: """
            changerec -- CMD [ARGS...] runs CMD, watches ROOT (default: the current directory) while it \
            runs, and writes every change it makes to a journal in ROOT/.changerec/. From journals, \
            'show' prints one record by record, 'changes' lists what a step changed, 'diff' compares two \
            steps or two runs, and 'layer' writes an OCI image layer. 'run' runs and records a step \
            chrooted into a root file system, and 'build' makes an OCI image from a Containerfile, each \
            layer from a recorded step.

            EXIT STATUS: the subcommand's; with none named, record's (the command's own status).

            EXAMPLES:
              Record a step (the change list goes to standard error):
                changerec -- make install
              List the newest journal's changes as JSON, for jq:
                changerec changes --json | jq -r '.changes[].path'
              Compare two steps:
                changerec diff .changerec/0001.journal .changerec/0002.journal
              Record a step and add its layer to an OCI image layout:
                changerec --oci-layout image --tag v1 -- sh -c 'apt-get install -y curl'
              Build an image from a Containerfile:
                changerec build --oci-layout image --tag app
            """,
        version: version,
        subcommands: [
            Record.self, Run.self, Build.self, Show.self, Changes.self, Diff.self, Layer.self, CopyInto.self,
        ],
        defaultSubcommand: Record.self
    )

    /// The release, and the commit it was built from when it was built from a git checkout, as
    /// `git describe --tags --always --dirty` names it.
    static let version = "0.1.0" + (gitDescription.map { " (\($0))" } ?? "")

    /// As ArgumentParser's, except that `diff` reports a usage error with status 2, as diff(1) does, that
    /// a `ChangerecError` is one line and the subcommand's status (``FailureStatus``), and that the
    /// arguments come from ``RawArguments``, which needs no `/proc`.
    static func main() {
        Host.restoreEnvironment()
        let arguments = Array(RawArguments.strings().dropFirst())
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            // Help and --version are not errors: they keep ArgumentParser's success status and stdout.
            if arguments.first == "diff", !(error is ExitCode), exitCode(for: error) != .success {
                StandardStreams.writeError(fullMessage(for: error) + "\n")
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
        do {
            try command.run()
        } catch let error as ChangerecError {
            exitReporting(error, of: command)
        } catch {
            exit(withError: error)
        }
    }
}
