import ChangerecSystem
import SystemPackage

/// Writes what a ``ContextCopy`` copies into the root file system: directories resolved (and made) inside
/// it through ``RootDirectories``, each file and link written beside its final name and renamed over it.
final class CopyWriter {
    private let directories: RootDirectories
    private let owner: (uid: UInt32, gid: UInt32)?
    private let mode: UInt32?
    /// The root file system's own identity: a context that holds it would be copied into itself forever.
    private let rootIdentity: (device: UInt64, inode: UInt64)
    /// Directories this copy made, whose owner, mode and time it sets.
    private var made: Set<RelativePath> = []

    init(root: FileDescriptor, owner: (uid: UInt32, gid: UInt32)?, mode: UInt32?) throws(ChangerecError) {
        directories = RootDirectories(root: root)
        self.owner = owner
        self.mode = mode
        do {
            let status = try FileSystem.status(of: root)
            rootIdentity = (status.device, status.inode)
        } catch {
            throw ChangerecError.system("read the root file system", error)
        }
    }

    /// The directory `path` names in the root file system, made (0755, the copy's owner) where missing.
    func directory(_ path: RelativePath) throws(ChangerecError) -> RootDirectories.Opened {
        let owner = owner
        do throws(Errno) {
            let opened = try directories.directory(path, create: true) { (parentPath, parent, name) throws(Errno) in
                if let owner { try FileSystem.changeOwner(of: name, in: parent, uid: owner.uid, gid: owner.gid) }
                if let child = parentPath.appending(name) { self.made.insert(child) }
            }
            // Invariant: with `create` the directory is made or an error thrown.
            guard let opened else { throw Errno.noSuchFileOrDirectory }
            return opened
        } catch .notDirectory {
            throw ChangerecError(.usage, "cannot copy into '\(path)': it is not a directory in the root file system")
        } catch {
            throw ChangerecError.system("make the directory", path: path.description, error)
        }
    }

    /// `path` with every symbolic link on it resolved inside the root file system, as a chroot (or
    /// containerd's `RootPath`, which BuildKit resolves a COPY destination with) resolves it: a link's
    /// absolute target starts again at ROOT, `..` stops at ROOT, and a path that does not exist yet (a
    /// dangling link included) continues as written, to be made.
    func resolved(_ path: RelativePath) throws(ChangerecError) -> RelativePath {
        var done: [[UInt8]] = []
        var rest = Array(path.bytes.split(separator: 0x2F).map(Array.init).reversed())
        var links = 0
        while let component = rest.popLast() {
            if component == [0x2E] { continue }
            if component == [0x2E, 0x2E] {
                _ = done.popLast()
                continue
            }
            let parent = try lookUp(done)
            guard let parent, let status = try existing(component, in: parent), status.type == .symlink else {
                done.append(component)
                continue
            }
            links += 1
            guard links <= 40 else {
                throw ChangerecError.system("copy to", path: path.description, .tooManySymbolicLinkLevels)
            }
            let target: [UInt8]
            do {
                target = try FileSystem.symlinkTarget(of: component, in: parent.descriptor)
            } catch {
                throw ChangerecError.system("read the link", path: parent.path.appending(component)?.description, error)
            }
            if target.first == 0x2F { done = [] }
            rest += target.split(separator: 0x2F).map(Array.init).reversed()
        }
        // Invariant: every component is one name that is neither `.` nor `..`, so the path is valid.
        guard let result = RelativePath(Array(done.joined(separator: [0x2F]))) else {
            throw ChangerecError(.usage, "cannot copy to '\(path)': a link on the way leads to an invalid path")
        }
        return result
    }

    /// The existing directory `components` name (already free of links), or nil when it is missing or
    /// not a directory.
    private func lookUp(_ components: [[UInt8]]) throws(ChangerecError) -> RootDirectories.Opened? {
        guard let path = RelativePath(Array(components.joined(separator: [0x2F]))) else { return nil }
        do {
            return try directories.directory(path, create: false)
        } catch {
            throw ChangerecError.system("open the directory", path: path.description, error)
        }
    }

    /// Where a file copied to `path` (written without a trailing `/`) goes: into it when it resolves to a
    /// directory, else to what it resolves to, replacing a file there.
    func fileTarget(_ path: RelativePath, name: [UInt8]) throws(ChangerecError) -> (RootDirectories.Opened, [UInt8]) {
        let path = try resolved(path)
        guard let parentPath = path.parent else { return (try directory(.root), name) }
        let parent = try directory(parentPath)
        if try existing(path.name, in: parent)?.type == .directory { return (try directory(path), name) }
        return (parent, path.name)
    }

    /// Copies the entries of the context directory `source` into the directory `path`, recursively;
    /// `shown` is the source's path in the context, for messages (empty: the context itself).
    ///
    /// - Parameters:
    ///   - nested: `path` is a directory inside a copied directory, which (when this copy makes it) gets
    ///     the source directory's bits, owner and time. The destination itself, like its missing parents,
    ///     keeps 0755 and the copy's owner: a COPY copies a directory's contents, not the directory, and
    ///     BuildKit makes the destination as it makes the parents (moby/buildkit#1941).
    func copyContents(
        of source: FileDescriptor, status: FileStatus, shown: String, into path: RelativePath, nested: Bool = false
    ) throws(ChangerecError) {
        guard status.device != rootIdentity.device || status.inode != rootIdentity.inode else {
            throw ChangerecError(
                .usage,
                "'\(shown.isEmpty ? "." : shown)' in the build context is the root file system; keep the root file system outside it"
            )
        }
        _ = try directory(path)
        let entries: [DirectoryEntry]
        do {
            entries = try DirectoryReader.entries(of: source).sorted { $0.name.lexicographicallyPrecedes($1.name) }
        } catch {
            throw ChangerecError.system("read the build context's directory", path: shown, error)
        }
        for entry in entries {
            // Asked for again each time: the cache closes everything between entries once too many
            // directories are open, so a tree of any size copies within the descriptor limit.
            try copyEntry(entry.name, of: source, shown: shown.isEmpty ? "" : shown + "/", into: directory(path))
            directories.trim()
        }
        let target = try directory(path)
        if nested && made.contains(target.path) { try finish(target.descriptor, like: status, path: target.path) }
    }

    private func copyEntry(
        _ name: [UInt8], of source: FileDescriptor, shown prefix: String, into target: RootDirectories.Opened
    )
        throws(ChangerecError)
    {
        let shown = prefix + printable(name)
        let status: FileStatus
        do {
            status = try FileSystem.status(of: name, in: source)
        } catch {
            throw ChangerecError.system("read the build context's", path: shown, error)
        }
        // Invariant: `name` is an entry of a directory, one valid component.
        guard let path = target.path.appending(name) else { preconditionFailure("CopyWriter: invalid entry name") }
        switch status.type {
        case .directory:
            let directory = try open(name, in: source, options: .directory, shown: shown)
            defer { FileSystem.close(directory) }
            try copyContents(of: directory, status: status, shown: shown, into: path, nested: true)
        case .regular:
            let file = try open(name, in: source, options: [], shown: shown)
            defer { FileSystem.close(file) }
            try writeFile(from: file, status: status, name: name, in: target)
        case .symlink:
            let link: [UInt8]
            do {
                link = try FileSystem.symlinkTarget(of: name, in: source)
            } catch {
                throw ChangerecError.system("read the build context's link", path: shown, error)
            }
            try writeLink(link, status: status, name: name, in: target)
        default:
            throw ChangerecError(
                .usage,
                "'\(shown)' in the build context is a \(status.type.name); only files, directories and links copy")
        }
    }

    /// Writes the file open as `source` to `name` in `directory`, replacing a file or link there.
    func writeFile(from source: FileDescriptor, status: FileStatus, name: [UInt8], in directory: RootDirectories.Opened)
        throws(ChangerecError)
    {
        let path = try replaceable(name, in: directory)
        try writeBeside(name, in: directory, path: path) { (temporary) throws(Errno) in
            let file = try FileSystem.open(
                temporary, relativeTo: directory.descriptor, .writeOnly,
                options: [.create, .exclusiveCreate, .noFollow],
                permissions: [.ownerReadWrite])
            defer { FileSystem.close(file) }
            try FileSystem.copyAll(from: source, to: file)
            if let owner { try FileSystem.changeOwner(of: file, uid: owner.uid, gid: owner.gid) }
            // After the owner: chown clears set-id bits.
            try FileSystem.changeMode(of: file, permissions: mode ?? status.permissions)
            try FileSystem.setModificationTime(
                of: file, seconds: status.mtimeSeconds, nanoseconds: status.mtimeNanoseconds)
        }
    }

    private func writeLink(_ link: [UInt8], status: FileStatus, name: [UInt8], in directory: RootDirectories.Opened)
        throws(ChangerecError)
    {
        let path = try replaceable(name, in: directory)
        try writeBeside(name, in: directory, path: path) { (temporary) throws(Errno) in
            try FileSystem.makeSymbolicLink(temporary, in: directory.descriptor, target: link)
            if let owner {
                try FileSystem.changeOwner(of: temporary, in: directory.descriptor, uid: owner.uid, gid: owner.gid)
            }
            try FileSystem.setModificationTime(
                of: temporary, in: directory.descriptor, seconds: status.mtimeSeconds,
                nanoseconds: status.mtimeNanoseconds)
        }
    }

    /// Makes the object with `make` under a temporary name beside `name`, then renames it over `name`; the
    /// temporary object is removed when anything fails.
    private func writeBeside(
        _ name: [UInt8], in directory: RootDirectories.Opened, path: RelativePath,
        make: ([UInt8]) throws(Errno) -> Void
    ) throws(ChangerecError) {
        let temporary = Array(".".utf8) + name.prefix(200) + Array(".changerec-copy".utf8)
        do {
            // A temporary name left by a copy that was killed is this copy's to reuse.
            do { try FileSystem.unlink(temporary, in: directory.descriptor) } catch .noSuchFileOrDirectory {}
            try make(temporary)
            try FileSystem.rename(temporary, to: name, in: directory.descriptor)
        } catch {
            try? FileSystem.unlink(temporary, in: directory.descriptor)
            throw ChangerecError.system("copy to", path: path.description, error)
        }
    }

    /// The path of `name` in `directory`, which a file or link may replace: anything but a directory.
    private func replaceable(_ name: [UInt8], in directory: RootDirectories.Opened) throws(ChangerecError)
        -> RelativePath
    {
        // Invariant: `name` is one valid component.
        guard let path = directory.path.appending(name) else { preconditionFailure("CopyWriter: invalid name") }
        if try existing(name, in: directory)?.type == .directory {
            throw ChangerecError(.usage, "cannot copy a file to '\(path)': it is a directory in the root file system")
        }
        return path
    }

    private func existing(_ name: [UInt8], in directory: RootDirectories.Opened) throws(ChangerecError) -> FileStatus? {
        do {
            return try FileSystem.status(of: name, in: directory.descriptor)
        } catch .noSuchFileOrDirectory {
            return nil
        } catch {
            throw ChangerecError.system("read", path: directory.path.appending(name)?.description, error)
        }
    }

    /// A directory this copy made gets the source directory's bits (or `--chmod`), the owner and, last,
    /// its time: writing its entries changed the time it was made with.
    private func finish(_ descriptor: FileDescriptor, like status: FileStatus, path: RelativePath)
        throws(ChangerecError)
    {
        do {
            if let owner { try FileSystem.changeOwner(of: descriptor, uid: owner.uid, gid: owner.gid) }
            try FileSystem.changeMode(of: descriptor, permissions: mode ?? status.permissions)
            try FileSystem.setModificationTime(
                of: descriptor, seconds: status.mtimeSeconds, nanoseconds: status.mtimeNanoseconds)
        } catch {
            throw ChangerecError.system("set the owner, mode and time of", path: path.description, error)
        }
    }

    private func open(_ name: [UInt8], in directory: FileDescriptor, options: FileDescriptor.OpenOptions, shown: String)
        throws(ChangerecError) -> FileDescriptor
    {
        do {
            return try FileSystem.openBeneath(name, in: directory, .readOnly, options: options)
        } catch {
            throw ChangerecError.system("open the build context's", path: shown, error)
        }
    }
}
