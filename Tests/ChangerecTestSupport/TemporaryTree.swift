import Foundation
import Glibc

/// A fresh directory for one test, on its own tmpfs when running as root (heavy create/delete
/// workloads then never touch the host's file system), removed afterwards.
public final class TemporaryTree: @unchecked Sendable {
    /// The directory holding ``root`` and anything the test keeps outside ROOT.
    public let base: String
    /// The tree the workload runs in.
    public let root: String
    /// A directory beside ROOT, on the same file system, for moves into and out of ROOT.
    public let outside: String
    private let mounted: Bool

    public init(tmpfs: Bool = true) throws {
        var template = Array((NSTemporaryDirectory() + "changerec-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed: errno \(errno)") }
        base = String(cString: made)
        if tmpfs && getuid() == 0 {
            mounted = mount("changerec-test", base, "tmpfs", 0, "size=2g,mode=0755") == 0
        } else {
            mounted = false
        }
        root = base + "/root"
        outside = base + "/outside"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: false)
    }

    deinit {
        if mounted {
            umount2(base, Int32(MNT_DETACH))
        } else {
            try? FileManager.default.removeItem(atPath: base + "/root")
            try? FileManager.default.removeItem(atPath: base + "/outside")
        }
        rmdir(base)
    }

    /// `ROOT/relative`.
    public func path(_ relative: String) -> String { root + "/" + relative }

    /// Makes the objects `specs` declares in `directory` (ROOT unless given: ``outside``, ``base`` or a
    /// directory below ROOT), outside any recorder: how a test builds its tree before a step.
    /// - Throws: `TestFailure` naming the object that could not be made.
    public func materialise(_ specs: [TreeSpec], in directory: String? = nil) throws {
        try specs.materialise(in: directory ?? root)
    }

    /// Runs `script` with `sh -c` in ROOT, outside any recorder: the escape hatch for what a ``TreeSpec``
    /// cannot declare. Trees are declared with ``materialise(_:in:)``; this is for actions on a tree that
    /// exists (a drift made after the step, a swap, a change of owner) and for bulk trees made in a loop,
    /// and each caller says which.
    public func shell(_ script: String) throws {
        let result = try Run.command(["/bin/sh", "-c", script], directory: root)
        guard result.status == 0 else {
            throw TestFailure("the shell preparation failed (\(result.status)): \(result.stderr)")
        }
    }
}

/// A failure in a test helper, with a message.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
