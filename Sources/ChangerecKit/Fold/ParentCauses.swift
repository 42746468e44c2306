/// Who changed the entries of each directory whose entries were added or removed: the fold lists such a
/// directory as changed, foreign only when every entry's change was.
///
/// Entries come mostly grouped by directory (the seal is in tree order, events come a directory at a
/// time), so the parent of the last entry is kept and compared in place: its path is built, and the table
/// hashed, once per run of siblings rather than once per entry.
struct ParentCauses {
    struct Cause {
        var pids = PidSet()
        var foreign = true
    }

    private var byParent: [RelativePath: Cause] = [:]
    private var current: RelativePath?
    private var pending = Cause()

    /// Counts `fact`, the facts of `path` (`nil` when no event named it), towards its parent's change;
    /// entries of ROOT are left out, as ROOT is never a change.
    mutating func add(_ path: RelativePath, _ fact: Fold.Facts?) {
        let bytes = path.bytes
        guard let slash = bytes.lastIndex(of: 0x2F) else { return }
        if current?.bytes.count != slash || !path.startsWith(current?.bytes ?? []) {
            flush()
            current = RelativePath(trusted: Array(bytes[..<slash]))
        }
        if let fact {
            pending.pids.formUnion(fact.pids)
            pending.foreign = pending.foreign && fact.isForeign
        } else {
            pending.foreign = false
        }
    }

    /// Every parent with its cause.
    mutating func finished() -> [RelativePath: Cause] {
        flush()
        return byParent
    }

    private mutating func flush() {
        guard let current else { return }
        if var cause = byParent[current] {
            cause.pids.formUnion(pending.pids)
            cause.foreign = cause.foreign && pending.foreign
            byParent[current] = cause
        } else {
            byParent[current] = pending
        }
        self.current = nil
        pending = Cause()
    }
}
