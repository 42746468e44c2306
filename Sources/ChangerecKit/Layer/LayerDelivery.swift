import ChangerecSystem
import FoundationEssentials
import SystemPackage

/// Writes a planned layer where it was asked for — a file renamed into place, a stream, an OCI image
/// layout, or a file or stream and a layout — so that nothing that is not a whole layer is ever left
/// looking like one.
///
/// - A file (`LayerOutput.replace`) is written to a temporary file beside it and renamed over it only
///   on success, and only if the name still holds a regular file or nothing just before the rename.
/// - A stream cannot take back what it was sent: a failure midway is reported with a note that the bytes
///   already streamed are not a whole layer (the tar end-of-archive blocks and the gzip trailer are never
///   written after a failure, so no reader can take them for one either).
/// - With a layout, the layer is written whole into the layout's blob directory first; a stream then
///   gets a copy of that blob, so a drift or read failure reaches the stream before any byte does. The
///   layout's index names the layer only once the file or stream has it whole.
public struct LayerDelivery {
    public var writer: LayerWriter
    public var plan: LayerPlan
    public var options: LayerOptions
    public var layout: OCILayout?
    public var tag: String
    public var history: LayerHistory
    /// Called once the layer is written whole and before anything names it (the rename, the layout's
    /// index): `record --layer` completes its journal there, so a layer is never published for a journal
    /// left incomplete. What it throws fails the delivery and removes what was written, except bytes
    /// already streamed.
    var beforePublishing: ((LayerResult) throws(ChangerecError) -> Void)?

    public init(
        writer: LayerWriter, plan: LayerPlan, options: LayerOptions, layout: OCILayout?, tag: String,
        history: LayerHistory
    ) {
        self.writer = writer
        self.plan = plan
        self.options = options
        self.layout = layout
        self.tag = tag
        self.history = history
    }

    /// Writes the layer to `path` (temporary file, then rename), then into the layout if there is one.
    public func replacing(_ path: String) throws(ChangerecError) -> LayerResult {
        let temporary = Self.temporaryPath(beside: path)
        let bytes = Array(temporary.utf8)
        let descriptor: FileDescriptor
        do {
            descriptor = try FileSystem.open(bytes, .writeOnly, options: [.create, .exclusiveCreate, .noFollow])
        } catch {
            throw ChangerecError.system("create", path: temporary, error)
        }
        PartialOutput.removeOnSignal(temporary)
        defer { PartialOutput.clear() }
        let result: LayerResult
        do throws(ChangerecError) {
            defer { FileSystem.close(descriptor) }
            result = try writer.write(plan, to: descriptor, outputPath: bytes, options: options)
            try beforePublishing?(result)
            // Checked again just before the rename: the name may have become something else meanwhile.
            guard try LayerOutput.classify(path) == .replace(path) else {
                throw ChangerecError(
                    .usage, "will not rename the layer over '\(path)': it is no longer a regular file or absent")
            }
            do {
                try FileSystem.rename(bytes, to: Array(path.utf8))
            } catch {
                throw ChangerecError.system("move the layer to", path: path, error)
            }
        } catch {
            try? FileSystem.unlink(bytes)
            throw error
        }
        guard let layout else { return result }
        let blob = try layout.createTemporaryBlob()
        PartialOutput.removeOnSignal(blob.path)
        do {
            defer { FileSystem.close(blob.descriptor) }
            let source = try FileSystem.open(Array(path.utf8), .readOnly, options: .noFollow)
            defer { FileSystem.close(source) }
            try FileSystem.copyAll(from: source, to: blob.descriptor)
            try FileSystem.sync(blob.descriptor)
        } catch {
            layout.removeTemporaryBlob(blob.name)
            throw ChangerecError.system("copy the layer into", path: blob.path, error)
        }
        return try addToLayout(blob.name, result)
    }

    /// Streams the layer to a fifo, a character device or standard output (after writing it into the
    /// layout, if there is one).
    public func streaming(to output: LayerOutput) throws(ChangerecError) -> LayerResult {
        StandardStreams.reportBrokenPipes()
        guard let layout else {
            let stream = try output.openStream()
            defer { if output != .standardOutput { FileSystem.close(stream) } }
            do {
                let result = try writer.write(plan, to: stream, outputPath: Array(output.path.utf8), options: options)
                try beforePublishing?(result)
                return result
            } catch {
                throw ChangerecError(error.code, error.message + output.cutShortNote, errno: error.errno)
            }
        }
        let (result, name) = try writeTemporaryBlob(layout)
        do throws(ChangerecError) {
            try beforePublishing?(result)
            let stream = try output.openStream()
            defer { if output != .standardOutput { FileSystem.close(stream) } }
            let source = try layout.openTemporaryBlob(name)
            defer { FileSystem.close(source) }
            do {
                try FileSystem.copyAll(from: source, to: stream)
            } catch {
                throw ChangerecError(
                    .system, "cannot write the layer to \(output.name): \(error)\(output.cutShortNote)", errno: error)
            }
        } catch {
            layout.removeTemporaryBlob(name)
            throw error
        }
        return try addToLayout(name, result)
    }

    /// Writes the layer into the layout alone.
    public func intoLayoutOnly() throws(ChangerecError) -> LayerResult {
        // Invariant: the command requires -o or --oci-layout, and -o was not given.
        guard let layout else { preconditionFailure("a layer with neither an output nor a layout") }
        let (result, name) = try writeTemporaryBlob(layout)
        do throws(ChangerecError) {
            try beforePublishing?(result)
        } catch {
            layout.removeTemporaryBlob(name)
            PartialOutput.clear()
            throw error
        }
        return try addToLayout(name, result)
    }

    private func writeTemporaryBlob(_ layout: OCILayout) throws(ChangerecError) -> (LayerResult, [UInt8]) {
        let blob = try layout.createTemporaryBlob()
        PartialOutput.removeOnSignal(blob.path)
        do throws(ChangerecError) {
            defer { FileSystem.close(blob.descriptor) }
            let result = try writer.write(
                plan, to: blob.descriptor, outputPath: Array(blob.path.utf8), options: options)
            return (result, blob.name)
        } catch {
            layout.removeTemporaryBlob(blob.name)
            PartialOutput.clear()
            throw error
        }
    }

    /// Names the written blob in the layout; `result` with the new manifest's digest.
    private func addToLayout(_ name: [UInt8], _ result: LayerResult) throws(ChangerecError) -> LayerResult {
        guard let layout else { return result }
        defer { PartialOutput.clear() }
        var added = result
        do {
            added.manifestDigest = try layout.addLayer(
                temporaryName: name, layer: result, tag: tag, created: history.created, createdBy: history.createdBy,
                journals: history.journals)
        } catch {
            layout.removeTemporaryBlob(name)
            throw error
        }
        return added
    }

    /// `DIR/.NAME.partial-PID`, on the output's file system so the final rename is atomic.
    public static func temporaryPath(beside output: String) -> String {
        let url = URL(fileURLWithPath: output)
        return url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)"
        ).path
    }
}
