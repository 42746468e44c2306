import ChangerecSystem
import ChangerecTestSupport
import Foundation
import Testing

@testable import ChangerecKit

/// COPY and ADD of local files as Docker and Buildah copy them: sources found beneath the build context
/// only, the destination resolved inside the root file system only, and what is copied keeping its
/// content, bits and time, with the owner and mode the flags give.
@Suite("context copy: COPY sources into a root file system")
struct ContextCopyTests {
    /// A fresh tree: the build context (`BASE/context`) holding `context`, ROOT holding `rootfs`.
    static func tree(context: [TreeSpec], rootfs: [TreeSpec] = []) throws -> TemporaryTree {
        let tree = try TemporaryTree()
        try FileManager.default.createDirectory(atPath: tree.base + "/context", withIntermediateDirectories: false)
        try tree.materialise(context, in: tree.base + "/context")
        try tree.materialise(rootfs)
        return tree
    }

    static func copy(
        _ sources: [String], to destination: String, in tree: TemporaryTree, workdir: String = "/",
        owner: String? = nil, mode: UInt32? = nil
    ) throws(ChangerecError) {
        let copy = ContextCopy(
            context: Array((tree.base + "/context").utf8), sources: sources.map { Array($0.utf8) },
            rootfs: Array(tree.root.utf8), destination: Array(destination.utf8), workingDirectory: Array(workdir.utf8),
            owner: owner, mode: mode)
        try copy.run()
    }

    /// The message `copy` fails with, or nil when it succeeds.
    static func failure(
        _ sources: [String], to destination: String, in tree: TemporaryTree, owner: String? = nil
    ) -> String? {
        do {
            try copy(sources, to: destination, in: tree, owner: owner)
            return nil
        } catch {
            return error.message
        }
    }

    static func status(_ path: String) throws -> FileStatus {
        try FileSystem.status(of: Array(path.utf8), in: .currentWorkingDirectory)
    }

    static func content(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test("a file copied to a new name keeps its content, permission bits and modification time")
    func fileToFile() throws {
        let tree = try Self.tree(context: [.file("a.txt", "alpha\n").mode(0o750).mtime(981_173_106)])
        try Self.copy(["a.txt"], to: "/opt/b.txt", in: tree)
        let copied = try Self.status(tree.path("opt/b.txt"))
        #expect(try Self.content(tree.path("opt/b.txt")) == "alpha\n")
        #expect(copied.type == .regular && copied.permissions == 0o750)
        #expect(copied.mtimeSeconds == 981_173_106 && copied.mtimeNanoseconds == 0)
        let made = try Self.status(tree.path("opt"))
        #expect(made.type == .directory && made.permissions == 0o755, "a missing parent is made 0755")
    }

    @Test("a file goes into a destination ending in '/', into an existing directory, and relative to WORKDIR")
    func fileIntoDirectory() throws {
        let tree = try Self.tree(context: [.file("a.txt", "alpha\n")], rootfs: [.dir("srv")])
        try Self.copy(["a.txt"], to: "/new/dir/", in: tree)
        try Self.copy(["a.txt"], to: "/srv", in: tree)
        try Self.copy(["a.txt"], to: "sub/", in: tree, workdir: "/work")
        try Self.copy(["a.txt"], to: ".", in: tree, workdir: "/work")
        for path in ["new/dir/a.txt", "srv/a.txt", "work/sub/a.txt", "work/a.txt"] {
            #expect(try Self.content(tree.path(path)) == "alpha\n", "\(path)")
        }
    }

    @Test("a directory's contents, not the directory, go into the destination; links inside stay links")
    func directoryContents() throws {
        let tree = try Self.tree(context: [
            .dir(
                "src",
                [
                    .dir("sub", [.file("f", "deep\n").mode(0o600)]).mode(0o750).mtime(1_009_843_200),
                    .symlink("link", "sub/f"), .symlink("away", "/etc/shadow"), .file("top", "top\n"),
                ]
            ).mode(0o700)
        ])
        try Self.copy(["src"], to: "/app", in: tree)
        #expect(!FileManager.default.fileExists(atPath: tree.path("app/src")))
        #expect(try Self.status(tree.path("app")).permissions == 0o755, "the destination is made as its parents are")
        #expect(try Self.content(tree.path("app/top")) == "top\n")
        #expect(try Self.content(tree.path("app/sub/f")) == "deep\n")
        #expect(try Self.status(tree.path("app/sub/f")).permissions == 0o600)
        let sub = try Self.status(tree.path("app/sub"))
        #expect(sub.permissions == 0o750 && sub.mtimeSeconds == 1_009_843_200)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: tree.path("app/link")) == "sub/f")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: tree.path("app/away")) == "/etc/shadow")
    }

    @Test("a copied directory goes through a link to a directory in the root file system, as into merged /usr")
    func mergedUsr() throws {
        let tree = try Self.tree(
            context: [.dir("overlay", [.dir("bin", [.file("tool", "t\n")])])],
            rootfs: [.dir("usr", [.dir("bin")]), .symlink("bin", "usr/bin")])
        try Self.copy(["overlay"], to: "/", in: tree)
        #expect(try Self.content(tree.path("usr/bin/tool")) == "t\n")
        #expect(try Self.status(tree.path("bin")).type == .symlink, "the link stays a link")
    }

    @Test("a wildcard copies every match, and more than one source needs a destination ending in '/'")
    func wildcards() throws {
        let tree = try Self.tree(context: [
            .file("a.txt", "a\n"), .file("b.txt", "b\n"), .file("c.md", "c\n"),
            .dir("docs", [.file("one.txt", "1\n")]),
        ])
        try Self.copy(["*.txt", "d?cs/*.txt"], to: "/out/", in: tree)
        let names = try FileManager.default.contentsOfDirectory(atPath: tree.path("out")).sorted()
        #expect(names == ["a.txt", "b.txt", "one.txt"])
        #expect(
            Self.failure(["*.txt"], to: "/single", in: tree)
                == "copying 2 sources needs a destination directory ending in '/', not '/single'")
        #expect(
            Self.failure(["a.txt", "c.md"], to: "/out", in: tree)
                == "copying 2 sources needs a destination directory ending in '/', not '/out'")
        try Self.copy(["c.*"], to: "/one", in: tree)
        #expect(try Self.content(tree.path("one")) == "c\n", "a wildcard matching one source copies it as that source")
    }

    @Test("a source that is missing or matches nothing is one error naming it")
    func missingSources() throws {
        let tree = try Self.tree(context: [.file("a.txt")])
        #expect(Self.failure(["nope.txt"], to: "/x", in: tree) == "source 'nope.txt' is not in the build context")
        #expect(Self.failure(["*.md"], to: "/x/", in: tree) == "source '*.md' matches nothing in the build context")
    }

    @Test("'..' and links in the context never reach outside it")
    func contextContainment() throws {
        let tree = try Self.tree(context: [
            .symlink("absolute", "/secret"), .symlink("relative", "../outside/secret"), .file("secret", "inside\n"),
        ])
        try tree.materialise([.file("secret", "outside\n")], in: tree.outside)
        #expect(
            Self.failure(["../outside/secret"], to: "/x", in: tree)
                == "source '../outside/secret' is not in the build context")
        try Self.copy(["absolute"], to: "/abs", in: tree)
        #expect(try Self.content(tree.path("abs")) == "inside\n", "an absolute link resolves from the context's top")
        #expect(
            Self.failure(["relative"], to: "/rel", in: tree) == "source 'relative' is not in the build context",
            "a relative link's '..' stops at the context's top, where outside/secret does not exist")
        try Self.copy(["relative/../secret"], to: "/lexical", in: tree)
        #expect(try Self.content(tree.path("lexical")) == "inside\n", "a source path is cleaned as written, as Docker")
    }

    @Test("links in the root file system on the destination's way resolve inside it, never outside")
    func destinationContainment() throws {
        let tree = try Self.tree(
            context: [.file("f", "copied\n")],
            rootfs: [
                .symlink("up", "../../../.."), .dir("etc", [.file("real", "old\n"), .symlink("conf", "/etc/real")]),
            ]
        )
        // A link to the host path of the directory beside ROOT: in a chroot that path is below ROOT.
        try tree.materialise([.symlink("host", tree.outside)])
        try tree.materialise([.file("sentinel", "outside\n")], in: tree.outside)
        let before = try TreeSnapshot.take(tree.outside)
        try Self.copy(["f"], to: "/host/", in: tree)
        try Self.copy(["f"], to: "/up/escaped", in: tree)
        try Self.copy(["f"], to: "/etc/conf", in: tree)
        let after = try TreeSnapshot.take(tree.outside)
        #expect(before.differences(to: after).map(\.description) == [], "the directory beside ROOT changed")
        #expect(try Self.content(tree.path(String(tree.outside.dropFirst()) + "/f")) == "copied\n")
        #expect(try Self.content(tree.path("escaped")) == "copied\n", "'..' in a link stops at ROOT")
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/escaped"))
        #expect(try Self.content(tree.path("etc/real")) == "copied\n", "a link at the destination is written through")
        #expect(try Self.status(tree.path("etc/conf")).type == .symlink)
    }

    @Test("--chown names resolve in the root file system's passwd and group, made parents included", .requiresRoot)
    func chownByName() throws {
        let tree = try Self.tree(
            context: [.dir("src", [.dir("d", [.file("f", "x\n")]), .symlink("l", "d/f")]), .file("one", "1\n")],
            rootfs: [
                .dir(
                    "etc",
                    [
                        .file("passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n"),
                        .file("group", "root:x:0:\napp:x:1001:\nstaff:x:50:app\n"),
                    ]), .dir("existing").mode(0o700),
            ])
        try tree.shell("chown 7:7 existing")
        try Self.copy(["src"], to: "/existing/new/app", in: tree, owner: "app")
        for path in [
            "existing/new", "existing/new/app", "existing/new/app/d", "existing/new/app/d/f", "existing/new/app/l",
        ] {
            let status = try Self.status(tree.path(path))
            #expect(status.uid == 1000 && status.gid == 1001, "\(path): \(status.uid):\(status.gid)")
        }
        let existing = try Self.status(tree.path("existing"))
        #expect(existing.uid == 7 && existing.permissions == 0o700, "an existing directory keeps its owner and mode")
        try Self.copy(["one"], to: "/by-group", in: tree, owner: "app:staff")
        try Self.copy(["one"], to: "/by-number", in: tree, owner: "1234")
        try Self.copy(["one"], to: "/default", in: tree)
        #expect(try Self.status(tree.path("by-group")).gid == 50)
        let numbered = try Self.status(tree.path("by-number"))
        #expect(numbered.uid == 1234 && numbered.gid == 1234, "a number without a group is also the group")
        let plain = try Self.status(tree.path("default"))
        #expect(plain.uid == 0 && plain.gid == 0)
        #expect(
            Self.failure(["one"], to: "/x", in: tree, owner: "nobody")
                == "user 'nobody' is not in the root file system's /etc/passwd; add it there or give a number")
        #expect(
            Self.failure(["one"], to: "/x", in: tree, owner: "app:wheel")
                == "group 'wheel' is not in the root file system's /etc/group; add it there or give a number")
    }

    @Test("--chmod sets the permission bits of every file and directory copied")
    func chmod() throws {
        let tree = try Self.tree(context: [.dir("src", [.dir("d", [.file("f").mode(0o600)]).mode(0o700)])])
        try Self.copy(["src"], to: "/app/", in: tree, mode: 0o751)
        #expect(try Self.status(tree.path("app/d")).permissions == 0o751)
        #expect(try Self.status(tree.path("app/d/f")).permissions == 0o751)
        #expect(OctalMode.permissions(parsing: "0755") == 0o755)
        #expect(OctalMode.permissions(parsing: "755") == 0o755)
        #expect(OctalMode.permissions(parsing: "04755") == 0o4755)
        #expect(OctalMode.permissions(parsing: "0789") == nil && OctalMode.permissions(parsing: "") == nil)
    }

    @Test("an existing file is replaced; a directory where a file goes, or a file where a directory goes, is an error")
    func replacing() throws {
        let tree = try Self.tree(
            context: [.file("a", "new\n"), .dir("src", [.file("d", "file\n")]), .dir("tree", [.dir("f")])],
            rootfs: [.file("target", "old\n"), .dir("app", [.dir("d")]), .dir("dst", [.file("f")])])
        let before = try Self.status(tree.path("target"))
        try Self.copy(["a"], to: "/target", in: tree)
        #expect(try Self.content(tree.path("target")) == "new\n")
        #expect(try Self.status(tree.path("target")).inode != before.inode, "written beside and renamed over")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tree.root).sorted() == ["app", "dst", "target"])
        #expect(
            Self.failure(["src"], to: "/app", in: tree)
                == "cannot copy a file to '/app/d': it is a directory in the root file system")
        #expect(
            Self.failure(["tree"], to: "/dst", in: tree)
                == "cannot copy into '/dst/f': it is not a directory in the root file system")
    }

    @Test("a fifo in the context is an error naming it")
    func fifo() throws {
        let tree = try Self.tree(context: [.dir("src", [.fifo("pipe")])])
        #expect(
            Self.failure(["src"], to: "/app/", in: tree)
                == "'src/pipe' in the build context is a fifo; only files, directories and links copy")
    }

    @Test("ADD's check before any step: bzip2 and xz archives, and --chown or --chmod on an archive, are refused")
    func archiveChecks() throws {
        var tar = [UInt8](repeating: 0, count: 512)
        tar.replaceSubrange(257..<262, with: Array("ustar".utf8))
        let tree = try Self.tree(context: [
            .file(bytes: Array("plain.bin".utf8), tar),
            .file(bytes: Array("broken.zst".utf8), [0x28, 0xB5, 0x2F, 0xFD, 0x00]), .file("notes.txt", "text\n"),
            .file(bytes: Array("data.tbz".utf8), Array("BZh91AY".utf8)),
            .file(bytes: Array("data.txz".utf8), [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00]),
            .dir("dir"),
        ])
        let context = Array((tree.base + "/context").utf8)
        // A real tar.gz and tar.zst, one inside a directory, and a gzip file that holds no tar (Docker copies
        // that one as it is).
        let directory = tree.base + "/context"
        for command in [
            "tar -C \(directory) -czf \(directory)/data.tgz notes.txt",
            "tar -C \(directory) --zstd -cf \(directory)/data.tar.zst notes.txt",
            "tar -C \(directory) -czf \(directory)/dir/inner.tgz notes.txt",
            "gzip -c \(directory)/notes.txt > \(directory)/notes.txt.gz",
        ] {
            let made = try Run.command(["/bin/sh", "-c", command])
            try #require(made.status == 0, "\(made.stderr)")
        }
        func check(_ sources: [String], chown: String? = nil, chmod: String? = nil) throws(ChangerecError) {
            try ContextCopy.checkArchives(
                context: context, sources: sources.map { Array($0.utf8) }, chown: chown, chmod: chmod)
        }
        // tar, tar.gz and tar.zst extract, so --chmod does not apply to them; files, a gzip or zstd file
        // that holds no tar, and directories (whatever archives they hold) copy, so it does.
        for archive in ["*.tgz", "plain.bin", "data.tar.zst"] {
            #expect(throws: ChangerecError.self) { try check(["notes.txt", archive], chmod: "0644") }
        }
        try check(["notes.txt", "notes.txt.gz", "broken.zst", "dir"], chmod: "0644")
        for name in ["data.tbz", "data.txz"] {
            #expect(
                throws: ChangerecError(
                    .usage,
                    "ADD of '\(name)', a bzip2 or xz archive, is not supported (changerec extracts tar, tar.gz and tar.zst): COPY it and extract it in a RUN step"
                )
            ) { try check(["notes.txt", name]) }
        }
        #expect(
            throws: ChangerecError(
                .usage,
                "ADD extracts 'data.tgz', whose entries keep the archive's owners and modes: --chown and --chmod do not apply; set them in a RUN step"
            )
        ) { try check(["data.tgz"], chmod: "0644") }
        try check(["notes.txt", "notes.txt.gz"], chown: "0:0")
    }

    @Test("ADD extracts a tar.gz into the destination with its modes, owners, times and links, inside it only")
    func archiveExtracted() throws {
        let tree = try Self.tree(context: [], rootfs: [.dir("opt")])
        let source = tree.base + "/archive-source"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: false)
        try tree.materialise(
            [
                .dir("app", [.file("run.sh", "#!/bin/sh\n").mode(0o755).mtime(1_000_000_000)]).mtime(1_000_000_000),
                .symlink("escape", "/../../outside-marker"), .file("data", "bytes\n").mode(0o600),
            ], in: source)
        let made = try Run.command([
            "/bin/tar", "-C", source, "--owner=1234", "--group=5678", "-czf", tree.base + "/context/bundle.tgz", ".",
        ])
        try #require(made.status == 0, "\(made.stderr)")
        var copy = ContextCopy(
            context: Array((tree.base + "/context").utf8), sources: [Array("bundle.tgz".utf8)],
            rootfs: Array(tree.root.utf8), destination: Array("/opt/bundle/".utf8))
        copy.extractsArchives = true
        try copy.run()
        let root = tree.root + "/opt/bundle"
        #expect(try String(contentsOfFile: root + "/app/run.sh", encoding: .utf8) == "#!/bin/sh\n")
        let script = try FileManager.default.attributesOfItem(atPath: root + "/app/run.sh")
        #expect((script[.posixPermissions] as? Int) == 0o755)
        #expect((script[.modificationDate] as? Date)?.timeIntervalSince1970 == 1_000_000_000)
        if getuid() == 0 {
            #expect((script[.ownerAccountID] as? Int) == 1234)
            #expect((script[.groupOwnerAccountID] as? Int) == 5678)
        }
        #expect((try FileManager.default.attributesOfItem(atPath: root + "/data")[.posixPermissions] as? Int) == 0o600)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/escape") == "/../../outside-marker")
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/outside-marker"))
        // A gzip file that holds no tar is copied as it is, even by ADD.
        let gzipped = try Run.command(["/bin/sh", "-c", "printf 'not a tar' | gzip -c > \(tree.base)/context/note.gz"])
        try #require(gzipped.status == 0)
        var note = ContextCopy(
            context: Array((tree.base + "/context").utf8), sources: [Array("note.gz".utf8)],
            rootfs: Array(tree.root.utf8), destination: Array("/opt/".utf8))
        note.extractsArchives = true
        try note.run()
        #expect(
            FileManager.default.contents(atPath: tree.root + "/opt/note.gz")
                == FileManager.default.contents(atPath: tree.base + "/context/note.gz"))
        // Without the flag (COPY) the archive is copied as it is.
        let plain = ContextCopy(
            context: Array((tree.base + "/context").utf8), sources: [Array("bundle.tgz".utf8)],
            rootfs: Array(tree.root.utf8), destination: Array("/opt/".utf8))
        try plain.run()
        #expect(
            FileManager.default.contents(atPath: tree.root + "/opt/bundle.tgz")?.starts(with: [0x1F, 0x8B]) == true)
    }

    @Test("ADD refuses an archive entry named '.wh.', which an image layer would read as a deletion")
    func archiveWhiteoutRefused() throws {
        let tree = try Self.tree(context: [], rootfs: [])
        let source = tree.base + "/archive-source"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: false)
        try tree.materialise([.file(".wh.gone", "")], in: source)
        let made = try Run.command(["/bin/tar", "-C", source, "-cf", tree.base + "/context/bundle.tar", "."])
        try #require(made.status == 0, "\(made.stderr)")
        var copy = ContextCopy(
            context: Array((tree.base + "/context").utf8), sources: [Array("bundle.tar".utf8)],
            rootfs: Array(tree.root.utf8), destination: Array("/x/".utf8))
        copy.extractsArchives = true
        #expect {
            try copy.run()
        } throws: { error in
            ((error as? ChangerecError)?.message ?? "").contains("'.wh.")
        }
    }

    @Test("a build context that holds the root file system is refused instead of copied into itself")
    func contextHoldsRootfs() throws {
        let tree = try Self.tree(context: [.file("a")])
        let copy = ContextCopy(
            context: Array(tree.base.utf8), sources: [Array(".".utf8)], rootfs: Array(tree.root.utf8),
            destination: Array("/copy/".utf8))
        #expect(
            throws: ChangerecError(
                .usage, "'root' in the build context is the root file system; keep the root file system outside it")
        ) {
            try copy.run()
        }
    }
}
