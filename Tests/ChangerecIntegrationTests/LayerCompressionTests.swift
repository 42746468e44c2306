import ChangerecTestSupport
import Foundation
import Testing

/// `layer --compress gzip|zstd`: the same bytes on one processor as on all, output other decoders read
/// back as the tar, the media type in a layout, and zstd refused up front when libzstd is missing.
@Suite("layer compression: the same bytes on any number of processors")
struct LayerCompressionTests {
    /// A step writing some 25 MB that compress unevenly: many 128 KiB gzip blocks, and more than the 8 MiB
    /// a zstd worker takes at level 3.
    static func recordMixedStep() throws -> (TemporaryTree, String) {
        try Run.recordedStep(
            "mkdir -p bin text && for i in $(seq 1 40); do head -c $((i * 40000)) /bin/bash > bin/part$i; done && seq 1 2500000 > text/numbers && cp -r /usr/share/common-licenses text/licenses 2>/dev/null; dd if=/dev/zero of=zeros bs=1M count=3 status=none"
        )
    }

    static func sha256(_ command: String) throws -> String {
        let result = try Run.command(["/bin/sh", "-c", command + " | sha256sum"])
        return "sha256:" + result.stdout.prefix(64)
    }

    /// Writes the layer with `compression` on every processor and on one (`taskset -c 0`), requires the
    /// same bytes, and requires `decoder` to give back the uncompressed layer, whose digest is the diff_id.
    func sameBytesOnOneProcessor(_ compression: String, decoder: String) throws {
        let (tree, journal) = try Self.recordMixedStep()
        let all = tree.base + "/all." + compression
        let one = tree.base + "/one." + compression
        let result = try Run.changerec(["layer", journal, "-o", all, "--compress", compression, "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        let single = try Run.command(
            ["/usr/bin/taskset", "-c", "0", Run.binary, "layer", journal, "-o", one, "--compress", compression])
        try #require(single.status == 0, "\(single.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: all))
        #expect(try Data(contentsOf: URL(fileURLWithPath: one)) == bytes)
        let info = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        #expect(info["uncompressed_size"] as? Int ?? 0 > 20 << 20)
        let plain = try Run.changerec(["layer", journal, "-o", tree.base + "/plain.tar", "--compress", "none"])
        try #require(plain.status == 0)
        #expect(info["diff_id"] as? String == (try Self.sha256("cat '\(tree.base)/plain.tar'")))
        #expect(info["diff_id"] as? String == (try Self.sha256("\(decoder) '\(all)'")))
        #expect(info["digest"] as? String == (try Self.sha256("cat '\(all)'")))
        #expect(info["media_type"] as? String == "application/vnd.oci.image.layer.v1.tar+" + compression)
    }

    @Test("a gzip layer is the same bytes on one processor as on all, and gzip -d gives back the tar")
    func gzipOnOneProcessor() throws {
        try sameBytesOnOneProcessor("gzip", decoder: "gzip -dc")
    }

    @Test(
        "a zstd layer is the same bytes on one processor as on all, and zstd -d gives back the tar", .requiresZstdTool)
    func zstdOnOneProcessor() throws {
        try sameBytesOnOneProcessor("zstd", decoder: "zstd -dc")
    }

    @Test("an OCI layout names a zstd layer with its media type, beside a gzip layer", .requiresZstdTool)
    func zstdInLayout() throws {
        let (tree, journal) = try Run.recordedStep("echo x > f && mkdir d && seq 1 1000 > d/n")
        let layout = tree.base + "/layout"
        let zstd = try Run.changerec(["layer", journal, "--oci-layout", layout, "--compress", "zstd", "--json"])
        try #require(zstd.status == 0, "\(zstd.stderr)")
        let next = tree.base + "/next.journal"
        let step = try Run.changerec(
            ["--quiet", "--root", tree.root, "--journal", next, "--", "/bin/sh", "-c", "echo y > g"],
            directory: tree.root)
        try #require(step.status == 0, "\(step.stderr)")
        let gzip = try Run.changerec(["layer", next, "--oci-layout", layout])
        try #require(gzip.status == 0, "\(gzip.stderr)")
        try OCILayoutCheck.verify(layout, tag: "latest", expectedLayers: 2)
        let index = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json")))
        let manifestDigest = try #require(
            ((index as? [String: Any])?["manifests"] as? [[String: Any]])?.first?["digest"] as? String)
        let manifest = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: layout + "/blobs/sha256/" + manifestDigest.dropFirst(7))))
        let layers = try #require((manifest as? [String: Any])?["layers"] as? [[String: Any]])
        #expect(
            layers.map { $0["mediaType"] as? String } == [
                "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.oci.image.layer.v1.tar+gzip",
            ])
        let info = try #require(try JSONSerialization.jsonObject(with: zstd.stdoutData) as? [String: Any])
        #expect(layers.first?["digest"] as? String == info["digest"] as? String)
    }

    @Test("--compress zstd without libzstd fails in one line naming it, before any output or layout is made")
    func zstdMissing() throws {
        let (tree, journal) = try Run.recordedStep("echo x > f")
        let before = try FileManager.default.contentsOfDirectory(atPath: tree.base).sorted()
        let missing = "/nonexistent/libzstd.so.1"
        let result = try Run.changerec(
            [
                "layer", journal, "-o", tree.base + "/layer.tar.zst", "--oci-layout", tree.base + "/layout",
                "--compress", "zstd",
            ], environment: ["CHANGEREC_LIBZSTD": missing])
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "changerec: zstd compression needs libzstd (\(missing)), which could not be loaded: \(missing): cannot open shared object file: No such file or directory; install it with 'apt-get install libzstd1'\n"
        )
        #expect(result.stdout.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tree.base).sorted() == before)
        // gzip and none do not need libzstd.
        let gzip = try Run.changerec(
            ["layer", journal, "-o", tree.base + "/layer.tar.gz"], environment: ["CHANGEREC_LIBZSTD": missing])
        #expect(gzip.status == 0, "\(gzip.stderr)")
    }

    @Test("an unknown --compress value is a usage error naming the choices")
    func unknownCompression() throws {
        let (tree, journal) = try Run.recordedStep("echo x > f")
        let result = try Run.changerec(["layer", journal, "-o", tree.base + "/l", "--compress", "xz"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("unknown compression 'xz'; use gzip, zstd or none"))
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/l"))
    }
}
