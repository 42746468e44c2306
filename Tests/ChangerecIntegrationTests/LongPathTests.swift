import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// Paths longer than `PATH_MAX` (4,096 bytes): no single system call can name them, so every reader of
/// the tree must walk them in steps. Once, every entry past ~4 KB was sealed as gone: `changes` dropped
/// it and `layer` left it out, with exit status 0.
@Suite("paths longer than PATH_MAX")
struct LongPathTests {
    /// 25 directories of 200-byte names: the deepest directory's path is about 5,000 bytes.
    static let depth = 25

    static func level(_ index: Int) -> String {
        String(format: "d%02d", index) + String(repeating: "x", count: 197)
    }

    /// The relative path of the deepest directory, as the oracle and `changes --json` spell it.
    static var deepest: String { (0..<depth).map(level).joined(separator: "/") }

    /// Python that changes into the deepest directory one component at a time (as `chdir` on a relative
    /// name always works, whatever the length of the whole path), then runs `body` there.
    static func atDeepEnd(_ body: String) -> String {
        """
        python3 -c '
        import os
        for i in range(\(depth)):
            os.chdir("d%02d" % i + "x" * 197)
        \(body.split(separator: "\n").joined(separator: "\n"))
        '
        """
    }

    @Test("paths of 5,000 bytes: changes and layer are exact", .requiresPython, arguments: ["inotify", "fanotify"])
    func fiveThousandBytePaths(backend: String) throws {
        if backend == "fanotify" && getuid() != 0 {
            try Test.cancel("fanotify needs root (CAP_SYS_ADMIN): run the tests as root to cover this backend")
        }
        let tree = try TemporaryTree()
        // Made in the shell, one component at a time: materialising a TreeSpec names each object by its whole
        // path, and no system call takes a path past PATH_MAX.
        try tree.shell(
            "python3 -c '\nimport os\nfor i in range(\(Self.depth)):\n    os.mkdir(\"d%02d\" % i + \"x\" * 197)\n    os.chdir(\"d%02d\" % i + \"x\" * 197)\n'"
        )
        try tree.shell(
            Self.atDeepEnd(
                """
                for name, text in (("same", "abcd"), ("mode", "m"), ("old", "o"), ("gone", "g")):
                    with open(name, "w") as f: f.write(text)
                os.utime("same", ns=(1000000000, 981173106000000000))
                os.mkdir("sub")
                with open("sub/kept", "w") as f: f.write("k")
                """))
        let truth = try GroundTruth.run(
            Self.atDeepEnd(
                """
                with open("new", "w") as f: f.write("new")
                st = os.stat("same")
                with open("same", "r+") as f: f.write("WXYZ")
                os.utime("same", ns=(st.st_atime_ns, st.st_mtime_ns))
                os.chmod("mode", 0o600)
                os.rename("old", "renamed")
                os.unlink("gone")
                os.symlink("target", "link")
                os.mkdir("fresh")
                with open("fresh/inner", "w") as f: f.write("i")
                with open("sub/kept", "a") as f: f.write("more")
                """), in: tree, backend: backend)
        #expect(truth.record.stderr.contains("warning") == false, "\(truth.record.stderr)")
        #expect(truth.differences.count >= 9, "\(truth.differences)")
        #expect(truth.missing.isEmpty, "missed: \(truth.missing.prefix(10))")
        #expect(truth.changes.complete)
        #expect(truth.changes.unreadable.isEmpty)
        let deep = Self.deepest + "/"
        #expect(Array(deep.utf8).count > 5000)
        let expected = [
            ("new", "A"), ("same", "C"), ("mode", "C"), ("renamed", "A"), ("old", "D"), ("gone", "D"), ("link", "A"),
            ("fresh", "A"), ("fresh/inner", "A"), ("sub/kept", "C"),
        ]
        for (name, kind) in expected {
            #expect(truth.changes.entry(deep + name)?.kind == kind, "\(name)")
        }
        #expect(truth.changes.entry(deep + "link")?.target == Array("target".utf8))
        // GNU tar and Python's tarfile cannot create such paths; the tests' own applier walks them.
        let layerProblems = try truth.layerDifferences(in: tree, peersExtract: false)
        #expect(layerProblems.isEmpty, "\(layerProblems.prefix(10))")
    }
}
