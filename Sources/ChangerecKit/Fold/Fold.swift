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
        var pids = PidSet()
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
    /// Where each path's facts are in `factList`: the table holds small integers, the facts lie in one array.
    private var factIndex: [RelativePath: Int] = [:]
    private var factList: [Facts] = []
    /// The path of each entry of `factList`.
    private var factPaths: [RelativePath] = []
    private var seal: [SealEntry] = []
    /// For each seal entry, the index in `factList` of its path's facts, -1 when no event named it: looked
    /// up as the entry is added, when its path is given the bytes of the events' path, held once.
    private var sealFacts: [Int32] = []
    /// An event came after a seal entry (only when records are fed by hand): `sealFacts` may be stale.
    private var eventAfterSeal = false
    private var sealed = false

    public init() {}

    public mutating func add(_ record: JournalRecord) {
        switch record {
        case .header(let header): self.header = header
        case .event(let event): add(event)
        case .note(let note): notes.append(note)
        case .exit(let exit): self.exit = exit
        case .seal(var entry):
            if let index = factIndex[entry.path] {
                entry.path = factPaths[index]
                sealFacts.append(Int32(index))
            } else {
                sealFacts.append(-1)
            }
            seal.append(entry)
        case .sealEnd: sealed = true
        case .process(let process): processes[process.pid] = process
        }
    }

    private mutating func add(_ event: JournalEvent) {
        eventCount += 1
        if !seal.isEmpty { eventAfterSeal = true }
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
            let origin = factIndex[event.path].flatMap { factList[$0].renamedFrom } ?? event.path
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
        // One hash of the path whether it is new or not: the slot is made in place when absent.
        func slot(_ value: inout Int, next: Int) -> Int {
            if value < 0 { value = next }
            return value
        }
        let index = slot(&factIndex[path, default: -1], next: factList.count)
        if index == factList.count {
            factList.append(Facts())
            factPaths.append(path)
        }
        change(&factList[index])
    }

    private func facts(for path: RelativePath) -> (index: Int, facts: Facts)? {
        guard let index = factIndex[path] else { return nil }
        return (index, factList[index])
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

    /// ``allChanges()`` for a fold that takes no more records: the table from path to facts, which the
    /// seal's entries no longer need (they looked their facts up as they were added), is freed first, so a
    /// large change set is built without it held beside.
    mutating func finishedChanges() -> [Change] {
        if !eventAfterSeal { factIndex = [:] }
        return allChanges()
    }

    /// Whether the change set was decided by a seal.
    public var hasSeal: Bool { sealed }

    /// Every seal entry, in journal (tree) order: what layers are built and checked from.
    public var sealEntries: [SealEntry] { sealed ? seal : [] }

    private func fromSeal() -> [Change] {
        // The reader admits seal entries only in strict tree order; a path's entry is then found by a binary
        // search, with no table of the seal's paths. A seal that came from elsewhere gets the table.
        let inTreeOrder = seal.indices.dropFirst().allSatisfy {
            RelativePath.treeOrder(seal[$0 - 1].path, seal[$0].path)
        }
        var table: [RelativePath: Int] = [:]
        if !inTreeOrder {
            table.reserveCapacity(seal.count)
            for index in seal.indices { table[seal[index].path] = index }
        }
        func position(of path: RelativePath) -> Int? {
            if !inTreeOrder { return table[path] }
            var low = 0
            var high = seal.count
            while low < high {
                let middle = (low + high) / 2
                if RelativePath.treeOrder(seal[middle].path, path) { low = middle + 1 } else { high = middle }
            }
            return low < seal.count && seal[low].path == path ? low : nil
        }
        func existedBefore(_ path: RelativePath) -> Bool { position(of: path).map { seal[$0].before != nil } ?? false }

        var ordered: [Change] = []
        ordered.reserveCapacity(seal.count)
        var hasChange = [Bool](repeating: false, count: seal.count)
        // Facts already counted as a cause of their parent's change.
        var counted = [Bool](repeating: false, count: factList.count)
        var causes = ParentCauses()
        // Changes by the same single process share one array of pids rather than holding one each.
        var shared: (pid: Int32, array: [Int32]) = (0, [])
        func pidArray(_ pids: PidSet?) -> [Int32] {
            guard let pids else { return [] }
            guard let only = pids.only else { return pids.sorted() }
            if shared.pid != only { shared = (only, [only]) }
            return shared.array
        }
        for index in seal.indices {
            let entry = seal[index]
            // A path named twice (only in a seal not from the reader): its last entry stands.
            if !inTreeOrder && table[entry.path] != index { continue }
            let found: (index: Int, facts: Facts)?
            if eventAfterSeal {
                found = facts(for: entry.path)
            } else {
                let factIndex = Int(sealFacts[index])
                found = factIndex < 0 ? nil : (factIndex, factList[factIndex])
            }
            let fact = found?.facts
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
            change.pids = pidArray(fact?.pids)
            change.foreign = fact?.isForeign ?? false
            hasChange[index] = true
            if change.kind != .changed || (fact?.created ?? false) || (fact?.removed ?? false) {
                causes.add(entry.path, fact)
                if let found { counted[found.index] = true }
            }
            ordered.append(change)
        }
        // A directory whose entries were added or removed has changed too (its mtime moved), as in docker
        // diff; that includes entries created and removed within the step, which leave no change of their own.
        for index in factList.indices where !counted[index] {
            let fact = factList[index]
            if fact.created || fact.removed { causes.add(factPaths[index], fact) }
        }
        // The parent changed because of its entries: it is foreign only when all of them are.
        var parents: [Change] = []
        for (parent, cause) in causes.finished() {
            guard let index = position(of: parent), !hasChange[index], case let entry = seal[index],
                entry.before == .directory, let after = entry.after, after.type == .directory
            else { continue }
            var parentChange = Change(.changed, parent, type: .directory)
            parentChange.before = entry.before
            parentChange.after = after
            parentChange.pids = cause.pids.sorted()
            parentChange.foreign = cause.foreign
            parents.append(parentChange)
        }
        guard inTreeOrder else {
            ordered.append(contentsOf: parents)
            return ordered.sorted { RelativePath.treeOrder($0.path, $1.path) }
        }
        // Both lists are in tree order: merged from the back in place, with no second array of every change.
        parents.sort { RelativePath.treeOrder($0.path, $1.path) }
        var read = ordered.count - 1
        ordered.append(contentsOf: parents)
        var write = ordered.count - 1
        var next = parents.count - 1
        while next >= 0 {
            if read >= 0 && RelativePath.treeOrder(parents[next].path, ordered[read].path) {
                ordered.swapAt(write, read)
                read -= 1
            } else {
                ordered[write] = parents[next]
                next -= 1
            }
            write -= 1
        }
        return ordered
    }

    private func fromEvents() -> [Change] {
        var result: [Change] = []
        for (path, fact) in zip(factPaths, factList) {
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
    /// contents of a directory that arrived whole. `changes` is in tree order, where everything below a
    /// directory comes directly after it: one covering entry at a time is enough, and when nothing is
    /// covered the result is `changes` itself, sharing its storage.
    static func hidingCovered(_ changes: [Change]) -> [Change] {
        var covering: RelativePath?
        var result: [Change]?
        for index in changes.indices {
            let path = changes[index].path
            if let cover = covering, path.isWithin(cover) {
                if result == nil { result = Array(changes[..<index]) }
                continue
            }
            covering = changes[index].kind == .deleted || changes[index].subtree ? path : nil
            result?.append(changes[index])
        }
        return result ?? changes
    }
}
