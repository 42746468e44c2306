import ChangerecSystem
import Glibc
import SystemPackage

/// Opens the directory holding a path, beneath ROOT and through no symbolic link
/// (`openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`), keeping the last one open: paths visited in tree
/// order share their parent, so a directory of ten thousand entries costs one open, not ten thousand.
/// The seal, the hard-link check and the layer writer all read the final tree through it.
final class ParentCursor {
    private let root: FileDescriptor
    private var current: (path: RelativePath, result: Result<FileDescriptor, Errno>)?

    init(root: FileDescriptor) {
        self.root = root
    }

    deinit { closeCurrent() }

    /// The open directory holding `path` (ROOT itself for ROOT and its children), or why it could not
    /// be opened: ENOENT when it is gone, ELOOP/ENOTDIR/EXDEV when something on the way is no longer a
    /// directory beneath ROOT.
    func directory(holding path: RelativePath) -> Result<FileDescriptor, Errno> {
        let parent = path.parent ?? .root
        if let current, current.path == parent { return current.result }
        closeCurrent()
        let result = Result { () throws(Errno) in
            try FileSystem.openBeneath(parent.bytes, in: root, flags: O_RDONLY | O_DIRECTORY)
        }
        current = (parent, result)
        return result
    }

    /// The status of `path` itself, not following it if it is a symbolic link; `nil` when it is gone.
    func status(of path: RelativePath) -> FileStatus? {
        guard case .success(let directory) = directory(holding: path) else { return nil }
        return try? FileSystem.status(of: path.isRoot ? [] : path.name, in: directory)
    }

    private func closeCurrent() {
        if case .success(let fd) = current?.result { FileSystem.close(fd) }
        current = nil
    }
}
