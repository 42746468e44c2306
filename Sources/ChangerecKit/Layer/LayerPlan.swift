import ChangerecSystem

/// What a layer holds, in the order it is written: the squash of one or more steps' change sets.
///
/// For every path the journals name, the state before the first step (the first journal's baseline)
/// is compared with the state after the last step that names it — unless a later step removed or
/// replaced one of its ancestors, which takes the path with it. A path that exists after is an entry
/// (its expected state from the seal, checked against the tree when it is read); one that existed
/// before and not after is a whiteout; a directory that existed before and was removed or replaced is
/// opaque. Every entry's parent directories are entries too.
///
/// Order, fixed so the bytes are reproducible: depth first; in each directory the directory itself,
/// then its opaque marker, then its whiteouts, then its other entries, each group by name bytes — so
/// whiteouts come before sibling directories, as the OCI image spec asks.
public struct LayerPlan: Sendable {
    public enum Item: Sendable, Equatable {
        /// An object to read from ROOT; `expected` is its sealed state, `nil` when no seal says it.
        case object(RelativePath, expected: FinalState?)
        /// `.wh..wh..opq` inside this directory.
        case opaqueMarker(RelativePath)
        /// `.wh.NAME` for this path.
        case whiteout(RelativePath)
    }

    public internal(set) var items: [Item]

    /// The paths whose own name begins with `.wh.`, which an OCI layer cannot hold: the image spec makes
    /// every such name a whiteout (`.wh.NAME` deletes NAME from the layers below, `.wh..wh..opq` empties
    /// its directory), so any applier would turn a real file of that name — or the whiteout of one the
    /// step removed — into a deletion of lower-layer content the step never touched.
    public var reservedPaths: [RelativePath] {
        let prefix = Array(".wh.".utf8)
        return items.compactMap { item in
            switch item {
            case .object(let path, _), .whiteout(let path): path.name.starts(with: prefix) ? path : nil
            case .opaqueMarker: nil
            }
        }
    }

    /// Squashes `changeSets`, in step order.
    public init(squashing changeSets: [ChangeSet]) {
        var firstBefore: [RelativePath: FileType?] = [:]
        var last: [RelativePath: (step: Int, after: FinalState?, exists: Bool)] = [:]
        var removedAt: [RelativePath: Int] = [:]
        var opaque: Set<RelativePath> = []
        for (step, changeSet) in changeSets.enumerated() {
            if !changeSet.seal.isEmpty {
                for entry in changeSet.seal {
                    if firstBefore[entry.path] == nil { firstBefore[entry.path] = .some(entry.before) }
                    // Unreadable (accepted with --force): read from ROOT as it is now, never taken for gone.
                    last[entry.path] = (step, entry.after, !entry.isGone)
                    // Gone, or no longer a directory: whatever it held before this step is gone with it.
                    let replaced = entry.before == .directory && entry.after.map { $0.type != .directory } ?? false
                    if entry.isGone || replaced {
                        removedAt[entry.path] = step
                    }
                }
            } else {
                // A journal without a seal (accepted with --force): kinds from its events, state from ROOT.
                for change in changeSet.changes {
                    let before: FileType? = change.kind == .added ? nil : change.type
                    if firstBefore[change.path] == nil { firstBefore[change.path] = .some(before) }
                    last[change.path] = (step, nil, change.kind != .deleted)
                    if change.kind == .deleted { removedAt[change.path] = step }
                    for ancestor in change.path.ancestors where !ancestor.isRoot && last[ancestor] == nil {
                        last[ancestor] = (step, nil, true)
                        firstBefore[ancestor] = .some(.directory)
                    }
                }
            }
            for change in changeSet.changes where change.opaque {
                opaque.insert(change.path)
                removedAt[change.path] = max(removedAt[change.path] ?? step, step)
            }
        }

        // Decide each path's fate, in tree order (never in a dictionary's order: the bytes must not
        // depend on it): objects and opaque markers first, then whiteouts, which they may make redundant.
        let tree = Tree()
        var whiteouts: [RelativePath] = []
        for path in last.keys.filter({ !$0.isRoot }).sorted(by: RelativePath.treeOrder) {
            guard let final = last[path] else { continue }
            let overtaken = path.ancestors.contains { ancestor in (removedAt[ancestor] ?? -1) > final.step }
            let before = firstBefore[path] ?? nil
            if final.exists && !overtaken {
                tree.add(path, .object(path, expected: final.after))
                // A directory that some step removed, replaced or emptied by a rename and that exists at
                // the end: nothing of the lower one survives but what the layer holds.
                let isDirectory = final.after.map { $0.type == .directory } ?? (before == .directory)
                if before == .directory, isDirectory, opaque.contains(path) || removedAt[path] != nil {
                    tree.markOpaque(path)
                }
            } else if before != nil {
                whiteouts.append(path)
            }
        }
        for path in whiteouts { tree.addWhiteout(path) }
        items = tree.ordered()
    }

    /// The directory tree of the plan, built so it can be walked in the fixed order.
    private struct Tree {
        final class Node {
            var item: Item?
            var opaque = false
            var children: [[UInt8]: Node] = [:]
            var whiteouts: Set<[UInt8]> = []

            /// An object known to be something other than a directory: nothing can lie below it.
            var isNonDirectory: Bool {
                if case .object(_, let expected?) = item { return expected.type != .directory }
                return false
            }
        }

        let root = Node()

        func node(for path: RelativePath) -> Node {
            var current = root
            var walked = RelativePath.root
            for component in path.bytes.split(separator: 0x2F) {
                let name = Array(component)
                // Invariant: `name` is a component of a valid path.
                walked = walked.appending(name) ?? walked
                if let next = current.children[name] {
                    current = next
                } else {
                    let next = Node()
                    // A parent directory without an entry of its own is read from ROOT like any other.
                    next.item = .object(walked, expected: nil)
                    current.children[name] = next
                    current = next
                }
            }
            return current
        }

        func add(_ path: RelativePath, _ item: Item) {
            node(for: path).item = item
        }

        func markOpaque(_ path: RelativePath) {
            node(for: path).opaque = true
        }

        /// A whiteout, unless something above it already hides the lower path: a whiteout, an opaque
        /// directory, or a file or symlink that replaced a directory.
        func addWhiteout(_ path: RelativePath) {
            guard let parent = path.parent else { return }
            var current = root
            for component in parent.bytes.split(separator: 0x2F) {
                if current.whiteouts.contains(Array(component)) { return }
                guard let next = current.children[Array(component)] else { break }
                if next.opaque || next.isNonDirectory { return }
                current = next
            }
            let holder = parent.isRoot ? root : node(for: parent)
            holder.whiteouts.insert(path.name)
            // A whiteout hides everything below it: drop what was planned there.
            holder.children[path.name] = nil
        }

        func ordered() -> [Item] {
            var result: [Item] = []
            func visit(_ node: Node, path: RelativePath) {
                if let item = node.item { result.append(item) }
                if node.isNonDirectory { return }
                if node.opaque { result.append(.opaqueMarker(path)) }
                for name in node.whiteouts.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                    if let child = path.appending(name) { result.append(.whiteout(child)) }
                }
                for name in node.children.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                    guard let child = node.children[name], let childPath = path.appending(name) else { continue }
                    // A later decision may have whited this name out; the whiteout wins.
                    if node.whiteouts.contains(name) { continue }
                    visit(child, path: childPath)
                }
            }
            visit(root, path: .root)
            return result
        }
    }
}
