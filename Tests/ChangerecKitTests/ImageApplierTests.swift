import ChangerecSystem
import ChangerecTestSupport
import Foundation
import Testing

@testable import ChangerecKit

/// The image applier on hand-made layers: layer.md's semantics, the state it reports, compression,
/// damaged blobs and the layout's errors.
@Suite("image applier: hand-made layers applied as layer.md says")
struct ImageApplierTests {
    /// A base, then a layer that whites out, makes a directory opaque and replaces objects of each kind.
    static let base: [TestEntry] = [
        .dir("a"), .file("a/f", "one\n"), .dir("a/b"), .file("a/b/g", "g\n"), .file("a/b/keep", "keep\n"),
        .dir("d"), .file("d/x", "x\n"), .dir("d/sub"), .file("d/sub/y", "y\n"), .dir("x"), .file("x/inner", "in\n"),
        .file("y", "y\n"), .symlink("l", "a/f"), .hardLink("h", to: "a/f"),
        .file("a/" + String(repeating: "long-", count: 30), "long name\n"),
        .file("attrs", "attrs\n").xattr("user.k", "v").xattr("user.other", "w"),
    ]
    static let upper: [TestEntry] = [
        .whiteout(".wh.y"), .dir("a/b"), .whiteout("a/b/.wh.g"), .dir("d", mode: 0o700), .whiteout("d/.wh..wh..opq"),
        .file("d/new", "new\n"), .file("x", "x is a file now\n"), .dir("a/f"), .file("a/f/in", "in\n"),
        .dir("a", mode: 0o750, mtime: 5_000), .symlink("l", "a/b/keep"), .hardLink("h2", to: "a/b/keep"),
        .whiteout(".wh.nothing-there"), .file("attrs", "attrs again\n").xattr("user.k", "v2"),
    ]

    func apply(_ layers: [[TestEntry]], to tree: TemporaryTree) throws -> TreeState {
        var state = TreeState()
        for (index, entries) in layers.enumerated() {
            let path = tree.base + "/layer\(index).tar"
            try TestImage.layer(entries, at: path)
            try ImageApplier.apply(layerAt: Array(path.utf8), format: .tar, to: Array(tree.root.utf8), state: &state)
        }
        return state
    }

    @Test("whiteouts, an opaque directory, replacements, hard links, xattrs and long names apply as layer.md says")
    func semantics() throws {
        let tree = try TemporaryTree()
        let state = try apply([Self.base, Self.upper], to: tree)
        let snapshot = try TreeSnapshot.take(tree.root)
        let paths = Set(snapshot.objects.keys.map { String(decoding: $0, as: UTF8.self) })
        #expect(
            paths
                == [
                    "", "a", "a/f", "a/f/in", "a/b", "a/b/keep", "a/" + String(repeating: "long-", count: 30), "d",
                    "d/new", "x", "l", "h", "h2", "attrs",
                ])
        func object(_ path: String) throws -> ObjectState { try #require(snapshot.objects[Array(path.utf8)]) }
        #expect(try object("a").mode == 0o750, "a directory over a directory takes the new metadata")
        #expect(try object("a").mtime == 5_000, "directory mtimes are set once the layer is applied")
        #expect(try object("d").mode == 0o700)
        #expect(try object("x").type == S_IFREG && object("a/f").type == S_IFDIR)
        #expect(try object("l").target == Array("a/b/keep".utf8))
        #expect(try object("attrs").xattrs == [Array("user.k".utf8): Array("v2".utf8)], "old xattrs are not kept")
        #expect(try object("a/b/keep").mtime == 2_000 && object("a/b/keep").mtimeNanoseconds == 250_000_000)
        // The hard link made in the base still holds the content a/f had then.
        let h = Array(try String(contentsOfFile: tree.path("h"), encoding: .utf8).utf8)
        #expect(h == Array("one\n".utf8))
        var linked = stat()
        var kept = stat()
        #expect(lstat(tree.path("h2"), &linked) == 0 && lstat(tree.path("a/b/keep"), &kept) == 0)
        #expect(linked.st_ino == kept.st_ino, "a hard link names the same inode")
        #expect(try TestImage.stateDifferences(state, root: tree.root) == [])
    }

    @Test("the test support's independent applier makes the same tree from the same layers")
    func sameAsIndependentApplier() throws {
        let tree = try TemporaryTree()
        _ = try apply([Self.base, Self.upper], to: tree)
        let other = tree.outside
        for index in 0..<2 { try LayerApplier.apply(layer: tree.base + "/layer\(index).tar", to: other) }
        let mine = try TreeSnapshot.take(tree.root)
        let theirs = try TreeSnapshot.take(other)
        #expect(theirs.differences(to: mine).map(\.description) == [])
    }

    @Test("an entry whose parents have no entries gets them made, mode 0755, and they are in the state")
    func implicitParents() throws {
        let tree = try TemporaryTree()
        let state = try apply([[.file("implicit/parent/file", "no parent entries\n")]], to: tree)
        let snapshot = try TreeSnapshot.take(tree.root)
        #expect(snapshot.objects[Array("implicit/parent".utf8)]?.mode == 0o755)
        #expect(snapshot.objects[Array("implicit/parent/file".utf8)]?.size == 18)
        #expect(try TestImage.stateDifferences(state, root: tree.root) == [])
    }

    @Test("the state after each layer is what a fresh seal of the tree reads", arguments: [1, 2])
    func stateAfterEachLayer(layers: Int) throws {
        let tree = try TemporaryTree()
        let state = try apply(Array([Self.base, Self.upper].prefix(layers)), to: tree)
        #expect(state[.root]?.type == .directory, "ROOT is in the state, as the empty path")
        #expect(try TestImage.stateDifferences(state, root: tree.root) == [])
    }

    @Test(
        "gzip, zstd and uncompressed blobs from a layout apply to the same tree", arguments: LayerCompression.allCases)
    func compressions(compression: LayerCompression) throws {
        let tree = try TemporaryTree()
        try TestImage.layout(at: tree.base + "/layout", layers: [Self.base, Self.upper], compression: compression)
        let image = try OCIImage.open(layout: tree.base + "/layout", tag: "t")
        #expect(image.layers.count == 2 && image.layers[0].mediaType == compression.mediaType)
        let state = try ImageApplier.apply(image, to: Array(tree.root.utf8))
        let reference = try TemporaryTree()
        _ = try apply([Self.base, Self.upper], to: reference)
        let expected = try TreeSnapshot.take(reference.root)
        #expect(expected.differences(to: try TreeSnapshot.take(tree.root)).map(\.description) == [])
        #expect(try TestImage.stateDifferences(state, root: tree.root) == [])
    }

    @Test("a blob whose bytes do not match its digest is refused", arguments: LayerCompression.allCases)
    func damagedBlob(compression: LayerCompression) throws {
        let tree = try TemporaryTree()
        let layout = tree.base + "/layout"
        try TestImage.layout(
            at: layout, layers: [[.file("f", String(repeating: "content ", count: 2_000))]],
            compression: compression)
        let image = try OCIImage.open(layout: layout, tag: "t")
        let digest = try #require(image.layers.first?.digest)
        let blob = layout + "/blobs/sha256/" + digest.dropFirst("sha256:".count)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: blob))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: blob))
        #expect {
            try ImageApplier.apply(image, to: Array(tree.root.utf8))
        } throws: { error in
            let message = (error as? ChangerecError)?.message ?? ""
            return message.hasPrefix("blob \(digest) of OCI layout '\(layout)' does not match its digest")
        }
    }

    @Test("an image of no layers leaves the directory empty, and the state holds ROOT alone")
    func noLayers() throws {
        let tree = try TemporaryTree()
        try TestImage.layout(at: tree.base + "/layout", layers: [])
        let state = try ImageApplier.apply(
            try OCIImage.open(layout: tree.base + "/layout", tag: "t"), to: Array(tree.root.utf8))
        #expect(state.count == 1 && state[.root]?.type == .directory)
        #expect(try TestImage.stateDifferences(state, root: tree.root) == [])
    }

    @Test("a layer of a media type the applier does not read is refused by name before anything is written")
    func unknownLayerType() throws {
        let tree = try TemporaryTree()
        try TestImage.layout(at: tree.base + "/layout", layers: [[.file("f", "x")]])
        var image = try OCIImage.open(layout: tree.base + "/layout", tag: nil)
        var manifest = image.manifest
        manifest.layers?[0].mediaType = "application/vnd.oci.image.layer.nondistributable.v1.tar"
        image = OCIImage(
            layoutPath: image.layoutPath, manifestDigest: image.manifestDigest, manifest: manifest,
            config: image.config)
        #expect(throws: ChangerecError.self) { try ImageApplier.apply(image, to: Array(tree.root.utf8)) }
        #expect(try TreeSnapshot.take(tree.root).objects.count == 1, "nothing was written")
    }
}

/// OCIImage.open: which image a layout and tag name, and the one-line errors.
@Suite("OCI image: opening an image of a layout")
struct OCIImageOpenTests {
    func message(_ body: () throws(ChangerecError) -> OCIImage) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return error.message
        }
    }

    @Test("a missing layout, a missing tag, several tags and no tag each say what to do")
    func errors() throws {
        let tree = try TemporaryTree()
        let layout = tree.base + "/layout"
        #expect(
            message { () throws(ChangerecError) in try OCIImage.open(layout: layout, tag: nil) }
                == "OCI layout '\(layout)' does not exist; make one with 'skopeo copy docker://IMAGE oci:\(layout):TAG'"
        )
        try TestImage.layout(at: layout, tags: ["one", "two"], layers: [[.file("f", "x")]])
        #expect(
            message { () throws(ChangerecError) in try OCIImage.open(layout: layout, tag: "three") }
                == "OCI layout '\(layout)' has no image tagged 'three'; its tags are: one, two")
        #expect(
            message { () throws(ChangerecError) in try OCIImage.open(layout: layout, tag: nil) }
                == "OCI layout '\(layout)' holds 2 images; name one as oci:\(layout):TAG (its tags are: one, two)")
        #expect(try OCIImage.open(layout: layout, tag: "two").layers.count == 1)
        let untagged = tree.base + "/untagged"
        try TestImage.layout(at: untagged, tags: [nil], layers: [[.file("f", "x")]])
        #expect(try OCIImage.open(layout: untagged, tag: nil).config.rootfs?.diffIDs?.count == 1)
        #expect(
            message { () throws(ChangerecError) in try OCIImage.open(layout: untagged, tag: "latest") }
                == "OCI layout '\(untagged)' has no image tagged 'latest'; it has no tagged images")
        #expect(
            message { () throws(ChangerecError) in try OCIImage.open(layout: tree.root, tag: nil) }
                == "'\(tree.root)' is not an OCI image layout (it has no oci-layout file)")
    }

    @Test("an index of platforms is not an image, and a manifest blob that does not match its digest is refused")
    func indexAndDamagedManifest() throws {
        let tree = try TemporaryTree()
        let layout = tree.base + "/layout"
        try TestImage.layout(at: layout, layers: [[.file("f", "x")]])
        let indexURL = URL(fileURLWithPath: layout + "/index.json")
        let original = try Data(contentsOf: indexURL)
        var index = try JSONDecoder().decode(OCIIndex.self, from: original)
        index.manifests?[0].mediaType = "application/vnd.oci.image.index.v1+json"
        try JSONEncoder().encode(index).write(to: indexURL)
        #expect(
            message { () throws(ChangerecError) in try OCIImage.open(layout: layout, tag: "t") }.hasPrefix(
                "image 't' in OCI layout '\(layout)' is an index of images for several platforms, not an image"))
        try original.write(to: indexURL)
        let digest = try #require(index.manifests?[0].digest)
        let blob = URL(fileURLWithPath: layout + "/blobs/sha256/" + digest.dropFirst("sha256:".count))
        var bytes = try Data(contentsOf: blob)
        bytes[bytes.count - 2] = 0x20
        try bytes.write(to: blob)
        #expect(
            message { () throws(ChangerecError) in try OCIImage.open(layout: layout, tag: "t") }.hasPrefix(
                "blob \(digest) of OCI layout '\(layout)' does not match its digest"))
    }
}

/// Tars that changerec's own writer never makes: GNU long names and links, base-256 numbers, global
/// PAX headers, made by Python's tarfile.
@Suite("image applier: GNU and PAX tars of other writers", .requiresPython)
struct ImageApplierTarFormatTests {
    @Test("GNU long names and link targets, base-256 ids and a global PAX header apply", .requiresRoot)
    func otherWriters() throws {
        let tree = try TemporaryTree()
        let long = String(repeating: "g", count: 140)
        let script = """
            import io, sys, tarfile
            long = sys.argv[2]
            def add(t, name, kind, **fields):
                info = tarfile.TarInfo(name)
                info.type = kind
                data = fields.pop("data", b"")
                for key, value in fields.items(): setattr(info, key, value)
                info.size = len(data) if kind == tarfile.REGTYPE else 0
                t.addfile(info, io.BytesIO(data) if data else None)
            with tarfile.open(sys.argv[1] + "/gnu.tar", "w", format=tarfile.GNU_FORMAT) as t:
                add(t, "dir/", tarfile.DIRTYPE, mode=0o755, mtime=100)
                add(t, "dir/" + long, tarfile.REGTYPE, data=b"gnu\\n", mode=0o640, uid=3000000, gid=3000001, mtime=200)
                add(t, "dir/link", tarfile.SYMTYPE, linkname="dir/" + long, mtime=300)
                add(t, "dir/hard", tarfile.LNKTYPE, linkname="dir/" + long)
            with tarfile.open(sys.argv[1] + "/pax.tar", "w", format=tarfile.PAX_FORMAT,
                              pax_headers={"comment": "global"}) as t:
                add(t, "./pax/./file", tarfile.REGTYPE, data=b"pax\\n", mode=0o600, mtime=400)
            """
        let made = try Run.command(["/usr/bin/python3", "-c", script, tree.base, long])
        try #require(made.status == 0, "\(made.stderr)")
        var state = TreeState()
        for name in ["gnu.tar", "pax.tar"] {
            try ImageApplier.apply(
                layerAt: Array((tree.base + "/" + name).utf8), format: .tar, to: Array(tree.root.utf8), state: &state)
        }
        let snapshot = try TreeSnapshot.take(tree.root)
        func object(_ path: String) throws -> ObjectState { try #require(snapshot.objects[Array(path.utf8)]) }
        #expect(try object("dir/" + long).uid == 3_000_000 && object("dir/" + long).gid == 3_000_001)
        #expect(try object("dir/" + long).mode == 0o640 && object("dir/" + long).mtime == 200)
        #expect(try object("dir/link").target == Array(("dir/" + long).utf8))
        #expect(try object("dir/hard").content == object("dir/" + long).content)
        #expect(try object("dir").mtime == 100)
        #expect(try object("pax/file").mode == 0o600 && object("pax/file").mtime == 400)
        #expect(try TestImage.stateDifferences(state, root: tree.root) == [])
    }
}

/// A layer is streamed: its size does not show in the applier's memory.
@Suite("image applier: bounded memory")
struct ImageApplierMemoryTests {
    /// The process's peak resident set, in bytes.
    func peakResident() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    @Test("a gzip layer holding a 256 MiB file applies without the peak memory growing by its size")
    func streamed() throws {
        let tree = try TemporaryTree()
        let path = tree.base + "/big.tar.gz"
        let size = 256 << 20
        // Written a MiB at a time, so that making the layer does not raise the peak either.
        let descriptor = try FileSystem.open(
            Array(path.utf8), .writeOnly, options: [.create, .truncate], permissions: .regularFileDefault)
        let sink = try BlobSink(descriptor: descriptor, path: Array(path.utf8), compression: .gzip, threads: 1)
        let writer = TarWriter(sink: sink)
        var header = TarHeader(name: Array("big".utf8), kind: .regular, mode: 0o644)
        header.size = UInt64(size)
        header.uid = getuid()
        header.gid = getgid()
        try writer.write(header)
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        for _ in 0..<(size >> 20) { try sink.write(zeros) }
        try writer.finish()
        _ = try sink.finish()
        FileSystem.close(descriptor)
        let before = peakResident()
        var state = TreeState()
        try ImageApplier.apply(layerAt: Array(path.utf8), format: .gzip, to: Array(tree.root.utf8), state: &state)
        let growth = peakResident() - before
        #expect(state[try #require(RelativePath("big"))]?.size == UInt64(size))
        // Half the file: a margin for other tests running meanwhile in this process.
        #expect(growth < size / 2, "the peak grew by \(growth >> 20) MiB")
    }
}
