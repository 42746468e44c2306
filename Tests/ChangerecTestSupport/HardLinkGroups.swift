import Glibc

/// Which names of a tree share one inode: every object other than a directory with more than one link,
/// grouped by device and inode number, read with `lstat` independently of the code under test. Two trees
/// with the same content but different groups differ: a layer that loses a hard link is not exact.
/// `.changerec/` at the top is left out.
public struct HardLinkGroups: Equatable, Sendable {
    /// Each group's names (below the tree, without a leading `/`), sorted; only names within the tree count.
    public var groups: Set<[[UInt8]]>

    public static func take(_ root: String) throws -> HardLinkGroups {
        var byInode: [[UInt64]: [[UInt8]]] = [:]
        let rootBytes = Array(root.utf8)
        var stack: [[UInt8]] = [[]]
        while let relative = stack.popLast() {
            let full = relative.isEmpty ? rootBytes : rootBytes + [0x2F] + relative
            guard let stream = withC(full, { opendir($0) }) else { throw TestFailure("opendir failed: errno \(errno)") }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
                if name == [0x2E] || name == [0x2E, 0x2E] { continue }
                if relative.isEmpty && name == Array(".changerec".utf8) { continue }
                let child = relative.isEmpty ? name : relative + [0x2F] + name
                var st = stat()
                guard withC(rootBytes + [0x2F] + child, { lstat($0, &st) }) == 0 else {
                    throw TestFailure("lstat failed: errno \(errno)")
                }
                if st.st_mode & S_IFMT == S_IFDIR {
                    stack.append(child)
                } else if st.st_nlink > 1 {
                    byInode[[UInt64(st.st_dev), UInt64(st.st_ino)], default: []].append(child)
                }
            }
        }
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

    private static func withC<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        let terminated = bytes.map { CChar(bitPattern: $0) } + [0]
        return body(terminated)
    }
}
