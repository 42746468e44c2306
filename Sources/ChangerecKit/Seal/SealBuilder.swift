import ChangerecSystem
import SystemPackage

/// Reads the final state of every path a journal names, after the command has ended.
///
/// Every path is reached with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` on its parent (in steps
/// when the path is longer than `PATH_MAX`) and a no-follow `fstatat` on its name, so a directory swapped
/// for a symbolic link never leads outside ROOT: such a path is simply gone. Only "no such path beneath
/// ROOT" (``Errno/meansNoSuchPathBeneath``) seals a path as gone; any other error (`EACCES`, `EIO`,
/// `EMFILE`, ...) seals it as unreadable, with the error, so that it never reads as absent or unchanged.
struct SealBuilder: Sendable {
    let root: FileDescriptor
    let baseline: Baseline
    let exclusions: Exclusions

    /// What to seal: the paths in tree order, and the directories among them whose entries could not be
    /// listed (their contents are unknown, so they are sealed as unreadable).
    struct Plan {
        var paths: [RelativePath]
        var unlisted: [RelativePath: ReadFailure]
    }

    /// The paths to seal: those named, their ancestors, everything below each directory that arrived
    /// whole (renamed or moved in), and every name the baseline had below a directory that is now
    /// something else, in tree order.
    func paths(named: Set<RelativePath>, wholeDirectories: Set<RelativePath>) -> Plan {
        var all = named
        for path in named {
            // Up to the first ancestor already there: its own ancestors are, or will be when it is visited.
            var current = path.parent
            while let ancestor = current, !ancestor.isRoot, all.insert(ancestor).inserted { current = ancestor.parent }
        }
        all.formUnion(baselineNames(below: directoriesReplaced(among: all)))
        var unlisted: [RelativePath: ReadFailure] = [:]
        for directory in wholeDirectories {
            all.formUnion(descendants(of: directory, unlisted: &unlisted))
        }
        return Plan(
            paths: all.filter { !exclusions.contains($0) }.sorted(by: RelativePath.treeOrder), unlisted: unlisted)
    }

    /// The directories of the baseline among `paths` that are now a file, a symbolic link, a device or a
    /// fifo. Such a directory was moved or renamed away whole (or exchanged) and something else took its
    /// name; no event names what it held, which left with it and is gone from ROOT, so the seal must name
    /// it to make each of those names a deletion. One that is gone needs nothing (its deletion covers what
    /// it held), nor one that is a directory again (it is opaque when it was removed), nor one that cannot
    /// be read (sealed as unreadable).
    private func directoriesReplaced(among paths: Set<RelativePath>) -> Set<RelativePath> {
        let cursor = ParentCursor(root: root)
        var replaced: Set<RelativePath> = []
        // Only the directories are looked at: sorted alone (in tree order, so the cursor opens each parent
        // once), not among every path.
        let directories = paths.filter { baseline.type(of: $0) == .directory }.sorted(by: RelativePath.treeOrder)
        for path in directories {
            guard let status = try? cursor.status(of: path), status.type != .directory else { continue }
            replaced.insert(path)
        }
        return replaced
    }

    /// The names the baseline had below any of `directories`: one pass over the baseline, only when some
    /// directory was replaced.
    private func baselineNames(below directories: Set<RelativePath>) -> [RelativePath] {
        guard !directories.isEmpty else { return [] }
        return baseline.types.keys.filter { path in
            var current = path.parent
            while let ancestor = current, !ancestor.isRoot {
                if directories.contains(ancestor) { return true }
                current = ancestor.parent
            }
            return false
        }
    }

    /// Other names, from the baseline, of the inodes the step may have changed through one of their names.
    /// A write, chmod or chown through one name changes them all, but the kernel reports only the name used
    /// — and that name may be gone, moved away or replaced by the time of the seal, so the inode is found
    /// from what was known while it was still there, never only from the named path as it is now:
    /// - a named path that existed before the step: the inode the baseline saw under it;
    /// - a named path that exists now, with more than one link: its inode now;
    /// - `reported`: inodes the backend learnt during the step for names the baseline cannot vouch for
    ///   (made, moved in, or below a renamed directory) — a hard link made during the step among them;
    /// - `unidentified`: a name made during the step whose inode nobody could learn. It may have been a link
    ///   to any inode of the baseline, so every name of the baseline is checked with one `lstat` and those
    ///   whose inode changed during the step (`st_ctime`, which nothing can set back) are taken. Costly (a
    ///   `stat` per name of the baseline) but never a miss; the backends make it rare.
    ///
    /// - Parameter named: the paths to be sealed, in tree order (a ``Plan``'s), so the cursor opens each
    ///   parent directory once.
    func hardLinkSiblings(
        of named: [RelativePath], reported: Set<FileIdentity> = [], unidentified: Bool = false,
        threads: Int = WorkerThread.availableProcessors
    ) -> [RelativePath] {
        var identities = reported
        for path in named {
            if let before = baseline.identity(of: path) { identities.insert(before) }
        }
        // A `stat` of every named path: on every processor, as the seal reads them.
        OrderedParallelMap.run(
            named, threads: threads, context: { [root] in ParentCursor(root: root) },
            transform: { path, cursor -> FileIdentity? in
                // One that cannot be read is sealed as unreadable, which says enough.
                guard let status = try? cursor.status(of: path), status.type != .directory, status.linkCount > 1
                else { return nil }
                return FileIdentity(status)
            },
            emit: { if let identity = $0 { identities.insert(identity) } })
        var siblings = Set(baseline.paths(withIdentities: identities))
        if unidentified { siblings.formUnion(changedSinceArming()) }
        guard !siblings.isEmpty else { return [] }
        let namedSet = Set(named)
        return siblings.filter { !namedSet.contains($0) && !exclusions.contains($0) }.sorted(
            by: RelativePath.treeOrder)
    }

    /// Names of the baseline, other than directories, whose inode changed after arming (a second of margin:
    /// the kernel stamps `st_ctime` from a clock that may lag the one read at arming by a tick). One walk of
    /// the tree as it is now, a `stat` per name and no sorting: a name gone since had its own event.
    private func changedSinceArming() -> [RelativePath] {
        let since = baseline.armedAt - 1_000_000_000
        var result: [RelativePath] = []
        var stack = [RelativePath.root]
        while let path = stack.popLast() {
            guard !exclusions.contains(path),
                let fd = try? FileSystem.openBeneath(path.bytes, in: root, .readOnly, options: .directory)
            else { continue }
            defer { FileSystem.close(fd) }
            for entry in (try? DirectoryReader.entries(of: fd)) ?? [] {
                guard let child = path.appending(entry.name) else { continue }
                if entry.type == .directory {
                    stack.append(child)
                    continue
                }
                guard let status = try? FileSystem.status(of: entry.name, in: fd), status.type != .directory,
                    status.ctimeSeconds * 1_000_000_000 + Int64(status.ctimeNanoseconds) >= since,
                    baseline.identity(of: child) != nil
                else { continue }
                result.append(child)
            }
        }
        return result
    }

    /// Seal entries for the plan's paths, in its order, handed on one at a time so memory holds a few
    /// chunks of entries, not all of them. The paths are read on `threads` threads (each with a cursor of
    /// its own): reading is mostly waiting on the kernel and hashing, and the files are independent.
    func seal(
        _ plan: Plan, threads: Int = WorkerThread.availableProcessors,
        _ emit: (SealEntry) throws(ChangerecError) -> Void
    ) throws(ChangerecError) {
        let unlisted = plan.unlisted
        try OrderedParallelMap.run(
            plan.paths, threads: threads, context: { [root] in ParentCursor(root: root) },
            transform: { [self] path, cursor in
                entry(for: path, unlisted: unlisted, cursor: cursor, content: .hashed).entry
            }, emit: emit)
    }

    /// Whether the seal hashes a regular file as it reads it, or leaves the digest to the layer written
    /// in the same pass.
    enum ContentReading: Sendable {
        case hashed
        case deferred
    }

    /// The plan's entries, in its order, with every regular file's digest left to come: the layer written
    /// in the same pass reads each file once, and ``complete(_:reads:threads:)`` takes the digests from it.
    func sealDeferringContent(_ plan: Plan, threads: Int = WorkerThread.availableProcessors) -> [PendingSealEntry] {
        let unlisted = plan.unlisted
        var entries: [PendingSealEntry] = []
        entries.reserveCapacity(plan.paths.count)
        OrderedParallelMap.run(
            plan.paths, threads: threads, context: { [root] in ParentCursor(root: root) },
            transform: { [self] path, cursor in entry(for: path, unlisted: unlisted, cursor: cursor, content: .deferred)
            },
            emit: { entries.append($0) })
        return entries
    }

    /// The entries made whole: each digest still to come is taken from `reads` when that read is of the
    /// object the seal saw, unchanged (``ContentRead/describes(_:)``); any other path is read again,
    /// completely, as ``seal(_:threads:_:)`` reads it.
    ///
    /// - Returns: the entries, and the paths that `reads` held but could not vouch for (they changed
    ///   between the seal's stat and the end of the layer's read).
    func complete(
        _ pending: [PendingSealEntry], reads: [RelativePath: ContentRead],
        threads: Int = WorkerThread.availableProcessors
    ) -> (entries: [SealEntry], changed: [RelativePath]) {
        var entries: [SealEntry] = []
        var changed: [RelativePath] = []
        entries.reserveCapacity(pending.count)
        OrderedParallelMap.run(
            pending, threads: threads, context: { [root] in ParentCursor(root: root) },
            transform: { [self] pending, cursor -> (SealEntry, Bool) in
                guard let status = pending.awaitingDigest else { return (pending.entry, false) }
                let path = pending.entry.path
                if let read = reads[path], read.describes(status), var after = pending.entry.after {
                    after.contentDigest = read.digest
                    return (SealEntry(path: path, before: pending.entry.before, after: after), false)
                }
                let fresh = entry(for: path, unlisted: [:], cursor: cursor, content: .hashed).entry
                return (fresh, reads[path] != nil)
            },
            emit: { (result: (SealEntry, Bool)) in
                entries.append(result.0)
                if result.1 { changed.append(result.0.path) }
            })
        return (entries, changed)
    }

    /// The seal entry of `path`: its final state, or why it could not be read.
    private func entry(
        for path: RelativePath, unlisted: [RelativePath: ReadFailure], cursor: ParentCursor, content: ContentReading
    ) -> PendingSealEntry {
        let before = baseline.type(of: path)
        if let failure = unlisted[path] {
            return PendingSealEntry(entry: SealEntry(path: path, before: before, unreadable: failure))
        }
        do throws(ReadFailure) {
            guard let (state, status) = try finalState(of: path, cursor: cursor, content: content) else {
                return PendingSealEntry(entry: SealEntry(path: path, before: before, after: nil))
            }
            let awaiting = content == .deferred && status.type == .regular ? status : nil
            return PendingSealEntry(
                entry: SealEntry(path: path, before: before, after: state), awaitingDigest: awaiting)
        } catch {
            return PendingSealEntry(entry: SealEntry(path: path, before: before, unreadable: error))
        }
    }

    /// How many times an object that keeps being replaced while it is read is read again.
    private static let attempts = 3

    /// The state of `path` now and the status it was read under; `nil` when it is gone.
    ///
    /// - Throws: `ReadFailure` when it could not be read for any reason but "no such path beneath ROOT".
    private func finalState(of path: RelativePath, cursor: ParentCursor, content reading: ContentReading)
        throws(ReadFailure) -> (FinalState, FileStatus)?
    {
        let directory: FileDescriptor
        switch cursor.directory(holding: path) {
        case .success(let open): directory = open
        case .failure(let error) where error.meansNoSuchPathBeneath: return nil
        case .failure(let error): throw ReadFailure(error, "open the directory holding it")
        }
        let name = path.isRoot ? [] : path.name
        for _ in 0..<Self.attempts {
            let status: FileStatus
            do {
                status = try FileSystem.status(of: name, in: directory)
            } catch let error where error.meansNoSuchPathBeneath {
                return nil
            } catch {
                throw ReadFailure(error, "read its status")
            }
            // `nil` from a read below: the object was removed or replaced since the stat; read it again.
            if let state = try read(name, in: directory, status: status, content: reading) { return (state, status) }
        }
        throw ReadFailure(.resourceTemporarilyUnavailable, "read it: it changed or was replaced each time it was read")
    }

    /// The target, content digest and xattrs digest of the object `status` describes; `nil` when it was
    /// removed or replaced meanwhile.
    private func read(
        _ name: [UInt8], in directory: FileDescriptor, status: FileStatus, content reading: ContentReading
    )
        throws(ReadFailure) -> FinalState?
    {
        var target: [UInt8]?
        var content: [UInt8]?
        let xattrs: [UInt8]?
        do throws(Errno) {
            switch status.type {
            case .symlink:
                do {
                    target = try FileSystem.symlinkTarget(of: name, in: directory)
                } catch let error where error.meansNoSuchPathBeneath || error == .invalidArgument {
                    return nil  // EINVAL: no longer a symbolic link
                }
            case .regular where reading == .deferred:
                break
            case .regular:
                guard let digest = try ContentDigest.ofFile(name, in: directory, expected: status) else { return nil }
                content = digest
            default: break
            }
        } catch {
            throw ReadFailure(
                error, status.type == .symlink ? "read its target" : "read its content", type: status.type)
        }
        do {
            xattrs = try ContentDigest.ofXattrs(name, in: directory)
        } catch let error where error.meansNoSuchPathBeneath {
            return nil
        } catch {
            throw ReadFailure(error, "read its extended attributes", type: status.type)
        }
        return FinalState(status: status, symlinkTarget: target, contentDigest: content, xattrDigest: xattrs)
    }

    /// Every path below `start`, read beneath ROOT; directories whose entries cannot be listed for any
    /// reason but "gone" go into `unlisted`.
    private func descendants(of start: RelativePath, unlisted: inout [RelativePath: ReadFailure]) -> [RelativePath] {
        var result: [RelativePath] = []
        var stack = [start]
        while let path = stack.popLast() {
            guard !exclusions.contains(path) else { continue }
            let entries: [DirectoryEntry]
            do throws(Errno) {
                let fd = try FileSystem.openBeneath(path.bytes, in: root, .readOnly, options: .directory)
                defer { FileSystem.close(fd) }
                entries = try DirectoryReader.entries(of: fd)
            } catch let error where error.meansNoSuchPathBeneath {
                continue
            } catch {
                unlisted[path] = ReadFailure(error, "list its entries", type: .directory)
                continue
            }
            for entry in entries {
                guard let child = path.appending(entry.name) else { continue }
                result.append(child)
                if entry.type == .directory { stack.append(child) }
            }
        }
        return result
    }
}
