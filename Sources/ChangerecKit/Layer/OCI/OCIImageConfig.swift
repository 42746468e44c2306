import FoundationEssentials

/// An image config (image-spec `config.md`) as far as a layer changes it: the platform, `rootfs`'s
/// diff IDs, `history` and `created`. Everything else (`config` with its `Env` and `Cmd`, `author`, …)
/// is carried over whole.
public struct OCIImageConfig: Codable, Equatable, Sendable {
    public var architecture: String?
    public var os: String?
    public var created: String?
    public var rootfs: OCIRootFS?
    public var history: [OCIHistory]?
    /// Fields this type does not name, carried over whole.
    public var others: [String: JSONValue] = [:]

    public static let mediaType = "application/vnd.oci.image.config.v1+json"

    /// The config of an image with no layers yet, for this host's architecture.
    public init(architecture: String) {
        self.architecture = architecture
        os = "linux"
        rootfs = OCIRootFS(type: "layers", diffIDs: [])
        history = []
        others = ["config": .object([:])]
    }

    public init(from decoder: any Decoder) throws {
        var reader = try JSONObjectReader(decoder)
        architecture = reader.take("architecture")
        os = reader.take("os")
        created = reader.take("created")
        rootfs = reader.take("rootfs")
        history = reader.take("history")
        others = reader.others
    }

    public func encode(to encoder: any Encoder) throws {
        try JSONFields.encode(
            [
                ("architecture", architecture), ("os", os), ("created", created), ("rootfs", rootfs),
                ("history", history),
            ], others: others, to: encoder)
    }

    /// Adds a layer on top: its diff ID to `rootfs`, its history entry, and `created` set to its time.
    public mutating func append(diffID: String, history entry: OCIHistory) {
        var rootfs = self.rootfs ?? OCIRootFS(type: "layers", diffIDs: nil)
        rootfs.diffIDs = (rootfs.diffIDs ?? []) + [diffID]
        self.rootfs = rootfs
        created = entry.created
        history = (history ?? []) + [entry]
    }
}
