import ChangerecTestSupport
import Foundation
import Testing

/// Every workload runs under the real binary; the tree is snapshotted before and after, and every real
/// difference must be in `changerec changes --json`. The blind cases are why changerec exists.
@Suite("ground truth: every real change is recorded")
struct GroundTruthTests {
    /// Every workload runs under both backends; fanotify cases are cancelled, with the reason, without root.
    static let backends = ["inotify", "fanotify"]

    @Test(
        "every real change the workload makes is recorded, and its layer rebuilds the tree after it",
        arguments: workloads, backends)
    func workload(_ workload: GroundTruthWorkload, backend: String) throws {
        for requirement in workload.requirements where !requirement.isMet {
            try Test.cancel(Comment(rawValue: requirement.missing))
        }
        let (truth, _) = try check(
            workload.script, tree: workload.tree, outside: workload.outside, backend: backend,
            expectDifferences: workload.expectDifferences)
        try workload.check(truth)
    }

    /// Runs `script` on `tree` (and `outside`, beside ROOT), requires that it really changed something (so
    /// the test cannot pass on an idle tree), that nothing it changed is missing, and that its layer applied
    /// to the tree before the step gives the tree after it.
    @discardableResult
    func check(
        _ script: String, tree spec: [TreeSpec] = [], outside: [TreeSpec] = [], backend: String,
        expectDifferences: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (GroundTruth, TemporaryTree) {
        if backend == "fanotify" && !Requirement.root.isMet {
            try Test.cancel("fanotify needs root (CAP_SYS_ADMIN): run the tests as root to cover this backend")
        }
        let tree = try TemporaryTree()
        try spec.materialise(in: tree.root)
        try outside.materialise(in: tree.outside)
        // `touch -t` and `touch -d` in the steps read times as the declared trees do: in UTC.
        let truth = try GroundTruth.run(
            script.replacingOccurrences(of: "$OUT", with: tree.outside), in: tree, backend: backend,
            environment: ["TZ": "UTC0"])
        if expectDifferences {
            #expect(
                !truth.differences.isEmpty, "the workload changed nothing, so this test proves nothing",
                sourceLocation: sourceLocation)
        }
        let missing = truth.missing
        #expect(
            missing.isEmpty, "missed: \(missing.prefix(20))\nrecorded: \(truth.changes.changes.prefix(40))",
            sourceLocation: sourceLocation)
        #expect(truth.changes.complete, sourceLocation: sourceLocation)
        let layerProblems = try truth.layerDifferences(in: tree)
        #expect(layerProblems.isEmpty, "\(layerProblems.prefix(10))", sourceLocation: sourceLocation)
        return (truth, tree)
    }

    static let workloads: [GroundTruthWorkload] = [
        GroundTruthWorkload(
            "Buildah #5861: a symlink retargeted with its timestamp kept",
            tree: [.symlink("link", "y").mtime("1988-04-07 13:07:58")],
            script: "ln -s x new && touch -h -t 198804071307.58 new && mv -T new link"
        ) { truth in
            let link = try #require(truth.changes.entry("link"))
            #expect(link.kind == "C")
            #expect(link.target == Array("x".utf8))
        },
        GroundTruthWorkload(
            "a same-size rewrite with its mtime restored",
            tree: [.file("f", "abcd").mtime("2001-02-03 04:05:06")],
            outside: [.file("ref").mtime("2001-02-03 04:05:06")],
            script: "printf 'WXYZ' > f && touch -r \"$OUT/ref\" f"
        ) { truth in
            #expect(truth.changes.entry("f")?.kind == "C")
        },
        GroundTruthWorkload(
            "mkdir -p eight deep with a file written at every level at once",
            script:
                "mkdir -p l1/l2/l3/l4/l5/l6/l7/l8 && p=. && for l in l1 l2 l3 l4 l5 l6 l7 l8; do p=$p/$l; echo $l > $p/file; done"
        ) { truth in
            #expect(truth.changes.entry("l1/l2/l3/l4/l5/l6/l7/l8/file")?.kind == "A")
        },
        GroundTruthWorkload(
            "20,000 files in 200 new directories, as fast as possible",
            script: """
                python3 -c '
                import os
                for d in range(200):
                    os.mkdir("d%03d" % d)
                    for f in range(100):
                        with open("d%03d/f%03d" % (d, f), "w") as out: out.write(str(f))
                '
                """, requires: [.python]
        ) { truth in
            #expect(truth.differences.count >= 20_200)
            #expect(truth.changes.changes.filter { $0.kind == "A" }.count >= 20_200)
        },
        GroundTruthWorkload(
            "a populated directory renamed",
            tree: [.dir("dir", [.file("a", "a\n"), .dir("sub", [.file("b", "b\n")])])],
            script: "echo more > dir/sub/new && mv dir moved && echo after > moved/late"
        ) { truth in
            #expect(truth.changes.entry("dir")?.kind == "D")
            let moved = try #require(truth.changes.entry("moved"))
            #expect(moved.kind == "A" && moved.subtree)
        },
        GroundTruthWorkload(
            "directories moved into and out of ROOT",
            tree: [.dir("leaving", [.dir("deep", [.file("l", "l\n")])])],
            outside: [.dir("incoming", [.dir("sub", [.file("i", "i\n")])])],
            script: "mv \"$OUT/incoming\" incoming && echo x > incoming/sub/added && mv leaving \"$OUT/leaving\""
        ) { truth in
            #expect(truth.changes.entry("incoming")?.subtree == true)
            #expect(truth.changes.entry("leaving")?.kind == "D")
        },
        GroundTruthWorkload(
            "rename over an existing file", tree: [.file("target", "old\n")], script: "echo new > tmp && mv tmp target"
        ) { truth in
            #expect(truth.changes.entry("target")?.kind == "C")
            #expect(truth.changes.entry("tmp") == nil)
        },
        GroundTruthWorkload(
            "renameat2(RENAME_EXCHANGE) of two files and of two directories",
            tree: [
                .file("f1", "one\n"), .file("f2", "two\n"), .dir("d1", [.file("only1", "1\n")]),
                .dir("d2", [.file("only2", "2\n")]),
            ],
            script: """
                python3 -c '
                import ctypes, os
                libc = ctypes.CDLL(None, use_errno=True)
                for a, b in ((b"f1", b"f2"), (b"d1", b"d2")):
                    if libc.renameat2(-100, a, -100, b, 2) != 0:
                        raise OSError(ctypes.get_errno(), "renameat2")
                '
                """, requires: [.python]
        ) { truth in
            for path in ["f1", "f2", "d1", "d2"] { #expect(truth.changes.entry(path)?.kind == "C", "\(path)") }
        },
        GroundTruthWorkload("a hard link", tree: [.file("f", "f\n")], script: "ln f hl") { truth in
            #expect(truth.changes.entry("hl")?.kind == "A")
        },
        // The shell's working directory keeps the deleted directory alive, so inotify drops its watch late.
        GroundTruthWorkload(
            "a directory deleted and made again while a process still sits in the old one",
            tree: [.dir("build", [.file("old", "old\n")])],
            script: "cd build && rm -rf ../build && mkdir ../build && echo new > ../build/out"
        ) { truth in
            #expect(truth.changes.entry("build/out")?.kind == "A")
        },
        GroundTruthWorkload(
            "a change through one name of a hard link changes the other names too",
            tree: [.file("a", "one\n"), .hardLink("b", to: "a"), .dir("d", [.hardLink("c", to: "a")])],
            script: "echo two >> a && chmod 600 a"
        ) { truth in
            #expect(truth.changes.entry("b")?.kind == "C")
            #expect(truth.changes.entry("d/c")?.kind == "C")
        },
        GroundTruthWorkload(
            "a directory replaced by a file, another by a symbolic link",
            tree: [.dir("d", [.dir("sub", [.file("y", "y\n")]), .file("x", "x\n")]), .dir("e", [.file("z", "z\n")])],
            script: "rm -rf d && echo file > d && rm -rf e && ln -s /etc e"
        ) { truth in
            #expect(truth.changes.entry("d")?.type == "file")
            #expect(truth.changes.entry("e")?.type == "symlink")
        },
        // No event names what the moved directory held; only the baseline knows it was there.
        GroundTruthWorkload(
            "what a directory held is deleted when the directory moved away and a file or symbolic link took its name",
            tree: [
                .dir("out", [.dir("a", [.file("g", "g\n")]), .file("f", "f\n")]),
                .dir("away", [.dir("b", [.file("h", "h\n")])]),
            ],
            script: "mv out \"$OUT/out\" && echo file > out && mv away elsewhere && ln -s elsewhere away"
        ) { truth in
            #expect(truth.changes.entry("out")?.type == "file")
            #expect(truth.changes.entry("away")?.type == "symlink")
            for path in ["out/a", "out/f", "away/b"] { #expect(truth.changes.entry(path)?.kind == "D", "\(path)") }
        },
        // As the torture found it: the directory leaves ROOT, a new one takes its name and is renamed away
        // with RENAME_WHITEOUT, which leaves a character device 0:0 behind.
        GroundTruthWorkload(
            "what a directory held is deleted when the directory moved out and the whiteout of a rename took its name",
            tree: [
                .dir(
                    "c",
                    [.dir("b", [.dir("a", [.file("g", "g\n")]), .dir("d", [.file("h", "h\n")]), .file("f", "f\n")])])
            ],
            script: """
                mv c/b "$OUT/b" && mkdir c/b && python3 -c '
                import ctypes
                libc = ctypes.CDLL(None, use_errno=True)
                if libc.renameat2(-100, b"c/b", -100, b"moved", 4) != 0:
                    raise OSError(ctypes.get_errno(), "renameat2")
                '
                """, requires: [.root, .python]
        ) { truth in
            #expect(truth.changes.entry("c/b")?.type == "char")
            for path in ["c/b/a", "c/b/d", "c/b/f"] { #expect(truth.changes.entry(path)?.kind == "D", "\(path)") }
        },
        GroundTruthWorkload("chmod only", tree: [.file("f", "f\n").mode(0o644)], script: "chmod 0600 f"),
        GroundTruthWorkload(
            "chown only", tree: [.file("f", "f\n")], script: "chown 4321:4321 f", requires: [.root]),
        GroundTruthWorkload(
            "setxattr only", tree: [.file("f", "f\n")],
            script: "python3 -c 'import os; os.setxattr(\"f\", \"user.k\", b\"v\")'", requires: [.python]),
        // struct vfs_cap_data, revision 2, effective, permitted = CAP_NET_BIND_SERVICE.
        GroundTruthWorkload(
            "security.capability set on a file (as setcap does)", tree: [.file("tool", "tool\n").mode(0o755)],
            script:
                "python3 -c 'import os, struct; os.setxattr(\"tool\", \"security.capability\", struct.pack(\"<5I\", 0x02000001, 1 << 10, 0, 0, 0))'",
            requires: [.root, .python]
        ) { truth in
            #expect(truth.changes.entry("tool")?.kind == "C")
        },
        GroundTruthWorkload(
            "device nodes created", script: "mknod null c 1 3 && mknod loop b 7 200", requires: [.root]
        ) { truth in
            #expect(truth.changes.entry("null")?.type == "char")
            #expect(truth.changes.entry("loop")?.type == "block")
        },
        GroundTruthWorkload("utime only", tree: [.file("f", "f\n")], script: "touch -d '2001-01-01 00:00:00' f"),
        // No real difference exists; the operations were still seen (a false positive is allowed).
        GroundTruthWorkload(
            "delete and re-create with identical content and metadata",
            tree: [.file("f", "same\n").mtime("2020-01-01 00:00:00")],
            outside: [.file("f", "same\n").mtime("2020-01-01 00:00:00")], script: "rm f && cp -p \"$OUT/f\" f",
            expectDifferences: false
        ) { truth in
            #expect(truth.changes.entry("f")?.kind == "C")
        },
        GroundTruthWorkload(
            "an O_TMPFILE file linked in",
            script: """
                python3 -c '
                import ctypes, os
                fd = os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o640)
                os.write(fd, b"made anonymously")
                # linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the /proc link is the unprivileged way.
                if ctypes.CDLL(None).linkat(fd, b"", -100, b"linked", 0x1000) != 0:
                    os.link("/proc/self/fd/%d" % fd, "linked", follow_symlinks=True)
                '
                """, requires: [.python]
        ) { truth in
            #expect(truth.changes.entry("linked")?.kind == "A")
            // fanotify names the unlinked file `#INODE` until it is linked: that is never a path.
            #expect(!truth.changes.changes.contains { $0.path.first == UInt8(ascii: "#") })
        },
        GroundTruthWorkload("a fifo", script: "mkfifo pipe") { truth in
            #expect(truth.changes.entry("pipe")?.type == "fifo")
        },
        GroundTruthWorkload(
            "names with a newline, with invalid UTF-8, and of 255 bytes",
            script: """
                python3 -c '
                import os
                for name in (b"new\\nline", b"bad\\xff\\xfe", b"x" * 255, b"\\xff" * 200):

                    with open(name, "wb") as f: f.write(name)
                '
                """, requires: [.python]
        ) { truth in
            #expect(truth.changes.entry(Array("new\nline".utf8))?.kind == "A")
            #expect(truth.changes.entry([0x62, 0x61, 0x64, 0xFF, 0xFE])?.kind == "A")
            #expect(truth.changes.entry(String(repeating: "x", count: 255))?.kind == "A")
        },
        GroundTruthWorkload(
            "writes through a shared writable mmap", tree: [.file("m", "hello world")],
            script: """
                python3 -c '
                import mmap, os
                fd = os.open("m", os.O_RDWR)
                mm = mmap.mmap(fd, 0)
                os.close(fd)
                mm[0:5] = b"HELLO"
                mm.flush()
                mm.close()
                '
                """, requires: [.python]
        ) { truth in
            #expect(truth.changes.entry("m")?.kind == "C")
        },
    ]
}
