import ChangerecSystem
import SystemPackage

/// The mounts, devices and links a step gets, in the order the child makes them, and the mount points
/// they cover (which the recording excludes).
struct MountPlan {
    private(set) var actions: [IsolatedSpawn.Action] = []
    private(set) var mountPoints: [RelativePath] = []

    private typealias Flag = IsolatedSpawn.MountFlag

    /// `/proc`, a minimal `/dev` and a read-only `/sys`, as Buildah's chroot isolation gives them.
    mutating func addSystemMounts(_ points: MountPoints) throws(ChangerecError) {
        let proc = try point("proc", .directory, points)
        actions.append(
            .mount(
                source: bytes("proc"), target: proc, type: "proc", flags: Flag.noSetUID | Flag.noDevices | Flag.noExec,
                data: nil))

        let dev = try point("dev", .directory, points)
        actions.append(
            .mount(
                source: bytes("tmpfs"), target: dev, type: "tmpfs", flags: Flag.noSetUID | Flag.noExec,
                data: "mode=755,size=65536k"))
        // Character devices, mode 0666: major and minor as the kernel's devices.txt gives them.
        for (name, major, minor) in [
            ("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0),
        ] {
            actions.append(
                .makeNode(target: dev + bytes("/" + name), mode: 0o020666, major: UInt32(major), minor: UInt32(minor)))
        }
        actions.append(.makeDirectory(target: dev + bytes("/pts"), mode: 0o755))
        actions.append(
            .mount(
                source: bytes("devpts"), target: dev + bytes("/pts"), type: "devpts",
                flags: Flag.noSetUID | Flag.noExec,
                data: "newinstance,ptmxmode=0666,mode=0620"))
        actions.append(.symlink(target: dev + bytes("/ptmx"), pointingTo: bytes("pts/ptmx")))
        actions.append(.makeDirectory(target: dev + bytes("/shm"), mode: 0o1777))
        actions.append(
            .mount(
                source: bytes("shm"), target: dev + bytes("/shm"), type: "tmpfs", flags: Flag.noSetUID | Flag.noDevices,
                data: "mode=1777"))
        for (name, target) in [
            ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"),
        ] {
            actions.append(.symlink(target: dev + bytes("/" + name), pointingTo: bytes(target)))
        }

        let sys = try point("sys", .directory, points)
        actions.append(
            .mount(
                source: bytes("sysfs"), target: sys, type: "sysfs",
                flags: Flag.readOnly | Flag.noSetUID | Flag.noDevices | Flag.noExec, data: nil))
    }

    /// The host's `path` (resolv.conf, hosts) bound read-only over the root file system's, so the step
    /// resolves names as the host does without writing the host's file. Skipped, and said, when the root
    /// file system has no `/etc` or holds a symbolic link there (a mount would follow it).
    mutating func addHostFile(
        _ path: String, _ points: MountPoints, root: FileDescriptor, announce: ((String) -> Void)?
    ) throws(ChangerecError) {
        let host = bytes("/" + path)
        guard (try? FileSystem.status(following: host))?.type == .regular else { return }
        guard let relative = RelativePath(path), let parent = relative.parent,
            (try? FileSystem.status(of: parent.bytes, in: root))?.type == .directory
        else { return }
        if let existing = try? FileSystem.status(of: relative.bytes, in: root), existing.type != .regular {
            announce?("the step does not see the host's /\(path): the root file system's is a \(existing.type)")
            return
        }
        let target = try point(path, .file, points)
        actions.append(.mount(source: host, target: target, type: "", flags: Flag.bind, data: nil))
        actions.append(.remountReadOnly(target: target, flags: Flag.noSetUID | Flag.noDevices | Flag.noExec))
    }

    /// `--mount SRC:DST[:ro]`.
    mutating func addBind(_ mount: BindMount, _ points: MountPoints) throws(ChangerecError) {
        let isDirectory: Bool
        do {
            isDirectory = try FileSystem.status(following: mount.source).type == .directory
        } catch {
            throw ChangerecError.system("use the --mount source", path: printable(mount.source), error)
        }
        let target = try points.ensure(mount.destination, isDirectory ? .directory : .file)
        mountPoints.append(mount.destination)
        actions.append(
            .mount(source: mount.source, target: target, type: "", flags: Flag.bind | Flag.recursive, data: nil))
        if mount.readOnly { actions.append(.remountReadOnly(target: target, flags: 0)) }
    }

    private mutating func point(_ path: String, _ kind: MountPoints.Kind, _ points: MountPoints) throws(ChangerecError)
        -> [UInt8]
    {
        // The paths given here are literals without '..' or empty components.
        let relative = RelativePath(trusted: Array(path.utf8))
        mountPoints.append(relative)
        return try points.ensure(relative, kind)
    }

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
}
