import ChangerecSystem
import Foundation

/// An OCI image layout directory (image-spec `image-layout.md`): `oci-layout`, `index.json` and content-
/// addressed blobs under `blobs/sha256/`. A layer is added as the next layer of the image a tag names
/// (a new image when the tag is new): a new config (`rootfs.diff_ids`, `history`) and manifest are
/// written and the index is replaced atomically.
public struct OCILayout {
    public let directory: URL

    /// Opens the layout at `path`, creating it if missing.
    ///
    /// - Throws: `ChangerecError` when the directory holds something that is not an OCI layout.
    public init(path: String) throws(ChangerecError) {
        directory = URL(fileURLWithPath: path)
        let manager = FileManager.default
        do {
            let marker = directory.appendingPathComponent("oci-layout")
            if manager.fileExists(atPath: marker.path) {
                let data = try Data(contentsOf: marker)
                guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                    object["imageLayoutVersion"] as? String == "1.0.0"
                else {
                    throw ChangerecError(.usage, "'\(path)' is not an OCI image layout (bad oci-layout file)")
                }
            } else {
                try manager.createDirectory(at: directory, withIntermediateDirectories: true)
                try Self.writeAtomically(Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: marker)
            }
            // Only once the directory is known to be a layout (or made one) does it get a blob directory.
            try manager.createDirectory(at: blobs, withIntermediateDirectories: true)
            let index = directory.appendingPathComponent("index.json")
            if !manager.fileExists(atPath: index.path) {
                try Self.writeAtomically(
                    try Self.json([
                        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [],
                    ]),
                    to: index)
            }
        } catch let error as ChangerecError {
            throw error
        } catch {
            throw ChangerecError(.system, "cannot use OCI layout '\(path)': \(error.localizedDescription)")
        }
    }

    var blobs: URL { directory.appendingPathComponent("blobs/sha256") }

    /// Where to write a layer before its digest is known: a temporary file in the blob directory, so that
    /// moving it to its digest name is a rename on one file system.
    public func temporaryBlobPath() -> String {
        blobs.appendingPathComponent(".partial-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)").path
    }

    /// Adds the layer blob at `temporaryPath` (renamed to its digest) to the image `tag` names.
    ///
    /// - Returns: the new manifest's digest.
    public func addLayer(
        temporaryPath: String, layer: LayerResult, tag: String, created: String, createdBy: String
    ) throws(ChangerecError) -> String {
        do {
            let layerHex = String(layer.digest.dropFirst("sha256:".count))
            let destination = blobs.appendingPathComponent(layerHex)
            if FileManager.default.fileExists(atPath: destination.path) {
                try FileManager.default.removeItem(atPath: temporaryPath)
            } else {
                try FileManager.default.moveItem(atPath: temporaryPath, toPath: destination.path)
            }
            let indexURL = directory.appendingPathComponent("index.json")
            var index = try Self.object(Data(contentsOf: indexURL))
            var manifests = index["manifests"] as? [[String: Any]] ?? []
            let existing = manifests.firstIndex { entry in
                (entry["annotations"] as? [String: Any])?["org.opencontainers.image.ref.name"] as? String == tag
            }
            var config: [String: Any] = [
                "architecture": Host.ociArchitecture(), "os": "linux", "config": [String: Any](),
                "rootfs": ["type": "layers", "diff_ids": [String]()], "history": [[String: Any]](),
            ]
            var layers: [[String: Any]] = []
            if let existing, let digest = manifests[existing]["digest"] as? String {
                let manifest = try Self.object(try blob(digest))
                layers = manifest["layers"] as? [[String: Any]] ?? []
                if let configDigest = (manifest["config"] as? [String: Any])?["digest"] as? String {
                    config = try Self.object(try blob(configDigest))
                }
            }
            var rootfs = config["rootfs"] as? [String: Any] ?? ["type": "layers"]
            rootfs["diff_ids"] = (rootfs["diff_ids"] as? [String] ?? []) + [layer.diffID]
            config["rootfs"] = rootfs
            config["created"] = created

            config["history"] =
                (config["history"] as? [[String: Any]] ?? []) + [
                    ["created": created, "created_by": createdBy, "comment": "recorded by changerec"]
                ]
            let configData = try Self.json(config)
            let configDigest = try store(configData)
            layers.append(["mediaType": layer.mediaType, "digest": layer.digest, "size": layer.size])
            let manifest: [String: Any] = [
                "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": [
                    "mediaType": "application/vnd.oci.image.config.v1+json", "digest": configDigest,
                    "size": configData.count,
                ],
                "layers": layers,
            ]
            let manifestData = try Self.json(manifest)
            let manifestDigest = try store(manifestData)
            let entry: [String: Any] = [
                "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifestDigest,
                "size": manifestData.count, "annotations": ["org.opencontainers.image.ref.name": tag],
            ]
            if let existing { manifests[existing] = entry } else { manifests.append(entry) }
            index["manifests"] = manifests
            try Self.writeAtomically(try Self.json(index), to: indexURL)
            return manifestDigest
        } catch let error as ChangerecError {
            throw error
        } catch {
            throw ChangerecError(.system, "cannot update OCI layout '\(directory.path)': \(error.localizedDescription)")
        }
    }

    private func blob(_ digest: String) throws -> Data {
        try Data(contentsOf: blobs.appendingPathComponent(String(digest.dropFirst("sha256:".count))))
    }

    private func store(_ data: Data) throws -> String {
        let digest = "sha256:" + ContentDigest.sha256Hex(Array(data))
        let url = blobs.appendingPathComponent(String(digest.dropFirst("sha256:".count)))
        if !FileManager.default.fileExists(atPath: url.path) { try Self.writeAtomically(data, to: url) }
        return digest
    }

    private static func object(_ data: Data) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ChangerecError(.system, "malformed JSON in the OCI layout")
        }
        return object
    }

    /// Canonical enough to be reproducible: sorted keys, no whitespace, slashes unescaped.
    private static func json(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    private static func writeAtomically(_ data: Data, to url: URL) throws {
        try data.write(to: url, options: .atomic)
    }
}
