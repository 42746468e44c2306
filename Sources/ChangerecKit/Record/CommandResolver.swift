import ChangerecSystem

/// Finds the program to run the way a shell does, before anything is armed, so that a missing or
/// non-executable command is a one-line error (127 or 126) and leaves no journal behind.
enum CommandResolver {
    static func resolve(_ name: [UInt8], searchPath: String?) throws(ChangerecError) -> [UInt8] {
        let shown = printable(name)
        guard !name.isEmpty else { throw ChangerecError(.commandNotFound, "command not found: ''") }
        if name.contains(0x2F) {
            return try check(name, shown: shown)
        }
        let directories = (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(
            separator: ":", omittingEmptySubsequences: false)
        var denied: ChangerecError?
        for directory in directories {
            let base = directory.isEmpty ? "." : String(directory)
            let candidate = Array(base.utf8) + [0x2F] + name
            do {
                return try check(candidate, shown: shown)
            } catch  where error.code == .commandNotExecutable {
                denied = denied ?? error
            } catch {
                continue
            }
        }
        if let denied { throw denied }
        throw ChangerecError(.commandNotFound, "command not found: \(shown)")
    }

    private static func check(_ path: [UInt8], shown: String) throws(ChangerecError) -> [UInt8] {
        let status: FileStatus
        do {
            status = try FileSystem.status(of: path, in: .init(rawValue: -100))
        } catch {
            throw ChangerecError(.commandNotFound, "command not found: \(shown)", errno: error)
        }
        // Follow a symbolic link for the type check, as exec does.
        let resolved = (try? FileSystem.canonicalPath(path)) ?? path
        let finalStatus =
            status.type == .symlink
            ? ((try? FileSystem.status(of: resolved, in: .init(rawValue: -100))) ?? status) : status
        guard finalStatus.type == .regular, FileSystem.isExecutable(path) else {
            throw ChangerecError(
                .commandNotExecutable, "cannot execute '\(printable(path))': permission denied or not a regular file")
        }
        return path
    }
}
