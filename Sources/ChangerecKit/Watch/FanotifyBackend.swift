import ChangerecSystem
import Glibc
import SystemPackage

/// The privileged backend: one fanotify group with a `FAN_MARK_FILESYSTEM` mark on every file system that
/// has a mount at or below ROOT. No watch per directory, no watch limit, no race with new directories,
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
public final class FanotifyBackend: WatchBackend {
    public let name = "fanotify"
    public let reportsProcesses = true

    public var descriptor: FileDescriptor { fanotify.descriptor }
    public private(set) var kernelEventCount: UInt64 = 0
    public private(set) var overflowed = false
    /// Events read so far: what ``queuedAmount()`` counts for fanotify.
    public var amountRead: Int { Int(kernelEventCount) }
    /// How many directory handles had to be resolved by asking the kernel (`open_by_handle_at`).
    public private(set) var kernelResolutions = 0

    /// FAN_RENAME makes FAN_MOVED_FROM/FAN_MOVED_TO redundant, and a directory's own DELETE_SELF and
    /// MOVE_SELF are reported by its parent's DELETE and RENAME records. FAN_OPEN_EXEC changes nothing;
    /// it names the processes, in order, before their first change.
    static let eventMask: UInt64 =
        Fanotify.Mask.create | Fanotify.Mask.delete | Fanotify.Mask.rename | Fanotify.Mask.attrib
        | Fanotify.Mask.modify | Fanotify.Mask.closeWrite | Fanotify.Mask.onDirectory | Fanotify.Mask.openExec

    private let fanotify: Fanotify
    private let rootPath: [UInt8]
    private let exclusions: Exclusions
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
    /// The file systems marked, for the journal and messages.
    public private(set) var markedFilesystems: [String] = []

    /// Creates the group and marks every file system with a mount at or below ROOT.
    ///
    /// - Throws: `ChangerecError` with code `.backendUnavailable` and a one-line reason: no privilege
    ///   (EPERM), a kernel without the report flags (EINVAL), a file system that cannot be marked
    ///   (EOPNOTSUPP for overlayfs without nfs_export, EXDEV for a btrfs subvolume, ENODEV for FUSE).
    public init(root: FileDescriptor, rootPath: [UInt8], exclusions: Exclusions) throws(ChangerecError) {
        self.rootPath = rootPath
        self.exclusions = exclusions
        walker = TreeWalker(root: root, rootPath: rootPath, exclusions: exclusions)
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
        for mount in Self.mounts(under: rootPath) {
            let shown = printable(mount.mountPoint)
            do {
                try fanotify.markFilesystem(of: mount.mountPoint, mask: Self.eventMask)
            } catch {
                let why: String
                switch error {
                case .notSupported:
                    why = "\(mount.fileSystemType) at '\(shown)' cannot be marked (overlayfs needs nfs_export=on)"
                case .improperLink:
                    why =
                        "\(mount.fileSystemType) at '\(shown)' cannot be marked (EXDEV: a btrfs subvolume or a bind mount of a subtree)"
                case .operationNotSupportedByDevice:
                    why = "\(mount.fileSystemType) at '\(shown)' has no file handles (ENODEV: FUSE and similar)"
                default:
                    why = "\(mount.fileSystemType) at '\(shown)' cannot be marked: \(error)"
                }
                throw ChangerecError(.backendUnavailable, why, errno: error)
            }
            if let fd = try? FileSystem.open(mount.mountPoint, flags: O_RDONLY | O_DIRECTORY),
                let fsid = try? FileHandles.fsid(of: fd)
            {
                if mountDescriptors[fsid] == nil { mountDescriptors[fsid] = fd } else { FileSystem.close(fd) }
            }
            markedFilesystems.append("\(mount.fileSystemType) \(shown)")
        }
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

    /// The mounts whose file systems must be marked: the one holding ROOT and every one below it.
    static func mounts(under root: [UInt8]) -> [Mounts.Mount] {
        let all = Mounts.all()
        let prefix = root == [0x2F] ? root : root + [0x2F]
        // The mount holding ROOT is the last one listed whose mount point is ROOT or one of its ancestors.
        let holding = all.last { mount in
            mount.mountPoint == [0x2F] || mount.mountPoint == root || root.starts(with: mount.mountPoint + [0x2F])
        }
        var result = holding.map { [$0] } ?? []
        var devices = Set(result.map(\.device))
        for mount in all
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
        try readQueued()
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
            let program = record.infos.first(where: { $0.kind == .directoryEntry })?.name, !program.isEmpty,
            !Self.isProgramLoader(program)
        {
            // Like the kernel's comm: the program's base name, cut to 15 bytes.
            outputs.append(.processName(pid: record.pid, name: String(decoding: program.prefix(15), as: UTF8.self)))
            if mask & ~(Fanotify.Mask.openExec | Fanotify.Mask.onDirectory) == 0 { return }
        }
        let isDirectory = mask & Fanotify.Mask.onDirectory != 0

        let object = record.infos.first { $0.kind == .object }?.handle

        if mask & Fanotify.Mask.rename != 0 {
            try rename(record, object: object, isDirectory: isDirectory, into: &outputs)
        }
        guard let entry = record.infos.first(where: { $0.kind == .directoryEntry }),
            let path = try path(of: entry, into: &outputs)
        else { return }
        if exclusions.contains(path) { return }

        func emit(_ operation: JournalEvent.Operation) {
            var event = JournalEvent(operation, path, isDirectory: isDirectory)
            event.pid = record.pid
            outputs.append(.event(event))
        }
        // A merged mask, read in lifecycle order; the seal decides what is there in the end.
        if mask & Fanotify.Mask.create != 0 {
            emit(.create)
            created.insert(path)
            if isDirectory, let object { map(object, to: path) }
        }
        let isPseudoName = !created.contains(path) && baseline.type(of: path) == nil && Self.isTmpfileName(path.name)
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
        guard let oldEntry = record.infos.first(where: { $0.kind == .oldDirectoryEntry }),
            let newEntry = record.infos.first(where: { $0.kind == .newDirectoryEntry })
        else { return }
        var source = try path(of: oldEntry, into: &outputs)
        var target = try path(of: newEntry, into: &outputs)
        if let path = source, exclusions.contains(path) { source = nil }
        if let path = target, exclusions.contains(path) { target = nil }
        if let object, object == rootHandle {
            outputs.append(.note(JournalNote(.rootMovedOrDeleted, "ROOT itself was renamed during the step")))
        }
        var event: JournalEvent
        switch (source, target) {
        case (let from?, let to?):
            event = JournalEvent(.rename, from, to: to, isDirectory: isDirectory)
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
        guard let current = FileHandles.currentPath(of: fd),
            let path = JournalLocation.relative(current, below: rootPath) ?? (current == rootPath ? .root : nil)
        else {
            remember(outside: handle)
            return nil
        }
        kernelResolutions += 1
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
        do {
            map(try FileHandles.handle(of: directory), to: path)
        } catch {
            outputs.append(
                .note(JournalNote(.unwatchedDirectory, path: path, "cannot get a file handle of \(path): \(error)")))
        }
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
        let text = String(decoding: name, as: UTF8.self)
        return (text.hasPrefix("ld-") || text.hasPrefix("ld.")) && text.contains(".so")
    }

    /// The kernel's name for an unlinked `O_TMPFILE` inode: `#` and its inode number.

    static func isTmpfileName(_ name: [UInt8]) -> Bool {
        name.count > 1 && name[0] == 0x23 && name.dropFirst().allSatisfy { (0x30...0x39).contains($0) }
    }
}
