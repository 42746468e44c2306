import ChangerecTestSupport
import Foundation
import Testing

/// The hidden `changerec copy-into` that `build` runs as a recorded step for COPY and ADD: recorded like
/// any command, its change set is exactly what it copied.
@Suite("copy-into: a COPY recorded as a step")
struct CopyIntoTests {
    @Test("a recorded copy-into lists exactly the copied paths, and a replaced file as changed")
    func recordedCopy() throws {
        let tree = try TemporaryTree()
        let context = tree.base + "/context"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: false)
        try tree.materialise(
            [
                .file("a.txt", "alpha\n"),
                .dir("dir", [.symlink("link", "../a.txt"), .dir("sub", [.file("f", "f\n")])]),
            ],
            in: context)
        try tree.materialise([.dir("etc", [.file("motd", "old\n")]), .dir("srv")])
        let journal = tree.base + "/step.journal"
        let recorded = try Run.changerec(
            [
                "--quiet", "--root", tree.root, "--journal", journal, "--", Run.binary, "copy-into", "--context",
                context, "--rootfs", tree.root, "--destination", "app/", "--workdir", "/srv", "--", "a.txt", "dir",
            ], directory: tree.base)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let listed = try Run.changerec(["changes", "--json", journal])
        try #require(listed.status == 0, "\(listed.stderr)")
        let changes = try RecordedChanges(json: listed.stdoutData).changes.map(\.description)
        #expect(
            changes == [
                "C /srv", "A /srv/app", "A /srv/app/a.txt", "A /srv/app/link", "A /srv/app/sub", "A /srv/app/sub/f",
            ])

        let second = tree.base + "/second.journal"
        let replaced = try Run.changerec(
            [
                "--quiet", "--root", tree.root, "--journal", second, "--", Run.binary, "copy-into", "--context",
                context, "--rootfs", tree.root, "--destination", "/etc/motd", "--", "a.txt",
            ], directory: tree.base)
        #expect(replaced.status == 0, "\(replaced.stderr)")
        let relisted = try Run.changerec(["changes", "--json", second])
        try #require(relisted.status == 0, "\(relisted.stderr)")
        #expect(try RecordedChanges(json: relisted.stdoutData).changes.map(\.description) == ["C /etc", "C /etc/motd"])
    }

    @Test("a tree of more directories than the descriptor limit copies whole")
    func manyDirectories() throws {
        let tree = try TemporaryTree()
        let context = tree.base + "/context"
        let specs = (0..<800).map { TreeSpec.dir("d\($0)", [.file("f", "\($0)\n")]) }
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: false)
        try tree.materialise([.dir("src", specs)], in: context)
        let result = try Run.command(
            [
                "/bin/sh", "-c", "ulimit -n 640 && exec \"$0\" \"$@\"", Run.binary, "copy-into", "--context", context,
                "--rootfs", tree.root, "--destination", "/app/", "--", "src",
            ], directory: tree.base)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tree.path("app")).count == 800)
        #expect(try String(contentsOfFile: tree.path("app/d799/f"), encoding: .utf8) == "799\n")
    }

    @Test("copy-into reports a failure as one line with status 1, and is not in the help")
    func failureAndHelp() throws {
        let tree = try TemporaryTree()
        let result = try Run.changerec(
            ["copy-into", "--context", tree.outside, "--rootfs", tree.root, "--destination", "/x", "--", "nope"])
        #expect(result.status == 1)
        #expect(result.stderr == "changerec: source 'nope' is not in the build context\n")
        let help = try Run.changerec(["--help"])
        #expect(help.status == 0 && !help.stdout.contains("copy-into"))
    }
}
