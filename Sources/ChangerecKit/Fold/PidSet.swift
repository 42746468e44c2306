/// The processes behind one path's events: nearly always one, which is held inline, so that the fold
/// allocates nothing per path for it; a second and further pids go to a set.
struct PidSet {
    /// The first pid inserted; 0 while empty (pid 0 is never inserted).
    private var first: Int32 = 0
    /// Pids other than `first`: an empty set allocates nothing.
    private var rest: Set<Int32> = []

    var isEmpty: Bool { first == 0 }

    /// The one pid, when there is exactly one.
    var only: Int32? { first != 0 && rest.isEmpty ? first : nil }

    /// Adds `pid`, which must not be 0.
    mutating func insert(_ pid: Int32) {
        if first == 0 {
            first = pid
        } else if pid != first {
            rest.insert(pid)
        }
    }

    mutating func formUnion(_ other: PidSet) {
        guard other.first != 0 else { return }
        insert(other.first)
        for pid in other.rest { insert(pid) }
    }

    /// The pids in ascending order.
    func sorted() -> [Int32] {
        if first == 0 { return [] }
        if rest.isEmpty { return [first] }
        return ([first] + rest).sorted()
    }
}
