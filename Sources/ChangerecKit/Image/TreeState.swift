/// The state of every path of a root file system as the image applier left it: for each path, the
/// ``FinalState`` a seal would record for it (its `lstat` fields, symbolic link target, content SHA-256
/// and xattrs digest). ROOT itself is held under ``RelativePath/root``.
///
/// A build knows from it, without reading the tree again, what each path held before a step, so paths a
/// step only touched can be left out of its layer.
public struct TreeState: Sendable {
    private var states: [RelativePath: FinalState] = [:]
    /// The names held below each directory path, so that a subtree is removed without a pass over every
    /// path.
    private var children: [RelativePath: Set<[UInt8]>] = [:]

    public init() {}

    /// The state of `path`; `nil` when the tree does not hold it.
    public subscript(path: RelativePath) -> FinalState? { states[path] }

    /// How many paths the tree holds (ROOT included once it is recorded).
    public var count: Int { states.count }

    /// Every path held, in no particular order.
    public var paths: Dictionary<RelativePath, FinalState>.Keys { states.keys }

    /// Records `state` for `path`, or removes `path` alone when `state` is `nil` (what was below it stays
    /// recorded: use ``removeSubtree(_:)`` for all of it).
    public mutating func set(_ path: RelativePath, _ state: FinalState?) {
        guard let state else {
            if states.removeValue(forKey: path) != nil, let parent = path.parent {
                children[parent]?.remove(path.name)
            }
            return
        }
        if states.updateValue(state, forKey: path) == nil, let parent = path.parent {
            children[parent, default: []].insert(path.name)
        }
    }

    /// Removes `path` and every path below it.
    public mutating func removeSubtree(_ path: RelativePath) {
        var stack = [path]
        while let current = stack.popLast() {
            if let names = children.removeValue(forKey: current) {
                for name in names {
                    if let child = current.appending(name) { stack.append(child) }
                }
            }
            states.removeValue(forKey: current)
        }
        if let parent = path.parent { children[parent]?.remove(path.name) }
    }
}
