import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// Only "no such path" means gone. A directory or file under ROOT that changerec cannot read (EACCES
/// here) is a note or an unreadable seal entry, a warning, and a failing exit status — never a path
/// silently taken for absent or unchanged.
@Suite("unreadable paths under ROOT")
struct UnreadablePathTests {
    /// The unprivileged user the recorder runs as: root reads everything, so EACCES needs a user without
    /// CAP_DAC_OVERRIDE. Empty when the tests already run unprivileged.
    static var unprivileged: [String] {
        getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
    }

    /// A tree owned by the recorder's user, holding what `specs` declares, and the journal path beside it.
    static func tree(_ specs: [TreeSpec]) throws -> (TemporaryTree, String) {
        let tree = try TemporaryTree()
        try tree.materialise(specs)
        // An owner is no part of a declared tree: handing the whole of it to the recorder's user is an action.
        if getuid() == 0 { try tree.shell("chown -R 65534:65534 '\(tree.root)' '\(tree.outside)'") }
        return (tree, tree.outside + "/step.journal")
    }

    /// Runs `script` under the recorder (inotify: fanotify needs the privilege that makes EACCES vanish).
    static func record(_ script: String, in tree: TemporaryTree, journal: String, quiet: Bool = false) throws
        -> RunResult
    {
        try Run.command(
            Self.unprivileged + [Run.binary] + (quiet ? ["--quiet"] : []) + [
                "--root", tree.root, "--journal", journal, "--backend", "inotify", "--", "/bin/sh", "-c", script,
            ], directory: tree.root)
    }

    /// `--quiet` does not read the journal back: the recorder's own count of its gaps decides the status.
    @Test(
        "with --quiet, an unreadable directory and an unreadable path still make the exit status 125",
        arguments: ["directory", "seal"])
    func quietStillExits125(kind: String) throws {
        let specs: [TreeSpec] = kind == "directory" ? [.dir("locked").mode(0o000)] : [.dir("d")]
        let (tree, journal) = try Self.tree(specs)
        let script = kind == "directory" ? "echo y > visible" : "echo x > d/f && chmod 000 d"
        let result = try Self.record(script, in: tree, journal: journal, quiet: true)
        #expect(result.status == 125, "\(result.stderr)")
        #expect(
            result.stderr
                == "changerec: 1 path(s) under ROOT could not be read or watched, so the change set may miss changes (see the warnings); exiting 125\n"
        )
        // The same count as the journal's, read back.
        #expect(try Run.changerec(["changes", journal]).stderr.split(separator: "\n").count == 1)
        let clean = try Self.tree([.dir("open")])
        let fine = try Self.record("echo x > open/f", in: clean.0, journal: clean.1, quiet: true)
        #expect(fine.status == 0, "\(fine.stderr)")
        #expect(fine.stderr.isEmpty)
    }

    @Test("an unreadable directory under ROOT: a note, a warning and exit status 125")
    func unreadableDirectoryAtArming() throws {
        let (tree, journal) = try Self.tree([.dir("locked", [.file("f", "x\n")]).mode(0o000)])
        let result = try Self.record("echo y > visible", in: tree, journal: journal)
        #expect(result.status == 125, "\(result.stderr)")
        #expect(result.stderr.contains("changerec: warning: cannot open /locked: Permission denied\n"))
        #expect(
            result.stderr.hasSuffix(
                "changerec: 1 path(s) under ROOT could not be read or watched, so the change set may miss changes (see the warnings); exiting 125\n"
            ))
        let listed = try Run.changerec(["changes", "--json", journal])
        #expect(listed.status == 1)
        let changes = try RecordedChanges(json: listed.stdoutData)
        #expect(changes.notes.contains("unreadable-directory"))
        #expect(changes.entry("visible")?.kind == "A")
        #expect(listed.stderr == "changerec: warning: cannot open /locked: Permission denied\n")
        // A layer would leave out whatever the step did inside it: refused in one line, unless --force.
        let layer = tree.base + "/l.tar"
        let refused = try Run.changerec(["layer", journal, "-o", layer])
        #expect(refused.status == 1)
        #expect(
            refused.stderr
                == "changerec: journal '\(journal)' may miss changes: cannot open /locked: Permission denied; a layer from it could leave them out; pass --force to build it from the tree as it is now\n"
        )
        #expect(!FileManager.default.fileExists(atPath: layer))
        #expect(try Run.changerec(["layer", "--force", journal, "-o", layer]).status == 0)
    }

    @Test("a command that fails keeps its own status even when a directory was unreadable")
    func commandStatusWins() throws {
        let (tree, journal) = try Self.tree([.dir("locked").mode(0o000)])
        let result = try Self.record("exit 3", in: tree, journal: journal)
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("changerec: warning: cannot open /locked: Permission denied\n"))
    }

    @Test("paths the seal cannot read are listed as unreadable, never sealed as gone")
    func unreadableAfterTheStep() throws {
        // d is watched from arming, so d/f's creation is seen however late the queue is read; d/f's directory,
        // and secret's content, are out of the recorder's reach when the step ends.
        let (tree, journal) = try Self.tree([.file("kept", "before\n"), .dir("d")])
        let result = try Self.record(
            "echo x > d/f && chmod 000 d && echo s > secret && chmod 000 secret", in: tree, journal: journal)
        #expect(result.status == 125, "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "changerec: warning: cannot read /d/f after the step (cannot open the directory holding it: Permission denied): its state is unknown\n"
            ))
        #expect(
            result.stderr.contains(
                "changerec: warning: cannot read /secret after the step (cannot read its content: Permission denied): its state is unknown\n"
            ))
        #expect(result.stderr.hasSuffix("exiting 125\n"))

        let listed = try Run.changerec(["changes", "--json", journal])
        #expect(listed.status == 1)
        let changes = try RecordedChanges(json: listed.stdoutData)
        #expect(changes.complete)
        #expect(changes.unreadable.map { String(decoding: $0, as: UTF8.self) } == ["d/f", "secret"])
        let file = try #require(changes.entry("d/f"))
        #expect(file.kind == "A")
        #expect(file.unreadable == "cannot open the directory holding it: Permission denied")
        #expect(changes.entry("secret")?.unreadable == "cannot read its content: Permission denied")
        #expect(changes.entry("secret")?.type == "file")
        #expect(changes.entry("d")?.kind == "C")

        let text = try Run.changerec(["changes", journal])
        #expect(text.stdout.contains("A /d/f (unreadable: cannot open the directory holding it: Permission denied)\n"))
        let shown = try Run.changerec(["show", journal])
        #expect(
            shown.stdout.contains(
                "seal     /d/f before=none after=unreadable (cannot open the directory holding it: Permission denied)"))

        let layer = tree.base + "/l.tar"
        let refused = try Run.changerec(["layer", journal, "-o", layer])
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("changerec: journal '\(journal)' may miss changes: cannot read /d/f after"))
        #expect(refused.stderr.contains("(and 1 more)"))
        #expect(refused.stderr.filter { $0 == "\n" }.count == 1)
        #expect(!FileManager.default.fileExists(atPath: layer))
        if getuid() == 0 {
            // Root reads it now: with --force it goes into the layer as it is in the tree.
            let forced = try Run.changerec(["layer", "--force", journal, "-o", layer, "--compress", "none"])
            #expect(forced.status == 0, "\(forced.stderr)")
            let members = try Run.command(["/bin/tar", "-tf", layer])
            #expect(members.stdout.contains("d/f\n"))
            #expect(members.stdout.contains("secret\n"))
        }
    }
}
