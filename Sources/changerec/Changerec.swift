import ArgumentParser

@main
struct Changerec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changerec",
        abstract: "Record what a build step changes in a directory tree, as it happens.",
        discussion: """
            changerec -- CMD [ARGS...] runs CMD, watches ROOT (default: the current directory) while it
            runs, and writes every change to a journal in ROOT/.changerec/. 'show' prints a journal,
            'changes' prints what the step changed.
            """,
        version: "0.1.0",
        subcommands: [Record.self, Show.self, Changes.self, Layer.self],
        defaultSubcommand: Record.self
    )
}
