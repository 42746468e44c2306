import ArgumentParser
import ChangerecKit
import ChangerecSystem

/// The copy a Containerfile's COPY or ADD makes, run by `changerec build` as the child of a recorded
/// step so that its layer comes from a journal like every RUN's. Not for people: hidden from help.
struct CopyInto: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy-into",
        abstract: "Copy build context sources into a root file system, as COPY does (used by build).",
        discussion: """
            EXIT STATUS: 0 when everything was copied, 1 otherwise.
            """,
        shouldDisplay: false)

    @Option(name: .long, help: ArgumentHelp("The build context the sources are in.", valueName: "dir"))
    var context: String

    @Option(name: .long, help: ArgumentHelp("The root file system to copy into.", valueName: "dir"))
    var rootfs: String

    @Option(name: .long, help: ArgumentHelp("Where the sources go, as COPY writes it.", valueName: "dest"))
    var destination: String

    @Option(name: .long, help: ArgumentHelp("The working directory a relative destination is in.", valueName: "dir"))
    var workdir: String = "/"

    @Option(
        name: .long, help: ArgumentHelp("The owner of the copies, from ROOTFS's passwd.", valueName: "user[:group]"))
    var chown: String?

    @Option(name: .long, help: ArgumentHelp("The mode of the copies, in octal.", valueName: "mode"))
    var chmod: String?

    @Flag(name: .long, help: "Extract a source that is a tar archive into the destination, as ADD does.")
    var extractArchives = false

    @Argument(help: ArgumentHelp("The sources, relative to the context (wildcards allowed).", valueName: "src"))
    var sources: [String]

    func validate() throws {
        guard !sources.isEmpty else { throw ValidationError("name at least one source after --") }
        if let chmod, OctalMode.permissions(parsing: chmod) == nil {
            throw ValidationError("--chmod '\(chmod)' is not an octal mode such as 0755")
        }
    }

    func run() throws {
        var copy = ContextCopy(
            context: rawArgument(context), sources: sources.map(rawArgument), rootfs: rawArgument(rootfs),
            destination: rawArgument(destination), workingDirectory: rawArgument(workdir), owner: chown,
            mode: chmod.flatMap(OctalMode.permissions(parsing:)))
        copy.extractsArchives = extractArchives
        try copy.run()
    }
}
