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

    /// Other names, from the baseline, of the regular files among `named` that have more than one link.
    /// A write or chmod through one name changes them all, but the kernel reports only the name used.
    func hardLinkSiblings(of named: Set<RelativePath>) -> [RelativePath] {
        // In tree order, so the cursor opens each parent directory once.
        let cursor = ParentCursor(root: root)
        var identities: Set<Identity> = []
        for path in named.sorted(by: RelativePath.treeOrder) {
            guard let status = cursor.status(of: path), status.type == .regular, status.linkCount > 1 else { continue }
            identities.insert(Identity(device: status.device, inode: status.inode))
        }
        guard !identities.isEmpty else { return [] }
        let candidates = baseline.paths(withInodes: Set(identities.map(\.inode))).sorted(by: RelativePath.treeOrder)
        return candidates.filter { path in
            guard !named.contains(path), !exclusions.contains(path), let status = cursor.status(of: path) else {
                return false
            }
            return identities.contains(Identity(device: status.device, inode: status.inode))
        }
    }

    private struct Identity: Hashable {
        var device: UInt64
        var inode: UInt64
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
