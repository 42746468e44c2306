import ChangerecSystem
import FoundationEssentials
import SystemPackage

/// An OCI image layout directory (image-spec `image-layout.md`): `oci-layout`, `index.json` and content-
/// addressed blobs under `blobs/sha256/`. A layer is added as the next layer of the image a tag names
/// (a new image when the tag is new): a new config (`rootfs.diff_ids`, `history`) and manifest are
/// written and the index is replaced atomically.
///
/// The layout directory itself is the one the user named (a symbolic link to it is followed). Inside it
/// nothing is reached through a symbolic link: `blobs`, `blobs/sha256` and every file are opened beneath
/// the layout's descriptor with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`, and a file is replaced
/// (written beside it, renamed over it) only when it is a regular file or absent — a symbolic link, fifo
/// or device in its place is refused, never renamed over nor written through.
public final class OCILayout {
    /// The layout directory as named, for messages.
    public let path: String
    let directory: FileDescriptor
    let blobs: FileDescriptor

    /// Opens the layout at `path`, creating it if missing.
    ///
    /// - Throws: `ChangerecError` when the directory holds something that is not an OCI layout, or a
    ///   symbolic link or special file where the layout has a directory or a regular file.
    public init(path: String) throws(ChangerecError) {
        self.path = path
        var opened: [FileDescriptor] = []
        do throws(ChangerecError) {
            let directory = try Self.openDirectory(path)
            opened.append(directory)
            if let marker = try Self.readIfPresent("oci-layout", in: directory, layout: path) {
                guard (try? JSONDecoder().decode(OCILayoutMarker.self, from: Data(marker))) == .current else {
                    throw ChangerecError(.usage, "'\(path)' is not an OCI image layout (bad oci-layout file)")
                }
            } else {
                try Self.replace(
                    "oci-layout", in: directory, with: try Self.json(OCILayoutMarker.current), layout: path)
            }
            // Only once the directory is known to be a layout (or made one) does it get a blob directory.
            let parent = try Self.subdirectory("blobs", in: directory, layout: path)
            opened.append(parent)
            let blobs = try Self.subdirectory("sha256", in: parent, layout: path, shown: "blobs/sha256")
            FileSystem.close(parent)
            opened.removeLast()
            if try Self.readIfPresent("index.json", in: directory, layout: path) == nil {
                try Self.replace("index.json", in: directory, with: Self.json(OCIIndex.empty), layout: path)
            }
            self.directory = directory
            self.blobs = blobs
        } catch {
            for descriptor in opened { FileSystem.close(descriptor) }
            throw error
        }
    }

    deinit {
        FileSystem.close(blobs)
        FileSystem.close(directory)
    }

    /// Creates an empty temporary file in the blob directory, where a layer is written before its digest
    /// is known, so that moving it to its digest name is a rename in one directory.
    ///
    /// - Returns: the open file, its name in `blobs/sha256/` and its path (for messages and for removal
    ///   on a signal).
    public func createTemporaryBlob() throws(ChangerecError) -> (
        descriptor: FileDescriptor, name: [UInt8], path: String
    ) {
        let name = ".partial-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
        let shown = "\(path)/blobs/sha256/\(name)"
        do {
            let descriptor = try FileSystem.open(
                Array(name.utf8), relativeTo: blobs, .writeOnly, options: [.create, .exclusiveCreate, .noFollow])
            return (descriptor, Array(name.utf8), shown)
        } catch {
            throw ChangerecError.system("create", path: shown, error)
        }
    }

    /// Opens a temporary blob, once written, to read it back.
    public func openTemporaryBlob(_ name: [UInt8]) throws(ChangerecError) -> FileDescriptor {
        do {
            return try FileSystem.openBeneath(name, in: blobs, .readOnly)
        } catch {
            throw ChangerecError.system("open", path: "\(path)/blobs/sha256/\(printable(name))", error)
        }
    }

    /// Removes a temporary blob left by a failure; one already gone is no error.
    public func removeTemporaryBlob(_ name: [UInt8]) {
        try? FileSystem.unlink(name, in: blobs)
    }

    /// Adds the layer blob written to the temporary `temporaryName` (renamed to its digest) to the image
    /// `tag` names.
    ///
    /// - Returns: the new manifest's digest.
    public func addLayer(
        temporaryName: [UInt8], layer: LayerResult, tag: String, created: String, createdBy: String,
        journals: [String] = []
    ) throws(ChangerecError) -> String {
        let layerHex = Array(layer.digest.dropFirst("sha256:".count).utf8)
        if try Self.isRegularFile(layerHex, in: blobs, layout: path, shown: "blobs/sha256/") {
            removeTemporaryBlob(temporaryName)
        } else {
            do {
                try FileSystem.rename(temporaryName, to: layerHex, in: blobs)
            } catch {
                throw ChangerecError.system("move the layer into", path: path, error)
            }
        }
        var config = OCIImageConfig(architecture: Host.ociArchitecture())
        var layers: [OCIDescriptor] = []
        if let (manifest, existing) = try image(tag: tag) {
            layers = manifest.layers ?? []
            config = existing
        }
        config.append(
            diffID: layer.diffID,
            history: OCIHistory(created: created, createdBy: createdBy, comment: "recorded by changerec"))
        layers.append(
            OCIDescriptor(
                mediaType: layer.mediaType, digest: layer.digest, size: Int64(layer.size),
                annotations: journals.isEmpty
                    ? nil : [LayerHistory.journalsAnnotation: .string(journals.joined(separator: ","))]))
        return try commit(config: config, layers: layers, tag: tag)
    }

    /// Removes the manifest an append replaced, and its config, when nothing in the index refers to them
    /// any more (another tag may name the same manifest, or a manifest the same config). Its layers stay:
    /// the new manifest names them. Best effort, after the index is replaced: what is left is only unused.
    func removeUnreferenced(_ manifestDigest: String, index: OCIIndex) {
        let remaining = index.manifests ?? []
        guard !remaining.contains(where: { $0.digest == manifestDigest }),
            let old = try? Self.decode(OCIManifest.self, try blob(manifestDigest))
        else { return }
        var configsInUse: Set<String> = []
        for entry in remaining {
            if let digest = entry.digest, let manifest = try? Self.decode(OCIManifest.self, try blob(digest)),
                let config = manifest.config?.digest
            {
                configsInUse.insert(config)
            }
        }
        var unused = [manifestDigest]
        if let config = old.config?.digest, !configsInUse.contains(config) { unused.append(config) }
        for digest in unused {
            try? FileSystem.unlink(Array(digest.dropFirst("sha256:".count).utf8), in: blobs)
        }
    }

    /// Refuses journals whose recordings are already layers of the image `tag` names: appending one again
    /// would stack the same changes twice.
    ///
    /// - Parameter journals: each journal's identity (``LayerHistory/journalIdentity(_:)``) and its path.
    /// - Throws: `ChangerecError` `.usage` naming the first such journal.
    public func refuseJournalsInImage(_ journals: [(identity: String, path: [UInt8])], tag: String)
        throws(ChangerecError)
    {
        guard let indexBytes = try Self.readIfPresent("index.json", in: directory, layout: path) else { return }
        let index = try Self.decode(OCIIndex.self, indexBytes)
        guard
            let digest = index.manifests?.first(where: { $0.annotations?[OCIDescriptor.refName] == .string(tag) })?
                .digest
        else { return }
        let manifest = try Self.decode(OCIManifest.self, try blob(digest))
        var inImage: Set<Substring> = []
        for layer in manifest.layers ?? [] {
            if case .string(let list)? = layer.annotations?[LayerHistory.journalsAnnotation] {
                inImage.formUnion(list.split(separator: ","))
            }
        }
        guard let repeated = journals.first(where: { inImage.contains(Substring($0.identity)) }) else { return }
        throw ChangerecError(
            .usage,
            "journal '\(printable(repeated.path))' is already a layer of image '\(tag)' in OCI layout '\(path)'; appending it again would stack its changes twice"
        )
    }

    // MARK: - Files

    func blob(_ digest: String) throws(ChangerecError) -> [UInt8] {
        let name = String(digest.dropFirst("sha256:".count))
        guard let bytes = try Self.readIfPresent(Array(name.utf8), in: blobs, layout: path, shown: "blobs/sha256/")
        else {
            throw ChangerecError(.system, "cannot update OCI layout '\(path)': blob \(digest) is missing")
        }
        return bytes
    }

    func store(_ data: [UInt8]) throws(ChangerecError) -> String {
        let hex = ContentDigest.sha256Hex(data)
        if try !Self.isRegularFile(Array(hex.utf8), in: blobs, layout: path, shown: "blobs/sha256/") {
            try Self.replace(Array(hex.utf8), in: blobs, with: data, layout: path, shown: "blobs/sha256/")
        }
        return "sha256:" + hex
    }

    private static func openDirectory(_ path: String) throws(ChangerecError) -> FileDescriptor {
        do {
            return try FileSystem.open(Array(path.utf8), .readOnly, options: .directory)
        } catch .noSuchFileOrDirectory {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw ChangerecError(.system, "cannot create OCI layout '\(path)': \(foundationMessage(error))")
            }
            do {
                return try FileSystem.open(Array(path.utf8), .readOnly, options: .directory)
            } catch {
                throw ChangerecError.system("open OCI layout", path: path, error)
            }
        } catch {
            throw ChangerecError.system("open OCI layout", path: path, error)
        }
    }

    /// `name` in `parent`, created if missing, and opened without following a symbolic link.
    private static func subdirectory(
        _ name: String, in parent: FileDescriptor, layout: String, shown: String? = nil
    ) throws(ChangerecError) -> FileDescriptor {
        let shown = shown ?? name
        do {
            try FileSystem.makeDirectory(Array(name.utf8), in: parent)
        } catch .fileExists {
            // Checked when it is opened below.
        } catch {
            throw ChangerecError.system("create", path: "\(layout)/\(shown)", error)
        }
        do {
            return try FileSystem.openBeneath(Array(name.utf8), in: parent, .readOnly, options: .directory)
        } catch .tooManySymbolicLinkLevels {
            throw refusal(layout, shown, "a symbolic link")
        } catch .notDirectory {
            throw refusal(layout, shown, "not a directory")
        } catch {
            throw ChangerecError.system("open", path: "\(layout)/\(shown)", error)
        }
    }

    /// Whether `name` is a regular file (`false` when absent); anything else in its place is refused.
    static func isRegularFile(_ name: [UInt8], in directory: FileDescriptor, layout: String, shown: String)
        throws(ChangerecError) -> Bool
    {
        let status: FileStatus
        do {
            status = try FileSystem.status(of: name, in: directory)
        } catch .noSuchFileOrDirectory {
            return false
        } catch {
            throw ChangerecError.system("examine", path: "\(layout)/\(shown)\(printable(name))", error)
        }
        guard status.type == .regular else {
            throw refusal(layout, shown + printable(name), kind(status.type))
        }
        return true
    }

    static func readIfPresent(_ name: String, in directory: FileDescriptor, layout: String)
        throws(ChangerecError) -> [UInt8]?
    {
        try readIfPresent(Array(name.utf8), in: directory, layout: layout, shown: "")
    }

    /// The bytes of the regular file `name`, `nil` when absent. Opened without following a symbolic link
    /// and without blocking on a fifo; anything but a regular file is refused.
    private static func readIfPresent(_ name: [UInt8], in directory: FileDescriptor, layout: String, shown: String)
        throws(ChangerecError) -> [UInt8]?
    {
        let shownPath = "\(layout)/\(shown)\(printable(name))"
        guard try isRegularFile(name, in: directory, layout: layout, shown: shown) else { return nil }
        let descriptor: FileDescriptor
        do {
            descriptor = try FileSystem.openBeneath(
                name, in: directory, .readOnly, options: [.nonBlocking, .noControllingTerminal])
        } catch .tooManySymbolicLinkLevels {
            throw refusal(layout, shown + printable(name), "a symbolic link")
        } catch {
            throw ChangerecError.system("open", path: shownPath, error)
        }
        defer { FileSystem.close(descriptor) }
        guard (try? FileSystem.status(of: descriptor))?.type == .regular else {
            throw refusal(layout, shown + printable(name), "not a regular file")
        }
        do {
            return try FileSystem.readAll(descriptor)
        } catch {
            throw ChangerecError.system("read", path: shownPath, error)
        }
    }

    /// Replaces `name` with `data`: written to a temporary file beside it, flushed, renamed over it —
    /// only when `name` is a regular file or absent.
    static func replace(_ name: String, in directory: FileDescriptor, with data: [UInt8], layout: String)
        throws(ChangerecError)
    {
        try replace(Array(name.utf8), in: directory, with: data, layout: layout, shown: "")
    }

    private static func replace(
        _ name: [UInt8], in directory: FileDescriptor, with data: [UInt8], layout: String, shown: String
    ) throws(ChangerecError) {
        _ = try isRegularFile(name, in: directory, layout: layout, shown: shown)
        let temporary = Array(".".utf8) + name + Array(".partial-\(ProcessInfo.processInfo.processIdentifier)".utf8)
        let shownPath = "\(layout)/\(shown)\(printable(temporary))"
        do {
            let descriptor = try FileSystem.open(
                temporary, relativeTo: directory, .writeOnly, options: [.create, .exclusiveCreate, .noFollow])
            defer { FileSystem.close(descriptor) }
            try FileSystem.writeAll(descriptor, data)
            try FileSystem.sync(descriptor)
            try FileSystem.rename(temporary, to: name, in: directory)
        } catch {
            try? FileSystem.unlink(temporary, in: directory)
            throw ChangerecError.system("write", path: shownPath, error)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: [UInt8]) throws(ChangerecError) -> T {
        guard let value = try? JSONDecoder().decode(type, from: Data(data)) else {
            throw ChangerecError(.system, "malformed JSON in the OCI layout")
        }
        return value
    }

    /// Canonical enough to be reproducible: sorted keys, no whitespace, slashes unescaped (see
    /// ``JSONValue/canonicalBytes``).
    static func json<T: Encodable>(_ value: T) throws(ChangerecError) -> [UInt8] {
        do {
            let encoded = try JSONEncoder().encode(value)
            return try JSONDecoder().decode(JSONValue.self, from: encoded).canonicalBytes
        } catch {
            throw ChangerecError(.system, "cannot encode JSON for the OCI layout: \(error)")
        }
    }

    /// What Foundation's `localizedDescription` says of a `FileManager` error, which this message has
    /// always shown; `FoundationEssentials` has no `localizedDescription`.
    private static func foundationMessage(_ error: any Error) -> String {
        guard let error = error as? CocoaError else { return "\(error)" }
        let reason: String? =
            switch error.code.rawValue {
            case 4, 260: "The file doesn’t exist."
            case 257, 513: "You don’t have permission."
            case 514: "The file name is invalid."
            case 516: "A file with the same name already exists."
            case 640: "There isn’t enough space."
            case 642: "The volume is read only."
            default: nil
            }
        return "The operation could not be completed. "
            + (reason ?? "(NSCocoaErrorDomain error \(error.code.rawValue).)")
    }

    private static func kind(_ type: ChangerecSystem.FileType) -> String {
        switch type {
        case .symlink: "a symbolic link"
        case .directory: "a directory"
        case .fifo: "a fifo"
        case .characterDevice, .blockDevice: "a device"
        case .socket: "a socket"
        case .regular, .unknown: "not a regular file"
        }
    }

    private static func refusal(_ layout: String, _ name: String, _ what: String) -> ChangerecError {
        ChangerecError(
            .unsafePath,
            "will not use OCI layout '\(layout)': '\(name)' is \(what); changerec never writes through or replaces a symbolic link or special file in a layout"
        )
    }
}
