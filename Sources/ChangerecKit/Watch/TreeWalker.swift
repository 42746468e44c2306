import ChangerecSystem
import SystemPackage

/// Walks directories below ROOT, each opened with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` (in
/// steps when its path is longer than `PATH_MAX`), and turns what it finds into baseline names or
/// synthesised events. Both backends walk with it; each passes the step it needs on every directory
/// *before* its entries are read (add a watch, record a handle), so that nothing created after the
/// listing can escape both the listing and the watch.
struct TreeWalker {
    enum Mode {
        /// Record every name in the baseline (arming).
        case baseline
        /// Emit a synthesised create for every entry (a directory that appeared during the step).
        case synthesizeCreates
        /// Only prepare each directory (a directory that arrived whole).
        case prepareOnly
        /// Emit create for names the baseline lacks and touch for the others (overflow recovery).
        case rescan
    }

    typealias Prepare = (RelativePath, FileDescriptor, inout [WatchOutput]) throws(ChangerecError) -> Void

    let tree: WatchedTree

    func walk(
        from start: RelativePath, mode: Mode, baseline: inout Baseline, into outputs: inout [WatchOutput],
        prepare: Prepare
    ) throws(ChangerecError) {
        if mode == .baseline && start.isRoot { baseline.armedAt = Host.wallClockNanoseconds() }
        var stack = [start]
        while let path = stack.popLast() {
            if tree.excludes(path) { continue }
            let arming = mode == .baseline && path.isRoot
            let directory: FileDescriptor
            do {
                directory = try FileSystem.openBeneath(path.bytes, in: tree.descriptor, .readOnly, options: .directory)
            } catch {
                if arming { throw ChangerecError.system("open", path: printable(tree.path), error) }
                // Gone or replaced since it was named: its own events say what happened. Anything else
                // (EACCES, EIO, ...) hides what it holds, which is never silent.
                if !error.meansNoSuchPathBeneath {
                    outputs.append(
                        .note(JournalNote(.unreadableDirectory, path: path, "cannot open \(path): \(error)")))
                }
                continue
            }
            defer { FileSystem.close(directory) }
            try prepare(path, directory, &outputs)
            let entries: [DirectoryEntry]
            do {
                entries = try DirectoryReader.entries(of: directory)
            } catch {
                if arming { throw ChangerecError.system("read directory", path: printable(tree.path), error) }
                outputs.append(.note(JournalNote(.unreadableDirectory, path: path, "cannot read \(path): \(error)")))
                continue
            }
            // `d_ino` names an inode only together with the device of the directory it was read from
            // (one `fstat` per directory): below ROOT several file systems may number the same inodes.
            let device = mode == .rescan ? nil : (try? FileSystem.status(of: directory))?.device
            for entry in entries {
                guard let child = path.appending(entry.name), !tree.excludes(child) else { continue }
                let identity = device.map { FileIdentity(device: $0, inode: entry.inode) }
                visit(
                    entry, as: child, in: directory, identity: identity, mode: mode, baseline: &baseline,
                    into: &outputs)
                if entry.type == .directory { stack.append(child) }
            }
        }
    }

    /// What `mode` makes of `entry`, named `child`, of the open `directory`.
    private func visit(
        _ entry: DirectoryEntry, as child: RelativePath, in directory: FileDescriptor, identity: FileIdentity?,
        mode: Mode, baseline: inout Baseline, into outputs: inout [WatchOutput]
    ) {
        let isDirectory = entry.type == .directory
        if !isDirectory, mode == .synthesizeCreates || mode == .prepareOnly, let identity {
            // A name that appeared whole (made before its directory was watched, or moved in) may be a hard
            // link to an inode of the baseline.
            outputs.append(.inode(identity))
        }
        switch mode {
        case .baseline:
            baseline.record(child, entry.type, identity: identity)
        case .synthesizeCreates:
            let target = entry.type == .symlink ? try? FileSystem.symlinkTarget(of: entry.name, in: directory) : nil
            outputs.append(
                .event(
                    JournalEvent(.create, child, isDirectory: isDirectory, isSynthesized: true, symlinkTarget: target)))
        case .rescan:
            let operation: JournalEvent.Operation = baseline.type(of: child) == nil ? .create : .touch
            outputs.append(.event(JournalEvent(operation, child, isDirectory: isDirectory, isSynthesized: true)))
        case .prepareOnly:
            break
        }
    }

    /// Events were lost: compares the tree as it is now with the names captured at arming. What vanished
    /// is deleted, what appeared is created, and every survivor counts as possibly modified.
    func recoverFromOverflow(
        backend: String, limit: String, baseline: Baseline, into outputs: inout [WatchOutput], prepare: Prepare
    ) throws(ChangerecError) {
        outputs.append(
            .note(
                JournalNote(
                    .queueOverflow, "the \(backend) queue overflowed (\(limit)): events were lost; rescanning ROOT")))
        var rescan: [WatchOutput] = []
        var names = baseline
        try walk(from: .root, mode: .rescan, baseline: &names, into: &rescan, prepare: prepare)
        var seen = Set<RelativePath>()
        var created = 0
        var touched = 0
        for case .event(let event) in rescan {
            seen.insert(event.path)
            if event.operation == .create { created += 1 } else { touched += 1 }
        }
        var deleted = 0
        for (path, type) in baseline.types where !seen.contains(path) {
            rescan.append(.event(JournalEvent(.delete, path, isDirectory: type == .directory, isSynthesized: true)))
            deleted += 1
        }
        outputs += rescan
        outputs.append(
            .note(
                JournalNote(
                    .rescanDone,
                    "rescan after overflow: \(created) new, \(deleted) gone, \(touched) possibly changed (every survivor counts as changed)"
                )))
    }
}
