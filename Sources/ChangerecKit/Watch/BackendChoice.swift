/// Which watcher to use (`--backend`): `auto` takes fanotify where it works, else inotify.
public enum BackendChoice: String, Sendable, CaseIterable {
    case auto
    case fanotify
    case inotify
}
