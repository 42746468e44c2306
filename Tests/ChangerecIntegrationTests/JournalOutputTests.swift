import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// Where the journal goes: never over an earlier journal unasked, never through a symbolic link, a fifo
/// or a device, never outside ROOT through a planted `.changerec`.
@Suite("journal output: never destructive, never outside ROOT")
struct JournalOutputTests {
    static let step = ["--", "/bin/sh", "-c", "echo ran > ran"]

    func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    func fileType(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0
    }

    @Test("an existing --journal is refused unless --force")
    func existingJournalRefused() throws {
        let tree = try TemporaryTree()
        let journal = tree.base + "/step1.journal"
        let evidence = Data("a previous step's journal\n".utf8)
        try evidence.write(to: URL(fileURLWithPath: journal))

        let refused = try Run.changerec(["--root", tree.root, "--journal", journal] + Self.step, directory: tree.root)
        #expect(refused.status == 125)
        #expect(
            refused.stderr
                == "changerec: journal '\(journal)' already exists; pass --force to replace it (it may be a previous step's record)\n"
        )
        #expect(contents(journal) == evidence, "the refused run changed the file")
        #expect(access(tree.path("ran"), F_OK) != 0, "the command ran although the journal was refused")

        // --force replaces the name, not the file: another hard link keeps the old bytes.
        let other = tree.base + "/kept.journal"
        #expect(link(journal, other) == 0)
        let forced = try Run.changerec(
            ["--quiet", "--force", "--root", tree.root, "--journal", journal] + Self.step, directory: tree.root)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(contents(other) == evidence)
        let listed = try Run.changerec(["changes", "--json", journal])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(try RecordedChanges(json: listed.stdoutData).entry("ran")?.kind == "A")
    }

    @Test("a symlink, fifo or device named by --journal is refused, even with --force, and left as it was")
    func nonRegularJournalRefused() throws {
        let tree = try TemporaryTree()
        let target = tree.outside + "/target"
        let evidence = Data("not a journal\n".utf8)
        try evidence.write(to: URL(fileURLWithPath: target))
        let symlinkPath = tree.base + "/link.journal"
        #expect(symlink(target, symlinkPath) == 0)
        let fifo = tree.base + "/pipe.journal"
        #expect(mkfifo(fifo, 0o600) == 0)

        let cases: [(path: String, type: mode_t, what: String)] = [
            (symlinkPath, S_IFLNK, "a symbolic link"), (fifo, S_IFIFO, "a fifo"),
            ("/dev/null", S_IFCHR, "a character device"),
        ]
        for (path, type, what) in cases {
            for force in [[], ["--force"]] {
                let result = try Run.changerec(
                    force + ["--root", tree.root, "--journal", path] + Self.step, directory: tree.root)
                #expect(result.status == 125, "\(path) \(force)")
                #expect(
                    result.stderr
                        == "changerec: journal '\(path)' exists and is \(what); a journal must be a new or regular file (it is read back when the step ends), and changerec never writes through or replaces anything else\n"
                )
                #expect(fileType(path) == type, "\(path) is no longer \(what)")
            }
        }
        #expect(contents(target) == evidence)
        #expect(access(tree.path("ran"), F_OK) != 0, "the command ran although the journal was refused")

        let dash = try Run.changerec(["--root", tree.root, "--journal", "-"] + Self.step, directory: tree.root)
        #expect(dash.status == 125)
        #expect(
            dash.stderr
                == "changerec: --journal - would be standard output, which the command shares; a journal must be a regular file\n"
        )
    }

    @Test("a planted ROOT/.changerec symlink never sends the journal outside ROOT")
    func plantedJournalDirectory() throws {
        let tree = try TemporaryTree()
        let victim = tree.outside
        #expect(symlink(victim, tree.path(".changerec")) == 0)
        // As root, the owner of ROOT is the one who planted it.
        if getuid() == 0 { #expect(chown(tree.root, 65534, 65534) == 0) }

        let result = try Run.changerec(["--root", tree.root] + Self.step, directory: tree.root)
        #expect(result.status == 125)
        #expect(
            result.stderr
                == "changerec: '\(tree.root)/.changerec' is a symbolic link, not a directory; changerec does not follow it (remove it, or pass --journal FILE)\n"
        )
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim).isEmpty, "a journal went outside ROOT")
        #expect(access(tree.path("ran"), F_OK) != 0, "the command ran although it could not be recorded")

        // Reading picks the newest journal the same way: the symbolic link is not followed.
        let newest = try Run.changerec(["changes"], directory: tree.root)
        #expect(newest.status == 1)
        #expect(
            newest.stderr
                == "changerec: './.changerec' is a symbolic link, not a directory; changerec does not follow it (remove it, or pass a journal path)\n"
        )

        // A file in its place is refused as well.
        #expect(unlink(tree.path(".changerec")) == 0)
        #expect(FileManager.default.createFile(atPath: tree.path(".changerec"), contents: Data()))
        let file = try Run.changerec(["--root", tree.root] + Self.step, directory: tree.root)
        #expect(file.status == 125)
        #expect(file.stderr.hasPrefix("changerec: '\(tree.root)/.changerec' is a regular file, not a directory"))
    }
}
