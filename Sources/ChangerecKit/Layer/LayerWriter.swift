import ChangerecSystem
import SystemPackage

/// Writes a layer from a plan, reading the final tree beneath ROOT and nothing else.
///
/// Every object is reached by opening its parent with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`
/// (in steps when the path is longer than `PATH_MAX`) and then the name with `O_NOFOLLOW`: a directory
/// swapped for a symbolic link after the step is never followed. Each object is checked against its
/// sealed state (type, mode, owner, size, mtime, symlink target, content SHA-256, xattrs); differences
/// are drift, which fails the layer unless `allowDrift`. A path that no longer exists beneath ROOT
/// (`ENOENT`, or `ENOTDIR`/`ELOOP` where a directory on its way is no longer a directory) is drift too;
/// any other error reading it (`EACCES`, `EIO`, ...) fails the layer with one line naming the path.
public struct LayerWriter {
    let root: FileDescriptor
    let rootPath: [UInt8]

    public init(root: FileDescriptor, rootPath: [UInt8]) {
        self.root = root
        self.rootPath = rootPath
    }

    /// Writes the layer for `plan` to the open, empty file `output` (at `outputPath`, for messages).
    ///
    /// - Throws: `ChangerecError` `.drift` listing the drifted paths (unless `allowDrift`), `.unsafePath`
    ///   when a file is replaced while it is read, or a system error naming the path that could not be read.
    public func write(_ plan: LayerPlan, to output: FileDescriptor, outputPath: [UInt8], options: LayerOptions)
        throws(ChangerecError) -> LayerResult
    {
        try Self.checkNames(plan, rootPath: rootPath)
        let sink = try BlobSink(
            descriptor: output, path: outputPath, compression: options.compression,
            threads: options.compressionThreads)
        var state = LayerWriteState(tar: TarWriter(sink: sink), options: options, root: root)
        for item in plan.items {
            switch item {
            case .object(let path, let expected):
                try writeObject(path, expected: expected, state: &state)
            case .opaqueMarker(let path):
                try state.tar.write(marker(in: path, name: Array(".wh..wh..opq".utf8), options: options))
                state.entries += 1
            case .whiteout(let path):
                try checkGone(path, state: &state)
                try state.tar.write(
                    marker(in: path.parent ?? .root, name: Array(".wh.".utf8) + path.name, options: options))
                state.entries += 1
            }
            state.reportProgress(sink)
        }
        if !state.drift.isEmpty && !options.allowDrift {
            let shown = state.drift.prefix(20).map(\.description).joined(separator: ", ")
            let more = state.drift.count > 20 ? " and \(state.drift.count - 20) more" : ""
            throw ChangerecError(
                .drift,
                "ROOT '\(printable(rootPath))' has changed since the step: \(state.drift.count) path(s) differ from the journal's seal: \(shown)\(more); pass --allow-drift to write the tree as it is now"
            )
        }
        try state.tar.finish()
        let (diffID, digest) = try sink.finish()
        return LayerResult(
            diffID: "sha256:" + Hex.string(diffID), digest: "sha256:" + Hex.string(digest), size: sink.writtenSize,
            uncompressedSize: sink.uncompressedSize, entries: state.entries,
            mediaType: options.compression.mediaType,
            drift: state.drift, skipped: state.skipped, contentReads: state.contentReads)
    }

    /// Refuses a plan holding a name that an OCI layer reserves for whiteouts (see
    /// `LayerPlan.reservedPaths`), before anything is written.
    ///
    /// - Throws: `ChangerecError` `.unsafePath` naming the first such path.
    public static func checkNames(_ plan: LayerPlan, rootPath: [UInt8]) throws(ChangerecError) {
        guard let path = plan.reservedPaths.first else { return }
        throw ChangerecError(
            .unsafePath,
            "an OCI layer cannot hold '\(printable(rootPath) + path.description)': a name beginning with '.wh.' is a whiteout there (and '.wh..wh..opq' an opaque marker), which any applier would turn into a deletion of lower-layer content the step never touched; rename it"
        )
    }

    // MARK: - Objects

    private func writeObject(_ path: RelativePath, expected: FinalState?, state: inout LayerWriteState)
        throws(ChangerecError)
    {
        guard !path.isRoot, let object = try readObject(path, state: &state) else { return }
        if let expected { compare(path, object, expected: expected, state: &state) }
        try writeEntry(path, object, expected: expected, state: &state)
    }

    /// What ROOT holds now at one path, as its entry needs it.
    private struct Object {
        /// The open directory holding it.
        var directory: FileDescriptor
        var status: FileStatus
        var target: [UInt8]?
        var attributes: [(name: [UInt8], value: [UInt8])]
    }

    /// Reads the status, extended attributes and symbolic link target of `path`; `nil`, with the drift
    /// recorded, when it is gone, or when tar cannot hold it (a socket, recorded as skipped).
    private func readObject(_ path: RelativePath, state: inout LayerWriteState) throws(ChangerecError) -> Object? {
        let directory: FileDescriptor
        switch try state.parent(of: path, rootPath: rootPath) {
        case .open(let open): directory = open
        case .gone(let reason):
            state.addDrift(path, reason)
            return nil
        }
        let name = path.name
        let status: FileStatus
        do {
            status = try FileSystem.status(of: name, in: directory)
        } catch let error where error.meansNoSuchPathBeneath {
            state.addDrift(path, "gone")
            return nil
        } catch {
            throw ChangerecError.system("stat", path: describe(path), error)
        }
        var object = Object(directory: directory, status: status, attributes: [])
        do {
            object.attributes = try Xattrs.all(of: name, in: directory)
        } catch .notSupported {
            object.attributes = []  // a file system without extended attributes
        } catch let error where error.meansNoSuchPathBeneath {
            state.addDrift(path, "gone")
            return nil
        } catch {
            throw ChangerecError.system("read the extended attributes of", path: describe(path), error)
        }
        switch status.type {
        case .symlink:
            do {
                object.target = try FileSystem.symlinkTarget(of: name, in: directory)
            } catch let error where error.meansNoSuchPathBeneath {
                state.addDrift(path, "gone")
                return nil
            } catch {
                throw ChangerecError.system("read symbolic link", path: describe(path), error)
            }
        case .socket, .unknown:
            state.skipped.append(path)
            return nil
        case .directory, .regular, .fifo, .characterDevice, .blockDevice:
            break
        }
        return object
    }

    /// The tar header of `object` at `path`, as written when it is the first name of its inode.
    private func tarHeader(_ path: RelativePath, _ object: Object, options: LayerOptions) -> TarHeader {
        let status = object.status
        var header = TarHeader(name: path.bytes, kind: .regular, mode: status.permissions)
        header.uid = status.uid
        header.gid = status.gid
        (header.mtimeSeconds, header.mtimeNanoseconds) = clamp(status, options.sourceDateEpoch)
        header.xattrs = object.attributes
        switch status.type {
        case .directory:
            header.kind = .directory
            header.name += [0x2F]
        case .symlink:
            header.kind = .symlink
            header.linkName = object.target ?? []
        case .fifo:
            header.kind = .fifo
        case .characterDevice, .blockDevice:
            header.kind = status.type == .characterDevice ? .characterDevice : .blockDevice
            header.deviceMajor = UInt32(
                truncatingIfNeeded: (status.rdev >> 8) & 0xFFF | (status.rdev >> 32) & 0xFFFF_F000)
            header.deviceMinor = UInt32(truncatingIfNeeded: status.rdev & 0xFF | (status.rdev >> 12) & 0xFFFF_FF00)
        case .regular, .socket, .unknown:
            break
        }
        return header
    }

    /// Writes the entry of `object` at `path`: a hard link to its inode's first name, or its header and, for
    /// a regular file, its content, checked against the `expected` digest.
    private func writeEntry(
        _ path: RelativePath, _ object: Object, expected: FinalState?, state: inout LayerWriteState
    ) throws(ChangerecError) {
        let status = object.status
        var header = tarHeader(path, object, options: state.options)
        // Every inode that is not a directory and has more than one name — a file, but also a symbolic link,
        // a fifo or a device node, since link(2) does not follow symbolic links — is written once, under its
        // first name in the layer; its other names are hard-link entries to that one (as Docker's archive
        // package does), so an applier makes them one inode again.
        let identity = FileIdentity(status)
        let linked = status.type != .directory && status.linkCount > 1
        if linked, let first = state.links[identity] {
            header.kind = .hardLink
            header.linkName = first.bytes
            header.deviceMajor = 0
            header.deviceMinor = 0
            try state.tar.write(header)
        } else if status.type != .regular {
            if linked { state.links[identity] = path }
            try state.tar.write(header)
        } else {
            // Opened before its header is written: a file gone meanwhile is drift, not half an entry.
            guard let content = try openContent(path.name, in: object.directory, path: path, status: status) else {
                state.addDrift(path, "gone")
                return
            }
            if linked { state.links[identity] = path }
            header.size = status.size
            try state.tar.write(header)
            let digest = try copyContent(content, path: path, status: status, state: &state)
            if let expectedDigest = expected?.contentDigest, digest != expectedDigest {
                state.addDrift(path, "content")
            }
            if state.options.keepsContentReads, let digest, let after = try? content.status() {
                state.contentReads[path] = ContentRead(digest: digest, before: status, after: after)
            }
        }
        state.entries += 1
    }

    /// Opens the regular file `status` describes for reading; `nil` when it is gone.
    private func openContent(_ name: [UInt8], in directory: FileDescriptor, path: RelativePath, status: FileStatus)
        throws(ChangerecError) -> ContentReader?
    {
        let content: ContentReader
        do {
            content = try ContentReader(name, in: directory)
        } catch .noSuchFileOrDirectory {
            return nil
        } catch .tooManySymbolicLinkLevels {
            throw ChangerecError(
                .unsafePath, "refusing to read '\(describe(path))': it was replaced while the layer was written")
        } catch {
            throw ChangerecError.system("open", path: describe(path), error)
        }
        guard (try? content.status(ifStill: status)) != nil else {
            throw ChangerecError(
                .unsafePath, "refusing to read '\(describe(path))': it was replaced while the layer was written")
        }
        return content
    }

    /// Streams exactly `status.size` bytes of the open file into the tar (zeros if it shrank meanwhile) and
    /// returns the SHA-256 of what was read; `nil` when it shrank.
    private func copyContent(
        _ content: borrowing ContentReader, path: RelativePath, status: FileStatus, state: inout LayerWriteState
    ) throws(ChangerecError) -> [UInt8]? {
        let sink = state.tar.sink
        let (count, digest) = try content.digest(
            limit: status.size, readFailed: { ChangerecError.system("read", path: describe(path), $0) },
            sink: { (chunk) throws(ChangerecError) in try sink.write(chunk) })
        if count < status.size {
            state.addDrift(path, "shrank while read")
            try sink.write([UInt8](repeating: 0, count: Int(status.size - count)))
        }
        try state.tar.pad(status.size)
        return count < status.size ? nil : digest
    }

    /// Records drift when `object` as it is now no longer matches its `expected` sealed state; its content is
    /// checked as it is copied.
    private func compare(_ path: RelativePath, _ object: Object, expected: FinalState, state: inout LayerWriteState) {
        let now = FinalState(
            status: object.status, symlinkTarget: object.target, contentDigest: nil,
            xattrDigest: ContentDigest.ofXattrList(object.attributes))
        let reasons = Drift.reasons(sealed: expected, now: now)
        if !reasons.isEmpty { state.addDrift(path, reasons.joined(separator: ", ")) }
    }

    private func checkGone(_ path: RelativePath, state: inout LayerWriteState) throws(ChangerecError) {
        guard case .open(let directory) = try state.parent(of: path, rootPath: rootPath) else { return }
        do {
            _ = try FileSystem.status(of: path.name, in: directory)
            state.addDrift(path, "exists again")
        } catch let error where error.meansNoSuchPathBeneath {
            return
        } catch {
            throw ChangerecError.system("stat", path: describe(path), error)
        }
    }

    private func marker(in directory: RelativePath, name: [UInt8], options: LayerOptions) -> TarHeader {
        var header = TarHeader(
            name: directory.isRoot ? name : directory.bytes + [0x2F] + name, kind: .regular, mode: 0o644)
        // Never "now": markers carry the clamp time, or the epoch.
        header.mtimeSeconds = options.sourceDateEpoch ?? 0
        return header
    }

    private func clamp(_ status: FileStatus, _ epoch: Int64?) -> (Int64, UInt32) {
        guard let epoch, status.mtimeSeconds >= epoch else { return (status.mtimeSeconds, status.mtimeNanoseconds) }
        return (epoch, 0)
    }

    private func describe(_ path: RelativePath) -> String { printable(rootPath) + path.description }

}
