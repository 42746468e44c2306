import Foundation
import Glibc

/// A tmpfs mounted by the test on a directory of its own, unmounted when the value goes: a file system
/// small enough to fill, or with mount options the test needs. Needs root (CAP_SYS_ADMIN).
public final class SmallTmpfs {
    public let path: String

    /// Mounts a tmpfs of `size` (as `mount -o size=` takes it, e.g. `64k`) on `path`, creating it.
    public init(at path: String, size: String, mode: String = "0755") throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("changerec-small", path, "tmpfs", 0, "size=\(size),mode=\(mode)") == 0 else {
            throw TestFailure("mount tmpfs on '\(path)' failed: errno \(errno)")
        }
        self.path = path
    }

    deinit {
        umount2(path, Int32(MNT_DETACH))
        rmdir(path)
    }
}
