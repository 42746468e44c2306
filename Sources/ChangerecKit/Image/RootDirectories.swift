import ChangerecSystem
import SystemPackage

/// The directories of a root file system being made, opened as the archive names them and kept open:
/// a layer's entries come mostly in tree order, so a directory of a thousand entries costs one open.
///
/// A directory an entry names is resolved as if the root file system were `/` — as umoci (securejoin)
/// and containerd resolve it: a parent that is a symbolic link, absolute or relative, is followed inside
/// ROOT (`/bin -> usr/bin` in a merged-/usr Debian), and `..` never climbs above ROOT
/// (`openat2(RESOLVE_IN_ROOT)`). Each directory is opened from its parent, one component at a time
/// through no symbolic link; only a component that is a link is resolved from ROOT, and the real path it
/// leads to (which the tree's state is kept under) is read back from the open directory. The last
/// component of an entry is never followed: callers act on it with `*at` calls in its parent.
final class RootDirectories {
    /// An open directory and its path in the tree, which differs from the name it was asked by when a
    /// symbolic link was on the way.
    struct Opened {
        var descriptor: FileDescriptor
        var path: RelativePath
    }

    let root: FileDescriptor
    private var open: [RelativePath: Opened] = [:]
    /// Beyond this many open directories all are closed, and reopened as needed.
    private static let limit = 512

    init(root: FileDescriptor) {
        self.root = root
    }

    deinit { closeAll() }

    /// The directory `path` names, resolved inside ROOT.
    ///
    /// - Parameters:
    ///   - create: make missing directories (mode 0755, owned by the caller, as containerd and umoci make
    ///     an entry's missing parents), telling `made` of each; without it, a missing directory is `nil`.
    /// - Throws: the `Errno` of a component that is not a directory (`ENOTDIR`), a symbolic link that
    ///   leads nowhere (`ENOENT`), or any other failure.
    func directory(
        _ path: RelativePath, create: Bool,
        made: (RelativePath, FileDescriptor, [UInt8]) throws(Errno) -> Void = { _, _, _ in }
    )
        throws(Errno) -> Opened?
    {
        if path.isRoot { return Opened(descriptor: root, path: .root) }
        if let hit = open[path] { return hit }
        // Invariant: only ROOT has no parent, and ROOT returned above.
        guard let parentPath = path.parent,
            let parent = try directory(parentPath, create: create, made: made)
        else { return nil }
        let name = path.name
        var opened: Opened
        do {
            opened = try openComponent(name, in: parent)
        } catch .tooManySymbolicLinkLevels {
            do {
                opened = try openThroughLink(path)
            } catch let error where !create && (error == .noSuchFileOrDirectory || error == .notDirectory) {
                return nil
            }
        } catch .noSuchFileOrDirectory where create {
            try FileSystem.makeDirectory(name, in: parent.descriptor, mode: 0o755)
            try made(parent.path, parent.descriptor, name)
            opened = try openComponent(name, in: parent)
        } catch let error where !create && (error == .noSuchFileOrDirectory || error == .notDirectory) {
            return nil
        }
        open[path] = opened
        return opened
    }

    /// Forgets (and closes) every directory at or below `path`, by the name it was asked by or by its
    /// path in the tree: `path` was removed or replaced, and anything reached through it may be another
    /// object now.
    func forget(_ path: RelativePath) {
        let stale = open.filter { $0.key.isWithin(path) || $0.value.path.isWithin(path) }
        for (key, opened) in stale {
            FileSystem.close(opened.descriptor)
            open.removeValue(forKey: key)
        }
    }

    /// Closes everything when too many directories are open; called between entries, never while an
    /// entry holds a directory.
    func trim() {
        if open.count > Self.limit { closeAll() }
    }

    private func openComponent(_ name: [UInt8], in parent: Opened) throws(Errno) -> Opened {
        let descriptor = try FileSystem.openBeneath(name, in: parent.descriptor, .readOnly, options: .directory)
        // Invariant: `name` is the last component of a valid RelativePath.
        guard let path = parent.path.appending(name) else { preconditionFailure("RootDirectories: invalid name") }
        return Opened(descriptor: descriptor, path: path)
    }

    private func openThroughLink(_ path: RelativePath) throws(Errno) -> Opened {
        let descriptor = try FileSystem.openInRoot(path.bytes, root: root, .readOnly, options: .directory)
        let real: [UInt8]?
        do {
            real = try FileSystem.relativePath(of: descriptor, below: root)
        } catch {
            FileSystem.close(descriptor)
            throw error
        }
        // RESOLVE_IN_ROOT never leaves ROOT, so the directory lies below it.
        guard let real, let resolved = RelativePath(real) else {
            FileSystem.close(descriptor)
            throw .notPermitted
        }
        return Opened(descriptor: descriptor, path: resolved)
    }

    private func closeAll() {
        for opened in open.values { FileSystem.close(opened.descriptor) }
        open.removeAll()
    }
}
