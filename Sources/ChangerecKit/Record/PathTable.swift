/// The distinct paths a step touched, with just enough per path to coalesce repeats: memory grows with
/// the number of changed paths, never with the number of events (a million writes to one file are one
/// entry and one journal record).
struct PathTable {
    private enum Class: UInt8 { case unseen, content, attributes, other }

    /// The last kind of event written for each path, and the process behind it.
    private var lastClass: [RelativePath: (kind: Class, pid: Int32)] = [:]
    /// Directories that arrived whole (rename targets, moved in): their contents are sealed by a walk.
    private(set) var wholeDirectories: Set<RelativePath> = []

    var paths: Set<RelativePath> { Set(lastClass.keys) }
    var count: Int { lastClass.count }

    /// Whether `event` says something new and must be written.
    mutating func admit(_ event: JournalEvent) -> Bool {
        let eventClass: Class
        switch event.operation {
        case .modify: eventClass = .content
        case .attrib: eventClass = .attributes
        default: eventClass = .other
        }
        // Repeats by another process are kept: they say who else changed the path. The path is hashed once,
        // whether seen before or not: its entry is made or updated in place.
        func record(_ last: inout (kind: Class, pid: Int32), _ pid: Int32) -> Bool {
            if eventClass != .other, last.kind == eventClass, last.pid == pid { return false }
            last = (eventClass, pid)
            return true
        }
        guard record(&lastClass[event.path, default: (.unseen, 0)], event.pid) else { return false }
        if let second = event.path2 { lastClass[second] = (.other, event.pid) }

        switch event.operation {
        case .rename where event.isDirectory:
            if let second = event.path2 { wholeDirectories.insert(second) }
        case .moveIn where event.isDirectory:
            wholeDirectories.insert(event.path)
        default:
            break
        }
        return true
    }
}
