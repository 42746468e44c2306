import ChangerecKit
import ChangerecSystem
import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// The image applier on layers changerec recorded: two steps, each appended to an OCI layout, applied
/// to an empty directory, give the tree the steps left — compared with the real tree, with the test
/// support's independent applier and with `umoci unpack`.
@Suite("image applier: recorded layers give back the recorded tree")
struct ImageApplyTests {
    /// A base step: every kind of object, a long name, xattrs, a hard link; as root, a device and owners.
    static let baseStep = """
        set -e
        mkdir -p a/b d/sub x keep
        echo one > a/f; echo g > a/b/g; echo x > d/x; echo y > d/sub/y; echo in > x/inner; echo gone > gone
        ln -s a/f l; ln a/f h; echo file > becomes-dir; mkfifo p; chmod 4755 a/f; chmod 2750 a/b
        long=$(printf 'n%.0s' $(seq 1 150)); mkdir -p "deep/$long"; echo long > "deep/$long/$long"
        python3 -c 'import os; os.setxattr("a/f", "user.k", b"v"); os.setxattr("d", "user.dir", b"1")'
        if [ "$(id -u)" = 0 ]; then mknod dev c 1 3; chown 1000:1001 a/b/g; chown -h 7:8 l; fi
        touch -d @1000 a/b/g
        """
    /// A step that whites out, makes a directory opaque, swaps a file and a directory, retargets a link.
    static let upperStep = """
        set -e
        rm gone; rm -rf d; mkdir d; echo new > d/new; rm -rf x; echo file > x
        rm becomes-dir; mkdir becomes-dir; echo in > becomes-dir/in
        ln -sfn a/b/g l; ln a/b/g h2; echo two > a/f; rm p; mkfifo p2; chmod 1777 keep
        python3 -c 'import os; os.setxattr("a/b/g", "user.z", b"zz"); os.removexattr("a/f", "user.k")'
        """

    /// Records both steps in a fresh tree and appends each one's layer to `LAYOUT` (tag `t`).
    func recordImage(compression: String) throws -> (tree: TemporaryTree, layout: String) {
        let tree = try TemporaryTree()
        let layout = tree.base + "/layout"
        for (index, script) in [Self.baseStep, Self.upperStep].enumerated() {
            let journal = tree.base + "/step\(index).journal"
            let recorded = try Run.changerec(
                ["--quiet", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c", script],
                directory: tree.root)
            try #require(recorded.status == 0, "\(recorded.stderr)")
            let layered = try Run.changerec([
                "layer", journal, "--oci-layout", layout, "--tag", "t", "--compress", compression,
            ])
            try #require(layered.status == 0, "\(layered.stderr)")
        }
        return (tree, layout)
    }

    func emptyDirectory(_ path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    @Test(
        "applying the recorded image gives the tree after the steps, and the state is a fresh seal's",
        .requiresPython, arguments: ["gzip", "zstd", "none"])
    func appliedEqualsRecorded(compression: String) throws {
        let (tree, layout) = try recordImage(compression: compression)
        let image = try OCIImage.open(layout: layout, tag: "t")
        #expect(image.layers.count == 2)
        let applied = try emptyDirectory(tree.base + "/applied")
        let state = try ImageApplier.apply(image, to: Array(applied.utf8))
        let expected = try TreeSnapshot.take(tree.root)
        #expect(expected.differences(to: try TreeSnapshot.take(applied)).map(\.description) == [])
        #expect(state.count == expected.objects.count, "one state per path, ROOT included")
        for (path, object) in expected.objects {
            let relative = try #require(RelativePath(path))
            let kept = try #require(state[relative], "\(printable(path))")
            #expect(kept.permissions == object.mode && kept.uid == object.uid && kept.gid == object.gid)
            if path != [] {
                #expect(
                    kept.mtimeSeconds == object.mtime && Int(kept.mtimeNanoseconds) == object.mtimeNanoseconds,
                    "\(printable(path))")
            }
            #expect(kept.symlinkTarget == object.target && kept.contentDigest == object.content)
            #expect((kept.xattrDigest != nil) == !object.xattrs.isEmpty, "\(printable(path))")
        }
    }

    @Test("the test support's independent applier gives the same tree from the same blobs", .requiresPython)
    func sameAsIndependentApplier() throws {
        let (tree, layout) = try recordImage(compression: "gzip")
        let image = try OCIImage.open(layout: layout, tag: "t")
        let applied = try emptyDirectory(tree.base + "/applied")
        _ = try ImageApplier.apply(image, to: Array(applied.utf8))
        let independent = try emptyDirectory(tree.base + "/independent")
        for layer in image.layers {
            let digest = try #require(layer.digest)
            try LayerApplier.apply(
                layer: layout + "/blobs/sha256/" + digest.dropFirst("sha256:".count), to: independent)
        }
        let theirs = try TreeSnapshot.take(independent)
        #expect(theirs.differences(to: try TreeSnapshot.take(applied)).map(\.description) == [])
    }

    @Test(
        "umoci unpack of the recorded image gives the same root file system",
        .requiresPython, .requiresProgram("/usr/bin/umoci"))
    func sameAsUmoci() throws {
        let (tree, layout) = try recordImage(compression: "gzip")
        let applied = try emptyDirectory(tree.base + "/applied")
        _ = try ImageApplier.apply(try OCIImage.open(layout: layout, tag: "t"), to: Array(applied.utf8))
        let bundle = tree.base + "/bundle"
        let rootless = getuid() == 0 ? [] : ["--rootless"]
        let unpacked = try Run.command(["/usr/bin/umoci", "unpack"] + rootless + ["--image", layout + ":t", bundle])
        try #require(unpacked.status == 0, "\(unpacked.stderr)")
        let umoci = try TreeSnapshot.take(bundle + "/rootfs")
        #expect(umoci.differences(to: try TreeSnapshot.take(applied)).map(\.description) == [])
    }

    private func printable(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
