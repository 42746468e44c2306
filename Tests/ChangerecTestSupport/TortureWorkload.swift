import Foundation
import Glibc

/// The size and switches of a torture run, from the environment:
/// `CHANGEREC_TORTURE_SEED` (first seed), `CHANGEREC_TORTURE_RUNS` (seeds tried, one after another),
/// `CHANGEREC_TORTURE_PROCS`, `CHANGEREC_TORTURE_OPS` (per process), `CHANGEREC_TORTURE_LONG_NAMES=0` and
/// `CHANGEREC_TORTURE_HARD_LINKS=0` (leave those out of the workload), `CHANGEREC_TORTURE_BACKEND` and
/// `CHANGEREC_TORTURE_FS` (run only that backend or file system), and `CHANGEREC_TORTURE_REPLAY=LOG` (run a
/// kept op log again, in one process in the order its operations started: the tree before the step from
/// its setup lines, the step from the others; a log trimmed by hand is a script).
public struct TortureSettings: Sendable {
    public var seed: UInt64 = 1
    public var runs = 1
    public var processes = 4
    public var operations = 600
    public var longNames = true
    public var hardLinks = true
    public var backend: String?
    public var fileSystem: String?
    public var replay: String?

    public static var fromEnvironment: TortureSettings {
        let environment = ProcessInfo.processInfo.environment
        var settings = TortureSettings()
        if let value = environment["CHANGEREC_TORTURE_SEED"].flatMap(UInt64.init) { settings.seed = value }
        if let value = environment["CHANGEREC_TORTURE_RUNS"].flatMap(Int.init) { settings.runs = value }
        if let value = environment["CHANGEREC_TORTURE_PROCS"].flatMap(Int.init) { settings.processes = value }
        if let value = environment["CHANGEREC_TORTURE_OPS"].flatMap(Int.init) { settings.operations = value }
        settings.longNames = environment["CHANGEREC_TORTURE_LONG_NAMES"] != "0"
        settings.hardLinks = environment["CHANGEREC_TORTURE_HARD_LINKS"] != "0"
        settings.backend = environment["CHANGEREC_TORTURE_BACKEND"]
        settings.fileSystem = environment["CHANGEREC_TORTURE_FS"]
        settings.replay = environment["CHANGEREC_TORTURE_REPLAY"]
        if settings.replay != nil { settings.runs = 1 }
        return settings
    }

    /// The workload's switches, as `changerec-torture` takes them.
    public var switches: [String] {
        (longNames ? [] : ["--no-long-names"]) + (hardLinks ? [] : ["--no-hard-links"])
    }
}

/// ROOT and OUTSIDE on the file system a torture run needs, with room beside them (on a tmpfs) for the
/// journal, the copy of the tree before the step and the layer: a tmpfs (the temporary tree's own, when
/// root), or an ext4 image made with mkfs.ext4 in that tmpfs and loop-mounted; unmounted and removed
/// afterwards.
public final class TortureFileSystem: @unchecked Sendable {
    public let tree: TemporaryTree
    public let root: String
    public let outside: String
    private let ext4Mount: String?

    public init(_ kind: String) throws {
        tree = try TemporaryTree()
        switch kind {
        case "tmpfs":
            root = tree.root
            outside = tree.outside
            ext4Mount = nil
        case "ext4":
            let image = tree.base + "/ext4.img"
            let mountPoint = tree.base + "/ext4"
            // 256-byte inodes: nanosecond times and times past 2038, as the tmpfs and the oracle have them.
            let made = try Run.command(["/sbin/mkfs.ext4", "-q", "-F", "-I", "256", image, "768M"])
            guard made.status == 0 else { throw TestFailure("mkfs.ext4 failed: \(made.stderr)") }
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
            let mounted = try Run.command(["/bin/mount", "-o", "loop", image, mountPoint])
            guard mounted.status == 0 else { throw TestFailure("mount -o loop failed: \(mounted.stderr)") }
            ext4Mount = mountPoint
            root = mountPoint + "/root"
            outside = mountPoint + "/outside"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: false)
        default:
            throw TestFailure("no file system called \(kind)")
        }
    }

    deinit {
        if let ext4Mount { _ = try? Run.command(["/bin/umount", ext4Mount]) }
    }
}

/// One torture run: the tree before the step built by `changerec-torture --populate`, snapshotted and
/// copied; the workload recorded by `changerec`; the tree after it snapshotted; then the oracle's two
/// verdicts: every real difference is in `changes --json`, and the layer applied to the copy of the tree
/// before the step gives the tree after it, hard-link groups included.
public struct TortureRun: Sendable {
    public var seed: UInt64
    public var backend: String
    public var fileSystem: String
    public var settings: TortureSettings
    /// Where the op log is kept: outside every mount the run makes, so that it survives a failure.
    public var log: String
    public var differences = 0
    public var missed: [String] = []
    public var layerProblems: [String] = []
    public var summary = ""

    /// The `changerec-torture` binary: `$CHANGEREC_TORTURE_BIN`, or the one built beside `changerec`.
    public static var binary: String {
        ProcessInfo.processInfo.environment["CHANGEREC_TORTURE_BIN"]
            ?? URL(fileURLWithPath: Run.binary).deletingLastPathComponent().appendingPathComponent("changerec-torture")
            .path
    }

    public init(seed: UInt64, backend: String, fileSystem: String, settings: TortureSettings) {
        self.seed = seed
        self.backend = backend
        self.fileSystem = fileSystem
        self.settings = settings
        log = settings.replay ?? NSTemporaryDirectory() + "changerec-torture-\(backend)-\(fileSystem)-seed\(seed).log"
    }

    /// The command that builds the tree before the step.
    func setupCommand(_ space: TortureFileSystem) -> [String] {
        if let replay = settings.replay {
            return [Self.binary, "--replay", replay, "--setup", space.root, space.outside]
        }
        return [Self.binary, "--populate", "--seed", String(seed), "--log", log] + settings.switches + [
            space.root, space.outside,
        ]
    }

    /// The step: the workload, or the replay of one.
    func stepCommand(_ space: TortureFileSystem) -> [String] {
        if let replay = settings.replay { return [Self.binary, "--replay", replay, space.root, space.outside] }
        return [Self.binary, "--seed", String(seed), "--procs", String(settings.processes)]
            + ["--ops", String(settings.operations), "--log", log] + settings.switches + [space.root, space.outside]
    }

    /// Runs the workload and judges it; throws only when the run itself could not be made.
    public mutating func run() throws {
        if settings.replay == nil { try? FileManager.default.removeItem(atPath: log) }
        let space = try TortureFileSystem(fileSystem)
        do {
            try judge(in: space)
        } catch {
            keep(space)
            throw error
        }
        if missed.isEmpty && layerProblems.isEmpty {
            if settings.replay == nil { try? FileManager.default.removeItem(atPath: log) }
        } else {
            keep(space)
        }
    }

    /// With `CHANGEREC_TORTURE_KEEP=DIR`, a failed run's trees, journal and layer are copied to DIR before
    /// their file system goes.
    func keep(_ space: TortureFileSystem) {
        guard let directory = ProcessInfo.processInfo.environment["CHANGEREC_TORTURE_KEEP"] else { return }
        let destination = directory + "/\(backend)-\(fileSystem)-seed\(seed)"
        _ = try? Run.command(["/bin/rm", "-rf", destination])
        _ = try? Run.command(["/bin/mkdir", "-p", destination])
        _ = try? Run.command(["/bin/cp", "-a", space.tree.base + "/.", destination])
        _ = try? Run.command(["/bin/cp", log, destination + "/op.log"])
    }

    mutating func judge(in space: TortureFileSystem) throws {
        let populated = try Run.command(setupCommand(space))
        guard populated.status == 0 else { throw TestFailure("building the tree failed: \(populated.stderr)") }
        let before = try TreeSnapshot.take(space.root)
        let groupsBefore = try HardLinkGroups.take(space.root)
        let copy = space.tree.base + "/before-copy"
        // Not cp -a: it cannot reach paths longer than PATH_MAX.
        try TreeCopy.copy(space.root, to: copy)
        guard try HardLinkGroups.take(copy) == groupsBefore else {
            throw TestFailure("the copy did not keep the hard links of the tree before the step")
        }

        let journal = space.tree.base + "/step.journal"
        let record = try Run.changerec(
            ["--root", space.root, "--journal", journal, "--backend", backend, "--"] + stepCommand(space),
            directory: space.tree.base)
        summary =
            record.stderr.split(separator: "\n").filter { $0.hasPrefix("torture:") }.joined(separator: "\n")
            + record.stdout.split(separator: "\n").filter { $0.hasPrefix("torture:") }.joined(separator: "\n")
        guard record.status == 0 else { throw TestFailure("changerec exited \(record.status): \(record.stderr)") }

        let after = try TreeSnapshot.take(space.root)
        let groupsAfter = try HardLinkGroups.take(space.root)
        let listed = try Run.changerec(["changes", "--json", journal])
        guard listed.status == 0 else { throw TestFailure("changes exited \(listed.status): \(listed.stderr)") }
        let changes = try RecordedChanges(json: listed.stdoutData)
        let real = before.differences(to: after)
        differences = real.count
        missed = changes.missing(real).map(Self.shortened)
        if !changes.complete { missed.append("the journal says the recording is incomplete: \(changes.notes)") }

        let layer = space.tree.base + "/layer.tar"
        let written = try Run.changerec(["layer", journal, "-o", layer, "--compress", "none"])
        guard written.status == 0 else {
            layerProblems = ["changerec layer exited \(written.status): \(written.stderr)"]
            return
        }
        let listing = try Run.command(["/bin/tar", "-tf", layer])
        if listing.status != 0 || !listing.stderr.isEmpty {
            layerProblems.append("GNU tar cannot list the layer: \(listing.stderr)")
        }
        try LayerApplier.apply(layer: layer, to: copy)
        let applied = try TreeSnapshot.take(copy)
        layerProblems += applied.differences(to: after).map { "applied layer differs: " + Self.shortened("\($0)") }
        layerProblems += try HardLinkGroups.take(copy).differences(to: groupsAfter).map(Self.shortened)
    }

    /// Everything a person needs to see and replay a failure.
    public var report: String {
        let replay =
            "CHANGEREC_TORTURE_REPLAY=\(log) CHANGEREC_TORTURE_BACKEND=\(backend) CHANGEREC_TORTURE_FS=\(fileSystem) "
            + "swift test --filter Torture"
        return
            ([
                "torture seed \(seed) (\(backend) on \(fileSystem), \(settings.processes) × \(settings.operations) "
                    + "operations, switches [\(settings.switches.joined(separator: " "))]): \(differences) real "
                    + "differences, \(missed.count) missed, \(layerProblems.count) layer problems",
                summary, "op log: \(log)", "replay in one process, in the order the operations started:", "  " + replay,
                "missed:",
            ] + missed.prefix(40).map { "  " + $0 } + ["layer:"] + layerProblems.prefix(40).map { "  " + $0 })
            .joined(separator: "\n")
    }

    /// Long names (a byte repeated 200 times) shown as `@` and the byte.
    static func shortened(_ text: String) -> String {
        var result = text
        for letter in ["l", "m"] {
            result = result.replacingOccurrences(of: String(repeating: letter, count: 200), with: "@" + letter)
        }
        return result
    }
}
