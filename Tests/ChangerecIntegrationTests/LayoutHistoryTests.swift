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
}
