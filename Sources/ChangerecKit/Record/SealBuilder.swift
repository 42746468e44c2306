import ChangerecSystem
import Glibc
import SystemPackage

/// Reads the final state of every path a journal names, after the command has ended.
///
/// Every path is reached with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` on its parent and a
/// no-follow `fstatat` on its name, so a directory swapped for a symbolic link never leads outside ROOT:
/// such a path is simply gone.
struct SealBuilder {
    let root: FileDescriptor
    let baseline: Baseline
    let exclusions: Exclusions

    /// The paths to seal: those named, their ancestors, and everything below each directory that
    /// arrived whole (renamed or moved in), in tree order.
    func paths(named: Set<RelativePath>, wholeDirectories: Set<RelativePath>) -> [RelativePath] {
        var all = named
        for path in named {
            for ancestor in path.ancestors where !ancestor.isRoot { all.insert(ancestor) }
        }
        for directory in wholeDirectories {
            all.formUnion(descendants(of: directory))
        }
        return all.filter { !exclusions.contains($0) }.sorted(by: RelativePath.treeOrder)
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
    func hardLinkSiblings(
        of named: Set<RelativePath>, reported: Set<FileIdentity> = [], unidentified: Bool = false
    ) -> [RelativePath] {
        // In tree order, so the cursor opens each parent directory once.
        let cursor = ParentCursor(root: root)
        var identities = reported
        for path in named.sorted(by: RelativePath.treeOrder) {
            if let before = baseline.identity(of: path) { identities.insert(before) }
            guard let status = cursor.status(of: path), status.type != .directory, status.linkCount > 1 else {
                continue
            }
            identities.insert(FileIdentity(status))
        }
        var siblings = Set(baseline.paths(withIdentities: identities))
        if unidentified { siblings.formUnion(changedSinceArming()) }
        return siblings.filter { !named.contains($0) && !exclusions.contains($0) }.sorted(by: RelativePath.treeOrder)
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
                let fd = try? FileSystem.openBeneath(path.bytes, in: root, flags: O_RDONLY | O_DIRECTORY)
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

    /// Seal entries for `paths`, handed on one at a time so memory holds one entry, not all of them.
    func seal(_ paths: [RelativePath], _ emit: (SealEntry) throws(ChangerecError) -> Void) throws(ChangerecError) {
        let cursor = ParentCursor(root: root)
        for path in paths {
            let after = try? cursor.directory(holding: path).get()
            try emit(
                SealEntry(
                    path: path, before: baseline.type(of: path),
                    after: after.flatMap { finalState(of: path.isRoot ? [] : path.name, in: $0) }))
        }
    }

    private func finalState(of name: [UInt8], in directory: FileDescriptor) -> FinalState? {
        guard let status = try? FileSystem.status(of: name, in: directory) else { return nil }
        var target: [UInt8]?
        var content: [UInt8]?
        switch status.type {
        case .symlink: target = try? FileSystem.symlinkTarget(of: name, in: directory)
        case .regular: content = ContentDigest.ofFile(name, in: directory, expected: status)
        default: break
        }
        return FinalState(
            status: status, symlinkTarget: target, contentDigest: content,
            xattrDigest: ContentDigest.ofXattrs(name, in: directory))
    }

    private func descendants(of start: RelativePath) -> [RelativePath] {
        var result: [RelativePath] = []
        var stack = [start]
        while let path = stack.popLast() {
            guard !exclusions.contains(path),
                let fd = try? FileSystem.openBeneath(path.bytes, in: root, flags: O_RDONLY | O_DIRECTORY)
            else { continue }
            defer { FileSystem.close(fd) }
            for entry in (try? DirectoryReader.entries(of: fd)) ?? [] {
                guard let child = path.appending(entry.name) else { continue }
                result.append(child)
                if entry.type == .directory { stack.append(child) }
            }
        }
        return result
    }
}
