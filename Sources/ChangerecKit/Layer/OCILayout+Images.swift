import ChangerecSystem
import Crypto
import FoundationEssentials
import SystemPackage

/// What a build does to a layout besides appending layers: start the tag from a base image (its layer
/// blobs copied in, its config carried over) or from nothing, and change the config without a layer.
extension OCILayout {
    /// Makes `tag` name an image with `layers` and `config`, the layer blobs copied from `source` when
    /// this layout does not hold them yet (each checked against its digest as it is copied).
    ///
    /// - Returns: the new manifest's digest.
    public func setImage(tag: String, config: OCIImageConfig, layers: [OCIDescriptor], source: OCIImage?)
        throws(ChangerecError) -> String
    {
        if let source {
            let store = try OCIBlobStore(layout: source.layoutPath)
            for layer in layers {
                guard let digest = layer.digest else {
                    throw ChangerecError(.usage, "a layer of OCI layout '\(source.layoutPath)' has no digest")
                }
                try importBlob(digest, from: store)
            }
        }
        return try commit(config: config, layers: layers, tag: tag)
    }

    /// Changes the config of the image `tag` names, as ENV, CMD or LABEL do, and adds a history entry
    /// with `empty_layer`.
    ///
    /// - Returns: the new manifest's digest.
    public func updateConfig(
        tag: String, created: String, createdBy: String, _ change: (inout OCIImageConfig) -> Void
    ) throws(ChangerecError) -> String {
        guard let (manifest, config) = try image(tag: tag) else {
            throw ChangerecError(.usage, "OCI layout '\(path)' has no image '\(tag)' to change")
        }
        var changed = config
        change(&changed)
        var entry = OCIHistory(created: created, createdBy: createdBy, comment: "changerec build")
        entry.others["empty_layer"] = .bool(true)
        changed.history = (changed.history ?? []) + [entry]
        changed.created = created
        return try commit(config: changed, layers: manifest.layers ?? [], tag: tag)
    }

    /// The manifest and config of the image `tag` names, or `nil` when there is none.
    func image(tag: String) throws(ChangerecError) -> (OCIManifest, OCIImageConfig)? {
        guard let indexBytes = try Self.readIfPresent("index.json", in: directory, layout: path) else { return nil }
        let index = try Self.decode(OCIIndex.self, indexBytes)
        guard
            let digest = index.manifests?.first(where: { $0.annotations?[OCIDescriptor.refName] == .string(tag) })?
                .digest
        else { return nil }
        let manifest = try Self.decode(OCIManifest.self, try blob(digest))
        guard let configDigest = manifest.config?.digest else {
            throw ChangerecError(.usage, "image '\(tag)' in OCI layout '\(path)' has no config")
        }
        return (manifest, try Self.decode(OCIImageConfig.self, try blob(configDigest)))
    }

    /// Writes `config` and a manifest naming it and `layers`, and points `tag` at that manifest in the
    /// index (replaced atomically); a manifest and config it supersedes go when nothing else names them.
    func commit(config: OCIImageConfig, layers: [OCIDescriptor], tag: String) throws(ChangerecError) -> String {
        let configData = try Self.json(config)
        let configDigest = try store(configData)
        let manifest = OCIManifest(
            config: OCIDescriptor(
                mediaType: OCIImageConfig.mediaType, digest: configDigest, size: Int64(configData.count)),
            layers: layers)
        let manifestData = try Self.json(manifest)
        let manifestDigest = try store(manifestData)
        guard let indexBytes = try Self.readIfPresent("index.json", in: directory, layout: path) else {
            throw ChangerecError(.system, "cannot update OCI layout '\(path)': index.json has gone")
        }
        var index = try Self.decode(OCIIndex.self, indexBytes)
        var manifests = index.manifests ?? []
        let existing = manifests.firstIndex { $0.annotations?[OCIDescriptor.refName] == .string(tag) }
        let entry = OCIDescriptor(
            mediaType: OCIManifest.mediaType, digest: manifestDigest, size: Int64(manifestData.count),
            annotations: [OCIDescriptor.refName: .string(tag)])
        let superseded = existing.flatMap { manifests[$0].digest }
        if let existing { manifests[existing] = entry } else { manifests.append(entry) }
        index.manifests = manifests
        try Self.replace("index.json", in: directory, with: try Self.json(index), layout: path)
        if let superseded, superseded != manifestDigest { removeUnreferenced(superseded, index: index) }
        return manifestDigest
    }

    /// Copies blob `digest` from another layout unless this one has it, hashing it on the way: a blob
    /// whose bytes do not match its name is refused, never stored under it.
    private func importBlob(_ digest: String, from source: OCIBlobStore) throws(ChangerecError) {
        let hex = Array(digest.dropFirst("sha256:".count).utf8)
        if try Self.isRegularFile(hex, in: blobs, layout: path, shown: "blobs/sha256/") { return }
        let input = try source.openBlob(digest)
        defer { FileSystem.close(input) }
        let (output, name, shown) = try createTemporaryBlob()
        var published = false
        defer {
            FileSystem.close(output)
            if !published { removeTemporaryBlob(name) }
        }
        var hasher = SHA256()
        var offset: Int64 = 0
        while true {
            let chunk: [UInt8]
            do {
                chunk = try FileSystem.read(input, count: 1 << 20, at: offset)
            } catch {
                throw ChangerecError.system("read", path: "blob \(digest) of '\(source.layout)'", error)
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
            do {
                try FileSystem.writeAll(output, chunk)
            } catch {
                throw ChangerecError.system("write", path: shown, error)
            }
            offset += Int64(chunk.count)
        }
        let actual = "sha256:" + Hex.string(hasher.finalize())
        guard actual == digest else { throw source.mismatch(digest, actual: actual) }
        do {
            try FileSystem.rename(name, to: hex, in: blobs)
        } catch {
            throw ChangerecError.system("move a base layer into", path: path, error)
        }
        published = true
    }
}
