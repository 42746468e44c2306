import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// Every workload runs under the real binary; the tree is snapshotted before and after, and every real
/// difference must be in `changerec changes --json`. The blind cases are why changerec exists.
@Suite("ground truth: every real change is recorded")
struct GroundTruthTests {
    /// Every workload runs under both backends; fanotify cases are cancelled, with the reason, without root.
    static let backends = ["inotify", "fanotify"]

    /// Runs `script`, requires that it really changed something (so the test cannot pass on an idle
    /// tree) and that nothing it changed is missing.
    @discardableResult
    func check(
        _ script: String, prepare: String = "", backend: String, expectDifferences: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (GroundTruth, TemporaryTree) {
        if backend == "fanotify" && getuid() != 0 {
            try Test.cancel("fanotify needs root (CAP_SYS_ADMIN): run the tests as root to cover this backend")
        }
        let tree = try TemporaryTree()
        if !prepare.isEmpty {
            try tree.prepare(prepare.replacingOccurrences(of: "$OUT", with: tree.outside))
        }
        let truth = try GroundTruth.run(
            script.replacingOccurrences(of: "$OUT", with: tree.outside), in: tree, backend: backend)
        if expectDifferences {
            #expect(
                !truth.differences.isEmpty, "the workload changed nothing, so this test proves nothing",
                sourceLocation: sourceLocation)
        }
        let missing = truth.missing
        let complete = truth.changes.complete
        #expect(
            missing.isEmpty, "missed: \(missing.prefix(20))\nrecorded: \(truth.changes.changes.prefix(40))",
            sourceLocation: sourceLocation)
        #expect(complete, sourceLocation: sourceLocation)
        // The layer of the step, applied to the tree before it, gives the tree after it.
        let layerProblems = try truth.layerDifferences(in: tree)
        #expect(layerProblems.isEmpty, "\(layerProblems.prefix(10))", sourceLocation: sourceLocation)
        return (truth, tree)
    }

    @Test("Buildah #5861: a symlink retargeted with its timestamp kept", arguments: backends)
    func symlinkRetargetedSameTimestamp(backend: String) throws {
        let (truth, _) = try check(
            "ln -s x new && touch -h -t 198804071307.58 new && mv -T new link",
            prepare: "ln -s y link && touch -h -t 198804071307.58 link", backend: backend)
        let link = try #require(truth.changes.entry("link"))
        #expect(link.kind == "C")
        #expect(link.target == Array("x".utf8))
    }

    @Test("a same-size rewrite with its mtime restored", arguments: backends)
    func sameSizeRewriteMtimeRestored(backend: String) throws {
        let (truth, _) = try check(
            "printf 'WXYZ' > f && touch -r \"$OUT/ref\" f",
            prepare: "printf 'abcd' > f && touch -d '2001-02-03 04:05:06' f && touch -r f \"$OUT/ref\"",
            backend: backend)
        #expect(truth.changes.entry("f")?.kind == "C")
    }

    @Test("mkdir -p eight deep with a file written at every level at once", arguments: backends)
    func mkdirDeepThenWrite(backend: String) throws {
        let (truth, _) = try check(
            "mkdir -p l1/l2/l3/l4/l5/l6/l7/l8 && p=. && for l in l1 l2 l3 l4 l5 l6 l7 l8; do p=$p/$l; echo $l > $p/file; done",
            backend: backend)
        #expect(truth.changes.entry("l1/l2/l3/l4/l5/l6/l7/l8/file")?.kind == "A")
    }

    @Test("20,000 files in 200 new directories, as fast as possible", .requiresPython, arguments: backends)
    func twentyThousandFiles(backend: String) throws {
        let (truth, _) = try check(
            """
            python3 -c '
            import os
            for d in range(200):
                os.mkdir("d%03d" % d)
                for f in range(100):
                    with open("d%03d/f%03d" % (d, f), "w") as out: out.write(str(f))
            '
            """, backend: backend)
        let differences = truth.differences.count
        let added = truth.changes.changes.filter { $0.kind == "A" }.count
        #expect(differences >= 20_200)
        #expect(added >= 20_200)
    }

    @Test("a populated directory renamed", arguments: backends)
    func populatedDirectoryRenamed(backend: String) throws {
        let (truth, _) = try check(
            "echo more > dir/sub/new && mv dir moved && echo after > moved/late",
            prepare: "mkdir -p dir/sub && echo a > dir/a && echo b > dir/sub/b", backend: backend)
        #expect(truth.changes.entry("dir")?.kind == "D")
        let moved = try #require(truth.changes.entry("moved"))
        #expect(moved.kind == "A" && moved.subtree)
    }

    @Test("directories moved into and out of ROOT", arguments: backends)
    func directoriesMovedInAndOut(backend: String) throws {
        let (truth, _) = try check(
            "mv \"$OUT/incoming\" incoming && echo x > incoming/sub/added && mv leaving \"$OUT/leaving\"",
            prepare:
                "mkdir -p \"$OUT/incoming/sub\" && echo i > \"$OUT/incoming/sub/i\" && mkdir -p leaving/deep && echo l > leaving/deep/l",
            backend: backend)
        #expect(truth.changes.entry("incoming")?.subtree == true)
        #expect(truth.changes.entry("leaving")?.kind == "D")
    }

    @Test("rename over an existing file", arguments: backends)
    func renameOverExistingFile(backend: String) throws {
        let (truth, _) = try check("echo new > tmp && mv tmp target", prepare: "echo old > target", backend: backend)
        #expect(truth.changes.entry("target")?.kind == "C")
        #expect(truth.changes.entry("tmp") == nil)
    }

    @Test("renameat2(RENAME_EXCHANGE) of two files and of two directories", .requiresPython, arguments: backends)
    func renameExchange(backend: String) throws {
        let (truth, _) = try check(
            """
            python3 -c '
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            for a, b in ((b"f1", b"f2"), (b"d1", b"d2")):
                if libc.renameat2(-100, a, -100, b, 2) != 0:
                    raise OSError(ctypes.get_errno(), "renameat2")
            '
            """,
            prepare: "echo one > f1 && echo two > f2 && mkdir d1 d2 && echo 1 > d1/only1 && echo 2 > d2/only2",
            backend: backend)
        for path in ["f1", "f2", "d1", "d2"] { #expect(truth.changes.entry(path)?.kind == "C", "\(path)") }
    }

    @Test("a hard link", arguments: backends)
    func hardLink(backend: String) throws {
        let (truth, _) = try check("ln f hl", prepare: "echo f > f", backend: backend)
        #expect(truth.changes.entry("hl")?.kind == "A")
    }

    @Test("a directory deleted and made again while a process still sits in the old one", arguments: backends)
    func directoryRecreatedWhileHeld(backend: String) throws {
        // The shell's working directory keeps the deleted directory alive, so inotify drops its watch late.
        let (truth, _) = try check(
            "cd build && rm -rf ../build && mkdir ../build && echo new > ../build/out",
            prepare: "mkdir build && echo old > build/old", backend: backend)
        #expect(truth.changes.entry("build/out")?.kind == "A")
    }

    @Test("a change through one name of a hard link changes the other names too", arguments: backends)
    func hardLinkSiblings(backend: String) throws {
        let (truth, _) = try check(
            "echo two >> a && chmod 600 a", prepare: "echo one > a && ln a b && mkdir d && ln a d/c", backend: backend)
        #expect(truth.changes.entry("b")?.kind == "C")
        #expect(truth.changes.entry("d/c")?.kind == "C")
    }

    @Test("a directory replaced by a file, another by a symbolic link", arguments: backends)
    func directoryReplacedByFile(backend: String) throws {
        let (truth, _) = try check(
            "rm -rf d && echo file > d && rm -rf e && ln -s /etc e",
            prepare: "mkdir -p d/sub e && echo x > d/x && echo y > d/sub/y && echo z > e/z", backend: backend)
        #expect(truth.changes.entry("d")?.type == "file")
        #expect(truth.changes.entry("e")?.type == "symlink")
    }

    @Test(
        "what a directory held is deleted when the directory moved away and a file or symbolic link took its name",
        arguments: backends)
    func directoryMovedAwayNameTakenByNonDirectory(backend: String) throws {
        // No event names what the moved directory held; only the baseline knows it was there.
        let (truth, _) = try check(
            "mv out \"$OUT/out\" && echo file > out && mv away elsewhere && ln -s elsewhere away",
            prepare: "mkdir -p out/a away/b && echo g > out/a/g && echo f > out/f && echo h > away/b/h",
            backend: backend)
        #expect(truth.changes.entry("out")?.type == "file")
        #expect(truth.changes.entry("away")?.type == "symlink")
        for path in ["out/a", "out/f", "away/b"] { #expect(truth.changes.entry(path)?.kind == "D", "\(path)") }
    }

    @Test(
        "what a directory held is deleted when the directory moved out and the whiteout of a rename took its name",
        .requiresRoot, .requiresPython, arguments: backends)
    func directoryMovedOutNameTakenByWhiteout(backend: String) throws {
        // As the torture found it: the directory leaves ROOT, a new one takes its name and is renamed away
        // with RENAME_WHITEOUT, which leaves a character device 0:0 behind.
        let (truth, _) = try check(
            """
            mv c/b "$OUT/b" && mkdir c/b && python3 -c '
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.renameat2(-100, b"c/b", -100, b"moved", 4) != 0:
                raise OSError(ctypes.get_errno(), "renameat2")
            '
            """,
            prepare: "mkdir -p c/b/a c/b/d && echo g > c/b/a/g && echo h > c/b/d/h && echo f > c/b/f",
            backend: backend)
        #expect(truth.changes.entry("c/b")?.type == "char")
        for path in ["c/b/a", "c/b/d", "c/b/f"] { #expect(truth.changes.entry(path)?.kind == "D", "\(path)") }
    }

    @Test("chmod only", arguments: backends)

    func chmodOnly(backend: String) throws {
        try check("chmod 0600 f", prepare: "echo f > f && chmod 0644 f", backend: backend)
    }

    @Test("chown only", .requiresRoot, arguments: backends)
    func chownOnly(backend: String) throws {
        try check("chown 4321:4321 f", prepare: "echo f > f", backend: backend)
    }

    @Test("setxattr only", .requiresPython, arguments: backends)
    func setxattrOnly(backend: String) throws {
        try check(
            "python3 -c 'import os; os.setxattr(\"f\", \"user.k\", b\"v\")'", prepare: "echo f > f", backend: backend)
    }

    @Test("security.capability set on a file (as setcap does)", .requiresRoot, .requiresPython, arguments: backends)
    func fileCapability(backend: String) throws {
        // struct vfs_cap_data, revision 2, effective, permitted = CAP_NET_BIND_SERVICE.
        let (truth, _) = try check(
            "python3 -c 'import os, struct; os.setxattr(\"tool\", \"security.capability\", struct.pack(\"<5I\", 0x02000001, 1 << 10, 0, 0, 0))'",
            prepare: "echo tool > tool && chmod 755 tool", backend: backend)
        #expect(truth.changes.entry("tool")?.kind == "C")
    }

    @Test("device nodes created", .requiresRoot, arguments: backends)
    func deviceNodes(backend: String) throws {
        let (truth, _) = try check("mknod null c 1 3 && mknod loop b 7 200", backend: backend)
        #expect(truth.changes.entry("null")?.type == "char")
        #expect(truth.changes.entry("loop")?.type == "block")
    }

    @Test("utime only", arguments: backends)

    func utimeOnly(backend: String) throws {
        try check("touch -d '2001-01-01 00:00:00' f", prepare: "echo f > f", backend: backend)
    }

    @Test("delete and re-create with identical content and metadata", arguments: backends)
    func deleteAndRecreateIdentical(backend: String) throws {
        let (truth, _) = try check(
            "rm f && cp -p \"$OUT/f\" f", prepare: "echo same > f && cp -p f \"$OUT/f\"", backend: backend,
            expectDifferences: false)
        // No real difference exists; the operations were still seen (a false positive is allowed).
        #expect(truth.changes.entry("f")?.kind == "C")
    }

    @Test("an O_TMPFILE file linked in", .requiresPython, arguments: backends)
    func tmpfileLinkedIn(backend: String) throws {
        let (truth, _) = try check(
            """
            python3 -c '
            import ctypes, os
            fd = os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o640)
            os.write(fd, b"made anonymously")
            # linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the /proc link is the unprivileged way.
            if ctypes.CDLL(None).linkat(fd, b"", -100, b"linked", 0x1000) != 0:
                os.link("/proc/self/fd/%d" % fd, "linked", follow_symlinks=True)
            '
            """, backend: backend)
        #expect(truth.changes.entry("linked")?.kind == "A")
        // fanotify names the unlinked file `#INODE` until it is linked: that is never a path.
        #expect(!truth.changes.changes.contains { $0.path.first == UInt8(ascii: "#") })

    }

    @Test("a fifo", arguments: backends)
    func fifo(backend: String) throws {
        let (truth, _) = try check("mkfifo pipe", backend: backend)
        #expect(truth.changes.entry("pipe")?.type == "fifo")
    }

    @Test("names with a newline, with invalid UTF-8, and of 255 bytes", .requiresPython, arguments: backends)
    func oddNames(backend: String) throws {
        let (truth, _) = try check(
            """
            python3 -c '
            import os
            for name in (b"new\\nline", b"bad\\xff\\xfe", b"x" * 255, b"\\xff" * 200):

                with open(name, "wb") as f: f.write(name)
            '
            """, backend: backend)
        #expect(truth.changes.entry(Array("new\nline".utf8))?.kind == "A")
        #expect(truth.changes.entry([0x62, 0x61, 0x64, 0xFF, 0xFE])?.kind == "A")
        #expect(truth.changes.entry(String(repeating: "x", count: 255))?.kind == "A")
    }

    @Test("writes through a shared writable mmap", .requiresPython, arguments: backends)
    func sharedMmapWrites(backend: String) throws {
        let (truth, _) = try check(
            """
            python3 -c '
            import mmap, os
            fd = os.open("m", os.O_RDWR)
            mm = mmap.mmap(fd, 0)
            os.close(fd)
            mm[0:5] = b"HELLO"
            mm.flush()
            mm.close()
            '
            """, prepare: "printf 'hello world' > m", backend: backend)
        #expect(truth.changes.entry("m")?.kind == "C")
    }
}
