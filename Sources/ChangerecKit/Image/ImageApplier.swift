import ChangerecSystem
import SystemPackage

/// Applies an image's layers to a root file system, as a container runtime unpacks an image, and tells
/// the state of every path it left (see ``LayerApplication`` for the semantics and the containment).
public enum ImageApplier {
    /// Applies every layer of `image`, lowest first, to the directory `rootfs`.
    ///
    /// Each blob is read once, in bounded memory, and checked against its digest and size (and its
    /// uncompressed stream against the config's diff ID) as it is read; a mismatch fails the apply once the
    /// layer has been read, leaving `rootfs` partly applied.
    ///
    /// - Parameters:
    ///   - rootfs: an empty directory (a symbolic link naming it is followed).
    /// - Returns: the state of every path of the tree, ROOT included (as ``RelativePath/root``).
    /// - Throws: `ChangerecError` naming the layer, and the entry where there is one: a layer of a media
    ///   type changerec does not apply (before anything is written), a blob missing, corrupt or not matching
    ///   its digest, an entry refused (an absolute name, `..`, a hard link to nothing), a system call that
    ///   failed.
    /// - Important: owners, device nodes and `trusted.*` xattrs need root (CAP_CHOWN, CAP_MKNOD,
    ///   CAP_SYS_ADMIN); openat2 needs Linux 5.6.
    public static func apply(_ image: OCIImage, to rootfs: [UInt8]) throws(ChangerecError) -> TreeState {
        let layers = image.layers
        var formats: [LayerFormat] = []
        for (index, layer) in layers.enumerated() {
            let mediaType = layer.mediaType ?? ""
            guard let format = LayerFormat(mediaType: mediaType) else {
                throw ChangerecError(
                    .usage,
                    "layer \(index + 1) of the image in OCI layout '\(image.layoutPath)' has media type '\(mediaType)', which changerec does not apply (only tar, tar+gzip and tar+zstd layers)"
                )
            }
            formats.append(format)
        }
        let store = try OCIBlobStore(layout: image.layoutPath)
        let root = try openRoot(rootfs)
        defer { FileSystem.close(root) }
        let directories = RootDirectories(root: root)
        var state = TreeState()
        let diffIDs = image.config.rootfs?.diffIDs ?? []
        for (index, layer) in layers.enumerated() {
            let digest = layer.digest ?? ""
            let shown = "layer \(index + 1) (\(digest)) of OCI layout '\(image.layoutPath)'"
            let stream = try LayerStream(descriptor: try store.openBlob(digest), format: formats[index], shown: shown)
            let read: (digest: String, diffID: String)
            do {
                try apply(stream, directories: directories, state: &state, shown: shown)
                read = try stream.finish()
            } catch {
                // A damaged blob fails as whatever its bytes break first; its digest says why.
                if let actual = stream.rawDigest(), actual != digest { throw store.mismatch(digest, actual: actual) }
                throw error
            }
            guard read.digest == digest else { throw store.mismatch(digest, actual: read.digest) }
            if let size = layer.size, UInt64(max(0, size)) != stream.blobSize {
                throw ChangerecError(
                    .usage,
                    "\(shown) holds \(stream.blobSize) bytes, but its descriptor says \(size); the layout is damaged: copy the image again"
                )
            }
            if diffIDs.count == layers.count, diffIDs[index] != read.diffID {
                throw ChangerecError(
                    .usage,
                    "\(shown) decompresses to \(read.diffID), but the image config's diff ID is \(diffIDs[index]); the layout is damaged: copy the image again"
                )
            }
        }
        if state[.root] == nil {
            // An image of no layers: ROOT as it is, as a layer's end would have read it.
            do throws(Errno) {
                let status = try FileSystem.status(of: [], in: root)
                state.set(
                    .root,
                    FinalState(
                        status: status, symlinkTarget: nil, contentDigest: nil,
                        xattrDigest: try ContentDigest.ofXattrs([], in: root)))
            } catch {
                throw ChangerecError.system("read the root file system", path: printable(rootfs), error)
            }
        }
        return state
    }

    /// Applies the layer blob at `path` (of format `format`) to `rootfs`, on top of what `state` says the
    /// tree holds, and brings `state` up to date. No digest is checked: for layers that are not in a
    /// layout, and for tests.
    ///
    /// - Returns: the blob's digest and diff ID (`sha256:` and hex).
    @discardableResult
    public static func apply(
        layerAt path: [UInt8], format: LayerFormat, to rootfs: [UInt8], state: inout TreeState
    ) throws(ChangerecError) -> (digest: String, diffID: String) {
        let shown = "layer '\(printable(path))'"
        let descriptor: FileDescriptor
        do {
            descriptor = try FileSystem.open(path, .readOnly)
        } catch {
            throw ChangerecError.system("open layer", path: printable(path), error)
        }
        let stream = try LayerStream(descriptor: descriptor, format: format, shown: shown)
        let root = try openRoot(rootfs)
        defer { FileSystem.close(root) }
        try apply(stream, directories: RootDirectories(root: root), state: &state, shown: shown)
        return try stream.finish()
    }

    /// Extracts the tar archive `archive` (of format `format`) into `directory`, as ADD extracts a local
    /// archive: entries with their modes, owners, times, links and xattrs, every name resolved inside
    /// `directory` (an absolute link on the way starts again there; `..` never climbs above it). A name
    /// beginning `.wh.` is refused: in an image layer it would be a deletion.
    public static func extract(
        archive: FileDescriptor, format: LayerFormat, into directory: FileDescriptor, shown: String
    ) throws(ChangerecError) {
        // The stream closes what it reads: it gets a descriptor of its own, the caller keeps `archive`.
        let copy: FileDescriptor
        do {
            copy = try archive.duplicate()
        } catch {
            throw ChangerecError(.system, "cannot read \(shown): \(error)", errno: error as? Errno)
        }
        let stream = try LayerStream(descriptor: copy, format: format, shown: shown)
        var state = TreeState()
        try apply(
            stream, directories: RootDirectories(root: directory), state: &state, shown: shown, readsWhiteouts: false)
        _ = try stream.finish()
    }

    private static func apply(
        _ stream: LayerStream, directories: RootDirectories, state: inout TreeState, shown: String,
        readsWhiteouts: Bool = true
    ) throws(ChangerecError) {
        let reader = TarReader(stream: stream)
        let application = LayerApplication(
            directories: directories, state: state, shown: shown, readsWhiteouts: readsWhiteouts)
        state = TreeState()  // the application holds the only copy while it changes it
        while let entry = try reader.next() {
            try application.apply(entry, from: reader)
        }
        try application.finish()
        state = application.state
    }

    private static func openRoot(_ rootfs: [UInt8]) throws(ChangerecError) -> FileDescriptor {
        do {
            return try FileSystem.open(rootfs, .readOnly, options: .directory)
        } catch {
            throw ChangerecError.system("open the root file system", path: printable(rootfs), error)
        }
    }
}
