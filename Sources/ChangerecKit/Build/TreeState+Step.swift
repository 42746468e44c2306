extension TreeState {
    /// Brings the state forward over one recorded step, from its seal: what the step made or changed
    /// takes its sealed state; what it removed goes with everything below it. A directory that was
    /// replaced, emptied or moved in forgets what was below it before, and an entry that could not be
    /// read forgets its state: a path not held is never taken for unchanged.
    public mutating func advance(over changeSet: ChangeSet) {
        advance(over: changeSet.seal, opaque: Set(changeSet.changes.filter(\.opaque).map(\.path)))
    }

    /// The same from a seal's entries (with their content digests) and the directories the step emptied.
    mutating func advance(over seal: [SealEntry], opaque: Set<RelativePath>) {
        for entry in seal {
            let stillDirectory = entry.before == .directory && entry.after?.type == .directory
            if entry.after == nil || !stillDirectory || opaque.contains(entry.path) {
                removeSubtree(entry.path)
            }
        }
        for entry in seal {
            if let after = entry.after { set(entry.path, after) }
        }
    }
}
