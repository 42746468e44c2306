import CChangerecLinux
import Glibc
import SystemPackage

/// Starting a command in its own mount namespace, chrooted into a root file system: the system half of
/// `changerec run`. What is mounted, and as whom the command runs, is the caller's plan; this carries it
/// out in the child between fork and exec.
public enum IsolatedSpawn {
    /// One thing the child does in its new mount namespace before it changes root, in order.
    public enum Action: Sendable, Equatable {
        case mount(source: [UInt8], target: [UInt8], type: String, flags: UInt, data: String?)
        /// Makes the bind mount at `target` read-only, keeping `flags` (nosuid, nodev, noexec).
        case remountReadOnly(target: [UInt8], flags: UInt)
        case makeNode(target: [UInt8], mode: UInt32, major: UInt32, minor: UInt32)
        case symlink(target: [UInt8], pointingTo: [UInt8])
        case makeDirectory(target: [UInt8], mode: UInt32)
    }

    /// The user the command runs as.
    public struct Credentials: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var groups: [UInt32]
        public init(uid: UInt32, gid: UInt32, groups: [UInt32]) {
            self.uid = uid
            self.gid = gid
            self.groups = groups
        }
    }

    /// The failure of one stage in the child, with its errno.
    public struct Failure: Error, Sendable {
        public enum Stage: Sendable, Equatable {
            case fork, unshare, privatePropagation, action(Int), changeRoot, workingDirectory, user, signals, exec
        }
        public var stage: Stage
        public var errno: Errno
    }

    /// Mount flags by name, so the plan need not import Glibc.
    public enum MountFlag {
        public static let readOnly = UInt(MS_RDONLY)
        public static let noSetUID = UInt(MS_NOSUID)
        public static let noDevices = UInt(MS_NODEV)
        public static let noExec = UInt(MS_NOEXEC)
        public static let bind = UInt(MS_BIND)
        public static let recursive = UInt(MS_REC)
    }

    /// Starts the first of `candidates` (paths inside `root`, tried in the child after the mounts and the
    /// chroot, as `execvpe` tries PATH) that can be executed, with `arguments` (argv[0] included) and exactly
    /// `environment`, after `actions`, `chroot(root)`, `chdir(workingDirectory)` and, when given, the
    /// change to `credentials`. The signals in `defaultSignals` are restored and the mask emptied, as
    /// ``ChildProcess/spawn(executable:arguments:defaultSignals:)`` does. A missing working directory is made
    /// (mode 0755, before the change of user), inside the step.
    ///
    /// - Returns: the child's pid, once its exec has succeeded.
    /// - Throws: at the `.exec` stage, `ENOENT` when no candidate exists, `EACCES` when one exists but may
    ///   not be executed.
    public static func spawn(
        candidates: [[UInt8]], arguments: [[UInt8]], environment: [[UInt8]], root: [UInt8],
        workingDirectory: [UInt8], credentials: Credentials?, actions: [Action], defaultSignals: [Signal]
    ) throws(Failure) -> ProcessID {
        // Every string the child reads is allocated here, before the fork: the child may not allocate.
        var strings: [UnsafeMutablePointer<CChar>] = []
        defer { for pointer in strings { pointer.deallocate() } }
        func c(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar> {
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            for (index, byte) in bytes.enumerated() { pointer[index] = CChar(bitPattern: byte) }
            pointer[bytes.count] = 0
            strings.append(pointer)
            return pointer
        }
        func c(_ text: String?) -> UnsafeMutablePointer<CChar>? { text.map { c(Array($0.utf8)) } }

        var cActions = actions.map { action -> cchangerec_isolation_action in
            var item = cchangerec_isolation_action()
            switch action {
            case .mount(let source, let target, let type, let flags, let data):
                item.kind = Int32(CCHANGEREC_ISOLATION_MOUNT.rawValue)
                item.source = UnsafePointer(c(source))
                item.target = UnsafePointer(c(target))
                item.fstype = UnsafePointer(c(type))
                item.flags = flags
                item.data = UnsafePointer(c(data))
            case .remountReadOnly(let target, let flags):
                item.kind = Int32(CCHANGEREC_ISOLATION_REMOUNT_READ_ONLY.rawValue)
                item.target = UnsafePointer(c(target))
                item.flags = flags
            case .makeNode(let target, let mode, let major, let minor):
                item.kind = Int32(CCHANGEREC_ISOLATION_MKNOD.rawValue)
                item.target = UnsafePointer(c(target))
                item.mode = mode
                item.device = FileSystem.deviceNumber(major: major, minor: minor)
            case .symlink(let target, let destination):
                item.kind = Int32(CCHANGEREC_ISOLATION_SYMLINK.rawValue)
                item.source = UnsafePointer(c(destination))
                item.target = UnsafePointer(c(target))
            case .makeDirectory(let target, let mode):
                item.kind = Int32(CCHANGEREC_ISOLATION_MKDIR.rawValue)
                item.target = UnsafePointer(c(target))
                item.mode = mode
            }
            return item
        }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { c($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { c($0) } + [nil]
        let groups = (credentials?.groups ?? []).map { gid_t($0) }
        let signals = defaultSignals.map(\.rawValue)
        let cRoot = c(root)
        let cWorkingDirectory = c(workingDirectory)
        var cCandidates: [UnsafePointer<CChar>?] = candidates.map { UnsafePointer(c($0)) }

        var pid: pid_t = 0
        var stage: Int32 = 0
        let rc = cActions.withUnsafeMutableBufferPointer { actionBuffer in
            groups.withUnsafeBufferPointer { groupBuffer in
                signals.withUnsafeBufferPointer { signalBuffer in
                    argv.withUnsafeMutableBufferPointer { argvBuffer in
                        envp.withUnsafeMutableBufferPointer { envpBuffer in
                            cCandidates.withUnsafeMutableBufferPointer { candidateBuffer in
                                var isolation = cchangerec_isolation()
                                isolation.actions = UnsafePointer(actionBuffer.baseAddress)
                                isolation.action_count = Int32(actionBuffer.count)
                                isolation.root = UnsafePointer(cRoot)
                                isolation.workdir = UnsafePointer(cWorkingDirectory)
                                isolation.change_user = credentials == nil ? 0 : 1
                                isolation.uid = credentials?.uid ?? 0
                                isolation.gid = credentials?.gid ?? 0
                                isolation.groups = groupBuffer.baseAddress
                                isolation.group_count = Int32(groupBuffer.count)
                                return cchangerec_spawn_isolated(
                                    &isolation, candidateBuffer.baseAddress, Int32(candidateBuffer.count),
                                    argvBuffer.baseAddress, envpBuffer.baseAddress, signalBuffer.baseAddress,
                                    Int32(signalBuffer.count), &pid, &stage)
                            }
                        }
                    }
                }
            }
        }
        guard rc != 0 else { return pid }
        throw Failure(stage: Self.stage(stage), errno: Errno(rawValue: rc))
    }

    private static func stage(_ raw: Int32) -> Failure.Stage {
        if raw >= 0 { return .action(Int(raw)) }
        switch raw {
        case CCHANGEREC_ISOLATION_STAGE_UNSHARE.rawValue: return .unshare
        case CCHANGEREC_ISOLATION_STAGE_PRIVATE.rawValue: return .privatePropagation
        case CCHANGEREC_ISOLATION_STAGE_CHROOT.rawValue: return .changeRoot
        case CCHANGEREC_ISOLATION_STAGE_WORKDIR.rawValue: return .workingDirectory
        case CCHANGEREC_ISOLATION_STAGE_USER.rawValue: return .user
        case CCHANGEREC_ISOLATION_STAGE_EXEC.rawValue: return .exec
        case CCHANGEREC_ISOLATION_STAGE_SIGNALS.rawValue: return .signals
        default: return .fork
        }
    }
}
