import ChangerecSystem
import SystemPackage

extension LayerPlan {
    /// The plan without the objects a step only touched: those whose state after the step is the state
    /// `before` holds for them (type, mode, owner, size, mtime, device, link target, xattrs, and for a
    /// regular file its content, read now). dpkg's rewrites of `/etc/.pwd.lock` and the like then make no
    /// entry. Kept whatever their state: anything below an opaque directory (the marker hides the lower
    /// layers' copy), files with more than one name (another name may have been written), and anything
    /// whose content cannot be read now (the writer reports that).
    ///
    /// - Returns: the plan and how many objects it left out.
    func droppingUnchanged(from before: TreeState, root: FileDescriptor) -> (plan: LayerPlan, dropped: Int) {
        var opaque: Set<RelativePath> = []
        for case .opaqueMarker(let path) in items { opaque.insert(path) }
        var result = self
        var dropped = 0
        result.items = items.filter { item in
            guard case .object(let path, let after?) = item, let previous = before[path],
                !path.ancestors.contains(where: opaque.contains), !opaque.contains(path),
                Self.sameMetadata(after, previous)
            else { return true }
            if after.type == .regular {
                guard after.linkCount == 1, previous.linkCount == 1, let digest = previous.contentDigest,
                    Self.contentDigest(of: path, root: root) == digest
                else { return true }
            }
            dropped += 1
            return false
        }
        return (result, dropped)
    }

    /// Everything a layer entry carries but the content. Inode and link count are not in a layer, nor is
    /// a directory's size (a file system's own bookkeeping, which a mount point made and removed moves).
    private static func sameMetadata(_ a: FinalState, _ b: FinalState) -> Bool {
        a.type == b.type && a.permissions == b.permissions && a.uid == b.uid && a.gid == b.gid
            && (a.type == .directory || a.size == b.size)
            && a.mtimeSeconds == b.mtimeSeconds && a.mtimeNanoseconds == b.mtimeNanoseconds && a.rdev == b.rdev
            && a.symlinkTarget == b.symlinkTarget && a.xattrDigest == b.xattrDigest
    }

    /// The SHA-256 of the file at `path` now, or `nil` when it cannot be read as one unchanging file.
    private static func contentDigest(of path: RelativePath, root: FileDescriptor) -> [UInt8]? {
        guard
            let parent = try? FileSystem.openBeneath(
                (path.parent ?? .root).bytes, in: root, .readOnly, options: .directory)
        else { return nil }
        defer { FileSystem.close(parent) }
        guard let status = try? FileSystem.status(of: path.name, in: parent), status.type == .regular else {
            return nil
        }
        return (try? ContentDigest.ofFile(path.name, in: parent, expected: status)) ?? nil
    }
}
