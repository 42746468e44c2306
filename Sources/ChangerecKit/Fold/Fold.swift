import ChangerecSystem

/// Journal records in, change set out: a pure reducer.
///
/// Events decide *where to look*, the seal decides *what is there*: a path is added when the baseline
/// did not have it and the seal does, deleted when the baseline had it and the seal does not, changed
/// when both have it and events touched it. A path created and removed within the step vanishes.
/// The kernel may merge and reorder queued events, so the fold never relies on their exact sequence
/// beyond "this name was removed at some point" and "this directory arrived whole".
public struct Fold {
    struct Facts {
        var created = false
        var removed = false
        var lastWasRemoval = false
        var touched = false
        var arrivedWhole = false
        var isDirectory = false
        var renamedFrom: RelativePath?
        var pids: Set<Int32> = []
        var byStep = false
        var byForeign = false

        /// Only processes outside the step touched this path.
        var isForeign: Bool { byForeign && !byStep }
    }

    public private(set) var header: JournalHeader?
    public private(set) var exit: JournalExit?
    public private(set) var notes: [JournalNote] = []
    public private(set) var eventCount: UInt64 = 0
    /// Every process that made a change, by pid.
    public private(set) var processes: [Int32: JournalProcess] = [:]
    private var facts: [RelativePath: Facts] = [:]
    private var seal: [SealEntry] = []
    private var sealed = false

    public init() {}

    public mutating func add(_ record: JournalRecord) {
        switch record {
        case .header(let header): self.header = header
        case .event(let event): add(event)
        case .note(let note): notes.append(note)
        case .exit(let exit): self.exit = exit
        case .seal(let entry): seal.append(entry)
        case .sealEnd: sealed = true
        case .process(let process): processes[process.pid] = process
        }
    }

    private mutating func add(_ event: JournalEvent) {
        eventCount += 1
        // Who changed each path the event names; each path's facts are then updated in the same lookup
        // as what the operation says of it (the two touch different facts).
        func attribute(_ facts: inout Facts) {
            if event.pid != 0 { facts.pids.insert(event.pid) }
            if event.isForeign { facts.byForeign = true } else { facts.byStep = true }
        }
        if event.operation != .rename, let second = event.path2 { update(second, attribute) }

        switch event.operation {
        case .create:
            update(event.path) {
                attribute(&$0)
                $0.created = true
                $0.lastWasRemoval = false
                $0.isDirectory = event.isDirectory
            }
        case .moveIn:
            update(event.path) {
                attribute(&$0)
                $0.created = true
                $0.lastWasRemoval = false
                $0.isDirectory = event.isDirectory
                $0.arrivedWhole = $0.arrivedWhole || event.isDirectory
                $0.renamedFrom = nil
            }
        case .delete, .moveOut:
            update(event.path) {
                attribute(&$0)
                $0.removed = true
                $0.lastWasRemoval = true
            }
        case .rename:
            guard let target = event.path2 else {
                update(event.path, attribute)
                return
            }
            let origin = facts[event.path]?.renamedFrom ?? event.path
            update(event.path) {
                attribute(&$0)
                $0.removed = true
                $0.lastWasRemoval = true
            }
            update(target) {
                attribute(&$0)
                $0.created = true
                $0.removed = true  // whatever the target replaced is gone
                $0.lastWasRemoval = false
                $0.isDirectory = event.isDirectory
                $0.arrivedWhole = $0.arrivedWhole || event.isDirectory
                $0.renamedFrom = origin
            }
        case .modify, .attrib, .touch:
            update(event.path) {
                attribute(&$0)
                $0.touched = true
            }
        }
    }

    private mutating func update(_ path: RelativePath, _ change: (inout Facts) -> Void) {
        change(&facts[path, default: Facts()])
    }

    /// The change set, from the seal when the journal has one, else from the events alone.
    public func changes() -> [Change] {
        Self.hidingCovered(allChanges())
    }

    /// Every change, including those an ancestor entry covers (inside a deleted directory or a directory
    /// that arrived whole): what `diff` compares.
    public func allChanges() -> [Change] {
        sealed ? fromSeal() : fromEvents()
    }

    /// Whether the change set was decided by a seal.
    public var hasSeal: Bool { sealed }

    /// Every seal entry, in journal (tree) order: what layers are built and checked from.
    public var sealEntries: [SealEntry] { sealed ? seal : [] }

    private func fromSeal() -> [Change] {
        var byPath: [RelativePath: Change] = [:]
        byPath.reserveCapacity(seal.count)
        var structural: [RelativePath] = []
        // Positions, not copies: the seal can hold hundreds of thousands of entries.
        var sealIndex: [RelativePath: Int] = [:]
        sealIndex.reserveCapacity(seal.count)
        for (index, entry) in seal.enumerated() { sealIndex[entry.path] = index }
        func existedBefore(_ path: RelativePath) -> Bool { sealIndex[path].map { seal[$0].before != nil } ?? false }
        for entry in seal {
            let fact = facts[entry.path]
            var change: Change
            switch (entry.before, entry.after) {
            case (let before, nil) where entry.unreadable != nil:
                // Not known to be gone, nor known to be unchanged: listed, with why it could not be read.
                let type = entry.unreadable?.type ?? before ?? .unknown
                change = Change(before == nil ? .added : .changed, entry.path, type: type)
                change.unreadable = entry.unreadable
            case (nil, nil):
                continue
            case (nil, .some(let after)):
                change = Change(.added, entry.path, type: after.type)
                change.subtree = after.type == .directory && (fact?.arrivedWhole ?? false)
            case (.some(let before), nil):
                change = Change(.deleted, entry.path, type: before)
            case (.some(let before), .some(let after)):
                guard let fact, fact.touched || fact.removed || fact.created || before != after.type else { continue }
                change = Change(.changed, entry.path, type: after.type)
                let replaced = fact.removed || fact.arrivedWhole
                change.opaque = before == .directory && after.type == .directory && replaced
                change.subtree = after.type == .directory && fact.arrivedWhole
            }
            if let origin = fact?.renamedFrom, origin != entry.path, change.kind != .deleted,
                existedBefore(origin)
            {
                change.renamedFrom = origin
            }
            change.before = entry.before
            change.after = entry.after
            change.symlinkTarget = entry.after?.symlinkTarget
            change.pids = fact?.pids.sorted() ?? []
            change.foreign = fact?.isForeign ?? false
            byPath[entry.path] = change
            if change.kind != .changed || (fact?.created ?? false) || (fact?.removed ?? false) {
                structural.append(entry.path)
            }
        }
        // A directory whose entries were added or removed has changed too (its mtime moved), as in docker
        // diff; that includes entries created and removed within the step, which leave no change of their own.
        for (path, fact) in facts where fact.created || fact.removed { structural.append(path) }
        // The parent changed because of its entries: it is foreign only when all of them are.
        var causes: [RelativePath: (pids: Set<Int32>, foreign: Bool)] = [:]
        for path in structural {
            guard let parent = path.parent, !parent.isRoot, byPath[parent] == nil else { continue }
            let fact = facts[path]
            var cause = causes[parent] ?? ([], true)
            cause.pids.formUnion(fact?.pids ?? [])
            cause.foreign = cause.foreign && (fact?.isForeign ?? false)
            causes[parent] = cause
        }
        for (parent, cause) in causes {
            guard let index = sealIndex[parent], case let entry = seal[index], entry.before == .directory,
                let after = entry.after,
                after.type == .directory
            else { continue }
            var parentChange = Change(.changed, parent, type: .directory)
            parentChange.before = entry.before
            parentChange.after = after
            parentChange.pids = cause.pids.sorted()
            parentChange.foreign = cause.foreign
            byPath[parent] = parentChange
        }
        // Every path here is a seal entry's, and the seal is written in tree order: taken in its order, the
        // changes need sorting only when a journal's seal is not (the check is one pass).
        var ordered: [Change] = []
        ordered.reserveCapacity(byPath.count)
        for entry in seal {
            if let change = byPath.removeValue(forKey: entry.path) { ordered.append(change) }
        }
        ordered.append(contentsOf: byPath.values)
        let inOrder = zip(ordered, ordered.dropFirst()).allSatisfy { RelativePath.treeOrder($0.path, $1.path) }
        return inOrder ? ordered : ordered.sorted { RelativePath.treeOrder($0.path, $1.path) }
    }

    private func fromEvents() -> [Change] {
        var result: [Change] = []
        for (path, fact) in facts {
            let type: FileType = fact.isDirectory ? .directory : .unknown
            var change: Change
            if fact.lastWasRemoval {
                change = Change(.deleted, path, type: type)
            } else if fact.created {
                change = Change(.added, path, type: type)
                change.subtree = fact.arrivedWhole
            } else if fact.touched {
                change = Change(.changed, path, type: type)
            } else {
                continue
            }
            change.pids = fact.pids.sorted()
            change.foreign = fact.isForeign
            result.append(change)

        }
        return result.sorted { RelativePath.treeOrder($0.path, $1.path) }
    }

    /// Leaves out what an ancestor entry already says: anything below a deleted directory, and the
    /// contents of a directory that arrived whole.
    static func hidingCovered(_ changes: [Change]) -> [Change] {
        var covering: Set<RelativePath> = []
        var result: [Change] = []
        for change in changes {
            if change.path.ancestors.contains(where: covering.contains) { continue }
            if change.kind == .deleted || change.subtree { covering.insert(change.path) }
            result.append(change)
        }
        return result
    }
}
