import ChangerecSystem

/// Compares two change sets by path: what changed in only one of them, and how the outcome of paths
/// changed in both differs — existence, type, symlink target, content, size, mode, owner, xattrs,
/// mtime, rename origin. Needs no tree: the seals say everything. Symmetric up to swapping old and new.
public enum ChangeSetDiff {
    public struct Options: Sendable {
        public var ignoreMtime = false
        /// Only paths at or below these.
        public var only: [RelativePath] = []
        /// List every path inside a directory that arrived whole or was deleted, instead of one line.
        public var expand = false

        public init() {}
    }

    public static func compare(old: ChangeSet, new: ChangeSet, options: Options = Options()) -> [PathDifference] {
        var olds: [RelativePath: Change] = [:]
        var news: [RelativePath: Change] = [:]
        for change in old.allChanges where selected(change.path, options) { olds[change.path] = change }
        for change in new.allChanges where selected(change.path, options) { news[change.path] = change }
        var differences: [RelativePath: PathDifference] = [:]
        for path in Set(olds.keys).union(news.keys) {
            switch (olds[path], news[path]) {
            case (let a?, nil):
                differences[path] = PathDifference(path: path, status: .onlyOld, old: a, new: nil, fields: [])
            case (nil, let b?):
                differences[path] = PathDifference(path: path, status: .onlyNew, old: nil, new: b, fields: [])
            case (let a?, let b?):
                let fields = compare(a, b, options)
                if !fields.isEmpty {
                    differences[path] = PathDifference(path: path, status: .differ, old: a, new: b, fields: fields)
                }
            case (nil, nil):
                break
            }
        }
        if !options.expand { fold(&differences, olds: olds, news: news) }
        return differences.values.sorted { RelativePath.treeOrder($0.path, $1.path) }
    }

    private static func selected(_ path: RelativePath, _ options: Options) -> Bool {
        options.only.isEmpty || options.only.contains { path.isWithin($0) }
    }

    /// Folds differences below a directory that arrived whole, or was deleted, into that directory's line.
    private static func fold(
        _ differences: inout [RelativePath: PathDifference], olds: [RelativePath: Change], news: [RelativePath: Change]
    ) {
        func folds(_ path: RelativePath) -> Bool {
            [olds[path], news[path]].contains { change in
                guard let change else { return false }
                return change.subtree || (change.kind == .deleted && change.type == .directory)
            }
        }
        for path in Array(differences.keys) {
            guard let top = path.ancestors.reversed().first(where: { !$0.isRoot && folds($0) }) else { continue }
            differences[path] = nil
            if differences[top] == nil {
                differences[top] = PathDifference(
                    path: top, status: .differ, old: olds[top], new: news[top], fields: [])
            }
            differences[top]?.inside += 1
        }
    }

    private static func compare(_ a: Change, _ b: Change, _ options: Options) -> [PathDifference.Field] {
        var fields: [PathDifference.Field] = []
        func add(_ name: String, _ x: String, _ y: String) {
            if x != y { fields.append(PathDifference.Field(name: name, old: x, new: y)) }
        }
        // The final states through the seal's one comparison; each differing field rendered as people read it.
        let differing = FinalState.differences(a.after, b.after)
        func addState(_ field: FinalState.Fields, _ name: String, _ render: (FinalState?) -> String) {
            if differing.contains(field) { add(name, render(a.after), render(b.after)) }
        }
        add("kind", a.kind.rawValue, b.kind.rawValue)
        add("existence", existence(a), existence(b))
        add("type", a.type.name, b.type.name)
        add(
            "target", a.symlinkTarget.map(RelativePath.escaped) ?? "-", b.symlinkTarget.map(RelativePath.escaped) ?? "-"
        )
        addState(.contentDigest, "content") { digest($0?.contentDigest) }
        if a.after?.type == .regular || b.after?.type == .regular {
            addState(.size, "size") { $0.map { String($0.size) } ?? "-" }
        }
        addState(.permissions, "mode") { $0.map { OctalMode.string($0.permissions) } ?? "-" }
        addState(.owner, "owner") { $0.map { "\($0.uid):\($0.gid)" } ?? "-" }
        addState(.xattrDigest, "xattrs") { digest($0?.xattrDigest, none: "none") }
        if [a.type, b.type].contains(where: { $0 == .characterDevice || $0 == .blockDevice }) {
            addState(.rdev, "rdev") { $0.map { String($0.rdev) } ?? "-" }
        }
        // A directory's mtime moves with its entries, which are compared one by one.
        if !options.ignoreMtime && a.type != .directory && b.type != .directory {
            addState(.mtime, "mtime", mtime)
        }
        add("renamed_from", a.renamedFrom?.description ?? "-", b.renamedFrom?.description ?? "-")
        // The kind says it when one side deleted the path; the per-field "absent" lines would only repeat it.
        if fields.contains(where: { $0.name == "kind" }) && (a.kind == .deleted || b.kind == .deleted) {
            fields = fields.filter { ["kind", "type"].contains($0.name) }
        }
        return fields
    }

    private static func existence(_ change: Change) -> String {
        change.unreadable != nil ? "unreadable" : change.after == nil ? "absent" : "present"
    }

    /// The whole digest in hex, so equal renderings mean equal digests; shortened for display elsewhere.
    private static func digest(_ bytes: [UInt8]?, none: String = "-") -> String {
        guard let bytes else { return none }
        return Hex.string(bytes)
    }

    private static func mtime(_ state: FinalState?) -> String {
        guard let state else { return "-" }
        return Timestamp.iso8601(nanoseconds: state.mtimeSeconds &* 1_000_000_000 &+ Int64(state.mtimeNanoseconds))
    }
}
