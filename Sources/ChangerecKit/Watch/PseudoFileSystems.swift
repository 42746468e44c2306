import ChangerecSystem

/// Kernel pseudo file systems (`/proc`, `/sys`, `/dev/pts`...) mounted below ROOT: they hold no build
/// output, cannot be marked by fanotify, and walking them would be slow and meaningless. Recording
/// ROOT = `/` (a container build's `RUN` step) would otherwise stumble on them.
enum PseudoFileSystems {
    static let types: Set<String> = [
        "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs", "tracefs",
        "mqueue", "pstore", "bpf", "configfs", "fusectl", "hugetlbfs", "autofs", "binfmt_misc", "efivarfs",
        "rpc_pipefs", "nsfs",
    ]

    static func isPseudo(_ mount: Mounts.Mount) -> Bool { types.contains(mount.fileSystemType) }

    /// The mount points of pseudo file systems at or below `root`, relative to it.
    static func mountPoints(under root: [UInt8]) -> [RelativePath] {
        Mounts.all().filter(isPseudo).compactMap { mount in
            JournalLocation.relative(mount.mountPoint, below: root)
        }
    }
}
