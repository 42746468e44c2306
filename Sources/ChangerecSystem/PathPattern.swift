import Glibc

/// Shell wildcard patterns (`*`, `?`, `[...]`, `\` to quote) matched against one path component, as a
/// Containerfile's COPY sources use them.
public enum PathPattern {
    /// Whether `pattern` holds a wildcard character, so that it names entries by matching rather than
    /// one entry by name.
    public static func hasWildcard(_ pattern: [UInt8]) -> Bool {
        pattern.contains { $0 == 0x2A || $0 == 0x3F || $0 == 0x5B || $0 == 0x5C }
    }

    /// Whether the component `name` matches `pattern`. A leading `.` is matched by `*` like any other
    /// byte, as Go's `filepath.Match` (which Docker uses) matches it. The corresponding C function is
    /// `fnmatch` with no flags.
    public static func matches(_ pattern: [UInt8], _ name: [UInt8]) -> Bool {
        withCPath(pattern) { cPattern in withCPath(name) { cName in fnmatch(cPattern, cName, 0) == 0 } }
    }
}
