import Glibc

/// Which names of a tree share one inode: every object other than a directory with more than one link,
/// grouped by device and inode number, read independently of the code under test through directory
/// descriptors (`openat` one component at a time, `fstatat` without following), so that paths longer than
/// PATH_MAX are read too. Two trees with the same content but different groups differ: a layer that loses
/// a hard link is not exact. `.changerec/` at the top is left out.
public struct HardLinkGroups: Equatable, Sendable {
    /// Each group's names (below the tree, without a leading `/`), sorted; only names within the tree count.
    public var groups: Set<[[UInt8]]>

    public static func take(_ root: String) throws -> HardLinkGroups {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw TestFailure("open \(root): errno \(errno)") }
        defer { close(fd) }
        var byInode: [InodeKey: [[UInt8]]] = [:]
        try walk(fd, [], &byInode)
        return HardLinkGroups(
            groups: Set(byInode.values.filter { $0.count > 1 }.map { $0.sorted { $0.lexicographicallyPrecedes($1) } }))
    }

    /// The groups that are not the same in `other`, described for a test failure; empty when they match.
    public func differences(to other: HardLinkGroups) -> [String] {
        func shown(_ group: [[UInt8]]) -> String {
            group.map { "/" + String(decoding: $0, as: UTF8.self) }.joined(separator: " = ")
        }
        return groups.subtracting(other.groups).map { "hard-link group lost: \(shown($0))" }.sorted()
            + other.groups.subtracting(groups).map { "hard-link group not expected: \(shown($0))" }.sorted()
    }

    struct InodeKey: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private static func walk(_ directory: Int32, _ prefix: [UInt8], _ byInode: inout [InodeKey: [[UInt8]]]) throws {
        for name in try entries(directory) {
            if prefix.isEmpty && name == Array(".changerec".utf8) { continue }
            let path = prefix.isEmpty ? name : prefix + [0x2F] + name
            let terminated = name.map { CChar(bitPattern: $0) } + [0]
            var st = stat()
            guard fstatat(directory, terminated, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw TestFailure("fstatat failed: errno \(errno)")
            }
            if st.st_mode & S_IFMT == S_IFDIR {
                let child = openat(directory, terminated, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { throw TestFailure("openat failed: errno \(errno)") }
                defer { close(child) }
                try walk(child, path, &byInode)
            } else if st.st_nlink > 1 {
                byInode[InodeKey(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)), default: []].append(path)
            }
        }
    }

    private static func entries(_ directory: Int32) throws -> [[UInt8]] {
        let copy = dup(directory)
        guard copy >= 0, let stream = fdopendir(copy) else { throw TestFailure("fdopendir: errno \(errno)") }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
        }
        return names
    }
}
