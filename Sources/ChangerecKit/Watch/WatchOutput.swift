import ChangerecSystem

/// What a backend hands the recorder: kernel changes and the facts it must not keep silent.
public enum WatchOutput: Sendable, Equatable {
    case event(JournalEvent)
    case note(JournalNote)
    /// The process `pid` executed a program named `name`: how processes that exit before they can be
    /// looked up in /proc still get a name.
    case processName(pid: Int32, name: String)
    /// A name the baseline cannot vouch for (made, moved in or moved below a renamed directory during the
    /// step) reached this inode, which is not a directory: any name it had before the step may have
    /// changed with it, unreported. The seal looks its old names up in the baseline.
    case inode(FileIdentity)
    /// A name was made during the step but was gone, or replaced, before its inode could be learnt: it may
    /// have been a hard link through which an inode of the baseline was changed. The seal then looks for
    /// every name of the baseline whose inode changed during the step (its `st_ctime`). The path is `nil`
    /// when only a file handle was known.
    case unidentifiedName(RelativePath?)
}
