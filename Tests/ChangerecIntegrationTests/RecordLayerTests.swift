import ChangerecTestSupport
import Foundation
import Testing

/// `record --layer`: the layer written in the seal's pass is the layer `layer` writes from the journal
/// afterwards, each file is read once for both, a failing command gets none, and a destination that
/// cannot work is refused before the command runs.
@Suite("record --layer: the seal and the layer in one pass")
struct RecordLayerTests {
    /// A tree before the step, and a step with the cases a metadata walk misses: a symbolic link
    /// retargeted with its mtime kept, a same-size rewrite with the mtime restored, a directory renamed,
    /// a hard link, a deletion (a whiteout) and new files in new directories.
    static let before: [TreeSpec] = [
        .file("keep", "same"), .file("rewrite", "aaaa"), .symlink("link", "keep"), .dir("old", [.file("inside", "x")]),
        .file("gone", "bye"), .file("linked", "shared"),
    ]
    static let step = """
        mkdir -p new/deep && for i in 1 2 3 4 5; do seq 1 $((i * 5000)) > new/deep/f$i; done && \
        cp -p rewrite ../saved && printf bbbb > rewrite && touch -r ../saved rewrite && \
        ln -sfn new link && touch -h -r ../saved link && mv old renamed && ln linked linked-too && rm gone
        """

    /// Records the step in a fresh tree with `layerArguments`; returns the tree, journal and result.
    static func record(_ layerArguments: [String], script: String = step, status: Int32 = 0) throws -> (
        TemporaryTree, String, RunResult
    ) {
        let tree = try TemporaryTree()
        try tree.materialise(before)
        let journal = tree.base + "/step.journal"
        let result = try Run.changerec(
            ["--root", tree.root, "--journal", journal] + layerArguments + ["--", "/bin/sh", "-c", script],
            directory: tree.root)
        #expect(result.status == status, "\(result.stderr)")
        return (tree, journal, result)
    }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test(
        "the layer written in the seal's pass is the layer `layer` writes from the journal afterwards",
        arguments: ["gzip", "none"])
    func sameBytesAsLayerLater(compression: String) throws {
        let (tree, journal, result) = try Self.record(["--layer", "../onepass", "--compress", compression])
        let onePass = tree.base + "/onepass"
        #expect(result.stderr.contains("changerec: layer written to '../onepass'"), "\(result.stderr)")
        let later = try Run.changerec(["layer", journal, "-o", tree.base + "/later", "--compress", compression])
        try #require(later.status == 0, "\(later.stderr)")
        #expect(try Self.bytes(onePass) == (try Self.bytes(tree.base + "/later")))
        // The journal is whole, and says what a metadata walk would miss.
        let changes = try Run.changerec(["changes", journal])
        #expect(changes.status == 0, "\(changes.stderr)")
        for line in [
            "C /rewrite\n", "C /link -> new\n", "D /old\n", "A /renamed (renamed from /old", "D /gone\n",
            "A /linked-too\n", "A /new/deep/f5\n",
        ] {
            #expect(changes.stdout.contains(line), "\(line) missing from \(changes.stdout)")
        }
    }

    @Test("a zstd layer written in the seal's pass is the one `layer` writes afterwards", .requiresZstdTool)
    func sameZstdBytesAsLayerLater() throws {
        try sameBytesAsLayerLater(compression: "zstd")
    }

    @Test("record --oci-layout makes the layout that `layer --oci-layout` makes from the journal afterwards")
    func sameLayout() throws {
        let (tree, journal, result) = try Self.record(
            ["--oci-layout", "../image", "--tag", "v1", "--source-date-epoch", "1700000000", "--json"])
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stderr.utf8)) as? [String: Any], "\(result.stderr)")
        let layer = try #require(json["layer"] as? [String: Any], "\(json)")
        #expect(layer["oci_layout"] as? String == "../image")
        let later = try Run.changerec(
            [
                "layer", journal, "--oci-layout", tree.base + "/later", "--tag", "v1", "--source-date-epoch",
                "1700000000",
            ])
        try #require(later.status == 0, "\(later.stderr)")
        func blobs(_ layout: String) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: layout + "/blobs/sha256").sorted()
        }
        let made = try blobs(tree.base + "/image")
        #expect(made.count == 3)
        #expect(made.contains(String((layer["digest"] as? String ?? "").dropFirst(7))))
        #expect(made == (try blobs(tree.base + "/later")))
        #expect(try Self.bytes(tree.base + "/image/index.json") == (try Self.bytes(tree.base + "/later/index.json")))
    }

    /// strace sees every open of a file's content: changerec opens content with `O_NOFOLLOW|O_NONBLOCK`,
    /// which the shell's writes do not use.
    static func contentOpens(_ trace: String, file: String) throws -> Int {
        try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").filter {
            $0.contains("openat(") && $0.contains("\"\(file)\"") && $0.contains("O_NOFOLLOW")
                && $0.contains("O_NONBLOCK") && !$0.contains("O_DIRECTORY")
        }.count
    }

    @Test("each file is opened and read once for both the journal's digest and the layer", .requiresStrace)
    func oneReadPerFile() throws {
        let tree = try TemporaryTree()
        let journal = tree.base + "/step.journal"
        let trace = tree.base + "/open.trace"
        let script = "for i in $(seq 1 40); do seq 1 $i > content-$i; done"
        let traced = try Run.command(
            [
                "/usr/bin/strace", "-f", "-e", "trace=openat", "-o", trace, Run.binary, "--root", tree.root,
                "--journal", journal, "--layer", tree.base + "/layer", "--", "/bin/sh", "-c", script,
            ], directory: tree.root)
        try #require(traced.status == 0, "\(traced.stderr)")
        for i in 1...40 { #expect(try Self.contentOpens(trace, file: "content-\(i)") == 1, "content-\(i)") }
        // The same filter sees the layer's own open when the layer is written separately afterwards.
        let later = try Run.command([
            "/usr/bin/strace", "-f", "-e", "trace=openat", "-o", trace, Run.binary, "layer", journal, "-o",
            tree.base + "/later",
        ])
        try #require(later.status == 0, "\(later.stderr)")
        #expect(try Self.contentOpens(trace, file: "content-7") == 1)
        #expect(try Self.bytes(tree.base + "/layer") == (try Self.bytes(tree.base + "/later")))
    }

    @Test("a command that fails gets no layer; its status passes through and the journal is complete")
    func failingCommandGetsNoLayer() throws {
        let (tree, journal, result) = try Self.record(
            ["--layer", "../layer", "--oci-layout", "../image"], script: "echo x > made && exit 3", status: 3)
        #expect(result.stderr.contains("changerec: no layer written: the command exited with status 3"))
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/layer"))
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/image/index.json"))
        let changes = try Run.changerec(["changes", journal])
        #expect(changes.status == 0, "\(changes.stderr)")
        #expect(changes.stdout.contains("A /made\n"))
    }

    @Test(
        "a layer that cannot be written (a full disk) fails the recording with 125, leaves no partial layer and a complete journal",
        .requiresRoot)
    func fullDiskLeavesCompleteJournal() throws {
        let tree = try TemporaryTree()
        let small = try SmallTmpfs(at: tree.base + "/layer-fs", size: "64k")
        let journal = tree.base + "/step.journal"
        let result = try Run.changerec(
            [
                "--root", tree.root, "--journal", journal, "--layer", small.path + "/layer.tar", "--compress", "none",
                "--", "/bin/sh", "-c", "seq 1 100000 > numbers",
            ], directory: tree.root)
        #expect(result.status == 125, "\(result.stderr)")
        #expect(result.stderr.contains("No space left on device"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: small.path).isEmpty)
        let changes = try Run.changerec(["changes", journal])
        #expect(changes.status == 0, "\(changes.stderr)")
        #expect(changes.stdout == "A /numbers\n")
        let later = try Run.changerec(["layer", journal, "-o", tree.base + "/later.tar", "--compress", "none"])
        #expect(later.status == 0, "\(later.stderr)")
    }

    @Test(
        "a layer destination that cannot work is refused before the command runs",
        arguments: [
            (["--layer", "-"], "standard output, which belongs to the command"),
            (["--layer", "."], "is a directory"),
            (["--compress", "gzip"], "add --layer FILE or --oci-layout DIR"),
            (["--layer", "x", "--compress", "lz4"], "unknown compression 'lz4'"),
        ])
    func refusedBeforeTheCommand(arguments: [String], message: String) throws {
        let tree = try TemporaryTree()
        let result = try Run.changerec(
            ["--root", tree.root, "--journal", tree.base + "/j"] + arguments + ["--", "/bin/sh", "-c", "echo x > ran"],
            directory: tree.root)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tree.path("ran")))
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/j"))
    }
}
