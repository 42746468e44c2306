import Foundation
import Glibc
import Testing

/// A tiny root file system for running changerec inside a chroot: the programs asked for and the
/// `changerec` binary (at `/changerec`), each with the shared libraries `ldd` lists for it, copied to
/// the same paths below ``directory``. Entered in a private mount namespace (`unshare --mount`), so a
/// `/proc` mounted for one run is gone with it and the host never sees it.
public struct Chroot: Sendable {
    /// The directory that becomes `/` inside the chroot.
    public let directory: String

    /// Why chroot tests cannot run here, or `nil` when they can: they need root, `unshare` and `chroot`.
    public static var unavailableReason: String? {
        if getuid() != 0 { return "needs root for chroot and mount namespaces" }
        for tool in ["/usr/bin/unshare", "/usr/sbin/chroot", "/usr/bin/ldd"] where access(tool, X_OK) != 0 {
            return "needs \(tool)"
        }
        return nil
    }

    /// Builds the root file system in `directory` (which must exist): `/changerec`, and each of `programs`
    /// at its own path (the file a symbolic link names is copied), with their libraries, and an empty
    /// `/proc` and `/tmp`.
    ///
    /// - Throws: `TestFailure` naming the program or library that could not be copied.
    public init(in directory: String, programs: [String]) throws {
        self.directory = directory
        var files: [String: String] = ["/changerec": Run.binary]
        for program in programs {
            let real = URL(fileURLWithPath: program).resolvingSymlinksInPath().path
            files[program] = real
        }
        for (_, source) in files {
            for library in try Self.libraries(of: source) { files[library] = library }
        }
        for (inside, source) in files.sorted(by: { $0.key < $1.key }) {
            try Self.copy(source, to: directory + inside)
        }
        for empty in ["/proc", "/tmp"] {
            try FileManager.default.createDirectory(
                atPath: directory + empty, withIntermediateDirectories: true)
        }
    }

    /// Runs `arguments` inside the chroot, in a private mount namespace, with `/proc` mounted there when
    /// `withProc` is set.
    public func run(_ arguments: [String], withProc: Bool) throws -> RunResult {
        let quoted = arguments.map(Self.shellQuoted).joined(separator: " ")
        let root = Self.shellQuoted(directory)
        let proc = withProc ? "mount -t proc proc \(root)/proc && " : ""
        return try Run.command([
            "/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
            "\(proc)exec /usr/sbin/chroot \(root) \(quoted)",
        ])
    }

    /// The absolute paths of the shared libraries `ldd` lists for `program`, the program loader included.
    static func libraries(of program: String) throws -> [String] {
        let result = try Run.command(["/usr/bin/ldd", program])
        // A static program: ldd says "not a dynamic executable" and exits 1.
        if result.status != 0 { return [] }
        var paths: [String] = []
        for line in result.stdout.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if let arrow = fields.firstIndex(of: "=>"), arrow + 1 < fields.count, fields[arrow + 1].hasPrefix("/") {
                paths.append(String(fields[arrow + 1]))
            } else if let first = fields.first, first.hasPrefix("/") {
                paths.append(String(first))
            }
        }
        return paths
    }

    /// Copies `source` to `destination`, making its directories; a hard link where both share a file
    /// system, which costs nothing.
    static func copy(_ source: String, to destination: String) throws {
        let parent = (destination as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        if link(source, destination) == 0 { return }
        let copied = try Run.command(["/bin/cp", "-L", "--preserve=mode", source, destination])
        guard copied.status == 0 else { throw TestFailure("cannot copy \(source) into the chroot: \(copied.stderr)") }
    }

    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips, naming what is missing, unless a chroot can be built and entered (root, `unshare`, `chroot`).
    public static var requiresChroot: Self {
        .enabled(if: Chroot.unavailableReason == nil, Comment(rawValue: Chroot.unavailableReason ?? ""))
    }
}
