import ChangerecSystem
import ChangerecTestSupport
import Crypto
import Foundation

@testable import ChangerecKit

/// One entry of a hand-made layer: a header written by the project's own TarWriter, and its content.
struct TestEntry {
    var header: TarHeader
    var content: [UInt8] = []

    static func dir(_ name: String, mode: UInt32 = 0o755, mtime: Int64 = 1_000) -> TestEntry {
        var header = TarHeader(name: Array((name + "/").utf8), kind: .directory, mode: mode)
        header.mtimeSeconds = mtime
        return TestEntry(header: header).owned()
    }

    static func file(_ name: String, _ content: String, mode: UInt32 = 0o644, mtime: Int64 = 2_000) -> TestEntry {
        var header = TarHeader(name: Array(name.utf8), kind: .regular, mode: mode)
        header.size = UInt64(content.utf8.count)
        header.mtimeSeconds = mtime
        header.mtimeNanoseconds = 250_000_000
        return TestEntry(header: header, content: Array(content.utf8)).owned()
    }

    static func symlink(_ name: String, _ target: String) -> TestEntry {
        var header = TarHeader(name: Array(name.utf8), kind: .symlink, mode: 0o777)
        header.linkName = Array(target.utf8)
        header.mtimeSeconds = 3_000
        return TestEntry(header: header).owned()
    }

    static func hardLink(_ name: String, to target: String) -> TestEntry {
        var header = TarHeader(name: Array(name.utf8), kind: .hardLink, mode: 0o644)
        header.linkName = Array(target.utf8)
        return TestEntry(header: header).owned()
    }

    static func whiteout(_ name: String) -> TestEntry { file(name, "", mode: 0) }

    func xattr(_ name: String, _ value: String) -> TestEntry {
        var copy = self
        copy.header.xattrs.append((Array(name.utf8), Array(value.utf8)))
        return copy
    }

    func owner(_ uid: UInt32, _ gid: UInt32) -> TestEntry {
        var copy = self
        copy.header.uid = uid
        copy.header.gid = gid
        return copy
    }

    /// Owned by the user running the tests, so that the entry applies without root.
    private func owned() -> TestEntry { owner(getuid(), getgid()) }
}

/// Layers and OCI image layouts made by hand, for the applier's tests.
enum TestImage {
    /// Writes `entries` as a tar stream compressed with `compression` to `path`, through the project's
    /// BlobSink and TarWriter.
    @discardableResult
    static func layer(_ entries: [TestEntry], compression: LayerCompression = .none, at path: String) throws -> (
        digest: String, diffID: String, size: Int
    ) {
        let descriptor = try FileSystem.open(
            Array(path.utf8), .writeOnly, options: [.create, .truncate], permissions: .regularFileDefault)
        defer { FileSystem.close(descriptor) }
        let sink = try BlobSink(descriptor: descriptor, path: Array(path.utf8), compression: compression, threads: 1)
        let writer = TarWriter(sink: sink)
        for entry in entries {
            try writer.write(entry.header)
            try sink.write(entry.content)
            try writer.pad(UInt64(entry.content.count))
        }
        try writer.finish()
        let (diffID, digest) = try sink.finish()
        let size = try FileSystem.status(of: descriptor).size
        return ("sha256:" + Hex.string(digest), "sha256:" + Hex.string(diffID), Int(size))
    }

    /// Makes an OCI layout at `layout` holding one image per tag (`nil`: untagged), each with `layers`.
    static func layout(
        at layout: String, tags: [String?] = ["t"], layers: [[TestEntry]], compression: LayerCompression = .none
    ) throws {
        let blobs = layout + "/blobs/sha256"
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: layout + "/oci-layout"))
        var config = OCIImageConfig(architecture: "amd64")
        var descriptors: [OCIDescriptor] = []
        for entries in layers {
            let temporary = blobs + "/partial"
            let written = try layer(entries, compression: compression, at: temporary)
            try FileManager.default.moveItem(
                atPath: temporary, toPath: blobs + "/" + written.digest.dropFirst("sha256:".count))
            descriptors.append(
                OCIDescriptor(mediaType: compression.mediaType, digest: written.digest, size: Int64(written.size)))
            config.append(
                diffID: written.diffID,
                history: OCIHistory(created: "1970-01-01T00:00:00Z", createdBy: "test", comment: "test"))
        }
        let configBlob = try store(JSONEncoder().encode(config), in: blobs)
        let manifest = OCIManifest(
            config: OCIDescriptor(
                mediaType: OCIImageConfig.mediaType, digest: configBlob.digest, size: configBlob.size),
            layers: descriptors)
        let manifestBlob = try store(JSONEncoder().encode(manifest), in: blobs)
        let index = OCIIndex(
            schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
            manifests: tags.map { tag in
                OCIDescriptor(
                    mediaType: OCIManifest.mediaType, digest: manifestBlob.digest, size: manifestBlob.size,
                    annotations: tag.map { [OCIDescriptor.refName: .string($0)] })
            })
        try JSONEncoder().encode(index).write(to: URL(fileURLWithPath: layout + "/index.json"))
    }

    static func store(_ data: Data, in blobs: String) throws -> (digest: String, size: Int64) {
        let hex = Hex.string(SHA256.hash(data: data))
        try data.write(to: URL(fileURLWithPath: blobs + "/" + hex))
        return ("sha256:" + hex, Int64(data.count))
    }

    /// The state a fresh seal reads for every path of the tree at `root`, ROOT included.
    static func sealedState(of root: String) throws -> [RelativePath: FinalState] {
        let snapshot = try TreeSnapshot.take(root)
        let descriptor = try FileSystem.open(Array(root.utf8), .readOnly, options: .directory)
        defer { FileSystem.close(descriptor) }
        let sealer = SealBuilder(root: descriptor, baseline: Baseline(), exclusions: Exclusions([]))
        let paths = snapshot.objects.keys.compactMap { RelativePath($0) }.sorted(by: RelativePath.treeOrder)
        var states: [RelativePath: FinalState] = [:]
        try sealer.seal(SealBuilder.Plan(paths: paths, unlisted: [:]), threads: 1) { entry in
            if let after = entry.after { states[entry.path] = after }
        }
        return states
    }

    /// The paths whose state in `state` is not what a fresh seal reads (inode and link count aside),
    /// and the paths only one of them holds.
    static func stateDifferences(_ state: TreeState, root: String) throws -> [String] {
        let sealed = try sealedState(of: root)
        var differences: [String] = []
        for (path, fresh) in sealed {
            guard var kept = state[path] else {
                differences.append("\(path): not in the state")
                continue
            }
            kept.inode = fresh.inode
            kept.linkCount = fresh.linkCount
            if kept != fresh { differences.append("\(path): \(kept) != \(fresh)") }
        }
        for path in state.paths where sealed[path] == nil { differences.append("\(path): not in the tree") }
        return differences.sorted()
    }
}
