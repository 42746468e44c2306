import ChangerecSystem

/// Picks the watcher: `auto` takes fanotify where it works and falls back to inotify with the reason.
enum BackendChooser {
    struct Choice {
        var backend: WatchBackend
        /// Why this backend, for the journal header.
        var reason: String
        /// Set when `auto` fell back: one line for the person at the terminal.
        var fallback: String?
    }

    static func choose(_ request: BackendChoice, for tree: WatchedTree) throws(ChangerecError) -> Choice {
        switch request {
        case .inotify:
            return Choice(
                backend: try InotifyBackend(tree: tree),
                reason: "chosen with --backend inotify")
        case .fanotify:
            do {
                let backend = try FanotifyBackend(tree: tree)
                return Choice(
                    backend: backend,
                    reason:
                        "chosen with --backend fanotify; marked \(backend.markedFilesystems.joined(separator: ", "))")
            } catch  where error.code == .backendUnavailable {
                let advice =
                    error.errno == .notPermitted ? "run as root or pass --backend inotify" : "pass --backend inotify"
                throw ChangerecError(
                    .backendUnavailable,
                    "cannot watch '\(printable(tree.path))' with fanotify: \(error.message) (\(advice))",
                    errno: error.errno)

            }
        case .auto:
            do {
                let backend = try FanotifyBackend(tree: tree)
                return Choice(
                    backend: backend,
                    reason: "chosen by auto; marked \(backend.markedFilesystems.joined(separator: ", "))")
            } catch  where error.code == .backendUnavailable {
                let reason = "fanotify is not available: \(error.message); using inotify"
                return Choice(
                    backend: try InotifyBackend(tree: tree),
                    reason: "chosen by auto: \(reason)", fallback: reason)
            }
        }
    }
}
