import ChangerecSystem
import Crypto
import SystemPackage

/// One layer's entries applied, in order, to a root file system, with image-spec `layer.md` semantics
/// (as containerd and umoci apply them), and the tree's state kept up to date as each one is.
///
/// - `.wh.NAME` removes NAME, and all below it, as the layers below left it; `.wh..wh..opq` empties its
///   directory of what the layers below put there. Neither touches what this layer itself made (the spec:
///   "whiteout files MUST only apply to resources in lower/parent layers"), so their place among the
///   layer's entries does not matter. Other `.wh..wh.` names are aufs bookkeeping and are ignored.
///   Whiteout files never appear in the tree.
/// - An entry over an existing object: a directory over a directory keeps its contents and takes the
///   entry's owner, mode, xattrs (the old ones removed) and mtime; anything else removes the old object
///   first, a directory with all it holds.
/// - Owner before mode (a chown clears set-id bits), xattrs after both (a chown clears
///   `security.capability`), the mtime last; directories' mtimes once the whole layer is applied, since
///   making their entries moves them.
/// - Containment: a name that is absolute or holds `..` is refused; parents are resolved inside ROOT
///   (``RootDirectories``); the last component is never followed; a hard link's target is resolved the
///   same way. Nothing outside ROOT is read or written whatever the layer holds.
final class LayerApplication {
    let directories: RootDirectories
    var state: TreeState
    private let shown: String
    /// Paths this layer made, and every directory above one of them: what its whiteouts must not remove.
    var made: Set<RelativePath> = []
    var aboveMade: Set<RelativePath> = []
    /// Directories whose entries changed (their size, mtime), restated at the end of the layer.
    var changedDirectories: Set<RelativePath> = [.root]
    /// Directory entries' mtimes, set at the end of the layer.
    private var directoryTimes: [(path: RelativePath, seconds: Int64, nanoseconds: UInt32)] = []

    /// Whether `.wh.` names are whiteouts (an image layer) or refused (an archive ADD extracts, where
    /// they would be files that an image could not hold).
    private let readsWhiteouts: Bool

    init(directories: RootDirectories, state: TreeState, shown: String, readsWhiteouts: Bool = true) {
        self.directories = directories
        self.state = state
        self.shown = shown
        self.readsWhiteouts = readsWhiteouts
    }

    // MARK: - Entries

    /// Applies one entry, reading its content from `reader`.
    func apply(_ entry: TarEntry, from reader: TarReader) throws(ChangerecError) {
        directories.trim()
        let path = try normalised(entry.name, entry)
        guard let parent = path.parent else {
            guard entry.isDirectory else { throw refusal(entry, "names the root directory but is not a directory") }
            try applyDirectory(entry, name: [], in: RootDirectories.Opened(descriptor: directories.root, path: .root))
            return
        }
        let name = path.name
        if name.starts(with: Self.whiteoutPrefix) {
            guard readsWhiteouts else {
                throw refusal(entry, "has a name beginning '.wh.', which every image layer reads as a deletion")
            }
            if name == Self.opaqueMarker {
                try whiteOut(contentsOf: parent, entry)
            } else if !name.starts(with: Self.metadataPrefix) {
                guard let hidden = parent.appending(Array(name.dropFirst(Self.whiteoutPrefix.count))) else {
                    throw refusal(entry, "is a whiteout of no valid name")
                }
                try whiteOut(hidden, entry)
            }
            return
        }
        let directory: RootDirectories.Opened
        do {
            // Invariant: with `create`, a directory is always returned or an error thrown.
            guard let opened = try directories.directory(parent, create: true, made: recordMadeDirectory) else {
                preconditionFailure("RootDirectories.directory(create: true) returned nil")
            }
            directory = opened
        } catch .noSuchFileOrDirectory {
            // A missing directory is made: ENOENT means a symbolic link on the way points at nothing.
            throw ChangerecError(
                .unsafePath,
                "\(shown): entry '\(RelativePath.escaped(entry.name))': cannot open its parent directory: a symbolic link on its way leads to nothing inside the root file system"
            )
        } catch {
            throw failure(entry, "cannot open its parent directory", error)
        }
        // Invariant: `name` is the last component of a valid RelativePath.
        guard let real = directory.path.appending(name) else { preconditionFailure("invalid name") }
        try replaceExisting(name, in: directory, real: real, with: entry)
        switch entry.type {
        case 0x35: try applyDirectory(entry, name: name, in: directory)
        case 0x31: try applyHardLink(entry, name: name, in: directory, real: real)
        default: try applyObject(entry, name: name, in: directory, real: real, reader: reader)
        }
        markMade(real)
        changedDirectories.insert(directory.path)
    }

    /// Removes what stands at `name` unless the entry is a directory over a directory.
    private func replaceExisting(
        _ name: [UInt8], in directory: RootDirectories.Opened, real: RelativePath, with entry: TarEntry
    ) throws(ChangerecError) {
        let existing: FileStatus
        do {
            existing = try FileSystem.status(of: name, in: directory.descriptor)
        } catch .noSuchFileOrDirectory {
            return
        } catch {
            throw failure(entry, "cannot read what is there", error)
        }
        if entry.isDirectory && existing.type == .directory { return }
        do throws(Errno) {
            try removeAll(name, in: directory.descriptor, type: existing.type)
        } catch {
            throw failure(entry, "cannot remove what was there", error)
        }
        removed(real, type: existing.type)
    }

    private func applyObject(
        _ entry: TarEntry, name: [UInt8], in directory: RootDirectories.Opened, real: RelativePath, reader: TarReader
    ) throws(ChangerecError) {
        let parent = directory.descriptor
        var digest: [UInt8]?
        var target: [UInt8]?
        do throws(Errno) {
            switch entry.type {
            case 0x32:
                target = entry.linkName
                try FileSystem.makeSymbolicLink(name, in: parent, target: entry.linkName)
                try FileSystem.changeOwner(of: name, in: parent, uid: entry.uid, gid: entry.gid)
            case 0x33, 0x34, 0x36:
                let type: ChangerecSystem.FileType =
                    entry.type == 0x33 ? .characterDevice : entry.type == 0x34 ? .blockDevice : .fifo
                try FileSystem.makeNode(
                    name, in: parent, type: type, permissions: 0o600, major: entry.deviceMajor, minor: entry.deviceMinor
                )
                try FileSystem.changeOwner(of: name, in: parent, uid: entry.uid, gid: entry.gid)
                try FileSystem.changeMode(of: name, in: parent, permissions: entry.mode)
            default:
                digest = try writeFile(entry, name: name, in: parent, reader: reader)
            }
            try setXattrs(entry, name: name, in: parent)
            try FileSystem.setModificationTime(
                of: name, in: parent, seconds: entry.mtimeSeconds, nanoseconds: entry.mtimeNanoseconds)
        } catch {
            throw failure(entry, "cannot make it", error)
        }
        try record(real, name: name, in: parent, symlinkTarget: target, contentDigest: digest, entry)
    }

    /// Makes the regular file, its content hashed as it is written, and sets its owner and mode.
    private func writeFile(_ entry: TarEntry, name: [UInt8], in parent: FileDescriptor, reader: TarReader)
        throws(Errno) -> [UInt8]
    {
        let file = try FileSystem.open(
            name, relativeTo: parent, .writeOnly, options: [.create, .exclusiveCreate, .noFollow],
            permissions: [.ownerReadWrite])
        defer { FileSystem.close(file) }
        var hasher = SHA256()
        var writeError: Errno?
        do throws(ChangerecError) {
            try reader.readContent { (chunk) throws(ChangerecError) in
                hasher.update(bufferPointer: chunk)
                do throws(Errno) {
                    try FileSystem.writeAll(file, chunk)
                } catch {
                    writeError = error
                    throw ChangerecError(.system, "write", errno: error)
                }
            }
        } catch {
            if let writeError { throw writeError }
            // A failure of the stream, not of the file: reported as itself (see ``failure(_:_:_:)``).
            pendingStreamError = error
            throw .ioError
        }
        try FileSystem.changeOwner(of: file, uid: entry.uid, gid: entry.gid)
        try FileSystem.changeMode(of: file, permissions: entry.mode)
        return Array(hasher.finalize())
    }

    /// A failure of the tar stream while a file's content was being written, which must be reported as
    /// itself, not as a failure to write the file.
    private var pendingStreamError: ChangerecError?

    private func applyHardLink(
        _ entry: TarEntry, name: [UInt8], in directory: RootDirectories.Opened, real: RelativePath
    )
        throws(ChangerecError)
    {
        let target = try normalised(entry.linkName, entry, what: "its link target")
        guard let targetParent = target.parent else { throw refusal(entry, "is a hard link to the root directory") }
        let opened: RootDirectories.Opened?
        do {
            opened = try directories.directory(targetParent, create: false)
        } catch {
            throw failure(entry, "cannot open the directory of its link target", error)
        }
        guard let source = opened else {
            throw refusal(entry, "is a hard link to '\(target)', which the layers so far do not hold")
        }
        do {
            try FileSystem.makeHardLink(name, in: directory.descriptor, to: target.name, in: source.descriptor)
        } catch .noSuchFileOrDirectory {
            throw refusal(entry, "is a hard link to '\(target)', which the layers so far do not hold")
        } catch {
            throw failure(entry, "cannot make the hard link", error)
        }
        // Invariant: `target.name` is the last component of a valid RelativePath.
        guard let sourceReal = source.path.appending(target.name) else { preconditionFailure("invalid name") }
        let known = state[sourceReal]
        try record(
            real, name: name, in: directory.descriptor, symlinkTarget: known?.symlinkTarget,
            contentDigest: known?.contentDigest, entry)
        // The other name's link count moved.
        try record(
            sourceReal, name: target.name, in: source.descriptor, symlinkTarget: known?.symlinkTarget,
            contentDigest: known?.contentDigest, entry)
    }

    private func applyDirectory(_ entry: TarEntry, name: [UInt8], in directory: RootDirectories.Opened)
        throws(ChangerecError)
    {
        let parent = directory.descriptor
        let real = name.isEmpty ? Optional(directory.path) : directory.path.appending(name)
        // Invariant: `name` is empty or the last component of a valid RelativePath.
        guard let real else { preconditionFailure("invalid name") }
        do throws(Errno) {
            var exists = name.isEmpty
            if !exists {
                do {
                    try FileSystem.makeDirectory(name, in: parent, mode: 0o700)
                } catch .fileExists {
                    exists = true
                }
            }
            if exists {
                // A directory over a directory: it keeps what it holds, and loses its old xattrs.
                for attribute in try Xattrs.all(of: name, in: parent) {
                    try Xattrs.remove(attribute.name, of: name, in: parent)
                }
            }
            let opened = try FileSystem.openBeneath(name, in: parent, .readOnly, options: .directory)
            defer { FileSystem.close(opened) }
            try FileSystem.changeOwner(of: opened, uid: entry.uid, gid: entry.gid)
            try FileSystem.changeMode(of: opened, permissions: entry.mode)
            try setXattrs(entry, name: name, in: parent)
        } catch {
            throw failure(entry, "cannot make the directory", error)
        }
        directoryTimes.append((real, entry.mtimeSeconds, entry.mtimeNanoseconds))
        changedDirectories.insert(real)
        try record(real, name: name, in: parent, symlinkTarget: nil, contentDigest: nil, entry)
    }

    private func setXattrs(_ entry: TarEntry, name: [UInt8], in parent: FileDescriptor) throws(Errno) {
        for attribute in entry.xattrs {
            try Xattrs.set(attribute.name, to: attribute.value, of: name, in: parent)
        }
    }

    // MARK: - State

    private func markMade(_ real: RelativePath) {
        made.insert(real)
        var current = real.parent
        while let ancestor = current, aboveMade.insert(ancestor).inserted { current = ancestor.parent }
    }

    /// A directory made because an entry's parent was missing: it is this layer's, and in the state.
    private func recordMadeDirectory(_ parentPath: RelativePath, _ parent: FileDescriptor, _ name: [UInt8])
        throws(Errno)
    {
        guard let real = parentPath.appending(name) else { return }
        markMade(real)
        changedDirectories.insert(parentPath)
        changedDirectories.insert(real)
        let status = try FileSystem.status(of: name, in: parent)
        state.set(
            real,
            FinalState(
                status: status, symlinkTarget: nil, contentDigest: nil,
                xattrDigest: try ContentDigest.ofXattrs(name, in: parent)))
    }

    /// Records the state of what `name` in `parent` now is, as the seal would read it.
    private func record(
        _ real: RelativePath, name: [UInt8], in parent: FileDescriptor, symlinkTarget: [UInt8]?,
        contentDigest: [UInt8]?, _ entry: TarEntry
    ) throws(ChangerecError) {
        do throws(Errno) {
            let status = try FileSystem.status(of: name, in: parent)
            var digest = contentDigest
            if status.type == .regular && digest == nil {
                digest = try ContentDigest.ofFile(name, in: parent, expected: status)
            }
            var target = symlinkTarget
            if status.type == .symlink && target == nil { target = try FileSystem.symlinkTarget(of: name, in: parent) }
            state.set(
                real,
                FinalState(
                    status: status, symlinkTarget: status.type == .symlink ? target : nil,
                    contentDigest: status.type == .regular ? digest : nil,
                    xattrDigest: try ContentDigest.ofXattrs(name, in: parent)))
        } catch {
            throw failure(entry, "cannot read back what was made", error)
        }
    }

    /// Ends the layer: sets the directories' mtimes, then restates every directory whose entries or
    /// mtime changed, so the state holds what the tree now holds.
    func finish() throws(ChangerecError) {
        directories.trim()
        // In the layer's order: an entry repeated later wins. Setting a directory's mtime moves no other.
        for (path, seconds, nanoseconds) in directoryTimes {
            do throws(Errno) {
                guard let located = try locate(path) else { continue }
                let (parent, name) = located
                guard try FileSystem.status(of: name, in: parent).type == .directory else { continue }
                if name.isEmpty {
                    try FileSystem.setModificationTime(of: parent, seconds: seconds, nanoseconds: nanoseconds)
                } else {
                    try FileSystem.setModificationTime(of: name, in: parent, seconds: seconds, nanoseconds: nanoseconds)
                }
            } catch {
                throw ChangerecError(.system, "\(shown): cannot set the mtime of '\(path)': \(error)", errno: error)
            }
        }
        for path in changedDirectories.sorted(by: RelativePath.treeOrder) {
            do throws(Errno) {
                guard let located = try locate(path) else { continue }
                let (parent, name) = located
                let status: FileStatus
                do {
                    status = try FileSystem.status(of: name, in: parent)
                } catch .noSuchFileOrDirectory {
                    continue
                }
                guard status.type == .directory else { continue }
                let xattrs: [UInt8]?
                if let known = state[path] {
                    xattrs = known.xattrDigest
                } else {
                    xattrs = try ContentDigest.ofXattrs(name, in: parent)
                }
                state.set(path, FinalState(status: status, symlinkTarget: nil, contentDigest: nil, xattrDigest: xattrs))
            } catch {
                throw ChangerecError(.system, "\(shown): cannot read back '\(path)': \(error)", errno: error)
            }
        }
    }

    /// The open parent of a path of the tree, and its name (ROOT: ROOT itself and an empty name); `nil`
    /// when it is gone.
    private func locate(_ path: RelativePath) throws(Errno) -> (FileDescriptor, [UInt8])? {
        guard let parentPath = path.parent else { return (directories.root, []) }
        guard let parent = try directories.directory(parentPath, create: false) else { return nil }
        return (parent.descriptor, path.name)
    }

    // MARK: - Names and messages

    static let whiteoutPrefix = Array(".wh.".utf8)
    static let metadataPrefix = Array(".wh..wh.".utf8)
    static let opaqueMarker = Array(".wh..wh..opq".utf8)

    /// The entry's name as a path below ROOT: `.` components and repeated or trailing `/` dropped; an
    /// absolute name or one with `..` refused.
    private func normalised(_ name: [UInt8], _ entry: TarEntry, what: String = "its name") throws(ChangerecError)
        -> RelativePath
    {
        if name.first == 0x2F { throw refusal(entry, "is refused: \(what) is absolute") }
        let components = name.split(separator: 0x2F).filter { !$0.elementsEqual([0x2E]) }
        if components.contains(where: { $0.elementsEqual([0x2E, 0x2E]) }) {
            throw refusal(entry, "is refused: \(what) leads out of the root file system ('..')")
        }
        guard let path = RelativePath(Array(components.joined(separator: [0x2F]))) else {
            throw refusal(entry, "is refused: \(what) is not a valid path")
        }
        return path
    }

    private func refusal(_ entry: TarEntry, _ what: String) -> ChangerecError {
        ChangerecError(.unsafePath, "\(shown): entry '\(RelativePath.escaped(entry.name))' \(what)")
    }

    func failure(_ entry: TarEntry, _ what: String, _ error: Errno) -> ChangerecError {
        if let stream = pendingStreamError {
            pendingStreamError = nil
            return stream
        }
        return ChangerecError(
            .system, "\(shown): entry '\(RelativePath.escaped(entry.name))': \(what): \(error)", errno: error)
    }
}
