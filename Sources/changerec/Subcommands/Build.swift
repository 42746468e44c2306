import ArgumentParser
import ChangerecKit
import ChangerecSystem
import FoundationEssentials

struct Build: ParsableCommand, FailureStatus {
    static let configuration = CommandConfiguration(
        abstract: "Build an OCI image from a Containerfile, every layer from a recorded step's journal.",
        usage: "changerec build [-f <file>] [<options>] --oci-layout <dir>",
        discussion: """
            FROM is scratch or oci:LAYOUT[:TAG] (an OCI image layout, e.g. made by skopeo copy \
            docker://debian:12 oci:base:12), whose layers are applied to the root file system and \
            whose config is carried over. Each RUN runs as 'changerec run' runs a command (chrooted, \
            in a private mount namespace, nothing mounted for it recorded); each COPY and ADD of \
            local files is a recorded copy, and ADD extracts a local tar archive (plain, gzip or \
            zstd). Every RUN, COPY and ADD is one step and one layer, its history's created_by the \
            instruction as written; ENV, ARG, WORKDIR, USER, CMD, ENTRYPOINT, LABEL, EXPOSE, SHELL \
            and STOPSIGNAL go into the image config. The whole Containerfile is read and checked \
            before any step runs: multi-stage COPY --from, RUN --mount, ONBUILD, HEALTHCHECK and \
            remote ADD are refused with the line that asks for them.

            The steps run in --rootfs (an empty or absent directory, left as the image's tree with each \
            step's journal in ROOTFS/.changerec/) or in a temporary directory removed afterwards. Needs \
            root.

            EXIT STATUS: 0 when the image is written; 1 when the Containerfile is refused, a step fails \
            (the message names its line) or the build cannot go on.

            EXAMPLES:
              skopeo copy docker://debian:12 oci:base:12
              changerec build -f Containerfile --oci-layout image --tag app
              changerec build --build-arg VERSION=1.2 --rootfs root --oci-layout image
              podman run --rm oci:image:app
            """)

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp(
            "The Containerfile (default: CONTEXT/Containerfile, else CONTEXT/Dockerfile).", valueName: "file"))
    var file: String?

    @Option(name: .long, help: ArgumentHelp("The build context, where COPY and ADD sources are.", valueName: "dir"))
    var context: String = "."

    @Option(name: .long, help: ArgumentHelp("A value for an ARG (repeatable).", valueName: "K=V"))
    var buildArg: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp("Run the steps in this empty or absent directory and keep it.", valueName: "dir"))
    var rootfs: String?

    @OptionGroup var watcher: BackendArgument

    @OptionGroup(title: "Layer options") var layerArguments: LayerArguments

    @Flag(
        name: .long,
        help: "End with one JSON object on standard output: the manifest's digest and the journals kept with --rootfs.")
    var json = false

    func validate() throws {
        guard layerArguments.ociLayout != nil else {
            throw ValidationError("--oci-layout DIR is required: it is where the image goes")
        }
        if let bad = buildArg.first(where: { !$0.contains("=") || $0.hasPrefix("=") }) {
            throw ValidationError("--build-arg '\(bad)' is not K=V")
        }
    }

    func run() throws {
        let ociLayout = layerArguments.ociLayout ?? ""
        let tag = layerArguments.imageTag
        try ImageBuild.checkPrivileges()
        let containerfile = try readContainerfile()
        // COPY and ADD run this very executable as their recorded step.
        let copier: [UInt8]
        do {
            copier = try FileSystem.symlinkTarget(of: Array("/proc/self/exe".utf8), in: .currentWorkingDirectory)
        } catch {
            throw ChangerecError.system(
                "find changerec's own executable (COPY and ADD run it) through", path: "/proc/self/exe", error)
        }
        let contextPath: [UInt8]
        do {
            contextPath = try FileSystem.canonicalPath(rawArgument(context))
        } catch {
            throw ChangerecError.system("open the build context", path: context, error)
        }
        let (root, temporary) = try prepareRootfs()
        defer { if temporary { removeTemporary(root) } }
        var request = ImageBuildRequest(
            containerfile: containerfile, context: contextPath,
            layout: ociLayout, tag: tag, rootfs: root, copyCommand: [copier, Array("copy-into".utf8)],
            announce: { line in
                if line.hasPrefix("changerec: ") {
                    StandardStreams.writeError(line + "\n")
                } else {
                    StandardStreams.writeOutput(line + "\n")
                    // Before the step's own output, which goes straight to the terminal.
                    _ = StandardStreams.flushOutput()
                }
            })
        request.backend = watcher.choice
        request.layerOptions = layerArguments.options
        for argument in buildArg {
            let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            request.buildArguments[String(parts[0])] = String(parts[1])
        }
        let outcome = try ImageBuild(request).run()
        if json {
            var object = JSONObject()
            object.add("manifest_digest", outcome.manifestDigest)
            object.add("oci_layout", ociLayout)
            object.add("tag", tag)
            // A temporary root file system goes, and its journals with it: only kept ones are named.
            let kept = temporary ? [] : outcome.journals
            object.add("journals", strings: kept.map { String(decoding: $0, as: UTF8.self) })
            StandardStreams.writeOutput(object.text + "\n")
        } else {
            StandardStreams.writeOutput(
                "--> image \(tag) in OCI layout '\(ociLayout)': manifest \(outcome.manifestDigest)\n")
        }
        try finishOutput()
    }

    static func exitStatus(for error: ChangerecError) -> Int32 { 1 }

    // MARK: - Inputs

    private func readContainerfile() throws(ChangerecError) -> Containerfile {
        let candidates = file.map { [$0] } ?? ["Containerfile", "Dockerfile"].map { context + "/" + $0 }
        for path in candidates {
            let bytes: [UInt8]
            do {
                let descriptor = try FileSystem.open(rawArgument(path), .readOnly)
                defer { FileSystem.close(descriptor) }
                bytes = try FileSystem.readAll(descriptor)
            } catch .noSuchFileOrDirectory where file == nil {
                continue
            } catch {
                throw ChangerecError.system("read the Containerfile", path: path, error)
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw ChangerecError(.usage, "Containerfile '\(path)' is not UTF-8 text")
            }
            return try Containerfile.parse(text, file: path)
        }
        throw ChangerecError(
            .usage, "no Containerfile or Dockerfile in '\(context)'; name one with -f FILE or give --context DIR")
    }

    /// `--rootfs` (made when absent, refused unless empty), or a new temporary directory.
    private func prepareRootfs() throws(ChangerecError) -> (path: [UInt8], temporary: Bool) {
        guard let rootfs else {
            let base = Host.environment("TMPDIR").flatMap { $0.isEmpty ? nil : $0 } ?? "/var/tmp"
            let path = "\(base)/changerec-build-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
            do {
                try FileSystem.makeDirectory(Array(path.utf8), mode: 0o755)
            } catch {
                throw ChangerecError.system("create the build's root file system", path: path, error)
            }
            return (Array(path.utf8), true)
        }
        let path = rawArgument(rootfs)
        do {
            try FileSystem.makeDirectory(path, mode: 0o755)
        } catch .fileExists {
            let entries: [DirectoryEntry]
            do {
                let directory = try FileSystem.open(path, .readOnly, options: .directory)
                defer { FileSystem.close(directory) }
                entries = try DirectoryReader.entries(of: directory)
            } catch {
                throw ChangerecError(.usage, "--rootfs '\(rootfs)' is not a directory that can be read: \(error)")
            }
            guard entries.isEmpty else {
                throw ChangerecError(
                    .usage,
                    "--rootfs '\(rootfs)' is not empty; give an empty or absent directory, or leave --rootfs out")
            }
        } catch {
            throw ChangerecError.system("create --rootfs", path: rootfs, error)
        }
        do {
            return (try FileSystem.canonicalPath(path), false)
        } catch {
            throw ChangerecError.system("resolve --rootfs", path: rootfs, error)
        }
    }

    private func removeTemporary(_ path: [UInt8]) {
        let shown = String(decoding: path, as: UTF8.self)
        do {
            try FileManager.default.removeItem(atPath: shown)
        } catch {
            StandardStreams.writeError("changerec: warning: could not remove the build's root file system '\(shown)'\n")
        }
    }
}
