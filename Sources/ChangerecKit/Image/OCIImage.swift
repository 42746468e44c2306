import ChangerecSystem
import FoundationEssentials
import SystemPackage

/// One image of an OCI image layout (image-spec `image-layout.md`): its manifest, config and layer
/// descriptors, the manifest and config read from blobs whose digests were checked.
///
/// Nothing in the layout is reached through a symbolic link: `index.json` and every blob are opened beneath
/// the layout's directory with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`.
public struct OCIImage: Sendable {
    /// The layout directory as named.
    public let layoutPath: String
    /// The manifest's digest (`sha256:…`).
    public let manifestDigest: String
    public let manifest: OCIManifest
    /// The image config; fields this type does not name (`config` with `Env`, `Cmd`, …) are in `others`.
    public let config: OCIImageConfig

    /// The layers, lowest first.
    public var layers: [OCIDescriptor] { manifest.layers ?? [] }

    /// Manifest media types read: the OCI one and Docker's schema 2, which skopeo keeps when asked to.
    static let manifestTypes = [OCIManifest.mediaType, "application/vnd.docker.distribution.manifest.v2+json"]
    /// Media types of a list of manifests (one per platform), which is not an image.
    static let indexTypes = [
        "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    ]
    static let configTypes = [OCIImageConfig.mediaType, "application/vnd.docker.container.image.v1+json"]
    /// The most a manifest, config or index may hold: JSON this large is not an image's.
    static let jsonLimit = 16 << 20

    /// Opens the image `tag` names in the layout at `layout`.
    ///
    /// - Parameter tag: the `org.opencontainers.image.ref.name` of the image; `nil` takes the layout's
    ///   only image.
    /// - Throws: `ChangerecError` in one line naming the layout and what to do: no such layout, no such
    ///   tag (the tags are listed), several images and no tag, an index of manifests instead of a manifest,
    ///   a media type that is not an image's, a blob missing or whose digest does not match.
    public static func open(layout: String, tag: String?) throws(ChangerecError) -> OCIImage {
        let directory = try OCIBlobStore(layout: layout)
        let index = try directory.decode(OCIIndex.self, try directory.readFile("index.json"), what: "index.json")
        let entry = try choose(from: index.manifests ?? [], tag: tag, layout: layout)
        let shown = tag.map { "image '\($0)'" } ?? "the image"
        let mediaType = entry.mediaType ?? OCIManifest.mediaType
        if indexTypes.contains(mediaType) {
            throw ChangerecError(
                .usage,
                "\(shown) in OCI layout '\(layout)' is an index of images for several platforms, not an image; copy one platform into a layout (skopeo copy --override-arch ARCH ...)"
            )
        }
        guard manifestTypes.contains(mediaType) else {
            throw ChangerecError(
                .usage,
                "\(shown) in OCI layout '\(layout)' has media type '\(mediaType)', which is not an image manifest")
        }
        guard let digest = entry.digest else {
            throw ChangerecError(.usage, "\(shown) in OCI layout '\(layout)' has no digest in index.json")
        }
        let manifest = try directory.decode(
            OCIManifest.self, try directory.readBlob(digest, size: entry.size, limit: jsonLimit),
            what: "manifest \(digest)")
        if let inner = manifest.mediaType, !manifestTypes.contains(inner) {
            throw ChangerecError(
                .usage,
                "\(shown) in OCI layout '\(layout)': manifest \(digest) has media type '\(inner)', which is not an image manifest"
            )
        }
        guard let configDescriptor = manifest.config, let configDigest = configDescriptor.digest else {
            throw ChangerecError(.usage, "\(shown) in OCI layout '\(layout)': manifest \(digest) names no config")
        }
        if let type = configDescriptor.mediaType, !configTypes.contains(type) {
            throw ChangerecError(
                .usage,
                "\(shown) in OCI layout '\(layout)': its config has media type '\(type)', which is not an image config")
        }
        let config = try directory.decode(
            OCIImageConfig.self, try directory.readBlob(configDigest, size: configDescriptor.size, limit: jsonLimit),
            what: "config \(configDigest)")
        return OCIImage(layoutPath: layout, manifestDigest: digest, manifest: manifest, config: config)
    }

    /// The index entry `tag` names, or the only one.
    private static func choose(from manifests: [OCIDescriptor], tag: String?, layout: String) throws(ChangerecError)
        -> OCIDescriptor
    {
        let tags = manifests.compactMap { entry -> String? in
            if case .string(let name)? = entry.annotations?[OCIDescriptor.refName] { return name }
            return nil
        }
        let listed = tags.isEmpty ? "it has no tagged images" : "its tags are: " + tags.joined(separator: ", ")
        guard let tag else {
            if manifests.count == 1 { return manifests[0] }
            if manifests.isEmpty { throw ChangerecError(.usage, "OCI layout '\(layout)' holds no image") }
            throw ChangerecError(
                .usage,
                "OCI layout '\(layout)' holds \(manifests.count) images; name one as oci:\(layout):TAG (\(listed))")
        }
        guard let entry = manifests.first(where: { $0.annotations?[OCIDescriptor.refName] == .string(tag) }) else {
            throw ChangerecError(.usage, "OCI layout '\(layout)' has no image tagged '\(tag)'; \(listed)")
        }
        return entry
    }
}
