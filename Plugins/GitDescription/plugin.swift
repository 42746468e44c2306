import Foundation
import PackagePlugin

/// Writes `GitDescription.swift` before every build of the target it is applied to: the constant
/// `gitDescription`, what `git describe --tags --always --dirty` says of the package's checkout, or
/// `nil` when it is not a git checkout (a source archive) or git is missing. The file is rewritten only
/// when that changes, so an unchanged checkout recompiles nothing.
@main
struct GitDescription: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "GitDescription.swift")
        let script = """
            if d=$(git -C "$1" describe --tags --always --dirty 2>/dev/null); then value="\\"$d\\""; else value=nil; fi
            text="let gitDescription: String? = $value"
            [ "$(cat "$2" 2>/dev/null)" = "$text" ] || printf '%s\\n' "$text" > "$2"
            """
        return [
            .prebuildCommand(
                displayName: "Reading the git description of the checkout",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", context.package.directoryURL.path, output.path],
                outputFilesDirectory: context.pluginWorkDirectoryURL)
        ]
    }
}
