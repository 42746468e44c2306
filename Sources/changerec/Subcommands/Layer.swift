import ArgumentParser
import ChangerecKit
import ChangerecSystem

struct Layer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an OCI image layer from one or more journals and the tree they describe.",
        discussion: """
            With several journals (in step order) the layer is their squash. Files are read from ROOT
            beneath it only (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) and checked against each journal's
            seal: a tree that changed since the step is refused unless --allow-drift; so is a ROOT that is not
            the directory recorded (replaced, or now a symbolic link) unless --root names a tree on purpose.
            -o FILE is written to a temporary file and renamed on success, so a failure leaves nothing behind;
            -o - (standard output), a fifo or a character device is streamed to, and the digests go to
            standard error when standard output carries the layer.
            """)

    @Argument(
        help: ArgumentHelp("Journals, in step order (default: the newest in ./.changerec/).", valueName: "journal"))
    var journals: [String] = []

    @Option(
        name: .long, help: ArgumentHelp("The tree to read (default: the ROOT the journal names).", valueName: "dir"))
    var root: String?

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("Where to write the layer ('-' for standard output).", valueName: "file"))
    var output: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Compression: gzip (level 6, on every processor, pigz-style), zstd (level 3, needs libzstd.so.1) or none.",
            valueName: "gzip|zstd|none"))
    var compress: String = "gzip"

    @Option(
        name: .long,
        help: ArgumentHelp("Clamp every mtime to this time (seconds since the epoch).", valueName: "seconds"))
    var sourceDateEpoch: Int64?

    @Flag(name: .long, help: "Write the tree as it is now where it no longer matches the seal.")
    var allowDrift = false

    @Flag(
        name: .long,
        help: "Accept journals cut short (no seal) or naming unreadable paths: read those from the tree as it is now."
    )
    var force = false

    @Option(
        name: .long,
        help: ArgumentHelp("Add the layer to this OCI image layout (created if missing).", valueName: "dir"))
    var ociLayout: String?

    @Option(name: .long, help: ArgumentHelp("The image tag in the layout to append to.", valueName: "name"))
    var tag: String = "latest"

    @Flag(name: .long, help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard LayerCompression(rawValue: compress) != nil else {
            throw ValidationError("unknown compression '\(compress)'; use gzip, zstd or none")
        }
        // The image spec's ref.name: letters, digits and a few separators.
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:/@+")
        guard !tag.isEmpty, tag.allSatisfy({ allowed.contains($0) }) else {
            throw ValidationError("tag '\(tag)' is not a valid image reference name (letters, digits and ._-:/@+)")
        }
        guard output != nil || ociLayout != nil else {
            throw ValidationError("say where the layer goes: -o FILE, --oci-layout DIR, or both")
        }
    }

    func run() throws {
        var request = LayerRequest(
            journals: try journals.isEmpty ? [JournalArgument.newest()] : journals.map(rawArgument))
        request.root = root.map(rawArgument)
        request.output = output
        request.ociLayout = ociLayout
        request.tag = tag
        request.force = force
        request.options = layerOptions()
        let job = try LayerJob(request)
        for warning in job.warnings { StandardStreams.writeError("changerec: warning: \(warning)\n") }
        let result = try job.run()
        if request.options.progress != nil && result.uncompressedSize >= 64 << 20 { StandardStreams.writeError("\n") }
        report(result, summaryToError: job.streamsToStandardOutput)
        try finishOutput()
    }

    private func layerOptions() -> LayerOptions {
        var options = LayerOptions()
        // Invariant: validate() accepted only a LayerCompression's name.
        options.compression = LayerCompression(rawValue: compress) ?? .gzip
        options.sourceDateEpoch = sourceDateEpoch
        options.allowDrift = allowDrift
        if StandardStreams.errorIsTerminal {
            options.progress = { entries, bytes in
                if bytes >= 64 << 20 {
                    StandardStreams.writeError("\rchangerec: layer: \(entries) entries, \(bytes >> 20) MiB")
                }
            }
        }
        return options
    }

    /// Warnings, then the digests: on standard output, or on standard error when standard output carries
    /// the layer itself.
    private func report(_ result: LayerResult, summaryToError: Bool) {
        for drift in result.drift {
            StandardStreams.writeError(
                "changerec: warning: \(drift.path) differs from the seal (\(drift.reason)); written as it is now\n")
        }
        for path in result.skipped {
            StandardStreams.writeError(
                "changerec: warning: \(path) is a socket, which a tar layer cannot hold; left out\n")
        }
        let summary: String
        if json {
            var object = JSONObject()
            object.add("diff_id", result.diffID)
            object.add("digest", result.digest)
            object.add("size", result.size)
            object.add("uncompressed_size", result.uncompressedSize)
            object.add("media_type", result.mediaType)
            object.add("entries", result.entries)
            if let output { object.add("output", output) }
            if let ociLayout { object.add("oci_layout", ociLayout) }
            summary = object.text + "\n"
        } else {
            summary =
                "diff_id \(result.diffID)\ndigest  \(result.digest)\nsize    \(result.size)\nentries \(result.entries)\n"
        }
        if summaryToError { StandardStreams.writeError(summary) } else { StandardStreams.writeOutput(summary) }
    }
}
