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
}
