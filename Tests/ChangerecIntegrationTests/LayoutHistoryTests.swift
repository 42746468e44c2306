import ChangerecTestSupport
import Foundation
import Testing

/// What an image's history says of a recorded step: the command line as a shell reads it back.
@Suite("layout history: created_by is the command line, quoted; --json names the manifest")
struct LayoutHistoryTests {
    /// The config blob of the layout at `path` (the one JSON blob with `rootfs`).
    static func config(_ path: String) throws -> [String: Any] {
        let blobs = path + "/blobs/sha256"
        for name in try FileManager.default.contentsOfDirectory(atPath: blobs) {
            let data = try Data(contentsOf: URL(fileURLWithPath: blobs + "/" + name))
            if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["rootfs"] != nil {
                return object
            }
        }
        throw TestFailure("no config in \(path)")
    }

    @Test("created_by quotes each argument that a shell would split or expand, and only those")
    func createdByIsQuoted() throws {
        let (tree, journal) = try Run.recordedStep("echo 'it''s' > \"a b\" && touch plain")
        let layout = tree.base + "/image"
        let result = try Run.changerec(["layer", journal, "--oci-layout", layout, "--tag", "v1", "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        // --json names the manifest the tag now points at.
        let printed = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        let index = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json")))
                as? [String: Any])
        let manifests = index["manifests"] as? [[String: Any]] ?? []
        #expect(manifests.count == 1)
        #expect(printed["manifest_digest"] as? String == manifests.first?["digest"] as? String)
        let history = try #require(try Self.config(layout)["history"] as? [[String: Any]])
        #expect(
            history.last?["created_by"] as? String
                == #"/bin/sh -c 'echo '\''it'\'''\''s'\'' > "a b" && touch plain'"#)
    }

    @Test("a journal already in the image is refused, whether it was appended alone or squashed with others")
    func journalAlreadyInImageRefused() throws {
        let (tree, first) = try Run.recordedStep("echo x > f")
        let second = tree.base + "/second.journal"
        let step = try Run.changerec(
            ["--quiet", "--root", tree.root, "--journal", second, "--", "/bin/sh", "-c", "echo y > g"],
            directory: tree.root)
        try #require(step.status == 0, "\(step.stderr)")
        let layout = tree.base + "/image"
        let index = layout + "/index.json"
        try #require(try Run.changerec(["layer", first, "--oci-layout", layout]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: index))
        let again = try Run.changerec(["layer", first, "--oci-layout", layout])
        #expect(again.status == 1)
        #expect(
            again.stderr
                == "changerec: journal '\(first)' is already a layer of image 'latest' in OCI layout '\(layout)'; appending it again would stack its changes twice\n"
        )
        #expect(try Data(contentsOf: URL(fileURLWithPath: index)) == before)
        // Another tag is another image; and a squash naming the journal is refused in the first image too.
        #expect(try Run.changerec(["layer", first, "--oci-layout", layout, "--tag", "other"]).status == 0)
        let squash = try Run.changerec(["layer", first, second, "--oci-layout", layout])
        #expect(squash.status == 1)
        #expect(squash.stderr.contains("journal '\(first)' is already a layer"))
        #expect(try Run.changerec(["layer", second, "--oci-layout", layout]).status == 0)
        try OCILayoutCheck.verify(layout, tag: "latest", expectedLayers: 2)
    }

    /// Every blob's digest in the layout.
    static func blobs(_ layout: String) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: layout + "/blobs/sha256").map { "sha256:" + $0 })
    }

    /// The manifest digest the tag names, and that manifest's config digest.
    static func image(_ layout: String, tag: String) throws -> (manifest: String, config: String) {
        let index = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json")))
                as? [String: Any])
        let entry = try #require(
            (index["manifests"] as? [[String: Any]])?.first {
                ($0["annotations"] as? [String: Any])?["org.opencontainers.image.ref.name"] as? String == tag
            })
        let digest = try #require(entry["digest"] as? String)
        let manifest = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: layout + "/blobs/sha256/" + digest.dropFirst(7))))
                as? [String: Any])
        return (digest, try #require((manifest["config"] as? [String: Any])?["digest"] as? String))
    }

    @Test("an append removes the manifest and config it supersedes, unless another tag still names them")
    func supersededBlobsRemoved() throws {
        let (tree, first) = try Run.recordedStep("echo x > f")
        let second = tree.base + "/second.journal"
        let step = try Run.changerec(
            ["--quiet", "--root", tree.root, "--journal", second, "--", "/bin/sh", "-c", "echo y > g"],
            directory: tree.root)
        try #require(step.status == 0, "\(step.stderr)")
        let layout = tree.base + "/image"
        try #require(try Run.changerec(["layer", first, "--oci-layout", layout, "--tag", "a"]).status == 0)
        let old = try Self.image(layout, tag: "a")
        try #require(try Run.changerec(["layer", second, "--oci-layout", layout, "--tag", "a"]).status == 0)
        let blobs = try Self.blobs(layout)
        #expect(!blobs.contains(old.manifest) && !blobs.contains(old.config))
        // Two layers, one config and one manifest: nothing else is left.
        #expect(blobs.count == 4)
        try OCILayoutCheck.verify(layout, tag: "a", expectedLayers: 2)

        // The same first layer under two tags is one manifest: appending to one tag keeps it for the other.
        let shared = tree.base + "/shared"
        for tag in ["a", "b"] {
            try #require(try Run.changerec(["layer", first, "--oci-layout", shared, "--tag", tag]).status == 0)
        }
        let kept = try Self.image(shared, tag: "b")
        #expect(try Self.image(shared, tag: "a") == kept)
        try #require(try Run.changerec(["layer", second, "--oci-layout", shared, "--tag", "a"]).status == 0)
        #expect(try Self.blobs(shared).isSuperset(of: [kept.manifest, kept.config]))
        try OCILayoutCheck.verify(shared, tag: "b", expectedLayers: 1)
        try OCILayoutCheck.verify(shared, tag: "a", expectedLayers: 2)
    }
}
