import Testing

extension Trait where Self == ConditionTrait {
    /// Skips, with a message naming what is missing, unless the tests run as root.
    public static var requiresRoot: Self { requires(.root) }

    /// Skips unless `python3` is on the machine; some workloads need system calls the shell cannot make.
    public static var requiresPython: Self { requires(.python) }

    /// Skips unless `strace` is on the machine, to see which system calls the binary makes.
    public static var requiresStrace: Self { requires(.strace) }

    /// Skips unless the `zstd` tool is on the machine, to decompress zstd layers with another decoder.
    public static var requiresZstdTool: Self { requires(.zstd) }

    /// Skips unless the shell `name` (zsh, fish) is on the machine, to check its completion script.
    public static func requiresShell(_ name: String) -> Self { requires(.shell(name)) }

    static func requires(_ requirement: Requirement) -> Self {
        .enabled(if: requirement.isMet, Comment(rawValue: requirement.missing))
    }
}
