import ChangerecSystem
import SystemPackage

/// Opens the directory holding a path, beneath ROOT and through no symbolic link
/// (`openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`), keeping the last one open: paths visited in tree
/// order share their parent, so a directory of ten thousand entries costs one open, not ten thousand.
/// A parent below the one open now is opened from it, so walking down a deep tree opens each level
/// from the level above instead of from ROOT. The seal, the hard-link check and the layer writer all
/// read the final tree through it.
final class ParentCursor {
    private let root: FileDescriptor
    private var current: (path: RelativePath, result: Result<FileDescriptor, Errno>)?

    init(root: FileDescriptor) {
        self.root = root
    }

    deinit { closeCurrent() }

    /// The open directory holding `path` (ROOT itself for ROOT and its children), or why it could not
    /// be opened: an error that ``Errno/meansNoSuchPathBeneath`` accepts when the path is gone (or a
    /// directory on the way is no longer a directory beneath ROOT), any other when it could not be read.
    func directory(holding path: RelativePath) -> Result<FileDescriptor, Errno> {
        let parent = path.parent ?? .root
        if let current, current.path == parent { return current.result }
        // Below the directory open now: the rest of the way from there (long paths stay short steps).
        var start = root
        var rest = parent.bytes
        if let current, case .success(let open) = current.result, !current.path.isRoot, parent.isWithin(current.path) {
            start = open
            rest = parent.rebased(from: current.path, to: .root).bytes
        }
        let result = Result { () throws(Errno) in
            try FileSystem.openBeneath(rest, in: start, .readOnly, options: .directory)
        }
        closeCurrent()
        current = (parent, result)
        return result
    }

    /// The status of `path` itself, not following it if it is a symbolic link; `nil` when it is gone.
    ///
    /// - Throws: the `Errno` of a failure that does not mean "gone" (``Errno/meansNoSuchPathBeneath``):
    ///   the path could not be read, which must never be taken for absent.
    func status(of path: RelativePath) throws(Errno) -> FileStatus? {
        do {
            let directory = try directory(holding: path).get()
            return try FileSystem.status(of: path.isRoot ? [] : path.name, in: directory)
        } catch let error where error.meansNoSuchPathBeneath {
            return nil
        }
    }

    private func closeCurrent() {
        if case .success(let fd) = current?.result { FileSystem.close(fd) }
        current = nil
    }
}
