import ChangerecSystem
import SystemPackage

/// One COPY (or ADD of local files) of a Containerfile: sources from the build context into the build's
/// root file system, as Docker and Buildah copy them. `changerec build` runs it as a recorded step (the
/// hidden `changerec copy-into`), so the copy's layer comes from a journal like every RUN's.
///
/// - Sources are found beneath the context only: each is cleaned as if the context were `/`, and opened
///   with `openat2(RESOLVE_IN_ROOT)`, so neither `..` nor a symbolic link reaches outside it. A component
///   with a wildcard (`*`, `?`, `[...]`) matches entries of its directory (`fnmatch`); no match is an
///   error naming the source. A source that is itself a symbolic link is followed (inside the context),
///   as BuildKit follows it, and its copy takes the link's name.
/// - The destination is resolved inside the root file system as a chroot would resolve it: a symbolic
///   link on the way, absolute or relative, leads to its target inside the root, never outside. A relative
///   destination is relative to ``workingDirectory``. More than one source (given, or matched by a
///   wildcard) needs a destination ending in `/`, as Docker requires.
/// - A source directory's contents (not the directory itself) go into the destination directory. A source
///   file goes to `DEST/NAME` when the destination ends in `/` or is a directory, else to `DEST` itself.
/// - Missing directories on the way to the destination, and a missing destination directory, are made
///   with mode 0755 and the copy's owner, as BuildKit (fsutil's copy) and Buildah (imagebuilder's
///   `--chown` parents) make them; directories that exist keep their owner, mode and time.
/// - Regular files keep their content, permission bits and modification time; directories inside a
///   source directory keep their permission bits and time; symbolic links inside a source directory are
///   copied as links, their target unchanged. ``mode`` (`--chmod`) replaces the permission bits of every
///   file and directory copied. Everything copied is owned by ``owner`` (`--chown`), or 0:0; a process
///   that is not root leaves its own ownership when no owner is given, since it could not give another.
/// - An existing file at a destination is replaced atomically (written beside it under a temporary name,
///   then renamed over it): a symbolic link the destination itself names is followed first, as `cp` in a
///   chroot follows it, while a link met at `DEST/NAME` or inside a copied directory is replaced; a directory where a file must go, or a file where a directory must go, is an
///   error naming the path. Fifos, sockets and devices in the context are errors naming them.
/// - Hard links in a source are copied as separate files; extended attributes are not copied.
/// - With ``extractsArchives`` (ADD), a source file that is a tar archive, plain or compressed with gzip
///   or zstd, is extracted into the destination directory instead (``ImageApplier/extract(archive:format:into:shown:)``):
///   entries keep the archive's modes, owners and times, and every name resolves inside the destination.
public struct ContextCopy: Sendable {
    /// Host path of the build context directory.
    public var context: [UInt8]
    /// The sources as written in the Containerfile, relative to the context, wildcards allowed.
    public var sources: [[UInt8]]
    /// Host path of the build's root file system.
    public var rootfs: [UInt8]
    /// The destination as written; a relative one is relative to ``workingDirectory``.
    public var destination: [UInt8]
    /// The build's WORKDIR, absolute inside the root file system.
    public var workingDirectory: [UInt8]
    /// `--chown=USER[:GROUP]`, names or numbers resolved in the root file system's own `/etc/passwd` and
    /// `/etc/group`; `nil` is 0:0.
    public var owner: String?
    /// `--chmod`, already parsed (``OctalMode/permissions(parsing:)``); `nil` keeps the sources' bits.
    public var mode: UInt32?
    /// ADD: extract a source that is a local tar archive into the destination instead of copying it.
    public var extractsArchives = false

    public init(
        context: [UInt8], sources: [[UInt8]], rootfs: [UInt8], destination: [UInt8],
        workingDirectory: [UInt8] = [0x2F], owner: String? = nil, mode: UInt32? = nil
    ) {
        self.context = context
        self.sources = sources
        self.rootfs = rootfs
        self.destination = destination
        self.workingDirectory = workingDirectory
        self.owner = owner
        self.mode = mode
    }

    /// Copies every source to the destination.
    ///
    /// - Throws: `ChangerecError(.usage, …)` naming the source or destination path that cannot be copied
    ///   as asked; `.system` with the `Errno` of a call that failed. A failure part way leaves what was
    ///   copied before it.
    public func run() throws(ChangerecError) {
        let contextDirectory = try Self.openDirectory(context, what: "build context")
        defer { FileSystem.close(contextDirectory) }
        let root = try Self.openDirectory(rootfs, what: "root file system")
        defer { FileSystem.close(root) }
        var found: [(components: [[UInt8]], shown: String)] = []
        for source in sources {
            for components in try ContextSources.expand(source, in: contextDirectory) {
                found.append((components, ContextSources.shown(source, matched: components)))
            }
        }
        let (target, intoDirectory) = try resolvedDestination()
        guard intoDirectory || (sources.count == 1 && found.count == 1) else {
            throw ChangerecError(
                .usage,
                "copying \(found.count) sources needs a destination directory ending in '/', not '\(printable(destination))'"
            )
        }
        let writer = try CopyWriter(root: root, owner: resolvedOwner(root), mode: mode)
        for source in found {
            try copy(
                source.components, shown: source.shown, from: contextDirectory, to: target,
                intoDirectory: intoDirectory, writer: writer)
        }
    }

    private func copy(
        _ components: [[UInt8]], shown: String, from contextDirectory: FileDescriptor, to target: RelativePath,
        intoDirectory: Bool,
        writer: CopyWriter
    ) throws(ChangerecError) {
        let path = Array(components.joined(separator: [0x2F]))
        let status = try Self.sourceStatus(path, shown: shown, in: contextDirectory)
        switch status.type {
        case .directory:
            let directory = try Self.openSource(path, shown: shown, in: contextDirectory, options: .directory)
            defer { FileSystem.close(directory) }
            let into = try writer.resolved(target)
            try writer.copyContents(of: directory, status: status, shown: printable(path), into: into)
        case .regular:
            let file = try Self.openSource(path, shown: shown, in: contextDirectory, options: [])
            defer { FileSystem.close(file) }
            if extractsArchives, let format = try Self.archiveFormat(file, shown: shown) {
                let into = try writer.directory(writer.resolved(target))
                try ImageApplier.extract(
                    archive: file, format: format, into: into.descriptor, shown: "archive '\(shown)'")
                return
            }
            let name = components.last ?? []
            let (parent, finalName) =
                intoDirectory
                ? (try writer.directory(writer.resolved(target)), name) : try writer.fileTarget(target, name: name)
            try writer.writeFile(from: file, status: status, name: finalName, in: parent)
        default:
            throw ChangerecError(
                .usage,
                "'\(shown)' in the build context is a \(status.type.name); only files, directories and links copy")
        }
    }

    /// The destination's path in the root file system, and whether it names a directory to copy into.
    private func resolvedDestination() throws(ChangerecError) -> (RelativePath, Bool) {
        let full = destination.first == 0x2F ? destination : workingDirectory + [0x2F] + destination
        let components = ContextSources.cleaned(full)
        guard let path = RelativePath(Array(components.joined(separator: [0x2F]))) else {
            throw ChangerecError(.usage, "destination '\(printable(destination))' is not a valid path")
        }
        let last = destination.split(separator: 0x2F, omittingEmptySubsequences: false).last.map(Array.init) ?? []
        // Docker's rule: a trailing `/` (or `.`, `..`) says the destination is a directory.
        let intoDirectory = last.isEmpty || last == [0x2E] || last == [0x2E, 0x2E] || path.isRoot
        return (path, intoDirectory)
    }

    /// The owner the copies get: `--chown` resolved in the root file system, else 0:0 (`nil`, leave the
    /// owner as made, when this process could not give it).
    private func resolvedOwner(_ root: FileDescriptor) throws(ChangerecError) -> (uid: UInt32, gid: UInt32)? {
        guard let owner else { return FileSystem.isPrivileged ? (0, 0) : nil }
        return try RootfsAccounts(root: root).owner(owner)
    }

    static func openDirectory(_ path: [UInt8], what: String) throws(ChangerecError) -> FileDescriptor {
        do {
            return try FileSystem.open(path, .readOnly, options: .directory)
        } catch {
            throw ChangerecError.system("open the \(what)", path: printable(path), error)
        }
    }

    /// The status of what the context path leads to, a final symbolic link followed inside the context.
    static func sourceStatus(_ path: [UInt8], shown: String, in context: FileDescriptor) throws(ChangerecError)
        -> FileStatus
    {
        let located = try openSource(path, shown: shown, in: context, options: .locateOnly)
        defer { FileSystem.close(located) }
        do {
            return try FileSystem.status(of: located)
        } catch {
            throw ChangerecError.system("read the build context's", path: shown, error)
        }
    }

    /// Opens what the context path leads to; `shown` names the source in messages.
    static func openSource(
        _ path: [UInt8], shown: String, in context: FileDescriptor, options: FileDescriptor.OpenOptions
    )
        throws(ChangerecError) -> FileDescriptor
    {
        do {
            return try FileSystem.openInRoot(path, root: context, .readOnly, options: options)
        } catch let error where error == .noSuchFileOrDirectory || error == .notDirectory {
            throw ChangerecError(.usage, "source '\(shown)' is not in the build context")
        } catch {
            throw ChangerecError.system("open the build context's", path: shown, error)
        }
    }
}
