import ArgumentParser
import ChangerecKit
import ChangerecSystem
import Foundation
import SystemPackage

struct Layer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an OCI image layer from one or more journals and the tree they describe.",
        discussion: """
            With several journals (in step order) the layer is their squash. Files are read from ROOT
            beneath it only (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) and checked against each journal's
            seal: a tree that changed since the step is refused unless --allow-drift. The layer is written to
            a temporary file and renamed on success; a failure leaves nothing behind.
            """)

    @Argument(
        help: ArgumentHelp("Journals, in step order (default: the newest in ./.changerec/).", valueName: "journal"))
    var journals: [String] = []

    @Option(
        name: .long, help: ArgumentHelp("The tree to read (default: the ROOT the journal names).", valueName: "dir"))
    var root: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the layer.", valueName: "file"))
    var output: String?

    @Option(name: .long, help: "Compression: gzip or none.")
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
        guard compress == "gzip" || compress == "none" else {
            throw ValidationError("unknown compression '\(compress)'; use gzip or none")
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
        let paths = try journals.isEmpty ? [journalPath(nil)] : journals.map(rawArgument)
        var changeSets: [ChangeSet] = []
        for path in paths {
            let changeSet: ChangeSet
            do {
                changeSet = try ChangeSet.load(journal: path)
            } catch {
                throw fail(error)
            }
            if !changeSet.isComplete && !force {
                throw fail(
                    ChangerecError(
                        .journalIncomplete,
                        "journal '\(String(decoding: path, as: UTF8.self))' is incomplete (no seal): a layer from it could miss changes; pass --force to build it from its events alone"
                    ))
            }
            if let refusal = changeSet.gapError, !force { throw fail(refusal) }
            changeSets.append(changeSet)
        }
        // Invariant: at least one journal was loaded above.
        let rootPath = root.map(rawArgument) ?? changeSets[changeSets.count - 1].header.root
        let rootFD: FileDescriptor
        do throws(Errno) {
            rootFD = try FileSystem.open(rootPath, flags: O_RDONLY | O_DIRECTORY)
        } catch {
            throw fail(ChangerecError.system("open ROOT", path: String(decoding: rootPath, as: UTF8.self), error))
        }
        defer { FileSystem.close(rootFD) }

        var options = LayerOptions()
        options.gzip = compress == "gzip"
        options.sourceDateEpoch = sourceDateEpoch
        options.allowDrift = allowDrift
        if StandardStreams.errorIsTerminal {
            options.progress = { entries, bytes in
                if bytes >= 64 << 20 {
                    StandardStreams.writeError("\rchangerec: layer: \(entries) entries, \(bytes >> 20) MiB")
                }
            }
        }
        let plan = LayerPlan(squashing: changeSets)
        let layout: OCILayout?
        do {
            layout = try ociLayout.map { (path) throws(ChangerecError) in try OCILayout(path: path) }
        } catch {
            throw fail(error)
        }
        let temporary = output.map { Self.temporaryPath(beside: $0) } ?? layout?.temporaryBlobPath() ?? ""
        PartialOutput.removeOnSignal(temporary)
        defer { PartialOutput.clear() }
        let result: LayerResult
        do throws(ChangerecError) {
            result = try write(plan, root: rootFD, rootPath: rootPath, to: temporary, options: options)
        } catch {
            unlink(temporary)
            throw fail(error)
        }
        if options.progress != nil && result.uncompressedSize >= 64 << 20 { StandardStreams.writeError("\n") }
        do {
            // -o first: the layout is updated only once the layer is in place where it was asked for.
            if let output {
                if rename(temporary, output) != 0 {
                    throw ChangerecError(.system, "cannot move the layer to '\(output)': \(Errno(rawValue: errno))")
                }
            }
            if let layout {
                let blob = output == nil ? temporary : layout.temporaryBlobPath()
                if let output { try FileManager.default.copyItem(atPath: output, toPath: blob) }
                let last = changeSets[changeSets.count - 1].header
                _ = try layout.addLayer(
                    temporaryPath: blob, layer: result, tag: tag,
                    created: Timestamp.iso8601(nanoseconds: last.startNanoseconds),
                    createdBy: changeSets.map {
                        $0.header.argv.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
                    }
                    .joined(separator: " && "))
            }
        } catch let error as ChangerecError {
            unlink(temporary)
            throw fail(error)
        } catch {
            unlink(temporary)
            throw fail(ChangerecError(.system, "cannot write the layer: \(error.localizedDescription)"))
        }
        for drift in result.drift {
            StandardStreams.writeError(
                "changerec: warning: \(drift.path) differs from the seal (\(drift.reason)); written as it is now\n")
        }
        for path in result.skipped {
            StandardStreams.writeError(
                "changerec: warning: \(path) is a socket, which a tar layer cannot hold; left out\n")
        }
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
            StandardStreams.writeOutput(object.text + "\n")
        } else {
            StandardStreams.writeOutput(
                "diff_id \(result.diffID)\ndigest  \(result.digest)\nsize    \(result.size)\nentries \(result.entries)\n"
            )
        }
        try finishOutput()
    }

    private func write(
        _ plan: LayerPlan, root: FileDescriptor, rootPath: [UInt8], to temporary: String, options: LayerOptions
    ) throws(ChangerecError) -> LayerResult {
        let fd: FileDescriptor
        do {
            fd = try FileSystem.open(Array(temporary.utf8), flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
        } catch {
            throw ChangerecError.system("create", path: temporary, error)
        }
        defer { FileSystem.close(fd) }
        return try LayerWriter(root: root, rootPath: rootPath).write(
            plan, to: fd, outputPath: Array(temporary.utf8), options: options)
    }

    /// `DIR/.NAME.partial-PID`, on the output's file system so the final rename is atomic.
    static func temporaryPath(beside output: String) -> String {
        let url = URL(fileURLWithPath: output)
        return url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).partial-\(getpid())"
        ).path
    }
}
