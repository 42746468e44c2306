import Glibc

/// What a test needs of the machine, and the sentence that says so when it is missing.
public enum Requirement: Sendable, Hashable {
    case root
    case python
    case strace
    case zstd
    /// A shell whose syntax checker (`-n`) reads a completion script: `zsh` or `fish`.
    case shell(String)

    public var isMet: Bool {
        switch self {
        case .root: getuid() == 0
        case .python: access("/usr/bin/python3", X_OK) == 0
        case .strace: access("/usr/bin/strace", X_OK) == 0
        case .zstd: access("/usr/bin/zstd", X_OK) == 0
        case .shell(let name): access("/usr/bin/\(name)", X_OK) == 0
        }
    }

    public var missing: String {
        switch self {
        case .root: "needs root (CAP_CHOWN, CAP_SYS_ADMIN for mounts and sysctls): run the tests as root"
        case .python: "needs /usr/bin/python3 for renameat2, O_TMPFILE and mmap workloads"
        case .strace: "needs /usr/bin/strace to watch the binary's system calls (apt-get install strace)"
        case .zstd: "needs /usr/bin/zstd to decompress zstd layers independently (apt-get install zstd)"
        case .shell(let name): "needs /usr/bin/\(name) to check its completion script (apt-get install \(name))"
        }
    }
}
