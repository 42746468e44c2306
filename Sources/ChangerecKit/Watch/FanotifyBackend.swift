import ChangerecSystem
import SystemPackage

/// The privileged backend: one fanotify group with a `FAN_MARK_FILESYSTEM` mark on ROOT's file system and
/// on every file system mounted below ROOT. No watch per directory, no watch limit, no race with new directories,
/// an unlimited queue, and the process behind every change.
///
/// fanotify names a directory by its file handle, not its path. The backend keeps a handle → path map,
/// primed at arming (one `name_to_handle_at` per directory) and then updated in event order from the
/// handles that create and rename records carry, so an event is recorded under the path its directory
/// had when the event happened — asking the kernel would give today's path. Kernel behaviour designed for:
/// - Queued events on one object are merged, even out of order (CREATE|DELETE in one record): a merged
///   mask is read in lifecycle order (create, modify, attrib, delete) and the seal decides the outcome.
/// - A rename over an existing name carries no delete for the name it replaced (the fold knows).
/// - `RENAME_EXCHANGE` arrives as two `FAN_RENAME` records.
/// - An `O_TMPFILE` file is reported under a pseudo-name such as `#15` until it is linked; such a name
///   that was never created is not a path and is not recorded.
/// - Events of changerec's own process are dropped.
/// - `link(2)`, `unlink(2)` and a rename over a name change an inode's link count, which comes as an
///   `FAN_ATTRIB` record carrying only the inode's handle — no directory, no name (the kernel reports it
///   with `fsnotify_inode`, which knows no parent). Such a record, and any record of a name the baseline
///   cannot vouch for (moved in, or below a directory renamed during the step), keeps the inode's handle;
///   when the step has ended each is opened (`open_by_handle_at`) and `fstat`ed, and the inode handed on,
///   for the seal to find its other names in the baseline: a write through a hard link made during the
///   step, or through a name removed or replaced since, is not missed. A handle that no longer opens
///   (ESTALE) is an inode with no name left, whose every removal was reported.
public final class FanotifyBackend: WatchBackend {
    public let name = "fanotify"
    public let reportsProcesses = true

    public var descriptor: FileDescriptor { fanotify.descriptor }
    public private(set) var kernelEventCount: UInt64 = 0
    public private(set) var overflowed = false
    /// Events read so far: what ``queuedAmount()`` counts for fanotify.
    public var amountRead: Int { Int(kernelEventCount) }

    /// FAN_RENAME makes FAN_MOVED_FROM/FAN_MOVED_TO redundant, and a directory's own DELETE_SELF and
    /// MOVE_SELF are reported by its parent's DELETE and RENAME records. FAN_OPEN_EXEC changes nothing;
    /// it names the processes, in order, before their first change.
    static let eventMask: UInt64 =
        Fanotify.Mask.create | Fanotify.Mask.delete | Fanotify.Mask.rename | Fanotify.Mask.attrib
        | Fanotify.Mask.modify | Fanotify.Mask.closeWrite | Fanotify.Mask.onDirectory | Fanotify.Mask.openExec

    private let fanotify: Fanotify
    private let tree: WatchedTree
    private let walker: TreeWalker
    private let ownPID = ChildProcess.currentID
    private var baseline = Baseline()
    private var pathOfHandle: [FileHandleKey: RelativePath] = [:]
    private var handleOfPath: [RelativePath: FileHandleKey] = [:]
    private var rootHandle: FileHandleKey?
    /// Directories known to lie outside ROOT, so the kernel is asked about each at most once.
    private var outside: Set<FileHandleKey> = []
    /// A descriptor on each marked file system, for `open_by_handle_at`.
    private var mountDescriptors: [UInt64: FileDescriptor] = [:]
    /// Paths created in the step: a pseudo-name like `#15` that was never created is an O_TMPFILE.
    private var created: Set<RelativePath> = []
    /// Handles of inodes whose other names may have changed unreported (see the notes above), opened when
    /// the step has ended. Bounded: past the bound the seal is told some inode went unidentified.
    private var linkedHandles: Set<FileHandleKey> = []
    private var tooManyLinkedHandles = false
    /// Directories renamed or moved in during the step: below them the baseline no longer says which inode
    /// a name holds.
    private var arrivedDirectories: Set<RelativePath> = []
    /// The file systems marked, for the journal and messages.
    public private(set) var markedFilesystems: [String] = []
    /// Set once arming is complete: a file system that cannot be marked is then a note, not a refusal.
    private var armed = false

    /// Creates the group and marks ROOT's file system and every file system mounted below ROOT.
    ///
    /// - Parameter tree: ROOT, whose descriptor the caller keeps open while the backend lives.
    /// - Throws: `ChangerecError` with code `.backendUnavailable` and a one-line reason: no privilege
    ///   (EPERM), a kernel without the report flags (EINVAL), a file system that cannot be marked
    ///   (EOPNOTSUPP for overlayfs without nfs_export, EXDEV for a btrfs subvolume, ENODEV for FUSE).
    public init(tree: WatchedTree) throws(ChangerecError) {
        self.tree = tree
        walker = TreeWalker(tree: tree)
        do {
            fanotify = try Fanotify()
        } catch .notPermitted {
            throw ChangerecError(
                .backendUnavailable, "fanotify needs CAP_SYS_ADMIN", errno: .notPermitted)
        } catch .invalidArgument {
            throw ChangerecError(
                .backendUnavailable,
                "this kernel lacks FAN_REPORT_DFID_NAME_TARGET (fanotify needs Linux 5.17 or later)",
                errno: .invalidArgument)
        } catch {
            throw ChangerecError(.backendUnavailable, "fanotify_init failed: \(error)", errno: error)
        }
        // ROOT's own file system is marked through ROOT's descriptor, never looked up in mountinfo: inside a
        // chroot (or any root whose mount lies outside this process's view) no mount at or above ROOT is
        // listed, and a lookup would mark nothing. mountinfo only adds the mounts below ROOT.
        let listed = Mounts.list()
        let holding = listed.flatMap { Self.mountHolding(tree.path, in: $0) }
        try mark(
            tree.descriptor, shown: printable(tree.path), type: holding?.fileSystemType ?? "the file system of ROOT")
        for mount in Self.mounts(below: tree.path, in: listed ?? [], skipping: holding?.device) {
            // One that cannot be opened is not walked either: the walk notes it as unreadable.
            guard let fd = try? FileSystem.open(mount.mountPoint, .readOnly, options: .directory) else { continue }
            defer { FileSystem.close(fd) }
            try mark(fd, shown: printable(mount.mountPoint), type: mount.fileSystemType)
        }
        // Without /proc the mounts below ROOT cannot be listed; the arming walk marks each file system it
        // enters instead (see `recordHandle`), so nothing below ROOT goes unmarked either way.

        // Programs mostly live outside ROOT: watch their executions (and nothing else) on the file systems
        // of `/` and of $PATH, so a process that exits before /proc can be read still has a name.
        let programDirectories =
            ["/"] + (Host.environment("PATH") ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for directory in programDirectories where directory.hasPrefix("/") {
            try? fanotify.markFilesystem(of: Array(directory.utf8), mask: Fanotify.Mask.openExec)
        }
    }

    deinit {
        for fd in mountDescriptors.values { FileSystem.close(fd) }
    }

    /// Marks the file system holding the open directory `directory` and keeps a descriptor on it for
    /// `open_by_handle_at`. A file system already marked is left alone.
    ///
    /// - Throws: `.backendUnavailable` with a one-line reason when the kernel refuses the mark.
    private func mark(_ directory: FileDescriptor, shown: String, type: String) throws(ChangerecError) {
        let fsid = try? FileHandles.fsid(of: directory)
        if let fsid, mountDescriptors[fsid] != nil { return }
        do {
            try fanotify.markFilesystem(of: directory, mask: Self.eventMask)
        } catch {
            let subject = "\(type) at '\(shown)'"
            let why: String
            switch error {
            case .notSupported:
                why = "\(subject) cannot be marked (overlayfs needs nfs_export=on)"
            case .improperLink:
                why = "\(subject) cannot be marked (EXDEV: a btrfs subvolume or a bind mount of a subtree)"
            case .operationNotSupportedByDevice:
                why = "\(subject) has no file handles (ENODEV: FUSE and similar)"
            default:
                why = "\(subject) cannot be marked: \(error)"
            }
            throw ChangerecError(.backendUnavailable, why, errno: error)
        }
        if let fsid,
            let fd = try? FileSystem.open(Array(".".utf8), relativeTo: directory, .readOnly, options: .directory)
        {
            mountDescriptors[fsid] = fd
        }
        markedFilesystems.append("\(type) \(shown)")
    }

    /// The mount holding `root`: the last one listed whose mount point is ROOT or one of its ancestors;
    /// `nil` when it lies outside this process's view (a chroot).
    static func mountHolding(_ root: [UInt8], in mounts: [Mounts.Mount]) -> Mounts.Mount? {
        mounts.last { mount in
            mount.mountPoint == [0x2F] || mount.mountPoint == root || root.starts(with: mount.mountPoint + [0x2F])
        }
    }

    /// The mounts strictly below ROOT whose file systems must be marked too: one per device, no pseudo
    /// file systems, none on `skipping` (ROOT's own device, marked already).
    static func mounts(below root: [UInt8], in mounts: [Mounts.Mount], skipping: String?) -> [Mounts.Mount] {
        let prefix = root == [0x2F] ? root : root + [0x2F]
        var devices = Set(skipping.map { [$0] } ?? [])
        var result: [Mounts.Mount] = []
        for mount in mounts
        where mount.mountPoint.starts(with: prefix) && !devices.contains(mount.device)
            && !PseudoFileSystems.isPseudo(mount)
        {
            devices.insert(mount.device)
            result.append(mount)
        }
        return result
    }

    public func arm() throws(ChangerecError) -> (Baseline, [WatchOutput]) {
        var outputs: [WatchOutput] = []
        try walker.walk(from: .root, mode: .baseline, baseline: &baseline, into: &outputs, prepare: recordHandle)
        rootHandle = handleOfPath[.root]
        armed = true
        return (baseline, outputs)
    }

    public func queuedAmount() throws(ChangerecError) -> Int {
        do {
            return try fanotify.queuedEvents()
        } catch {
            throw ChangerecError.system("count the queued fanotify events", error)
        }
    }

    public func readBatch() throws(ChangerecError) -> [WatchOutput]? {
        let records: [Fanotify.Record]
        do {
            records = try fanotify.readAvailable()
        } catch {
            throw ChangerecError.system("read fanotify events", error)
        }
        if records.isEmpty { return nil }
        var outputs: [WatchOutput] = []
        for record in records {
            try handle(record, into: &outputs)
        }
        return outputs
    }

    public func finish() throws(ChangerecError) -> [WatchOutput] {
        // The command has ended, so every event it caused is already queued: read them.
        var outputs = try readQueued()
        resolveLinkedHandles(into: &outputs)
        return outputs
    }

    // MARK: - Hard links

    private func keep(_ handle: FileHandleKey) {
        if linkedHandles.count >= 1 << 17 {
            tooManyLinkedHandles = true
            return
        }
        linkedHandles.insert(handle)
    }

    /// Whether the baseline says which inode `path` holds: it existed at arming and no directory above it
    /// was renamed or moved in since. (A name made during the step is a new inode, or a link whose link
    /// count record already kept its handle.)
    private func vouched(_ path: RelativePath) -> Bool {
        guard baseline.type(of: path) != nil else { return false }
        return arrivedDirectories.isEmpty || !path.ancestors.contains(where: arrivedDirectories.contains)
    }

    private func resolveLinkedHandles(into outputs: inout [WatchOutput]) {
        if tooManyLinkedHandles { outputs.append(.unidentifiedName(nil)) }
        for handle in linkedHandles {
            guard let mount = mountDescriptors[handle.fsid] else { continue }  // not a file system below ROOT
            let fd: FileDescriptor
            do {
                fd = try FileHandles.open(handle, on: mount)
            } catch .staleNFSFileHandle, .noSuchFileOrDirectory {
                continue  // no name left: every removal was reported by name
            } catch {
                outputs.append(.unidentifiedName(nil))
                continue
            }
            defer { FileSystem.close(fd) }
            if let status = try? FileSystem.status(of: fd), status.type != .directory {
                outputs.append(.inode(FileIdentity(status)))
            }
        }
        linkedHandles.removeAll()
    }

    // MARK: - Records

    private func handle(_ record: Fanotify.Record, into outputs: inout [WatchOutput]) throws(ChangerecError) {
        kernelEventCount += 1
        let mask = record.mask
        if mask & Fanotify.Mask.queueOverflow != 0 {
            overflowed = true
            try walker.recoverFromOverflow(
                backend: name, limit: "the queue is unlimited, so the kernel ran out of memory for it",
                baseline: baseline, into: &outputs, prepare: recordHandle)
            return
        }
        if record.pid == ownPID { return }
        if mask & Fanotify.Mask.openExec != 0,
            let program = record.entry?.name, !program.isEmpty,
            !Self.isProgramLoader(program)
        {
            // Like the kernel's comm: the program's base name, cut to 15 bytes.
            outputs.append(.processName(pid: record.pid, name: String(decoding: program.prefix(15), as: UTF8.self)))
            if mask & ~(Fanotify.Mask.openExec | Fanotify.Mask.onDirectory) == 0 { return }
        }
        let isDirectory = mask & Fanotify.Mask.onDirectory != 0

        let object = record.object?.handle

        if mask & Fanotify.Mask.rename != 0 {
            try rename(record, object: object, isDirectory: isDirectory, into: &outputs)
        }
        guard let entry = record.entry else {
            // A link count change: only the inode's handle (see the notes above).
            if mask & Fanotify.Mask.attrib != 0 && !isDirectory && mask & Fanotify.Mask.rename == 0, let object {
                keep(object)
            }
            return
        }
        guard let path = try path(of: entry, into: &outputs) else { return }
        if tree.excludes(path) { return }
        let isCreate = mask & Fanotify.Mask.create != 0
        // Whether the name was made during the step: one lookup per record, or for a create only the insert.
        let madeInStep = isCreate || created.contains(path)
        if !isDirectory, let object, !madeInStep, !vouched(path) {
            keep(object)
        }

        func emit(_ operation: JournalEvent.Operation) {
            var event = JournalEvent(operation, path, isDirectory: isDirectory)
            event.pid = record.pid
            outputs.append(.event(event))
        }
        // A merged mask, read in lifecycle order; the seal decides what is there in the end.
        if isCreate {
            emit(.create)
            created.insert(path)
            if isDirectory, let object { map(object, to: path) }
        }
        let isPseudoName = !madeInStep && baseline.type(of: path) == nil && Self.isTmpfileName(path.name)
        if mask & (Fanotify.Mask.modify | Fanotify.Mask.closeWrite) != 0 && !isPseudoName { emit(.modify) }
        if mask & Fanotify.Mask.attrib != 0 && !isPseudoName { emit(.attrib) }
        if mask & Fanotify.Mask.delete != 0 {
            emit(.delete)
            if isDirectory { forget(below: path) }
        }
    }

    private func rename(
        _ record: Fanotify.Record, object: FileHandleKey?, isDirectory: Bool, into outputs: inout [WatchOutput]
    ) throws(ChangerecError) {
        guard let oldEntry = record.oldEntry, let newEntry = record.newEntry
        else { return }
        var source = try path(of: oldEntry, into: &outputs)
        var target = try path(of: newEntry, into: &outputs)
        if let path = source, tree.excludes(path) { source = nil }
        if let path = target, tree.excludes(path) { target = nil }
        if let object, object == rootHandle {
            outputs.append(.note(JournalNote(.rootMovedOrDeleted, "ROOT itself was renamed during the step")))
        }
        var event: JournalEvent
        switch (source, target) {
        case (let from?, let to?):
            event = JournalEvent(.rename, from, to: to, isDirectory: isDirectory)
            if isDirectory {
                arrivedDirectories.insert(to)
            } else if let object, !created.contains(from), !vouched(from) {
                keep(object)
            }
            // RENAME_EXCHANGE comes as two records; the first already swapped both directories' maps,
            // which the second finds its object already at its destination.
            if isDirectory && !(object.map { pathOfHandle[$0] == to } ?? false) { rebase(from: from, to: to) }
            created.insert(to)
        case (let from?, nil):
            event = JournalEvent(.moveOut, from, isDirectory: isDirectory)
            if isDirectory { forget(below: from) }
        case (nil, let to?):
            event = JournalEvent(.moveIn, to, isDirectory: isDirectory)
            created.insert(to)
            if isDirectory { arrivedDirectories.insert(to) } else if let object { keep(object) }
            if isDirectory {
                // Its subdirectories have never been seen: learn their handles now.
                try walker.walk(
                    from: to, mode: .prepareOnly, baseline: &baseline, into: &outputs, prepare: recordHandle)
            }
        case (nil, nil):
            return
        }
        event.pid = record.pid
        outputs.append(.event(event))
    }

    /// The path of a directory entry record: its directory's path at this point of the stream, plus the
    /// name (`.` names the directory itself). `nil` when the directory lies outside ROOT.
    private func path(of info: Fanotify.Info, into outputs: inout [WatchOutput]) throws(ChangerecError) -> RelativePath?
    {
        guard let directory = try directoryPath(info.handle, into: &outputs) else { return nil }
        if info.name.isEmpty || info.name == [0x2E] { return directory }
        return directory.appending(info.name)
    }

    private func directoryPath(_ handle: FileHandleKey, into outputs: inout [WatchOutput]) throws(ChangerecError)
        -> RelativePath?
    {
        if let path = pathOfHandle[handle] { return path }
        if outside.contains(handle) { return nil }
        // A last resort: the kernel gives today's path, which may differ from the path at event time.
        guard let mount = mountDescriptors[handle.fsid], let fd = try? FileHandles.open(handle, on: mount) else {
            remember(outside: handle)
            return nil
        }
        defer { FileSystem.close(fd) }
        let found: RelativePath?
        if let current = FileHandles.currentPath(of: fd) {
            found = JournalLocation.relative(current, below: tree.path) ?? (current == tree.path ? .root : nil)
        } else {
            // No /proc to read the descriptor's path from, or a path longer than a page (ENAMETOOLONG): walk up.
            do {
                found = try FileSystem.relativePath(of: fd, below: tree.descriptor).flatMap {
                    $0.isEmpty ? RelativePath.root : RelativePath($0)
                }
            } catch {
                outputs.append(
                    .note(
                        JournalNote(
                            .unwatchedDirectory,
                            "cannot tell where a directory fanotify reported lies (\(error)): its events are not recorded"
                        )))
                return nil
            }
        }
        guard let path = found else {
            remember(outside: handle)
            return nil
        }
        outputs.append(
            .note(
                JournalNote(
                    .handleResolved, path: path,
                    "a directory handle never seen in the stream was resolved by asking the kernel: \(path) is its path now, which may differ from its path when the event happened"
                )))
        map(handle, to: path)
        return path
    }

    private func remember(outside handle: FileHandleKey) {
        // Bounded: a busy file system outside ROOT must not grow memory without end.
        if outside.count >= 65536 { outside.removeAll(keepingCapacity: true) }
        outside.insert(handle)
    }

    private func recordHandle(_ path: RelativePath, _ directory: FileDescriptor, _ outputs: inout [WatchOutput])
        throws(ChangerecError)
    {
        let handle: FileHandleKey
        do {
            handle = try FileHandles.handle(of: directory)
        } catch {
            outputs.append(
                .note(JournalNote(.unwatchedDirectory, path: path, "cannot get a file handle of \(path): \(error)")))
            return
        }
        if mountDescriptors[handle.fsid] == nil {
            // A file system below ROOT that is not marked yet: mountinfo did not list it (no /proc) or it was
            // mounted during the step. Marked now: at arming that is before the command starts.
            let shown = tree.path == [0x2F] ? path.description : printable(tree.path) + path.description
            do {
                try mark(directory, shown: shown, type: "a file system")
            } catch {
                // Before the command starts this is a refusal; during the step, a gap said aloud.
                guard armed else { throw error }
                outputs.append(
                    .note(
                        JournalNote(
                            .unwatchedDirectory, path: path, "\(error.message); changes below \(path) are not recorded")
                    ))
            }
        }
        map(handle, to: path)
    }

    private func map(_ handle: FileHandleKey, to path: RelativePath) {
        if let previous = pathOfHandle[handle], handleOfPath[previous] == handle { handleOfPath[previous] = nil }
        outside.remove(handle)
        pathOfHandle[handle] = path
        handleOfPath[path] = handle
    }

    private func forget(below path: RelativePath) {
        for (handle, mapped) in pathOfHandle where mapped.isWithin(path) {
            pathOfHandle[handle] = nil
            handleOfPath[mapped] = nil
        }
    }

    /// Moves the map below `old` to below `new`, and what was below `new` to below `old`: for an exchange
    /// that is exactly what happened, and for a rename over an empty directory the swapped-out handle
    /// names a directory that no longer exists, which no event will ever carry again.
    private func rebase(from old: RelativePath, to new: RelativePath) {
        var moved: [(FileHandleKey, RelativePath)] = []
        for (handle, mapped) in pathOfHandle {
            if mapped.isWithin(old) {
                moved.append((handle, mapped.rebased(from: old, to: new)))
            } else if mapped.isWithin(new) {
                moved.append((handle, mapped.rebased(from: new, to: old)))
            }
        }
        for (handle, _) in moved {
            if let mapped = pathOfHandle[handle], handleOfPath[mapped] == handle { handleOfPath[mapped] = nil }
        }
        for (handle, path) in moved {
            pathOfHandle[handle] = path
            handleOfPath[path] = handle
        }
    }

    /// The ELF interpreter (`ld-linux-x86-64.so.2`, `ld.so`) is opened for execution right after the
    /// program itself; it is not the name the process goes by.
    static func isProgramLoader(_ name: [UInt8]) -> Bool {
        // Compared as bytes: fanotify reports every exec on the file systems of `/` and $PATH, the whole
        // machine's, and a string search per exec showed in profiles.
        guard name.count >= 3, name[0] == 0x6C, name[1] == 0x64, name[2] == 0x2D || name[2] == 0x2E else {
            return false
        }
        return name.indices.dropLast(2).contains { name[$0] == 0x2E && name[$0 + 1] == 0x73 && name[$0 + 2] == 0x6F }
    }

    /// The kernel's name for an unlinked `O_TMPFILE` inode: `#` and its inode number.

    static func isTmpfileName(_ name: [UInt8]) -> Bool {
        name.count > 1 && name[0] == 0x23 && name.dropFirst().allSatisfy { (0x30...0x39).contains($0) }
    }
}
