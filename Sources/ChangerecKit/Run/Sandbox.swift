import ChangerecSystem
import SystemPackage

/// A step's isolation made concrete for one root file system: its mount points made, its mounts,
/// devices and user worked out. ``spawn(_:arguments:defaultSignals:)`` finds the command inside it and
/// starts the step; ``removeMountPoints()`` takes away what was made for it.
final class Sandbox {
    /// What the recording leaves out: every mount point (what is mounted there is not the tree's).
    let excluded: [RelativePath]
    let environment: [[UInt8]]
    let workingDirectory: [UInt8]
    private let rootPath: [UInt8]
    private let root: FileDescriptor
    private let credentials: IsolatedSpawn.Credentials?
    private let actions: [IsolatedSpawn.Action]
    private let mountPoints: MountPoints

    /// Host files a step sees read-only, when the host has them and the root file system has `/etc`.
    private static let hostFiles = ["etc/resolv.conf", "etc/hosts"]

    /// - Parameter announce: told of a host file that is not bound and why.
    init(
        _ isolation: StepIsolation, root: (path: [UInt8], descriptor: FileDescriptor),
        announce: ((String) -> Void)? = nil
    ) throws(ChangerecError) {
        guard FileSystem.isPrivileged else {
            throw ChangerecError(
                .usage,
                "changerec run needs root: its mount namespace, mounts and chroot need CAP_SYS_ADMIN; run it with sudo")
        }
        guard let workdir = ContainerPath.relative(isolation.workingDirectory) else {
            throw ChangerecError(
                .usage, "working directory '\(printable(isolation.workingDirectory))' must be a path without '..'")
        }
        rootPath = root.path
        self.root = root.descriptor
        workingDirectory = [0x2F] + workdir.bytes
        let accounts = try RootfsAccounts(root: root.descriptor)
        var home = accounts.rootHome
        if let user = isolation.user {
            let resolved = try accounts.resolve(user)
            credentials = resolved.credentials
            home = resolved.home
        } else {
            credentials = nil
        }
        environment = Self.environment(isolation.environment, home: home)

        let points = MountPoints(root: root.descriptor, rootPath: root.path)
        mountPoints = points
        var plan = MountPlan()
        do {
            try plan.addSystemMounts(points)
            for file in Self.hostFiles {
                try plan.addHostFile(file, points, root: root.descriptor, announce: announce)
            }
            for mount in isolation.mounts { try plan.addBind(mount, points) }
        } catch {
            _ = points.removeAll()
            throw error
        }
        actions = plan.actions
        excluded = plan.mountPoints
    }

    /// Starts `program` (`arguments[0]` included in `arguments`), found inside the root file system as
    /// `execvp` finds it there: along the step's `PATH` when it has no `/`, else from the working
    /// directory. The search runs in the child, after the mounts and the chroot, so a command under a
    /// `--mount` target is found.
    ///
    /// - Throws: `.commandNotFound` when no candidate exists, `.commandNotExecutable` when one exists but
    ///   cannot be executed; `.system` for a failure before that.
    func spawn(_ program: [UInt8], arguments: [[UInt8]], defaultSignals: [Signal]) throws(ChangerecError)
        -> ProcessID
    {
        do {
            return try IsolatedSpawn.spawn(
                candidates: candidates(program), arguments: arguments, environment: environment, root: rootPath,
                workingDirectory: workingDirectory, credentials: credentials, actions: actions,
                defaultSignals: defaultSignals)
        } catch {
            throw describe(error, program: program)
        }
    }

    /// Where `program` may be, as the chrooted step names paths: PATH's directories (an empty entry is
    /// the working directory), or the one path it gives.
    private func candidates(_ program: [UInt8]) -> [[UInt8]] {
        if program.contains(0x2F) { return [program.first == 0x2F ? program : workingDirectory + [0x2F] + program] }
        let path = environment.first { $0.starts(with: Array("PATH=".utf8)) }.map { Array($0.dropFirst(5)) } ?? []
        return path.split(separator: 0x3A, omittingEmptySubsequences: false).map { directory in
            (directory.isEmpty ? workingDirectory : Array(directory)) + [0x2F] + program
        }
    }

    /// Removes the mount points made for the step; see ``MountPoints/removeAll()``.
    func removeMountPoints() -> [String] { mountPoints.removeAll() }

    private func describe(_ failure: IsolatedSpawn.Failure, program: [UInt8]) -> ChangerecError {
        if failure.stage == .exec {
            let shown = printable(program)
            if [.noSuchFileOrDirectory, .notDirectory].contains(failure.errno) {
                return ChangerecError(.commandNotFound, "command not found in the root file system: \(shown)")
            }
            return ChangerecError(
                .commandNotExecutable, "cannot execute '\(shown)' in the root file system: \(failure.errno)",
                errno: failure.errno)
        }
        let what: String
        switch failure.stage {
        case .fork: what = "start the step"
        case .unshare: what = "make a mount namespace for the step"
        case .privatePropagation: what = "make the step's mounts private"
        case .action(let index): what = index < actions.count ? Self.describe(actions[index]) : "prepare the step"
        case .changeRoot: what = "chroot into '\(printable(rootPath))'"
        case .workingDirectory: what = "enter the working directory '\(printable(workingDirectory))'"
        case .user: what = "become the step's user"
        case .signals: what = "reset the step's signals"
        case .exec: what = "execute the command"
        }
        return ChangerecError(.system, "cannot \(what): \(failure.errno)", errno: failure.errno)
    }

    private static func describe(_ action: IsolatedSpawn.Action) -> String {
        switch action {
        case .mount(let source, let target, let type, _, _):
            return "mount \(type.isEmpty ? "'\(printable(source))'" : type) on '\(printable(target))'"
        case .remountReadOnly(let target, _): return "make '\(printable(target))' read-only"
        case .makeNode(let target, _, _, _): return "make the device '\(printable(target))'"
        case .symlink(let target, _): return "make the link '\(printable(target))'"
        case .makeDirectory(let target, _): return "make the directory '\(printable(target))'"
        }
    }

    /// The given entries, with `PATH` and `HOME` added when missing.
    private static func environment(_ given: [[UInt8]], home: String) -> [[UInt8]] {
        func has(_ name: String) -> Bool { given.contains { $0.starts(with: Array((name + "=").utf8)) } }
        var result = given
        if !has("PATH") { result.insert(Array("PATH=\(StepIsolation.defaultSearchPath)".utf8), at: 0) }
        if !has("HOME") { result.append(Array("HOME=\(home)".utf8)) }
        return result
    }
}
