import Crypto
import Foundation

/// A structural check of an OCI image layout: the fields the image spec requires, and every blob's
/// digest and size against the descriptor that names it.
public enum OCILayoutCheck {
    public static func verify(_ layout: String, tag: String, expectedLayers: Int) throws {
        let root = URL(fileURLWithPath: layout)
        let marker = try object(Data(contentsOf: root.appendingPathComponent("oci-layout")))
        guard marker["imageLayoutVersion"] as? String == "1.0.0" else { throw TestFailure("bad oci-layout") }
        let index = try object(Data(contentsOf: root.appendingPathComponent("index.json")))
        guard index["schemaVersion"] as? Int == 2 else { throw TestFailure("index schemaVersion") }
        let manifests = index["manifests"] as? [[String: Any]] ?? []
        guard
            let entry = manifests.first(where: {
                ($0["annotations"] as? [String: Any])?["org.opencontainers.image.ref.name"] as? String == tag
            })
        else { throw TestFailure("no manifest tagged \(tag)") }
        let manifest = try object(try blob(root, entry))
        guard manifest["schemaVersion"] as? Int == 2,
            manifest["mediaType"] as? String == "application/vnd.oci.image.manifest.v1+json",
            let configDescriptor = manifest["config"] as? [String: Any],
            configDescriptor["mediaType"] as? String == "application/vnd.oci.image.config.v1+json",
            let layers = manifest["layers"] as? [[String: Any]]
        else { throw TestFailure("manifest fields") }
        let config = try object(try blob(root, configDescriptor))
        guard let rootfs = config["rootfs"] as? [String: Any], rootfs["type"] as? String == "layers",
            let diffIDs = rootfs["diff_ids"] as? [String], let history = config["history"] as? [[String: Any]],
            config["os"] as? String == "linux", config["architecture"] as? String != nil
        else { throw TestFailure("config fields") }
        guard layers.count == expectedLayers, diffIDs.count == expectedLayers, history.count == expectedLayers else {
            throw TestFailure(
                "expected \(expectedLayers) layers, got \(layers.count) layers, \(diffIDs.count) diff_ids")
        }
        for (layer, diffID) in zip(layers, diffIDs) {
            let data = try blob(root, layer)
            let media = layer["mediaType"] as? String ?? ""
            let uncompressed: Data
            if media.hasSuffix("+gzip") {
                uncompressed = try Run.command(["/bin/sh", "-c", "gzip -dc '\(path(root, layer))'"]).stdoutData
            } else if media.hasSuffix("+zstd") {
                uncompressed = try Run.command(["/bin/sh", "-c", "zstd -dc '\(path(root, layer))'"]).stdoutData
            } else if media == "application/vnd.oci.image.layer.v1.tar" {
                uncompressed = data
            } else {
                throw TestFailure("layer media type \(media)")
            }
            guard "sha256:" + hex(uncompressed) == diffID else { throw TestFailure("diff_id mismatch") }
        }
        guard history.allSatisfy({ ($0["created_by"] as? String)?.isEmpty == false && $0["created"] != nil }) else {
            throw TestFailure("history entries")
        }
    }

    static func path(_ root: URL, _ descriptor: [String: Any]) -> String {
        let digest = descriptor["digest"] as? String ?? ""
        return root.appendingPathComponent("blobs/sha256/" + digest.dropFirst("sha256:".count)).path
    }

    /// The blob a descriptor names, after checking its digest and size.
    static func blob(_ root: URL, _ descriptor: [String: Any]) throws -> Data {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(root, descriptor)))
        guard descriptor["digest"] as? String == "sha256:" + hex(data) else {
            throw TestFailure("blob digest mismatch")
        }
        guard descriptor["size"] as? Int == data.count else { throw TestFailure("blob size mismatch") }
        return data
    }

    static func hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    static func object(_ data: Data) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("not a JSON object")
        }
        return object
    }
}
