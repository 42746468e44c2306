import ChangerecTestSupport
import Foundation
import Glibc
import Testing

/// changerec run inside a chroot, as a container build's `RUN` step runs it: ROOT is `/`, and the mount
/// that holds it lies outside the chroot's view of mountinfo, or `/proc` is not mounted at all.
@Suite("chroot: ROOT / inside a chroot, with and without /proc", .requiresChroot)
struct ChrootTests {
    static let programs = ["/bin/sh", "/bin/mkdir", "/bin/mv", "/bin/ln", "/bin/chmod", "/bin/rm"]

    /// Creates, appends, renames, a symbolic link, a chmod and a delete, two directories deep.
    static let workload =
        "mkdir -p new/deep && echo 1 > new/deep/f && echo 2 >> keep && mv old moved && ln -s moved link && chmod 600 keep && rm dir/sub/gone"

    /// Builds a chroot in a fresh tree with a few files the workload changes.
    func makeChroot() throws -> (TemporaryTree, Chroot) {
        let tree = try TemporaryTree()
        let chroot = try Chroot(in: tree.root, programs: Self.programs)
        try tree.materialise([
            .file("old", "old\n"), .file("keep", "keep\n"), .dir("dir", [.dir("sub", [.file("gone", "x\n")])]),
        ])
        return (tree, chroot)
    }

    /// Runs the workload under `/changerec --root /` in the chroot and returns what was missed and what
    /// was reported that did not change, against snapshots taken from outside.
    func record(backend: String, withProc: Bool) throws -> (missing: [String], extra: [String], changes: Int) {
        let (tree, chroot) = try makeChroot()
        let before = try TreeSnapshot.take(tree.root)
        let result = try chroot.run(
            ["/changerec", "--root", "/", "--backend", backend, "--", "/bin/sh", "-c", Self.workload],
            withProc: withProc)
        #expect(result.status == 0, "\(result.stderr)")
        let after = try TreeSnapshot.take(tree.root)
        let differences = before.differences(to: after)
        let listed = try Run.changerec(["changes", "--json", tree.root + "/.changerec/0001.journal"])
        try #require(listed.status == 0, "\(listed.stderr)")
        let changes = try RecordedChanges(json: listed.stdoutData)
        #expect(changes.backend == backend)
        let changed = Set(differences.map(\.path))
        let extra = changes.changes.filter { !changed.contains($0.path) }.map(\.description)
        return (changes.missing(differences), extra, changes.changes.count)
    }

    @Test("inside a chroot with ROOT / both backends record every change", arguments: ["fanotify", "inotify"])
    func chrootWithProc(backend: String) throws {
        let outcome = try record(backend: backend, withProc: true)
        #expect(outcome.missing.isEmpty, "missed: \(outcome.missing)")
        #expect(outcome.extra.isEmpty, "reported but unchanged: \(outcome.extra)")
        #expect(outcome.changes > 0)
    }

    @Test(
        "without /proc, --version and a recorded step still work (or say /proc must be mounted)",
        arguments: ["fanotify", "inotify"])
    func chrootWithoutProc(backend: String) throws {
        let (tree, chroot) = try makeChroot()
        defer { withExtendedLifetime(tree) {} }
        let version = try chroot.run(["/changerec", "--version"], withProc: false)
        #expect(version.status == 0, "\(version.stderr)")
        #expect(version.stdout.hasPrefix("0.1.0"))
        let outcome = try record(backend: backend, withProc: false)
        #expect(outcome.missing.isEmpty, "missed: \(outcome.missing)")
        #expect(outcome.extra.isEmpty, "reported but unchanged: \(outcome.extra)")
        #expect(outcome.changes > 0)
    }
}
