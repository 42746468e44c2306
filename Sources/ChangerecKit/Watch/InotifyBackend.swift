import ChangerecSystem
import SystemPackage

/// The unprivileged backend: one inotify watch per directory under ROOT.
///
/// inotify reports names relative to a watched directory, so the backend keeps a map from watch to
/// directory path, updated in event order when directories are renamed: an event is recorded under the
/// path its directory had when the event was read. Its blind spots, handled here:
/// - A new directory is watched only once its create event is read; whatever was made inside it before
///   that is found by a scan right after the watch is added (so `mkdir -p a/b/c && touch a/b/c/f` is
///   never missed). A file may then be reported twice, which is harmless.
/// - A rename is two records, `IN_MOVED_FROM` and `IN_MOVED_TO`, paired by cookie. A half without its
///   partner is a move out of ROOT (a delete) or into ROOT (a create of the whole moved-in subtree).
/// - `IN_Q_OVERFLOW` means events were dropped: the backend rescans ROOT against the baseline.
/// - `link(2)` is reported only as `IN_CREATE` of the new name: the `IN_ATTRIB` for the inode's link count
///   goes to watches on the inode itself, never to its parent's. A write through the new name and its
///   removal then name no other name of the inode. So a name made (or moved in, or reached below a renamed
///   directory) is looked at with `lstat` when its event is read, and an inode with more than one link is
///   handed on, for the seal to find its names in the baseline. When the name is already gone or replaced
///   by then (its removal is later in the same batch, or `lstat` finds nothing), its inode cannot be known:
///   the backend says so, and the seal checks the `st_ctime` of every name of the baseline rather than
///   risk missing a file changed through a vanished link.
public final class InotifyBackend: WatchBackend {
    public let name = "inotify"
    public let reportsProcesses = false

    public var descriptor: FileDescriptor { inotify.descriptor }
    public private(set) var kernelEventCount: UInt64 = 0
    public private(set) var overflowed = false
    /// Bytes of records read so far: what ``queuedAmount()`` counts for inotify.
    public private(set) var amountRead = 0

    private let tree: WatchedTree
    private let walker: TreeWalker
    private let inotify: Inotify
    private var pathOfWatch: [Int32: RelativePath] = [:]
    private var watchOfPath: [RelativePath: Int32] = [:]
    private var baseline = Baseline()
    /// An `IN_MOVED_FROM` waiting for its `IN_MOVED_TO`; the kernel queues the pair back to back.
    private var pendingMove: (cookie: UInt32, path: RelativePath, isDirectory: Bool)?
    /// New directories that could not be watched (watch limit): walked again when the step ends.
    private var unwatched: Set<RelativePath> = []
    /// Names whose inode was looked at since they were made, moved or reached: each is looked at once.
    private var identifiedNames: Set<RelativePath> = []
    /// Directories renamed or moved in during the step: below them the baseline no longer says which inode
    /// a name holds.
    private var arrivedDirectories: Set<RelativePath> = []

    // No IN_DONT_FOLLOW: the watch is added through the /proc/self/fd magic link of an open directory,
    // which must be followed to reach that directory; the descriptor already pins the inode.
    static let watchMask: UInt32 =
        Inotify.Mask.modify | Inotify.Mask.attrib | Inotify.Mask.closeWrite | Inotify.Mask.movedFrom
        | Inotify.Mask.movedTo | Inotify.Mask.create | Inotify.Mask.delete | Inotify.Mask.deleteSelf
        | Inotify.Mask.moveSelf | Inotify.Mask.onlyDirectory
        | Inotify.Mask.excludeUnlinked

    /// - Parameter tree: ROOT, whose descriptor the caller keeps open while the backend lives.
    public init(tree: WatchedTree) throws(ChangerecError) {
        self.tree = tree
        walker = TreeWalker(tree: tree)
        do {
            inotify = try Inotify()
        } catch .tooManyOpenFiles {
            throw ChangerecError(
                .watchLimit,
                "cannot start inotify: fs.inotify.max_user_instances (\(Self.limit("max_user_instances"))) is reached; raise it with sysctl",
                errno: .tooManyOpenFiles)
        } catch {
            throw ChangerecError.system("start inotify", error)
        }
    }

    public func arm() throws(ChangerecError) -> (Baseline, [WatchOutput]) {
        var outputs: [WatchOutput] = []
        try walk(from: .root, mode: .baseline, into: &outputs)
        return (baseline, outputs)
    }

    public func queuedAmount() throws(ChangerecError) -> Int {
        do {
            return try inotify.queuedBytes()
        } catch {
            throw ChangerecError.system("count the queued inotify events", error)
        }
    }

    public func readBatch() throws(ChangerecError) -> [WatchOutput]? {
        let records: [Inotify.Record]
        do {
            records = try inotify.readAvailable(countingInto: &amountRead)
        } catch {
            throw ChangerecError.system("read inotify events", error)
        }
        if records.isEmpty { return nil }
        var outputs: [WatchOutput] = []
        var batch = Batch(root: tree.descriptor, records: records)
        for (index, record) in records.enumerated() {
            batch.index = index
            try handle(record, batch: batch, into: &outputs)
        }
        return outputs
    }

    /// One read of the queue, for looking at names: everything in it has already happened.
    private struct Batch {
        struct Name: Hashable {
            var watch: Int32
            var name: [UInt8]

            /// The name's bytes in one call: the synthesized hash feeds them one at a time, for every
            /// record of every batch.
            func hash(into hasher: inout Hasher) {
                hasher.combine(watch)
                hasher.combine(contentsOf: name)
            }
        }
        let cursor: ParentCursor
        /// For each name, the position of its last create, delete or move in the batch.
        let lastNameChange: [Name: Int]
        var index = 0

        init(root: FileDescriptor, records: [Inotify.Record]) {
            cursor = ParentCursor(root: root)
            let changes = Inotify.Mask.create | Inotify.Mask.delete | Inotify.Mask.movedFrom | Inotify.Mask.movedTo
            var last: [Name: Int] = [:]
            for (index, record) in records.enumerated() where record.mask & changes != 0 && !record.name.isEmpty {
                last[Name(watch: record.watch, name: record.name)] = index
            }
            lastNameChange = last
        }

        /// Whether the name `record` speaks of was removed or replaced later in this batch.
        func isReplacedLater(_ record: Inotify.Record) -> Bool {
            (lastNameChange[Name(watch: record.watch, name: record.name)] ?? -1) > index
        }
    }

    public func finish() throws(ChangerecError) -> [WatchOutput] {
        // The command has ended, so every event it caused is already queued: read them.
        var outputs = try readQueued()
        settlePendingMove(into: &outputs)
        for path in unwatched.sorted(by: RelativePath.treeOrder) {
            try walk(from: path, mode: .synthesizeCreates, into: &outputs)
        }
        unwatched.removeAll()
        return outputs
    }

    // MARK: - Records

    private func handle(_ record: Inotify.Record, batch: Batch, into outputs: inout [WatchOutput])
        throws(ChangerecError)
    {
        kernelEventCount += 1
        let mask = record.mask
        if mask & Inotify.Mask.queueOverflow != 0 {
            try recoverFromOverflow(into: &outputs)
            return
        }
        if mask & Inotify.Mask.ignored != 0 {
            if let path = pathOfWatch.removeValue(forKey: record.watch), watchOfPath[path] == record.watch {
                watchOfPath[path] = nil
            }
            return
        }
        // Settle a move first: if its directory left ROOT, its watch must be gone before this record's
        // directory is looked up, or a change made outside ROOT would be recorded under a ROOT path.
        let completesMove = mask & Inotify.Mask.movedTo != 0 && pendingMove?.cookie == record.cookie
        if !completesMove { settlePendingMove(into: &outputs) }
        // A watch dropped when its directory left ROOT may still deliver what was queued: ignore it.
        guard let directory = pathOfWatch[record.watch] else { return }

        if record.name.isEmpty {
            // Events on a watched directory itself: its parent's watch reports them by name, except
            // for ROOT, which has no watched parent.
            if directory.isRoot { handleRootItself(mask, into: &outputs) }
            return
        }
        guard let path = directory.appending(record.name) else { return }

        if tree.excludes(path) {
            // Moving something into changerec's own directory takes it out of the recorded tree.
            if completesMove { settlePendingMove(into: &outputs) }
            return
        }
        try handle(mask, cookie: record.cookie, at: path, completesMove: completesMove, into: &outputs)
        if mask & Inotify.Mask.isDirectory == 0 { identify(path, record, batch: batch, into: &outputs) }
    }

    private func handleRootItself(_ mask: UInt32, into outputs: inout [WatchOutput]) {
        if mask & (Inotify.Mask.deleteSelf | Inotify.Mask.moveSelf) != 0 {
            outputs.append(.note(JournalNote(.rootMovedOrDeleted, "ROOT itself was moved or deleted during the step")))
        } else if mask & Inotify.Mask.attrib != 0 {
            outputs.append(.event(JournalEvent(.attrib, .root, isDirectory: true)))
        }
    }

    /// What a record says of the name `path`.
    private func handle(
        _ mask: UInt32, cookie: UInt32, at path: RelativePath, completesMove: Bool, into outputs: inout [WatchOutput]
    ) throws(ChangerecError) {
        let isDirectory = mask & Inotify.Mask.isDirectory != 0
        if mask & Inotify.Mask.create != 0 {
            outputs.append(.event(JournalEvent(.create, path, isDirectory: isDirectory)))
            // A directory the scan of its parent already reached is watched and listed: walking it
            // again would only repeat that, once per level of a `mkdir -p`.
            if isDirectory && watchOfPath[path] == nil && !unwatched.contains(path) {
                try walk(from: path, mode: .synthesizeCreates, into: &outputs)
            }
        }
        if mask & Inotify.Mask.delete != 0 {
            outputs.append(.event(JournalEvent(.delete, path, isDirectory: isDirectory)))
            unwatched = unwatched.filter { !$0.isWithin(path) }
            // The kernel drops the watch (IN_IGNORED) only once nothing holds the directory any more (a
            // process's working directory keeps it): forget its path now, so a directory made at the
            // same name is watched and scanned.
            if isDirectory { forgetWatches(below: path) }
        }
        if mask & (Inotify.Mask.modify | Inotify.Mask.closeWrite) != 0 {
            outputs.append(.event(JournalEvent(.modify, path, isDirectory: isDirectory)))
        }
        if mask & Inotify.Mask.attrib != 0 {
            outputs.append(.event(JournalEvent(.attrib, path, isDirectory: isDirectory)))
        }
        if mask & Inotify.Mask.movedFrom != 0 {
            pendingMove = (cookie, path, isDirectory)
        }
        if mask & Inotify.Mask.movedTo != 0 {
            try moved(to: path, isDirectory: isDirectory, completesMove: completesMove, into: &outputs)
        }
    }

    /// `IN_MOVED_TO`: the second half of a rename within ROOT, or a move into ROOT.
    private func moved(
        to path: RelativePath, isDirectory: Bool, completesMove: Bool, into outputs: inout [WatchOutput]
    ) throws(ChangerecError) {
        if completesMove, let source = pendingMove {
            pendingMove = nil
            outputs.append(.event(JournalEvent(.rename, source.path, to: path, isDirectory: isDirectory)))
            if isDirectory { rebaseWatches(from: source.path, to: path) }
        } else {
            outputs.append(.event(JournalEvent(.moveIn, path, isDirectory: isDirectory)))
            if isDirectory { try walk(from: path, mode: .prepareOnly, into: &outputs) }
        }
        // A directory created and renamed before its create event was read has no watch yet.
        if isDirectory && watchOfPath[path] == nil {
            try walk(from: path, mode: .synthesizeCreates, into: &outputs)
        }
        if isDirectory { arrivedDirectories.insert(path) }
    }

    /// Looks at the inode of a name the baseline cannot vouch for, once per name (again when it is made
    /// anew), and hands it on when it has other links. See the type's notes on `link(2)`.
    private func identify(
        _ path: RelativePath, _ record: Inotify.Record, batch: Batch, into outputs: inout [WatchOutput]
    ) {
        let made = record.mask & (Inotify.Mask.create | Inotify.Mask.movedTo) != 0
        if made {
            identifiedNames.insert(path)
        } else {
            guard record.mask & (Inotify.Mask.modify | Inotify.Mask.closeWrite | Inotify.Mask.attrib) != 0,
                !identifiedNames.contains(path), !vouched(path)
            else { return }
            identifiedNames.insert(path)
        }
        guard !batch.isReplacedLater(record), let status = try? batch.cursor.status(of: path), status.type != .directory
        else {
            outputs.append(.unidentifiedName(path))
            return
        }
        if status.linkCount > 1 { outputs.append(.inode(FileIdentity(status))) }
    }

    /// Whether the baseline says which inode `path` holds: it existed at arming and no directory above it
    /// was renamed or moved in since.
    private func vouched(_ path: RelativePath) -> Bool {
        guard baseline.type(of: path) != nil else { return false }
        return arrivedDirectories.isEmpty || !path.ancestors.contains(where: arrivedDirectories.contains)
    }

    /// An `IN_MOVED_FROM` whose partner did not follow: the object left ROOT.
    private func settlePendingMove(into outputs: inout [WatchOutput]) {
        guard let move = pendingMove else { return }
        pendingMove = nil
        outputs.append(.event(JournalEvent(.moveOut, move.path, isDirectory: move.isDirectory)))
        if move.isDirectory {
            // Its watches would go on reporting changes made outside ROOT under stale paths.
            for (watch, path) in pathOfWatch where path.isWithin(move.path) {
                inotify.removeWatch(watch)
                pathOfWatch[watch] = nil
                watchOfPath[path] = nil
            }
        }
        unwatched = unwatched.filter { !$0.isWithin(move.path) }
    }

    private func forgetWatches(below path: RelativePath) {
        for (watch, mapped) in pathOfWatch where mapped.isWithin(path) {
            pathOfWatch[watch] = nil
            if watchOfPath[mapped] == watch { watchOfPath[mapped] = nil }
        }
    }

    private func rebaseWatches(from old: RelativePath, to new: RelativePath) {
        // Whatever was at the destination (an empty directory) has been replaced.
        for (watch, path) in pathOfWatch where path.isWithin(new) && !path.isWithin(old) {
            pathOfWatch[watch] = nil
            watchOfPath[path] = nil
        }
        for (watch, path) in pathOfWatch where path.isWithin(old) {
            let moved = path.rebased(from: old, to: new)
            watchOfPath[path] = nil
            pathOfWatch[watch] = moved
            watchOfPath[moved] = watch
        }
        unwatched = Set(unwatched.map { $0.isWithin(old) ? $0.rebased(from: old, to: new) : $0 })
    }

    private func register(_ watch: Int32, _ path: RelativePath) {
        if let previous = pathOfWatch[watch], watchOfPath[previous] == watch { watchOfPath[previous] = nil }
        pathOfWatch[watch] = path
        watchOfPath[path] = watch
    }

    // MARK: - Overflow

    private func recoverFromOverflow(into outputs: inout [WatchOutput]) throws(ChangerecError) {
        overflowed = true
        settlePendingMove(into: &outputs)
        // Watches may point at directories that moved during the gap: rebuild the map from the walk.
        let previousWatches = pathOfWatch
        pathOfWatch = [:]
        watchOfPath = [:]
        try walker.recoverFromOverflow(
            backend: name, limit: "fs.inotify.max_queued_events = \(Self.limit("max_queued_events"))",
            baseline: baseline, into: &outputs, prepare: watchDirectory)
        for (watch, _) in previousWatches where pathOfWatch[watch] == nil {
            inotify.removeWatch(watch)
        }
    }

    // MARK: - Walking

    private func walk(from start: RelativePath, mode: TreeWalker.Mode, into outputs: inout [WatchOutput])
        throws(ChangerecError)
    {
        try walker.walk(from: start, mode: mode, baseline: &baseline, into: &outputs) {
            (path, directory, outputs) throws(ChangerecError) in
            try watchDirectory(path, directory, &outputs, arming: mode == .baseline)
        }
    }

    private func watchDirectory(_ path: RelativePath, _ directory: FileDescriptor, _ outputs: inout [WatchOutput])
        throws(ChangerecError)
    {
        try watchDirectory(path, directory, &outputs, arming: false)
    }

    private func watchDirectory(
        _ path: RelativePath, _ directory: FileDescriptor, _ outputs: inout [WatchOutput], arming: Bool
    ) throws(ChangerecError) {
        do {
            register(try inotify.addWatch(onOpenDirectory: directory, mask: Self.watchMask), path)
        } catch .noSpace {
            let limit = Self.watchLimitDescription
            if arming {
                throw ChangerecError(
                    .watchLimit,
                    "cannot watch '\(printable(tree.path))\(path.isRoot ? "" : "/" + printable(path.bytes))': the inotify watch limit is exhausted (\(limit)); raise it (sysctl -w fs.inotify.max_user_watches=N) or run as root for --backend fanotify",
                    errno: .noSpace)
            }
            if !unwatched.contains(path) {
                outputs.append(
                    .note(
                        JournalNote(
                            .watchLimit, path: path,
                            "the inotify watch limit is exhausted (\(limit)): \(path) is not watched and will be walked when the step ends; raise fs.inotify.max_user_watches"
                        )))
                unwatched.insert(path)
            }
        } catch {
            outputs.append(.note(JournalNote(.unwatchedDirectory, path: path, "cannot watch \(path): \(error)")))
            if arming && path.isRoot { throw ChangerecError.system("watch", path: printable(tree.path), error) }
        }
    }

    /// The watch limits in force: the global sysctl, and the user namespace's own when it is lower.
    static var watchLimitDescription: String {
        let global = limit("max_user_watches")
        let namespace = limit("max_inotify_watches", in: "/proc/sys/user/")
        if namespace != global && namespace != "?" {
            return "fs.inotify.max_user_watches = \(global), user.max_inotify_watches = \(namespace)"
        }
        return "fs.inotify.max_user_watches = \(global)"
    }

    /// A value from `/proc/sys/fs/inotify` (or `directory`), for messages.
    static func limit(_ name: String, in directory: String = "/proc/sys/fs/inotify/") -> String {
        guard let fd = try? FileSystem.open(Array("\(directory)\(name)".utf8), .readOnly),
            let bytes = try? FileSystem.read(fd, count: 64, at: 0)
        else { return Host.hasProc ? "?" : "? (/proc is not mounted)" }
        FileSystem.close(fd)
        return String(decoding: bytes.filter { $0 != 0x0A }, as: UTF8.self)
    }
}
