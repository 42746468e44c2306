import ChangerecSystem

/// One regular file's content as the layer writer read it, kept so that the seal written in the same
/// pass takes its digest instead of reading the file again.
struct ContentRead: Sendable {
    /// SHA-256 of exactly `before.size` bytes.
    var digest: [UInt8]
    /// The status the writer read it under (its `fstatat`), and the open file's status once read.
    var before: FileStatus
    var after: FileStatus

    /// Whether this read is of the object `sealed` describes, unchanged from then to the end of the read:
    /// the same inode, and the same size and `st_ctime` (which every write moves and nothing can set back)
    /// before and after it.
    func describes(_ sealed: FileStatus) -> Bool {
        func same(_ a: FileStatus, _ b: FileStatus) -> Bool {
            a.inode == b.inode && a.device == b.device && a.size == b.size && a.ctimeSeconds == b.ctimeSeconds
                && a.ctimeNanoseconds == b.ctimeNanoseconds
        }
        return same(before, sealed) && same(after, sealed)
    }
}
